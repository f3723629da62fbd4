// Package oidctest starts a real OpenID provider (panva's oidc-provider, run
// by Node from testdata/oidc-provider) on 127.0.0.1 for integration tests,
// and drives its own device-verification pages the way a person would.
//
// Every [Start] runs its own provider process, so tests may run in parallel.
// When Node is not installed, or the provider's npm packages cannot be
// installed, Start skips the test, except under CI=true where it fails it.
//
// Accounts: whatever login a test approves with exists; its sub and
// preferred_username are that login, its email login@example.test, its name
// the login capitalised (userinfo and the ID token both carry them).
//
// The provider's behaviour that clients must handle (rotation, revocation of
// a whole login, no poll interval by default, expired_token, prompt=consent
// for offline_access in the authorization code flow) is listed in
// testdata/oidc-provider/README.md.
package oidctest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"golang.org/x/oauth2"
)

// Client IDs registered at the provider.
const (
	// CLIClientID is the public device-flow client.
	CLIClientID = "authdeck-cli"
	// WebClientID is the public authorization-code (PKCE) client.
	WebClientID = "authdeck-web"
	// SecretClientID is the confidential device-flow client.
	SecretClientID = "authdeck-secret"
	// ServiceClientID is the confidential client of the client_credentials
	// and token-exchange (RFC 8693) grants.
	ServiceClientID = "authdeck-service"
	// APIResource is a resource indicator (RFC 8707) the provider knows:
	// it and any URL under it are resource servers whose access tokens are
	// JWTs with that audience (aud) and scope api:read.
	APIResource = "https://api.example"
	// CIIssuer is the iss of the subject tokens [Provider.SubjectToken]
	// signs, the "CI provider" whose tokens a token exchange accepts.
	CIIssuer = "https://ci.oidctest.invalid"
	// SubjectTokenTypeJWT is the RFC 8693 token type of those subject tokens.
	SubjectTokenTypeJWT = "urn:ietf:params:oauth:token-type:jwt"
	// Scopes are all the scopes the provider knows, space-separated.
	Scopes = "openid profile email offline_access"
	// DefaultLogin is the account [Provider.Approve] signs in as.
	DefaultLogin = "alice"
)

// Options tune a provider started by [Start].
type Options struct {
	// AccessTTL is the access token lifetime, default 1h. It is rounded up
	// to whole seconds.
	AccessTTL time.Duration
	// IDTokenTTL is the ID token lifetime, default 1h. It is rounded up to
	// whole seconds.
	IDTokenTTL time.Duration
	// DeviceCodeTTL is the device code lifetime, default 10m. It is rounded
	// up to whole seconds.
	DeviceCodeTTL time.Duration
	// PollInterval, when positive, makes the device authorization answer
	// carry this "interval" (rounded up to whole seconds), and makes the
	// token endpoint answer "slow_down" to a device_code poll that arrives
	// sooner than that after the previous poll of the same code. By default
	// the provider sends no interval and never answers slow_down.
	PollInterval time.Duration
	// SlowDownPolls, when positive, makes the token endpoint answer the
	// first SlowDownPolls device_code polls (of any device code) with HTTP
	// 400 {"error":"slow_down"}, however slowly they come, before the
	// provider sees them. Their arrival times are in [Stats.DevicePolls].
	SlowDownPolls int
	// RevokeAccessTokenOnly makes revoking an access token (RFC 7009, at
	// the revocation endpoint) revoke that token alone, so its login's
	// refresh token still works. By default oidc-provider revokes every
	// token of the login.
	RevokeAccessTokenOnly bool
}

