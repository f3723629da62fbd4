package cmd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/authdeck/authdeck/internal/devserver"
	"github.com/authdeck/authdeck/profiles"
	"github.com/authdeck/authdeck/tui"
	"github.com/spf13/cobra"
)

// Demo timings: a short polling interval so the demo feels quick, and the
// auto-approval delay, long enough to see the code on screen first.
const (
	demoInterval    = 2 * time.Second
	demoAutoApprove = 3 * time.Second
	demoServerName  = "demo"
)

// demoOptions are the inputs of `authdeck demo`.
type demoOptions struct {
	IO      *ioStreams
	AppName string
	// Host is the identity of the application running the demo.
	Host           Host
	ConfigDir      func() (string, error)
	Getenv         func(string) string
	Now            func() time.Time
	RunTUI         func(context.Context, *profiles.Manager, tui.Options) (tui.Result, error)
	Browser        func(string) error
	CanOpenBrowser func() bool
	// StartServer starts the authorization server (devserver.Start).
	StartServer func(context.Context, devserver.Options) (*devserver.Server, error)
	// OpenProfiles opens the demo's profiles in dir (a test seam; nil means
	// profiles.Open with file storage).
	OpenProfiles func(dir string) (*profiles.Manager, error)

	AutoApprove bool
	Keep        bool
	NoBrowser   bool
	// Web runs the browser sign-in (authorization code with PKCE) instead
	// of the device flow.
	Web bool
}

// newCmdDemo builds `authdeck demo`. runF replaces demoRun in tests.
func newCmdDemo(f *factory, runF func(*demoOptions) error) *cobra.Command {
	opts := &demoOptions{
		IO: f.IO, AppName: f.AppName, Host: f.Host, ConfigDir: f.ConfigDir, Getenv: f.Getenv, Now: f.Now,
		RunTUI: f.RunTUI, Browser: f.Browser, CanOpenBrowser: f.CanOpenBrowser,
		StartServer: devserver.Start,
	}
	c := &cobra.Command{
		Use:   "demo",
		Short: "Try " + f.AppName + " against a built-in authorization server, no account needed",
		Long: `Start a built-in authorization server (see ` + "`" + f.AppName + ` dev-server` + "`" + `) and sign in to it,
so you can see the whole experience without an account anywhere.

On a terminal the full-screen login screen opens; approve the code on the
verification page printed on stderr (or pass --auto-approve and wait a few
seconds). Without a terminal the plain login runs, then whoami is printed.

With --web the browser sign-in (authorization code with PKCE, as for
servers without a device flow) runs instead: approve on the server's consent
page in the browser. With --web --auto-approve the server approves at once
and the demo follows the browser's redirects itself, so no browser is needed.

Your own profiles are never touched: the demo uses its own configuration
directory, a temporary one removed when the demo ends, or <config dir>/demo
with --keep. Demo tokens are stored in that directory's credentials file
(plain text, readable by you only), not in your keyring: they are worthless
once the demo server stops, and should leave nothing behind.`,
		Example: `  ` + f.AppName + ` demo
  ` + f.AppName + ` demo --auto-approve
  ` + f.AppName + ` demo --web`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return demoRun(c.Context(), opts)
		},
	}
	c.Flags().BoolVar(&opts.AutoApprove, "auto-approve", false, "approve the sign-in by itself after a few seconds")
	c.Flags().BoolVar(&opts.Keep, "keep", false, "keep the demo's profiles in <config dir>/demo instead of a temporary directory")
	c.Flags().BoolVar(&opts.NoBrowser, "no-browser", false, "do not open the verification page in a browser")
	c.Flags().BoolVar(&opts.Web, "web", false, "sign in with the browser (authorization code with PKCE) instead of the device flow")
	return c
}

// demoGetenv hides the variables that would point the demo at the user's
// real profiles or tokens.
func demoGetenv(h Host, getenv func(string) string) func(string) string {
	return func(k string) string {
		if k != "" && (k == h.EnvToken || k == h.EnvProfile || k == h.EnvConfigDir) {
			return ""
		}
		if getenv == nil {
			return ""
		}
		return getenv(k)
	}
}

