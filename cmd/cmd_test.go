package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/auth/authtest"
	"github.com/authdeck/authdeck/profiles"
	"github.com/authdeck/authdeck/tui"
)

func TestExitCodes(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{flagErrorf("bad flag"), 1},
		{ErrCancel, 2},
		{fmt.Errorf("login: %w", context.Canceled), 2},
		{tui.ErrCancelled, 2},
		{profiles.ErrNotLoggedIn, 4},
		{fmt.Errorf("profile %q: %w", "x", profiles.ErrNotLoggedIn), 4},
		{&profiles.ParseError{Path: "/c/config.toml", Line: 3, Err: errors.New("bad")}, 1},
		{auth.ErrAccessDenied, 1},
		{auth.ErrExpiredToken, 1},
		{&profiles.ReadOnlyError{Source: profiles.SourceEnv, Detail: "AUTHDECK_TOKEN"}, 1},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	pe := &profiles.ParseError{Path: "/c/config.toml", Line: 3, Err: errors.New("expected '='")}
	tests := []struct {
		err  error
		want string
	}{
		{profiles.ErrNotLoggedIn, "not logged in; run authdeck login"},
		{fmt.Errorf("profile %q is gone: %w", "x", profiles.ErrNotLoggedIn), `profile "x" is gone: not logged in; run authdeck login`},
		{pe, pe.Error()},
		{auth.ErrAccessDenied, "login denied"},
		{auth.ErrExpiredToken, "login expired"},
		{errors.New("evil \x1b]52;c;aGk=\x07server"), "evil server"},
		{fmt.Errorf("wrapped: %w", errSilent), ""},
	}
	for _, tt := range tests {
		got := ErrorMessage(tt.err, "authdeck")
		if tt.want == "" && got != "" || !strings.HasPrefix(got, tt.want) {
			t.Errorf("ErrorMessage(%v) = %q, want prefix %q", tt.err, got, tt.want)
		}
	}
}