// Provider is a running oidc-provider. Its fields are read-only.
type Provider struct {
	// Issuer is "http://127.0.0.1:PORT", exactly that form.
	Issuer string
	// ClientID is the public client "authdeck-cli": device_code and
	// refresh_token grants, token_endpoint_auth_method none, offline_access
	// allowed.
	ClientID string
	// WebClientID is the public client "authdeck-web": authorization_code and
	// refresh_token, PKCE S256 required, loopback redirect
	// http://127.0.0.1/callback on any port (RFC 8252).
	WebClientID string
	// SecretClientID is the confidential client "authdeck-secret"
	// (client_secret_post) with device_code and refresh_token grants.
	SecretClientID string
	// ClientSecret is SecretClientID's secret, random for each provider.
	ClientSecret string
	// ServiceClientID is the confidential client "authdeck-service"
	// (client_secret_post) with the client_credentials and
	// urn:ietf:params:oauth:grant-type:token-exchange grants. Its client
	// credentials tokens are opaque and introspectable, unless a resource
	// under APIResource is asked for (then a JWT for that audience).
	ServiceClientID string
	// ServiceSecret is ServiceClientID's secret, random for each provider.
	ServiceSecret string

	exchangeKey []byte // HMAC key of the CI issuer's subject tokens
	http        *http.Client
	stop        func()
}

// Stats are what the provider has counted since it started.
type Stats struct {
	// TokenRequests counts token endpoint requests by grant_type, whether
	// they succeeded or not.
	TokenRequests map[string]int
	// DevicePolls are the arrival times of every device_code token request.
	DevicePolls []time.Time
	// AuthorizationParams are the extra parameters (prompt, login_hint,
	// acr_values, audience, resource) of every authorization and device
	// authorization request, in order of arrival.
	AuthorizationParams []AuthorizationParams
}

// AuthorizationParams are the extra parameters one authorization request
// carried.
type AuthorizationParams struct {
	// Endpoint is "authorization" (GET /auth) or "device_authorization".
	Endpoint string
	// Params holds those of prompt, login_hint, acr_values, audience and
	// resource the request had.
	Params url.Values
}

// unavailable skips the test, or fails it under CI=true, where every real
// component must be there.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := "oidctest: " + fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: a missing real component is a failure)")
	}
	t.Skip(msg)
}

