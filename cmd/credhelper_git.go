package cmd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"

	"github.com/authdeck/authdeck/internal/execenv"
	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
	"github.com/spf13/cobra"
)

// gitHelperOptions are the inputs of `credential-helper git`.
type gitHelperOptions struct {
	Profile  string
	Username string
	Action   string // get, store, erase
}

func newCmdGitHelper(f *factory) *cobra.Command {
	var username string
	c := &cobra.Command{
		Use:   "git get|store|erase",
		Short: "git's credential helper: a profile's token as the HTTPS password",
		Long: `git's credential helper (gitcredentials(7)). git runs it with get, store or
erase and the request on stdin.

get answers username (--username, else the server's git_username, else
x-access-token for a GitHub server and oauth2 for the others), password (the profile's access token, refreshed first
when it expires soon) and password_expiry_utc. erase, which git sends after the
server refused the password (HTTP 401), refreshes the token at once, so the
next get has a new one. store does nothing: the profile keeps the token.

--profile is required: the helper never guesses whose token a host gets.
` + f.AppName + ` git setup HOST --profile NAME writes the git config that runs it.`,
		Example: `  git config --global credential.https://git.example.com.helper '!` + f.AppName + ` credential-helper git --profile work'
  printf 'protocol=https\nhost=git.example.com\n\n' | ` + f.AppName + ` credential-helper git --profile work get`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"get", "store", "erase"},
		RunE: func(c *cobra.Command, args []string) error {
			code := gitHelperRun(c.Context(), f.helperEnv(), gitHelperOptions{Profile: f.Globals().Profile, Username: username, Action: args[0]})
			if code != ExitOK {
				return &exitStatusError{Code: code}
			}
			return nil
		},
	}
	c.Flags().StringVar(&username, "username", "", "the `USER` name to answer beside the token (default the server's git_username, else x-access-token for GitHub, else oauth2)")
	return c
}

// readGitCredential reads git's key=value lines up to a blank line or the
// end of input.
func readGitCredential(r io.Reader) (map[string]string, error) {
	attrs := map[string]string{}
	sc := bufio.NewScanner(io.LimitReader(r, maxHelperInput))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("git sent a line without '=' on stdin; this helper is run by git (see gitcredentials(7))")
		}
		if !strings.HasSuffix(k, "[]") {
			attrs[k] = v
		}
	}
	return attrs, sc.Err()
}

