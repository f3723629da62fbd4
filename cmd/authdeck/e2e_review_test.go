package main

// End-to-end tests, against the real provider, of the fixes from the review
// of the cmd package.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/oidctest"
)

// loginAs signs a sandbox in through the device flow, approving as login.
func (s *sandbox) loginAs(p *oidctest.Provider, login string, extra ...string) ([]event, result) {
	s.t.Helper()
	return s.loginJSON(func(code string) { p.ApproveAs(s.t, code, login) }, append([]string{"--insecure-storage"}, extra...)...)
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// whoami with --token-file or AUTHDECK_TOKEN asks the provider who that
// token is (bob), not the stored login (alice); a token the provider
// rejects is an error.
func TestWhoamiAsksWithTheGivenToken(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	s := newSandbox(t)
	s.addServer(p)
	s.login(p)

	other := newSandbox(t)
	other.addServer(p)
	if _, r := other.loginAs(p, "bob"); r.code != 0 {
		t.Fatalf("login as bob: %s", r)
	}
	bobTok := other.token()

	r := s.ok("--token-file", writeTemp(t, bobTok+"\n"), "whoami", "--json")
	var w map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &w); err != nil || w["account"] != "bob" || w["token_source"] != "token-file" {
		t.Errorf("whoami --token-file (bob's token) = %s (%v)", r.stdout, err)
	}
	if strings.Contains(r.stdout+r.stderr, bobTok) {
		t.Errorf("whoami printed the token")
	}
	if r := s.with("AUTHDECK_TOKEN=" + bobTok).ok("whoami"); !strings.HasPrefix(r.stdout, "bob\n") {
		t.Errorf("whoami with AUTHDECK_TOKEN (bob's token):\n%s", r)
	}
	bad := writeTemp(t, "not-a-token")
	if r := s.run("", "--token-file", bad, "whoami"); r.code != 1 || !strings.Contains(r.stderr, "not accepted") || r.stdout != "" {
		t.Errorf("whoami with a rejected token file: %s", r)
	}
	// The stored login is still what whoami shows without overrides.
	if r := s.ok("whoami"); !strings.HasPrefix(r.stdout, "alice\n") {
		t.Errorf("whoami: %s", r)
	}
}

