package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
	"github.com/spf13/cobra"
)

// whoamiOptions are the inputs of `authdeck whoami`.
type whoamiOptions struct {
	IO       *ioStreams
	Profiles func() (*profiles.Manager, error)
	Cwd      func() (string, error)
	Now      func() time.Time

	Profile   string
	TokenFile string
	JSON      bool
}

// newCmdWhoami builds `authdeck whoami`. runF replaces whoamiRun in tests.
func newCmdWhoami(f *factory, runF func(*whoamiOptions) error) *cobra.Command {
	opts := &whoamiOptions{IO: f.IO, Profiles: f.Profiles, Cwd: f.Cwd, Now: f.Now}
	c := &cobra.Command{
		Use:   "whoami",
		Short: "Show who the chosen profile is signed in as, asking the server",
		Long: `Show who the chosen profile is signed in as, asking the server's userinfo
endpoint with the profile's token (refreshed if needed). When the server
refuses the token (401: revoked, say), it is refreshed once and the server
asked again; when the refresh is refused too, the exit code is 4 and the
message names the login command that fixes it.

With --token-file, or a token in the environment, that token is the one
checked: the server is the chosen profile's, or the only configured one, and
a token the server rejects is an error.`,
		Example: `  ` + f.AppName + ` whoami
  ` + f.AppName + ` whoami --profile work --json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			g := f.Globals()
			opts.Profile, opts.TokenFile = g.Profile, g.TokenFile
			if runF != nil {
				return runF(opts)
			}
			return whoamiRun(c.Context(), opts)
		},
	}
	c.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON document")
	return c
}

// whoamiJSON is the stable --json document of whoami (version 1). It holds
// no secret.
type whoamiJSON struct {
	Version     int        `json:"version"`
	Profile     string     `json:"profile"`
	Server      string     `json:"server"`
	Issuer      string     `json:"issuer,omitempty"`
	Account     string     `json:"account"`
	Subject     string     `json:"subject,omitempty"`
	Username    string     `json:"username,omitempty"`
	Email       string     `json:"email,omitempty"`
	Name        string     `json:"name,omitempty"`
	TokenSource string     `json:"token_source,omitempty"`
	Storage     string     `json:"storage,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	Scopes      []string   `json:"scopes,omitempty"`
}

func whoamiRun(ctx context.Context, o *whoamiOptions) error {
	m, err := o.Profiles()
	if err != nil {
		return err
	}
	cwd, _ := o.Cwd()
	sel, err := m.Select(ctx, o.Profile, cwd)
	selectionWarning(o.IO.ErrOut, o.IO.Warn, sel.Warning)
	if err != nil && !errors.Is(err, profiles.ErrNotLoggedIn) {
		return err
	}
	cfg, err := m.Load(ctx)
	if err != nil {
		return err
	}
	var w *profiles.WhoAmI
	if ext, err := externalToken(ctx, m, cfg, sel.Name, o.TokenFile); err != nil {
		return err
	} else if ext != nil {
		w, err = whoamiExternal(ctx, m, cfg, ext)
		if err != nil {
			return err
		}
	} else if w, err = m.WhoAmI(ctx, sel.Name); err != nil {
		return err
	}
	doc := whoamiJSON{
		Version: 1, Profile: w.Profile.Name, Server: w.Server.Name, Issuer: w.Server.Issuer,
		TokenSource: m.App().SourceName(w.Source), Storage: m.App().StorageName(w.Profile.Storage), Scopes: w.Scopes,
	}
	if w.Identity != nil {
		doc.Account = w.Identity.Display()
		doc.Subject, doc.Username, doc.Email, doc.Name = w.Identity.Subject, w.Identity.Username, w.Identity.Email, w.Identity.Name
	}
	if doc.Account == "" && !w.Source.ReadOnly() {
		doc.Account = w.Profile.Account()
	}
	if !w.Expiry.IsZero() {
		t := w.Expiry.UTC()
		doc.ExpiresAt = &t
	}
	if o.JSON {
		return writeJSON(o.IO, cleanWhoami(doc))
	}
	out := o.IO.Out
	fmt.Fprintf(out, "%s\n", textsafe.Clean(doc.Account))
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(out, "  %-9s %s\n", k+":", textsafe.Clean(v))
		}
	}
	row("profile", doc.Profile)
	row("server", doc.Server)
	row("issuer", doc.Issuer)
	row("subject", doc.Subject)
	row("name", doc.Name)
	row("email", doc.Email)
	row("source", doc.TokenSource)
	if doc.ExpiresAt != nil {
		row("expires", formatTime(o.IO, *doc.ExpiresAt, o.Now()))
	}
	row("scopes", strings.Join(doc.Scopes, " "))
	return nil
}