// gitHelperRun answers one git credential request; it returns the exit
// code, having printed any error on e.ErrOut.
func gitHelperRun(ctx context.Context, e helperEnv, o gitHelperOptions) int {
	attrs, err := readGitCredential(e.In)
	if err != nil {
		return helperError(e, ctx, err)
	}
	switch o.Action {
	case "get":
	case "erase":
		// The server refused this password: refresh now if it is the
		// profile's current token (never on someone else's password).
		if o.Profile == "" || attrs["password"] == "" {
			return ExitOK
		}
		if _, err := helperToken(ctx, e, o.Profile, profiles.TokenOptions{Rejected: attrs["password"]}); err != nil {
			return helperError(e, ctx, err)
		}
		return ExitOK
	default:
		return ExitOK // store, and actions git adds later: nothing to do
	}
	host := attrs["host"]
	if o.Profile == "" {
		return helperError(e, ctx, errNoProfile(e.AppName, "git setup "+cmpOr(host, "HOST")+" --profile NAME"))
	}
	switch proto := attrs["protocol"]; {
	case proto == "https":
	case proto == "http" && loopbackHostPort(host):
	default:
		return helperError(e, ctx, fmt.Errorf("git asked for %s://%s; a token is only sent over https (plain http only to this machine); use an https:// remote URL", textsafe.Clean(proto), textsafe.Clean(host)))
	}
	res, err := helperToken(ctx, e, o.Profile, profiles.TokenOptions{})
	if err != nil {
		return helperError(e, ctx, err)
	}
	user := o.Username
	if user == "" {
		m, _ := e.Profiles()
		user = defaultUsername(ctx, m, res.Profile)
	}
	tok := res.Token
	if strings.ContainsAny(tok.AccessToken, "\n\x00") || strings.ContainsAny(user, "\n\x00") {
		return helperError(e, ctx, fmt.Errorf("the token of profile %q has a newline or NUL, which git's protocol cannot carry; run `%s login --profile %s`", res.Profile, e.AppName, res.Profile))
	}
	var b strings.Builder
	b.WriteString("username=" + user + "\n")
	b.WriteString("password=" + tok.AccessToken + "\n")
	if !tok.Expiry.IsZero() {
		b.WriteString("password_expiry_utc=" + strconv.FormatInt(tok.Expiry.Unix(), 10) + "\n")
	}
	if _, err := io.WriteString(e.Out, b.String()); err != nil {
		return helperError(e, ctx, err)
	}
	return ExitOK
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// loopbackHostPort reports whether host, with or without a port, is
// this machine: localhost or a loopback address.
func loopbackHostPort(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return loopbackHost(strings.Trim(host, "[]"))
}

// gitSetupOptions are the inputs of `authdeck git setup`.
type gitSetupOptions struct {
	Host     string
	Username string
	Print    bool
}

func newCmdGit(f *factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "git",
		Short: "Use a profile's token as git's HTTPS password: setup",
		Args:  cobra.NoArgs,
	}
	o := &gitSetupOptions{}
	setup := &cobra.Command{
		Use:   "setup HOST",
		Short: "Make git ask " + f.AppName + " for HOST's password",
		Long: `Write the global git config that makes git ask ` + f.AppName + ` credential-helper git
for the password of https://HOST (a host name, with :PORT when not 443):

  credential.https://HOST.helper = ""   (earlier helpers are not asked for HOST)
  credential.https://HOST.helper = !` + f.AppName + ` credential-helper git --profile NAME

The profile is --profile, else the one ` + f.AppName + ` token would use; its name is
written into the config, so later changes of the active profile do not change
whose token HOST gets. --print prints the git config commands instead of
running them.`,
		Example: `  ` + f.AppName + ` git setup github.com --profile gh
  ` + f.AppName + ` git setup git.example.com:8443 --profile work --username deploy
  ` + f.AppName + ` git setup git.example.com --profile work --print`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o.Host = args[0]
			if strings.Contains(o.Host, "://") || strings.ContainsAny(o.Host, "/ \t\r\n@") || o.Host == "" {
				return flagErrorf("HOST %q is a host name with an optional :PORT, like git.example.com; not a URL", textsafe.Clean(o.Host))
			}
			if strings.ContainsAny(o.Username, " \t\r\n'\"\\$`") {
				return flagErrorf("--username %q has a space, quote or shell character; choose a plain user name", textsafe.Clean(o.Username))
			}
			return gitSetupRun(c.Context(), f, o)
		},
	}
	setup.Flags().StringVar(&o.Username, "username", "", "the `USER` name git sends beside the token (default the server's git_username, else x-access-token for GitHub, else oauth2)")
	setup.Flags().BoolVar(&o.Print, "print", false, "print the git config commands instead of running them")
	c.AddCommand(setup)
	return c
}

func gitSetupRun(ctx context.Context, f *factory, o *gitSetupOptions) error {
	profile, err := selectProfile(ctx, f, f.Globals().Profile)
	if err != nil {
		return err
	}
	helper := "!" + shellJoin([]string{helperCommand(f)}) + " credential-helper git --profile " + profile
	if o.Username != "" {
		helper += " --username " + o.Username
	}
	key := "credential.https://" + o.Host + ".helper"
	cmds := [][]string{
		{"git", "config", "--global", "--replace-all", key, ""},
		{"git", "config", "--global", "--add", key, helper},
	}
	if o.Print {
		for _, c := range cmds {
			fmt.Fprintln(f.IO.Out, shellJoin(c))
		}
		return nil
	}
	git, err := execenv.LookPathFunc(f.Getenv)("git")
	if err != nil {
		return fmt.Errorf("git is not installed (not found on PATH); install it, or run `%s git setup %s --print` and run what it prints where git is", f.AppName, o.Host)
	}
	for _, c := range cmds {
		cmd := exec.CommandContext(ctx, git, c[1:]...)
		cmd.Stdout, cmd.Stderr = f.IO.ErrOut, f.IO.ErrOut
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", shellJoin(c), err)
		}
	}
	fmt.Fprintf(f.IO.ErrOut, "git now asks %s for the password of https://%s, with the token of profile %s\n", f.AppName, textsafe.Clean(o.Host), profile)
	return nil
}

// shellJoin quotes args for a POSIX shell.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
			q[i] = a
			continue
		}
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
