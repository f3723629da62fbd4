package auth_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/oidctest"
)

// serviceClient is a client of the provider's confidential service client.
func serviceClient(t *testing.T, p *oidctest.Provider) *auth.Client {
	t.Helper()
	e, err := auth.Discover(ctxT(t), nil, p.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	return &auth.Client{ClientID: p.ServiceClientID, ClientSecret: p.ServiceSecret, Endpoints: e}
}

func jwtAudience(t *testing.T, raw string) any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("the access token is not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(b, &claims); err != nil {
		t.Fatal(err)
	}
	return claims["aud"]
}

func TestIntegrationClientCredentials(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{})
	c := serviceClient(t, p)
	tok, err := c.ClientCredentials(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if in := p.Introspect(t, tok.AccessToken); in["active"] != true || in["client_id"] != p.ServiceClientID {
		t.Fatalf("introspection: %v", in)
	}
	if tok.RefreshToken != "" || tok.Expiry.IsZero() {
		t.Fatalf("refresh token %v, expiry %v: want none and an expiry", tok.RefreshToken != "", tok.Expiry)
	}

	// resource (RFC 8707) and audience travel to the token endpoint;
	// prompt does not.
	c.Params = url.Values{"resource": {oidctest.APIResource + "/orders"}, "prompt": {"login"}}
	tok, err = c.ClientCredentials(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if aud := jwtAudience(t, tok.AccessToken); aud != oidctest.APIResource+"/orders" {
		t.Fatalf("aud = %v, want the resource", aud)
	}

	bad := serviceClient(t, p)
	bad.ClientSecret = "wrong"
	_, err = bad.ClientCredentials(ctxT(t))
	var oe *auth.OAuthError
	if !errors.As(err, &oe) || oe.Code != "invalid_client" {
		t.Fatalf("wrong secret: %v, want invalid_client", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Fatalf("the error shows the secret: %v", err)
	}
	pub := serviceClient(t, p)
	pub.ClientSecret = ""
	if _, err := pub.ClientCredentials(ctxT(t)); !errors.Is(err, auth.ErrNoClientSecret) {
		t.Fatalf("no secret: %v", err)
	}
}

func TestIntegrationTokenExchange(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{})
	c := serviceClient(t, p)
	tok, err := c.ExchangeToken(ctxT(t), p.SubjectToken(t, "repo:org/app", time.Minute), auth.TokenTypeJWT)
	if err != nil {
		t.Fatal(err)
	}
	if in := p.Introspect(t, tok.AccessToken); in["active"] != true || in["client_id"] != p.ServiceClientID {
		t.Fatalf("introspection: %v", in)
	}
	c.Params = url.Values{"resource": {oidctest.APIResource}}
	tok, err = c.ExchangeToken(ctxT(t), p.SubjectToken(t, "repo:org/app", time.Minute), auth.TokenTypeJWT)
	if err != nil {
		t.Fatal(err)
	}
	if aud := jwtAudience(t, tok.AccessToken); aud != oidctest.APIResource {
		t.Fatalf("aud = %v", aud)
	}
	_, err = c.ExchangeToken(ctxT(t), p.SubjectToken(t, "x", -time.Minute), auth.TokenTypeJWT)
	var oe *auth.OAuthError
	if !errors.As(err, &oe) || oe.Code != "invalid_grant" {
		t.Fatalf("expired subject token: %v, want invalid_grant", err)
	}
}

func TestIntegrationDeviceAuthorizationParams(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{})
	c := realClient(t, p)
	c.Params = url.Values{"prompt": {"login"}, "login_hint": {"bob"}, "resource": {oidctest.APIResource, oidctest.APIResource + "/b"}}
	if _, err := c.StartDevice(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	got := p.Stats(t).AuthorizationParams
	if len(got) != 1 || got[0].Params.Get("prompt") != "login" || got[0].Params.Get("login_hint") != "bob" || len(got[0].Params["resource"]) != 2 {
		t.Fatalf("the provider saw %+v", got)
	}
}

func TestParseParams(t *testing.T) {
	got, err := auth.ParseParams([]string{"audience=https://api", "resource=https://a", "resource=https://b", "prompt=login"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(auth.FormatParams(got), " ") != "audience=https://api prompt=login resource=https://a resource=https://b" {
		t.Fatalf("got %v", auth.FormatParams(got))
	}
	for _, bad := range []string{"client_secret=x", "scope=a", "redirect_uri=x", "state=1", "nonce=1", "grant_type=x", "novalue", "=x", "resource=relative/path", "a b=c"} {
		if _, err := auth.ParseParams([]string{bad}); err == nil {
			t.Errorf("ParseParams(%q) accepted it", bad)
		}
	}
}

func TestIntegrationWebAuthorizationParams(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{})
	e, err := auth.Discover(ctxT(t), nil, p.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	c := &auth.Client{ClientID: p.WebClientID, Scopes: strings.Fields(oidctest.Scopes), Endpoints: e,
		Params: url.Values{"prompt": {"login"}, "login_hint": {"bob"}, "acr_values": {"urn:x"}}}
	flow, err := c.StartWeb(ctxT(t), auth.WebOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = flow.Close() }()
	// Open the address as a browser would, without following the
	// provider's redirect to its login page.
	hc := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Get(flow.AuthURL())
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	got := p.Stats(t).AuthorizationParams
	if len(got) != 1 || got[0].Endpoint != "authorization" || got[0].Params.Get("prompt") != "login" ||
		got[0].Params.Get("login_hint") != "bob" || got[0].Params.Get("acr_values") != "urn:x" {
		t.Fatalf("the provider saw %+v", got)
	}
}
