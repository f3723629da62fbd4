package cmd

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/devserver"
	"github.com/authdeck/authdeck/profiles"
	"github.com/authdeck/authdeck/tui"
)

func newDemoOptions(t *testing.T, e *testEnv) *demoOptions {
	t.Helper()
	f := e.f
	return &demoOptions{
		IO: f.IO, AppName: f.AppName, ConfigDir: f.ConfigDir, Getenv: f.Getenv, Now: time.Now,
		RunTUI: f.RunTUI, Browser: f.Browser, CanOpenBrowser: f.CanOpenBrowser, StartServer: devserver.Start,
	}
}

var tempDirRE = regexp.MustCompile(`temporary directory (\S+), removed`)

// TestDemoPlainAutoApprove runs the whole demo without a terminal against
// the real in-process dev server: it must end logged in, print whoami, keep
// the real profiles untouched and remove its temporary directory.
func TestDemoPlainAutoApprove(t *testing.T) {
	e := newTestEnv(t, nil)
	e.env["AUTHDECK_TOKEN"] = "a-real-token-that-must-not-be-used"
	e.env["AUTHDECK_PROFILE"] = "real-profile"
	e.canBrowser = true
	o := newDemoOptions(t, e)
	o.AutoApprove = true
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := demoRun(ctx, o); err != nil {
		t.Fatalf("demo: %v\n%s", err, e.outputs())
	}
	stdout, stderr := e.out.String(), e.err.String()
	lines := strings.Split(stdout, "\n")
	if lines[0] != "alice" {
		t.Errorf("whoami's first line = %q, want the account alice", lines[0])
	}
	for _, want := range []string{"profile:  alice", "server:   demo", "issuer:   http://127.0.0.1:", "email:    alice@example.com"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("whoami output lacks %q:\n%s", want, stdout)
		}
	}
	for _, want := range []string{"First copy your one-time code:", "/device", "approved as alice after 3s", "Logged in to demo as", "not in your keyring", "$ authdeck whoami"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if len(e.browsed) != 0 {
		t.Errorf("the browser was opened with --auto-approve: %v", e.browsed)
	}
	m := tempDirRE.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("stderr does not name the temporary directory:\n%s", stderr)
	}
	if _, err := os.Stat(m[1]); !os.IsNotExist(err) {
		t.Errorf("the demo's temporary directory %s is still there (err %v)", m[1], err)
	}
	if entries, _ := os.ReadDir(e.dir); len(entries) != 0 {
		t.Errorf("the demo wrote into the real config dir: %v", entries)
	}
	if len(e.secrets.Keys()) != 0 {
		t.Errorf("the demo touched the real secret store: %v", e.secrets.Keys())
	}
}

// TestDemoTUIKeep checks the terminal path: the TUI's login screen against
// the running dev server, file storage, and --keep's directory.
func TestDemoTUIKeep(t *testing.T) {
	e := newTestEnv(t, nil)
	e.tty()
	o := newDemoOptions(t, e)
	o.Keep = true
	var discovered auth.Endpoints
	var discoverErr error
	var storage string
	o.RunTUI = func(ctx context.Context, m *profiles.Manager, opt tui.Options) (tui.Result, error) {
		e.tui.called, e.tui.opt = true, opt
		// The server runs while the TUI does.
		discovered, discoverErr = auth.Discover(ctx, nil, opt.Server.Issuer)
		cfg, err := m.Load(ctx)
		if err != nil {
			return tui.Result{}, err
		}
		storage = cfg.Settings.Storage
		return tui.Result{LoggedIn: &profiles.Profile{Name: "alice", Server: "demo"}}, nil
	}
	if err := demoRun(context.Background(), o); err != nil {
		t.Fatalf("demo: %v\n%s", err, e.outputs())
	}
	opt := e.tui.opt
	if !e.tui.called || opt.Start != tui.ScreenLogin || opt.Server.Name != "demo" || !opt.Save.Insecure || opt.Title != "authdeck demo" {
		t.Fatalf("TUI options = %+v", opt)
	}
	if discoverErr != nil || !discovered.SupportsDevice() {
		t.Errorf("the dev server was not serving during the TUI: %+v, %v", discovered, discoverErr)
	}
	if storage != "file" {
		t.Errorf("demo config storage = %q, want file", storage)
	}
	if !opt.NoBrowser || opt.OpenURL != nil {
		t.Errorf("no browser can be shown, yet NoBrowser=%v OpenURL set=%v", opt.NoBrowser, opt.OpenURL != nil)
	}
	dir := filepath.Join(e.dir, "demo")
	if !strings.Contains(e.err.String(), "kept in "+dir) {
		t.Errorf("stderr does not name the kept directory %s:\n%s", dir, e.err.String())
	}
	data, err := os.ReadFile(filepath.Join(dir, "config.toml"))
	if err != nil || !strings.Contains(string(data), `name = "demo"`) {
		t.Errorf("kept demo config: %v\n%s", err, data)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "config.toml")); !os.IsNotExist(err) {
		t.Errorf("the real config.toml was written (err %v)", err)
	}
	if e.out.Len() != 0 {
		t.Errorf("the demo printed on stdout around the TUI: %q", e.out.String())
	}

	// Cancelled in the TUI: exit code 2 via ErrCancel.
	e.tuiResult = tui.Result{Cancelled: true}
	o.RunTUI = e.f.RunTUI
	if err := demoRun(context.Background(), o); ExitCode(err) != ExitCancel {
		t.Errorf("demo cancelled in the TUI: %v (exit %d), want exit 2", err, ExitCode(err))
	}
}

func TestDemoRegisteredWithFlags(t *testing.T) {
	e := newTestEnv(t, nil)
	var got *demoOptions
	c := newCmdDemo(e.f, func(o *demoOptions) error { got = o; return nil })
	if err := e.runWith(c, "demo --auto-approve --keep --no-browser"); err != nil {
		t.Fatal(err)
	}
	if !got.AutoApprove || !got.Keep || !got.NoBrowser {
		t.Errorf("options = %+v", got)
	}
	if !hasCommand(newRootCmd(e.f), "demo") || !hasCommand(newRootCmd(e.f), "dev-server") {
		t.Error("demo and dev-server are not registered on the root command")
	}
}