// extToken is a token given from outside (--token-file, the environment),
// with the profile and server it is checked against.
type extToken struct {
	value   string
	source  profiles.Source
	from    string // "--token-file PATH", "$AUTHDECK_TOKEN"
	profile profiles.Profile
	server  profiles.Server
	servers int // configured servers, when server is unknown
}

// externalToken is the token of --token-file or the environment, or nil
// when the stored login applies. Its server is the chosen profile's, else
// the only configured one.
func externalToken(ctx context.Context, m *profiles.Manager, cfg *profiles.Config, profile, tokenFile string) (*extToken, error) {
	e := &extToken{servers: len(cfg.Servers)}
	if profile != "" {
		if p, ok := cfg.Profile(profile); ok {
			e.profile = p
			e.server, _ = cfg.Server(p.Server)
		}
	} else if len(cfg.Servers) == 1 {
		e.server = cfg.Servers[0]
	}
	if tokenFile != "" {
		r, err := m.Token(ctx, profile, profiles.TokenOptions{TokenFile: tokenFile})
		if err != nil {
			return nil, err
		}
		e.value, e.source, e.from = r.Token.AccessToken, profiles.SourceTokenFile, "--token-file "+tokenFile
		return e, nil
	}
	getenv := m.App().Getenv
	if getenv == nil {
		return nil, nil
	}
	for _, c := range []struct {
		name string
		src  profiles.Source
	}{{e.server.EnvVar, profiles.SourceServerEnv}, {m.App().EnvToken, profiles.SourceEnv}} {
		if c.name == "" {
			continue
		}
		if v := strings.TrimSpace(getenv(c.name)); v != "" {
			e.value, e.source, e.from = v, c.src, "$"+c.name
			return e, nil
		}
	}
	return nil, nil
}

// whoamiExternal asks the server's userinfo endpoint who an external token
// belongs to. Without a userinfo endpoint the token cannot be checked, so
// that is an error rather than the stored account.
func whoamiExternal(ctx context.Context, m *profiles.Manager, cfg *profiles.Config, e *extToken) (*profiles.WhoAmI, error) {
	from := textsafe.Clean(e.from)
	if e.server.Name == "" {
		switch e.servers {
		case 0:
			return nil, fmt.Errorf("no server is configured to check the token from %s with%s", from, suggest("; add its server with ", cmdq(m, "servers add", "")))
		default:
			return nil, flagErrorf("several servers are configured (%s), so it is not known which one the token from %s is for; choose a profile of its server with --profile",
				serverNames(cfg), from)
		}
	}
	name := textsafe.Clean(e.server.Name)
	if e.server.UserInfoURL == "" {
		return nil, fmt.Errorf("server %s has no userinfo endpoint, so the token from %s cannot be checked", name, from)
	}
	id, err := m.Client(e.server).UserInfo(ctx, e.value)
	if err != nil {
		return nil, fmt.Errorf("the token from %s was not accepted by %s: %w", from, name, err)
	}
	return &profiles.WhoAmI{Profile: e.profile, Server: e.server, Identity: id, Source: e.source}, nil
}

func cleanWhoami(d whoamiJSON) whoamiJSON {
	for _, p := range []*string{&d.Profile, &d.Server, &d.Issuer, &d.Account, &d.Subject, &d.Username, &d.Email, &d.Name} {
		*p = textsafe.Clean(*p)
	}
	return d
}

// writeJSON writes v as indented JSON on stdout.
func writeJSON(io *ioStreams, v any) error {
	enc := json.NewEncoder(io.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// formatTime is relative on a terminal ("in 55m", "3h ago") and RFC 3339 in
// a pipe.
func formatTime(io *ioStreams, t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	if !io.IsStdoutTTY() {
		return t.UTC().Format(time.RFC3339)
	}
	return relTime(t, now)
}

func relTime(t, now time.Time) string {
	d := t.Sub(now)
	past := d < 0
	if past {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		s = fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		s = fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		s = fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		s = fmt.Sprintf("%dd", int(d.Hours()/24))
	}
	if past {
		return s + " ago"
	}
	return "in " + s
}
