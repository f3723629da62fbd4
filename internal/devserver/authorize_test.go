package devserver

// The authorization endpoint, its consent page and the authorization_code
// grant, over HTTP, with x/oauth2 as the client that is not ours.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/authdeck/authdeck/auth"
)

const testRedirect = "http://127.0.0.1:5555/callback"

// TestDiscoveryOpenIDRequired checks the metadata against the fields OpenID
// Connect Discovery 1.0 §3 and RFC 8414 §2 require, and that our client
// discovers the same endpoints.
func TestDiscoveryOpenIDRequired(t *testing.T) {
	s := start(t, Options{})
	for _, p := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"} {
		m := getJSON(t, s.Issuer()+p)
		// REQUIRED by OpenID Connect Discovery §3 (token_endpoint: unless
		// only the implicit flow is used) and RFC 8414 §2.
		for _, k := range []string{"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"} {
			v := str(m, k)
			u, err := url.Parse(v)
			if v == "" || err != nil || u.Scheme != "http" || u.Host != strings.TrimPrefix(s.Issuer(), "http://") || u.RawQuery != "" || u.Fragment != "" {
				t.Errorf("%s: %s = %q: not an absolute URL on the issuer", p, k, v)
			}
		}
		if str(m, "issuer") != s.Issuer() {
			t.Errorf("%s: issuer %q, want %q (the URL it was fetched under)", p, str(m, "issuer"), s.Issuer())
		}
		list := func(k string) []string {
			raw, ok := m[k].([]any)
			if !ok {
				t.Errorf("%s: %s is %T, want a JSON array", p, k, m[k])
			}
			var out []string
			for _, v := range raw {
				s, ok := v.(string)
				if !ok {
					t.Errorf("%s: %s holds %v, not a string", p, k, v)
				}
				out = append(out, s)
			}
			return out
		}
		for _, k := range []string{"response_types_supported", "subject_types_supported", "id_token_signing_alg_values_supported"} {
			if len(list(k)) == 0 {
				t.Errorf("%s: the required %s is empty", p, k)
			}
		}
		for k, want := range map[string][]string{
			"response_types_supported":              {"code"},
			"subject_types_supported":               {"public"},
			"id_token_signing_alg_values_supported": {"ES256"},
			"code_challenge_methods_supported":      {"S256"},
			"token_endpoint_auth_methods_supported": {"none"},
			"grant_types_supported":                 {"authorization_code", grantDeviceCode, "refresh_token"},
			"scopes_supported":                      DefaultScopes,
		} {
			if got := list(k); !slices.Equal(got, want) {
				t.Errorf("%s: %s = %q, want %q", p, k, got, want)
			}
		}
		if !slices.Contains(list("scopes_supported"), "openid") {
			t.Errorf("%s: scopes_supported lacks openid (Discovery §3: SHOULD)", p)
		}
		if m["authorization_response_iss_parameter_supported"] != true {
			t.Errorf("%s: authorization_response_iss_parameter_supported = %v", p, m["authorization_response_iss_parameter_supported"])
		}
		if str(m, "authorization_endpoint") != s.AuthorizeURL() {
			t.Errorf("%s: authorization_endpoint %q", p, str(m, "authorization_endpoint"))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := auth.Discover(ctx, nil, s.Issuer())
	if err != nil || e != s.Endpoints() || !e.SupportsWeb() || !e.SupportsDevice() {
		t.Errorf("auth.Discover: %+v, %v", e, err)
	}
}

func TestRedirectURIMatching(t *testing.T) {
	s := start(t, Options{})
	for _, tc := range []struct {
		uri string
		ok  bool
	}{
		{"http://127.0.0.1:5555/callback", true},
		{"http://127.0.0.1:1/callback", true},
		{"http://127.0.0.1:65535/callback", true},
		{"http://127.0.0.1/callback", true},
		{"http://[::1]:5555/callback", true},
		{"http://[::1]/callback", true},
		{"http://localhost:5555/callback", false}, // RFC 8252 §8.3: not localhost
		{"https://127.0.0.1:5555/callback", false},
		{"http://127.0.0.2:5555/callback", false},
		{"http://127.0.0.1.evil.example:5555/callback", false},
		{"http://evil.example/callback", false},
		{"http://127.0.0.1:5555/callback/", false},
		{"http://127.0.0.1:5555/other", false},
		{"http://127.0.0.1:5555/%63allback", false},
		{"http://127.0.0.1:5555/callback?x=1", false},
		{"http://127.0.0.1:5555/callback?", false},
		{"http://127.0.0.1:5555/callback#frag", false},
		{"http://user@127.0.0.1:5555/callback", false},
		{"http://127.0.0.1:0/callback", false},
		{"http://127.0.0.1:99999/callback", false},
		{"http://127.0.0.1:/callback", false},
		{"http://[::1%25lo]:5555/callback", false},
		{"//127.0.0.1:5555/callback", false},
		{"/callback", false},
	} {
		if got := s.redirectAllowed(tc.uri); got != tc.ok {
			t.Errorf("redirectAllowed(%q) = %v, want %v", tc.uri, got, tc.ok)
		}
	}
}

// authzBrowser is a cookie-keeping HTTP client that does not follow
// redirects, so the test sees where the server sends the browser.
type authzBrowser struct {
	t  *testing.T
	hc *http.Client
	s  *Server
}

func newAuthzBrowser(t *testing.T, s *Server) *authzBrowser {
	jar, _ := cookiejar.New(nil)
	return &authzBrowser{t: t, s: s, hc: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request and returns status, Location and body.
func (b *authzBrowser) do(req *http.Request) (int, string, string) {
	b.t.Helper()
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

func (b *authzBrowser) get(u string) (int, string, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

func (b *authzBrowser) decide(form url.Values, header ...string) (int, string, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.s.Issuer()+"/authorize/decision", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

var requestRE = regexp.MustCompile(`name="request" value="([^"]+)"`)

// consent opens the authorization URL and returns the consent form's
// fields.
func (b *authzBrowser) consent(authURL string) url.Values {
	b.t.Helper()
	status, loc, page := b.get(authURL)
	if status != 200 || loc != "" || !strings.Contains(page, `data-page="consent"`) {
		b.t.Fatalf("consent page: %d %q\n%s", status, loc, page)
	}
	m := requestRE.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no request field:\n%s", page)
	}
	return url.Values{"csrf": {csrfOf(b.t, page)}, "request": {m[1]}}
}

// authQuery is a valid authorization request with PKCE; set overrides it
// (an empty value deletes the parameter).
func authQuery(s *Server, challenge string, set ...string) url.Values {
	q := url.Values{
		"response_type": {"code"}, "client_id": {s.ClientID()}, "redirect_uri": {testRedirect},
		"scope": {"openid profile email offline_access"}, "state": {"st-123"}, "nonce": {"n-456"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
	for i := 0; i+1 < len(set); i += 2 {
		if set[i+1] == "" {
			q.Del(set[i])
		} else {
			q.Set(set[i], set[i+1])
		}
	}
	return q
}

// callback parses a redirect to testRedirect (any port).
func callback(t *testing.T, status int, loc string) url.Values {
	t.Helper()
	if status != http.StatusSeeOther {
		t.Fatalf("status %d, want a 303 redirect (Location %q)", status, loc)
	}
	u, err := url.Parse(loc)
	if err != nil || u.Scheme != "http" || (u.Hostname() != "127.0.0.1" && u.Hostname() != "::1") || u.Path != "/callback" {
		t.Fatalf("redirected to %q, not the client's redirect URI", loc)
	}
	return u.Query()
}

// approveCode runs the authorization request through the consent page as
// login and returns the callback's parameters.
func approveCode(t *testing.T, s *Server, q url.Values, login string) url.Values {
	t.Helper()
	b := newAuthzBrowser(t, s)
	form := b.consent(s.AuthorizeURL() + "?" + q.Encode())
	form.Set("user", login)
	form.Set("action", "approve")
	status, loc, _ := b.decide(form)
	return callback(t, status, loc)
}

func redeem(t *testing.T, s *Server, code, redirectURI, verifier string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"client_id": {s.ClientID()}, "grant_type": {"authorization_code"}, "code": {code}}
	if redirectURI != "" {
		form.Set("redirect_uri", redirectURI)
	}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	status, m, _ := post(t, s.Endpoints().TokenURL, form)
	return status, m
}

func TestAuthorizeErrorsShownNotRedirected(t *testing.T) {
	s := start(t, Options{})
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	for _, tc := range []struct {
		name string
		q    url.Values
		want string
	}{
		{"no client_id", authQuery(s, challenge, "client_id", ""), "client_id is missing"},
		{"unknown client_id", authQuery(s, challenge, "client_id", "evil-app"), `"evil-app" is not known`},
		{"no redirect_uri", authQuery(s, challenge, "redirect_uri", ""), "redirect_uri is missing"},
		{"foreign redirect_uri", authQuery(s, challenge, "redirect_uri", "https://evil.example/callback"), "is not registered"},
		{"localhost redirect_uri", authQuery(s, challenge, "redirect_uri", "http://localhost:5555/callback"), "is not registered"},
		{"other path", authQuery(s, challenge, "redirect_uri", "http://127.0.0.1:5555/cb"), "is not registered"},
		{"repeated client_id", func() url.Values { q := authQuery(s, challenge); q.Add("client_id", "x"); return q }(), "client_id was sent more than once"},
		{"repeated redirect_uri", func() url.Values { q := authQuery(s, challenge); q.Add("redirect_uri", testRedirect); return q }(), "redirect_uri was sent more than once"},
		// Even an otherwise broken request: the client is checked first.
		{"bad client and bad response_type", authQuery(s, challenge, "client_id", "evil-app", "response_type", "token"), "is not known"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, loc, page := newAuthzBrowser(t, s).get(s.AuthorizeURL() + "?" + tc.q.Encode())
			if status != http.StatusBadRequest || loc != "" {
				t.Fatalf("status %d, Location %q; want 400 and no redirect", status, loc)
			}
			if !strings.Contains(page, `data-page="error"`) || !strings.Contains(page, "was not sent anywhere") || !strings.Contains(page, htmlEscape(tc.want)) {
				t.Errorf("page lacks %q:\n%s", tc.want, page)
			}
		})
	}
	// POST with something other than a form.
	req, _ := http.NewRequest(http.MethodPost, s.AuthorizeURL(), strings.NewReader(`{"client_id":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	if status, loc, _ := newAuthzBrowser(t, s).do(req); status != 400 || loc != "" {
		t.Errorf("JSON POST: %d %q", status, loc)
	}
}

func htmlEscape(s string) string { return strings.ReplaceAll(s, `"`, "&#34;") }

func TestAuthorizeErrorsRedirected(t *testing.T) {
	s := start(t, Options{})
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	for _, tc := range []struct {
		name      string
		q         url.Values
		err, desc string
	}{
		{"no response_type", authQuery(s, challenge, "response_type", ""), "invalid_request", "response_type is missing"},
		{"implicit", authQuery(s, challenge, "response_type", "token"), "unsupported_response_type", `"token" is not supported`},
		{"hybrid", authQuery(s, challenge, "response_type", "code id_token"), "unsupported_response_type", "not supported"},
		{"no PKCE", authQuery(s, challenge, "code_challenge", "", "code_challenge_method", ""), "invalid_request", "PKCE is required"},
		{"plain PKCE", authQuery(s, challenge, "code_challenge_method", "plain"), "invalid_request", "plain is not accepted"},
		{"method missing means plain", authQuery(s, challenge, "code_challenge_method", ""), "invalid_request", "plain is not accepted"},
		{"unknown method", authQuery(s, challenge, "code_challenge_method", "S512"), "invalid_request", `"S512" is not supported`},
		{"short challenge", authQuery(s, challenge, "code_challenge", "abc"), "invalid_request", "43 characters"},
		{"unknown scope", authQuery(s, challenge, "scope", "openid admin"), "invalid_scope", `"admin" is not supported`},
		{"prompt=none", authQuery(s, challenge, "prompt", "none"), "login_required", "always asks"},
		{"prompt=none consent", authQuery(s, challenge, "prompt", "none consent"), "invalid_request", "cannot be combined"},
		{"response_mode", authQuery(s, challenge, "response_mode", "fragment"), "invalid_request", "response_mode"},
		{"request object", authQuery(s, challenge, "request", "eyJ.x.y"), "request_not_supported", "request objects"},
		{"request_uri", authQuery(s, challenge, "request_uri", "https://x.example/r"), "request_uri_not_supported", "request_uri"},
		{"long nonce", authQuery(s, challenge, "nonce", strings.Repeat("n", maxNonceLen+1)), "invalid_request", "nonce is longer"},
		{"repeated scope", func() url.Values { q := authQuery(s, challenge); q.Add("scope", "openid"); return q }(), "invalid_request", `"scope" was sent more than once`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, loc, _ := newAuthzBrowser(t, s).get(s.AuthorizeURL() + "?" + tc.q.Encode())
			cb := callback(t, status, loc)
			if cb.Get("error") != tc.err || !strings.Contains(cb.Get("error_description"), tc.desc) {
				t.Errorf("error %q (%q), want %s containing %q", cb.Get("error"), cb.Get("error_description"), tc.err, tc.desc)
			}
			if cb.Get("state") != "st-123" || cb.Get("iss") != s.Issuer() || cb.Has("code") {
				t.Errorf("callback %v: want state st-123, iss %s and no code", cb, s.Issuer())
			}
		})
	}
	// An oversized state is not echoed.
	q := authQuery(s, challenge, "state", strings.Repeat("s", maxStateLen+1))
	status, loc, _ := newAuthzBrowser(t, s).get(s.AuthorizeURL() + "?" + q.Encode())
	if cb := callback(t, status, loc); cb.Get("error") != "invalid_request" || cb.Has("state") {
		t.Errorf("oversized state: %v", cb)
	}
}

// TestOAuth2AuthCodeFlow: x/oauth2 builds the authorization URL with S256,
// a person approves as bob on the consent page (over HTTP), the code comes
// back with state and iss, and x/oauth2 exchanges it with the verifier.
func TestOAuth2AuthCodeFlow(t *testing.T) {
	s := start(t, Options{})
	e := s.Endpoints()
	redirect := "http://[::1]:40123/callback"
	cfg := &oauth2.Config{ClientID: s.ClientID(), RedirectURL: redirect, Scopes: DefaultScopes,
		Endpoint: oauth2.Endpoint{AuthURL: e.AuthURL, TokenURL: e.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL("xyz-state", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "nonce-789"))

	b := newAuthzBrowser(t, s)
	form := b.consent(authURL)
	_, _, page := b.get(authURL)
	for _, want := range []string{s.ClientID(), "offline_access", "stay signed in", redirect, `name="user" value="bob"`} {
		if !strings.Contains(page, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	form.Set("user", "bob")
	form.Set("action", "approve")
	status, loc, _ := b.decide(form)
	u, _ := url.Parse(loc)
	if status != http.StatusSeeOther || u.Host != "[::1]:40123" || u.Path != "/callback" {
		t.Fatalf("approve: %d %q", status, loc)
	}
	cb := u.Query()
	if cb.Get("state") != "xyz-state" || cb.Get("iss") != s.Issuer() || cb.Get("code") == "" {
		t.Fatalf("callback %v", cb)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Without the verifier, x/oauth2's exchange fails (and spends the code).
	tok, err := cfg.Exchange(ctx, cb.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" || !strings.Contains(re.ErrorDescription, "PKCE") {
		t.Fatalf("exchange with a wrong verifier: %v %v", tok, err)
	}
	cb = approveCode(t, s, func() url.Values {
		u, _ := url.Parse(authURL)
		return u.Query()
	}(), "bob")
	tok, err = cfg.Exchange(ctx, cb.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.TokenType != "Bearer" {
		t.Fatalf("token %+v", tok)
	}
	idt, _ := tok.Extra("id_token").(string)
	claims := verifyIDToken(t, s, idt)
	if claims["sub"] != "bob" || claims["nonce"] != "nonce-789" || claims["aud"] != s.ClientID() || claims["iss"] != s.Issuer() {
		t.Errorf("ID token claims %v", claims)
	}
	if m := introspect(t, s, tok.AccessToken); m["active"] != true || m["username"] != "bob" {
		t.Errorf("introspection %v", m)
	}
	// Refresh rotates as for the device flow.
	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute)
	fresh, err := cfg.TokenSource(ctx, &expired).Token()
	if err != nil || fresh.RefreshToken == tok.RefreshToken || fresh.AccessToken == tok.AccessToken {
		t.Fatalf("refresh: %+v %v", fresh, err)
	}
	if m := introspect(t, s, tok.RefreshToken); m["active"] != false {
		t.Errorf("the spent refresh token is still active: %v", m)
	}
}

func TestTokenAuthorizationCodeErrors(t *testing.T) {
	c := newClock()
	s := start(t, Options{Now: c.Now})
	verifier := oauth2.GenerateVerifier()
	q := authQuery(s, oauth2.S256ChallengeFromVerifier(verifier))
	fresh := func() string { return approveCode(t, s, q, "alice").Get("code") }

	for _, tc := range []struct {
		name                string
		code, redirect, ver string
		err, desc           string
	}{
		{"no code", "", testRedirect, verifier, "invalid_request", "code is missing"},
		{"no redirect_uri", "CODE", "", verifier, "invalid_request", "redirect_uri is missing"},
		{"no verifier", "CODE", testRedirect, "", "invalid_request", "code_verifier is missing"},
		{"malformed verifier", "CODE", testRedirect, "short", "invalid_request", "43 to 128"},
		{"unknown code", "ac_nope", testRedirect, verifier, "invalid_grant", "unknown authorization code"},
		{"wrong verifier", "CODE", testRedirect, oauth2.GenerateVerifier(), "invalid_grant", "does not match the code_challenge"},
		{"other port", "CODE", "http://127.0.0.1:5556/callback", verifier, "invalid_grant", "redirect_uri differs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code := tc.code
			if code == "CODE" {
				code = fresh()
			}
			status, m := redeem(t, s, code, tc.redirect, tc.ver)
			if status != 400 || m["error"] != tc.err || !strings.Contains(str(m, "error_description"), tc.desc) {
				t.Fatalf("%d %v, want %s containing %q", status, m, tc.err, tc.desc)
			}
			if tc.code == "CODE" && tc.err == "invalid_grant" {
				// A failed redemption spends the code.
				if status, m := redeem(t, s, code, testRedirect, verifier); status != 400 || !strings.Contains(str(m, "error_description"), "already used") {
					t.Errorf("the code still works after a failed redemption: %d %v", status, m)
				}
			}
		})
	}

	t.Run("expired", func(t *testing.T) {
		code := fresh()
		c.Advance(AuthCodeTTL)
		if status, m := redeem(t, s, code, testRedirect, verifier); status != 400 || !strings.Contains(str(m, "error_description"), "expired") {
			t.Errorf("expired code: %d %v", status, m)
		}
	})

	t.Run("reuse revokes the tokens", func(t *testing.T) {
		code := fresh()
		status, tok := redeem(t, s, code, testRedirect, verifier)
		if status != 200 {
			t.Fatalf("redeem: %d %v", status, tok)
		}
		status, rotated, _ := post(t, s.Endpoints().TokenURL, url.Values{"client_id": {s.ClientID()}, "grant_type": {"refresh_token"}, "refresh_token": {str(tok, "refresh_token")}})
		if status != 200 {
			t.Fatalf("refresh: %d %v", status, rotated)
		}
		status, m := redeem(t, s, code, testRedirect, verifier)
		if status != 400 || m["error"] != "invalid_grant" || !strings.Contains(str(m, "error_description"), "now revoked") {
			t.Fatalf("second redemption: %d %v", status, m)
		}
		for _, tk := range []string{str(tok, "access_token"), str(rotated, "access_token"), str(rotated, "refresh_token")} {
			if m := introspect(t, s, tk); m["active"] != false {
				t.Errorf("a token from the reused code is still active: %v", m)
			}
		}
	})
}

func TestConsentFormErrors(t *testing.T) {
	c := newClock()
	s := start(t, Options{Now: c.Now, CodeTTL: 2 * time.Minute})
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	authURL := s.AuthorizeURL() + "?" + authQuery(s, challenge).Encode()

	t.Run("CSRF", func(t *testing.T) {
		b := newAuthzBrowser(t, s)
		form := b.consent(authURL)
		form.Set("user", "alice")
		form.Set("action", "approve")
		noCSRF := url.Values{"request": form["request"], "user": {"alice"}, "action": {"approve"}}
		wrong := url.Values{"csrf": {"forged"}, "request": form["request"], "user": {"alice"}, "action": {"approve"}}
		for name, tc := range map[string]struct {
			b      *authzBrowser
			form   url.Values
			header []string
			why    string
		}{
			"no csrf field":  {b, noCSRF, nil, "security token is missing"},
			"wrong csrf":     {b, wrong, nil, "does not match"},
			"no cookie":      {newAuthzBrowser(t, s), form, nil, "no session cookie"},
			"cross-site":     {b, form, []string{"Sec-Fetch-Site", "cross-site"}, "another site"},
			"foreign origin": {b, form, []string{"Origin", "http://evil.example"}, "another site"},
		} {
			status, loc, page := tc.b.decide(tc.form, tc.header...)
			if status != 403 || loc != "" || !strings.Contains(page, tc.why) || !strings.Contains(page, "Nothing was approved or denied") {
				t.Errorf("%s: %d %q\n%s", name, status, loc, page)
			}
		}
		// The request is still pending: the genuine form works.
		status, loc, _ := b.decide(form)
		cb := callback(t, status, loc)
		if cb.Get("code") == "" {
			t.Errorf("genuine form after refusals: %v", cb)
		}
		// Replaying it is refused.
		if status, loc, page := b.decide(form); status != 409 || loc != "" || !strings.Contains(page, "already answered") {
			t.Errorf("replayed form: %d %q", status, loc)
		}
	})

	t.Run("deny", func(t *testing.T) {
		b := newAuthzBrowser(t, s)
		form := b.consent(authURL)
		form.Set("action", "deny")
		status, loc, _ := b.decide(form)
		cb := callback(t, status, loc)
		if cb.Get("error") != "access_denied" || cb.Get("state") != "st-123" || cb.Get("iss") != s.Issuer() || cb.Has("code") {
			t.Errorf("deny: %v", cb)
		}
	})

	t.Run("no user, bad action, unknown request, another browser's request", func(t *testing.T) {
		b := newAuthzBrowser(t, s)
		form := b.consent(authURL)
		form.Set("action", "approve")
		form.Set("user", "mallory")
		if status, loc, page := b.decide(form); status != 400 || loc != "" || !strings.Contains(page, "Choose who to sign in as") || !strings.Contains(page, `data-page="consent"`) {
			t.Errorf("unknown user: %d %q", status, loc)
		}
		form.Set("user", "alice")
		form.Set("action", "maybe")
		if status, loc, page := b.decide(form); status != 400 || loc != "" || !strings.Contains(page, "Choose Approve or Deny") {
			t.Errorf("bad action: %d %q", status, loc)
		}
		bad := url.Values{"csrf": form["csrf"], "request": {"ar_nope"}, "user": {"alice"}, "action": {"approve"}}
		if status, loc, page := b.decide(bad); status != 400 || loc != "" || !strings.Contains(page, "not known") {
			t.Errorf("unknown request: %d %q", status, loc)
		}
		// Another browser (its own session and CSRF token) cannot answer
		// this browser's request.
		other := newAuthzBrowser(t, s)
		otherForm := other.consent(authURL)
		otherForm.Set("request", form.Get("request"))
		otherForm.Set("action", "approve")
		if status, loc, _ := other.decide(otherForm); status != 400 || loc != "" {
			t.Errorf("another browser's request: %d %q", status, loc)
		}
	})

	t.Run("expired", func(t *testing.T) {
		b := newAuthzBrowser(t, s)
		form := b.consent(authURL)
		form.Set("action", "approve")
		form.Set("user", "alice")
		c.Advance(2 * time.Minute)
		if status, loc, page := b.decide(form); status != 410 || loc != "" || !strings.Contains(page, "expired") {
			t.Errorf("expired request: %d %q", status, loc)
		}
	})
}

func TestConsentPageHeaders(t *testing.T) {
	s := start(t, Options{})
	q := authQuery(s, oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier()))
	resp, err := httpClient.Get(s.AuthorizeURL() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	csp := resp.Header.Get("Content-Security-Policy")
	// The form's answer redirects to the client: form-action must allow
	// exactly that origin besides 'self'.
	if !strings.Contains(csp, "form-action 'self' http://127.0.0.1:5555;") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if strings.Contains(string(body), "<script") || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Error("consent page has a script or can be framed")
	}
	for _, want := range []string{`<label for="user-alice">`, `<legend>Sign in as</legend>`, `action="/authorize/decision"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("consent page lacks %s", want)
		}
	}
	// Another Host (DNS rebinding) is refused.
	req, _ := http.NewRequest(http.MethodGet, s.AuthorizeURL()+"?"+q.Encode(), nil)
	req.Host = "evil.example"
	resp2, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host: %d", resp2.StatusCode)
	}
}

func TestAuthorizeAutoApprove(t *testing.T) {
	s := start(t, Options{AutoApprove: time.Hour})
	verifier := oauth2.GenerateVerifier()
	for _, prompt := range []string{"", "none"} {
		q := authQuery(s, oauth2.S256ChallengeFromVerifier(verifier), "prompt", prompt)
		status, loc, _ := newAuthzBrowser(t, s).get(s.AuthorizeURL() + "?" + q.Encode())
		cb := callback(t, status, loc)
		if cb.Get("code") == "" || cb.Get("state") != "st-123" || cb.Get("iss") != s.Issuer() {
			t.Fatalf("prompt %q: auto-approval callback %v", prompt, cb)
		}
		status, tok := redeem(t, s, cb.Get("code"), testRedirect, verifier)
		if status != 200 || introspect(t, s, str(tok, "access_token"))["username"] != "alice" {
			t.Errorf("prompt %q: redeem %d %v", prompt, status, tok)
		}
	}
	// Auto-approval does not bypass validation.
	q := authQuery(s, "", "code_challenge", "")
	status, loc, _ := newAuthzBrowser(t, s).get(s.AuthorizeURL() + "?" + q.Encode())
	if cb := callback(t, status, loc); cb.Get("error") != "invalid_request" {
		t.Errorf("auto-approve without PKCE: %v", cb)
	}
}
