package auth_test

// Integration tests against a real OpenID provider (panva's oidc-provider,
// started on 127.0.0.1 by internal/oidctest). They skip when Node is missing,
// except under CI=true where they fail.

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/oidctest"
)

// realClient discovers the provider's endpoints and returns a client for
// its public device-flow client.
func realClient(t *testing.T, p *oidctest.Provider) *auth.Client {
	t.Helper()
	e, err := auth.Discover(ctxT(t), nil, p.Issuer)
	if err != nil {
		t.Fatalf("Discover(%s): %v", p.Issuer, err)
	}
	return &auth.Client{ClientID: p.ClientID, Scopes: strings.Fields(oidctest.Scopes), Endpoints: e}
}

// realLogin runs a device flow approved at once and returns its token.
func realLogin(t *testing.T, p *oidctest.Provider, c *auth.Client) *auth.DeviceCode {
	t.Helper()
	dc, err := c.StartDevice(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	p.Approve(t, dc.UserCode)
	return dc
}

func TestIntegrationDiscovery(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{})
	e, err := auth.Discover(ctxT(t), nil, p.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	if e.Issuer != p.Issuer {
		t.Fatalf("Issuer = %q, want %q", e.Issuer, p.Issuer)
	}
	for name, u := range map[string]string{"device": e.DeviceAuthURL, "token": e.TokenURL, "revocation": e.RevocationURL,
		"userinfo": e.UserInfoURL, "introspection": e.IntrospectionURL} {
		if !strings.HasPrefix(u, p.Issuer+"/") {
			t.Errorf("%s endpoint = %q", name, u)
		}
	}
	if _, err := auth.Discover(ctxT(t), nil, p.Issuer+"/other"); err == nil {
		t.Fatal("discovery of a wrong issuer path succeeded")
	}
}

// Approve after one pending poll, then userinfo, ID token and refresh with
// rotation; every poll at least the interval (5s: the provider sends none)
// apart, as the provider itself saw them.
func TestIntegrationDeviceFlow(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{})
	c := realClient(t, p)
	ctx := ctxT(t)
	dc, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if dc.Interval != auth.DefaultInterval || dc.ExpiresAt.Sub(dc.IssuedAt) < 9*time.Minute || dc.VerificationURIComplete == "" {
		t.Fatalf("device code = %+v", dc)
	}
	if pg := dc.Pages(c.Endpoints); pg.Warning != "" || pg.Open != dc.VerificationURIComplete {
		t.Fatalf("Pages = %+v", pg)
	}
	var attempts []auth.Attempt
	tok, err := c.WaitDevice(ctxT(t), dc, func(a auth.Attempt) {
		attempts = append(attempts, a)
		if a.N == 1 {
			if !errors.Is(a.Err, auth.ErrAuthorizationPending) {
				t.Errorf("first poll: %v, want pending", a.Err)
			}
			p.Approve(t, dc.UserCode)
		}
	})
	if err != nil {
		t.Fatalf("WaitDevice: %v (attempts %+v)", err, attempts)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || auth.IDToken(tok) == "" || tok.Expiry.IsZero() {
		t.Fatalf("token = %+v", tok)
	}
	polls := p.Stats(t).DevicePolls
	if len(polls) != len(attempts) {
		t.Fatalf("provider saw %d polls, client reported %d attempts", len(polls), len(attempts))
	}
	for i := 1; i < len(polls); i++ {
		if gap := polls[i].Sub(polls[i-1]); gap < auth.DefaultInterval {
			t.Errorf("polls %d and %d were %v apart", i, i+1, gap)
		}
	}

	id, err := c.UserInfo(ctx, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "alice" || id.Username != "alice" || id.Email != "alice@example.test" {
		t.Fatalf("userinfo identity = %+v", id)
	}
	fromID, err := auth.IdentityFromIDToken(auth.IDToken(tok))
	if err != nil || fromID.Subject != "alice" {
		t.Fatalf("ID token identity = %+v, %v", fromID, err)
	}

	fresh, err := c.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken || fresh.AccessToken == tok.AccessToken {
		t.Fatal("refresh did not rotate the tokens")
	}
	if p.RefreshCount(t) != 1 {
		t.Fatalf("RefreshCount = %d", p.RefreshCount(t))
	}
	if _, err := c.UserInfo(ctx, fresh.AccessToken); err != nil {
		t.Fatalf("userinfo with the refreshed token: %v", err)
	}
	// spending the rotated token again fails, and revokes the grant
	_, err = c.Refresh(ctx, tok.RefreshToken)
	var oe *auth.OAuthError
	if !errors.As(err, &oe) || oe.Code != "invalid_grant" {
		t.Fatalf("reusing the rotated refresh token: %v, want invalid_grant", err)
	}
	if p.Active(t, fresh.RefreshToken) {
		t.Fatal("the grant survived the reuse of a rotated refresh token")
	}
}

func TestIntegrationRevokeAndIntrospect(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{})
	c := realClient(t, p)
	ctx := ctxT(t)
	dc := realLogin(t, p, c)
	tok, err := c.PollOnce(ctx, dc)
	if err != nil {
		t.Fatal(err)
	}
	// introspection needs an authenticated client
	sc := *c
	sc.ClientID, sc.ClientSecret = p.SecretClientID, p.ClientSecret
	in, err := sc.Introspect(ctx, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if !in.Active || in.Subject != "alice" || in.Exp == 0 {
		t.Fatalf("introspection = %+v", in)
	}

	if err := c.Revoke(ctx, tok.AccessToken, "access_token"); err != nil {
		t.Fatal(err)
	}
	if p.Active(t, tok.AccessToken) {
		t.Fatal("access token still active after revocation")
	}
	if in, err := sc.Introspect(ctx, tok.AccessToken); err != nil || in.Active {
		t.Fatalf("introspection after revoke = %+v, %v", in, err)
	}
	var oe *auth.OAuthError
	if _, err := c.UserInfo(ctx, tok.AccessToken); !errors.As(err, &oe) || oe.Code != "invalid_token" {
		t.Fatalf("userinfo with a revoked token: %v", err)
	}

	if err := c.Revoke(ctx, tok.RefreshToken, "refresh_token"); err != nil {
		t.Fatal(err)
	}
	if p.Active(t, tok.RefreshToken) {
		t.Fatal("refresh token still active after revocation")
	}
	if _, err := c.Refresh(ctx, tok.RefreshToken); !errors.As(err, &oe) || oe.Code != "invalid_grant" {
		t.Fatalf("refresh with a revoked token: %v", err)
	}
}

func TestIntegrationDeny(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{})
	c := realClient(t, p)
	ctx := ctxT(t)
	dc, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Deny(t, dc.UserCode)
	if _, err := c.PollOnce(ctx, dc); !errors.Is(err, auth.ErrAccessDenied) {
		t.Fatalf("err = %v, want ErrAccessDenied", err)
	}
}

func TestIntegrationExpiry(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{DeviceCodeTTL: 3 * time.Second})
	c := realClient(t, p)
	ctx := ctxT(t)
	dc, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ttl := dc.ExpiresAt.Sub(dc.IssuedAt); ttl > 3*time.Second {
		t.Fatalf("code lives %v, want 3s", ttl)
	}
	// WaitDevice gives up at the code's expiry (the first poll would be
	// after it)
	if _, err := c.WaitDevice(ctx, dc, nil); !errors.Is(err, auth.ErrExpiredToken) {
		t.Fatalf("WaitDevice: %v, want ErrExpiredToken", err)
	}
	if time.Now().Before(dc.ExpiresAt) {
		t.Fatal("WaitDevice reported expiry early")
	}
	// and the server's own expired_token maps to the same error
	dc.ExpiresAt = time.Now().Add(time.Hour)
	if _, err := c.PollOnce(ctx, dc); !errors.Is(err, auth.ErrExpiredToken) {
		t.Fatalf("PollOnce on an expired code: %v, want ErrExpiredToken", err)
	}
}