func TestExecuteMapsErrors(t *testing.T) {
	e := newTestEnv(t, nil)
	if code := e.run("token"); code != 4 {
		t.Errorf("token with no login: exit %d, want 4", code)
	}
	if !strings.Contains(e.err.String(), "authdeck login") || e.out.Len() != 0 {
		t.Errorf("stdout %q stderr %q", e.out, e.err)
	}

	e = newTestEnv(t, nil)
	if code := e.run("whoami --bogus"); code != 1 || !strings.Contains(e.err.String(), "--help") {
		t.Errorf("unknown flag: exit %d, stderr %q", code, e.err)
	}

	e = newTestEnv(t, nil)
	if err := os.WriteFile(filepath.Join(e.dir, "config.toml"), []byte("version = 1\n[[servers]\nname = 'x'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := e.run("status"); code != 1 || !strings.Contains(e.err.String(), "config.toml:") {
		t.Errorf("broken config: exit %d, stderr %q; want the file and line", code, e.err)
	}
	if data, _ := os.ReadFile(filepath.Join(e.dir, "config.toml")); !strings.Contains(string(data), "[[servers]\n") {
		t.Errorf("the broken config was changed")
	}
}

func TestNewCmdLoginFlags(t *testing.T) {
	e := newTestEnv(t, nil)
	var got *loginOptions
	err := e.runWith(newCmdLogin(e.f, func(o *loginOptions) error { got = o; return nil }),
		"--profile work login --server dev --client-id cid --scopes a,b --no-browser --insecure-storage --json --no-tui --client-secret-file /s")
	if err != nil {
		t.Fatal(err)
	}
	if got.Server != "dev" || got.ClientID != "cid" || strings.Join(got.Scopes, " ") != "a b" || !got.NoBrowser ||
		!got.Insecure || !got.JSON || !got.NoTUI || got.Profile != "work" || got.ClientSecretFile != "/s" || got.WithToken {
		t.Errorf("options = %+v", got)
	}
}

func TestClientSecretSources(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string {
		if k == "AUTHDECK_CLIENT_SECRET" {
			return "from-env"
		}
		return ""
	}
	for _, tt := range []struct{ flag, file, want string }{
		{"from-flag", file, "from-flag"}, {"", file, "from-file"}, {"", "", "from-env"},
	} {
		if got, err := clientSecret(tt.flag, tt.file, "AUTHDECK_CLIENT_SECRET", env); err != nil || got != tt.want {
			t.Errorf("clientSecret(%q, %q) = %q, %v; want %q", tt.flag, tt.file, got, err, tt.want)
		}
	}
	if _, err := clientSecret("", filepath.Join(t.TempDir(), "missing"), "AUTHDECK_CLIENT_SECRET", env); err == nil {
		t.Errorf("a missing secret file is not an error")
	}
}

func TestDestructiveCommandsNeedYesWithoutTTY(t *testing.T) {
	for _, args := range []string{"logout", "revoke", "logout --all", "tokens revoke", "profiles rm x"} {
		e := newTestEnv(t, nil)
		called := false
		var sub = newCmdLogout(e.f, func(*logoutOptions) error { called = true; return nil })
		if strings.HasPrefix(args, "revoke") {
			sub = newCmdRevoke(e.f, func(*logoutOptions) error { called = true; return nil })
		}
		var err error
		if strings.HasPrefix(args, "logout") || strings.HasPrefix(args, "revoke") {
			err = e.runWith(sub, args)
		} else {
			code := e.run(args)
			if code != 1 || !strings.Contains(e.err.String(), "--yes") {
				t.Errorf("%s without a TTY: exit %d, stderr %q", args, code, e.err)
			}
			continue
		}
		var fe *flagError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), "--yes") || called {
			t.Errorf("%s without a TTY: %v (called %v); want a flagError about --yes", args, err, called)
		}
	}

	e := newTestEnv(t, nil)
	e.tty()
	var got *logoutOptions
	if err := e.runWith(newCmdRevoke(e.f, func(o *logoutOptions) error { got = o; return nil }), "revoke work"); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Name != "work" || got.Yes || !got.Revoke {
		t.Errorf("revoke on a TTY: %+v", got)
	}
	if err := e.runWith(newCmdLogout(e.f, func(*logoutOptions) error { return nil }), "logout work --all --yes"); err == nil {
		t.Errorf("logout NAME --all is accepted")
	}
}

func TestNewCmdTokenFlags(t *testing.T) {
	e := newTestEnv(t, nil)
	var got *tokenOptions
	err := e.runWith(newCmdToken(e.f, func(o *tokenOptions) error { got = o; return nil }), "--token-file /t token --profile p --min-ttl 30m")
	if err != nil {
		t.Fatal(err)
	}
	if got.Profile != "p" || got.TokenFile != "/t" || got.MinTTL != 30*time.Minute {
		t.Errorf("options = %+v", got)
	}
	got = nil
	_ = e.runWith(newCmdToken(e.f, func(o *tokenOptions) error { got = o; return nil }), "token")
	if got.MinTTL != defaultMinTTL {
		t.Errorf("default --min-ttl = %s", got.MinTTL)
	}
	if err := e.runWith(newCmdToken(e.f, func(*tokenOptions) error { return nil }), "token --min-ttl -1m"); err == nil {
		t.Errorf("a negative --min-ttl is accepted")
	}
}