// Start runs a fresh provider on 127.0.0.1 and stops it when the test ends.
// It installs the provider's npm packages first if they are missing.
func Start(t testing.TB, opt Options) *Provider {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		unavailable(t, "node is not installed (needed to run oidc-provider): %v", err)
	}
	dir, err := providerDir()
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	if err := ensureInstalled(dir); err != nil {
		unavailable(t, "%v", err)
	}

	secret := randomString(t)
	serviceSecret := randomString(t)
	exchangeKey := make([]byte, 32)
	if _, err := rand.Read(exchangeKey); err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	env := append(os.Environ(),
		"OIDC_PORT=0",
		"OIDC_ACCESS_TTL="+seconds(opt.AccessTTL, time.Hour),
		"OIDC_DEVICE_TTL="+seconds(opt.DeviceCodeTTL, 10*time.Minute),
		"OIDC_ID_TTL="+seconds(opt.IDTokenTTL, time.Hour),
		"OIDC_DEVICE_INTERVAL="+seconds(opt.PollInterval, 0),
		"OIDC_SLOW_DOWN_POLLS="+strconv.Itoa(max(opt.SlowDownPolls, 0)),
		"OIDC_CLIENT_SECRET="+secret, // env, never argv: argv is visible to every user
		"OIDC_SERVICE_SECRET="+serviceSecret,
		"OIDC_EXCHANGE_KEY="+base64.RawURLEncoding.EncodeToString(exchangeKey),
	)
	if opt.RevokeAccessTokenOnly {
		env = append(env, "OIDC_REVOKE_ACCESS_ONLY=1")
	}
	cmd := exec.Command("node", "server.js")
	cmd.Dir = dir
	cmd.Env = env
	stdin, err := cmd.StdinPipe() // the server exits when this closes
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	stderr := &tailBuffer{max: 16 << 10}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		unavailable(t, "cannot start node: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	var stopOnce sync.Once
	stop := func() {
		stopOnce.Do(func() {
			_ = stdin.Close()
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		})
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("oidctest: provider stderr (tail):\n%s", stderr.String())
		}
	})

	type ready struct {
		Issuer string `json:"issuer"`
		Port   int    `json:"port"`
	}
	lines := make(chan ready, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		first := true
		for sc.Scan() {
			if first {
				var r ready
				if json.Unmarshal(sc.Bytes(), &r) == nil {
					lines <- r
				}
				first = false
			}
		}
		// Keep draining so the server never blocks on a full pipe.
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var r ready
	select {
	case r = <-lines:
	case <-exited:
		t.Fatalf("oidctest: the provider exited before it listened; stderr:\n%s", stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("oidctest: the provider did not report its address within 60s; stderr:\n%s", stderr.String())
	}
	if r.Issuer != "http://127.0.0.1:"+strconv.Itoa(r.Port) {
		t.Fatalf("oidctest: the provider reported issuer %q for port %d", r.Issuer, r.Port)
	}

	p := &Provider{
		Issuer:          r.Issuer,
		ClientID:        CLIClientID,
		WebClientID:     WebClientID,
		SecretClientID:  SecretClientID,
		ClientSecret:    secret,
		ServiceClientID: ServiceClientID,
		ServiceSecret:   serviceSecret,
		exchangeKey:     exchangeKey,
		http:            &http.Client{Timeout: 15 * time.Second},
		stop:            stop,
	}
	p.waitDiscovery(t)
	return p
}

// waitDiscovery waits until the OpenID discovery document answers 200 with
// the expected issuer.
func (p *Provider) waitDiscovery(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		var doc struct {
			Issuer string `json:"issuer"`
		}
		status, body, err := p.do(http.MethodGet, "/.well-known/openid-configuration", nil)
		switch {
		case err != nil:
			last = err
		case status != http.StatusOK:
			last = fmt.Errorf("HTTP %d: %.200s", status, body)
		case json.Unmarshal(body, &doc) != nil || doc.Issuer != p.Issuer:
			last = fmt.Errorf("unexpected discovery document: %.200s", body)
		default:
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("oidctest: discovery at %s never answered: %v", p.Issuer, last)
}

// Endpoint returns the provider's endpoints for golang.org/x/oauth2, with
// client credentials sent in the form body (the provider's clients are
// registered for "none" and "client_secret_post").
func (p *Provider) Endpoint() oauth2.Endpoint {
	return oauth2.Endpoint{
		AuthURL:       p.Issuer + "/auth",
		DeviceAuthURL: p.Issuer + "/device/auth",
		TokenURL:      p.Issuer + "/token",
		AuthStyle:     oauth2.AuthStyleInParams,
	}
}

// Approve signs in as [DefaultLogin] ("alice") and approves userCode through
// the provider's own device pages. The next poll of the device code returns
// tokens.
func (p *Provider) Approve(t testing.TB, userCode string) {
	t.Helper()
	p.ApproveAs(t, userCode, DefaultLogin)
}

// ApproveAs signs in as login and approves userCode through the provider's
// own device pages. The account's sub and preferred_username are login, its
// email login@example.test, its name login with a capital first letter.
func (p *Provider) ApproveAs(t testing.TB, userCode, login string) {
	t.Helper()
	if login == "" {
		t.Fatal("oidctest: ApproveAs needs a login")
	}
	b := p.newBrowser(t)
	xsrf := b.enterCode(t, userCode)

	page := b.post(t, b.url("/device"), url.Values{"xsrf": {xsrf}, "user_code": {userCode}, "confirm": {"yes"}})
	for i := 0; i < 6; i++ {
		switch {
		case strings.Contains(page.text, "Sign-in Success"):
			return
		case hiddenPrompt(page.text) == "login":
			page = b.post(t, b.formAction(t, page), url.Values{"prompt": {"login"}, "login": {login}, "password": {"any"}})
		case hiddenPrompt(page.text) == "consent":
			page = b.post(t, b.formAction(t, page), url.Values{"prompt": {"consent"}})
		default:
			t.Fatalf("oidctest: approving %q: unexpected page %s (HTTP %d): %s", userCode, page.url, page.status, pageSummary(page.text))
		}
	}
	t.Fatalf("oidctest: approving %q: no success page after the login and consent prompts; last page %s: %s", userCode, page.url, pageSummary(page.text))
}

// Deny rejects userCode through the provider's own device pages (the
// "Abort" button). The next poll of the device code answers access_denied.
func (p *Provider) Deny(t testing.TB, userCode string) {
	t.Helper()
	b := p.newBrowser(t)
	xsrf := b.enterCode(t, userCode)
	page := b.post(t, b.url("/device"), url.Values{"xsrf": {xsrf}, "user_code": {userCode}, "abort": {"yes"}})
	if !strings.Contains(page.text, "The Sign-in request was interrupted") {
		t.Fatalf("oidctest: denying %q: unexpected page %s (HTTP %d): %s", userCode, page.url, page.status, pageSummary(page.text))
	}
}

// Active reports whether the provider considers token (an access or refresh
// token) active, by RFC 7662 introspection with the confidential client.
func (p *Provider) Active(t testing.TB, token string) bool {
	t.Helper()
	status, body, err := p.do(http.MethodPost, "/token/introspection", url.Values{
		"client_id":     {p.SecretClientID},
		"client_secret": {p.ClientSecret},
		"token":         {token},
	})
	if err != nil {
		t.Fatalf("oidctest: introspection: %v", err)
	}
	var r struct {
		Active *bool `json:"active"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &r) != nil || r.Active == nil {
		t.Fatalf("oidctest: introspection answered HTTP %d: %.300s", status, body)
	}
	return *r.Active
}

// Revoke revokes token (an access or refresh token of the public client
// ClientID) at the provider's RFC 7009 revocation endpoint, as a client
// would; hint is "access_token", "refresh_token" or "".
func (p *Provider) Revoke(t testing.TB, token, hint string) {
	t.Helper()
	form := url.Values{"client_id": {p.ClientID}, "token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	status, body, err := p.do(http.MethodPost, "/token/revocation", form)
	if err != nil {
		t.Fatalf("oidctest: revocation: %v", err)
	}
	if status != http.StatusOK {
		t.Fatalf("oidctest: revocation answered HTTP %d: %.300s", status, body)
	}
}

// Stop ends the provider now, as the test's end would: its port is then
// closed (connections refused), and its tokens are lost.
func (p *Provider) Stop() { p.stop() }

// RefreshCount returns how many refresh_token grant requests the provider
// has received, successful or not.
func (p *Provider) RefreshCount(t testing.TB) int {
	t.Helper()
	return p.Stats(t).TokenRequests["refresh_token"]
}

// Stats returns what the provider has counted since it started.
func (p *Provider) Stats(t testing.TB) Stats {
	t.Helper()
	status, body, err := p.do(http.MethodGet, "/__test/stats", nil)
	if err != nil {
		t.Fatalf("oidctest: stats: %v", err)
	}
	var raw struct {
		TokenRequests map[string]int               `json:"token_requests"`
		DevicePolls   []int64                      `json:"device_polls"`
		AuthParams    []map[string]json.RawMessage `json:"authorization_params"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &raw) != nil {
		t.Fatalf("oidctest: stats answered HTTP %d: %.300s", status, body)
	}
	s := Stats{TokenRequests: raw.TokenRequests}
	if s.TokenRequests == nil {
		s.TokenRequests = map[string]int{}
	}
	for _, ms := range raw.DevicePolls {
		s.DevicePolls = append(s.DevicePolls, time.UnixMilli(ms))
	}
	for _, rec := range raw.AuthParams {
		a := AuthorizationParams{Params: url.Values{}}
		for k, v := range rec {
			if k == "endpoint" {
				_ = json.Unmarshal(v, &a.Endpoint)
				continue
			}
			var vs []string
			if err := json.Unmarshal(v, &vs); err != nil {
				t.Fatalf("oidctest: stats: authorization parameter %q: %v", k, err)
			}
			a.Params[k] = vs
		}
		s.AuthorizationParams = append(s.AuthorizationParams, a)
	}
	return s
}

// SubjectToken returns a JWT of the test's CI issuer (iss [CIIssuer], aud
// the provider's issuer, the given sub, expiring after ttl; a negative ttl
// gives an expired token), which a token exchange at this provider
// accepts as subject token of type [SubjectTokenTypeJWT].
func (p *Provider) SubjectToken(t testing.TB, sub string, ttl time.Duration) string {
	t.Helper()
	now := time.Now()
	claims, err := json.Marshal(map[string]any{
		"iss": CIIssuer, "aud": p.Issuer, "sub": sub,
		"iat": now.Unix(), "exp": now.Add(ttl).Unix(),
	})
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	signed := enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc(claims)
	mac := hmac.New(sha256.New, p.exchangeKey)
	mac.Write([]byte(signed))
	return signed + "." + enc(mac.Sum(nil))
}

// Introspect returns the provider's RFC 7662 introspection answer for
// token, asked by the confidential service client (client_id, active, sub,
// aud, ...).
func (p *Provider) Introspect(t testing.TB, token string) map[string]any {
	t.Helper()
	status, body, err := p.do(http.MethodPost, "/token/introspection", url.Values{
		"client_id":     {p.ServiceClientID},
		"client_secret": {p.ServiceSecret},
		"token":         {token},
	})
	if err != nil {
		t.Fatalf("oidctest: introspection: %v", err)
	}
	var r map[string]any
	if status != http.StatusOK || json.Unmarshal(body, &r) != nil {
		t.Fatalf("oidctest: introspection answered HTTP %d: %.300s", status, body)
	}
	return r
}

// do sends one request to the provider; form, when not nil, is the POST body.
func (p *Provider) do(method, path string, form url.Values) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, p.Issuer+path, body)
	if err != nil {
		return 0, nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := p.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, err
}

// browser is a cookie-keeping HTTP client walking the provider's HTML pages.
type browser struct {
	issuer string
	client *http.Client
}

// page is a fetched HTML page, after redirects.
type page struct {
	url    string
	status int
	text   string
}

func (p *Provider) newBrowser(t testing.TB) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	return &browser{issuer: p.Issuer, client: &http.Client{Jar: jar, Timeout: 15 * time.Second}}
}

