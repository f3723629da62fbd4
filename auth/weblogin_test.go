package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

// webFakeToken is a fake issuer for the authorization code grant: OpenID
// metadata, a JSON Web Key Set and a token endpoint. The token endpoint
// checks the PKCE verifier against the challenge of the flow it serves and
// answers with tokens and an ID token signed with the published ES256 key
// (or as idAlg says). Its issuer is its URL.
type webFakeToken struct {
	t   *testing.T
	srv *httptest.Server
	key *ecdsa.PrivateKey

	mu        sync.Mutex
	challenge string // code_challenge of the flow's AuthURL
	nonce     string // nonce to put in the ID token
	aud       string // ID token audience; "" means the client ID
	noIDToken bool
	idAlg     string // "" signs with the published key; "none" sends an unsigned token; "wrong-key" signs with another key
	exp       time.Time
	scope     string                           // the granted scope to answer with; "" sends none
	answer    func(w http.ResponseWriter) bool // overrides the answer when it returns true
	block     chan struct{}                    // when set, requests wait for it to close
	forms     []url.Values
}

func newWebFakeToken(t *testing.T) *webFakeToken {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &webFakeToken{t: t, key: key}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// issuer is the fake's issuer URL.
func (f *webFakeToken) issuer() string { return f.srv.URL }

// sign makes the ID token: ES256 with the published key (kid "k1"), or as
// idAlg says.
func (f *webFakeToken) sign(claims map[string]any, idAlg string) string {
	payload, _ := json.Marshal(claims)
	if idAlg == "none" {
		return "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + base64.RawURLEncoding.EncodeToString(payload) + "."
	}
	key := f.key
	if idAlg == "wrong-key" {
		other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			f.t.Error(err)
		}
		key = other
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		f.t.Error(err)
		return ""
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		f.t.Error(err)
		return ""
	}
	out, _ := jws.CompactSerialize()
	return out
}

