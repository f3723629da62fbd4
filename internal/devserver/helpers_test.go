package devserver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func start(t *testing.T, opt Options) *Server {
	t.Helper()
	s, err := Start(context.Background(), opt)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

// post sends a form and decodes the JSON answer.
func post(t *testing.T, u string, form url.Values) (int, map[string]any, http.Header) {
	t.Helper()
	resp, err := httpClient.PostForm(u, form)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	return decode(t, resp)
}

func decode(t *testing.T, resp *http.Response) (int, map[string]any, http.Header) {
	t.Helper()
	b, _ := io.ReadAll(resp.Body)
	m := map[string]any{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %q", resp.Request.Method, resp.Request.URL, b)
		}
	}
	return resp.StatusCode, m, resp.Header
}

func getJSON(t *testing.T, u string) map[string]any {
	t.Helper()
	resp, err := httpClient.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	status, m, _ := decode(t, resp)
	if status != 200 {
		t.Fatalf("GET %s: status %d", u, status)
	}
	return m
}

// deviceAuth requests a device code with a plain POST.
func deviceAuth(t *testing.T, s *Server) map[string]any {
	t.Helper()
	status, m, _ := post(t, s.Endpoints().DeviceAuthURL, url.Values{"client_id": {s.ClientID()}})
	if status != 200 {
		t.Fatalf("device authorization: %d %v", status, m)
	}
	return m
}

func pollRaw(t *testing.T, s *Server, deviceCode string) (int, map[string]any) {
	t.Helper()
	status, m, _ := post(t, s.Endpoints().TokenURL, url.Values{
		"client_id": {s.ClientID()}, "grant_type": {grantDeviceCode}, "device_code": {deviceCode}})
	return status, m
}

func introspect(t *testing.T, s *Server, tok string) map[string]any {
	t.Helper()
	status, m, _ := post(t, s.Endpoints().IntrospectionURL, url.Values{"client_id": {s.ClientID()}, "token": {tok}})
	if status != 200 {
		t.Fatalf("introspection: %d %v", status, m)
	}
	return m
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// browser is a cookie-keeping HTTP client on the verification page.
type browser struct {
	t  *testing.T
	hc *http.Client
	s  *Server
}

func newBrowser(t *testing.T, s *Server) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, hc: &http.Client{Jar: jar, Timeout: 10 * time.Second}, s: s}
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.hc.Get(b.s.Issuer() + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (b *browser) post(form url.Values) (int, string) {
	b.t.Helper()
	resp, err := b.hc.PostForm(b.s.DeviceURL(), form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func csrfOf(t *testing.T, html string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("no CSRF field in page:\n%s", html)
	}
	return m[1]
}

// decideViaForm drives the verification page over HTTP like a person:
// open verification_uri_complete, then press approve (as login) or deny.
func decideViaForm(t *testing.T, s *Server, userCode, login, action string) (int, string) {
	t.Helper()
	b := newBrowser(t, s)
	status, page := b.get("/device?user_code=" + url.QueryEscape(userCode))
	if status != 200 || !strings.Contains(page, `data-page="confirm"`) {
		t.Fatalf("confirm page: status %d\n%s", status, page)
	}
	return b.post(url.Values{"csrf": {csrfOf(t, page)}, "user_code": {userCode}, "user": {login}, "action": {action}})
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// tokenResult is what a background wait for a device token ended with.
type tokenResult struct {
	tok *oauth2.Token
	err error
}

// awaitDeviceToken polls for da's token in the background with
// golang.org/x/oauth2's client, for at most a minute.
func awaitDeviceToken(cfg *oauth2.Config, da *oauth2.DeviceAuthResponse) <-chan tokenResult {
	done := make(chan tokenResult, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		tok, err := cfg.DeviceAccessToken(ctx, da)
		done <- tokenResult{tok, err}
	}()
	return done
}
