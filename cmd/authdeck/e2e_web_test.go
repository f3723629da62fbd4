package main

// End-to-end tests of `authdeck login --web` with the built binary against
// the real OpenID provider, with headless Chromium (chromedp) playing the
// person: the browser comes back to the binary's loopback listener, or (as
// over SSH) its redirect is intercepted and the address pasted on stdin.

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/oidctest"
)

// e2eChromium starts headless Chromium with a fresh profile and returns a
// tab context. It skips when Chromium is missing (fails under CI=true).
func e2eChromium(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, p := range []string{"chromium", "chromium-browser"} {
		if found, err := exec.LookPath(p); err == nil {
			path = found
			break
		}
	}
	if path == "" {
		msg := "chromium is not installed (apt-get install chromium); login --web needs a real browser"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true)")
		}
		t.Skip(msg)
	}
	out := &lockedBuffer{}
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

// providerSignIn plays the person on the provider's pages: the development
// login (any password), then consent.
func providerSignIn(authURL, login string) chromedp.Action[chromedp.Void] {
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

// webLoginProc is a running `authdeck login` whose JSON events are read as
// they come and whose stdin stays open for pasting.
type webLoginProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	events chan event
	stderr *lockedBuffer
	raw    *lockedBuffer
}

func (s *sandbox) startLogin(t *testing.T, args ...string) *webLoginProc {
	t.Helper()
	c := s.command(context.Background(), append([]string{"login"}, args...)...)
	stdin, err := c.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &webLoginProc{cmd: c, stdin: stdin, events: make(chan event, 16), stderr: &lockedBuffer{}, raw: &lockedBuffer{}}
	c.Stderr = p.stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.ProcessState == nil {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	})
	go func() {
		defer close(p.events)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.raw.Write([]byte(sc.Text() + "\n"))
			var e event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				e = event{"event": "NOT JSON", "line": sc.Text()}
			}
			p.events <- e
		}
	}()
	return p
}

func (p *webLoginProc) next(t *testing.T, want string) event {
	t.Helper()
	select {
	case e, ok := <-p.events:
		if !ok {
			t.Fatalf("login ended without a %q event; stderr:\n%s", want, p.stderr.String())
		}
		if e.str("event") != want {
			t.Fatalf("event %v, want %q; stderr:\n%s", e, want, p.stderr.String())
		}
		return e
	case <-time.After(60 * time.Second):
		t.Fatalf("no %q event within a minute; stderr:\n%s", want, p.stderr.String())
	}
	return nil
}

func (p *webLoginProc) wait(t *testing.T) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(60 * time.Second):
		t.Fatalf("login did not exit; stderr:\n%s", p.stderr.String())
	}
	return -1
}