func (f *webFakeToken) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": f.issuer(), "authorization_endpoint": "https://issuer.example.test/authorize",
			"token_endpoint": f.srv.URL + "/token", "jwks_uri": f.srv.URL + "/jwks",
			"id_token_signing_alg_values_supported": []string{"ES256"},
		})
		return
	case "/jwks":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
		return
	}
	if r.URL.Path != "/token" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.forms = append(f.forms, r.PostForm)
	block, answer := f.block, f.answer
	challenge, nonce, aud, noID, scope, idAlg, exp := f.challenge, f.nonce, f.aud, f.noIDToken, f.scope, f.idAlg, f.exp
	f.mu.Unlock()
	if block != nil {
		<-block
	}
	if answer != nil && answer(w) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("code") != "good-code" ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"invalid_grant","error_description":"code or verifier does not match"}`)
		return
	}
	if aud == "" {
		aud = r.PostForm.Get("client_id")
	}
	body := map[string]any{
		"access_token":  "access-1",
		"refresh_token": "refresh-1",
		"token_type":    "Bearer",
		"expires_in":    3600,
	}
	if scope != "" {
		body["scope"] = scope
	}
	if !noID {
		if exp.IsZero() {
			exp = time.Now().Add(time.Hour)
		}
		claims := map[string]any{
			"iss": f.issuer(), "aud": aud, "sub": "u1",
			"preferred_username": "alice", "iat": time.Now().Unix(), "exp": exp.Unix(),
		}
		if nonce != "" {
			claims["nonce"] = nonce
		}
		body["id_token"] = f.sign(claims, idAlg)
	}
	_ = json.NewEncoder(w).Encode(body)
}

// requests returns the forms the token endpoint received.
func (f *webFakeToken) requests() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.forms...)
}

// webStart starts a flow against the fake and tells the fake the flow's
// challenge and nonce.
func webStart(t *testing.T, fake *webFakeToken, c *Client, opt WebOptions) (*WebFlow, url.Values) {
	t.Helper()
	if c == nil {
		c = &Client{ClientID: "cli-app", Scopes: []string{"openid", "profile", "offline_access"}}
	}
	c.Endpoints = Endpoints{Issuer: fake.issuer(), AuthURL: "https://issuer.example.test/authorize", TokenURL: fake.srv.URL + "/token"}
	flow, err := c.StartWeb(context.Background(), opt)
	if err != nil {
		t.Fatalf("StartWeb: %v", err)
	}
	t.Cleanup(func() { _ = flow.Close() })
	u, err := url.Parse(flow.AuthURL())
	if err != nil {
		t.Fatalf("AuthURL %q: %v", flow.AuthURL(), err)
	}
	q := u.Query()
	fake.mu.Lock()
	fake.challenge, fake.nonce = q.Get("code_challenge"), q.Get("nonce")
	fake.mu.Unlock()
	return flow, q
}

// webResult is what Wait returned.
type webResult struct {
	tok *oauth2.Token
	err error
}

// webWait runs Wait in the background.
func webWait(ctx context.Context, flow *WebFlow) <-chan webResult {
	ch := make(chan webResult, 1)
	go func() {
		tok, err := flow.Wait(ctx)
		ch <- webResult{tok, err}
	}()
	return ch
}

// webAwait returns Wait's result, failing the test after a generous bound.
func webAwait(t *testing.T, ch <-chan webResult) webResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("Wait did not return")
		return webResult{}
	}
}

// webBrowser fetches u like a browser that does not follow redirects.
func webBrowser(t *testing.T, method, u string) (int, http.Header, string) {
	t.Helper()
	// Errorf, not Fatalf: this also runs on goroutines other than the test's.
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Errorf("%s %s: %v", method, u, err)
		return 0, http.Header{}, ""
	}
	hc := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := hc.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, u, err)
		return 0, http.Header{}, ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// webCallback is the redirect URL with the given query.
func webCallback(flow *WebFlow, q url.Values) string {
	return flow.RedirectURL() + "?" + q.Encode()
}

// webAssertClosed asserts nothing listens at the flow's address any more.
func webAssertClosed(t *testing.T, flow *WebFlow) {
	t.Helper()
	u, _ := url.Parse(flow.RedirectURL())
	conn, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
	if err == nil {
		conn.Close()
		t.Fatalf("listener %s still accepts connections after the flow ended", u.Host)
	}
}

// webAssertRunning asserts the flow has not ended.
func webAssertRunning(t *testing.T, flow *WebFlow) {
	t.Helper()
	select {
	case <-flow.Done():
		_, err := flow.result()
		t.Fatalf("flow ended, want it still waiting (result: %v)", err)
	default:
	}
}

func TestWebLoginSuccess(t *testing.T) {
	fake := newWebFakeToken(t)
	flow, q := webStart(t, fake, nil, WebOptions{AppName: "demo-app"})

	// The authorization request.
	redirect, err := url.Parse(flow.RedirectURL())
	if err != nil {
		t.Fatal(err)
	}
	if redirect.Scheme != "http" || redirect.Hostname() != "127.0.0.1" || redirect.Port() == "" || redirect.Port() == "0" || redirect.Path != "/callback" {
		t.Errorf("redirect URI %q, want http://127.0.0.1:PORT/callback", flow.RedirectURL())
	}
	want := map[string]string{
		"response_type":         "code",
		"client_id":             "cli-app",
		"redirect_uri":          flow.RedirectURL(),
		"scope":                 "openid profile offline_access",
		"code_challenge_method": "S256",
		"prompt":                "consent", // offline_access asks for consent (OIDC Core §11)
	}
	for k, v := range want {
		if got := q.Get(k); got != v {
			t.Errorf("auth URL %s=%q, want %q", k, got, v)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if len(q.Get(k)) < 22 { // at least 128 bits, encoded
			t.Errorf("auth URL %s=%q: too short to be unguessable", k, q.Get(k))
		}
	}
	if q.Get("state") == q.Get("nonce") {
		t.Error("state and nonce are the same value")
	}
	if !strings.HasPrefix(flow.AuthURL(), "https://issuer.example.test/authorize?") {
		t.Errorf("AuthURL %q does not start with the authorization endpoint", flow.AuthURL())
	}
	if d := time.Until(flow.Deadline()); d < DefaultWebTimeout-time.Minute || d > DefaultWebTimeout {
		t.Errorf("deadline in %v, want about %v", d, DefaultWebTimeout)
	}

	// The browser comes back.
	waited := webWait(context.Background(), flow)
	status, hdr, body := webBrowser(t, http.MethodGet, webCallback(flow, url.Values{
		"code": {"good-code"}, "state": {q.Get("state")}, "iss": {fake.issuer()}}))
	if status != http.StatusOK || !strings.Contains(body, "Signed in") || !strings.Contains(body, "signed in as alice") || !strings.Contains(body, "demo-app") {
		t.Errorf("success page: HTTP %d\n%s", status, body)
	}
	webAssertSafePage(t, hdr, body)

	r := webAwait(t, waited)
	if r.err != nil {
		t.Fatalf("Wait: %v", r.err)
	}
	if r.tok.AccessToken != "access-1" || r.tok.RefreshToken != "refresh-1" || IDToken(r.tok) == "" || r.tok.Expiry.IsZero() {
		t.Errorf("token = %+v (id_token %q)", r.tok, IDToken(r.tok))
	}

	// The token request.
	reqs := fake.requests()
	if len(reqs) != 1 {
		t.Fatalf("token endpoint got %d requests, want 1", len(reqs))
	}
	form := reqs[0]
	for k, v := range map[string]string{"grant_type": "authorization_code", "code": "good-code", "redirect_uri": flow.RedirectURL(), "client_id": "cli-app"} {
		if form.Get(k) != v {
			t.Errorf("token request %s=%q, want %q", k, form.Get(k), v)
		}
	}
	if form.Has("client_secret") {
		t.Error("token request carries a client_secret though none is configured")
	}
	if form.Get("code_verifier") == "" || strings.Contains(flow.AuthURL(), form.Get("code_verifier")) {
		t.Error("the PKCE verifier is missing from the token request, or leaked into the authorization URL")
	}

	webAssertClosed(t, flow)
	// Wait again: same result.
	tok, err := flow.Wait(context.Background())
	if err != nil || tok != r.tok {
		t.Errorf("second Wait = %v, %v; want the same token", tok, err)
	}
}

// webAssertSafePage checks the headers and content of a page we serve.
func webAssertSafePage(t *testing.T, hdr http.Header, body string) {
	t.Helper()
	csp := hdr.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "style-src 'sha256-", "form-action 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") || strings.Contains(csp, "script-src") {
		t.Errorf("Content-Security-Policy %q allows too much", csp)
	}
	sum := sha256.Sum256([]byte(webPageStyle))
	if !strings.Contains(csp, base64.StdEncoding.EncodeToString(sum[:])) || !strings.Contains(body, "<style>"+webPageStyle+"</style>") {
		t.Error("the style hash in the CSP does not match the page's inline style")
	}
	for k, v := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", "Content-Type": "text/html; charset=utf-8"} {
		if hdr.Get(k) != v {
			t.Errorf("header %s = %q, want %q", k, hdr.Get(k), v)
		}
	}
	lower := strings.ToLower(body)
	for _, bad := range []string{"<script", "src=", "href=", "<form", "<img", "<link", "@import", "url("} {
		if strings.Contains(lower, bad) {
			t.Errorf("page contains %q; pages must be self-contained and inert:\n%s", bad, body)
		}
	}
}

func TestWebLoginSendsClientSecret(t *testing.T) {
	fake := newWebFakeToken(t)
	flow, q := webStart(t, fake, &Client{ClientID: "cli-app", ClientSecret: "s3cret", Scopes: []string{"openid"}}, WebOptions{})
	if q.Has("prompt") {
		t.Errorf("prompt=%q sent without offline_access", q.Get("prompt"))
	}
	if strings.Contains(flow.AuthURL(), "s3cret") {
		t.Error("the client secret is in the authorization URL")
	}
	waited := webWait(context.Background(), flow)
	webBrowser(t, http.MethodGet, webCallback(flow, url.Values{"code": {"good-code"}, "state": {q.Get("state")}}))
	if r := webAwait(t, waited); r.err != nil {
		t.Fatalf("Wait: %v", r.err)
	}
	if reqs := fake.requests(); len(reqs) != 1 || reqs[0].Get("client_secret") != "s3cret" {
		t.Errorf("token requests %v, want one with client_secret", reqs)
	}
}

func TestWebLoginForgedCallbacksDoNotEndTheFlow(t *testing.T) {
	fake := newWebFakeToken(t)
	flow, q := webStart(t, fake, nil, WebOptions{})
	waited := webWait(context.Background(), flow)

	forged := []url.Values{
		{"code": {"good-code"}, "state": {"wrong-state"}},
		{"code": {"good-code"}},                                  // no state
		{"code": {"good-code"}, "state": {q.Get("state") + "x"}}, // longer
		{"code": {"good-code"}, "state": {q.Get("state")[:10]}},  // prefix
		{"error": {"access_denied"}, "state": {"wrong-state"}},   // a forged denial must not cancel the login
		{"error": {"access_denied"}},
	}
	for _, fq := range forged {
		status, hdr, body := webBrowser(t, http.MethodGet, webCallback(flow, fq))
		if status != http.StatusBadRequest || !strings.Contains(body, "Not the sign-in in progress") {
			t.Errorf("forged callback %v: HTTP %d\n%s", fq, status, body)
		}
		webAssertSafePage(t, hdr, body)
		webAssertRunning(t, flow)
	}
	if n := len(fake.requests()); n != 0 {
		t.Fatalf("a forged callback reached the token endpoint (%d requests)", n)
	}

	// The genuine answer still completes the sign-in.
	status, _, body := webBrowser(t, http.MethodGet, webCallback(flow, url.Values{"code": {"good-code"}, "state": {q.Get("state")}}))
	if status != http.StatusOK {
		t.Errorf("genuine callback after forged ones: HTTP %d\n%s", status, body)
	}
	if r := webAwait(t, waited); r.err != nil || r.tok.AccessToken != "access-1" {
		t.Fatalf("Wait = %v, %v", r.tok, r.err)
	}
	webAssertClosed(t, flow)
}

func TestWebLoginErrorFromServer(t *testing.T) {
	tests := []struct {
		name       string
		code, desc string
		denied     bool
		status     int
		title      string
	}{
		{"denied", "access_denied", "End-User aborted <script>alert(1)</script>\x1b[31m", true, http.StatusForbidden, "Sign-in declined"},
		{"other", "invalid_scope", "scope \"admin\" is not allowed", false, http.StatusBadGateway, "Sign-in failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newWebFakeToken(t)
			flow, q := webStart(t, fake, nil, WebOptions{})
			waited := webWait(context.Background(), flow)
			status, hdr, body := webBrowser(t, http.MethodGet, webCallback(flow, url.Values{
				"error": {tt.code}, "error_description": {tt.desc}, "state": {q.Get("state")}}))
			if status != tt.status || !strings.Contains(body, tt.title) {
				t.Errorf("error page: HTTP %d, want %d with %q\n%s", status, tt.status, tt.title, body)
			}
			webAssertSafePage(t, hdr, body)
			if strings.Contains(body, "\x1b") {
				t.Error("page contains an escape character from the server's description")
			}
			if tt.denied && !strings.Contains(body, "End-User aborted &lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Errorf("page does not show the escaped description:\n%s", body)
			}

			r := webAwait(t, waited)
			if errors.Is(r.err, ErrAccessDenied) != tt.denied {
				t.Errorf("errors.Is(%v, ErrAccessDenied) = %v, want %v", r.err, !tt.denied, tt.denied)
			}
			var oe *OAuthError
			if !errors.As(r.err, &oe) || oe.Code != tt.code || strings.ContainsAny(oe.Description, "\x1b\n") {
				t.Errorf("Wait error %v: want an *OAuthError %q with a cleaned description", r.err, tt.code)
			}
			if r.tok != nil {
				t.Error("Wait returned a token with an error")
			}
			if n := len(fake.requests()); n != 0 {
				t.Errorf("token endpoint called %d times after an error callback", n)
			}
			webAssertClosed(t, flow)
		})
	}
}

func TestWebLoginMissingCode(t *testing.T) {
	fake := newWebFakeToken(t)
	flow, q := webStart(t, fake, nil, WebOptions{})
	waited := webWait(context.Background(), flow)
	status, _, body := webBrowser(t, http.MethodGet, webCallback(flow, url.Values{"state": {q.Get("state")}}))
	if status != http.StatusBadGateway || !strings.Contains(body, "Sign-in failed") || !strings.Contains(body, "without an authorization code") {
		t.Errorf("missing-code page: HTTP %d\n%s", status, body)
	}
	r := webAwait(t, waited)
	if r.err == nil || !strings.Contains(r.err.Error(), "without an authorization code") {
		t.Errorf("Wait error = %v, want one about the missing code", r.err)
	}
	if n := len(fake.requests()); n != 0 {
		t.Errorf("token endpoint called %d times without a code", n)
	}
	webAssertClosed(t, flow)
}

func TestWebLoginIssuerMixUp(t *testing.T) {
	fake := newWebFakeToken(t)
	flow, q := webStart(t, fake, nil, WebOptions{})
	waited := webWait(context.Background(), flow)
	webBrowser(t, http.MethodGet, webCallback(flow, url.Values{"code": {"good-code"}, "state": {q.Get("state")}, "iss": {"https://evil.example.test"}}))
	r := webAwait(t, waited)
	if r.err == nil || !strings.Contains(r.err.Error(), "evil.example.test") {
		t.Errorf("Wait error = %v, want an issuer mismatch", r.err)
	}
	if n := len(fake.requests()); n != 0 {
		t.Errorf("code exchanged (%d requests) though the answer named another issuer", n)
	}
}

func TestWebLoginIDTokenChecks(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *webFakeToken)
		want  string // in the error; "" means success
	}{
		{"wrong nonce", func(f *webFakeToken) { f.nonce = "replayed-nonce" }, "nonce"},
		{"no nonce", func(f *webFakeToken) { f.nonce = "" }, "nonce"},
		{"other audience", func(f *webFakeToken) { f.aud = "someone-else" }, "audience"},
		// The signature is checked against the issuer's published keys.
		{"alg none", func(f *webFakeToken) { f.idAlg = "none" }, `unsigned ("alg": "none")`},
		{"signed with another key", func(f *webFakeToken) { f.idAlg = "wrong-key" }, "verify signature"},
		{"expired", func(f *webFakeToken) { f.exp = time.Now().Add(-time.Hour) }, "expired"},
		// openid was asked for: OpenID Connect Core 3.1.3.3 says the answer
		// carries an ID token, so one without it cannot be checked for the nonce.
		{"no ID token", func(f *webFakeToken) { f.noIDToken = true }, "no ID token"},
		{"no ID token, openid not granted", func(f *webFakeToken) { f.noIDToken, f.scope = true, "profile offline_access" }, ""},
		{"no ID token, openid granted", func(f *webFakeToken) { f.noIDToken, f.scope = true, "openid profile" }, "no ID token"},
		{"token error", func(f *webFakeToken) {
			f.answer = func(w http.ResponseWriter) bool {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"error":"invalid_grant","error_description":"code expired"}`)
				return true
			}
		}, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newWebFakeToken(t)
			flow, q := webStart(t, fake, nil, WebOptions{})
			fake.mu.Lock()
			tt.setup(fake)
			fake.mu.Unlock()
			waited := webWait(context.Background(), flow)
			status, _, body := webBrowser(t, http.MethodGet, webCallback(flow, url.Values{"code": {"good-code"}, "state": {q.Get("state")}}))
			r := webAwait(t, waited)
			if tt.want == "" {
				if r.err != nil || status != http.StatusOK || !strings.Contains(body, "You are signed in.") {
					t.Errorf("Wait error %v, page HTTP %d\n%s", r.err, status, body)
				}
				return
			}
			if r.err == nil || !strings.Contains(r.err.Error(), tt.want) || r.tok != nil {
				t.Errorf("Wait = %v, %v; want an error mentioning %q", r.tok, r.err, tt.want)
			}
			if status != http.StatusBadGateway || !strings.Contains(body, "Sign-in failed") {
				t.Errorf("failure page: HTTP %d\n%s", status, body)
			}
		})
	}
}

