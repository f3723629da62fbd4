package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// These tests use golang.org/x/oauth2 as an independent client, to prove the
// harness and the provider configuration before authdeck's own code uses
// them.

func ctxT(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func cliConfig(p *Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: p.ClientID, Endpoint: p.Endpoint(), Scopes: strings.Fields(Scopes)}
}

// deviceLogin runs the device flow with x/oauth2, approving the code as
// login, and returns the tokens.
func deviceLogin(t *testing.T, p *Provider, cfg *oauth2.Config, login string) *oauth2.Token {
	t.Helper()
	ctx := ctxT(t, 30*time.Second)
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatalf("DeviceAuth: %v", err)
	}
	p.ApproveAs(t, da.UserCode, login)
	da.Interval = 1 // the provider sends none; x/oauth2 would wait 5s
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err != nil {
		t.Fatalf("DeviceAccessToken after approval: %v", err)
	}
	return tok
}

type userinfo struct {
	Sub               string `json:"sub"`
	PreferredUsername string `json:"preferred_username"`
	Email             string `json:"email"`
	Name              string `json:"name"`
}

// getUserinfo calls the userinfo endpoint; it returns the HTTP status too.
func getUserinfo(t *testing.T, p *Provider, accessToken string) (int, userinfo) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxT(t, 10*time.Second), http.MethodGet, p.Issuer+"/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	defer resp.Body.Close()
	var u userinfo
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&u); err != nil {
			t.Fatalf("userinfo: %v", err)
		}
	}
	return resp.StatusCode, u
}

// postForm posts form to the provider and decodes the JSON answer.
func postForm(t *testing.T, p *Provider, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxT(t, 10*time.Second), http.MethodPost, p.Issuer+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := map[string]any{}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("POST %s: HTTP %d, not JSON: %.200s", path, resp.StatusCode, body)
		}
	}
	return resp.StatusCode, m
}

func retrieveErrorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

func TestStartIssuerAndDiscovery(t *testing.T) {
	t.Parallel()
	p := Start(t, Options{})
	u, err := url.Parse(p.Issuer)
	if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Path != "" {
		t.Fatalf("Issuer = %q, want http://127.0.0.1:PORT", p.Issuer)
	}
	if p.ClientID != "authdeck-cli" || p.WebClientID != "authdeck-web" || p.SecretClientID != "authdeck-secret" || p.ClientSecret == "" {
		t.Fatalf("clients = %q %q %q (secret set: %v)", p.ClientID, p.WebClientID, p.SecretClientID, p.ClientSecret != "")
	}
	resp, err := http.Get(p.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"issuer":                        p.Issuer,
		"device_authorization_endpoint": p.Issuer + "/device/auth",
		"token_endpoint":                p.Issuer + "/token",
		"revocation_endpoint":           p.Issuer + "/token/revocation",
		"introspection_endpoint":        p.Issuer + "/token/introspection",
		"userinfo_endpoint":             p.Issuer + "/me",
	} {
		if doc[key] != want {
			t.Errorf("discovery %s = %v, want %s", key, doc[key], want)
		}
	}
}

func TestTwoProvidersAreIndependent(t *testing.T) {
	t.Parallel()
	a := Start(t, Options{})
	b := Start(t, Options{})
	if a.Issuer == b.Issuer || a.ClientSecret == b.ClientSecret {
		t.Fatalf("two providers share issuer or secret: %q %q", a.Issuer, b.Issuer)
	}
	tok := deviceLogin(t, a, cliConfig(a), "alice")
	if !a.Active(t, tok.AccessToken) {
		t.Fatal("token inactive at its own provider")
	}
	if b.Active(t, tok.AccessToken) {
		t.Fatal("token active at another provider")
	}
}

