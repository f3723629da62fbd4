package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
	"github.com/spf13/cobra"
)

// logoutOptions are the inputs of `authdeck logout` and `authdeck revoke`.
type logoutOptions struct {
	IO       *ioStreams
	AppName  string
	Profiles func() (*profiles.Manager, error)
	Prompter prompter
	Cwd      func() (string, error)

	// Revoke: invalidate at the server first (revoke), not only forget
	// locally (logout).
	Revoke bool
	// Name is the profile argument; empty means the selected profile.
	Name string
	// Selected is the global --profile flag.
	Selected  string
	TokenFile string
	All       bool
	Yes       bool
}

// newCmdLogout builds `authdeck logout`. runF replaces logoutRun in tests.
func newCmdLogout(f *factory, runF func(*logoutOptions) error) *cobra.Command {
	return newLogoutCmd(f, runF, false, "logout")
}

// newCmdRevoke builds `authdeck revoke`. runF replaces logoutRun in tests.
func newCmdRevoke(f *factory, runF func(*logoutOptions) error) *cobra.Command {
	return newLogoutCmd(f, runF, true, "revoke")
}

func newLogoutCmd(f *factory, runF func(*logoutOptions) error, revoke bool, use string) *cobra.Command {
	opts := &logoutOptions{IO: f.IO, AppName: f.AppName, Profiles: f.Profiles, Prompter: f.Prompter, Cwd: f.Cwd, Revoke: revoke}
	c := &cobra.Command{
		Use:  use + " [PROFILE]",
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Name = args[0]
			}
			g := f.Globals()
			opts.Selected, opts.TokenFile = g.Profile, g.TokenFile
			if err := oneProfile(opts.Name, opts.Selected); err != nil {
				return err
			}
			if opts.All && opts.Name != "" {
				return flagErrorf("give a profile or --all, not both")
			}
			if !opts.Yes && !opts.IO.CanPrompt() {
				return flagErrorf("--yes is required when not running interactively")
			}
			if runF != nil {
				return runF(opts)
			}
			return logoutRun(c.Context(), opts)
		},
	}
	if revoke {
		c.Short = "Revoke a profile's tokens at the server, then forget them"
		c.Long = `Revoke the profile's refresh and access tokens at the server's revocation
endpoint (RFC 7009), so they stop working everywhere, then forget them locally.
Without a terminal, --yes is required.`
		c.Example = "  " + f.AppName + " revoke\n  " + f.AppName + " revoke work --yes\n  " + f.AppName + " revoke --all --yes"
	} else {
		c.Short = "Forget a profile's tokens on this machine"
		c.Long = `Forget the profile's tokens locally (keyring or credentials file). The tokens
stay valid at the server until they expire; with --revoke (the same as the
revoke command) they are invalidated at the server first.
Without a terminal, --yes is required.`
		c.Example = "  " + f.AppName + " logout\n  " + f.AppName + " logout work --yes\n  " + f.AppName + " logout --revoke\n  " + f.AppName + " logout --all --yes"
		c.Flags().BoolVar(&opts.Revoke, "revoke", false, "revoke the tokens at the server first (as the revoke command does)")
	}
	c.Flags().BoolVar(&opts.All, "all", false, "every profile")
	c.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return c
}