func TestWebLoginSecondCallback(t *testing.T) {
	fake := newWebFakeToken(t)
	flow, q := webStart(t, fake, nil, WebOptions{})
	release := make(chan struct{})
	fake.mu.Lock()
	fake.block = release
	fake.mu.Unlock()
	waited := webWait(context.Background(), flow)
	genuine := webCallback(flow, url.Values{"code": {"good-code"}, "state": {q.Get("state")}})

	first := make(chan string, 1)
	go func() {
		status, _, body := webBrowser(t, http.MethodGet, genuine)
		if status != http.StatusOK {
			body = "HTTP " + http.StatusText(status) + "\n" + body
		}
		first <- body
	}()
	// Wait until the exchange is under way (the token endpoint holds it).
	for deadline := time.Now().Add(10 * time.Second); len(fake.requests()) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first callback never reached the token endpoint")
		}
	}
	// A second callback (a reload, or a replay) while the first is in progress.
	status, hdr, body := webBrowser(t, http.MethodGet, genuine)
	if status != http.StatusConflict || !strings.Contains(body, "Already answered") {
		t.Errorf("second callback: HTTP %d\n%s", status, body)
	}
	webAssertSafePage(t, hdr, body)
	close(release)

	if b := <-first; !strings.Contains(b, "Signed in") {
		t.Errorf("first callback's page:\n%s", b)
	}
	if r := webAwait(t, waited); r.err != nil {
		t.Fatalf("Wait: %v", r.err)
	}
	if n := len(fake.requests()); n != 1 {
		t.Errorf("token endpoint got %d requests, want 1", n)
	}
	// After the flow: nobody listens, so a third callback cannot even connect.
	webAssertClosed(t, flow)
}

