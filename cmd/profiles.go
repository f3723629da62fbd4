package cmd

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
	"github.com/spf13/cobra"
)

// profilesListOptions are the inputs of `authdeck profiles list`.
type profilesListOptions struct {
	IO       *ioStreams
	AppName  string
	Profiles func() (*profiles.Manager, error)
	Now      func() time.Time

	JSON bool
}

// profilesUseOptions are the inputs of `authdeck profiles use`.
type profilesUseOptions struct {
	IO       *ioStreams
	Profiles func() (*profiles.Manager, error)

	Name string
}

// profilesRenameOptions are the inputs of `authdeck profiles rename`.
type profilesRenameOptions struct {
	IO       *ioStreams
	Profiles func() (*profiles.Manager, error)

	Old, New string
}

// profilesRmOptions are the inputs of `authdeck profiles rm`.
type profilesRmOptions struct {
	IO       *ioStreams
	Profiles func() (*profiles.Manager, error)
	Prompter prompter

	Name string
	Yes  bool
}

// profilesTrustOptions are the inputs of `authdeck profiles trust` and
// `authdeck profiles untrust`.
type profilesTrustOptions struct {
	IO       *ioStreams
	AppName  string
	Profiles func() (*profiles.Manager, error)
	Cwd      func() (string, error)

	// Path is the file or directory argument, if any.
	Path string
}

// profilesCmd builds `authdeck profiles` with list, use, rename and rm.
func profilesCmd(f *factory) *cobra.Command {
	return newCmdProfiles(f)
}

func newCmdProfiles(f *factory) *cobra.Command {
	c := &cobra.Command{Use: "profiles", Short: "List, choose, rename and remove profiles", Args: cobra.NoArgs}
	c.AddCommand(
		newCmdProfilesList(f, nil),
		newCmdProfilesUse(f, nil),
		newCmdProfilesRename(f, nil),
		newCmdProfilesRm(f, nil),
		newCmdProfilesTrust(f, nil),
		newCmdProfilesUntrust(f, nil),
	)
	return c
}

func newCmdProfilesList(f *factory, runF func(*profilesListOptions) error) *cobra.Command {
	o := &profilesListOptions{IO: f.IO, AppName: f.AppName, Profiles: f.Profiles, Now: f.Now}
	c := &cobra.Command{
		Use: "list", Aliases: []string{"ls"}, Short: "List profiles (from the config only; no keyring, no network)", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, a []string) error {
			if runF != nil {
				return runF(o)
			}
			return profilesListRun(c.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.JSON, "json", false, "print a JSON document")
	return c
}

func newCmdProfilesUse(f *factory, runF func(*profilesUseOptions) error) *cobra.Command {
	o := &profilesUseOptions{IO: f.IO, Profiles: f.Profiles}
	return &cobra.Command{
		Use: "use NAME", Short: "Make a profile the active one", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, a []string) error {
			o.Name = a[0]
			if runF != nil {
				return runF(o)
			}
			return profilesUseRun(c.Context(), o)
		},
	}
}

func newCmdProfilesRename(f *factory, runF func(*profilesRenameOptions) error) *cobra.Command {
	o := &profilesRenameOptions{IO: f.IO, Profiles: f.Profiles}
	return &cobra.Command{
		Use: "rename OLD NEW", Short: "Rename a profile (its secret stays where it is)", Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, a []string) error {
			o.Old, o.New = a[0], a[1]
			if runF != nil {
				return runF(o)
			}
			return profilesRenameRun(c.Context(), o)
		},
	}
}

func newCmdProfilesRm(f *factory, runF func(*profilesRmOptions) error) *cobra.Command {
	o := &profilesRmOptions{IO: f.IO, Profiles: f.Profiles, Prompter: f.Prompter}
	c := &cobra.Command{
		Use: "rm NAME", Aliases: []string{"remove"}, Short: "Remove a profile and forget its secret", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, a []string) error {
			o.Name = a[0]
			if err := oneProfile(a[0], f.Globals().Profile); err != nil {
				return err
			}
			if !o.Yes && !o.IO.CanPrompt() {
				return flagErrorf("--yes is required when not running interactively")
			}
			if runF != nil {
				return runF(o)
			}
			return profilesRmRun(c.Context(), o)
		},
	}
	c.Flags().BoolVarP(&o.Yes, "yes", "y", false, "do not ask for confirmation")
	return c
}