func logoutRun(ctx context.Context, o *logoutOptions) error {
	if o.TokenFile != "" {
		return &profiles.ReadOnlyError{Source: profiles.SourceTokenFile, Detail: o.TokenFile}
	}
	m, err := o.Profiles()
	if err != nil {
		return err
	}
	rows, err := m.Status(ctx, "")
	if err != nil {
		return err
	}
	var targets []profiles.Status
	if o.All {
		for _, r := range rows {
			if r.Source.ReadOnly() {
				return &profiles.ReadOnlyError{Source: r.Source, Detail: r.SourceDetail}
			}
			if r.Profile.SignedIn() {
				targets = append(targets, r)
			}
		}
		if len(targets) == 0 {
			return &profiles.NotLoggedInError{Reason: "no profile is logged in"}
		}
	} else {
		name := o.Name
		if name == "" {
			cwd, _ := o.Cwd()
			sel, err := m.Select(ctx, o.Selected, cwd)
			selectionWarning(o.IO.ErrOut, o.IO.Warn, sel.Warning)
			if err != nil {
				return err
			}
			name = sel.Name
		}
		if name == "" {
			return &profiles.NotLoggedInError{Reason: "no profile is active"}
		}
		r, ok := findStatus(rows, name)
		if !ok {
			return fmt.Errorf("no profile named %q (profiles: %s)", textsafe.Clean(name), statusNames(rows))
		}
		if r.Source.ReadOnly() {
			return &profiles.ReadOnlyError{Source: r.Source, Detail: r.SourceDetail}
		}
		if !r.Profile.SignedIn() {
			return &profiles.NotLoggedInError{Profile: name, Reason: "is signed out"}
		}
		targets = append(targets, r)
	}

	if !o.Yes {
		ok, err := o.Prompter.Confirm(ctx, confirmText(o, targets), false)
		if err != nil {
			return err
		}
		if !ok {
			return ErrCancel
		}
	}
	cfg, err := m.Load(ctx)
	if err != nil {
		return err
	}
	for _, t := range targets {
		name := textsafe.Clean(t.Name)
		who := describe(t)
		if o.Revoke {
			if err := m.Revoke(ctx, t.Name); err != nil {
				return fmt.Errorf("revoking %s: %w", name, err)
			}
			fmt.Fprintf(o.IO.ErrOut, "Signed out of %s (%s): the tokens were revoked at the server and forgotten here.\n", name, who)
		} else {
			if err := m.Logout(ctx, t.Name); err != nil {
				return fmt.Errorf("logging out of %s: %w", name, err)
			}
			fmt.Fprintf(o.IO.ErrOut, "Signed out of %s (%s): the tokens were forgotten here, but stay valid at the server until they expire.\n", name, who)
			if s, ok := cfg.Server(t.Server); ok && s.RevocationURL != "" {
				// after logout there is nothing left to revoke: say what
				// to do next time instead
				fmt.Fprintf(o.IO.ErrOut, "  Next time, `%s logout --revoke` also invalidates them at the server.\n", o.AppName)
			}
		}
	}
	return nil
}

// oneProfile refuses a profile argument together with a different
// --profile: which one was meant is not clear.
func oneProfile(arg, flag string) error {
	if arg != "" && flag != "" && arg != flag {
		return flagErrorf("the profile argument %q and --profile %q name different profiles; give just one", textsafe.Clean(arg), textsafe.Clean(flag))
	}
	return nil
}

func confirmText(o *logoutOptions, targets []profiles.Status) string {
	var list []string
	for _, t := range targets {
		list = append(list, fmt.Sprintf("%s (%s)", textsafe.Clean(t.Name), describe(t)))
	}
	what := strings.Join(list, ", ")
	if o.Revoke {
		return fmt.Sprintf("Revoke %s? This invalidates the tokens at the server, so they stop working everywhere, then forgets them here.", what)
	}
	return fmt.Sprintf("Log out of %s? This forgets the tokens on this machine only; they stay valid at the server until they expire.", what)
}

func describe(s profiles.Status) string {
	acct := textsafe.Clean(s.Account)
	if acct == "" {
		acct = "unknown account"
	}
	return acct + " on " + textsafe.Clean(s.Server)
}

func findStatus(rows []profiles.Status, name string) (profiles.Status, bool) {
	for _, r := range rows {
		if r.Name == name {
			return r, true
		}
	}
	return profiles.Status{}, false
}

func statusNames(rows []profiles.Status) string {
	if len(rows) == 0 {
		return "none"
	}
	var n []string
	for _, r := range rows {
		n = append(n, textsafe.Clean(r.Name))
	}
	return strings.Join(n, ", ")
}
