package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
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
	// Check asks each profile's server whether its login is still valid.
	Check bool
}

// newCmdStatus builds `authdeck status`. runF replaces statusRun in tests.
func newCmdStatus(f *factory, runF func(*statusOptions) error) *cobra.Command {
	opts := &statusOptions{IO: f.IO, AppName: f.AppName, Profiles: f.Profiles, Cwd: f.Cwd, Now: f.Now}
	c := &cobra.Command{
		Use:   "status",
		Short: "List every profile: server, account, storage, expiry, token source",
		Long: `List every profile with its server, account, where its secret lives (keyring or
file), when its token expires, where the token in use comes from, and why the
selected profile was chosen. Nothing is sent to any server: a login the server
has revoked still shows when its token expires.

--check asks each profile's server (its userinfo endpoint, with the stored
access token; all servers at once, within 15 seconds) whether the login is
valid, revoked or unreachable. Nothing is refreshed: an access token that has
expired is reported as expired without asking.

On a terminal columns are aligned, times relative and states marked (✓ ✗ !),
in colour unless NO_COLOR is set; in a pipe columns are tab-separated, times
RFC 3339, and --check adds the check's state as the last column.`,
		Example: "  " + f.AppName + " status\n  " + f.AppName + " status --check\n  " + f.AppName + " status --json",
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
	c.Flags().BoolVar(&opts.Check, "check", false, "ask each server whether the login is still valid")
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
	// StorageFallback is why the secret is in the credentials file and
	// not the keyring: the keyring's error when it was saved.
	StorageFallback string `json:"storage_fallback,omitempty"`
	// Check is the server's answer, with --check only.
	Check *statusJSONCheck `json:"check,omitempty"`
}

// statusJSONCheck is what the server said of a profile's login (--check).
type statusJSONCheck struct {
	// State is valid, revoked, expired, unreachable, error, unknown (the
	// server has no userinfo endpoint) or signed-out.
	State string `json:"state"`
	// Refreshable: with "expired", a refresh token is stored.
	Refreshable bool `json:"refreshable,omitempty"`
	// Detail is the reason, for states other than valid and signed-out.
	Detail string `json:"detail,omitempty"`
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
	var checks map[string]profiles.CheckResult
	if o.Check {
		res, err := m.Check(ctx, nil)
		if err != nil {
			return err
		}
		checks = map[string]profiles.CheckResult{}
		for _, c := range res {
			checks[c.Name] = c
		}
	}
	credPath := filepath.Join(m.App().ConfigDir, "credentials.json")
	doc := statusJSON{Version: 1, Selected: sel.Name, ChosenBy: sel.ChosenBy, Profiles: []statusJSONRow{}}
	for _, r := range rows {
		jr := statusJSONRow{
			Profile: r.Name, Active: r.Active, Selected: r.Name == sel.Name && sel.Name != "",
			Server: r.Server, Issuer: r.Issuer, Account: r.Account, Storage: m.App().StorageName(r.Storage),
			TokenSource: m.App().SourceName(r.Source), TokenSourceDetail: r.SourceDetail, TokenState: string(r.State),
			HasRefresh: r.HasRefresh, Note: r.Note, StorageFallback: r.Fallback,
		}
		if c, ok := checks[r.Name]; ok {
			jr.Check = &statusJSONCheck{State: string(c.State), Refreshable: c.Refreshable, Detail: textsafe.Clean(c.Detail)}
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
	if err := printStatus(o.IO, doc, o.Now(), o.AppName); err != nil {
		return err
	}
	if note := m.FallbackNote(ctx, rows); note != "" {
		fmt.Fprintf(o.IO.ErrOut, "%s %s\n", o.IO.Warn("WARNING:"), textsafe.Clean(note))
	}
	return nil
}

func cleanStatusRow(r statusJSONRow) statusJSONRow {
	for _, p := range []*string{&r.Profile, &r.Server, &r.Issuer, &r.Account, &r.CredentialsPath, &r.TokenSourceDetail, &r.Note, &r.StorageFallback} {
		*p = textsafe.Clean(*p)
	}
	return r
}

func printStatus(ios *ioStreams, doc statusJSON, now time.Time, app string) error {
	tty := ios.IsStdoutTTY()
	t := newTable(ios.Out, tty)
	checked := len(doc.Profiles) > 0 && doc.Profiles[0].Check != nil
	if tty {
		head := []string{"", "PROFILE", "SERVER", "ACCOUNT", "STORAGE", ios.paint(sgrNone, "TOKEN"), "SOURCE", "CHOSEN BY"}
		if checked {
			head = slices.Insert(head, 6, ios.paint(sgrNone, "CHECK"))
		}
		t.row(head...)
	}
	file := ""
	fallback := false
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
		fallback = fallback || r.StorageFallback != ""
		var cells []string
		if tty {
			cells = []string{mark, r.Profile, r.Server, dash(r.Account), storage, tokenCell(ios, r, now), dash(src), chosen}
			if checked {
				cells = slices.Insert(cells, 6, checkCell(ios, r.Check))
			}
		} else {
			cells = []string{r.Profile, r.Server, r.Account, r.Storage, r.TokenState, exp, src, chosen}
			if checked {
				cells = append(cells, r.Check.State)
			}
		}
		t.row(cells...)
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
	if checked {
		for _, r := range doc.Profiles {
			if d := checkDetail(r, app); d != "" {
				fmt.Fprintf(ios.ErrOut, "%s: %s\n", r.Profile, d)
			}
		}
	}
	if file != "" && tty && !fallback {
		fmt.Fprintf(ios.ErrOut, "\nStorage \"file\" means plain text in %s (mode 0600).\n", file)
	}
	return nil
}

// tokenCell says on a terminal what the config knows of a token: when it
// expires (not whether the server still honours it: that takes --check),
// marked and coloured.
func tokenCell(ios *ioStreams, r statusJSONRow, now time.Time) string {
	when := func(word string) string {
		if r.ExpiresAt == nil {
			return word
		}
		return word + " " + relTime(*r.ExpiresAt, now)
	}
	switch profiles.TokenState(r.TokenState) {
	case profiles.StateValid:
		if r.ExpiresAt == nil {
			return ios.paint(sgrGreen, "✓") + " no expiry"
		}
		return ios.paint(sgrGreen, "✓") + " " + when("expires")
	case profiles.StateExpiring:
		return ios.paint(sgrYellow, "!") + " " + when("expires")
	case profiles.StateRefreshable:
		return ios.paint(sgrYellow, "↻") + " " + when("expired") + ", refreshable"
	case profiles.StateExpired:
		return ios.paint(sgrRed, "✗") + " " + when("expired")
	case profiles.StateSignedOut:
		return ios.paint(sgrFaint, "-") + " signed out"
	case profiles.StateExternal:
		return ios.paint(sgrFaint, "~") + " external"
	}
	return ios.paint(sgrRed, "✗") + " " + r.TokenState // missing, unreadable
}

// checkCell is the --check column on a terminal.
func checkCell(ios *ioStreams, c *statusJSONCheck) string {
	switch profiles.CheckState(c.State) {
	case profiles.CheckValid:
		return ios.paint(sgrGreen, "✓") + " valid"
	case profiles.CheckRevoked:
		return ios.paint(sgrRed, "✗") + " revoked"
	case profiles.CheckUnreachable:
		return ios.paint(sgrYellow, "?") + " unreachable"
	case profiles.CheckExpired:
		if c.Refreshable {
			return ios.paint(sgrYellow, "↻") + " expired"
		}
		return ios.paint(sgrRed, "✗") + " expired"
	case profiles.CheckError:
		return ios.paint(sgrRed, "!") + " error"
	}
	return ios.paint(sgrFaint, "-") + " " + strings.ReplaceAll(c.State, "-", " ") // unknown, signed out
}

// checkDetail is the line said of a profile's check on stderr: the reason
// and what to do; "" for a valid or signed-out profile.
func checkDetail(r statusJSONRow, app string) string {
	c := r.Check
	login := fmt.Sprintf("run `%s login --profile %s`", app, r.Profile)
	switch profiles.CheckState(c.State) {
	case profiles.CheckValid, profiles.CheckSignedOut:
		return ""
	case profiles.CheckRevoked:
		return fmt.Sprintf("revoked: %s; %s", c.Detail, login)
	case profiles.CheckExpired:
		if c.Refreshable {
			return fmt.Sprintf("expired: not asked; `%s token --profile %s` refreshes it, or says the login has ended", app, r.Profile)
		}
		return "expired: the server gave no refresh token; " + login
	case profiles.CheckUnknown:
		return "not checked: " + c.Detail
	}
	return c.State + ": " + c.Detail
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
