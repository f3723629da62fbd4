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

// WhoamiOptions are the inputs of `authdeck whoami`.
type WhoamiOptions struct {
	IO       *IOStreams
	Profiles func() (*profiles.Manager, error)
	Cwd      func() (string, error)
	Now      func() time.Time

	Profile string
	JSON    bool
}

// NewCmdWhoami builds `authdeck whoami`. runF replaces whoamiRun in tests.
func NewCmdWhoami(f *Factory, runF func(*WhoamiOptions) error) *cobra.Command {
	opts := &WhoamiOptions{IO: f.IO, Profiles: f.Profiles, Cwd: f.Cwd, Now: f.Now}
	c := &cobra.Command{
		Use:   "whoami",
		Short: "Show who the chosen profile is signed in as, asking the server",
		Example: `  ` + f.AppName + ` whoami
  ` + f.AppName + ` whoami --profile work --json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Profile = f.Globals().Profile
			if runF != nil {
				return runF(opts)
			}
			return whoamiRun(c.Context(), opts)
		},
	}
	c.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON document")
	return c
}

// WhoamiJSON is the stable --json document of whoami (version 1). It holds
// no secret.
type WhoamiJSON struct {
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

func whoamiRun(ctx context.Context, o *WhoamiOptions) error {
	m, err := o.Profiles()
	if err != nil {
		return err
	}
	cwd, _ := o.Cwd()
	sel, err := m.Select(ctx, o.Profile, cwd)
	if err != nil && !errors.Is(err, profiles.ErrNotLoggedIn) {
		return err
	}
	w, err := m.WhoAmI(ctx, sel.Name)
	if err != nil {
		return err
	}
	doc := WhoamiJSON{
		Version: 1, Profile: w.Profile.Name, Server: w.Server.Name, Issuer: w.Server.Issuer,
		TokenSource: string(w.Source), Storage: string(w.Profile.Storage), Scopes: w.Scopes,
	}
	if w.Identity != nil {
		doc.Account = w.Identity.Display()
		doc.Subject, doc.Username, doc.Email, doc.Name = w.Identity.Subject, w.Identity.Username, w.Identity.Email, w.Identity.Name
	}
	if doc.Account == "" {
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

func cleanWhoami(d WhoamiJSON) WhoamiJSON {
	for _, p := range []*string{&d.Profile, &d.Server, &d.Issuer, &d.Account, &d.Subject, &d.Username, &d.Email, &d.Name} {
		*p = textsafe.Clean(*p)
	}
	return d
}

// writeJSON writes v as indented JSON on stdout.
func writeJSON(io *IOStreams, v any) error {
	enc := json.NewEncoder(io.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// formatTime is relative on a terminal ("in 55m", "3h ago") and RFC 3339 in
// a pipe.
func formatTime(io *IOStreams, t, now time.Time) string {
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