func TestApproveGivesTokensAndUserinfo(t *testing.T) {
	t.Parallel()
	p := Start(t, Options{})
	cfg := cliConfig(p)

	ctx := ctxT(t, 30*time.Second)
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatalf("DeviceAuth: %v", err)
	}
	if da.VerificationURI != p.Issuer+"/device" || !strings.Contains(da.VerificationURIComplete, url.QueryEscape(da.UserCode)) {
		t.Errorf("verification URIs = %q, %q", da.VerificationURI, da.VerificationURIComplete)
	}
	// Before approval, polling only ever answers authorization_pending.
	da.Interval = 1
	pending, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	_, err = cfg.DeviceAccessToken(pending, da)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("polling before approval: got %v, want to keep waiting", err)
	}

	p.ApproveAs(t, da.UserCode, "bob")
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err != nil {
		t.Fatalf("DeviceAccessToken after approval: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.Expiry.IsZero() {
		t.Fatalf("token = access %v, refresh %v, expiry %v", tok.AccessToken != "", tok.RefreshToken != "", tok.Expiry)
	}
	if idt, _ := tok.Extra("id_token").(string); strings.Count(idt, ".") != 2 {
		t.Errorf("no ID token in the answer")
	} else {
		payload, err := base64.RawURLEncoding.DecodeString(strings.Split(idt, ".")[1])
		if err != nil {
			t.Fatal(err)
		}
		var claims map[string]any
		if err := json.Unmarshal(payload, &claims); err != nil {
			t.Fatal(err)
		}
		if claims["iss"] != p.Issuer || claims["sub"] != "bob" || claims["preferred_username"] != "bob" || claims["email"] != "bob@example.test" {
			t.Errorf("ID token claims = %v", claims)
		}
	}
	if remaining := time.Until(tok.Expiry); remaining < 50*time.Minute || remaining > 61*time.Minute {
		t.Errorf("default access token lifetime = %v, want about 1h", remaining)
	}

	status, u := getUserinfo(t, p, tok.AccessToken)
	want := userinfo{Sub: "bob", PreferredUsername: "bob", Email: "bob@example.test", Name: "Bob"}
	if status != http.StatusOK || u != want {
		t.Fatalf("userinfo = HTTP %d %+v, want %+v", status, u, want)
	}
	if !p.Active(t, tok.AccessToken) || !p.Active(t, tok.RefreshToken) {
		t.Fatal("fresh tokens are not active")
	}

	// Approve uses alice.
	if tok := deviceLogin(t, p, cfg, DefaultLogin); true {
		if _, u := getUserinfo(t, p, tok.AccessToken); u.Sub != "alice" {
			t.Fatalf("Approve signed in as %q, want alice", u.Sub)
		}
	}
}

func TestDenyGivesAccessDenied(t *testing.T) {
	t.Parallel()
	p := Start(t, Options{})
	cfg := cliConfig(p)
	ctx := ctxT(t, 30*time.Second)
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Deny(t, da.UserCode)
	da.Interval = 1
	_, err = cfg.DeviceAccessToken(ctx, da)
	if code := retrieveErrorCode(err); code != "access_denied" {
		t.Fatalf("after Deny: %v (code %q), want access_denied", err, code)
	}
}

// fatalRecorder is a testing.TB whose Fatal stops only the goroutine and
// records the message, to test that the harness fails clearly.
type fatalRecorder struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (r *fatalRecorder) Helper() {}
func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.msg = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *fatalRecorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }

// fatalOf runs f with a recorder and returns its Fatal message ("" if none).
func fatalOf(t *testing.T, f func(tb testing.TB)) string {
	r := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.msg
}

func TestApproveFailsClearlyOnBadCodes(t *testing.T) {
	t.Parallel()
	p := Start(t, Options{})
	cfg := cliConfig(p)

	msg := fatalOf(t, func(tb testing.TB) { p.Approve(tb, "BCDF-GHJK") })
	if !strings.Contains(msg, "BCDF-GHJK") || !strings.Contains(msg, "incorrect") {
		t.Errorf("Approve of an unknown code failed with %q; want the code and the page's reason", msg)
	}
	msg = fatalOf(t, func(tb testing.TB) { p.Deny(tb, "BCDF-GHJK") })
	if !strings.Contains(msg, "incorrect") {
		t.Errorf("Deny of an unknown code failed with %q", msg)
	}

	da, err := cfg.DeviceAuth(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	p.Approve(t, da.UserCode)
	msg = fatalOf(t, func(tb testing.TB) { p.Approve(tb, da.UserCode) })
	if !strings.Contains(msg, da.UserCode) {
		t.Errorf("second Approve of the same code failed with %q; want a clear failure", msg)
	}
}

func TestRefreshRotatesAndIsCounted(t *testing.T) {
	t.Parallel()
	p := Start(t, Options{})
	cfg := cliConfig(p)
	tok := deviceLogin(t, p, cfg, "alice")
	if n := p.RefreshCount(t); n != 0 {
		t.Fatalf("RefreshCount before any refresh = %d", n)
	}

	ctx := ctxT(t, 30*time.Second)
	expired := &oauth2.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Minute)}
	fresh, err := cfg.TokenSource(ctx, expired).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken {
		t.Fatal("refresh did not give a new access token and a new (rotated) refresh token")
	}
	if n := p.RefreshCount(t); n != 1 {
		t.Fatalf("RefreshCount after one refresh = %d, want 1", n)
	}
	if p.Active(t, tok.RefreshToken) {
		t.Fatal("the rotated-out refresh token is still active")
	}
	if !p.Active(t, fresh.RefreshToken) || !p.Active(t, fresh.AccessToken) {
		t.Fatal("the new tokens are not active")
	}

	// Spending the old refresh token again fails and revokes the whole grant.
	_, err = cfg.TokenSource(ctx, expired).Token()
	if code := retrieveErrorCode(err); code != "invalid_grant" {
		t.Fatalf("reusing a rotated refresh token: %v, want invalid_grant", err)
	}
	if n := p.RefreshCount(t); n != 2 {
		t.Fatalf("RefreshCount after a failed refresh = %d, want 2 (failed requests count)", n)
	}
	if p.Active(t, fresh.RefreshToken) || p.Active(t, fresh.AccessToken) {
		t.Fatal("reuse of a rotated refresh token did not revoke the grant")
	}
	s := p.Stats(t)
	if s.TokenRequests["urn:ietf:params:oauth:grant-type:device_code"] < 1 {
		t.Fatalf("stats = %+v, want the device_code polls counted", s.TokenRequests)
	}
}