func (b *browser) url(path string) string { return b.issuer + path }

// enterCode opens /device, submits userCode and checks that the provider
// asks to confirm it. It returns the form's xsrf value.
func (b *browser) enterCode(t testing.TB, userCode string) string {
	t.Helper()
	start := b.get(t, b.url("/device"))
	xsrf := hiddenValue(start.text, "xsrf")
	if xsrf == "" {
		t.Fatalf("oidctest: no xsrf field on %s (HTTP %d): %s", start.url, start.status, pageSummary(start.text))
	}
	confirm := b.post(t, b.url("/device"), url.Values{"xsrf": {xsrf}, "user_code": {userCode}})
	if hiddenValue(confirm.text, "confirm") != "yes" {
		// The provider answers 200 to a wrong code: the page text says why.
		t.Fatalf("oidctest: the provider did not accept user code %q: %s", userCode, pageSummary(confirm.text))
	}
	if x := hiddenValue(confirm.text, "xsrf"); x != "" {
		xsrf = x
	}
	return xsrf
}

func (b *browser) get(t testing.TB, u string) page {
	t.Helper()
	return b.send(t, http.MethodGet, u, nil)
}

func (b *browser) post(t testing.TB, u string, form url.Values) page {
	t.Helper()
	return b.send(t, http.MethodPost, u, form)
}