func TestParseFastToken(t *testing.T) {
	tests := []struct {
		args    string
		ok      bool
		profile string
		file    string
		ttl     time.Duration
	}{
		{"token", true, "", "", defaultMinTTL},
		{"tokens print", true, "", "", defaultMinTTL},
		{"token --profile work --min-ttl 1m", true, "work", "", time.Minute},
		{"--profile=work token --min-ttl=90s", true, "work", "", 90 * time.Second},
		{"--token-file /t token", true, "", "/t", defaultMinTTL},
		{"--min-ttl 1m token", false, "", "", 0}, // --min-ttl belongs to token
		{"token --help", false, "", "", 0},
		{"token extra", false, "", "", 0},
		{"token --min-ttl", false, "", "", 0},
		{"token --min-ttl bogus", false, "", "", 0},
		{"whoami", false, "", "", 0},
		{"tokens revoke", false, "", "", 0},
		{"", false, "", "", 0},
	}
	for _, tt := range tests {
		o, ok := parseFastToken(strings.Fields(tt.args))
		if ok != tt.ok {
			t.Errorf("parseFastToken(%q) ok = %v, want %v", tt.args, ok, tt.ok)
			continue
		}
		if ok && (o.Profile != tt.profile || o.TokenFile != tt.file || o.MinTTL != tt.ttl) {
			t.Errorf("parseFastToken(%q) = %+v", tt.args, o)
		}
	}
}

func TestRootRouting(t *testing.T) {
	e := newTestEnv(t, nil)
	if code := e.run(""); code != 0 || e.tui.called || !strings.Contains(e.out.String(), "Usage:") {
		t.Errorf("no args, no TTY: exit %d, tui %v, stdout %q; want help", code, e.tui.called, e.out)
	}

	e = newTestEnv(t, nil)
	e.tty()
	if code := e.run(""); code != 0 || !e.tui.called || e.tui.opt.Start != tui.ScreenAccounts {
		t.Errorf("no args on a TTY: exit %d, tui %+v; want the accounts screen", code, e.tui)
	}

	e = newTestEnv(t, nil)
	e.tty()
	e.tuiResult = tui.Result{Cancelled: true}
	if code := e.run(""); code != 2 {
		t.Errorf("cancelled TUI: exit %d, want 2", code)
	}

	e = newTestEnv(t, nil)
	if code := e.run("--version"); code != 0 || e.out.String() != "authdeck version 1.2.3\n" {
		t.Errorf("--version: %d %q", code, e.out)
	}
}

func TestLoginRouting(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{Interval: 10 * time.Millisecond})
	// On a terminal: the TUI's login screen, with the resolved server.
	e := newTestEnv(t, srv)
	e.addServer(t)
	e.tty()
	e.tuiResult = tui.Result{LoggedIn: &profiles.Profile{Name: "alice"}}
	if code := e.run("login --no-browser --insecure-storage --profile work"); code != 0 {
		t.Fatalf("login on a TTY: exit %d, %s", code, e.err)
	}
	o := e.tui.opt
	if !e.tui.called || o.Start != tui.ScreenLogin || o.Server.Name != "dev" || !o.NoBrowser || !o.Save.Insecure || o.Save.Profile != "work" {
		t.Errorf("TUI options = %+v", o)
	}
	if len(srv.Requests()) != 0 {
		t.Errorf("cmd talked to the server itself before the TUI")
	}

	e = newTestEnv(t, srv)
	e.addServer(t)
	e.tty()
	e.tuiResult = tui.Result{Cancelled: true}
	if code := e.run("login"); code != 2 {
		t.Errorf("login cancelled in the TUI: exit %d, want 2", code)
	}

	// --no-tui and --json keep the plain flow, even on a terminal.
	for _, flag := range []string{"--no-tui", "--json"} {
		e = newTestEnv(t, srv)
		e.addServer(t)
		e.tty()
		srv.Approve()
		if code := e.run("login --no-browser " + flag); code != 0 || e.tui.called {
			t.Errorf("login %s on a TTY: exit %d, tui %v, stderr %s", flag, code, e.tui.called, e.err)
		}
	}
}