func TestShortAccessTTLExpires(t *testing.T) {
	t.Parallel()
	p := Start(t, Options{AccessTTL: 2 * time.Second})
	cfg := cliConfig(p)
	tok := deviceLogin(t, p, cfg, "alice")
	if life := time.Until(tok.Expiry); life > 3*time.Second {
		t.Fatalf("access token lives %v, want about 2s", life)
	}
	if !p.Active(t, tok.AccessToken) {
		t.Fatal("fresh access token inactive")
	}
	time.Sleep(time.Until(tok.Expiry) + 1500*time.Millisecond)
	if p.Active(t, tok.AccessToken) {
		t.Fatal("access token still active after its expiry (clock tolerance must be 0)")
	}
	if status, _ := getUserinfo(t, p, tok.AccessToken); status != http.StatusUnauthorized {
		t.Fatalf("userinfo with an expired token: HTTP %d, want 401", status)
	}
	// The refresh token outlives it.
	fresh, err := cfg.TokenSource(ctxT(t, 10*time.Second), tok).Token()
	if err != nil || fresh.AccessToken == tok.AccessToken {
		t.Fatalf("refresh after expiry: %v", err)
	}
	if status, u := getUserinfo(t, p, fresh.AccessToken); status != http.StatusOK || u.Sub != "alice" {
		t.Fatalf("userinfo after refresh: HTTP %d %+v", status, u)
	}
}

func TestRevocationMakesTokensInactive(t *testing.T) {
	t.Parallel()
	p := Start(t, Options{})
	cfg := cliConfig(p)
	tok := deviceLogin(t, p, cfg, "alice")
	if !p.Active(t, tok.AccessToken) {
		t.Fatal("fresh access token inactive")
	}

	// Revoking the access token (RFC 7009, public client). oidc-provider's
	// policy then revokes every token of the grant, the refresh token too
	// (RFC 7009 section 2.1 allows it).
	status, body := postForm(t, p, "/token/revocation", url.Values{"client_id": {p.ClientID}, "token": {tok.AccessToken}, "token_type_hint": {"access_token"}})
	if status != http.StatusOK {
		t.Fatalf("revocation: HTTP %d %v", status, body)
	}
	if p.Active(t, tok.AccessToken) {
		t.Fatal("access token active after revocation")
	}
	if p.Active(t, tok.RefreshToken) {
		t.Fatal("refresh token active after its access token was revoked: oidc-provider's grant policy changed")
	}

	// Revoking the refresh token of another login ends that grant.
	tok = deviceLogin(t, p, cfg, "alice")
	status, body = postForm(t, p, "/token/revocation", url.Values{"client_id": {p.ClientID}, "token": {tok.RefreshToken}})
	if status != http.StatusOK {
		t.Fatalf("revocation: HTTP %d %v", status, body)
	}
	if p.Active(t, tok.RefreshToken) || p.Active(t, tok.AccessToken) {
		t.Fatal("tokens active after the refresh token was revoked")
	}
	// A revoked refresh token cannot be spent.
	if _, err := cfg.TokenSource(ctxT(t, 10*time.Second), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); retrieveErrorCode(err) != "invalid_grant" {
		t.Fatalf("refresh with a revoked token: %v, want invalid_grant", err)
	}
	// Revoking an unknown token is not an error (RFC 7009 section 2.2).
	if status, body := postForm(t, p, "/token/revocation", url.Values{"client_id": {p.ClientID}, "token": {"nonsense"}}); status != http.StatusOK {
		t.Fatalf("revoking an unknown token: HTTP %d %v", status, body)
	}
	if p.Active(t, "nonsense") {
		t.Fatal("Active(nonsense) = true")
	}
}

