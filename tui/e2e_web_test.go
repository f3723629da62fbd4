package tui_test

// End to end, browser sign-in in a real terminal: the built binary runs in
// tmux against the real OpenID provider (oidctest, client authdeck-web);
// the test reads the authorization URL off the login screen (the "u" view,
// which shows the address alone) and headless Chromium (chromedp) plays
// the person through the provider's login and consent pages to the
// binary's loopback listener.

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/oidctest"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// needTools skips (or, under CI=true, fails) when a tool is missing.
func needTools(t *testing.T, names ...string) map[string]string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	found := map[string]string{}
	for _, n := range names {
		alts := strings.Split(n, "|")
		for _, a := range alts {
			if p, err := exec.LookPath(a); err == nil {
				found[alts[0]] = p
				break
			}
		}
		if found[alts[0]] == "" {
			msg := fmt.Sprintf("%s is not installed; the browser sign-in end-to-end test needs it", alts[0])
			if os.Getenv("CI") == "true" {
				t.Fatal(msg + " (CI=true: required)")
			}
			t.Skip(msg)
		}
	}
	return found
}

// chromium starts headless Chromium with a fresh profile.
func chromium(t *testing.T, path string) context.Context {
	t.Helper()
	out := &lockedBuf{}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(out),
	)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("starting %s: %v\n%s", path, err, out.String())
	}
	ctx, cancel := context.WithTimeout(browser, 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// signIn plays the person on the provider's pages: the development login
// (any password), then consent.
func signIn(authURL, login string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(authURL),
		chromedp.WaitVisible(chromedp.CSS(`input[name=login]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=login]`), login),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "any password"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitReady(chromedp.CSS(`input[name=prompt][value=consent]`)),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
	)
}

// webE2E is one test's binary, config and tmux server.
type webE2E struct {
	t   *testing.T
	bin string
	env []string
	x   tmux
}

func newWebE2E(t *testing.T, name string) *webE2E {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "authdeck")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/authdeck").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	env := []string{"AUTHDECK_CONFIG_DIR=" + filepath.Join(dir, "config"), "HOME=" + dir, "PATH=" + os.Getenv("PATH"), "TERM=xterm-256color", "NO_COLOR=1"}
	e := &webE2E{t: t, bin: bin, env: env, x: tmux{t: t, socket: fmt.Sprintf("authdeck-%s-%d", name, os.Getpid())}}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", e.x.socket, "kill-server").Run() })
	return e
}

// authdeck runs the binary outside tmux and returns its stdout.
func (e *webE2E) authdeck(args ...string) string {
	e.t.Helper()
	c := exec.Command(e.bin, args...)
	c.Env = e.env
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		e.t.Fatalf("authdeck %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// start runs a shell line in a new tmux session "e2e".
func (e *webE2E) start(extraEnv []string, line string) {
	env := strings.Join(append(append([]string{}, e.env...), extraEnv...), " ")
	line = strings.ReplaceAll(line, "AUTHDECK", "env -i "+env+" "+e.bin)
	e.x.run("new-session", "-d", "-s", "e2e", "-x", "120", "-y", "45", line+"; sleep 600")
}

// authURL reads the authorization URL off the login screen: u shows the
// address alone (hard-wrapped lines, nothing else on them), u again goes
// back.
func (e *webE2E) authURL() string {
	e.t.Helper()
	e.x.waitFor("Waiting for the browser", "left")
	e.x.keys("u")
	s := e.x.waitFor("Sign-in address (press u to go back)")
	e.x.keys("u")
	var b strings.Builder
	on := false
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "Sign-in address"):
			on = true
		case on && l == "" && b.Len() == 0:
		case on && l != "" && !strings.Contains(l, " "):
			b.WriteString(l)
		case on:
			on = false
		}
	}
	u := b.String()
	if _, err := url.Parse(u); err != nil || !strings.HasPrefix(u, "http") {
		e.t.Fatalf("no address on screen (%q):\n%s", u, s)
	}
	return u
}

