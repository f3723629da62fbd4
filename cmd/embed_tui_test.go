package cmd

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/profiles"
	"github.com/authdeck/authdeck/tui"
)

// The Kit's TUI runs on the host's streams, environment, title and theme,
// on the screen the host asks for.
func TestKitRunTUIScreensAndBranding(t *testing.T) {
	e := newTestEnv(t, nil)
	e.tty()
	theme := tui.Theme{Accent: "#004488", AccentDark: "#FF8800"} // plain strings: no lipgloss in the host
	e.f.Host = Host{Name: "acme", Title: "Acme", Theme: theme,
		DefaultServer: &profiles.Server{Name: "acme-id", ClientID: "acme-cli", Endpoints: auth.Endpoints{DeviceAuthURL: "https://id.acme.example/device", TokenURL: "https://id.acme.example/token"}}}
	k := &Kit{f: e.f}
	e.env["NO_COLOR"] = "1"

	if err := k.RunTUI(context.Background()); err != nil {
		t.Fatal(err)
	}
	opt := e.tui.opt
	if !e.tui.called || opt.Start != tui.ScreenAccounts || opt.Title != "Acme" || opt.Theme != theme {
		t.Fatalf("accounts: %+v", opt)
	}
	if opt.Input != e.f.IO.In || opt.Output != e.f.IO.Out || opt.Getenv == nil || opt.Getenv("NO_COLOR") != "1" {
		t.Fatal("the TUI does not run on the host's streams and environment")
	}

	if err := k.RunTUI(context.Background(), tui.ScreenLogin); err != nil {
		t.Fatal(err)
	}
	if opt := e.tui.opt; opt.Start != tui.ScreenLogin || opt.Server.Name != "acme-id" || opt.Output != e.f.IO.Out {
		t.Fatalf("login: %+v", opt)
	}

	e.tuiErr = tui.ErrCancelled
	if err := k.RunTUI(context.Background(), tui.ScreenLogin); !errors.Is(err, ErrCancel) {
		t.Fatalf("cancelled login = %v, want ErrCancel", err)
	}
}

func TestKitRunTUILoginNeedsAServer(t *testing.T) {
	e := newTestEnv(t, nil)
	e.tty()
	k := &Kit{f: e.f}
	err := k.RunTUI(context.Background(), tui.ScreenLogin)
	if err == nil || !strings.Contains(err.Error(), "no server to log in to") || e.tui.called {
		t.Fatalf("RunTUI(login) with no server = %v (tui called %v)", err, e.tui.called)
	}
}

// The login and demo commands build their own tui.Options: hostTUI keeps
// them on the host's streams, title and theme.
func TestHostTUIFillsHostDefaults(t *testing.T) {
	ios, _, _, _ := testStreams()
	theme := tui.Theme{HighlightDark: "#112233"}
	h := Host{Title: "Acme", Theme: theme, HideActions: []tui.Action{tui.ActionRevoke}, Getenv: func(k string) string { return "v-" + k }}
	var got tui.Options
	run := hostTUI(h, ios, func(_ context.Context, _ *profiles.Manager, opt tui.Options) (tui.Result, error) {
		got = opt
		return tui.Result{}, nil
	})
	if _, err := run(context.Background(), nil, tui.Options{Start: tui.ScreenLogin}); err != nil {
		t.Fatal(err)
	}
	if got.Title != "Acme" || got.Theme != theme || len(got.Hide) != 1 || got.Hide[0] != tui.ActionRevoke || got.Input != ios.In || got.Output != ios.Out || got.Getenv("TERM") != "v-TERM" {
		t.Fatalf("filled %+v", got)
	}
	// What the caller set stays.
	_, _ = run(context.Background(), nil, tui.Options{Title: "Acme demo"})
	if got.Title != "Acme demo" {
		t.Fatalf("title %q", got.Title)
	}
}