func TestWebLoginListenerClosedWhenFlowEnds(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, flow *WebFlow, q url.Values) error
		want error
	}{
		{"wait context cancelled", func(t *testing.T, flow *WebFlow, q url.Values) error {
			ctx, cancel := context.WithCancel(context.Background())
			waited := webWait(ctx, flow)
			cancel()
			return webAwait(t, waited).err
		}, context.Canceled},
		{"closed", func(t *testing.T, flow *WebFlow, q url.Values) error {
			waited := webWait(context.Background(), flow)
			if err := flow.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			return webAwait(t, waited).err
		}, ErrWebClosed},
		{"closed without Wait", func(t *testing.T, flow *WebFlow, q url.Values) error {
			_ = flow.Close()
			_ = flow.Close() // twice is fine
			_, err := flow.Wait(context.Background())
			return err
		}, ErrWebClosed},
		{"server error", func(t *testing.T, flow *WebFlow, q url.Values) error {
			waited := webWait(context.Background(), flow)
			webBrowser(t, http.MethodGet, webCallback(flow, url.Values{"error": {"access_denied"}, "state": {q.Get("state")}}))
			return webAwait(t, waited).err
		}, ErrAccessDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newWebFakeToken(t)
			flow, q := webStart(t, fake, nil, WebOptions{})
			err := tt.run(t, flow, q)
			if !errors.Is(err, tt.want) {
				t.Errorf("Wait error = %v, want %v", err, tt.want)
			}
			select {
			case <-flow.Done():
			default:
				t.Error("Done not closed after the flow ended")
			}
			webAssertClosed(t, flow)
		})
	}
}