// demoDir returns the demo's configuration directory and a cleanup func.
func demoDir(o *demoOptions) (string, func(), error) {
	if o.Keep {
		base, err := o.ConfigDir()
		if err != nil {
			return "", nil, err
		}
		dir := filepath.Join(base, "demo")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", nil, fmt.Errorf("creating the demo's configuration directory: %w", err)
		}
		fmt.Fprintf(o.IO.ErrOut, "Demo profiles are kept in %s (your own profiles are untouched).\n", dir)
		return dir, func() {}, nil
	}
	dir, err := os.MkdirTemp("", o.AppName+"-demo-")
	if err != nil {
		return "", nil, fmt.Errorf("creating a temporary directory for the demo: %w", err)
	}
	if !o.IO.CanPrompt() { // the TUI's success screen says it
		fmt.Fprintf(o.IO.ErrOut, "Demo profiles go to the temporary directory %s, removed when the demo ends (--keep keeps them); your own profiles are untouched.\n", dir)
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

func demoRun(ctx context.Context, o *demoOptions) error {
	dir, cleanup, err := demoDir(o)
	if err != nil {
		return err
	}
	defer cleanup()

	tuiMode := o.IO.CanPrompt()
	srv, err := demoStartServer(ctx, o, tuiMode)
	if err != nil {
		return err
	}
	defer srv.Close()

	m, s, err := demoSetup(ctx, o, dir, srv)
	if err != nil {
		return err
	}
	var logins []string
	for _, u := range srv.Users() {
		logins = append(logins, u.Login)
	}
	if tuiMode {
		// The login screen says it: lines printed here would only be seen
		// after the full-screen program ends.
		return demoTUI(ctx, o, m, s, logins)
	}
	return demoPlain(ctx, o, dir, srv, m, s, logins)
}

// demoStartServer starts the demo's authorization server.
func demoStartServer(ctx context.Context, o *demoOptions, tuiMode bool) (*devserver.Server, error) {
	sopt := devserver.Options{Interval: demoInterval}
	if o.AutoApprove {
		sopt.AutoApprove = demoAutoApprove
	}
	if !tuiMode {
		// Nothing may be written over the full-screen program; without it,
		// only the server's warnings are worth showing.
		sopt.Logger = slog.New(slog.NewTextHandler(o.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	srv, err := o.StartServer(ctx, sopt)
	if err != nil {
		return nil, fmt.Errorf("starting the demo server: %w", err)
	}
	return srv, nil
}

// demoSetup opens the demo directory's profiles, with file storage, and
// adds the demo server to them.
func demoSetup(ctx context.Context, o *demoOptions, dir string, srv *devserver.Server) (*profiles.Manager, profiles.Server, error) {
	open := o.OpenProfiles
	if open == nil {
		h := o.Host
		h.Getenv = demoGetenv(h, o.Getenv)
		open = func(dir string) (*profiles.Manager, error) {
			app := h.profilesApp(dir)
			app.KeyringService = o.AppName + "-demo" // never the real keyring entries
			return profiles.Open(app)
		}
	}
	m, err := open(dir)
	if err != nil {
		return nil, profiles.Server{}, err
	}
	// File storage for the whole demo directory: see the command's help.
	if err := m.Update(ctx, func(c *profiles.Config) error { c.Settings.Storage = "file"; return nil }); err != nil {
		return nil, profiles.Server{}, err
	}
	s, err := m.AddServer(ctx, profiles.Server{
		Name: demoServerName, Endpoints: srv.Endpoints(), ClientID: srv.ClientID(), Scopes: srv.Scopes(),
	})
	if err != nil {
		return nil, profiles.Server{}, fmt.Errorf("adding the demo server: %w", err)
	}
	return m, s, nil
}

// demoPlain runs the demo without the full-screen program: it says whom
// to approve as, signs in as `login` would and shows `whoami`.
func demoPlain(ctx context.Context, o *demoOptions, dir string, srv *devserver.Server, m *profiles.Manager, s profiles.Server, logins []string) error {
	w := o.IO.ErrOut
	fmt.Fprintf(w, "Demo authorization server: %s (client id %s)\n", srv.Issuer(), srv.ClientID())
	if o.Web {
		fmt.Fprintf(w, "Approve the sign-in on the server's consent page (%s, opened by the sign-in) as one of: %s\n", srv.AuthorizeURL(), strings.Join(logins, ", "))
	} else {
		fmt.Fprintf(w, "Approve the sign-in at %s as one of: %s\n", srv.DeviceURL(), strings.Join(logins, ", "))
	}
	switch {
	case o.Web && o.AutoApprove:
		fmt.Fprintf(w, "(--web --auto-approve: the server approves the sign-in as %s at once; the demo plays the browser)\n", logins[0])
	case o.AutoApprove:
		fmt.Fprintf(w, "(--auto-approve: the sign-in is approved as %s after %s)\n", logins[0], demoAutoApprove)
	}
	fmt.Fprintln(w, "Demo tokens are stored in the demo directory's credentials file (plain text, yours only), not in your keyring.")

	lo := demoLoginOptions(ctx, o, m)
	login := deviceLogin
	if o.Web {
		login = webLogin
	}
	if err := login(ctx, lo, m, s, profiles.SaveOptions{Insecure: true}, &eventWriter{w: o.IO.Out}); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("demo: %w", context.Canceled)
		}
		return err
	}
	fmt.Fprintf(w, "\n$ %s whoami\n", o.AppName)
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return whoamiRun(ctx, &whoamiOptions{
		IO: o.IO, Profiles: lo.Profiles, Now: now, Profile: lo.savedProfile,
		Cwd: func() (string, error) { return dir, nil }, // no .authdeck file of the real projects
	})
}

// demoLoginOptions are the options of the demo's plain sign-in into m.
func demoLoginOptions(ctx context.Context, o *demoOptions, m *profiles.Manager) *loginOptions {
	canBrowse := !o.NoBrowser && !o.AutoApprove && o.Browser != nil && o.CanOpenBrowser != nil && o.CanOpenBrowser()
	browser := o.Browser
	if o.Web && o.AutoApprove {
		// The server redirects straight back: following that is all a
		// browser would do.
		browser, canBrowse = demoFollow(ctx), true
	}
	lo := &loginOptions{
		IO: o.IO, AppName: o.AppName, Browser: browser, CanOpenBrowser: func() bool { return canBrowse },
		Getenv: demoGetenv(o.Host, o.Getenv), NoBrowser: !canBrowse, Insecure: true, Web: o.Web,
		Profiles: func() (*profiles.Manager, error) { return m, nil },
	}
	if o.Web && o.AutoApprove {
		// The demo's own "browser" runs here, even over SSH.
		lo.Getenv = func(k string) string {
			if k == "SSH_CONNECTION" || k == "SSH_TTY" {
				return ""
			}
			return demoGetenv(o.Host, o.Getenv)(k)
		}
	}
	return lo
}

// demoIntro is the line the demo's login screen opens with: whom to
// approve as.
func demoIntro(o *demoOptions, logins []string) string {
	switch {
	case o.Web && o.AutoApprove:
		return fmt.Sprintf("Demo: --web --auto-approve: the server approves as %s at once; nothing to do.", logins[0])
	case o.AutoApprove:
		return fmt.Sprintf("Demo: --auto-approve approves the code as %s after %s; nothing to do.", logins[0], demoAutoApprove)
	case o.Web:
		return "Demo: approve on the consent page as one of " + strings.Join(logins, ", ") + "."
	}
	return "Demo: on the page, approve the code as one of " + strings.Join(logins, ", ") + "."
}

// demoTUI runs the demo's login on the full-screen program.
func demoTUI(ctx context.Context, o *demoOptions, m *profiles.Manager, s profiles.Server, logins []string) error {
	canBrowse := !o.NoBrowser && !o.AutoApprove && o.Browser != nil && o.CanOpenBrowser != nil && o.CanOpenBrowser()
	var opener func(string) error
	if canBrowse {
		opener = o.Browser
	}
	if o.Web && o.AutoApprove {
		// The server redirects straight back: following that is all a
		// browser would do.
		opener, canBrowse = demoFollow(ctx), true
	}
	note := "Demo tokens are in a temporary directory, removed when the demo ends."
	if o.Keep {
		note = "Demo tokens are in the demo's own directory (--keep), in a plain file, not in your keyring."
	}
	res, err := o.RunTUI(ctx, m, tui.Options{
		Start: tui.ScreenLogin, Server: s, Save: profiles.SaveOptions{Insecure: true}, NoBrowser: !canBrowse,
		OpenURL: opener, Title: o.AppName + " demo", Web: o.Web,
		Intro: demoIntro(o, logins), StorageNote: note,
	})
	if err != nil {
		return err
	}
	if res.Cancelled || res.LoggedIn == nil {
		return ErrCancel
	}
	fmt.Fprintf(o.IO.ErrOut, "Demo finished: logged in as %s (profile %s).\n", res.LoggedIn.Account(), res.LoggedIn.Name)
	return nil
}

// demoFollow plays the browser for --web --auto-approve: it opens the
// authorization URL and follows the dev server's redirect to the sign-in's
// loopback listener, reading (and discarding) its page.
func demoFollow(ctx context.Context) func(string) error {
	return func(u string) error {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return err
	}
}
