package auth_test

// The browser sign-in against the real provider (panva's oidc-provider via
// internal/oidctest), with headless Chromium (chromedp) playing the person.

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"net/http"
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
	"golang.org/x/oauth2"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/oidctest"
)

// webBrowserOutput keeps the browser's own output for failure messages.
type webBrowserOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *webBrowserOutput) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.b.Len() < 64<<10 {
		w.b.Write(p)
	}
	return len(p), nil
}

func (w *webBrowserOutput) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// startChromium starts headless Chromium with a fresh profile and returns a
// context for a new, isolated browser context (its own cookies). It skips
// the test when Chromium is missing, or fails it under CI=true.
func startChromium(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, p := range []string{"chromium", "chromium-browser"} {
		if found, err := exec.LookPath(p); err == nil {
			path = found
			break
		}
	}
	if path == "" {
		msg := "chromium is not installed (apt-get install chromium); the browser sign-in needs a real browser"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: a missing real component is a failure)")
		}
		t.Skip(msg)
	}
	out := &webBrowserOutput{}
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
		chromedp.WindowSize(900, 700),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(out),
	)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("starting %s: %v\n%s", path, err, out.String())
	}
	tab, cancelTab := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelTab)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("opening a tab: %v\n%s", err, out.String())
	}
	// Bound each test's browser work (derived from a context that has run
	// once, so the timeout does not own the browser).
	ctx, cancel := context.WithTimeout(tab, 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// webRealClient is a Client of the provider's authorization-code client,
// with discovered endpoints.
func webRealClient(t *testing.T, ctx context.Context, p *oidctest.Provider) *auth.Client {
	t.Helper()
	eps, err := auth.Discover(ctx, nil, p.Issuer)
	if err != nil {
		t.Fatalf("Discover(%s): %v", p.Issuer, err)
	}
	if !eps.SupportsWeb() {
		t.Fatalf("discovered endpoints %+v do not support the browser sign-in", eps)
	}
	return &auth.Client{ClientID: p.WebClientID, Scopes: strings.Fields(oidctest.Scopes), Endpoints: eps}
}

// signInAndConsent plays the person on the provider's pages: the
// development login (any login, any password), then consent, or abort at
// consent when deny is set.
func signInAndConsent(authURL, login string, deny bool) chromedp.Action[chromedp.Void] {
	last := chromedp.Click(chromedp.CSS(`button[type=submit]`))
	if deny {
		last = chromedp.Click(chromedp.CSS(`a[href*="/abort"]`)) // "[ Cancel ]"
	}
	return chromedp.Steps(
		chromedp.Navigate(authURL),
		chromedp.WaitVisible(chromedp.CSS(`input[name=login]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=login]`), login),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "any password"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		// The consent page has a hidden prompt=consent field.
		chromedp.WaitReady(chromedp.CSS(`input[name=prompt][value=consent]`)),
		last,
	)
}

// pageText waits for our page (main.ok or main.bad) and returns its text,
// the browser's location and a screenshot.
func pageText(tab context.Context, sel string) (text, location string, shot []byte, err error) {
	if err = chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		return
	}
	if text, err = chromedp.Run(tab, chromedp.Text(chromedp.CSS("main"))); err != nil {
		return
	}
	if location, err = chromedp.Run(tab, chromedp.Location()); err != nil {
		return
	}
	shot, err = chromedp.Run(tab, chromedp.FullScreenshot(100)) // quality 100 means PNG
	return
}

// webWaitAsync runs Wait in the background.
func webWaitAsync(ctx context.Context, flow *auth.WebFlow) <-chan error {
	ch := make(chan error, 1)
	go func() {
		tok, err := flow.Wait(ctx)
		if err == nil && tok == nil {
			err = errors.New("Wait returned neither a token nor an error")
		}
		ch <- err
	}()
	return ch
}