func newCmdProfilesTrust(f *factory, runF func(*profilesTrustOptions) error) *cobra.Command {
	o := &profilesTrustOptions{IO: f.IO, AppName: f.AppName, Profiles: f.Profiles, Cwd: f.Cwd}
	return &cobra.Command{
		Use: "trust [PATH]", Short: "Let a directory file choose the profile, while its content stays as it is now", Args: cobra.MaximumNArgs(1),
		Long: "Let the per-directory file PATH (or the nearest one from the directory PATH, by default the current directory) choose the profile for commands run below it.\n\n" +
			"A directory file is ignored, with a warning, until it is trusted: it may come with a repository someone else wrote, and it decides which account's token `exec` and `api` send. " +
			"Trust records the file's path and the SHA-256 of its content; once the file changes it is ignored again until trusted again.",
		RunE: func(c *cobra.Command, a []string) error {
			if len(a) > 0 {
				o.Path = a[0]
			}
			if runF != nil {
				return runF(o)
			}
			return profilesTrustRun(c.Context(), o)
		},
	}
}

func newCmdProfilesUntrust(f *factory, runF func(*profilesTrustOptions) error) *cobra.Command {
	o := &profilesTrustOptions{IO: f.IO, AppName: f.AppName, Profiles: f.Profiles, Cwd: f.Cwd}
	return &cobra.Command{
		Use: "untrust [PATH]", Short: "Stop a directory file from choosing the profile", Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, a []string) error {
			if len(a) > 0 {
				o.Path = a[0]
			}
			if runF != nil {
				return runF(o)
			}
			return profilesUntrustRun(c.Context(), o)
		},
	}
}

// profilesJSON is the stable --json document of `profiles list` (version 1).
type profilesJSON struct {
	Version  int                `json:"version"`
	Active   string             `json:"active,omitempty"`
	Profiles []profilesJSONItem `json:"profiles"`
}

// profilesJSONItem is one profile in profilesJSON. It holds no secret.
type profilesJSONItem struct {
	Name        string     `json:"name"`
	Active      bool       `json:"active"`
	Server      string     `json:"server"`
	Account     string     `json:"account,omitempty"`
	Subject     string     `json:"subject,omitempty"`
	Username    string     `json:"username,omitempty"`
	Email       string     `json:"email,omitempty"`
	Storage     string     `json:"storage"`
	SignedIn    bool       `json:"signed_in"`
	TokenExpiry *time.Time `json:"token_expiry,omitempty"`
	HasRefresh  bool       `json:"has_refresh"`
	LoggedInAt  *time.Time `json:"logged_in_at,omitempty"`
	Scopes      []string   `json:"scopes,omitempty"`
}

// profilesUseRun makes a profile the active one.
func profilesUseRun(ctx context.Context, o *profilesUseOptions) error {
	m, err := o.Profiles()
	if err != nil {
		return err
	}
	if err := m.Use(ctx, o.Name); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "Active profile: %s\n", textsafe.Clean(o.Name))
	return nil
}

// profilesRenameRun renames a profile.
func profilesRenameRun(ctx context.Context, o *profilesRenameOptions) error {
	m, err := o.Profiles()
	if err != nil {
		return err
	}
	if err := m.Rename(ctx, o.Old, o.New); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "Renamed %s to %s\n", textsafe.Clean(o.Old), textsafe.Clean(o.New))
	return nil
}

// profilesRmRun removes a profile, after asking unless --yes.
func profilesRmRun(ctx context.Context, o *profilesRmOptions) error {
	m, err := o.Profiles()
	if err != nil {
		return err
	}
	name := o.Name
	if !o.Yes {
		ok, err := o.Prompter.Confirm(ctx, fmt.Sprintf("Remove profile %s? This forgets its tokens on this machine (they stay valid at the server until they expire) and removes it from the config.", textsafe.Clean(name)), false)
		if err != nil {
			return err
		}
		if !ok {
			return ErrCancel
		}
	}
	if err := m.Remove(ctx, name); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "Removed profile %s\n", textsafe.Clean(name))
	return nil
}