func TestConfidentialClient(t *testing.T) {
	t.Parallel()
	p := Start(t, Options{})
	// x/oauth2's DeviceAuth never sends a client secret, so ask by hand.
	status, body := postForm(t, p, "/device/auth", url.Values{"client_id": {p.SecretClientID}, "scope": {Scopes}})
	if status != http.StatusUnauthorized && status != http.StatusBadRequest {
		t.Fatalf("device authorization without the secret: HTTP %d %v, want a client authentication failure", status, body)
	}
	status, body = postForm(t, p, "/device/auth", url.Values{"client_id": {p.SecretClientID}, "client_secret": {p.ClientSecret}, "scope": {Scopes}})
	if status != http.StatusOK {
		t.Fatalf("device authorization with the secret: HTTP %d %v", status, body)
	}
	da := &oauth2.DeviceAuthResponse{DeviceCode: body["device_code"].(string), UserCode: body["user_code"].(string), Interval: 1}
	p.Approve(t, da.UserCode)
	cfg := &oauth2.Config{ClientID: p.SecretClientID, ClientSecret: p.ClientSecret, Endpoint: p.Endpoint(), Scopes: strings.Fields(Scopes)}
	tok, err := cfg.DeviceAccessToken(ctxT(t, 20*time.Second), da)
	if err != nil {
		t.Fatalf("DeviceAccessToken: %v", err)
	}
	if !p.Active(t, tok.AccessToken) || tok.RefreshToken == "" {
		t.Fatal("confidential client got no usable tokens")
	}
}