func TestWebLoginTimeout(t *testing.T) {
	fake := newWebFakeToken(t)
	flow, _ := webStart(t, fake, nil, WebOptions{Timeout: 50 * time.Millisecond})
	_, err := flow.Wait(context.Background())
	if !errors.Is(err, ErrWebTimeout) {
		t.Errorf("Wait error = %v, want ErrWebTimeout", err)
	}
	webAssertClosed(t, flow)
}

func TestWebLoginStartContextEndsFlow(t *testing.T) {
	fake := newWebFakeToken(t)
	c := &Client{ClientID: "cli-app", Endpoints: Endpoints{Issuer: fake.issuer(), AuthURL: "https://issuer.example.test/authorize", TokenURL: fake.srv.URL + "/token"}}
	ctx, cancel := context.WithCancel(context.Background())
	flow, err := c.StartWeb(ctx, WebOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-flow.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("cancelling StartWeb's context did not end the flow")
	}
	if _, err := flow.Wait(context.Background()); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait error = %v, want context.Canceled", err)
	}
	webAssertClosed(t, flow)
}

func TestWebLoginCancelledWhileBrowserWaits(t *testing.T) {
	fake := newWebFakeToken(t)
	flow, q := webStart(t, fake, nil, WebOptions{})
	// No Wait runs: the browser's callback is held until the flow ends.
	page := make(chan string, 1)
	go func() {
		status, _, body := webBrowser(t, http.MethodGet, webCallback(flow, url.Values{"code": {"good-code"}, "state": {q.Get("state")}}))
		page <- http.StatusText(status) + "\n" + body
	}()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		flow.mu.Lock()
		claimed := flow.isClaimed
		flow.mu.Unlock()
		if claimed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the callback never arrived")
		}
	}
	_ = flow.Close()
	if p := <-page; !strings.Contains(p, "no longer waiting") || !strings.HasPrefix(p, http.StatusText(http.StatusServiceUnavailable)) {
		t.Errorf("page after cancel:\n%s", p)
	}
	if n := len(fake.requests()); n != 0 {
		t.Errorf("code exchanged (%d requests) after the flow was closed", n)
	}
}