func (b *browser) send(t testing.TB, method, u string, form url.Values) page {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatalf("oidctest: %s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("oidctest: %s %s: reading the page: %v", method, u, err)
	}
	return page{url: resp.Request.URL.String(), status: resp.StatusCode, text: string(text)}
}

var (
	inputRe  = regexp.MustCompile(`(?is)<input\b[^>]*>`)
	nameRe   = regexp.MustCompile(`(?is)\bname="([^"]*)"`)
	valueRe  = regexp.MustCompile(`(?is)\bvalue="([^"]*)"`)
	actionRe = regexp.MustCompile(`(?is)<form\b[^>]*\baction="([^"]*)"`)
	tagRe    = regexp.MustCompile(`(?s)<style.*?</style>|<script.*?</script>|<[^>]*>`)
	spaceRe  = regexp.MustCompile(`\s+`)
)

// hiddenValue returns the value of the first input named name, or "".
func hiddenValue(doc, name string) string {
	for _, in := range inputRe.FindAllString(doc, -1) {
		if m := nameRe.FindStringSubmatch(in); m != nil && html.UnescapeString(m[1]) == name {
			if v := valueRe.FindStringSubmatch(in); v != nil {
				return html.UnescapeString(v[1])
			}
			return ""
		}
	}
	return ""
}