func TestDeviceCodeTTLExpires(t *testing.T) {
	t.Parallel()
	p := Start(t, Options{DeviceCodeTTL: time.Second})
	status, body := postForm(t, p, "/device/auth", url.Values{"client_id": {p.ClientID}, "scope": {Scopes}})
	if status != http.StatusOK || body["expires_in"] != float64(1) {
		t.Fatalf("device authorization: HTTP %d %v, want expires_in 1", status, body)
	}
	if _, ok := body["interval"]; ok {
		t.Fatalf("interval sent without PollInterval: %v", body)
	}
	time.Sleep(1500 * time.Millisecond)
	userCode := body["user_code"].(string)
	status, body = postForm(t, p, "/token", url.Values{"client_id": {p.ClientID}, "grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {body["device_code"].(string)}})
	if status != http.StatusBadRequest || body["error"] != "expired_token" {
		t.Fatalf("polling an expired code: HTTP %d %v, want expired_token", status, body)
	}
	if msg := fatalOf(t, func(tb testing.TB) { p.Approve(tb, userCode) }); !strings.Contains(msg, userCode) {
		t.Fatalf("Approve of an expired code failed with %q; want a clear failure", msg)
	}
}

func TestPollIntervalAndSlowDown(t *testing.T) {
	t.Parallel()
	p := Start(t, Options{PollInterval: time.Second})
	status, body := postForm(t, p, "/device/auth", url.Values{"client_id": {p.ClientID}, "scope": {Scopes}})
	if status != http.StatusOK || body["interval"] != float64(1) {
		t.Fatalf("device authorization: HTTP %d %v, want interval 1", status, body)
	}
	poll := url.Values{"client_id": {p.ClientID}, "grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {body["device_code"].(string)}}
	if status, body := postForm(t, p, "/token", poll); body["error"] != "authorization_pending" {
		t.Fatalf("first poll: HTTP %d %v, want authorization_pending", status, body)
	}
	if status, body := postForm(t, p, "/token", poll); status != http.StatusBadRequest || body["error"] != "slow_down" {
		t.Fatalf("immediate second poll: HTTP %d %v, want slow_down", status, body)
	}
	time.Sleep(1100 * time.Millisecond)
	if status, body := postForm(t, p, "/token", poll); body["error"] != "authorization_pending" {
		t.Fatalf("poll after the interval: HTTP %d %v, want authorization_pending", status, body)
	}
	if polls := p.Stats(t).DevicePolls; len(polls) != 3 {
		t.Fatalf("DevicePolls = %v, want 3", polls)
	}
}

// TestSlowDownPolls: the first SlowDownPolls device polls answer slow_down
// however slowly they come, even for an approved code; the next one gets the
// tokens, and every poll's arrival is recorded.
func TestSlowDownPolls(t *testing.T) {
	t.Parallel()
	p := Start(t, Options{SlowDownPolls: 2})
	status, body := postForm(t, p, "/device/auth", url.Values{"client_id": {p.ClientID}, "scope": {Scopes}})
	if status != http.StatusOK {
		t.Fatalf("device authorization: HTTP %d %v", status, body)
	}
	p.Approve(t, body["user_code"].(string))
	poll := url.Values{"client_id": {p.ClientID}, "grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {body["device_code"].(string)}}
	for i := range 2 {
		if status, body := postForm(t, p, "/token", poll); status != http.StatusBadRequest || body["error"] != "slow_down" {
			t.Fatalf("poll %d: HTTP %d %v, want slow_down", i+1, status, body)
		}
	}
	if status, body := postForm(t, p, "/token", poll); status != http.StatusOK || body["access_token"] == nil {
		t.Fatalf("third poll of an approved code: HTTP %d %v, want tokens", status, body)
	}
	if polls := p.Stats(t).DevicePolls; len(polls) != 3 {
		t.Fatalf("DevicePolls = %v, want 3", polls)
	}
}

// TestWebClientLoopbackPKCE walks the authorization code flow of the web
// client with a loopback redirect on an arbitrary port, as a browser would.
func TestWebClientLoopbackPKCE(t *testing.T) {
	t.Parallel()
	p := Start(t, Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	codes := make(chan url.Values, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/callback" {
			select {
			case codes <- r.URL.Query():
			default:
			}
		}
		fmt.Fprint(w, "done")
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	redirect := "http://" + ln.Addr().String() + "/callback"

	verifierBytes := make([]byte, 32)
	if _, err := rand.Read(verifierBytes); err != nil {
		t.Fatal(err)
	}
	verifier := base64.RawURLEncoding.EncodeToString(verifierBytes)
	sum := sha256.Sum256([]byte(verifier))
	cfg := &oauth2.Config{ClientID: p.WebClientID, Endpoint: p.Endpoint(), RedirectURL: redirect, Scopes: strings.Fields(Scopes)}

	// Without PKCE the provider refuses.
	b := p.newBrowser(t)
	pg := b.get(t, cfg.AuthCodeURL("state1"))
	if !strings.Contains(pg.url, "/callback") || !strings.Contains(pg.url, "error=invalid_request") {
		t.Fatalf("authorization without PKCE ended at %s, want an invalid_request redirect", pg.url)
	}
	<-codes

	// offline_access needs prompt=consent in the authorization code flow.
	authURL := cfg.AuthCodeURL("state2",
		oauth2.SetAuthURLParam("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:])),
		oauth2.SetAuthURLParam("code_challenge_method", "S256"),
		oauth2.SetAuthURLParam("prompt", "consent"))
	pg = b.get(t, authURL)
	for i := 0; i < 4 && !strings.Contains(pg.url, "/callback"); i++ {
		switch hiddenPrompt(pg.text) {
		case "login":
			pg = b.post(t, b.formAction(t, pg), url.Values{"prompt": {"login"}, "login": {"carol"}, "password": {"x"}})
		case "consent":
			pg = b.post(t, b.formAction(t, pg), url.Values{"prompt": {"consent"}})
		default:
			t.Fatalf("unexpected page %s: %s", pg.url, pageSummary(pg.text))
		}
	}
	var q url.Values
	select {
	case q = <-codes:
	case <-time.After(5 * time.Second):
		t.Fatalf("no callback; last page %s", pg.url)
	}
	if q.Get("state") != "state2" || q.Get("code") == "" || q.Get("iss") != p.Issuer {
		t.Fatalf("callback query = %v", q)
	}
	tok, err := cfg.Exchange(ctxT(t, 10*time.Second), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token with offline_access and prompt=consent")
	}
	if status, u := getUserinfo(t, p, tok.AccessToken); status != http.StatusOK || u.PreferredUsername != "carol" {
		t.Fatalf("userinfo: HTTP %d %+v", status, u)
	}
}

// BenchmarkStart measures the provider's cold start (node process to a
// discovery answer).
func BenchmarkStart(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		sub := &benchTB{TB: b}
		b.StartTimer()
		p := Start(sub, Options{})
		b.StopTimer()
		_ = p
		sub.cleanup()
		b.StartTimer()
	}
}

// benchTB runs each Start's cleanups at once, so processes do not pile up.
type benchTB struct {
	testing.TB
	fns []func()
}

func (s *benchTB) Cleanup(f func()) { s.fns = append(s.fns, f) }
func (s *benchTB) cleanup() {
	for i := len(s.fns) - 1; i >= 0; i-- {
		s.fns[i]()
	}
	s.fns = nil
}

// jwtClaims decodes a JWT's payload without checking its signature.
func jwtClaims(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %.40q", raw)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	return m
}

func TestServiceClientCredentialsResourceAndExchange(t *testing.T) {
	t.Parallel()
	p := Start(t, Options{})
	svc := url.Values{"client_id": {p.ServiceClientID}, "client_secret": {p.ServiceSecret}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range svc {
			v[k] = vs
		}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}

	status, body := postForm(t, p, "/token", with("grant_type", "client_credentials"))
	if status != http.StatusOK {
		t.Fatalf("client_credentials: HTTP %d %v", status, body)
	}
	if in := p.Introspect(t, body["access_token"].(string)); in["active"] != true || in["client_id"] != p.ServiceClientID {
		t.Fatalf("client credentials token introspects as %v", in)
	}
	status, body = postForm(t, p, "/token", with("grant_type", "client_credentials", "resource", APIResource+"/v1"))
	if status != http.StatusOK {
		t.Fatalf("client_credentials with resource: HTTP %d %v", status, body)
	}
	if aud := jwtClaims(t, body["access_token"].(string))["aud"]; aud != APIResource+"/v1" {
		t.Fatalf("resource token aud = %v", aud)
	}
	status, body = postForm(t, p, "/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {p.ServiceClientID}, "client_secret": {"wrong"}})
	if status != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Fatalf("wrong secret: HTTP %d %v, want 401 invalid_client", status, body)
	}

	exchange := func(subject string) (int, map[string]any) {
		return postForm(t, p, "/token", with("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange",
			"subject_token", subject, "subject_token_type", SubjectTokenTypeJWT))
	}
	status, body = exchange(p.SubjectToken(t, "repo:org/app", time.Minute))
	if status != http.StatusOK || body["issued_token_type"] != "urn:ietf:params:oauth:token-type:access_token" {
		t.Fatalf("token exchange: HTTP %d %v", status, body)
	}
	if in := p.Introspect(t, body["access_token"].(string)); in["active"] != true || in["client_id"] != p.ServiceClientID {
		t.Fatalf("exchanged token introspects as %v", in)
	}
	for name, bad := range map[string]string{
		"expired": p.SubjectToken(t, "x", -time.Minute),
		"forged":  p.SubjectToken(t, "x", time.Minute)[:60] + "x.y.z",
		"garbage": "not-a-jwt",
	} {
		if status, body := exchange(bad); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Errorf("%s subject token: HTTP %d %v, want 400 invalid_grant", name, status, body)
		}
	}

	postForm(t, p, "/device/auth", url.Values{"client_id": {p.ClientID}, "prompt": {"login"}, "login_hint": {"bob"}, "resource": {APIResource}})
	got := p.Stats(t).AuthorizationParams
	if len(got) != 1 || got[0].Endpoint != "device_authorization" || got[0].Params.Get("login_hint") != "bob" || got[0].Params.Get("prompt") != "login" {
		t.Fatalf("recorded authorization parameters %+v", got)
	}
}

func TestRevokeAccessTokenOnlyKeepsTheLogin(t *testing.T) {
	t.Parallel()
	p := Start(t, Options{RevokeAccessTokenOnly: true})
	cfg := cliConfig(p)
	tok := deviceLogin(t, p, cfg, "alice")
	p.Revoke(t, tok.AccessToken, "access_token")
	if p.Active(t, tok.AccessToken) {
		t.Fatal("access token active after revocation")
	}
	if !p.Active(t, tok.RefreshToken) {
		t.Fatal("the refresh token was revoked with its access token")
	}
	next, err := cfg.TokenSource(ctxT(t, 10*time.Second), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil || !p.Active(t, next.AccessToken) {
		t.Fatalf("refresh after revoking the access token: %v", err)
	}
	// A refresh token is still revoked with its whole login.
	p.Revoke(t, next.RefreshToken, "")
	if p.Active(t, next.RefreshToken) || p.Active(t, next.AccessToken) {
		t.Fatal("tokens active after the refresh token was revoked")
	}
}
