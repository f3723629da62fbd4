package cmd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/secretfile"
	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
	"github.com/spf13/cobra"
)

// defaultMinTTL is token's default --min-ttl.
const defaultMinTTL = 5 * time.Minute

// tokenOptions are the inputs of `authdeck token`.
type tokenOptions struct {
	Out      io.Writer
	Profiles func() (*profiles.Manager, error)
	Cwd      func() (string, error)
	Getenv   func(string) string

	Profile   string
	TokenFile string
	MinTTL    time.Duration
	// minTTLSet: --min-ttl was given, so it is honoured as is; otherwise
	// profiles' default applies (5m, at most half the token's life).
	minTTLSet bool
	// SaveTo, when set, writes the token into this JSON secret file under
	// Key instead of printing it (ErrOut gets a note).
	SaveTo string
	Key    string
	ErrOut io.Writer
}

// newCmdToken builds `authdeck token`. runF replaces tokenRun in tests.
func newCmdToken(f *factory, runF func(*tokenOptions) error) *cobra.Command {
	c := newTokenCmd(f, runF)
	c.Use = "token"
	return c
}

func newTokenCmd(f *factory, runF func(*tokenOptions) error) *cobra.Command {
	opts := &tokenOptions{Out: f.IO.Out, ErrOut: f.IO.ErrOut, Profiles: f.Profiles, Cwd: f.Cwd, Getenv: f.Getenv}
	c := &cobra.Command{
		Short: "Print the access token (and nothing else) on stdout",
		Long: `Print the active (or chosen) profile's access token on stdout, followed by a
newline, refreshing it first when it expires within --min-ttl.

Token sources, first match wins: --token-file, the server's configured env var,
` + envSource(f.Host.EnvToken) + `the stored token. Concurrent calls send one refresh between them.`,
		Example: `  curl -H "Authorization: Bearer $(` + f.AppName + ` token)" https://api.example.com/
  ` + f.AppName + ` token --profile work --min-ttl 30m
  ` + f.AppName + ` token --save-to ~/.cloudvolume/secrets/cave-secret.json --key token`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			g := f.Globals()
			opts.Profile, opts.TokenFile = g.Profile, g.TokenFile
			opts.minTTLSet = c.Flags().Changed("min-ttl")
			if opts.MinTTL < 0 {
				return flagErrorf("--min-ttl must not be negative")
			}
			if opts.Key != "token" && opts.SaveTo == "" {
				return flagErrorf("--key goes with --save-to")
			}
			if runF != nil {
				return runF(opts)
			}
			return tokenRun(c.Context(), opts)
		},
	}
	c.Flags().DurationVar(&opts.MinTTL, "min-ttl", defaultMinTTL, "refresh first when the token expires within `DURATION`")
	c.Flags().StringVar(&opts.SaveTo, "save-to", "", "write the token into the JSON secret `FILE` (0600, other keys kept) instead of printing it")
	c.Flags().StringVar(&opts.Key, "key", "token", "with --save-to: the `KEY` to store the token under")
	return c
}

// newCmdTokens builds the `authdeck tokens` group: print and revoke.
func newCmdTokens(f *factory) *cobra.Command {
	c := &cobra.Command{Use: "tokens", Short: "Token commands: print, revoke", Args: cobra.NoArgs}
	p := newTokenCmd(f, nil)
	p.Use = "print"
	r := newCmdRevoke(f, nil)
	c.AddCommand(p, r)
	return c
}