func TestWebLoginOtherRequests(t *testing.T) {
	fake := newWebFakeToken(t)
	flow, q := webStart(t, fake, nil, WebOptions{})
	base := strings.TrimSuffix(flow.RedirectURL(), "/callback")
	for _, tt := range []struct {
		method, url string
		status      int
	}{
		{http.MethodGet, base + "/", http.StatusNotFound},
		{http.MethodGet, base + "/favicon.ico", http.StatusNotFound},
		{http.MethodGet, base + "/callback/x?state=" + q.Get("state") + "&code=good-code", http.StatusNotFound},
		{http.MethodPost, webCallback(flow, url.Values{"code": {"good-code"}, "state": {q.Get("state")}}), http.StatusMethodNotAllowed},
	} {
		status, hdr, body := webBrowser(t, tt.method, tt.url)
		if status != tt.status {
			t.Errorf("%s %s: HTTP %d, want %d\n%s", tt.method, tt.url, status, tt.status, body)
		}
		webAssertSafePage(t, hdr, body)
		webAssertRunning(t, flow)
	}

	// A request for another host name (DNS rebinding) is refused, even with
	// the right state.
	req, _ := http.NewRequest(http.MethodGet, webCallback(flow, url.Values{"code": {"good-code"}, "state": {q.Get("state")}}), nil)
	req.Host = "rebind.example.test"
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("request for another host: HTTP %d, want 421", res.StatusCode)
	}
	webAssertRunning(t, flow)
	if n := len(fake.requests()); n != 0 {
		t.Errorf("token endpoint got %d requests", n)
	}
}

// webFakeListener is a listener that claims an arbitrary address.
type webFakeListener struct {
	net.Listener
	addr net.Addr
}

func (l webFakeListener) Addr() net.Addr { return l.addr }

func TestWebLoginBindsLoopbackOnly(t *testing.T) {
	fake := newWebFakeToken(t)
	c := &Client{ClientID: "cli-app", Endpoints: Endpoints{Issuer: fake.issuer(), AuthURL: "https://issuer.example.test/authorize", TokenURL: fake.srv.URL + "/token"}}

	t.Run("127.0.0.1 first", func(t *testing.T) {
		var calls []string
		flow, err := c.StartWeb(context.Background(), WebOptions{listen: func(network, addr string) (net.Listener, error) {
			calls = append(calls, network+" "+addr)
			return net.Listen(network, addr)
		}})
		if err != nil {
			t.Fatal(err)
		}
		defer flow.Close()
		if len(calls) != 1 || calls[0] != "tcp4 127.0.0.1:0" {
			t.Errorf("listen calls %q, want only tcp4 127.0.0.1:0", calls)
		}
		if !strings.HasPrefix(flow.RedirectURL(), "http://127.0.0.1:") {
			t.Errorf("redirect URI %q", flow.RedirectURL())
		}
	})

	t.Run("[::1] when 127.0.0.1 is unavailable", func(t *testing.T) {
		probe, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			t.Skipf("no IPv6 loopback on this machine: %v", err)
		}
		probe.Close()
		var calls []string
		flow, err := c.StartWeb(context.Background(), WebOptions{listen: func(network, addr string) (net.Listener, error) {
			calls = append(calls, network+" "+addr)
			if network == "tcp4" {
				return nil, errors.New("no IPv4 loopback")
			}
			return net.Listen(network, addr)
		}})
		if err != nil {
			t.Fatal(err)
		}
		defer flow.Close()
		if strings.Join(calls, ",") != "tcp4 127.0.0.1:0,tcp6 [::1]:0" {
			t.Errorf("listen calls %q", calls)
		}
		if !strings.HasPrefix(flow.RedirectURL(), "http://[::1]:") {
			t.Errorf("redirect URI %q, want http://[::1]:PORT/callback", flow.RedirectURL())
		}
		// The IPv6 listener works end to end.
		u, _ := url.Parse(flow.AuthURL())
		fake.mu.Lock()
		fake.challenge, fake.nonce = u.Query().Get("code_challenge"), u.Query().Get("nonce")
		fake.mu.Unlock()
		waited := webWait(context.Background(), flow)
		if status, _, body := webBrowser(t, http.MethodGet, webCallback(flow, url.Values{"code": {"good-code"}, "state": {u.Query().Get("state")}})); status != http.StatusOK {
			t.Errorf("callback over [::1]: HTTP %d\n%s", status, body)
		}
		if r := webAwait(t, waited); r.err != nil {
			t.Errorf("Wait: %v", r.err)
		}
	})

	t.Run("neither", func(t *testing.T) {
		_, err := c.StartWeb(context.Background(), WebOptions{listen: func(network, addr string) (net.Listener, error) {
			return nil, errors.New("refused by test")
		}})
		if err == nil || !strings.Contains(err.Error(), "127.0.0.1") || !strings.Contains(err.Error(), "[::1]") {
			t.Errorf("StartWeb error = %v, want one naming both loopback addresses", err)
		}
	})

	t.Run("a non-loopback listener is refused", func(t *testing.T) {
		var got net.Listener
		_, err := c.StartWeb(context.Background(), WebOptions{listen: func(network, addr string) (net.Listener, error) {
			ln, err := net.Listen(network, addr)
			if err != nil {
				return nil, err
			}
			got = ln
			return webFakeListener{ln, &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 8080}}, nil
		}})
		if err == nil || !strings.Contains(err.Error(), "not loopback") {
			t.Errorf("StartWeb error = %v, want a refusal", err)
		}
		if got != nil {
			if _, err := got.Accept(); err == nil {
				t.Error("the refused listener was not closed")
			}
		}
	})
}

