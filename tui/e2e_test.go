package tui_test

// End to end in a real terminal: the built authdeck binary runs in tmux
// against the real OpenID provider (panva's oidc-provider, started on
// 127.0.0.1 by internal/oidctest); the test reads the user code off the
// screen, approves it through the provider's device pages, and drives the
// accounts screen with send-keys.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/oidctest"
)

type tmux struct {
	t      *testing.T
	socket string
}

func (x tmux) run(args ...string) string {
	x.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", x.socket}, args...)...).CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (x tmux) screen() string { return x.run("capture-pane", "-p", "-t", "e2e") }

func (x tmux) keys(keys ...string) { x.run(append([]string{"send-keys", "-t", "e2e"}, keys...)...) }

// waitFor polls the screen until it contains every text.
func (x tmux) waitFor(texts ...string) string {
	x.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var s string
	for time.Now().Before(deadline) {
		s = x.screen()
		ok := true
		for _, want := range texts {
			ok = ok && strings.Contains(s, want)
		}
		if ok {
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	x.t.Fatalf("screen never showed %q; last screen:\n%s", texts, s)
	return ""
}

var codeRe = regexp.MustCompile(`Code: ([A-Z0-9]{4}-[A-Z0-9]{4})`)

func (x tmux) userCode() string {
	x.t.Helper()
	s := x.waitFor("Code: ", "Last answer")
	m := codeRe.FindStringSubmatch(s)
	if m == nil {
		x.t.Fatalf("no user code on screen:\n%s", s)
	}
	return m[1]
}

func TestE2ETmuxLoginSwitchLogoutRevoke(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed (CI=true: required)")
		}
		t.Skip("tmux is not installed")
	}
	p := oidctest.Start(t, oidctest.Options{})
	dir := t.TempDir()
	bin := filepath.Join(dir, "authdeck")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/authdeck").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "config")
	env := []string{"AUTHDECK_CONFIG_DIR=" + cfg, "HOME=" + dir, "PATH=" + os.Getenv("PATH"), "TERM=xterm-256color", "NO_COLOR=1"}

	x := tmux{t: t, socket: fmt.Sprintf("authdeck-e2e-%d", os.Getpid())}
	cmdline := fmt.Sprintf("env -i %s %s login --server %s --client-id %s --scopes openid,profile,email,offline_access --insecure-storage --no-browser; sleep 600",
		strings.Join(env, " "), bin, p.Issuer, p.ClientID)
	x.run("new-session", "-d", "-s", "e2e", "-x", "110", "-y", "45", cmdline)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", x.socket, "kill-server").Run() })

	// Log in as alice: read the code off the screen, approve it.
	code := x.userCode()
	p.ApproveAs(t, code, "alice")
	s := x.waitFor("Logged in as alice", "PLAIN FILE")
	t.Logf("success screen:\n%s", s)

	// On to the accounts screen, and a second login (bob) from there.
	x.keys("Enter")
	x.waitFor("Profiles (1)", "alice")
	x.keys("l")
	code2 := x.userCode()
	if code2 == code {
		t.Fatal("the second login reused the first code")
	}
	p.ApproveAs(t, code2, "bob")
	x.waitFor("Logged in as bob")
	x.keys("Enter")
	x.waitFor("Profiles (2)", "bob")

	status := func() map[string]map[string]any {
		t.Helper()
		c := exec.Command(bin, "status", "--json")
		c.Env = env
		out, err := c.Output()
		if err != nil {
			t.Fatalf("status --json: %v\n%s", err, out)
		}
		var doc struct {
			Profiles []map[string]any `json:"profiles"`
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("status --json: %v\n%s", err, out)
		}
		rows := map[string]map[string]any{}
		for _, r := range doc.Profiles {
			rows[r["profile"].(string)] = r
		}
		return rows
	}
	if st := status(); st["alice"]["active"] != true || st["bob"]["active"] != false {
		t.Fatalf("after two logins: %v", st)
	}

	// Switch to bob: select the row that is not active, press enter.
	selectRow := func(name string) {
		t.Helper()
		for i := 0; i < 8; i++ {
			if regexp.MustCompile(`>.? +` + name + ` `).MatchString(x.screen()) {
				return
			}
			if i < 4 {
				x.keys("Up")
			} else {
				x.keys("Down")
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("could not select %s:\n%s", name, x.screen())
	}
	selectRow("bob")
	x.keys("Enter")
	x.waitFor("Now using bob")
	if st := status(); st["bob"]["active"] != true || st["alice"]["active"] != false {
		t.Fatalf("after use: %v", st)
	}

	// Log bob out (local only).
	x.keys("o")
	x.waitFor(`Log out of profile "bob"?`, "no (default)")
	x.keys("y")
	x.waitFor("Signed out of bob")
	if st := status(); st["bob"]["storage"] != "" || st["bob"]["token_state"] != "signed-out" {
		t.Fatalf("after logout: %v", st["bob"])
	}

	// Revoke alice at the server: read her token first, to check it dies.
	tc := exec.Command(bin, "token", "--profile", "alice")
	tc.Env = env
	tok, err := tc.Output()
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	at := strings.TrimSpace(string(tok))
	if !p.Active(t, at) {
		t.Fatal("alice's token is not active before revoke")
	}
	rt := refreshTokenOf(t, filepath.Join(cfg, "credentials.json"), at)
	if !p.Active(t, rt) {
		t.Fatal("alice's refresh token is not active before revoke")
	}
	selectRow("alice")
	x.keys("r")
	x.waitFor(`Revoke profile "alice" at the server?`)
	x.keys("y")
	x.waitFor("Signed out of alice")
	if p.Active(t, at) {
		t.Fatal("alice's access token is still active after revoke")
	}
	if p.Active(t, rt) {
		t.Fatal("alice's refresh token is still active after revoke")
	}
	if st := status(); st["alice"]["token_state"] != "signed-out" {
		t.Fatalf("after revoke: %v", st["alice"])
	}
	x.keys("q")
}

// refreshTokenOf reads the refresh token stored beside accessToken in the
// credentials file (written by --insecure-storage).
func refreshTokenOf(t *testing.T, path, accessToken string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the credentials file: %v", err)
	}
	var doc struct {
		Secrets map[string]struct {
			Access  string `json:"a"`
			Refresh string `json:"r"`
		} `json:"secrets"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("parsing the credentials file: %v", err)
	}
	for _, s := range doc.Secrets {
		if s.Access == accessToken {
			if s.Refresh == "" {
				t.Fatal("the profile has no refresh token (offline_access was asked for)")
			}
			return s.Refresh
		}
	}
	t.Fatalf("no stored secret holds the access token (%d secrets)", len(doc.Secrets))
	return ""
}