func TestLoginJSONEvents(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{Interval: 10 * time.Millisecond})
	e := newTestEnv(t, srv)
	e.addServer(t)
	srv.Script(authtest.Pending(), authtest.ServerError(503), authtest.Pending())
	srv.Approve()
	if code := e.run("login --json --no-browser"); code != 0 {
		t.Fatalf("login --json: exit %d\n%s", code, e.outputs())
	}
	var events []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(e.out.String()), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		events = append(events, ev)
	}
	var kinds []string
	for _, ev := range events {
		k := ev["event"].(string)
		if k == "poll" {
			k += ":" + ev["result"].(string)
		}
		kinds = append(kinds, k)
	}
	if got := strings.Join(kinds, " "); got != "code poll:pending poll:transient poll:pending success" {
		t.Errorf("events = %s", got)
	}
	code := events[0]
	for _, k := range []string{"user_code", "verification_uri", "expires_at", "interval", "server"} {
		if _, ok := code[k]; !ok {
			t.Errorf("code event lacks %q: %v", k, code)
		}
	}
	if _, err := time.Parse(time.RFC3339, code["expires_at"].(string)); err != nil {
		t.Errorf("expires_at: %v", err)
	}
	poll := events[1]
	if poll["n"].(float64) != 1 || poll["next"] == nil || poll["interval"] == nil {
		t.Errorf("poll event = %v", poll)
	}
	ok := events[len(events)-1]
	if ok["profile"] != "alice" || ok["account"] != "alice" || ok["storage"] != "keyring" || ok["insecure_storage"] != false {
		t.Errorf("success event = %v", ok)
	}
	// No secret anywhere in the output.
	res, err := e.manager(t).Token(context.Background(), "alice", profiles.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	polls := srv.Polls()
	deviceCode := polls[0].Form.Get("device_code")
	for _, secret := range []string{res.Token.AccessToken, res.Token.RefreshToken, deviceCode} {
		if secret == "" || strings.Contains(e.outputs(), secret) {
			t.Errorf("a secret (or nothing) %q appears in the output", secret)
		}
	}
}

func TestLoginPlainDeniedAndCancelled(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{Interval: 10 * time.Millisecond})
	e := newTestEnv(t, srv)
	e.addServer(t)
	e.canBrowser = true
	srv.Deny()
	if code := e.run("login"); code != 1 {
		t.Errorf("denied login: exit %d, want 1", code)
	}
	if !strings.Contains(e.err.String(), "denied") || !strings.Contains(e.err.String(), "First copy your one-time code") {
		t.Errorf("stderr: %s", e.err)
	}
	if e.out.Len() != 0 {
		t.Errorf("plain login wrote to stdout: %q", e.out)
	}

	// Ctrl-C while polling: exit 2 and an error event.
	srv2 := authtest.NewServer(t, authtest.Options{Interval: 10 * time.Millisecond})
	e = newTestEnv(t, srv2)
	e.addServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	root := newRootCmd(e.f)
	root.SetArgs([]string{"login", "--json", "--no-browser"})
	polled := &signalWriter{Writer: e.f.IO.Out, text: `"event":"poll","n":2,`, seen: make(chan struct{})}
	e.f.IO.Out = polled
	go func() {
		<-polled.seen // the second poll's answer
		cancel()
	}()
	if code := execute(ctx, root, e.f); code != 2 {
		t.Errorf("cancelled login: exit %d, want 2\n%s", code, e.outputs())
	}
	if !strings.Contains(e.out.String(), `"code":"cancelled"`) {
		t.Errorf("no cancelled event: %s", e.out)
	}
}

func TestLoginOpensBrowserOnlyWhenItCan(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{Interval: 10 * time.Millisecond})
	srv.Approve()
	for _, tt := range []struct {
		args       string
		canBrowser bool
		want       bool
	}{
		{"login", true, true},
		{"login --no-browser", true, false},
		{"login", false, false},
	} {
		e := newTestEnv(t, srv)
		e.addServer(t)
		e.canBrowser = tt.canBrowser
		if code := e.run(tt.args); code != 0 {
			t.Fatalf("%s: exit %d %s", tt.args, code, e.err)
		}
		if got := len(e.browsed) == 1; got != tt.want {
			t.Errorf("%s (display %v): browsed %v", tt.args, tt.canBrowser, e.browsed)
		}
		if tt.want && !strings.HasPrefix(e.browsed[0], srv.URL) {
			t.Errorf("opened %q", e.browsed[0])
		}
	}
}