func TestWebLoginPastedURL(t *testing.T) {
	fake := newWebFakeToken(t)
	flow, q := webStart(t, fake, nil, WebOptions{})
	ctx := context.Background()

	for _, bad := range []string{"", "hello", flow.AuthURL(), flow.RedirectURL(), "http://127.0.0.1:1/callback?code=good-code"} {
		if _, err := flow.CompleteFromURL(ctx, bad); err == nil || !strings.Contains(err.Error(), "not the address the browser was sent back to") {
			t.Errorf("CompleteFromURL(%q) error = %v", bad, err)
		}
		webAssertRunning(t, flow)
	}
	// Another sign-in's URL: refused, and the flow goes on.
	_, err := flow.CompleteFromURL(ctx, webCallback(flow, url.Values{"code": {"good-code"}, "state": {"other"}}))
	if !errors.Is(err, ErrWebStateMismatch) || !strings.Contains(err.Error(), flow.RedirectURL()) {
		t.Errorf("wrong state: error = %v", err)
	}
	webAssertRunning(t, flow)
	if n := len(fake.requests()); n != 0 {
		t.Fatalf("token endpoint called %d times for refused URLs", n)
	}

	waited := webWait(ctx, flow) // the listener waits at the same time
	// The browser on the other machine shows a "cannot connect" page whose
	// address the user pastes, with a stray space.
	pasted := " " + strings.Replace(webCallback(flow, url.Values{"code": {"good-code"}, "state": {q.Get("state")}}), "127.0.0.1", "localhost", 1) + "\n"
	tok, err := flow.CompleteFromURL(ctx, pasted)
	if err != nil || tok.AccessToken != "access-1" {
		t.Fatalf("CompleteFromURL = %v, %v", tok, err)
	}
	if r := webAwait(t, waited); r.err != nil || r.tok != tok {
		t.Errorf("Wait = %v, %v; want the pasted sign-in's token", r.tok, r.err)
	}
	webAssertClosed(t, flow)
	// Pasting again returns the same result.
	if tok2, err := flow.CompleteFromURL(ctx, pasted); err != nil || tok2 != tok {
		t.Errorf("second paste = %v, %v", tok2, err)
	}
}

func TestWebLoginPastedQueryOnly(t *testing.T) {
	fake := newWebFakeToken(t)
	flow, q := webStart(t, fake, nil, WebOptions{})
	tok, err := flow.CompleteFromURL(context.Background(), "?code=good-code&state="+url.QueryEscape(q.Get("state")))
	if err != nil || tok.AccessToken != "access-1" {
		t.Fatalf("CompleteFromURL = %v, %v", tok, err)
	}
}