// A server written by hand with only issuer and client_id is discovered on
// login, and the endpoints are saved.
func TestLoginHandWrittenServer(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	s := newSandbox(t)
	conf := "version = 1\n\n[[servers]]\nname = \"dev\"\nissuer = \"" + p.Issuer + "\"\nclient_id = \"" + p.ClientID + "\"\nscopes = [\"openid\", \"profile\", \"email\", \"offline_access\"]\n"
	if err := os.WriteFile(filepath.Join(s.dir, "config.toml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	events, _ := s.login(p)
	if e := lastEvent(t, events, "success"); e.str("account") != "alice" {
		t.Errorf("success event = %v", e)
	}
	r := s.ok("servers", "list", "--json")
	if !strings.Contains(r.stdout, `"token_endpoint": "`+p.Issuer) || !strings.Contains(r.stdout, `"device_authorization_endpoint"`) {
		t.Errorf("servers after login:\n%s", r.stdout)
	}
	if !p.Active(t, s.token()) {
		t.Errorf("the token from the discovered server is not active")
	}
}

// login --profile alice approved as bob is refused: alice's tokens (the
// refresh token too) stay and keep working.
func TestLoginRefusesAnotherAccountInAProfile(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	s := newSandbox(t)
	s.addServer(p)
	s.login(p)
	aliceTok := s.token()

	events, r := s.loginAs(p, "bob", "--profile", "alice")
	e := lastEvent(t, events, "error")
	if r.code != 1 || !strings.Contains(e.str("error"), "logout alice") || !strings.Contains(e.str("error"), "bob") {
		t.Errorf("login --profile alice as bob: %s", r)
	}
	if got := s.token(); got != aliceTok || !p.Active(t, aliceTok) {
		t.Errorf("alice's token changed or stopped working after the refused login")
	}
	st := s.ok("status", "--json")
	if !strings.Contains(st.stdout, `"has_refresh": true`) || !strings.Contains(st.stdout, `"account": "alice"`) {
		t.Errorf("status after the refused login:\n%s", st.stdout)
	}
	// Re-login of alice into her own profile is fine.
	if _, r := s.loginAs(p, "alice", "--profile", "alice"); r.code != 0 {
		t.Errorf("re-login of alice: %s", r)
	}
}

// A denied ad-hoc login leaves no server behind; every --json failure,
// also before a code is issued, ends with one error event.
func TestAdHocLoginFailureLeavesNoServer(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	s := newSandbox(t)
	servers := func() int {
		var doc struct{ Servers []any }
		if err := json.Unmarshal([]byte(s.ok("servers", "list", "--json").stdout), &doc); err != nil {
			t.Fatal(err)
		}
		return len(doc.Servers)
	}
	events, r := s.loginJSON(func(code string) { p.Deny(t, code) }, "--server", p.Issuer, "--client-id", p.ClientID)
	if e := lastEvent(t, events, "error"); r.code != 1 || e.str("code") != "access_denied" || servers() != 0 {
		t.Errorf("denied ad-hoc login: %s; %d server(s) left", r, servers())
	}
	for _, args := range [][]string{
		{"--server", "nope"},
		{"--server", "http://example.com", "--client-id", "x"},
		{"--server", p.Issuer + "/nothing-here", "--client-id", "x"},
	} {
		events, r := s.loginJSON(func(string) { t.Errorf("a code was issued for %v", args) }, args...)
		if r.code != 1 || len(events) != 1 || events[0].str("event") != "error" {
			t.Errorf("login --json %v: %s", args, r)
		}
	}
	if n := servers(); n != 0 {
		t.Errorf("%d server(s) left after failed logins", n)
	}
	if _, r := s.loginAs(p, "alice", "--server", p.Issuer, "--client-id", p.ClientID, "--scopes", "openid,profile,email,offline_access"); r.code != 0 || servers() != 1 {
		t.Errorf("approved ad-hoc login: %s; %d server(s)", r, servers())
	}
}

// Ctrl-C at logout's y/N question, on a real terminal, ends it at once with
// exit 2 and forgets nothing.
func TestCtrlCAtLogoutPrompt(t *testing.T) {
	t.Parallel()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed; the prompt needs a real terminal (CI=true)")
		}
		t.Skip("tmux is not installed (apt-get install tmux); the prompt needs a real terminal")
	}
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	s := newSandbox(t)
	s.addServer(p)
	s.login(p)
	tok := s.token()

	sock := filepath.Join(t.TempDir(), "tmux.sock")
	tm := func(args ...string) (string, error) {
		c := exec.Command(tmux, append([]string{"-S", sock}, args...)...)
		c.Env = append(s.env, "TERM=xterm-256color")
		out, err := c.CombinedOutput()
		return string(out), err
	}
	// The shell traps INT so that it outlives the Ctrl-C and reports the
	// exit code (the trap does not reach authdeck, which gets the default).
	script := "trap : INT; cd '" + s.dir + "' && '" + bin + "' logout; echo \"logout exited $?\"; sleep 60"
	if out, err := tm("-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "20", "sh", "-c", script); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { _, _ = tm("kill-server") })
	waitFor := func(what string) string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		var screen string
		for time.Now().Before(deadline) {
			if out, err := tm("capture-pane", "-p", "-J", "-t", "0"); err == nil {
				screen = out
				if strings.Contains(screen, what) {
					return screen
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("the screen never showed %q; last screen:\n%s", what, screen)
		return ""
	}
	waitFor("[y/N]")
	if out, err := tm("send-keys", "-t", "0", "C-c"); err != nil {
		t.Fatalf("send-keys: %v\n%s", err, out)
	}
	if screen := waitFor("logout exited"); !strings.Contains(screen, "logout exited 2") {
		t.Errorf("logout after Ctrl-C at the prompt:\n%s", screen)
	}
	if got := s.token(); got != tok {
		t.Errorf("the cancelled logout changed the stored token")
	}
}