func TestCanOpenBrowser(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	tests := []struct {
		goos string
		env  func(string) string
		want bool
	}{
		{"linux", env(), false},
		{"linux", env("DISPLAY", ":0"), true},
		{"linux", env("WAYLAND_DISPLAY", "wayland-0"), true},
		{"linux", env("DISPLAY", ":0", "SSH_CONNECTION", "1 2 3 4"), false},
		{"darwin", env(), true},
		{"darwin", env("SSH_CONNECTION", "1 2 3 4"), false},
		{"windows", env(), true},
	}
	for _, tt := range tests {
		if got := canOpenBrowser(tt.goos, tt.env); got != tt.want {
			t.Errorf("canOpenBrowser(%s, ...) = %v, want %v", tt.goos, got, tt.want)
		}
	}
}

func TestLoginServerResolution(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{Interval: 10 * time.Millisecond})
	e := newTestEnv(t, nil)
	if code := e.run("login"); code != 1 || !strings.Contains(e.err.String(), "servers add") {
		t.Errorf("no server: exit %d, %s", code, e.err)
	}
	e = newTestEnv(t, srv)
	e.addServer(t)
	if code := e.run("login --server nope"); code != 1 || !strings.Contains(e.err.String(), `no server named "nope"`) || !strings.Contains(e.err.String(), "dev") {
		t.Errorf("unknown server: exit %d, %s", code, e.err)
	}
	e = newTestEnv(t, srv)
	e.addServer(t)
	if code := e.run("login --server dev --client-id other"); code != 1 || !strings.Contains(e.err.String(), "client id") {
		t.Errorf("other client id: exit %d, %s", code, e.err)
	}
}

func TestLoginWithTokenUnit(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{})
	tok := srv.IssueToken(time.Hour)
	e := newTestEnv(t, srv)
	e.addServer(t)
	e.in.WriteString(tok.AccessToken + "\n")
	if code := e.run("login --with-token --profile mine"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.err)
	}
	if !strings.Contains(e.err.String(), "Logged in to dev as alice (profile mine)") || strings.Contains(e.outputs(), tok.AccessToken) {
		t.Errorf("output: %s", e.outputs())
	}
	e = newTestEnv(t, srv)
	e.addServer(t)
	if code := e.run("login --with-token"); code != 1 || !strings.Contains(e.err.String(), "no token on stdin") {
		t.Errorf("empty stdin: exit %d, %s", code, e.err)
	}
}

func TestLogoutAndRevoke(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{})
	ctx := context.Background()

	// Declining the prompt changes nothing and exits 2.
	e := newTestEnv(t, srv)
	e.addServer(t)
	tok := e.loggedIn(t, time.Hour)
	e.tty()
	e.prompt.answers = []bool{false}
	if code := e.run("revoke"); code != 2 {
		t.Errorf("declined revoke: exit %d, want 2", code)
	}
	if len(e.prompt.questions) != 1 || !strings.Contains(e.prompt.questions[0], "at the server") || !strings.Contains(e.prompt.questions[0], "alice") {
		t.Errorf("revoke asked %q", e.prompt.questions)
	}
	if !srv.Active(tok) {
		t.Errorf("declined revoke revoked the token")
	}

	// Logout asks, says it is local, and forgets only locally.
	e.prompt.answers = []bool{true}
	if code := e.run("logout"); code != 0 {
		t.Fatalf("logout: exit %d %s", code, e.err)
	}
	if !strings.Contains(e.prompt.questions[1], "on this machine only") {
		t.Errorf("logout asked %q", e.prompt.questions[1])
	}
	if !srv.Active(tok) {
		t.Errorf("logout revoked the token at the server")
	}
	if _, err := e.manager(t).Token(ctx, "alice", profiles.TokenOptions{}); !errors.Is(err, profiles.ErrNotLoggedIn) {
		t.Errorf("token after logout: %v", err)
	}
	if code := e.run("logout --yes"); code != 4 {
		t.Errorf("logout when signed out: exit %d, want 4", code)
	}

	// Revoke --yes invalidates at the server.
	e = newTestEnv(t, srv)
	e.addServer(t)
	tok = e.loggedIn(t, time.Hour)
	if code := e.run("revoke --yes"); code != 0 {
		t.Fatalf("revoke: exit %d %s", code, e.err)
	}
	if srv.Active(tok) {
		t.Errorf("revoke left the token active")
	}

	// Tokens from the environment or a file are refused.
	e = newTestEnv(t, srv)
	e.addServer(t)
	e.loggedIn(t, time.Hour)
	e.env["AUTHDECK_TOKEN"] = "env-token"
	if code := e.run("logout --yes"); code != 1 || !strings.Contains(e.err.String(), "AUTHDECK_TOKEN") {
		t.Errorf("logout with AUTHDECK_TOKEN: exit %d %s", code, e.err)
	}
	delete(e.env, "AUTHDECK_TOKEN")
	e.err.Reset()
	if code := e.run("--token-file /tmp/t revoke --yes"); code != 1 || !strings.Contains(e.err.String(), "/tmp/t") {
		t.Errorf("revoke with --token-file: exit %d %s", code, e.err)
	}
	if _, err := e.manager(t).Token(ctx, "alice", profiles.TokenOptions{}); err != nil {
		t.Errorf("refused logout forgot the token: %v", err)
	}
}