// hiddenPrompt names the interaction prompt a page asks for ("login",
// "consent"), or "".
func hiddenPrompt(doc string) string { return hiddenValue(doc, "prompt") }

// formAction resolves the first form's action against the page's URL.
func (b *browser) formAction(t testing.TB, pg page) string {
	t.Helper()
	m := actionRe.FindStringSubmatch(pg.text)
	if m == nil {
		t.Fatalf("oidctest: no form on %s: %s", pg.url, pageSummary(pg.text))
	}
	base, err := url.Parse(pg.url)
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	ref, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatalf("oidctest: bad form action %q on %s", m[1], pg.url)
	}
	return base.ResolveReference(ref).String()
}

// pageSummary is a page's visible text, shortened, for failure messages.
func pageSummary(doc string) string {
	s := strings.TrimSpace(spaceRe.ReplaceAllString(html.UnescapeString(tagRe.ReplaceAllString(doc, " ")), " "))
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return strconv.Quote(s)
}

// providerDir finds testdata/oidc-provider by walking up from the working
// directory to the module root (the directory holding go.mod).
func providerDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "testdata", "oidc-provider")
			if _, err := os.Stat(filepath.Join(p, "server.js")); err != nil {
				return "", fmt.Errorf("module root %s has no testdata/oidc-provider/server.js: %w", dir, err)
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s: run the tests inside the authdeck module", wd)
		}
		dir = parent
	}
}

// ensureInstalled runs "npm ci" in dir when node_modules lacks
// oidc-provider. A file lock keeps test binaries running in parallel from
// installing at the same time.
func ensureInstalled(dir string) error {
	marker := filepath.Join(dir, "node_modules", "oidc-provider", "package.json")
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	lock := flock.New(filepath.Join(dir, ".install.lock"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ok, err := lock.TryLockContext(ctx, 100*time.Millisecond)
	if err != nil || !ok {
		return fmt.Errorf("cannot lock %s to install the provider: %v", lock.Path(), err)
	}
	defer func() { _ = lock.Unlock() }()
	if _, err := os.Stat(marker); err == nil {
		return nil // another test binary installed it while we waited
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return fmt.Errorf("npm is not installed, and %s has no node_modules: %v", dir, err)
	}
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm ci in %s failed (%v); run it by hand to see why:\n%s", dir, err, tail(out.String(), 2000))
	}
	if _, err := os.Stat(marker); err != nil {
		return fmt.Errorf("npm ci in %s did not install oidc-provider: %v", dir, err)
	}
	return nil
}

// seconds formats d as whole seconds, rounded up, or def when d is not
// positive.
func seconds(d, def time.Duration) string {
	if d <= 0 {
		d = def
	}
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}

func randomString(t testing.TB) string {
	t.Helper()
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// tailBuffer keeps the last max bytes written to it; safe for concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.max {
		b.buf = append([]byte(nil), b.buf[len(b.buf)-b.max:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
