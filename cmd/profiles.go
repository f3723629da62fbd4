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

// profilesOptions are the inputs of the `authdeck profiles` subcommands.
type profilesOptions struct {
	IO       *ioStreams
	AppName  string
	Profiles func() (*profiles.Manager, error)
	Prompter prompter
	Now      func() time.Time
	Cwd      func() (string, error)

	// Action is "list", "use", "rename", "rm", "trust" or "untrust".
	Action string
	Args   []string
	JSON   bool
	Yes    bool
}

// profilesCmd builds `authdeck profiles` with list, use, rename and rm.
func profilesCmd(f *factory) *cobra.Command {
	return newCmdProfiles(f, nil)
}

func newCmdProfiles(f *factory, runF func(*profilesOptions) error) *cobra.Command {
	c := &cobra.Command{Use: "profiles", Short: "List, choose, rename and remove profiles", Args: cobra.NoArgs}
	mk := func(action, use, short string, args cobra.PositionalArgs, setup func(*cobra.Command, *profilesOptions)) *cobra.Command {
		opts := &profilesOptions{IO: f.IO, AppName: f.AppName, Profiles: f.Profiles, Prompter: f.Prompter, Now: f.Now, Cwd: f.Cwd, Action: action}
		sc := &cobra.Command{
			Use: use, Short: short, Args: args,
			RunE: func(c *cobra.Command, a []string) error {
				opts.Args = a
				if action == "rm" {
					if err := oneProfile(a[0], f.Globals().Profile); err != nil {
						return err
					}
				}
				if action == "rm" && !opts.Yes && !opts.IO.CanPrompt() {
					return flagErrorf("--yes is required when not running interactively")
				}
				if runF != nil {
					return runF(opts)
				}
				return profilesRun(c.Context(), opts)
			},
		}
		if setup != nil {
			setup(sc, opts)
		}
		return sc
	}
	c.AddCommand(
		mk("list", "list", "List profiles (from the config only; no keyring, no network)", cobra.NoArgs, func(c *cobra.Command, o *profilesOptions) {
			c.Aliases = []string{"ls"}
			c.Flags().BoolVar(&o.JSON, "json", false, "print a JSON document")
		}),
		mk("use", "use NAME", "Make a profile the active one", cobra.ExactArgs(1), nil),
		mk("rename", "rename OLD NEW", "Rename a profile (its secret stays where it is)", cobra.ExactArgs(2), nil),
		mk("rm", "rm NAME", "Remove a profile and forget its secret", cobra.ExactArgs(1), func(c *cobra.Command, o *profilesOptions) {
			c.Aliases = []string{"remove"}
			c.Flags().BoolVarP(&o.Yes, "yes", "y", false, "do not ask for confirmation")
		}),
		mk("trust", "trust [PATH]", "Let a directory file choose the profile, while its content stays as it is now", cobra.MaximumNArgs(1), func(c *cobra.Command, o *profilesOptions) {
			c.Long = "Let the per-directory file PATH (or the nearest one from the directory PATH, by default the current directory) choose the profile for commands run below it.\n\n" +
				"A directory file is ignored, with a warning, until it is trusted: it may come with a repository someone else wrote, and it decides which account's token `exec` and `api` send. " +
				"Trust records the file's path and the SHA-256 of its content; once the file changes it is ignored again until trusted again."
		}),
		mk("untrust", "untrust [PATH]", "Stop a directory file from choosing the profile", cobra.MaximumNArgs(1), nil),
	)
	return c
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

func profilesRun(ctx context.Context, o *profilesOptions) error {
	m, err := o.Profiles()
	if err != nil {
		return err
	}
	switch o.Action {
	case "use":
		if err := m.Use(ctx, o.Args[0]); err != nil {
			return err
		}
		fmt.Fprintf(o.IO.ErrOut, "Active profile: %s\n", textsafe.Clean(o.Args[0]))
		return nil
	case "rename":
		if err := m.Rename(ctx, o.Args[0], o.Args[1]); err != nil {
			return err
		}
		fmt.Fprintf(o.IO.ErrOut, "Renamed %s to %s\n", textsafe.Clean(o.Args[0]), textsafe.Clean(o.Args[1]))
		return nil
	case "trust", "untrust":
		return trustRun(ctx, o, m)
	case "rm":
		name := o.Args[0]
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
	cfg, err := m.Load(ctx)
	if err != nil {
		return err
	}
	doc := profilesJSON{Version: 1, Active: textsafe.Clean(cfg.Active), Profiles: []profilesJSONItem{}}
	for _, p := range cfg.Profiles {
		it := profilesJSONItem{
			Name: p.Name, Active: p.Name == cfg.Active, Server: p.Server, Account: p.Account(),
			Subject: p.Subject, Username: p.Username, Email: p.Email, Storage: m.App().StorageName(p.Storage),
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

// trustRun runs `profiles trust` and `profiles untrust`.
func trustRun(ctx context.Context, o *profilesOptions, m *profiles.Manager) error {
	target := ""
	if len(o.Args) > 0 {
		target = o.Args[0]
	} else if o.Cwd != nil {
		target, _ = o.Cwd()
	}
	if target == "" {
		target = "."
	}
	if o.Action == "untrust" {
		path, removed, err := m.UntrustDirFile(ctx, target)
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
	tf, err := m.TrustDirFile(ctx, target)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "Trusted %s: commands below %s use profile %s\n", textsafe.Clean(tf.Path), textsafe.Clean(filepath.Dir(tf.Path)), textsafe.Clean(tf.Profile))
	if !tf.Known {
		fmt.Fprintf(o.IO.ErrOut, "%s there is no profile %s yet; run `%s login --profile %s`\n", o.IO.Warn("Note:"), textsafe.Clean(tf.Profile), o.AppName, textsafe.Clean(tf.Profile))
	}
	return nil
}