func TestTokenPrintsOnlyTheToken(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{})
	e := newTestEnv(t, srv)
	e.addServer(t)
	tok := e.loggedIn(t, time.Hour)
	if code := e.run("token"); code != 0 || e.out.String() != tok+"\n" || e.err.Len() != 0 {
		t.Errorf("token: exit %d, stdout %q, stderr %q", code, e.out, e.err)
	}
	e.out.Reset()
	// An explicit --min-ttl is honoured even beyond the token's life: a 1h
	// token just obtained is refreshed for --min-ttl 2h.
	if code := e.run("tokens print --min-ttl 2h"); code != 0 || e.out.String() == tok+"\n" || srv.RefreshCount() != 1 {
		t.Errorf("tokens print --min-ttl 2h: exit %d, stdout %q, refreshes %d", code, e.out, srv.RefreshCount())
	}
	e.out.Reset()
	// An expired one is refreshed first, once.
	tok = e.loggedIn(t, -time.Minute)
	if code := e.run("tokens print"); code != 0 || e.out.String() == tok+"\n" || srv.RefreshCount() != 2 {
		t.Errorf("tokens print of an expired token: exit %d, stdout %q, refreshes %d", code, e.out, srv.RefreshCount())
	}
}

func TestWhoamiAndStatus(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{})
	e := newTestEnv(t, srv)
	e.addServer(t)
	if code := e.run("whoami"); code != 4 {
		t.Errorf("whoami, not logged in: exit %d, want 4", code)
	}
	tok := e.loggedIn(t, time.Hour)

	e.out.Reset()
	if code := e.run("whoami --json"); code != 0 {
		t.Fatalf("whoami: %s", e.err)
	}
	var w whoamiJSON
	if err := json.Unmarshal(e.out.Bytes(), &w); err != nil || w.Version != 1 || w.Account != "alice" || w.Profile != "alice" || w.Server != "dev" {
		t.Errorf("whoami --json = %+v (%v)", w, err)
	}

	e.out.Reset()
	if code := e.run("status --json"); code != 0 {
		t.Fatalf("status: %s", e.err)
	}
	var st statusJSON
	if err := json.Unmarshal(e.out.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if st.Version != 1 || st.Selected != "alice" || st.ChosenBy != "active" || len(st.Profiles) != 1 {
		t.Fatalf("status --json = %+v", st)
	}
	r := st.Profiles[0]
	if r.Storage != "keyring" || r.TokenSource != "keyring" || r.TokenState != "valid" || r.ExpiresAt == nil || !r.Selected || !r.HasRefresh {
		t.Errorf("status row = %+v", r)
	}

	// Piped: tab-separated, RFC 3339.
	e.out.Reset()
	e.run("status")
	fields := strings.Split(strings.TrimSpace(e.out.String()), "\t")
	if len(fields) != 8 || fields[0] != "alice" || fields[7] != "active" {
		t.Errorf("piped status = %q", e.out)
	} else if _, err := time.Parse(time.RFC3339, fields[5]); err != nil {
		t.Errorf("piped expiry %q: %v", fields[5], err)
	}
	// Terminal: a header, aligned columns and relative times.
	e.tty()
	e.out.Reset()
	e.run("status")
	lines := strings.Split(strings.TrimSpace(e.out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "PROFILE") || !strings.Contains(lines[1], "in 59m") || strings.Contains(lines[1], "\t") {
		t.Errorf("terminal status = %q", e.out)
	}
	if strings.Contains(e.outputs(), tok) {
		t.Errorf("whoami/status printed the access token")
	}
}

func TestProfilesAndServersCommands(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{})
	e := newTestEnv(t, srv)
	e.addServer(t)
	e.loggedIn(t, time.Hour)
	// A second server, with a client secret that must never be shown.
	if code := e.run(fmt.Sprintf("servers add other --device-url %s/device_authorization --token-url %s/token --client-id c2 --client-secret s3cr3t-value --env-var OTHER_TOKEN", srv.URL, srv.URL)); code != 0 {
		t.Fatalf("servers add: %s", e.err)
	}
	e.out.Reset()
	if code := e.run("servers list --json"); code != 0 {
		t.Fatal(e.err)
	}
	var sj serversJSON
	if err := json.Unmarshal(e.out.Bytes(), &sj); err != nil || sj.Version != 1 || len(sj.Servers) != 2 {
		t.Fatalf("servers --json = %s (%v)", e.out, err)
	}
	if sj.Servers[1].ClientSecret != secretMask || sj.Servers[0].Profiles != 1 || sj.Servers[1].EnvVar != "OTHER_TOKEN" {
		t.Errorf("servers = %+v", sj.Servers)
	}
	e.run("servers list")
	if strings.Contains(e.outputs(), "s3cr3t-value") {
		t.Errorf("the client secret was printed")
	}
	if !strings.Contains(e.err.String(), "process list") {
		t.Errorf("no warning about --client-secret on the command line: %s", e.err)
	}

	for _, bad := range []string{
		"servers add x --issuer https://a.example --device-url https://a.example/d --token-url https://a.example/t --client-id c",
		"servers add x --issuer https://a.example",
		"servers add x --device-url https://a.example/d --client-id c",
	} {
		e.err.Reset()
		if code := e.run(bad); code != 1 || !strings.Contains(e.err.String(), "--help") {
			t.Errorf("%s: exit %d, %s", bad, code, e.err)
		}
	}

	if code := e.run("profiles rename alice work"); code != 0 {
		t.Fatal(e.err)
	}
	e.out.Reset()
	e.run("profiles list --json")
	var pj profilesJSON
	if err := json.Unmarshal(e.out.Bytes(), &pj); err != nil || pj.Version != 1 || len(pj.Profiles) != 1 || pj.Profiles[0].Name != "work" || !pj.Profiles[0].Active {
		t.Errorf("profiles --json = %s (%v)", e.out, err)
	}
	if code := e.run("servers rm dev"); code != 1 {
		t.Errorf("removing a server in use: exit %d", code)
	}
	if code := e.run("profiles use nobody"); code != 1 {
		t.Errorf("use of an unknown profile: exit %d", code)
	}
	if code := e.run("profiles rm work --yes"); code != 0 {
		t.Fatal(e.err)
	}
	if code := e.run("servers rm dev"); code != 0 {
		t.Errorf("servers rm: %s", e.err)
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		e := newTestEnv(t, nil)
		if code := e.run("completion " + shell); code != 0 || !strings.Contains(e.out.String(), "authdeck") {
			t.Errorf("completion %s: exit %d, %d bytes", shell, code, e.out.Len())
		}
	}
}

