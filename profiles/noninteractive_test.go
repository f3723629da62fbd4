package profiles

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/oidctest"
	"golang.org/x/oauth2"
)

func serviceServer(t *testing.T, m *Manager, p *oidctest.Provider, name, secret string) Server {
	t.Helper()
	s, err := m.AddServer(ctxT(t), Server{
		Name:         name,
		Endpoints:    auth.Endpoints{Issuer: p.Issuer},
		ClientID:     p.ServiceClientID,
		ClientSecret: secret,
		// a person's scopes: left out of client credentials requests
		Scopes: []string{"openid", "offline_access"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitInactive polls introspection until the provider says token expired.
func waitInactive(t *testing.T, p *oidctest.Provider, token string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for p.Active(t, token) {
		if time.Now().After(deadline) {
			t.Fatal("the token never expired at the provider")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func jwtAud(t *testing.T, raw string) any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT (%d parts)", len(parts))
	}
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c["aud"]
}

// A client credentials profile has no refresh token: once its token has
// expired at the provider, Token obtains a new one with the stored client
// secret, and saves it.
func TestClientCredentialsProfileReacquires(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{AccessTTL: 2 * time.Second})
	m := open(t, testApp(t))
	ctx := ctxT(t)
	s := serviceServer(t, m, p, "svc", p.ServiceSecret)
	if s.ClientSecretStorage == StorageNone {
		t.Fatal("the client secret was not stored")
	}
	s.ClientSecret = "" // as read from the config: the secret is in the store
	prof, _, err := m.LoginClientCredentials(ctx, s, NonInteractiveLogin{})
	if err != nil {
		t.Fatal(err)
	}
	if prof.Name != p.ServiceClientID || prof.Grant != GrantClientCredentials || prof.HasRefresh {
		t.Fatalf("saved %+v", prof)
	}
	r0, err := m.Token(ctx, prof.Name, TokenOptions{MinTTL: NoMinTTL})
	if err != nil || r0.Refreshed {
		t.Fatalf("fresh token: %+v %v", r0, err)
	}
	if in := p.Introspect(t, r0.Token.AccessToken); in["active"] != true || in["client_id"] != p.ServiceClientID {
		t.Fatalf("introspection: %v", in)
	}

	waitInactive(t, p, r0.Token.AccessToken)
	// The provider counts whole seconds: its expiry may come a little
	// before the one computed from expires_in. Wait for both.
	for time.Now().Before(prof.TokenExpiry) {
		time.Sleep(50 * time.Millisecond)
	}
	r1, err := m.Token(ctx, prof.Name, TokenOptions{MinTTL: NoMinTTL})
	if err != nil {
		t.Fatalf("token after expiry: %v", err)
	}
	if !r1.Refreshed || r1.Token.AccessToken == r0.Token.AccessToken || !p.Active(t, r1.Token.AccessToken) {
		t.Fatalf("after expiry: refreshed=%v, same=%v", r1.Refreshed, r1.Token.AccessToken == r0.Token.AccessToken)
	}
	// saved: the next call reads it back without a new request
	before := p.Stats(t).TokenRequests["client_credentials"]
	r2, err := m.Token(ctx, prof.Name, TokenOptions{MinTTL: NoMinTTL})
	if err != nil || r2.Token.AccessToken != r1.Token.AccessToken || p.Stats(t).TokenRequests["client_credentials"] != before {
		t.Fatalf("the new token was not kept: %v", err)
	}
}

func TestClientCredentialsWrongSecretAndResource(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{})
	m := open(t, testApp(t))
	ctx := ctxT(t)

	bad := serviceServer(t, m, p, "bad", "not-the-secret")
	_, _, err := m.LoginClientCredentials(ctx, bad, NonInteractiveLogin{})
	if err == nil || !strings.Contains(err.Error(), "authdeck login --client-credentials --server bad --client-secret-file PATH") || strings.Contains(err.Error(), "not-the-secret") {
		t.Fatalf("wrong secret: %v", err)
	}
	if cfg, _ := m.Load(ctx); len(cfg.Profiles) != 0 {
		t.Fatalf("a failed login saved %+v", cfg.Profiles)
	}
	nosecret, err := m.AddServer(ctx, Server{Name: "pub", Endpoints: auth.Endpoints{Issuer: p.Issuer}, ClientID: p.ServiceClientID})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.LoginClientCredentials(ctx, nosecret, NonInteractiveLogin{}); err == nil || !strings.Contains(err.Error(), "--client-secret-file PATH or --client-secret-env VAR") {
		t.Fatalf("no secret: %v", err)
	}

	s := serviceServer(t, m, p, "svc", p.ServiceSecret)
	res := oidctest.APIResource + "/orders"
	prof, _, err := m.LoginClientCredentials(ctx, s, NonInteractiveLogin{Params: []string{"resource=" + res}, Save: SaveOptions{Profile: "orders"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(prof.Params, []string{"resource=" + res}) {
		t.Fatalf("params recorded %v", prof.Params)
	}
	r0, err := m.Token(ctx, "orders", TokenOptions{})
	if err != nil || jwtAud(t, r0.Token.AccessToken) != res {
		t.Fatalf("token %v, aud %v", err, jwtAud(t, r0.Token.AccessToken))
	}
	// rejected by an API: obtained anew, for the same resource
	r1, err := m.Token(ctx, "orders", TokenOptions{Rejected: r0.Token.AccessToken})
	if err != nil || !r1.Refreshed || jwtAud(t, r1.Token.AccessToken) != res {
		t.Fatalf("re-acquired: %v", err)
	}

	// The secret is replaced at the provider's side: the next token
	// cannot be had: a *NotLoggedInError naming the server, whose client
	// credentials the host tells how to renew.
	if _, err := m.AddServer(ctx, Server{Name: "svc", Endpoints: s.Endpoints, ClientID: s.ClientID, ClientSecret: "rotated"}); err != nil {
		t.Fatal(err)
	}
	_, err = m.Token(ctx, "orders", TokenOptions{Rejected: r1.Token.AccessToken})
	var nl *NotLoggedInError
	if !errors.As(err, &nl) || nl.Profile != "orders" || nl.Server != "svc" || !strings.Contains(err.Error(), "invalid_client") || strings.Contains(err.Error(), "login") {
		t.Fatalf("re-acquire with a wrong secret: %v", err)
	}
}

func TestTokenExchangeLogin(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{})
	m := open(t, testApp(t))
	ctx := ctxT(t)
	s := serviceServer(t, m, p, "svc", p.ServiceSecret)
	prof, _, err := m.LoginTokenExchange(ctx, s, p.SubjectToken(t, "repo:org/app", time.Minute), "", NonInteractiveLogin{})
	if err != nil {
		t.Fatal(err)
	}
	if prof.Grant != GrantTokenExchange || prof.Name != "repo:org/app" {
		t.Fatalf("saved %+v", prof)
	}
	r, err := m.Token(ctx, prof.Name, TokenOptions{})
	if err != nil || !p.Active(t, r.Token.AccessToken) {
		t.Fatalf("token: %v", err)
	}
	_, _, err = m.LoginTokenExchange(ctx, s, p.SubjectToken(t, "x", -time.Minute), auth.TokenTypeJWT, NonInteractiveLogin{})
	if err == nil || !strings.Contains(err.Error(), "did not accept the subject token") {
		t.Fatalf("expired subject token: %v", err)
	}
}

func TestServerParamsChecked(t *testing.T) {
	m := open(t, testApp(t))
	_, err := m.AddServer(ctxT(t), Server{Name: "x", Endpoints: auth.Endpoints{TokenURL: "https://x.example/token"}, ClientID: "c", Params: []string{"client_secret=oops"}})
	if err == nil || !strings.Contains(err.Error(), "client_secret") {
		t.Fatalf("reserved param: %v", err)
	}
	got, err := MergeParams([]string{"audience=a", "resource=https://r1"}, []string{"audience=b"})
	if err != nil || strings.Join(got, " ") != "audience=b resource=https://r1" {
		t.Fatalf("MergeParams = %v %v", got, err)
	}
}

// An expired client credentials token is renewable, not a lost login.
func TestStatusClientCredentialsRenewable(t *testing.T) {
	m := open(t, testApp(t))
	ctx := ctxT(t)
	if _, err := m.AddServer(ctx, Server{Name: "svc", Endpoints: auth.Endpoints{TokenURL: "https://id.example/token"}, ClientID: "svc", ClientSecret: "s"}); err != nil {
		t.Fatal(err)
	}
	tok := &oauth2.Token{AccessToken: "at", TokenType: "Bearer", Expiry: time.Now().Add(-time.Hour)}
	if _, _, err := m.SaveLogin(ctx, "svc", tok, &auth.Identity{Subject: "svc", Username: "svc"}, SaveOptions{Grant: GrantClientCredentials}); err != nil {
		t.Fatal(err)
	}
	sts, err := m.Status(ctx, "")
	if err != nil || len(sts) != 1 || sts[0].State != StateRefreshable {
		t.Fatalf("status %+v %v, want refreshable", sts, err)
	}
}
