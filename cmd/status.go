package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
	"github.com/spf13/cobra"
)

// statusOptions are the inputs of `authdeck status`.
type statusOptions struct {
	IO       *ioStreams
	AppName  string
	Profiles func() (*profiles.Manager, error)
	Cwd      func() (string, error)
	Now      func() time.Time

	Profile   string
	TokenFile string
	JSON      bool
}

// newCmdStatus builds `authdeck status`. runF replaces statusRun in tests.
func newCmdStatus(f *factory, runF func(*statusOptions) error) *cobra.Command {
	opts := &statusOptions{IO: f.IO, AppName: f.AppName, Profiles: f.Profiles, Cwd: f.Cwd, Now: f.Now}
	c := &cobra.Command{
		Use:   "status",
		Short: "List every profile: server, account, storage, expiry, token source",
		Long: `List every profile with its server, account, where its secret lives (keyring or
file), when its token expires, where the token in use comes from, and why the
selected profile was chosen. Nothing is sent to any server.

On a terminal columns are aligned and times relative; in a pipe columns are
tab-separated and times RFC 3339.`,
		Example: "  " + f.AppName + " status\n  " + f.AppName + " status --json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			g := f.Globals()
			opts.Profile, opts.TokenFile = g.Profile, g.TokenFile
			if runF != nil {
				return runF(opts)
			}
			return statusRun(c.Context(), opts)
		},
	}
	c.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON document")
	return c
}

// statusJSON is the stable --json document of status (version 1). It holds
// no secret.
type statusJSON struct {
	Version int `json:"version"`
	// Selected is the profile commands use now, and ChosenBy why.
	Selected string          `json:"selected,omitempty"`
	ChosenBy string          `json:"chosen_by,omitempty"`
	Profiles []statusJSONRow `json:"profiles"`
}

// statusJSONRow is one profile in statusJSON.
type statusJSONRow struct {
	Profile           string     `json:"profile"`
	Active            bool       `json:"active"`
	Selected          bool       `json:"selected"`
	Server            string     `json:"server"`
	Issuer            string     `json:"issuer,omitempty"`
	Account           string     `json:"account,omitempty"`
	Storage           string     `json:"storage"` // keyring, file, or "" when signed out
	CredentialsPath   string     `json:"credentials_path,omitempty"`
	TokenSource       string     `json:"token_source,omitempty"`
	TokenSourceDetail string     `json:"token_source_detail,omitempty"`
	TokenState        string     `json:"token_state"`
	ExpiresAt         *time.Time `json:"expires_at,omitempty"`
	HasRefresh        bool       `json:"has_refresh"`
	// Note says what is wrong and what to do (a token missing from
	// credentials.json, a file others can read).
	Note string `json:"note,omitempty"`
}

func statusRun(ctx context.Context, o *statusOptions) error {
	m, err := o.Profiles()
	if err != nil {
		return err
	}
	rows, err := m.Status(ctx, o.TokenFile)
	if err != nil {
		return err
	}
	cwd, _ := o.Cwd()
	sel, err := m.Select(ctx, o.Profile, cwd)
	selectionWarning(o.IO.ErrOut, o.IO.Warn, sel.Warning)
	if errors.Is(err, profiles.ErrUnknownProfile) && o.Profile == "" {
		// AUTHDECK_PROFILE or a directory file names no profile: status
		// is where one looks to see why, so it lists the profiles anyway.
		selectionWarning(o.IO.ErrOut, o.IO.Warn, err.Error()+"; no profile is selected here")
		sel, err = profiles.Selection{}, nil
	}
	if err != nil && !errors.Is(err, profiles.ErrNotLoggedIn) {
		return err
	}
	credPath := filepath.Join(m.App().ConfigDir, "credentials.json")
	doc := statusJSON{Version: 1, Selected: sel.Name, ChosenBy: sel.ChosenBy, Profiles: []statusJSONRow{}}
	for _, r := range rows {
		jr := statusJSONRow{
			Profile: r.Name, Active: r.Active, Selected: r.Name == sel.Name && sel.Name != "",
			Server: r.Server, Issuer: r.Issuer, Account: r.Account, Storage: string(r.Storage),
			TokenSource: string(r.Source), TokenSourceDetail: r.SourceDetail, TokenState: string(r.State),
			HasRefresh: r.HasRefresh, Note: r.Note,
		}
		if r.Storage == profiles.StorageFile {
			jr.CredentialsPath = credPath
		}
		if !r.Expiry.IsZero() {
			t := r.Expiry.UTC()
			jr.ExpiresAt = &t
		}
		doc.Profiles = append(doc.Profiles, cleanStatusRow(jr))
	}
	if o.JSON {
		return writeJSON(o.IO, doc)
	}
	if len(doc.Profiles) == 0 {
		fmt.Fprintf(o.IO.ErrOut, "No profiles yet; run `%s login`.\n", o.AppName)
		return nil
	}
	return printStatus(o.IO, doc, o.Now())
}

func cleanStatusRow(r statusJSONRow) statusJSONRow {
	for _, p := range []*string{&r.Profile, &r.Server, &r.Issuer, &r.Account, &r.CredentialsPath, &r.TokenSourceDetail, &r.Note} {
		*p = textsafe.Clean(*p)
	}
	return r
}

func printStatus(ios *ioStreams, doc statusJSON, now time.Time) error {
	tty := ios.IsStdoutTTY()
	t := newTable(ios.Out, tty)
	if tty {
		t.row("", "PROFILE", "SERVER", "ACCOUNT", "STORAGE", "TOKEN", "EXPIRES", "SOURCE", "CHOSEN BY")
	}
	file := ""
	for _, r := range doc.Profiles {
		mark := ""
		if r.Selected {
			mark = "*"
		}
		exp := "-"
		if r.ExpiresAt != nil {
			exp = formatTime(ios, *r.ExpiresAt, now)
		}
		src := r.TokenSource
		if r.TokenSourceDetail != "" {
			src += " " + r.TokenSourceDetail
		}
		chosen := ""
		if r.Selected {
			chosen = doc.ChosenBy
		} else if r.Active {
			chosen = "(active)"
		}
		storage := r.Storage
		if storage == "" {
			storage = "-"
		}
		if r.CredentialsPath != "" {
			file = r.CredentialsPath
		}
		if tty {
			t.row(mark, r.Profile, r.Server, dash(r.Account), storage, r.TokenState, exp, dash(src), chosen)
		} else {
			t.row(r.Profile, r.Server, r.Account, r.Storage, r.TokenState, exp, src, chosen)
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	notes := map[string]bool{}
	for _, r := range doc.Profiles {
		if r.Note != "" && !notes[r.Note] {
			notes[r.Note] = true // a loose file mode is noted once
			fmt.Fprintf(ios.ErrOut, "%s: %s\n", r.Profile, r.Note)
		}
	}
	if file != "" && tty {
		fmt.Fprintf(ios.ErrOut, "\nStorage \"file\" means plain text in %s (mode 0600).\n", file)
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// table prints aligned columns on a terminal and tab-separated ones in a
// pipe.
type table struct {
	w   io.Writer
	tw  *tabwriter.Writer
	tty bool
}

func newTable(w io.Writer, tty bool) *table {
	t := &table{w: w, tty: tty}
	if tty {
		t.tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	}
	return t
}

func (t *table) row(cells ...string) {
	if t.tty {
		fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
		return
	}
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(c, "\t", " ")
	}
	fmt.Fprintln(t.w, strings.Join(cells, "\t"))
}

func (t *table) flush() error {
	if t.tw != nil {
		return t.tw.Flush()
	}
	return nil
}