func TestWebLoginRealProviderWithChromium(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{})
	tab := startChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := webRealClient(t, ctx, p)

	var ignoredMu sync.Mutex
	var ignored []string
	flow, err := c.StartWeb(ctx, auth.WebOptions{AppName: "authdeck", OnIgnored: func(r string) {
		ignoredMu.Lock()
		ignored = append(ignored, r)
		ignoredMu.Unlock()
	}})
	if err != nil {
		t.Fatalf("StartWeb: %v", err)
	}
	defer flow.Close()
	if !strings.HasPrefix(flow.RedirectURL(), "http://127.0.0.1:") {
		t.Fatalf("redirect URI %q is not on 127.0.0.1", flow.RedirectURL())
	}
	var tok *oauth2.Token
	waited := make(chan error, 1)
	go func() {
		var err error
		tok, err = flow.Wait(ctx)
		waited <- err
	}()

	// A forged callback (another page sending the browser to our port) is
	// refused with a page saying so, and does not end the sign-in.
	resp, err := chromedp.RunResponse(tab, chromedp.Navigate(flow.RedirectURL()+"?state=forged&code=x"))
	if err != nil {
		t.Fatalf("forged callback in the browser: %v", err)
	}
	if resp.Status != http.StatusBadRequest {
		t.Errorf("forged callback: HTTP %d, want 400", resp.Status)
	}
	text, _, shot, err := pageText(tab, "main.bad")
	if err != nil {
		t.Fatalf("reading the forged callback's page: %v", err)
	}
	for _, want := range []string{"Not the sign-in in progress", "does not belong to the sign-in that is waiting", "so it was ignored"} {
		if !strings.Contains(text, want) {
			t.Errorf("forged callback's page lacks %q:\n%s", want, text)
		}
	}
	webSaveScreenshot(t, "weblogin-forged.png", shot)
	select {
	case <-flow.Done():
		t.Fatal("the forged callback ended the sign-in")
	default:
	}
	ignoredMu.Lock()
	if len(ignored) != 1 || !strings.Contains(ignored[0], "wrong state") {
		t.Errorf("OnIgnored was told %q, want one wrong-state callback", ignored)
	}
	ignoredMu.Unlock()

	if err := chromedp.Do(tab, signInAndConsent(flow.AuthURL(), "alice", false)); err != nil {
		t.Fatalf("driving the browser: %v", err)
	}
	text, location, shot, err := pageText(tab, "main.ok")
	if err != nil {
		t.Fatalf("reading our page in the browser: %v", err)
	}
	if !strings.HasPrefix(location, flow.RedirectURL()+"?") {
		t.Errorf("browser ended at %q, want our callback %s", location, flow.RedirectURL())
	}
	for _, want := range []string{"Signed in", "You are signed in as alice.", "close this tab"} {
		if !strings.Contains(text, want) {
			t.Errorf("success page lacks %q:\n%s", want, text)
		}
	}
	webSaveScreenshot(t, "weblogin-success.png", shot)
	// The inline style is allowed by its hash in our Content-Security-Policy:
	// a wrong hash would leave the page unstyled (black heading).
	styles, err := chromedp.Run(tab, chromedp.ComputedStyle(chromedp.CSS("h1")))
	if err != nil {
		t.Fatalf("reading the heading's style: %v", err)
	}
	color := ""
	for _, st := range styles {
		if st.Name == "color" {
			color = st.Value
		}
	}
	if color != "rgb(26, 127, 55)" && color != "rgb(63, 185, 80)" { // light or dark scheme
		t.Errorf("heading color %q: the page's style was blocked (CSP hash mismatch?)", color)
	}

	if err := <-waited; err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || auth.IDToken(tok) == "" {
		t.Errorf("token lacks an access, refresh or ID token: access %t refresh %t id %t",
			tok.AccessToken != "", tok.RefreshToken != "", auth.IDToken(tok) != "")
	}
	id, err := c.UserInfo(ctx, tok.AccessToken)
	if err != nil {
		t.Fatalf("UserInfo with the new token: %v", err)
	}
	if id.Subject != "alice" || id.Username != "alice" {
		t.Errorf("UserInfo = %+v, want alice", id)
	}
	if !p.Active(t, tok.AccessToken) {
		t.Error("the new access token is not active at introspection")
	}
	// The listener is gone.
	if res, err := http.Get(flow.RedirectURL()); err == nil {
		res.Body.Close()
		t.Errorf("listener still answers after the flow (HTTP %d)", res.StatusCode)
	}
	// The refresh token works too (the provider rotates it).
	if _, err := c.Refresh(ctx, tok.RefreshToken); err != nil {
		t.Errorf("Refresh with the refresh token from the browser sign-in: %v", err)
	}
}

func TestWebLoginRealProviderDenied(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{})
	tab := startChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := webRealClient(t, ctx, p)

	flow, err := c.StartWeb(ctx, auth.WebOptions{})
	if err != nil {
		t.Fatalf("StartWeb: %v", err)
	}
	defer flow.Close()
	waited := webWaitAsync(ctx, flow)

	if err := chromedp.Do(tab, signInAndConsent(flow.AuthURL(), "bob", true)); err != nil {
		t.Fatalf("driving the browser: %v", err)
	}
	text, _, shot, err := pageText(tab, "main.bad")
	if err != nil {
		t.Fatalf("reading our page in the browser: %v", err)
	}
	if !strings.Contains(text, "Sign-in declined") || !strings.Contains(text, "End-User aborted interaction") {
		t.Errorf("denial page:\n%s", text)
	}
	webSaveScreenshot(t, "weblogin-denied.png", shot)

	err = <-waited
	if !errors.Is(err, auth.ErrAccessDenied) {
		t.Errorf("Wait error = %v, want ErrAccessDenied", err)
	}
	var oe *auth.OAuthError
	if !errors.As(err, &oe) || oe.Code != "access_denied" {
		t.Errorf("Wait error = %v, want an *OAuthError access_denied", err)
	}
}

