package cmd

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/profiles"
	"github.com/authdeck/authdeck/tui"
)

// webFake is a minimal authorization-code server with PKCE: /authorize
// redirects at once (as a user who approves, or denies), /token checks the
// code and verifier, /userinfo names the user.
type webFake struct {
	*httptest.Server
	deny bool

	mu        sync.Mutex
	challenge map[string]string // code -> S256 challenge
	exchanged int
}

func newWebFake(t *testing.T) *webFake {
	f := &webFake{challenge: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		back, err := url.Parse(q.Get("redirect_uri"))
		if err != nil || q.Get("code_challenge_method") != "S256" || q.Get("response_type") != "code" {
			http.Error(w, "bad authorization request", http.StatusBadRequest)
			return
		}
		v := url.Values{"state": {q.Get("state")}}
		if f.deny {
			v.Set("error", "access_denied")
		} else {
			code := "code-" + q.Get("state")[:6]
			f.mu.Lock()
			f.challenge[code] = q.Get("code_challenge")
			f.mu.Unlock()
			v.Set("code", code)
		}
		back.RawQuery = v.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		ch, ok := f.challenge[r.PostForm.Get("code")]
		delete(f.challenge, r.PostForm.Get("code"))
		f.exchanged++
		f.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		w.Header().Set("Content-Type", "application/json")
		if !ok || r.PostForm.Get("grant_type") != "authorization_code" || base64.RawURLEncoding.EncodeToString(sum[:]) != ch {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"invalid_grant"}`)
			return
		}
		_, _ = io.WriteString(w, `{"access_token":"web-access-secret","refresh_token":"web-refresh-secret","token_type":"Bearer","expires_in":3600}`)
	})
	mux.HandleFunc("/userinfo", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer web-access-secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"sub":"sub-wendy","preferred_username":"wendy"}`)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// addWebServer configures "web" with only an authorization endpoint (or
// also a device endpoint).
func (e *testEnv) addWebServer(t *testing.T, f *webFake, withDevice bool) {
	t.Helper()
	ep := auth.Endpoints{AuthURL: f.URL + "/authorize", TokenURL: f.URL + "/token", UserInfoURL: f.URL + "/userinfo"}
	if withDevice {
		ep.DeviceAuthURL = f.URL + "/device_authorization"
	}
	err := e.manager(t).Update(context.Background(), func(c *profiles.Config) error {
		c.Servers = append(c.Servers, profiles.Server{Name: "web", Endpoints: ep, ClientID: "web-cli"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// followingBrowser plays a browser on this machine: it loads the URL and
// follows the redirect to our loopback listener.
func followingBrowser(t *testing.T, pages *[]string) func(string) error {
	return func(u string) error {
		res, err := http.Get(u)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		*pages = append(*pages, res.Request.URL.Path+" "+string(b))
		return nil
	}
}

func jsonEvents(t *testing.T, s string) []map[string]any {
	t.Helper()
	var evs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		evs = append(evs, ev)
	}
	return evs
}

// TestLoginWebChosenWithoutDeviceEndpoint: no device endpoint, an
// authorization endpoint: the browser sign-in runs by itself, opens the
// browser, and saves the login.
func TestLoginWebChosenWithoutDeviceEndpoint(t *testing.T) {
	f := newWebFake(t)
	e := newTestEnv(t, nil)
	e.addWebServer(t, f, false)
	e.canBrowser = true
	var pages []string
	e.f.Browser = followingBrowser(t, &pages)
	if code := e.run("login --json"); code != 0 {
		t.Fatalf("login: exit %d\n%s", code, e.outputs())
	}
	evs := jsonEvents(t, e.out.String())
	if len(evs) != 2 || evs[0]["event"] != "browser_url" || evs[1]["event"] != "success" {
		t.Fatalf("events = %v, want browser_url then success", evs)
	}
	bu := evs[0]
	if !strings.HasPrefix(bu["url"].(string), f.URL+"/authorize?") || !strings.HasPrefix(bu["redirect_uri"].(string), "http://127.0.0.1:") {
		t.Errorf("browser_url event = %v", bu)
	}
	if _, err := time.Parse(time.RFC3339, bu["expires_at"].(string)); err != nil {
		t.Errorf("expires_at: %v", err)
	}
	if ok := evs[1]; ok["profile"] != "wendy" || ok["server"] != "web" {
		t.Errorf("success event = %v", ok)
	}
	if len(pages) != 1 || !strings.HasPrefix(pages[0], "/callback ") || !strings.Contains(pages[0], "Signed in") {
		t.Errorf("the browser did not land on our success page: %q", pages)
	}
	if !strings.Contains(e.err.String(), "has no device flow; signing in with the browser") {
		t.Errorf("stderr does not say why the browser is used:\n%s", e.err.String())
	}
	if strings.Contains(e.outputs(), "web-access-secret") || strings.Contains(e.outputs(), "web-refresh-secret") || strings.Contains(e.outputs(), "code-") {
		t.Errorf("a secret or the code appears in the output:\n%s", e.outputs())
	}
	res, err := e.manager(t).Token(context.Background(), "wendy", profiles.TokenOptions{})
	if err != nil || res.Token.AccessToken != "web-access-secret" {
		t.Errorf("stored token = %+v, %v", res, err)
	}
}

// lineWriter hands each written line to a channel (stdout of a running
// login, read while it runs).
type lineWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	lines chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		s := w.buf.String()
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			break
		}
		w.lines <- s[:i]
		w.buf.Reset()
		w.buf.WriteString(s[i+1:])
	}
	return len(p), nil
}

// TestLoginWebPastedURL is the SSH case: no browser here, the user pastes
// the address the browser ended on. A wrong paste and another sign-in's
// address are refused without ending the flow, and nothing pasted is
// echoed.
func TestLoginWebPastedURL(t *testing.T) {
	f := newWebFake(t)
	e := newTestEnv(t, nil)
	e.addWebServer(t, f, false)
	e.env["SSH_CONNECTION"] = "10.0.0.1 5000 10.0.0.2 22"
	e.canBrowser = true // the SSH check must win on its own
	l := startWebLoginJSON(t, e)
	stdinW, lw, errLog, done, bu := l.stdin, l.out, l.errLog, l.done, l.browserURL
	// The browser, elsewhere: follow /authorize, but do not reach 127.0.0.1.
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Get(bu["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	redirected := res.Header.Get("Location")
	if !strings.HasPrefix(redirected, bu["redirect_uri"].(string)+"?") {
		t.Fatalf("redirected to %q", redirected)
	}
	u, _ := url.Parse(redirected)
	q := u.Query()
	q.Set("state", "another-sign-in")
	u.RawQuery = q.Encode()
	for _, line := range []string{"hello", u.String(), redirected} {
		if _, err := io.WriteString(stdinW, line+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	var code int
	select {
	case code = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("login did not finish after the paste")
	}
	if code != 0 {
		t.Fatalf("login: exit %d\n%s", code, errLog.String())
	}
	var last map[string]any
	if err := json.Unmarshal([]byte(<-lw.lines), &last); err != nil || last["event"] != "success" || last["profile"] != "wendy" {
		t.Errorf("last event = %v (%v), want success as wendy", last, err)
	}
	stderr := errLog.String()
	for _, want := range []string{"paste it here", "that is not the address the browser was sent back to", "belongs to a different sign-in"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, q.Get("code")) || strings.Contains(stderr, "another-sign-in") || strings.Contains(stderr, "hello") {
		t.Errorf("stderr echoes pasted input:\n%s", stderr)
	}
	if len(e.browsed) != 0 {
		t.Errorf("a browser was opened over SSH: %v", e.browsed)
	}
}

// webLoginJSON is a `login --web --json` running in the background, its
// browser_url event read.
type webLoginJSON struct {
	stdin      *io.PipeWriter // the terminal's input: paste addresses here
	out        *lineWriter    // the JSON events after browser_url
	errLog     *syncBuffer    // stderr
	done       chan int       // the exit code, when the login ends
	browserURL map[string]any // the browser_url event
}

// startWebLoginJSON runs `login --web --json` in e in the background and
// waits for its browser_url event.
func startWebLoginJSON(t *testing.T, e *testEnv) webLoginJSON {
	t.Helper()
	stdinR, stdinW := io.Pipe()
	t.Cleanup(func() { stdinW.Close() })
	l := webLoginJSON{stdin: stdinW, out: &lineWriter{lines: make(chan string, 16)}, errLog: &syncBuffer{}, done: make(chan int, 1)}
	e.f.IO.In, e.f.IO.Out, e.f.IO.ErrOut = stdinR, l.out, l.errLog
	go func() { l.done <- e.run("login --web --json") }()
	select {
	case line := <-l.out.lines:
		if err := json.Unmarshal([]byte(line), &l.browserURL); err != nil || l.browserURL["event"] != "browser_url" {
			t.Fatalf("first event %q, want browser_url", line)
		}
	case code := <-l.done:
		t.Fatalf("login ended early: exit %d\n%s", code, l.errLog.String())
	}
	return l
}

// syncBuffer is a strings.Builder safe for the login's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLoginWebDenied(t *testing.T) {
	f := newWebFake(t)
	f.deny = true
	e := newTestEnv(t, nil)
	e.addWebServer(t, f, false)
	e.canBrowser = true
	var pages []string
	e.f.Browser = followingBrowser(t, &pages)
	if code := e.run("login --web --json"); code != ExitError {
		t.Fatalf("denied login: exit %d, want 1\n%s", code, e.outputs())
	}
	evs := jsonEvents(t, e.out.String())
	last := evs[len(evs)-1]
	if last["event"] != "error" || last["code"] != "access_denied" {
		t.Errorf("last event = %v, want error access_denied", last)
	}
}

// TestLoginWebChoice: over SSH, the device flow is kept when the server has
// one; --web needs an authorization endpoint; a terminal does not send
// --web to the device-only TUI.
func TestLoginWebChoice(t *testing.T) {
	f := newWebFake(t)
	for _, tc := range []struct {
		name       string
		withDevice bool
		web        bool
		want       bool
	}{
		{"device and web, no flag", true, false, false},
		{"device and web, --web", true, true, true},
		{"web only", false, false, true},
	} {
		e := newTestEnv(t, nil)
		e.env["SSH_TTY"] = "/dev/pts/1"
		e.addWebServer(t, f, tc.withDevice)
		cfg, _ := e.manager(t).Load(context.Background())
		got, err := useWeb(&loginOptions{IO: e.f.IO, AppName: "authdeck", Web: tc.web}, cfg.Servers[0])
		if err != nil || got != tc.want {
			t.Errorf("%s: useWeb = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}

	srv := newDeviceOnlyEnv(t)
	if code := srv.run("login --web"); code != ExitError || !strings.Contains(srv.err.String(), "has no authorization endpoint, so --web is not possible") {
		t.Errorf("--web on a device-only server: exit %d\n%s", code, srv.err.String())
	}
	if code := srv.run("login --web --with-token"); code != ExitError || !strings.Contains(srv.err.String(), "do not go together") {
		t.Errorf("--web --with-token: exit %d\n%s", code, srv.err.String())
	}

	// On a terminal, --web and a web-only server go to the TUI's login
	// screen with the browser sign-in; a cancel there is exit 2.
	for _, tc := range []struct {
		args       string
		withDevice bool
		web        bool
	}{{"login --web --no-browser", true, true}, {"login", false, true}, {"login", true, false}} {
		e := newTestEnv(t, nil)
		e.addWebServer(t, f, tc.withDevice)
		e.tty()
		e.tuiResult = tui.Result{Cancelled: true}
		code := e.run(tc.args)
		o := e.tui.opt
		if code != ExitCancel || !e.tui.called || o.Start != tui.ScreenLogin || o.Web != tc.web || o.Server.Name != "web" {
			t.Errorf("%s (device endpoint %v) on a terminal: exit %d, TUI %v %+v; want the login screen with Web=%v",
				tc.args, tc.withDevice, code, e.tui.called, o, tc.web)
		}
	}

	// With --no-tui, --web runs the plain browser flow even on a terminal.
	e := newTestEnv(t, nil)
	e.addWebServer(t, f, true)
	e.tty()
	e.canBrowser = true
	var pages []string
	e.f.Browser = followingBrowser(t, &pages)
	if code := e.run("login --web --no-tui"); code != 0 || e.tui.called {
		t.Errorf("login --web --no-tui on a terminal: exit %d, TUI called %v\n%s", code, e.tui.called, e.err.String())
	}
	if !strings.Contains(e.err.String(), "Logged in to web as wendy") {
		t.Errorf("stderr:\n%s", e.err.String())
	}
}

func newDeviceOnlyEnv(t *testing.T) *testEnv {
	e := newTestEnv(t, nil)
	err := e.manager(t).Update(context.Background(), func(c *profiles.Config) error {
		c.Servers = append(c.Servers, profiles.Server{Name: "dev", ClientID: "x",
			Endpoints: auth.Endpoints{DeviceAuthURL: "http://127.0.0.1:1/device", TokenURL: "http://127.0.0.1:1/token"}})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestServersAddAuthURL(t *testing.T) {
	e := newTestEnv(t, nil)
	if code := e.run("servers add web --auth-url https://id.example.com/authorize --token-url https://id.example.com/token --client-id cli"); code != 0 {
		t.Fatalf("servers add --auth-url: exit %d\n%s", code, e.outputs())
	}
	if !strings.Contains(e.err.String(), "signs in with the browser") {
		t.Errorf("stderr:\n%s", e.err.String())
	}
	cfg, err := e.manager(t).Load(context.Background())
	if err != nil || len(cfg.Servers) != 1 || cfg.Servers[0].AuthURL != "https://id.example.com/authorize" || cfg.Servers[0].DeviceAuthURL != "" {
		t.Fatalf("servers = %+v, %v", cfg.Servers, err)
	}
	e.out.Reset()
	if code := e.run("servers list --json"); code != 0 || !strings.Contains(e.out.String(), `"authorization_endpoint": "https://id.example.com/authorize"`) {
		t.Errorf("servers list --json: exit %d\n%s", code, e.out.String())
	}
	for _, tc := range []struct{ args, want string }{
		{"servers add x --auth-url https://a/authorize --client-id c", "--token-url is required"},
		{"servers add x --token-url https://a/token --client-id c", "needs --device-url (device flow) and/or --auth-url"},
		{"servers add x --issuer https://a --auth-url https://a/authorize --client-id c", "not both"},
	} {
		e := newTestEnv(t, nil)
		if code := e.run(tc.args); code != ExitError || !strings.Contains(e.err.String(), tc.want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", tc.args, code, e.err.String(), tc.want)
		}
	}
}

// TestLoginWebCtrlC: Ctrl-C while waiting for the browser exits 2 with a
// "cancelled" event, and the listener is closed.
func TestLoginWebCtrlC(t *testing.T) {
	f := newWebFake(t)
	e := newTestEnv(t, nil)
	e.addWebServer(t, f, false)
	e.canBrowser = true
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var redirect string
	e.f.Browser = func(u string) error {
		pu, _ := url.Parse(u)
		redirect = pu.Query().Get("redirect_uri")
		cancel() // the user presses Ctrl-C instead of signing in
		return nil
	}
	root := newRootCmd(e.f)
	root.SetArgs([]string{"login", "--json"})
	if code := execute(ctx, root, e.f); code != ExitCancel {
		t.Fatalf("Ctrl-C during login --web: exit %d, want 2\n%s", code, e.outputs())
	}
	evs := jsonEvents(t, e.out.String())
	if last := evs[len(evs)-1]; last["event"] != "error" || last["code"] != "cancelled" {
		t.Errorf("last event = %v, want error cancelled", last)
	}
	if redirect == "" {
		t.Fatal("the browser was not opened")
	}
	if res, err := http.Get(redirect); err == nil {
		res.Body.Close()
		t.Errorf("the loopback listener still answers after Ctrl-C (HTTP %d)", res.StatusCode)
	}
}

// TestLoginWebForgedCallbackAndSSHHint: over SSH with --web against a
// server that also has the device flow, the hint names the device flow; a
// forged callback to the listener is reported on stderr and the sign-in
// goes on (the genuine pasted address still finishes it).
func TestLoginWebForgedCallbackAndSSHHint(t *testing.T) {
	f := newWebFake(t)
	e := newTestEnv(t, nil)
	e.addWebServer(t, f, true)
	e.env["SSH_CONNECTION"] = "10.0.0.1 5000 10.0.0.2 22"
	l := startWebLoginJSON(t, e)
	stdinW, errLog, done, bu := l.stdin, l.errLog, l.done, l.browserURL
	forged := bu["redirect_uri"].(string) + "?state=forged&code=x"
	res, err := http.Get(forged)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("forged callback: HTTP %d", res.StatusCode)
	}
	// OnIgnored writes before the page is sent, so the line is there now.
	stderr := errLog.String()
	for _, want := range []string{"ignored a callback with the wrong state", "still waiting for this sign-in", "run without --web to use the device flow"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "forged") && !strings.Contains(stderr, "possibly forged") {
		t.Errorf("stderr repeats the forged state:\n%s", stderr)
	}
	select {
	case code := <-done:
		t.Fatalf("the forged callback ended the login: exit %d\n%s", code, errLog.String())
	default:
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err = hc.Get(bu["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if _, err := io.WriteString(stdinW, res.Header.Get("Location")+"\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("login: exit %d\n%s", code, errLog.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("login did not finish after the paste")
	}
}