// redirectAddr is the loopback listener's host:port, from the
// authorization URL's redirect_uri.
func redirectAddr(t *testing.T, authURL string) (string, string) {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	r, err := url.Parse(u.Query().Get("redirect_uri"))
	if err != nil || r.Hostname() != "127.0.0.1" || r.Path != "/callback" {
		t.Fatalf("redirect_uri %q is not a loopback callback", u.Query().Get("redirect_uri"))
	}
	return r.Host, r.String()
}

// waitFile waits for a file to be written and returns its trimmed content.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s was never written", path)
	return ""
}

func accepts(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

func TestE2ETmuxWebLogin(t *testing.T) {
	tools := needTools(t, "tmux", "chromium|chromium-browser")
	p := oidctest.Start(t, oidctest.Options{})
	tab := chromium(t, tools["chromium"])
	e := newWebE2E(t, "web")
	e.authdeck("servers", "add", "web", "--issuer", p.Issuer, "--client-id", p.WebClientID, "--scopes", "openid,profile,email,offline_access")

	e.start(nil, `AUTHDECK login --web --no-browser --insecure-storage; echo "exit=$?"`)
	authURL := e.authURL()
	if !strings.HasPrefix(authURL, p.Issuer+"/") {
		t.Fatalf("authorization URL %q is not on the provider %s", authURL, p.Issuer)
	}
	_, redirect := redirectAddr(t, authURL)
	// A forged callback: the screen says it was ignored, and waits on.
	if resp, err := chromedp.RunResponse(tab, chromedp.Navigate(redirect+"?state=forged&code=x")); err != nil || resp.Status != 400 {
		t.Fatalf("forged callback: %v %v", resp, err)
	}
	s := e.x.waitFor("Ignored a callback with the wrong state", "Waiting for the browser")
	t.Logf("after a forged callback:\n%s", s)
	if err := chromedp.Do(tab, signIn(authURL, "alice"), chromedp.WaitVisible(chromedp.CSS(`main.ok`))); err != nil {
		t.Fatalf("driving the provider's pages: %v", err)
	}
	location, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	page, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`main`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(location, redirect+"?") || !strings.Contains(page, "alice") {
		t.Errorf("the browser ended at %q with %q", location, page)
	}
	s = e.x.waitFor("Logged in as alice", "PLAIN FILE")
	t.Logf("success screen:\n%s", s)
	e.x.keys("Enter")
	e.x.waitFor("Profiles (1)", "alice")
	e.x.keys("q")
	e.x.waitFor("exit=0")

	if st := e.authdeck("status", "--json"); !strings.Contains(st, `"profile": "alice"`) {
		t.Fatalf("status after login --web:\n%s", st)
	}
	if tok := strings.TrimSpace(e.authdeck("token")); !p.Active(t, tok) {
		t.Fatal("the stored access token is not active at the provider")
	}
}

// TestE2ETmuxWebLoginEsc: a server with no device endpoint (so login and
// the accounts screen pick the browser sign-in by themselves); esc while
// waiting exits 2 from `login`, and leaves the accounts screen's login with
// "Login cancelled."; either way the loopback listener stops accepting
// connections (checked while the accounts program still runs).
func TestE2ETmuxWebLoginEsc(t *testing.T) {
	needTools(t, "tmux")
	p := oidctest.Start(t, oidctest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ep, err := auth.Discover(ctx, nil, p.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	e := newWebE2E(t, "webesc")
	e.authdeck("servers", "add", "webonly", "--auth-url", ep.AuthURL, "--token-url", ep.TokenURL, "--userinfo-url", ep.UserInfoURL,
		"--client-id", p.WebClientID, "--scopes", "openid,profile,email,offline_access")

	exitFile := filepath.Join(t.TempDir(), "exit")
	e.start(nil, `AUTHDECK login --no-browser --insecure-storage; echo $? > `+exitFile+`; AUTHDECK; echo "exit2=$?"`)
	addr, _ := redirectAddr(t, e.authURL())
	if !accepts(addr) {
		t.Fatalf("the loopback listener %s does not accept connections while waiting", addr)
	}
	e.x.waitFor("Waiting for the browser")
	e.x.keys("Escape")
	if code := waitFile(t, exitFile); code != "2" {
		t.Fatalf("login after esc: exit %s, want 2", code)
	}
	if accepts(addr) {
		t.Errorf("the loopback listener %s still accepts connections after esc", addr)
	}

	// The accounts screen: servers tab, l, esc.
	e.x.waitFor("Accounts")
	e.x.keys("Tab")
	e.x.waitFor("webonly")
	e.x.keys("l")
	addr2, _ := redirectAddr(t, e.authURL())
	if addr2 == addr || !accepts(addr2) {
		t.Fatalf("second sign-in listener %s (first %s) is not accepting", addr2, addr)
	}
	e.x.waitFor("Waiting for the browser")
	e.x.keys("Escape")
	e.x.waitFor("Login cancelled.")
	if accepts(addr2) {
		t.Errorf("the loopback listener %s still accepts connections after esc on the accounts screen", addr2)
	}
	e.x.keys("q")
	e.x.waitFor("exit2=0")
}

// TestE2ETmuxWebLoginPasteOverSSH: with SSH_CONNECTION set the browser
// "runs elsewhere": its request to the loopback listener is failed as
// connection refused, and the address it was sent to is typed into the
// login screen's paste field: first one with another state (refused, the
// flow goes on), then the right one.
func TestE2ETmuxWebLoginPasteOverSSH(t *testing.T) {
	tools := needTools(t, "tmux", "chromium|chromium-browser")
	p := oidctest.Start(t, oidctest.Options{})
	tab := chromium(t, tools["chromium"])
	e := newWebE2E(t, "webssh")
	e.authdeck("servers", "add", "web", "--issuer", p.Issuer, "--client-id", p.WebClientID, "--scopes", "openid,profile,email,offline_access")

	e.start([]string{"SSH_CONNECTION='10.1.1.1 50000 10.1.1.2 22'"}, `AUTHDECK login --web --insecure-storage; echo "exit=$?"`)
	authURL := e.authURL()
	e.x.waitFor("Over SSH", "paste it here")
	_, redirect := redirectAddr(t, authURL)

	redirected := make(chan string, 1)
	go func() {
		for ev, err := range chromedp.Events(tab, fetch.RequestPaused) {
			if err != nil {
				return
			}
			select {
			case redirected <- ev.Request.URL:
			default:
			}
			_, _ = chromedp.Call(tab, fetch.FailRequest, fetch.FailRequestParams{
				RequestID: ev.RequestID, ErrorReason: network.ErrorReasonConnectionRefused})
		}
	}()
	if _, err := chromedp.Call(tab, fetch.Enable, fetch.EnableParams{
		Patterns: []*fetch.RequestPattern{{URLPattern: redirect + "*"}}}); err != nil {
		t.Fatalf("Fetch.enable: %v", err)
	}
	if err := chromedp.Do(tab, signIn(authURL, "carol")); err != nil {
		t.Fatalf("driving the provider's pages: %v", err)
	}
	var pasted string
	select {
	case pasted = <-redirected:
	case <-time.After(60 * time.Second):
		t.Fatal("the browser was never sent back to the redirect URI")
	}
	u, _ := url.Parse(pasted)
	q := u.Query()
	q.Set("state", "another-sign-in")
	u.RawQuery = q.Encode()

	e.x.keys("p")
	e.x.waitFor("enter finish with it")
	e.x.run("send-keys", "-t", "e2e", "-l", u.String())
	e.x.keys("Enter")
	s := e.x.waitFor("belongs to a different sign-in")
	if strings.Contains(s, q.Get("code")) {
		t.Errorf("the pasted authorization code is on screen:\n%s", s)
	}
	e.x.run("send-keys", "-t", "e2e", "-l", pasted)
	e.x.keys("Enter")
	e.x.waitFor("Logged in as carol")
	e.x.keys("Enter")
	e.x.waitFor("Profiles (1)")
	e.x.keys("q")
	e.x.waitFor("exit=0")
	if tok := strings.TrimSpace(e.authdeck("token")); !p.Active(t, tok) {
		t.Fatal("the stored access token is not active at the provider")
	}
}