// profilesListRun prints the profiles as a table or a JSON document.
func profilesListRun(ctx context.Context, o *profilesListOptions) error {
	m, err := o.Profiles()
	if err != nil {
		return err
	}
	cfg, err := m.Load(ctx)
	if err != nil {
		return err
	}
	doc := profilesDoc(cfg, m.App())
	if o.JSON {
		return writeJSON(o.IO, doc)
	}
	if len(doc.Profiles) == 0 {
		fmt.Fprintf(o.IO.ErrOut, "No profiles yet; run `%s login`.\n", o.AppName)
		return nil
	}
	tty := o.IO.IsStdoutTTY()
	t := newTable(o.IO.Out, tty)
	if tty {
		t.row("", "NAME", "SERVER", "ACCOUNT", "STORAGE", "EXPIRES")
	}
	for _, p := range doc.Profiles {
		exp := "-"
		if p.TokenExpiry != nil {
			exp = formatTime(o.IO, *p.TokenExpiry, o.Now())
		}
		storage := p.Storage
		if !p.SignedIn {
			storage = "signed-out"
		}
		if tty {
			mark := ""
			if p.Active {
				mark = "*"
			}
			t.row(mark, p.Name, p.Server, dash(p.Account), storage, exp)
		} else {
			act := ""
			if p.Active {
				act = "active"
			}
			t.row(p.Name, p.Server, p.Account, storage, exp, act)
		}
	}
	return t.flush()
}

// profilesDoc is the profiles of cfg, strings cleaned. It holds no secret.
func profilesDoc(cfg *profiles.Config, app profiles.App) profilesJSON {
	doc := profilesJSON{Version: 1, Active: textsafe.Clean(cfg.Active), Profiles: []profilesJSONItem{}}
	for _, p := range cfg.Profiles {
		it := profilesJSONItem{
			Name: p.Name, Active: p.Name == cfg.Active, Server: p.Server, Account: p.Account(),
			Subject: p.Subject, Username: p.Username, Email: p.Email, Storage: app.StorageName(p.Storage),
			SignedIn: p.SignedIn(), HasRefresh: p.HasRefresh, Scopes: p.Scopes,
		}
		if !p.TokenExpiry.IsZero() {
			t := p.TokenExpiry.UTC()
			it.TokenExpiry = &t
		}
		if !p.LoggedInAt.IsZero() {
			t := p.LoggedInAt.UTC()
			it.LoggedInAt = &t
		}
		for _, s := range []*string{&it.Name, &it.Server, &it.Account, &it.Subject, &it.Username, &it.Email} {
			*s = textsafe.Clean(*s)
		}
		doc.Profiles = append(doc.Profiles, it)
	}
	return doc
}

// trustTarget is the file or directory trust and untrust act on: the
// argument, else the current directory.
func (o *profilesTrustOptions) trustTarget() string {
	target := o.Path
	if target == "" && o.Cwd != nil {
		target, _ = o.Cwd()
	}
	if target == "" {
		target = "."
	}
	return target
}

// profilesUntrustRun runs `profiles untrust`.
func profilesUntrustRun(ctx context.Context, o *profilesTrustOptions) error {
	m, err := o.Profiles()
	if err != nil {
		return err
	}
	path, removed, err := m.UntrustDirFile(ctx, o.trustTarget())
	if err != nil {
		return err
	}
	if !removed {
		fmt.Fprintf(o.IO.ErrOut, "%s was not trusted\n", textsafe.Clean(path))
		return nil
	}
	fmt.Fprintf(o.IO.ErrOut, "No longer trusted: %s\n", textsafe.Clean(path))
	return nil
}

// profilesTrustRun runs `profiles trust`.
func profilesTrustRun(ctx context.Context, o *profilesTrustOptions) error {
	m, err := o.Profiles()
	if err != nil {
		return err
	}
	tf, err := m.TrustDirFile(ctx, o.trustTarget())
	if err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "Trusted %s: commands below %s use profile %s\n", textsafe.Clean(tf.Path), textsafe.Clean(filepath.Dir(tf.Path)), textsafe.Clean(tf.Profile))
	if !tf.Known {
		fmt.Fprintf(o.IO.ErrOut, "%s there is no profile %s yet; run `%s login --profile %s`\n", o.IO.Warn("Note:"), textsafe.Clean(tf.Profile), o.AppName, textsafe.Clean(tf.Profile))
	}
	return nil
}
