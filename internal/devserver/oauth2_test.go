package devserver

// Conformance with a client that is not ours: golang.org/x/oauth2.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func oauthConfig(s *Server) *oauth2.Config {
	e := s.Endpoints()
	return &oauth2.Config{
		ClientID: s.ClientID(),
		Scopes:   []string{"openid", "profile", "email", "offline_access"},
		Endpoint: oauth2.Endpoint{DeviceAuthURL: e.DeviceAuthURL, TokenURL: e.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}
}

var userCodeRE = regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`)

func TestMetadataAndDiscovery(t *testing.T) {
	s := start(t, Options{})
	for _, p := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		m := getJSON(t, s.Issuer()+p)
		if str(m, "issuer") != s.Issuer() {
			t.Errorf("%s: issuer %q, want %q", p, str(m, "issuer"), s.Issuer())
		}
		for k, want := range map[string]string{
			"device_authorization_endpoint": s.Endpoints().DeviceAuthURL,
			"token_endpoint":                s.Endpoints().TokenURL,
			"revocation_endpoint":           s.Endpoints().RevocationURL,
			"introspection_endpoint":        s.Endpoints().IntrospectionURL,
			"userinfo_endpoint":             s.Endpoints().UserInfoURL,
			"jwks_uri":                      s.Issuer() + "/jwks",
		} {
			if got := str(m, k); got != want {
				t.Errorf("%s: %s = %q, want %q", p, k, got, want)
			}
		}
		gts, _ := m["grant_types_supported"].([]any)
		if len(gts) != 3 || gts[0] != grantAuthorizationCode || gts[1] != grantDeviceCode || gts[2] != "refresh_token" {
			t.Errorf("%s: grant_types_supported = %v", p, gts)
		}
	}
	if !strings.HasPrefix(s.Issuer(), "http://127.0.0.1:") {
		t.Errorf("issuer %q is not on 127.0.0.1", s.Issuer())
	}
}

// TestOAuth2DeviceFlowRefreshAndUserInfo: x/oauth2 gets a code, a person
// approves it as bob through the page's HTTP form, x/oauth2's poll returns
// tokens, userinfo and the signed ID token say bob, and TokenSource
// refreshes with rotation.
func TestOAuth2DeviceFlowRefreshAndUserInfo(t *testing.T) {
	s := start(t, Options{Interval: time.Second})
	cfg := oauthConfig(s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !userCodeRE.MatchString(da.UserCode) {
		t.Errorf("user code %q is not XXXX-XXXX from the unambiguous alphabet", da.UserCode)
	}
	if da.VerificationURI != s.DeviceURL() || da.VerificationURIComplete != s.DeviceURL()+"?user_code="+da.UserCode {
		t.Errorf("verification URIs %q %q", da.VerificationURI, da.VerificationURIComplete)
	}
	if da.Interval != 1 || time.Until(da.Expiry) < 9*time.Minute {
		t.Errorf("interval %d, expiry in %s", da.Interval, time.Until(da.Expiry))
	}

	type result struct {
		tok *oauth2.Token
		err error
	}
	done := make(chan result, 1)
	go func() {
		tok, err := cfg.DeviceAccessToken(ctx, da)
		done <- result{tok, err}
	}()
	time.Sleep(1500 * time.Millisecond) // at least one authorization_pending
	if status, page := decideViaForm(t, s, da.UserCode, "bob", "approve"); status != 200 || !strings.Contains(page, `data-page="approved"`) {
		t.Fatalf("approve: status %d\n%s", status, page)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("DeviceAccessToken: %v", r.err)
	}
	tok := r.tok
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.TokenType != "Bearer" || time.Until(tok.Expiry) < 59*time.Minute {
		t.Fatalf("token %+v", tok)
	}

	// userinfo with x/oauth2's HTTP client.
	hc := cfg.Client(ctx, tok)
	resp, err := hc.Get(s.Endpoints().UserInfoURL)
	if err != nil {
		t.Fatal(err)
	}
	_, claims, _ := decode(t, resp)
	resp.Body.Close()
	if claims["sub"] != "bob" || claims["preferred_username"] != "bob" || claims["email"] != "bob@example.com" {
		t.Errorf("userinfo %v", claims)
	}

	// The ID token verifies against the published JWKS.
	idt, _ := tok.Extra("id_token").(string)
	idClaims := verifyIDToken(t, s, idt)
	if idClaims["sub"] != "bob" || idClaims["aud"] != s.ClientID() || idClaims["iss"] != s.Issuer() {
		t.Errorf("ID token claims %v", idClaims)
	}

	// Refresh through TokenSource: a new access and refresh token.
	old := *tok
	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute)
	fresh, err := cfg.TokenSource(ctx, &expired).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.AccessToken == old.AccessToken || fresh.RefreshToken == old.RefreshToken || fresh.RefreshToken == "" {
		t.Fatalf("refresh did not rotate: %+v", fresh)
	}
	if m := introspect(t, s, fresh.AccessToken); m["active"] != true || m["username"] != "bob" || m["client_id"] != s.ClientID() {
		t.Errorf("introspect fresh access token: %v", m)
	}
	if m := introspect(t, s, old.RefreshToken); m["active"] != false {
		t.Errorf("a spent refresh token is still active: %v", m)
	}

	// Reusing the spent refresh token fails and revokes the whole grant.
	expired.RefreshToken = old.RefreshToken
	_, err = cfg.TokenSource(ctx, &expired).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("reuse of a spent refresh token: %v", err)
	}
	for name, tk := range map[string]string{"new access": fresh.AccessToken, "new refresh": fresh.RefreshToken, "old access": old.AccessToken} {
		if m := introspect(t, s, tk); m["active"] != false {
			t.Errorf("after refresh-token reuse the %s token is still active: %v", name, m)
		}
	}
	expired.RefreshToken = fresh.RefreshToken
	if _, err := cfg.TokenSource(ctx, &expired).Token(); !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("the newest refresh token still works after the grant was revoked: %v", err)
	}
}

func verifyIDToken(t *testing.T, s *Server, idt string) map[string]any {
	t.Helper()
	parts := strings.Split(idt, ".")
	if len(parts) != 3 {
		t.Fatalf("ID token %q is not a JWS", idt)
	}
	var hdr map[string]string
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	json.Unmarshal(hb, &hdr)
	jwks := getJSON(t, s.Issuer()+"/jwks")
	keys, _ := jwks["keys"].([]any)
	if len(keys) != 1 {
		t.Fatalf("jwks %v", jwks)
	}
	k := keys[0].(map[string]any)
	if hdr["alg"] != "ES256" || hdr["kid"] != k["kid"] {
		t.Fatalf("header %v vs key %v", hdr, k)
	}
	x, _ := base64.RawURLEncoding.DecodeString(str(k, "x"))
	y, _ := base64.RawURLEncoding.DecodeString(str(k, "y"))
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	if len(sig) != 64 {
		t.Fatalf("signature is %d bytes", len(sig))
	}
	der, _ := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])})
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.VerifyASN1(pub, sum[:], der) {
		t.Fatal("ID token signature does not verify against the JWKS")
	}
	pb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err := json.Unmarshal(pb, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func TestOAuth2Deny(t *testing.T) {
	s := start(t, Options{Interval: time.Second})
	cfg := oauthConfig(s)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status, page := decideViaForm(t, s, da.UserCode, "alice", "deny"); status != 200 || !strings.Contains(page, `data-page="denied"`) {
		t.Fatalf("deny: %d\n%s", status, page)
	}
	_, err = cfg.DeviceAccessToken(ctx, da)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "access_denied" {
		t.Fatalf("after deny: %v", err)
	}
}

// TestOAuth2Expiry: x/oauth2 gives up at expires_in (it reports a context
// deadline), and the server then answers expired_token.
func TestOAuth2Expiry(t *testing.T) {
	s := start(t, Options{Interval: time.Second, CodeTTL: 2 * time.Second})
	cfg := oauthConfig(s)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// x/oauth2 counts expires_in from when it got the answer, the server
	// from when it sent it: the last poll can land on either side of the
	// server's expiry, so either ending is right.
	_, err = cfg.DeviceAccessToken(ctx, da)
	var re *oauth2.RetrieveError
	if !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &re) && re.ErrorCode == "expired_token") {
		t.Fatalf("DeviceAccessToken on an expiring code: %v, want a deadline or expired_token", err)
	}
	time.Sleep(time.Until(da.Expiry.Add(100 * time.Millisecond)))
	if status, m := pollRaw(t, s, da.DeviceCode); status != 400 || m["error"] != "expired_token" {
		t.Fatalf("poll after expiry: %d %v", status, m)
	}
	if err := s.Approve(da.UserCode, "alice"); err == nil || err.(*DecisionError).Reason != "expired" {
		t.Fatalf("approving an expired code: %v", err)
	}
}

// TestSlowDownEnforced: polling before the interval has passed answers
// slow_down and raises the interval by 5 s for every later poll.
func TestSlowDownEnforced(t *testing.T) {
	c := newClock()
	s := start(t, Options{Interval: 2 * time.Second, Now: c.Now})
	da := deviceAuth(t, s)
	dc := str(da, "device_code")
	if da["interval"] != 2.0 {
		t.Fatalf("interval %v", da["interval"])
	}
	steps := []struct {
		wait time.Duration
		want string
	}{
		{0, "slow_down"},                            // before the first interval: interval now 7 s
		{2 * time.Second, "slow_down"},              // the old interval is no longer enough: now 12 s
		{12 * time.Second, "authorization_pending"}, // the new interval is respected
		{12 * time.Second, "authorization_pending"},
		{9 * time.Second, "authorization_pending"}, // within the 25% grace of 12 s
		{5 * time.Second, "slow_down"},             // too fast again: now 17 s
		{17 * time.Second, "authorization_pending"},
	}
	for i, st := range steps {
		c.Advance(st.wait)
		status, m := pollRaw(t, s, dc)
		if status != 400 || m["error"] != st.want {
			t.Fatalf("step %d (after %s): %d %v, want %s", i, st.wait, status, m, st.want)
		}
	}
	if err := s.Approve(str(da, "user_code"), "alice"); err != nil {
		t.Fatal(err)
	}
	c.Advance(17 * time.Second)
	if status, m := pollRaw(t, s, dc); status != 200 || str(m, "access_token") == "" {
		t.Fatalf("after approval: %d %v", status, m)
	}
}

// TestOAuth2SlowDown: when x/oauth2's first poll comes too soon after
// another poll of the same code, it gets slow_down, backs off 5 s as RFC 8628
// says, and its next poll is on time.
func TestOAuth2SlowDown(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 7 s")
	}
	rec := &recorder{}
	s := start(t, Options{Interval: time.Second, Logger: slog.New(rec)})
	cfg := oauthConfig(s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A raw poll 0.85 s in (late enough to be on time itself): x/oauth2's
	// first poll, at 1 s, is then 0.15 s after it, too fast.
	time.AfterFunc(850*time.Millisecond, func() {
		pollRaw(t, s, da.DeviceCode)
		time.Sleep(2 * time.Second)
		s.Approve(da.UserCode, "alice")
	})
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("DeviceAccessToken: %v %v", tok, err)
	}
	got := strings.Join(rec.results(), " ")
	if got != "authorization_pending slow_down ok" {
		t.Errorf("poll results %q, want the raw poll pending, x/oauth2 slowed down once, then tokens", got)
	}
}

// recorder is a slog.Handler keeping the outcome of each device poll.
type recorder struct {
	mu  sync.Mutex
	out []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec.Attrs(func(a slog.Attr) bool {
		switch {
		case rec.Message == "device poll" && a.Key == "result":
			r.out = append(r.out, a.Value.String())
		case rec.Message == "tokens issued" && a.Key == "grant_type" && a.Value.String() == grantDeviceCode:
			r.out = append(r.out, "ok")
		}
		return true
	})
	return nil
}

func (r *recorder) results() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.out...)
}

func TestRevokeRFC7009ThenIntrospect(t *testing.T) {
	s := start(t, Options{})
	access, refresh := login(t, s, "alice")

	// Revoking an access token: that token only.
	status, m, _ := post(t, s.Endpoints().RevocationURL, url.Values{"client_id": {s.ClientID()}, "token": {access}, "token_type_hint": {"access_token"}})
	if status != 200 || len(m) != 0 {
		t.Fatalf("revoke: %d %v", status, m)
	}
	if m := introspect(t, s, access); m["active"] != false || len(m) != 1 {
		t.Errorf("revoked access token introspects as %v", m)
	}
	if m := introspect(t, s, refresh); m["active"] != true {
		t.Errorf("refresh token should survive revoking an access token: %v", m)
	}
	// Revoking an unknown token is not an error (RFC 7009 §2.2).
	if status, m, _ := post(t, s.Endpoints().RevocationURL, url.Values{"client_id": {s.ClientID()}, "token": {"nonsense"}}); status != 200 {
		t.Errorf("revoke unknown: %d %v", status, m)
	}
	// Revoking the refresh token revokes the grant: its new access token too.
	status, tm, _ := post(t, s.Endpoints().TokenURL, url.Values{"client_id": {s.ClientID()}, "grant_type": {"refresh_token"}, "refresh_token": {refresh}})
	if status != 200 {
		t.Fatalf("refresh: %d %v", status, tm)
	}
	access2, refresh2 := str(tm, "access_token"), str(tm, "refresh_token")
	if status, m, _ := post(t, s.Endpoints().RevocationURL, url.Values{"client_id": {s.ClientID()}, "token": {refresh2}}); status != 200 {
		t.Fatalf("revoke refresh: %d %v", status, m)
	}
	for _, tk := range []string{access2, refresh2} {
		if m := introspect(t, s, tk); m["active"] != false {
			t.Errorf("after revoking the refresh token: %v", m)
		}
	}
	req, _ := http.NewRequest("GET", s.Endpoints().UserInfoURL, nil)
	req.Header.Set("Authorization", "Bearer "+access2)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("userinfo with a revoked token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	// Revocation without a client is refused.
	if status, m, _ := post(t, s.Endpoints().RevocationURL, url.Values{"token": {access2}}); status != 401 || m["error"] != "invalid_client" {
		t.Errorf("revoke without client_id: %d %v", status, m)
	}
}

// login runs the device flow with raw requests and Approve.
func login(t *testing.T, s *Server, who string) (access, refresh string) {
	t.Helper()
	da := deviceAuth(t, s)
	if err := s.Approve(str(da, "user_code"), who); err != nil {
		t.Fatal(err)
	}
	// Approved codes are exchanged whatever the timing.
	status, m := pollRaw(t, s, str(da, "device_code"))
	if status != 200 {
		t.Fatalf("token: %d %v", status, m)
	}
	return str(m, "access_token"), str(m, "refresh_token")
}

func TestDeviceCodeReuseRevokesItsTokens(t *testing.T) {
	s := start(t, Options{})
	da := deviceAuth(t, s)
	s.Approve(str(da, "user_code"), "alice")
	_, m := pollRaw(t, s, str(da, "device_code"))
	at := str(m, "access_token")
	if introspect(t, s, at)["active"] != true {
		t.Fatal("fresh token inactive")
	}
	if status, m := pollRaw(t, s, str(da, "device_code")); status != 400 || m["error"] != "invalid_grant" {
		t.Fatalf("second exchange: %d %v", status, m)
	}
	if introspect(t, s, at)["active"] != false {
		t.Error("tokens from a twice-exchanged device code are still active")
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	s := start(t, Options{})
	e := s.Endpoints()
	cid := s.ClientID()
	big := strings.Repeat("a", maxFormBytes+10)
	cases := []struct {
		name   string
		url    string
		ct     string
		body   string
		basic  [2]string
		status int
		code   string
	}{
		{"json body", e.TokenURL, "application/json", `{"grant_type":"refresh_token"}`, [2]string{}, 400, "invalid_request"},
		{"no grant type", e.TokenURL, "", "client_id=" + cid, [2]string{}, 400, "invalid_request"},
		{"unknown grant", e.TokenURL, "", "client_id=" + cid + "&grant_type=password", [2]string{}, 400, "unsupported_grant_type"},
		{"no client", e.TokenURL, "", "grant_type=refresh_token&refresh_token=x", [2]string{}, 401, "invalid_client"},
		{"wrong client", e.TokenURL, "", "client_id=other&grant_type=refresh_token&refresh_token=x", [2]string{}, 401, "invalid_client"},
		{"client secret", e.TokenURL, "", "client_id=" + cid + "&client_secret=s&grant_type=refresh_token&refresh_token=x", [2]string{}, 401, "invalid_client"},
		{"basic with secret", e.TokenURL, "", "grant_type=refresh_token&refresh_token=x", [2]string{cid, "s"}, 401, "invalid_client"},
		{"basic without secret", e.TokenURL, "", "grant_type=refresh_token&refresh_token=x", [2]string{cid, ""}, 400, "invalid_grant"},
		{"repeated parameter", e.TokenURL, "", "client_id=" + cid + "&grant_type=refresh_token&refresh_token=x&refresh_token=y", [2]string{}, 400, "invalid_request"},
		{"body too large", e.TokenURL, "", "client_id=" + cid + "&x=" + big, [2]string{}, 400, "invalid_request"},
		{"missing device code", e.TokenURL, "", "client_id=" + cid + "&grant_type=" + url.QueryEscape(grantDeviceCode), [2]string{}, 400, "invalid_request"},
		{"unknown device code", e.TokenURL, "", "client_id=" + cid + "&grant_type=" + url.QueryEscape(grantDeviceCode) + "&device_code=nope", [2]string{}, 400, "invalid_grant"},
		{"bad scope", e.DeviceAuthURL, "", "client_id=" + cid + "&scope=admin", [2]string{}, 400, "invalid_scope"},
		{"introspect without token", e.IntrospectionURL, "", "client_id=" + cid, [2]string{}, 400, "invalid_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", c.url, strings.NewReader(c.body))
			ct := c.ct
			if ct == "" {
				ct = "application/x-www-form-urlencoded"
			}
			req.Header.Set("Content-Type", ct)
			if c.basic[0] != "" {
				req.SetBasicAuth(c.basic[0], c.basic[1])
			}
			resp, err := httpClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			status, m, h := decode(t, resp)
			if status != c.status || m["error"] != c.code || str(m, "error_description") == "" {
				t.Errorf("got %d %v, want %d %s", status, m, c.status, c.code)
			}
			if h.Get("Cache-Control") != "no-store" || h.Get("Content-Type") != "application/json" {
				t.Errorf("headers %v", h)
			}
			if status == 401 && h.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	// GET on the token endpoint.
	resp, err := httpClient.Get(e.TokenURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("GET token endpoint: %d", resp.StatusCode)
	}
}

func TestUserInfoNeedsBearer(t *testing.T) {
	s := start(t, Options{})
	access, refresh := login(t, s, "alice")
	for _, c := range []struct {
		auth   string
		status int
	}{
		{"", 401}, {"Basic abc", 401}, {"Bearer " + refresh, 401}, {"Bearer nope", 401}, {"bearer " + access, 200},
	} {
		req, _ := http.NewRequest("GET", s.Endpoints().UserInfoURL, nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		status, m, h := decode(t, resp)
		resp.Body.Close()
		if status != c.status {
			t.Errorf("%q: status %d %v", c.auth, status, m)
		}
		if status == 401 && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%q: WWW-Authenticate %q", c.auth, h.Get("WWW-Authenticate"))
		}
		if status == 200 && (m["sub"] != "alice" || m["name"] != "Alice Liddell") {
			t.Errorf("claims %v", m)
		}
	}
	// Scope limits the claims; without openid, userinfo is refused.
	status, m, _ := post(t, s.Endpoints().DeviceAuthURL, url.Values{"client_id": {s.ClientID()}, "scope": {"offline_access"}})
	if status != 200 {
		t.Fatal(m)
	}
	s.Approve(str(m, "user_code"), "bob")
	_, tm := pollRaw(t, s, str(m, "device_code"))
	if tm["scope"] != "offline_access" || tm["id_token"] != nil {
		t.Errorf("token for offline_access only: %v", tm)
	}
	req, _ := http.NewRequest("GET", s.Endpoints().UserInfoURL, nil)
	req.Header.Set("Authorization", "Bearer "+str(tm, "access_token"))
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("userinfo without openid scope: %d", resp.StatusCode)
	}
}

func TestRefreshScopeAndExpiry(t *testing.T) {
	c := newClock()
	s := start(t, Options{Now: c.Now, AccessTTL: time.Minute, RefreshTTL: time.Hour})
	access, refresh := login(t, s, "alice")
	c.Advance(61 * time.Second)
	if introspect(t, s, access)["active"] != false {
		t.Error("access token active after AccessTTL")
	}
	status, m, _ := post(t, s.Endpoints().TokenURL, url.Values{"client_id": {s.ClientID()}, "grant_type": {"refresh_token"}, "refresh_token": {refresh}, "scope": {"openid email"}})
	if status != 200 || m["scope"] != "openid profile email offline_access" {
		// Narrowing is allowed; the grant keeps its scope.
		t.Fatalf("refresh with a narrower scope: %d %v", status, m)
	}
	r2 := str(m, "refresh_token")
	status, m, _ = post(t, s.Endpoints().TokenURL, url.Values{"client_id": {s.ClientID()}, "grant_type": {"refresh_token"}, "refresh_token": {r2}, "scope": {"openid"}})
	if status != 200 {
		t.Fatalf("refresh: %d %v", status, m)
	}
	r2 = str(m, "refresh_token")
	if status, m, _ := post(t, s.Endpoints().TokenURL, url.Values{"client_id": {s.ClientID()}, "grant_type": {"refresh_token"}, "refresh_token": {r2}, "scope": {"admin"}}); status != 400 || m["error"] != "invalid_scope" {
		t.Errorf("refresh asking for an unknown scope: %d %v", status, m)
	}
	_, rt3 := login(t, s, "bob")
	c.Advance(time.Hour + time.Second)
	if status, m, _ := post(t, s.Endpoints().TokenURL, url.Values{"client_id": {s.ClientID()}, "grant_type": {"refresh_token"}, "refresh_token": {rt3}}); status != 400 || m["error"] != "invalid_grant" {
		t.Errorf("expired refresh token: %d %v", status, m)
	}
}

func TestAutoApprove(t *testing.T) {
	s := start(t, Options{Interval: time.Second, AutoApprove: 200 * time.Millisecond})
	da := deviceAuth(t, s)
	time.Sleep(1100 * time.Millisecond)
	status, m := pollRaw(t, s, str(da, "device_code"))
	if status != 200 {
		t.Fatalf("auto-approved code: %d %v", status, m)
	}
	if got := introspect(t, s, str(m, "access_token"))["username"]; got != "alice" {
		t.Errorf("auto-approved as %v, want the first user", got)
	}
}