func TestLoginWebRealProviderWithChromium(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{})
	tab := e2eChromium(t)
	s := newSandbox(t)
	s.ok("servers", "add", "web", "--issuer", p.Issuer, "--client-id", p.WebClientID, "--scopes", "openid,profile,email,offline_access")
	list := s.ok("servers", "list", "--json")
	if !strings.Contains(list.stdout, `"authorization_endpoint": "`+p.Issuer) {
		t.Fatalf("the discovered authorization endpoint was not kept:\n%s", list.stdout)
	}

	proc := s.startLogin(t, "--web", "--json", "--no-browser", "--insecure-storage")
	bu := proc.next(t, "browser_url")
	if !strings.HasPrefix(bu.str("url"), p.Issuer) || !strings.HasPrefix(bu.str("redirect_uri"), "http://127.0.0.1:") || bu.str("expires_at") == "" {
		t.Fatalf("browser_url event = %v", bu)
	}
	// A forged callback first: the browser gets a page saying so, stderr
	// a notice, and the login goes on.
	resp, err := chromedp.RunResponse(tab, chromedp.Navigate(bu.str("redirect_uri")+"?state=forged&code=x"))
	if err != nil || resp.Status != 400 {
		t.Fatalf("forged callback: %v %v", resp, err)
	}
	// The binary writes the notice before the page; its pipe may lag.
	notice := func() bool {
		got := proc.stderr.String()
		return strings.Contains(got, "ignored a callback with the wrong state") && strings.Contains(got, "still waiting for this sign-in")
	}
	for deadline := time.Now().Add(20 * time.Second); !notice() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if !notice() {
		t.Errorf("stderr has no notice of the forged callback:\n%s", proc.stderr.String())
	}
	if proc.cmd.ProcessState != nil {
		t.Fatalf("the forged callback ended the login; stderr:\n%s", proc.stderr.String())
	}
	if err := chromedp.Do(tab, providerSignIn(bu.str("url"), "alice")); err != nil {
		t.Fatalf("driving the provider's pages: %v", err)
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS(`main.ok`))); err != nil {
		t.Fatalf("waiting for our page in the browser: %v", err)
	}
	text, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`main`)))
	if err != nil {
		t.Fatal(err)
	}
	location, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(location, bu.str("redirect_uri")+"?") || !strings.Contains(text, "alice") {
		t.Errorf("the browser ended at %q with %q", location, text)
	}
	ok := proc.next(t, "success")
	if ok.str("profile") != "alice" || ok.str("server") != "web" {
		t.Errorf("success event = %v", ok)
	}
	if code := proc.wait(t); code != 0 {
		t.Fatalf("login --web: exit %d\n%s", code, proc.stderr.String())
	}
	if strings.Contains(proc.raw.String()+proc.stderr.String(), "code=") {
		t.Errorf("the authorization code was printed:\n%s\n%s", proc.raw.String(), proc.stderr.String())
	}
	who := s.ok("whoami")
	if !strings.HasPrefix(who.stdout, "alice") {
		t.Errorf("whoami after login --web:\n%s", who.stdout)
	}
	tok := s.token()
	if !p.Active(t, tok) {
		t.Error("the stored access token is not active at the provider")
	}
}

// TestLoginWebRealProviderPastedURL: a server with only an authorization
// endpoint (so login picks the browser by itself); the browser cannot
// reach the loopback listener (it runs "elsewhere": the request is failed
// as connection refused), and the address is pasted on the binary's stdin.
func TestLoginWebRealProviderPastedURL(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{})
	tab := e2eChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ep, err := auth.Discover(ctx, nil, p.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	s := newSandbox(t).with("SSH_CONNECTION=10.1.1.1 50000 10.1.1.2 22")
	s.ok("servers", "add", "web", "--auth-url", ep.AuthURL, "--token-url", ep.TokenURL, "--userinfo-url", ep.UserInfoURL,
		"--client-id", p.WebClientID, "--scopes", "openid,profile,email,offline_access")

	proc := s.startLogin(t, "--json", "--insecure-storage")
	bu := proc.next(t, "browser_url")
	redirectURI := bu.str("redirect_uri")

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
		Patterns: []*fetch.RequestPattern{{URLPattern: redirectURI + "*"}}}); err != nil {
		t.Fatalf("Fetch.enable: %v", err)
	}
	if err := chromedp.Do(tab, providerSignIn(bu.str("url"), "carol")); err != nil {
		t.Fatalf("driving the provider's pages: %v", err)
	}
	var pasted string
	select {
	case pasted = <-redirected:
	case <-ctx.Done():
		t.Fatal("the browser was never sent back to the redirect URI")
	}
	u, err := url.Parse(pasted)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("state", "another-sign-in")
	u.RawQuery = q.Encode()
	if _, err := io.WriteString(proc.stdin, u.String()+"\n"+pasted+"\n"); err != nil {
		t.Fatal(err)
	}
	ok := proc.next(t, "success")
	if ok.str("profile") != "carol" {
		t.Errorf("success event = %v", ok)
	}
	if code := proc.wait(t); code != 0 {
		t.Fatalf("login with a pasted address: exit %d\n%s", code, proc.stderr.String())
	}
	stderr := proc.stderr.String()
	for _, want := range []string{"has no device flow; signing in with the browser", "paste it here", "belongs to a different sign-in"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, q.Get("code")) || strings.Contains(proc.raw.String(), q.Get("code")) {
		t.Errorf("the pasted authorization code was echoed:\n%s", stderr)
	}
	if !p.Active(t, s.token()) {
		t.Error("the stored access token is not active at the provider")
	}
}