// TestWebLoginRealProviderPastedURL is the SSH case: the browser runs on
// another machine, so its request to our loopback listener fails (here the
// browser refuses it, as "connection refused"), and the user pastes the
// address it was sent to.
func TestWebLoginRealProviderPastedURL(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{})
	tab := startChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := webRealClient(t, ctx, p)

	flow, err := c.StartWeb(ctx, auth.WebOptions{})
	if err != nil {
		t.Fatalf("StartWeb: %v", err)
	}
	defer flow.Close()

	// Requests to our listener are paused, recorded and failed as
	// "connection refused", as on a machine where nothing listens there.
	redirected := make(chan string, 1)
	paused := chromedp.Events(tab, fetch.RequestPaused)
	go func() {
		for ev, err := range paused {
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
		Patterns: []*fetch.RequestPattern{{URLPattern: flow.RedirectURL() + "*"}}}); err != nil {
		t.Fatalf("Fetch.enable: %v", err)
	}
	if err := chromedp.Do(tab, signInAndConsent(flow.AuthURL(), "carol", false)); err != nil {
		t.Fatalf("driving the browser: %v", err)
	}
	var pasted string
	select {
	case pasted = <-redirected:
	case <-ctx.Done():
		t.Fatal("the browser was never sent back to the redirect URI")
	}

	// First a wrong paste: the address of another sign-in.
	u, err := url.Parse(pasted)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("state", "not-this-one")
	u.RawQuery = q.Encode()
	if _, err := flow.CompleteFromURL(ctx, u.String()); !errors.Is(err, auth.ErrWebStateMismatch) {
		t.Errorf("pasting another sign-in's address: error = %v, want ErrWebStateMismatch", err)
	}

	tok, err := flow.CompleteFromURL(ctx, pasted)
	if err != nil {
		t.Fatalf("CompleteFromURL(%q): %v", pasted, err)
	}
	id, err := c.UserInfo(ctx, tok.AccessToken)
	if err != nil || id.Subject != "carol" {
		t.Errorf("UserInfo = %+v, %v; want carol", id, err)
	}
	if !p.Active(t, tok.AccessToken) {
		t.Error("the token from the pasted address is not active")
	}
}

// webSaveScreenshot checks that b decodes as a PNG and writes it to
// $AUTHDECK_TEST_ARTIFACTS/auth when that is set, else to the test's
// artifact directory (kept by go test -artifacts). The dev server's
// browser tests save theirs the same way.
func webSaveScreenshot(t *testing.T, name string, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Errorf("screenshot %s is not a PNG: %v", name, err)
		return
	}
	if r := img.Bounds(); r.Dx() < 400 || r.Dy() < 300 {
		t.Errorf("screenshot %s is %dx%d, smaller than the window", name, r.Dx(), r.Dy())
	}
	dir := t.ArtifactDir()
	if d := os.Getenv("AUTHDECK_TEST_ARTIFACTS"); d != "" {
		dir = filepath.Join(d, "auth")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Errorf("saving screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s", p)
}

// TestWebLoginRealProviderCallbackWithoutCode: the browser arrives with
// the right state but no code (and no error): the listener's page says the
// sign-in failed and why, and the flow ends with that error.
func TestWebLoginRealProviderCallbackWithoutCode(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{})
	tab := startChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := webRealClient(t, ctx, p)
	flow, err := c.StartWeb(ctx, auth.WebOptions{AppName: "authdeck"})
	if err != nil {
		t.Fatalf("StartWeb: %v", err)
	}
	defer flow.Close()
	waited := webWaitAsync(ctx, flow)
	au, err := url.Parse(flow.AuthURL())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := chromedp.RunResponse(tab, chromedp.Navigate(flow.RedirectURL()+"?state="+url.QueryEscape(au.Query().Get("state"))))
	if err != nil {
		t.Fatalf("callback without a code in the browser: %v", err)
	}
	if resp.Status != http.StatusBadGateway {
		t.Errorf("callback without a code: HTTP %d, want 502", resp.Status)
	}
	text, _, shot, err := pageText(tab, "main.bad")
	if err != nil {
		t.Fatalf("reading the page: %v", err)
	}
	for _, want := range []string{"Sign-in failed", "without an authorization code", "start the sign-in again"} {
		if !strings.Contains(text, want) {
			t.Errorf("page lacks %q:\n%s", want, text)
		}
	}
	webSaveScreenshot(t, "weblogin-no-code.png", shot)
	if err := <-waited; err == nil || !strings.Contains(err.Error(), "without an authorization code") {
		t.Errorf("Wait = %v, want the missing-code error", err)
	}
	// The listener closed with the flow.
	if res, err := http.Get(flow.RedirectURL()); err == nil {
		res.Body.Close()
		t.Errorf("listener still answers after the flow (HTTP %d)", res.StatusCode)
	}
}