func TestLoginExpired(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{Interval: 10 * time.Millisecond, DeviceCodeTTL: 80 * time.Millisecond})
	e := newTestEnv(t, srv)
	e.addServer(t)
	if code := e.run("login --json"); code != 1 {
		t.Fatalf("expired login: exit %d, want 1\n%s", code, e.outputs())
	}
	if !strings.Contains(e.err.String(), "login expired") || !strings.Contains(e.out.String(), `"code":"expired_token"`) {
		t.Errorf("output: %s", e.outputs())
	}
}

func TestLoginWarnsWhenVerificationHostDiffers(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{Interval: 10 * time.Millisecond})
	srv.Approve()
	e := newTestEnv(t, srv)
	m := e.manager(t)
	err := m.Update(context.Background(), func(c *profiles.Config) error {
		ep := srv.Endpoints()
		ep.Issuer = "https://login.example.com" // the page is on 127.0.0.1
		// No openid: no ID token, whose keys would be looked up at that issuer.
		c.Servers = append(c.Servers, profiles.Server{Name: "dev", Endpoints: ep, ClientID: "authdeck-test", Scopes: []string{"profile"}})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if code := e.run("login"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.err)
	}
	if !strings.Contains(e.err.String(), "WARNING: the verification page is on 127.0.0.1, not on the server's host login.example.com") {
		t.Errorf("no host warning:\n%s", e.err)
	}
}

