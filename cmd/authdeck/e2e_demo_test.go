package main

// End-to-end tests of `authdeck dev-server` and `authdeck demo` with the
// built binary: the dev server as a separate process driven over HTTP like
// a browser, the demo without a terminal, and the demo in a real terminal
// (tmux) reaching the full-screen success screen.

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startDevServer runs `authdeck dev-server` and returns its issuer and
// client id (read from its stdout) and the running process.
func startDevServer(t *testing.T, s *sandbox, args ...string) (issuer, clientID string, c *exec.Cmd, stderr *lockedBuffer) {
	t.Helper()
	c = s.command(context.Background(), append([]string{"dev-server"}, args...)...)
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr = &lockedBuffer{}
	c.Stderr = stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.ProcessState == nil {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	})
	found := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "Issuer:"); ok {
				issuer = strings.TrimSpace(v)
			}
			if v, ok := strings.CutPrefix(line, "Client ID:"); ok {
				clientID = strings.TrimSpace(v)
				close(found)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case <-found:
	case <-time.After(20 * time.Second):
		t.Fatalf("dev-server printed no issuer and client id; stderr:\n%s", stderr.String())
	}
	return issuer, clientID, c, stderr
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// approveOnPage plays the person on the dev server's verification page,
// over HTTP with a cookie jar: open the page with the code filled in, then
// press approve as login.
func approveOnPage(t *testing.T, issuer, userCode, login string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	res, err := hc.Get(issuer + "/device?user_code=" + url.QueryEscape(userCode))
	if err != nil {
		t.Errorf("opening the verification page: %v", err)
		return
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindStringSubmatch(string(page))
	if res.StatusCode != 200 || m == nil {
		t.Errorf("verification page: HTTP %d without a CSRF field:\n%s", res.StatusCode, page)
		return
	}
	res, err = hc.PostForm(issuer+"/device", url.Values{"csrf": {m[1]}, "user_code": {userCode}, "user": {login}, "action": {"approve"}})
	if err != nil {
		t.Errorf("approving: %v", err)
		return
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("approving: HTTP %d\n%s", res.StatusCode, body)
	}
}

func TestDevServerProcessLogin(t *testing.T) {
	t.Parallel()
	srvBox := newSandbox(t)
	issuer, clientID, srv, srvErr := startDevServer(t, srvBox, "--interval", "1s")
	if !strings.HasPrefix(issuer, "http://127.0.0.1:") || clientID == "" {
		t.Fatalf("dev-server printed issuer %q, client id %q", issuer, clientID)
	}

	s := newSandbox(t)
	events, r := s.loginJSON(func(code string) { approveOnPage(t, issuer, code, "bob") },
		"--server", issuer, "--client-id", clientID, "--insecure-storage")
	if r.code != 0 {
		t.Fatalf("login against the dev server: %s", r)
	}
	code := events[0]
	if code.str("event") != "code" || code.str("verification_uri") != issuer+"/device" {
		t.Errorf("code event = %v", code)
	}
	ok := lastEvent(t, events, "success")
	if ok.str("profile") != "bob" {
		t.Errorf("success event = %v, want profile bob", ok)
	}
	who := s.ok("whoami")
	if !strings.Contains(who.stdout, "bob@example.com") || !strings.Contains(who.stdout, "issuer:   "+issuer) {
		t.Errorf("whoami:\n%s", who.stdout)
	}
	if tok := s.token(); len(tok) < 16 {
		t.Errorf("token %q", tok)
	}

	// Ctrl-C stops it, with exit code 0, and its log went to stderr.
	if err := srv.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := srv.Wait()
	if err != nil {
		t.Errorf("dev-server after SIGINT: %v, want exit 0\n%s", err, srvErr.String())
	}
	logs := srvErr.String()
	if !strings.Contains(logs, "dev server started") || !strings.Contains(logs, "Stopped.") {
		t.Errorf("dev-server stderr:\n%s", logs)
	}
	for _, secret := range []string{s.token()} {
		if strings.Contains(logs, secret) {
			t.Error("the dev server logged a token")
		}
	}
}

func TestDemoAutoApproveWithoutTerminal(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	r := s.run("", "demo", "--auto-approve")
	if r.code != 0 {
		t.Fatalf("demo --auto-approve: %s", r)
	}
	if !strings.HasPrefix(r.stdout, "alice\n") {
		t.Errorf("whoami does not start with the account alice:\n%s", r.stdout)
	}
	for _, want := range []string{"name:     Alice Liddell", "profile:  alice", "server:   demo", "email:    alice@example.com"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo's whoami lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, want := range []string{"temporary directory", "Approve the sign-in at http://127.0.0.1:", "/device", "Logged in to demo as"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("demo's stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if entries, _ := os.ReadDir(s.dir); len(entries) != 0 {
		t.Errorf("the demo wrote into the user's config dir: %v", entries)
	}
	if m := regexp.MustCompile(`temporary directory (\S+), removed`).FindStringSubmatch(r.stderr); m == nil {
		t.Error("the demo did not name its temporary directory")
	} else if _, err := os.Stat(m[1]); !os.IsNotExist(err) {
		t.Errorf("the demo left %s behind (%v)", m[1], err)
	}
}

// TestDemoAutoApproveInTmux runs the demo in a real terminal and waits for
// the TUI's success screen.
func TestDemoAutoApproveInTmux(t *testing.T) {
	t.Parallel()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed; the demo's TUI needs a real terminal (CI=true)")
		}
		t.Skip("tmux is not installed (apt-get install tmux); the demo's TUI needs a real terminal")
	}
	s := newSandbox(t)
	sock := filepath.Join(t.TempDir(), "tmux.sock")
	tm := func(args ...string) (string, error) {
		c := exec.Command(tmux, append([]string{"-S", sock}, args...)...)
		c.Env = append(s.env, "TERM=xterm-256color")
		out, err := c.CombinedOutput()
		return string(out), err
	}
	script := "'" + bin + "' demo --auto-approve; echo \"demo exited $?\"; sleep 60"
	if out, err := tm("-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "32", "sh", "-c", script); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { _, _ = tm("kill-server") })

	waitFor := func(what string, d time.Duration) string {
		t.Helper()
		deadline := time.Now().Add(d)
		var screen string
		for time.Now().Before(deadline) {
			out, err := tm("capture-pane", "-p", "-t", "0")
			if err == nil {
				screen = out
				if strings.Contains(screen, what) {
					return screen
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("the screen never showed %q; last screen:\n%s", what, screen)
		return ""
	}
	// The login screen shows the code and the verification page first...
	screen := waitFor("/device", 30*time.Second)
	if !strings.Contains(screen, "127.0.0.1") {
		t.Errorf("login screen does not show the dev server's page:\n%s", screen)
	}
	// ...then, once auto-approved, the success screen.
	screen = waitFor("Logged in as", 60*time.Second)
	if !strings.Contains(screen, "Alice") && !strings.Contains(screen, "alice") {
		t.Errorf("success screen does not name alice:\n%s", screen)
	}
	if strings.Contains(screen, "level=") {
		t.Errorf("the dev server logged over the TUI:\n%s", screen)
	}
	// Leave: enter goes to the accounts screen, q quits; the demo exits 0.
	if out, err := tm("send-keys", "-t", "0", "Enter"); err != nil {
		t.Fatalf("send-keys: %v\n%s", err, out)
	}
	time.Sleep(500 * time.Millisecond)
	if out, err := tm("send-keys", "-t", "0", "q"); err != nil {
		t.Fatalf("send-keys: %v\n%s", err, out)
	}
	screen = waitFor("demo exited", 20*time.Second)
	if !strings.Contains(screen, "demo exited 0") {
		t.Errorf("the demo did not exit 0:\n%s", screen)
	}
	if !strings.Contains(screen, "Demo finished: logged in as") {
		t.Errorf("no closing line after the TUI:\n%s", screen)
	}
	if entries, _ := os.ReadDir(s.dir); len(entries) != 0 {
		t.Errorf("the demo wrote into the user's config dir: %v", entries)
	}
}

// lockedBuffer collects a process's output while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDemoScreensAtCommonSizes runs the demo in tmux at 80x24 and 100x30:
// the intro is on the login screen, the QR code is visible, no answer is
// claimed before a poll, and the success screen says quietly where the
// throwaway tokens went, with no WARNING box.
func TestDemoScreensAtCommonSizes(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed; the demo's TUI needs a real terminal (CI=true)")
		}
		t.Skip("tmux is not installed")
	}
	for _, sz := range [][2]string{{"80", "24"}, {"100", "30"}} {
		t.Run(sz[0]+"x"+sz[1], func(t *testing.T) {
			s := newSandbox(t)
			sock := filepath.Join(t.TempDir(), "tmux.sock")
			tm := func(args ...string) (string, error) {
				c := exec.Command(tmux, append([]string{"-S", sock}, args...)...)
				c.Env = append(s.env, "TERM=xterm-256color")
				out, err := c.CombinedOutput()
				return string(out), err
			}
			script := "'" + bin + "' demo --auto-approve; echo \"demo exited $?\"; sleep 60"
			if out, err := tm("-f", "/dev/null", "new-session", "-d", "-x", sz[0], "-y", sz[1], "sh", "-c", script); err != nil {
				t.Fatalf("tmux new-session: %v\n%s", err, out)
			}
			t.Cleanup(func() { _, _ = tm("kill-server") })
			waitFor := func(what string) string {
				t.Helper()
				deadline := time.Now().Add(60 * time.Second)
				var screen string
				for time.Now().Before(deadline) {
					if out, err := tm("capture-pane", "-p", "-t", "0"); err == nil {
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
			screen := waitFor("Code: ")
			t.Logf("login screen:\n%s", screen)
			if !strings.Contains(screen, "Demo: --auto-approve approves the code as alice after 3s") {
				t.Errorf("the demo's intro is not on the login screen:\n%s", screen)
			}
			if !strings.Contains(screen, "▀") || !strings.Contains(screen, "▄") || strings.Contains(screen, "QR code hidden") {
				t.Errorf("no QR code at %sx%s:\n%s", sz[0], sz[1], screen)
			}
			if strings.Contains(screen, "waiting for you to approve") {
				t.Errorf("an answer is claimed before any poll:\n%s", screen)
			}
			screen = waitFor("Logged in as")
			t.Logf("success screen:\n%s", screen)
			flat := strings.Join(strings.Fields(screen), " ")
			if strings.Contains(flat, "WARNING") || strings.Contains(flat, "you asked for file storage") {
				t.Errorf("the demo warns about its own storage:\n%s", screen)
			}
			if !strings.Contains(flat, "Demo tokens are in a temporary directory, removed when the demo ends.") {
				t.Errorf("no quiet line about the demo's tokens:\n%s", screen)
			}
			if _, err := tm("send-keys", "-t", "0", "q"); err != nil {
				t.Fatal(err)
			}
			screen = waitFor("demo exited")
			if !strings.Contains(screen, "demo exited 0") || strings.Contains(screen, "Approve the sign-in at") {
				t.Errorf("after the TUI:\n%s", screen)
			}
		})
	}
}