func tokenRun(ctx context.Context, o *tokenOptions) error {
	m, err := o.Profiles()
	if err != nil {
		return err
	}
	// One read of the config chooses the profile (flag, env, directory
	// file, active) and finds its token.
	cwd, _ := o.Cwd()
	minTTL := time.Duration(0) // profiles' default
	if o.minTTLSet {
		minTTL = cmp.Or(o.MinTTL, profiles.NoMinTTL) // an explicit 0 means no margin
	}
	res, err := m.Token(ctx, o.Profile, profiles.TokenOptions{MinTTL: minTTL, TokenFile: o.TokenFile, Cwd: cwd})
	if err != nil {
		return err
	}
	if res == nil || res.Token == nil || res.Token.AccessToken == "" {
		return noTokenError(o.Profile, res)
	}
	selectionWarning(o.ErrOut, func(s string) string { return s }, res.Warning)
	if res.RefreshErr != nil && o.ErrOut != nil {
		fmt.Fprintln(o.ErrOut, staleWarning(res))
	}
	if o.SaveTo != "" {
		if err := secretfile.Write(ctx, o.SaveTo, o.Key, res.Token.AccessToken); err != nil {
			return err
		}
		fmt.Fprintf(o.ErrOut, "Saved the token of %s under %q in %s\n", textsafe.Clean(res.Profile), textsafe.Clean(o.Key), textsafe.Clean(o.SaveTo))
		return nil
	}
	_, err = io.WriteString(o.Out, res.Token.AccessToken+"\n")
	return err
}

// staleWarning is the one line said when Token returned the current token
// because its refresh failed: the refresh's error and when the token runs
// out.
func staleWarning(res *profiles.TokenResult) string {
	why := res.RefreshErr
	var te *auth.TransientError
	if errors.As(why, &te) {
		why = te.Err // "temporary failure: " says nothing here
	}
	return fmt.Sprintf("warning: the token of profile %s could not be refreshed (%s); printed the current one, which expires at %s",
		textsafe.Clean(res.Profile), textsafe.Clean(why.Error()), res.Token.Expiry.UTC().Format(time.RFC3339))
}

// fastToken runs `token` (or `tokens print`) for host h without building
// the command tree when every argument is one it knows; ok is false
// otherwise, and the full command line handles the arguments.
func fastToken(ctx context.Context, h Host, args []string) (code int, ok bool) {
	o, ok := parseFastToken(args)
	if !ok {
		return 0, false
	}
	h, err := h.withDefaults()
	if err != nil {
		return 0, false
	}
	o.Out, o.ErrOut, o.Getenv, o.Cwd = h.Stdout, h.Stderr, h.Getenv, h.Getwd
	o.Profiles = func() (*profiles.Manager, error) {
		dir, err := h.configDir()
		if err != nil {
			return nil, err
		}
		return profiles.Open(h.profilesApp(dir))
	}
	err = tokenRun(ctx, o)
	if err == nil {
		return ExitOK, true
	}
	if ctx.Err() != nil {
		err = context.Canceled
	}
	writeError(h.Stderr, h.Name, err, "", h.Getenv != nil && h.Getenv(debugEnv(h)) == "1", nil)
	return ExitCode(err), true
}

// parseFastToken accepts exactly: [globals] (token | tokens print) [flags],
// where the flags are --profile, --token-file and (after the command)
// --min-ttl, as "--flag value" or "--flag=value".
func parseFastToken(args []string) (*tokenOptions, bool) {
	o := &tokenOptions{MinTTL: defaultMinTTL}
	seen := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case !seen && a == "token":
			seen = true
		case !seen && a == "tokens" && i+1 < len(args) && args[i+1] == "print":
			seen = true
			i++
		case a == "--profile" || a == "--token-file" || a == "--min-ttl":
			if i+1 >= len(args) || !setTokenFlag(o, a, args[i+1], seen) {
				return nil, false
			}
			i++
		case strings.HasPrefix(a, "--") && strings.Contains(a, "="):
			k, v, _ := strings.Cut(a, "=")
			if !setTokenFlag(o, k, v, seen) {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return o, seen
}

// setTokenFlag sets one flag of the fast path; --min-ttl belongs to the
// token command and is only accepted after it.
func setTokenFlag(o *tokenOptions, name, value string, afterCmd bool) bool {
	switch name {
	case "--profile":
		o.Profile = value
	case "--token-file":
		o.TokenFile = value
	case "--min-ttl":
		d, err := time.ParseDuration(value)
		if err != nil || d < 0 || !afterCmd {
			return false
		}
		o.MinTTL, o.minTTLSet = d, true
	default:
		return false
	}
	return value != "" || name == "--profile"
}