// TestLoginJSONSlowDown: a slow_down answer is a poll event with result
// "slow_down" and the interval raised by 5 s (RFC 8628 section 3.5), and the
// next poll waits that long.
func TestLoginJSONSlowDown(t *testing.T) {
	const interval = 10 * time.Millisecond
	srv := authtest.NewServer(t, authtest.Options{Interval: interval})
	e := newTestEnv(t, srv)
	e.addServer(t)
	srv.Script(authtest.Pending(), authtest.SlowDown(0))
	srv.Approve()
	if code := e.run("login --json --no-browser"); code != 0 {
		t.Fatalf("login --json: exit %d\n%s", code, e.outputs())
	}
	var polls []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(e.out.String()), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		if ev["event"] == "poll" {
			polls = append(polls, ev)
		}
	}
	if len(polls) != 2 || polls[0]["result"] != "pending" || polls[1]["result"] != "slow_down" {
		t.Fatalf("poll events = %v, want pending then slow_down", polls)
	}
	want := (interval + 5*time.Second).Seconds()
	if got := polls[1]["interval"]; got != want {
		t.Errorf("slow_down event interval = %v, want %v (the old one plus 5 s)", got, want)
	}
	if got := polls[0]["interval"]; got != interval.Seconds() {
		t.Errorf("pending event interval = %v, want %v", got, interval.Seconds())
	}
	// The poll after slow_down came no sooner than the raised interval.
	reqs := srv.Polls()
	if len(reqs) != 3 {
		t.Fatalf("%d polls reached the server, want 3", len(reqs))
	}
	if gap := reqs[2].Time.Sub(reqs[1].Time); gap < interval+5*time.Second {
		t.Errorf("the poll after slow_down came %s after it, want at least %s", gap, interval+5*time.Second)
	}
	if n := srv.TooFast(); n != 0 {
		t.Errorf("%d polls came sooner than the interval in force", n)
	}
}

// There is one cancellation error: the TUI's, the command's and the one a
// host checks for (profiles.ErrCancelled) are the same, so a host that
// checks for one sees them all.
func TestOneCancellationError(t *testing.T) {
	for name, err := range map[string]error{"cmd.ErrCancel": ErrCancel, "tui.ErrCancelled": tui.ErrCancelled} {
		if !errors.Is(err, profiles.ErrCancelled) {
			t.Errorf("%s is not profiles.ErrCancelled", name)
		}
	}
	if ExitCode(fmt.Errorf("x: %w", profiles.ErrCancelled)) != ExitCancel || ErrorMessage(profiles.ErrCancelled, "app") != "cancelled" {
		t.Error("profiles.ErrCancelled is not a cancellation")
	}
}