// The provider enforcing a 1s interval: WaitDevice complies (no slow_down),
// while two immediate polls get slow_down.
func TestIntegrationSlowDown(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	c := realClient(t, p)
	ctx := ctxT(t)
	dc, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if dc.Interval != time.Second {
		t.Fatalf("Interval = %v, want the provider's 1s", dc.Interval)
	}
	var attempts []auth.Attempt
	tok, err := c.WaitDevice(ctx, dc, func(a auth.Attempt) {
		attempts = append(attempts, a)
		if a.Err != nil && !errors.Is(a.Err, auth.ErrAuthorizationPending) {
			t.Errorf("attempt %d: %v", a.N, a.Err)
		}
		if a.N == 3 {
			p.Approve(t, dc.UserCode)
		}
	})
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("WaitDevice: %v", err)
	}
	if len(attempts) != 4 {
		t.Fatalf("%d attempts, want 4", len(attempts))
	}

	dc2, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(dc2.Interval + 100*time.Millisecond)
	if _, err := c.PollOnce(ctx, dc2); !errors.Is(err, auth.ErrAuthorizationPending) {
		t.Fatalf("first poll: %v", err)
	}
	var se *auth.SlowDownError
	if _, err := c.PollOnce(ctx, dc2); !errors.As(err, &se) || se.Interval < 6*time.Second || dc2.Interval != se.Interval {
		t.Fatalf("immediate second poll: %v (dc.Interval %v), want slow_down to >= 6s", err, dc2.Interval)
	}
}

func TestIntegrationClientSecret(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{})
	c := realClient(t, p)
	c.ClientID, c.ClientSecret = p.SecretClientID, p.ClientSecret
	ctx := ctxT(t)
	dc := realLogin(t, p, c)
	tok, err := c.PollOnce(ctx, dc)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := c.Refresh(ctx, tok.RefreshToken)
	if err != nil || fresh.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh: %v", err)
	}
	if in, err := c.Introspect(ctx, fresh.AccessToken); err != nil || !in.Active {
		t.Fatalf("introspect: %+v, %v", in, err)
	}
	bad := *c
	bad.ClientSecret = "wrong"
	var oe *auth.OAuthError
	if _, err := bad.StartDevice(ctx); !errors.As(err, &oe) || oe.Code != "invalid_client" {
		t.Fatalf("wrong secret: %v, want invalid_client", err)
	}
	// polling an already exchanged code fails (and the provider revokes its
	// tokens)
	if _, err := c.PollOnce(ctx, dc); err == nil {
		t.Fatal("a second exchange of the device code succeeded")
	}
}