func TestWebLoginStartErrors(t *testing.T) {
	good := Endpoints{AuthURL: "https://id.example.test/auth", TokenURL: "https://id.example.test/token"}
	tests := []struct {
		name string
		c    Client
		opt  WebOptions
		want string
		is   error
	}{
		{"no client id", Client{Endpoints: good}, WebOptions{}, "client ID", nil},
		{"no auth endpoint", Client{ClientID: "x", Endpoints: Endpoints{TokenURL: good.TokenURL, DeviceAuthURL: "https://id.example.test/device"}}, WebOptions{}, "device flow", nil},
		{"plain http auth endpoint", Client{ClientID: "x", Endpoints: Endpoints{AuthURL: "http://id.example.test/auth", TokenURL: good.TokenURL}}, WebOptions{}, "authorization endpoint", ErrInsecureURL},
		{"plain http token endpoint", Client{ClientID: "x", Endpoints: Endpoints{AuthURL: good.AuthURL, TokenURL: "http://id.example.test/token"}}, WebOptions{}, "token endpoint", ErrInsecureURL},
		{"reserved param", Client{ClientID: "x", Endpoints: good}, WebOptions{Params: url.Values{"state": {"mine"}}}, `"state"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flow, err := tt.c.StartWeb(context.Background(), tt.opt)
			if err == nil {
				flow.Close()
				t.Fatal("StartWeb succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Errorf("StartWeb error = %v, want %q / %v", err, tt.want, tt.is)
			}
		})
	}

	// Extra parameters and a login hint are passed on.
	c := Client{ClientID: "x", Endpoints: good}
	flow, err := c.StartWeb(context.Background(), WebOptions{Params: url.Values{"access_type": {"offline"}}, LoginHint: "bob", Prompt: "login"})
	if err != nil {
		t.Fatal(err)
	}
	defer flow.Close()
	u, _ := url.Parse(flow.AuthURL())
	if q := u.Query(); q.Get("access_type") != "offline" || q.Get("login_hint") != "bob" || q.Get("prompt") != "login" {
		t.Errorf("AuthURL %s lacks the extra parameters", flow.AuthURL())
	}
}

func TestEndpointsSupports(t *testing.T) {
	tests := []struct {
		e           Endpoints
		device, web bool
	}{
		{Endpoints{}, false, false},
		{Endpoints{DeviceAuthURL: "d", TokenURL: "t"}, true, false},
		{Endpoints{AuthURL: "a", TokenURL: "t"}, false, true},
		{Endpoints{AuthURL: "a", DeviceAuthURL: "d", TokenURL: "t"}, true, true},
		{Endpoints{AuthURL: "a", DeviceAuthURL: "d"}, false, false}, // no token endpoint
	}
	for _, tt := range tests {
		if got := tt.e.SupportsDevice(); got != tt.device {
			t.Errorf("%+v.SupportsDevice() = %v", tt.e, got)
		}
		if got := tt.e.SupportsWeb(); got != tt.web {
			t.Errorf("%+v.SupportsWeb() = %v", tt.e, got)
		}
	}
}

// webIgnored collects what OnIgnored was told.
type webIgnored struct {
	mu      sync.Mutex
	reasons []string
}

func (w *webIgnored) add(r string) { w.mu.Lock(); w.reasons = append(w.reasons, r); w.mu.Unlock() }

func (w *webIgnored) list() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.reasons...)
}

func TestWebLoginOnIgnored(t *testing.T) {
	fake := newWebFakeToken(t)
	var ign webIgnored
	flow, q := webStart(t, fake, nil, WebOptions{OnIgnored: ign.add})
	release := make(chan struct{})
	fake.mu.Lock()
	fake.block = release
	fake.mu.Unlock()
	waited := webWait(context.Background(), flow)
	base := strings.TrimSuffix(flow.RedirectURL(), "/callback")

	webBrowser(t, http.MethodGet, base+"/favicon.ico") // browsers do this on their own: not reported
	webBrowser(t, http.MethodGet, webCallback(flow, url.Values{"code": {"secret-code"}, "state": {"forged-state"}}))
	webBrowser(t, http.MethodGet, webCallback(flow, url.Values{"code": {"secret-code"}}))
	webBrowser(t, http.MethodPost, webCallback(flow, url.Values{"code": {"secret-code"}, "state": {q.Get("state")}}))
	req, _ := http.NewRequest(http.MethodGet, webCallback(flow, url.Values{"code": {"good-code"}, "state": {q.Get("state")}}), nil)
	req.Host = "rebind.example.test"
	if res, err := http.DefaultTransport.RoundTrip(req); err == nil {
		res.Body.Close()
	}
	webAssertRunning(t, flow)
	want := []string{"wrong state", "without a state", "POST instead of GET", "another host name"}
	got := ign.list()
	if len(got) != len(want) {
		t.Fatalf("OnIgnored told %d times, want %d: %q", len(got), len(want), got)
	}
	for i, w := range want {
		if !strings.Contains(got[i], w) {
			t.Errorf("reason %d = %q, want it to mention %q", i, got[i], w)
		}
		for _, secret := range []string{"secret-code", "forged-state", q.Get("state"), "rebind"} {
			if strings.Contains(got[i], secret) {
				t.Errorf("reason %q repeats a value from the request (%q)", got[i], secret)
			}
		}
	}

	// A second callback while the first is being exchanged.
	genuine := webCallback(flow, url.Values{"code": {"good-code"}, "state": {q.Get("state")}})
	first := make(chan int, 1)
	go func() { s, _, _ := webBrowser(t, http.MethodGet, genuine); first <- s }()
	for deadline := time.Now().Add(10 * time.Second); len(fake.requests()) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the genuine callback never reached the token endpoint")
		}
	}
	webBrowser(t, http.MethodGet, genuine)
	close(release)
	if s := <-first; s != http.StatusOK {
		t.Errorf("genuine callback: HTTP %d", s)
	}
	if r := webAwait(t, waited); r.err != nil {
		t.Fatalf("Wait: %v", r.err)
	}
	if got := ign.list(); len(got) != 5 || !strings.Contains(got[4], "second callback") {
		t.Errorf("after a second callback OnIgnored was told %q", got)
	}
}

// TestWebLoginNonceOnlyWithOpenID: OpenID Connect servers refuse a nonce
// without the openid scope ("openid scope must be requested when using the
// nonce parameter"), so a sign-in without openid sends none, and the ID
// token a server may still send is verified without one.
func TestWebLoginNonceOnlyWithOpenID(t *testing.T) {
	fake := newWebFakeToken(t)
	flow, q := webStart(t, fake, &Client{ClientID: "cli-app", Scopes: []string{"profile"}}, WebOptions{})
	if q.Has("nonce") {
		t.Errorf("auth URL sends a nonce without openid: %s", flow.AuthURL())
	}
	waited := webWait(context.Background(), flow)
	webBrowser(t, http.MethodGet, webCallback(flow, url.Values{"code": {"good-code"}, "state": {q.Get("state")}}))
	if r := webAwait(t, waited); r.err != nil {
		t.Errorf("Wait: %v", r.err)
	}
	_, q = webStart(t, newWebFakeToken(t), nil, WebOptions{})
	if len(q.Get("nonce")) < 22 {
		t.Errorf("with openid: nonce %q", q.Get("nonce"))
	}
}
