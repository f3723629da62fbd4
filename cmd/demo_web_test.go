package cmd

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/profiles"
	"github.com/authdeck/authdeck/tui"
)

// TestDemoWebPlainAutoApprove: `demo --web --auto-approve` without a
// terminal signs in with the browser sign-in against the real in-process
// dev server, the demo playing the browser, and prints whoami.
func TestDemoWebPlainAutoApprove(t *testing.T) {
	e := newTestEnv(t, nil)
	e.env["SSH_CONNECTION"] = "10.0.0.1 22 10.0.0.2 22" // the demo's own browser runs anyway
	o := newDemoOptions(t, e)
	o.AutoApprove, o.Web = true, true
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := demoRun(ctx, o); err != nil {
		t.Fatalf("demo --web: %v\n%s", err, e.outputs())
	}
	stdout, stderr := e.out.String(), e.err.String()
	if lines := strings.Split(stdout, "\n"); lines[0] != "alice" || !strings.Contains(stdout, "server:   demo") {
		t.Errorf("whoami output:\n%s", stdout)
	}
	for _, want := range []string{"/authorize", "plays the browser", "Open this address in a browser", "Logged in to demo as", "$ authdeck whoami"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	for _, unwanted := range []string{"one-time code", "/device"} {
		if strings.Contains(stderr, unwanted) {
			t.Errorf("stderr mentions the device flow (%q):\n%s", unwanted, stderr)
		}
	}
	if len(e.browsed) != 0 {
		t.Errorf("the real browser was opened: %v", e.browsed)
	}
}

var (
	demoCSRFRE    = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	demoRequestRE = regexp.MustCompile(`name="request" value="([^"]+)"`)
)

// TestDemoWebPlainConsent: without --auto-approve the "browser" (an HTTP
// client with cookies) approves on the dev server's consent page as bob,
// and is redirected to the sign-in's loopback listener.
func TestDemoWebPlainConsent(t *testing.T) {
	e := newTestEnv(t, nil)
	e.canBrowser = true
	o := newDemoOptions(t, e)
	o.Web = true
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	browseErr := make(chan error, 1)
	o.Browser = func(authURL string) error {
		err := approveConsent(ctx, authURL, "bob")
		browseErr <- err
		return err
	}
	if err := demoRun(ctx, o); err != nil {
		t.Fatalf("demo --web: %v\n%s", err, e.outputs())
	}
	if err := <-browseErr; err != nil {
		t.Errorf("the browser's side: %v", err)
	}
	if lines := strings.Split(e.out.String(), "\n"); lines[0] != "bob" {
		t.Errorf("whoami after approving as bob:\n%s", e.out.String())
	}
}

// approveConsent opens the consent page, approves as login and follows the
// redirect to the loopback listener, like a person in a browser.
func approveConsent(ctx context.Context, authURL, login string) error {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csrf, request := demoCSRFRE.FindSubmatch(page), demoRequestRE.FindSubmatch(page)
	if resp.StatusCode != 200 || csrf == nil || request == nil {
		return errors.New("no consent form: " + resp.Status)
	}
	u, _ := url.Parse(authURL)
	form := url.Values{"csrf": {string(csrf[1])}, "request": {string(request[1])}, "user": {login}, "action": {"approve"}}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, u.Scheme+"://"+u.Host+"/authorize/decision", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasSuffix(resp.Request.URL.Path, "/callback") {
		return errors.New("after approving: " + resp.Status + " at " + resp.Request.URL.Redacted())
	}
	return nil
}

func TestDemoWebTUIAndFlag(t *testing.T) {
	e := newTestEnv(t, nil)
	var got *demoOptions
	c := newCmdDemo(e.f, func(o *demoOptions) error { got = o; return nil })
	if err := e.runWith(c, "demo --web --auto-approve"); err != nil {
		t.Fatal(err)
	}
	if !got.Web || !got.AutoApprove {
		t.Errorf("options = %+v", got)
	}

	e.tty()
	o := newDemoOptions(t, e)
	o.Web, o.AutoApprove = true, true
	var supportsWeb bool
	o.RunTUI = func(ctx context.Context, m *profiles.Manager, opt tui.Options) (tui.Result, error) {
		e.tui.called, e.tui.opt = true, opt
		supportsWeb = opt.Server.SupportsWeb()
		return tui.Result{LoggedIn: &profiles.Profile{Name: "alice", Server: "demo"}}, nil
	}
	if err := demoRun(context.Background(), o); err != nil {
		t.Fatalf("demo: %v\n%s", err, e.outputs())
	}
	opt := e.tui.opt
	if !opt.Web || !supportsWeb || opt.NoBrowser || opt.OpenURL == nil {
		t.Errorf("TUI options for --web --auto-approve: Web=%v server supports web=%v NoBrowser=%v OpenURL set=%v",
			opt.Web, supportsWeb, opt.NoBrowser, opt.OpenURL != nil)
	}
}
