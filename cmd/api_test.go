package cmd

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/oidctest"
	"github.com/authdeck/authdeck/profiles"
	"golang.org/x/oauth2"
)

// wfTokenServer is a token endpoint that answers refresh_token grants with
// "access-N" (N counting refreshes) and a rotated refresh token.
type wfTokenServer struct {
	*httptest.Server
	refreshes atomic.Int32
}

func newWFTokenServer(t *testing.T) *wfTokenServer {
	ts := &wfTokenServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "refresh_token" {
			http.Error(w, `{"error":"unsupported_grant_type"}`, 400)
			return
		}
		n := ts.refreshes.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"access-`+string(rune('0'+n))+`","token_type":"Bearer","expires_in":3600,"refresh_token":"refresh-`+string(rune('0'+n))+`"}`)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// wfManager returns a manager over a temporary config directory with an
// in-memory secret store and one profile "p" on server "srv", signed in
// with access token "access-0" expiring at expiry.
func wfManager(t *testing.T, tokenURL string, expiry time.Time, env map[string]string) *profiles.Manager {
	t.Helper()
	app := profiles.App{
		Name: "authdeck", ConfigDir: t.TempDir(), KeyringService: "authdeck-test",
		EnvToken: "AUTHDECK_TOKEN", EnvProfile: "AUTHDECK_PROFILE",
		Getenv:  func(k string) string { return env[k] },
		Secrets: profiles.NewMemSecrets(),
	}
	m, err := profiles.Open(app)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	srv := profiles.Server{Name: "srv", ClientID: "cli", Endpoints: auth.Endpoints{TokenURL: tokenURL}, EnvVar: env["_server_env_var"]}
	if _, err := m.AddServer(ctx, srv); err != nil {
		t.Fatal(err)
	}
	tok := &oauth2.Token{AccessToken: "access-0", RefreshToken: "refresh-0", TokenType: "Bearer", Expiry: expiry}
	if _, _, err := m.SaveLogin(ctx, "srv", tok, &auth.Identity{Subject: "u1", Username: "alice"}, profiles.SaveOptions{Profile: "p"}); err != nil {
		t.Fatal(err)
	}
	return m
}

// wfAPIServer records requests and answers 200 with "hello METHOD BODY"
// when the Bearer token is accepted, 401 otherwise.
type wfAPIServer struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []*http.Request
	bodies []string
	accept func(token string) bool
}

func newWFAPIServer(t *testing.T, accept func(string) bool) *wfAPIServer {
	s := &wfAPIServer{accept: accept}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, r)
		s.bodies = append(s.bodies, string(b))
		s.mu.Unlock()
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !s.accept(tok) {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(401)
			io.WriteString(w, `{"message":"bad token"}`)
			return
		}
		if r.URL.Path == "/missing" {
			w.WriteHeader(404)
			io.WriteString(w, `{"message":"not found"}`)
			return
		}
		io.WriteString(w, "hello "+r.Method+" "+string(b))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *wfAPIServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

func wfAPIOptions(m *profiles.Manager, url string) (*apiOptions, *strings.Builder, *strings.Builder) {
	ios, _, out, errOut := testStreams()
	_ = out
	_ = errOut
	o := &apiOptions{
		IO:       ios,
		Profiles: func() (*profiles.Manager, error) { return m, nil },
		Cwd:      func() (string, error) { return "/", nil },
		AppName:  "authdeck",
		URL:      url,
		MinTTL:   defaultMinTTL,
		Timeout:  10 * time.Second,
	}
	so, se := &strings.Builder{}, &strings.Builder{}
	o.IO.Out, o.IO.ErrOut = so, se
	wfTrustOrigin(m, url)
	return o, so, se
}

// wfTrustOrigin lists rawURL's origin in the api_hosts of every configured
// server, as `servers add --api-host` would, so that api sends the token
// there (the test APIs listen on their own loopback ports).
func wfTrustOrigin(m *profiles.Manager, rawURL string) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return
	}
	_ = m.Update(context.Background(), func(cfg *profiles.Config) error {
		for i := range cfg.Servers {
			cfg.Servers[i].APIHosts = append(cfg.Servers[i].APIHosts, profiles.OriginOf(u).Flag())
		}
		return nil
	})
}

// wfHostile is a server on its own loopback port that records the
// Authorization header of each request and answers 401, as a host that
// wants the token (and a refresh) would.
type wfHostile struct {
	*httptest.Server
	mu    sync.Mutex
	authz []string
}

func newWFHostile(t *testing.T) *wfHostile {
	h := &wfHostile{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.authz = append(h.authz, r.Header.Get("Authorization"))
		h.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(401)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *wfHostile) seen() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.authz...)
}

// TestAPIRefusesForeignOrigin: api sends the token only to its server's
// origins; a URL elsewhere (here a hostile server on another loopback
// port, answering 401) is refused before any request, and no refresh is
// made for it.
func TestAPIRefusesForeignOrigin(t *testing.T) {
	ts := newWFTokenServer(t)
	m := wfManager(t, ts.URL, time.Now().Add(time.Hour), nil)
	api := newWFAPIServer(t, func(tok string) bool { return tok == "access-0" })
	hostile := newWFHostile(t)
	o, _, errOut := wfAPIOptions(m, api.URL)
	o.URL = hostile.URL + "/steal"
	err := apiRun(context.Background(), o)
	if got := hostile.seen(); len(got) != 0 {
		t.Fatalf("the hostile origin received %d request(s), Authorization %q", len(got), got)
	}
	if ts.refreshes.Load() != 0 {
		t.Errorf("%d refresh(es) for a foreign origin's 401", ts.refreshes.Load())
	}
	hostPort := strings.TrimPrefix(hostile.URL, "http://")
	if err == nil || !strings.Contains(err.Error(), "--allow-host http://"+hostPort) || !strings.Contains(err.Error(), "--api-host") {
		t.Fatalf("err = %v (stderr %q), want a refusal naming --allow-host and --api-host", err, errOut)
	}
	if strings.Contains(err.Error(), "access-0") {
		t.Errorf("the token leaked into the error: %v", err)
	}
}

// TestAPIAllowHostAddsOneOrigin: --allow-host lets the token go to one more
// origin for this call, and exactly that origin (not another port).
func TestAPIAllowHostAddsOneOrigin(t *testing.T) {
	ts := newWFTokenServer(t)
	m := wfManager(t, ts.URL, time.Now().Add(time.Hour), nil)
	other := newWFAPIServer(t, func(tok string) bool { return tok == "access-0" })
	o, out, errOut := wfAPIOptions(m, "https://unrelated.example/") // trusts nothing local
	o.URL = other.URL + "/v1"
	o.AllowHosts = []string{other.URL}
	if err := apiRun(context.Background(), o); err != nil {
		t.Fatalf("apiRun with --allow-host: %v (stderr %q)", err, errOut)
	}
	if out.String() != "hello GET " {
		t.Errorf("stdout = %q", out)
	}
	hostile := newWFHostile(t)
	o, _, _ = wfAPIOptions(m, "https://unrelated.example/")
	o.URL = hostile.URL
	o.AllowHosts = []string{other.URL} // same host name, another port
	if err := apiRun(context.Background(), o); err == nil || len(hostile.seen()) != 0 {
		t.Errorf("another port of an allowed host got %d request(s) (err %v)", len(hostile.seen()), err)
	}
}

// TestAPIRedirectToAnotherPortDropsToken: the server's own API redirects
// to the same host name on another port (a hostile listener). Go's client
// keeps the Authorization header for a redirect to the same host name;
// api must not send the token there, and the 401 it answers is not the
// token's refusal, so there is no refresh. A chain that comes back to the
// first origin does not get the token again either.
func TestAPIRedirectToAnotherPortDropsToken(t *testing.T) {
	ts := newWFTokenServer(t)
	m := wfManager(t, ts.URL, time.Now().Add(time.Hour), nil)
	hostile := newWFHostile(t)
	var back atomic.Value
	back.Store("")
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			// same host name, another port
			http.Redirect(w, r, hostile.URL+"/collect", http.StatusFound)
		case "/bounce":
			http.Redirect(w, r, "/away-and-back", http.StatusFound)
		case "/back":
			back.Store(r.Header.Get("Authorization"))
			io.WriteString(w, "back")
		default:
			http.NotFound(w, r)
		}
	}))
	defer origin.Close()
	bouncer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, origin.URL+"/back", http.StatusFound)
	}))
	defer bouncer.Close()
	if !strings.HasPrefix(hostile.URL, "http://127.0.0.1:") || !strings.HasPrefix(origin.URL, "http://127.0.0.1:") {
		t.Fatalf("want both on 127.0.0.1: %s %s", origin.URL, hostile.URL)
	}

	o, _, errOut := wfAPIOptions(m, origin.URL+"/away")
	err := apiRun(context.Background(), o)
	if got := hostile.seen(); len(got) != 1 || got[0] != "" {
		t.Fatalf("the redirect target on another port saw Authorization %q, want one request without it", got)
	}
	if ExitCode(err) != ExitError || ts.refreshes.Load() != 0 {
		t.Errorf("err %v, %d refresh(es); want exit 1 and no refresh", err, ts.refreshes.Load())
	}
	if !strings.Contains(errOut.String(), "HTTP 401") || !strings.Contains(errOut.String(), "not sent there") {
		t.Errorf("stderr = %q", errOut)
	}

	// origin -> bouncer (another port) -> origin: no token on the way back.
	o, out, errOut := wfAPIOptions(m, origin.URL)
	o.URL = bouncer.URL
	o.AllowHosts = []string{bouncer.URL}
	if err := apiRun(context.Background(), o); err != nil || out.String() != "back" {
		t.Fatalf("bounce: %v %q (stderr %q)", err, out, errOut)
	}
	if got := back.Load().(string); got != "" {
		t.Errorf("the token was sent again after the redirect left the origin: %q", got)
	}
}

// TestAPITokenFileNeedsItsServer: a token from --token-file with no
// profile named belongs to the only configured server; with two, to
// none, so api needs --allow-host (or --profile) before sending it
// anywhere.
func TestAPITokenFileNeedsItsServer(t *testing.T) {
	ts := newWFTokenServer(t)
	m := wfManager(t, ts.URL, time.Now().Add(time.Hour), nil)
	if _, err := m.AddServer(context.Background(), profiles.Server{Name: "other", ClientID: "c2", Endpoints: auth.Endpoints{TokenURL: ts.URL}}); err != nil {
		t.Fatal(err)
	}
	api := newWFAPIServer(t, func(tok string) bool { return tok == "file-token" })
	tf := filepath.Join(t.TempDir(), "tok")
	os.WriteFile(tf, []byte("file-token\n"), 0o600)
	o, _, _ := wfAPIOptions(m, api.URL)
	o.TokenFile = tf
	o.Profile = ""
	err := apiRun(context.Background(), o)
	if err == nil || api.count() != 0 || !strings.Contains(err.Error(), "--allow-host") {
		t.Fatalf("token file without a profile: err %v after %d request(s)", err, api.count())
	}
	for _, fix := range []func(*apiOptions){
		func(o *apiOptions) { o.Profile = "p" },
		func(o *apiOptions) { o.AllowHosts = []string{api.URL} },
	} {
		o, out, errOut := wfAPIOptions(m, api.URL)
		o.TokenFile = tf
		fix(o)
		if err := apiRun(context.Background(), o); err != nil || out.String() != "hello GET " {
			t.Errorf("token file with its profile or --allow-host: %v %q (stderr %q)", err, out, errOut)
		}
	}
}

func TestAPIGet(t *testing.T) {
	ts := newWFTokenServer(t)
	m := wfManager(t, ts.URL, time.Now().Add(time.Hour), nil)
	api := newWFAPIServer(t, func(tok string) bool { return tok == "access-0" })
	o, out, errOut := wfAPIOptions(m, api.URL+"/v1/me")
	o.Headers = []string{"Accept: application/json", "X-Trace:  abc "}
	if err := apiRun(context.Background(), o); err != nil {
		t.Fatalf("apiRun: %v (stderr %q)", err, errOut)
	}
	if out.String() != "hello GET " {
		t.Errorf("stdout = %q", out)
	}
	r := api.reqs[0]
	if r.Header.Get("Accept") != "application/json" || r.Header.Get("X-Trace") != "abc" {
		t.Errorf("headers = %v", r.Header)
	}
	if ts.refreshes.Load() != 0 {
		t.Error("a valid token was refreshed")
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr = %q", errOut)
	}
}

func TestAPIRefreshesExpiringTokenFirst(t *testing.T) {
	ts := newWFTokenServer(t)
	// (a token saved expired: one just saved with a minute to live counts
	// as fresh, --min-ttl being capped at half its lifetime)
	m := wfManager(t, ts.URL, time.Now().Add(-time.Second), nil)
	api := newWFAPIServer(t, func(tok string) bool { return tok == "access-1" })
	o, out, _ := wfAPIOptions(m, api.URL)
	if err := apiRun(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if ts.refreshes.Load() != 1 || api.count() != 1 || out.String() != "hello GET " {
		t.Errorf("refreshes %d, requests %d, out %q", ts.refreshes.Load(), api.count(), out)
	}
}

func TestAPIRefreshesOnceOn401AndRetries(t *testing.T) {
	ts := newWFTokenServer(t)
	m := wfManager(t, ts.URL, time.Now().Add(time.Hour), nil)
	// The server has revoked access-0; access-1 is good.
	api := newWFAPIServer(t, func(tok string) bool { return tok == "access-1" })
	o, out, errOut := wfAPIOptions(m, api.URL+"/items")
	o.Data, o.DataSet = `{"a":1}`, true
	if err := apiRun(context.Background(), o); err != nil {
		t.Fatalf("apiRun: %v (stderr %q)", err, errOut)
	}
	if ts.refreshes.Load() != 1 || api.count() != 2 {
		t.Errorf("refreshes %d, requests %d; want 1 and 2", ts.refreshes.Load(), api.count())
	}
	if out.String() != `hello POST {"a":1}` {
		t.Errorf("stdout = %q (the 401 body must not be printed)", out)
	}
	if api.bodies[0] != api.bodies[1] {
		t.Errorf("the retry sent another body: %q vs %q", api.bodies[0], api.bodies[1])
	}
	if ct := api.reqs[1].Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	// The refreshed token was saved: the next call uses it without refreshing.
	tr, err := m.Token(context.Background(), "p", profiles.TokenOptions{MinTTL: time.Minute})
	if err != nil || tr.Token.AccessToken != "access-1" {
		t.Errorf("stored token after retry: %v %v", tr, err)
	}
}

func TestAPIGivesUpAfterOneRetry(t *testing.T) {
	ts := newWFTokenServer(t)
	m := wfManager(t, ts.URL, time.Now().Add(time.Hour), nil)
	api := newWFAPIServer(t, func(string) bool { return false })
	o, out, errOut := wfAPIOptions(m, api.URL)
	err := apiRun(context.Background(), o)
	if !errors.Is(err, errSilent) || ExitCode(err) != ExitError {
		t.Fatalf("err = %v (exit %d), want errSilent / 1", err, ExitCode(err))
	}
	if ts.refreshes.Load() != 1 || api.count() != 2 {
		t.Errorf("refreshes %d, requests %d; want 1 and 2", ts.refreshes.Load(), api.count())
	}
	if out.String() != `{"message":"bad token"}` {
		t.Errorf("stdout = %q, want the last body", out)
	}
	if !strings.Contains(errOut.String(), "HTTP 401") || !strings.Contains(errOut.String(), "even after a refresh") {
		t.Errorf("stderr = %q", errOut)
	}
}

func TestAPINon2xxExitsOne(t *testing.T) {
	ts := newWFTokenServer(t)
	m := wfManager(t, ts.URL, time.Now().Add(time.Hour), nil)
	api := newWFAPIServer(t, func(tok string) bool { return tok == "access-0" })
	o, out, errOut := wfAPIOptions(m, api.URL+"/missing?secret=zzz")
	err := apiRun(context.Background(), o)
	if ExitCode(err) != ExitError || ErrorMessage(err, "authdeck") != "" {
		t.Fatalf("err = %v", err)
	}
	if out.String() != `{"message":"not found"}` {
		t.Errorf("stdout = %q", out)
	}
	if !strings.Contains(errOut.String(), "HTTP 404 Not Found") || strings.Contains(errOut.String(), "zzz") {
		t.Errorf("stderr = %q (want the status, without the query)", errOut)
	}
	if ts.refreshes.Load() != 0 {
		t.Error("refreshed on a 404")
	}
}

func TestAPIReadOnlyTokenNotRefreshed(t *testing.T) {
	ts := newWFTokenServer(t)
	m := wfManager(t, ts.URL, time.Now().Add(time.Hour), nil)
	api := newWFAPIServer(t, func(string) bool { return false })
	tf := filepath.Join(t.TempDir(), "tok")
	os.WriteFile(tf, []byte("file-token\n"), 0o600)
	o, _, errOut := wfAPIOptions(m, api.URL)
	o.TokenFile, o.Profile = tf, "p" // (the profile says which server's hosts may get it)
	err := apiRun(context.Background(), o)
	if ExitCode(err) != ExitError {
		t.Fatalf("err = %v", err)
	}
	if api.count() != 1 || ts.refreshes.Load() != 0 {
		t.Errorf("requests %d refreshes %d; a token file cannot be refreshed", api.count(), ts.refreshes.Load())
	}
	if got := api.reqs[0].Header.Get("Authorization"); got != "Bearer file-token" {
		t.Errorf("Authorization = %q", got)
	}
	if !strings.Contains(errOut.String(), "token-file") {
		t.Errorf("stderr = %q", errOut)
	}
}

func TestAPIDataSources(t *testing.T) {
	ts := newWFTokenServer(t)
	m := wfManager(t, ts.URL, time.Now().Add(time.Hour), nil)
	api := newWFAPIServer(t, func(tok string) bool { return tok == "access-0" })
	file := filepath.Join(t.TempDir(), "body.txt")
	os.WriteFile(file, []byte("a=1&b=2"), 0o600)
	tests := []struct {
		method, data, stdin, ct string
		want                    string
		wantCT                  string
	}{
		{"", "@" + file, "", "", "hello POST a=1&b=2", "application/x-www-form-urlencoded"},
		{"put", "@-", `[1,2]`, "", "hello PUT [1,2]", "application/json"},
		{"PATCH", "raw", "", "text/plain", "hello PATCH raw", "text/plain"},
	}
	for _, tt := range tests {
		o, out, _ := wfAPIOptions(m, api.URL)
		o.Method, o.Data, o.DataSet = tt.method, tt.data, true
		o.IO.In = strings.NewReader(tt.stdin)
		if tt.ct != "" {
			o.Headers = []string{"Content-Type: " + tt.ct}
		}
		if err := apiRun(context.Background(), o); err != nil {
			t.Fatalf("%+v: %v", tt, err)
		}
		if out.String() != tt.want {
			t.Errorf("%+v: stdout %q", tt, out)
		}
		if ct := api.reqs[len(api.reqs)-1].Header.Get("Content-Type"); ct != tt.wantCT {
			t.Errorf("%+v: Content-Type %q", tt, ct)
		}
	}
}

func TestAPIRefusesBadInput(t *testing.T) {
	m := wfManager(t, "http://127.0.0.1:1/token", time.Now().Add(time.Hour), nil)
	tests := []struct {
		url     string
		method  string
		headers []string
		want    string
	}{
		{"http://api.example.com/v1", "", nil, "plain http"},
		{"api.example.com/v1", "", nil, "not an absolute"},
		{"https://u:p@api.example.com/", "", nil, "user or password"},
		{"https://api.example.com/", "", []string{"Authorization: Bearer x"}, "-H Authorization"},
		{"https://api.example.com/", "", []string{"NoColon"}, "KEY: VALUE"},
		{"https://api.example.com/", "GE T", nil, "not an HTTP method"},
	}
	for _, tt := range tests {
		o, _, _ := wfAPIOptions(m, tt.url)
		o.Method, o.Headers = tt.method, tt.headers
		err := apiRun(context.Background(), o)
		var fe *flagError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %v: err = %v, want a flagError with %q", tt.url, tt.headers, err, tt.want)
		}
	}
}

func TestAPIRefusesRedirectToPlainHTTP(t *testing.T) {
	ts := newWFTokenServer(t)
	m := wfManager(t, ts.URL, time.Now().Add(time.Hour), nil)
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://api.example.invalid/steal", http.StatusFound)
	}))
	defer redir.Close()
	o, _, _ := wfAPIOptions(m, redir.URL)
	err := apiRun(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "access-0") {
		t.Errorf("the token leaked into an error: %v", err)
	}
}

func TestAPINotLoggedIn(t *testing.T) {
	app := profiles.App{Name: "authdeck", ConfigDir: t.TempDir(), Getenv: func(string) string { return "" }, Secrets: profiles.NewMemSecrets()}
	m, _ := profiles.Open(app)
	o, _, _ := wfAPIOptions(m, "https://api.example.com/")
	if err := apiRun(context.Background(), o); ExitCode(err) != ExitNotLoggedIn {
		t.Fatalf("err = %v (exit %d), want exit 4", err, ExitCode(err))
	}
}

func TestAPICommandFlags(t *testing.T) {
	f := &factory{AppName: "authdeck", IO: func() *ioStreams { s, _, _, _ := testStreams(); return s }()}
	var got *apiOptions
	c := newCmdAPI(f, func(o *apiOptions) error { got = o; return nil })
	c.SetArgs([]string{"-X", "DELETE", "-H", "A: b", "-H", "C: d", "-d", "@-", "--min-ttl", "1m", "https://x.example/y"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Method != "DELETE" || len(got.Headers) != 2 || got.Data != "@-" || !got.DataSet || got.MinTTL != time.Minute || got.URL != "https://x.example/y" {
		t.Errorf("options = %+v", got)
	}
	c = newCmdAPI(f, func(o *apiOptions) error { got = o; return nil })
	c.SetArgs([]string{"https://x.example/y"})
	c.Execute()
	if got.DataSet || got.Timeout != time.Minute {
		t.Errorf("defaults = %+v", got)
	}
}

// wfProviderLogin starts the real OpenID provider, adds it as server
// "local" (by discovery) to a manager with file storage, and signs in as
// alice through the provider's own device pages.
func wfProviderLogin(t *testing.T, opt oidctest.Options) (*oidctest.Provider, *profiles.Manager, profiles.Profile) {
	t.Helper()
	p := oidctest.Start(t, opt)
	dir := t.TempDir()
	m, err := profiles.Open(profiles.App{
		Name: "authdeck", ConfigDir: dir, KeyringService: "authdeck-test",
		EnvToken: "AUTHDECK_TOKEN", Getenv: func(string) string { return "" },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, err := m.AddServer(ctx, profiles.Server{Name: "local", Endpoints: auth.Endpoints{Issuer: p.Issuer}, ClientID: p.ClientID, Scopes: strings.Fields(oidctest.Scopes)})
	if err != nil {
		t.Fatal(err)
	}
	c := m.Client(srv)
	dc, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Approve(t, dc.UserCode)
	tok, err := c.WaitDevice(ctx, dc, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.UserInfo(ctx, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	prof, _, err := m.SaveLogin(ctx, "local", tok, id, profiles.SaveOptions{Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	return p, m, prof
}

// wfIntrospectingAPI is a resource server that accepts a Bearer token only
// when the provider's introspection says it is active.
func wfIntrospectingAPI(t *testing.T, p *oidctest.Provider) *wfAPIServer {
	return newWFAPIServer(t, func(tok string) bool { return p.Active(t, tok) })
}

// TestAPIEndToEndExpiredTokenRefreshes: the stored access token has
// expired; api refreshes it at the real provider before sending.
func TestAPIEndToEndExpiredTokenRefreshes(t *testing.T) {
	p, m, prof := wfProviderLogin(t, oidctest.Options{AccessTTL: 2 * time.Second, PollInterval: time.Second})
	old, err := m.Token(context.Background(), prof.Name, profiles.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(old.Token.Expiry) + 200*time.Millisecond)
	if p.Active(t, old.Token.AccessToken) {
		t.Fatal("the provider still accepts the expired token; the test proves nothing")
	}
	api := wfIntrospectingAPI(t, p)
	o, out, errOut := wfAPIOptions(m, api.URL+"/v1/me")
	o.Profile = prof.Name
	if err := apiRun(context.Background(), o); err != nil {
		t.Fatalf("apiRun: %v (stderr %q)", err, errOut)
	}
	if out.String() != "hello GET " || api.count() != 1 {
		t.Errorf("stdout %q after %d requests", out, api.count())
	}
	if n := p.RefreshCount(t); n != 1 {
		t.Errorf("the provider saw %d refreshes, want 1", n)
	}
}

// TestAPIEndToEnd401RefreshesAndRetries: the resource server has put the
// current access token on its deny list (as after a permission change) and
// answers 401; api refreshes once at the real provider and the retry, with
// a token the provider vouches for, succeeds. (Revoking the access token at
// oidc-provider itself revokes the whole grant, refresh token included.)
func TestAPIEndToEnd401RefreshesAndRetries(t *testing.T) {
	p, m, prof := wfProviderLogin(t, oidctest.Options{PollInterval: time.Second})
	ctx := context.Background()
	cur, err := m.Token(ctx, prof.Name, profiles.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	denied := cur.Token.AccessToken
	api := newWFAPIServer(t, func(tok string) bool { return tok != denied && p.Active(t, tok) })
	o, out, errOut := wfAPIOptions(m, api.URL+"/v1/items")
	o.Profile = prof.Name
	o.Data, o.DataSet = `{"n":1}`, true
	if err := apiRun(ctx, o); err != nil {
		t.Fatalf("apiRun: %v (stderr %q)", err, errOut)
	}
	if out.String() != `hello POST {"n":1}` || api.count() != 2 {
		t.Errorf("stdout %q after %d requests, want the retry's body after 2", out, api.count())
	}
	if n := p.RefreshCount(t); n != 1 {
		t.Errorf("the provider saw %d refreshes, want exactly 1", n)
	}
	next, err := m.Token(ctx, prof.Name, profiles.TokenOptions{})
	if err != nil || next.Token.AccessToken == cur.Token.AccessToken || !p.Active(t, next.Token.AccessToken) {
		t.Errorf("the stored token was not replaced by an active one (%v)", err)
	}
}

// TestAPI401WithoutExpiryRefreshes: a refused token without a known expiry
// is refreshed all the same when there is a refresh token (the refusal is
// what counts), and the request is retried once with the new token.
func TestAPI401WithoutExpiryRefreshes(t *testing.T) {
	ts := newWFTokenServer(t)
	m := wfManager(t, ts.URL, time.Time{}, nil)
	api := newWFAPIServer(t, func(string) bool { return false })
	o, _, errOut := wfAPIOptions(m, api.URL)
	if err := apiRun(context.Background(), o); ExitCode(err) != ExitError {
		t.Fatalf("err = %v", err)
	}
	if ts.refreshes.Load() != 1 || api.count() != 2 {
		t.Errorf("refreshes %d, requests %d; want 1 and 2", ts.refreshes.Load(), api.count())
	}
	if !strings.Contains(errOut.String(), "even after a refresh") {
		t.Errorf("stderr = %q", errOut)
	}
}
