package auth_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/auth/authtest"
)

func TestRefreshRotation(t *testing.T) {
	srv, c, clk := newFake(t, authtest.Options{AccessTTL: 10 * time.Minute})
	old := srv.IssueToken(0)
	ctx := ctxT(t)
	tok, err := c.Refresh(ctx, old.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || tok.RefreshToken == old.RefreshToken {
		t.Fatalf("refresh token not rotated: %q", tok.RefreshToken)
	}
	if tok.AccessToken == old.AccessToken || !srv.Active(tok.AccessToken) {
		t.Fatal("no new live access token")
	}
	if !tok.Expiry.Equal(clk.Now().Add(10 * time.Minute)) {
		t.Fatalf("Expiry = %v", tok.Expiry)
	}
	if auth.IDToken(tok) == "" || tok.Extra("scope") != authtest.DefaultScopes {
		t.Fatalf("extras lost: id_token %q scope %v", auth.IDToken(tok), tok.Extra("scope"))
	}
	if srv.RefreshCount() != 1 {
		t.Fatalf("RefreshCount = %d", srv.RefreshCount())
	}
	// the rotated token is spent: reuse fails and revokes the grant
	_, err = c.Refresh(ctx, old.RefreshToken)
	var oe *auth.OAuthError
	if !errors.As(err, &oe) || oe.Code != "invalid_grant" {
		t.Fatalf("reuse: err = %v, want invalid_grant", err)
	}
	if srv.Active(tok.RefreshToken) {
		t.Fatal("reusing a rotated token should revoke the grant")
	}
}

func TestRefreshKeepsOldToken(t *testing.T) {
	srv, c, _ := newFake(t, authtest.Options{KeepRefreshToken: true})
	old := srv.IssueToken(0)
	tok, err := c.Refresh(ctxT(t), old.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken != old.RefreshToken {
		t.Fatalf("RefreshToken = %q, want the old %q", tok.RefreshToken, old.RefreshToken)
	}
	if _, err := c.Refresh(ctxT(t), old.RefreshToken); err != nil {
		t.Fatalf("the kept token should still work: %v", err)
	}
}

func TestRefreshTransient(t *testing.T) {
	srv, c, _ := newFake(t, authtest.Options{})
	old := srv.IssueToken(0)
	srv.Inject(authtest.PathToken, authtest.RateLimited(7*time.Second))
	_, err := c.Refresh(ctxT(t), old.RefreshToken)
	var te *auth.TransientError
	if !errors.As(err, &te) || te.Status != 429 || te.RetryAfter != 7*time.Second {
		t.Fatalf("err = %#v", err)
	}
	if _, err := c.Refresh(ctxT(t), ""); err == nil {
		t.Fatal("empty refresh token accepted")
	}
}

func TestRevoke(t *testing.T) {
	srv, c, _ := newFake(t, authtest.Options{ClientSecret: "sec"})
	ctx := ctxT(t)
	tok := srv.IssueToken(0)
	if err := c.Revoke(ctx, tok.AccessToken, "access_token"); err != nil {
		t.Fatal(err)
	}
	if srv.Active(tok.AccessToken) || !srv.Active(tok.RefreshToken) {
		t.Fatal("revoking the access token should leave the refresh token")
	}
	r := srv.Requests()[len(srv.Requests())-1]
	if r.Path != authtest.PathRevoke || r.Form.Get("token_type_hint") != "access_token" ||
		r.Form.Get("client_id") != "authdeck-test" || r.Form.Get("client_secret") != "sec" {
		t.Fatalf("revocation request form = %v", r.Form)
	}

	tok2 := srv.IssueToken(0)
	if err := c.Revoke(ctx, tok2.RefreshToken, "refresh_token"); err != nil {
		t.Fatal(err)
	}
	if srv.Active(tok2.RefreshToken) || srv.Active(tok2.AccessToken) {
		t.Fatal("revoking the refresh token should end the grant")
	}
	if err := c.Revoke(ctx, "unknown-token", ""); err != nil {
		t.Fatalf("unknown token: %v (RFC 7009 says 200)", err)
	}

	srv.Inject(authtest.PathRevoke, authtest.ServerError(503))
	var te *auth.TransientError
	if err := c.Revoke(ctx, "x", ""); !errors.As(err, &te) || te.Status != 503 {
		t.Fatalf("503: err = %v", err)
	}
	srv.Inject(authtest.PathRevoke, authtest.Raw(400, "application/json", `{"error":"unsupported_token_type"}`))
	var oe *auth.OAuthError
	if err := c.Revoke(ctx, "x", ""); !errors.As(err, &oe) || oe.Code != "unsupported_token_type" {
		t.Fatalf("400: err = %v", err)
	}

	c.ClientSecret = "wrong"
	if err := c.Revoke(ctx, "x", ""); !errors.As(err, &oe) || oe.Code != "invalid_client" {
		t.Fatalf("bad secret: err = %v", err)
	}
}

func TestRevokeWithoutEndpoint(t *testing.T) {
	srv, c, _ := newFake(t, authtest.Options{Dialect: authtest.GitHub})
	err := c.Revoke(ctxT(t), "tok", "")
	if !errors.Is(err, auth.ErrNoEndpoint) || !strings.Contains(err.Error(), "revocation") {
		t.Fatalf("err = %v", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}

func TestIntrospect(t *testing.T) {
	srv, c, clk := newFake(t, authtest.Options{})
	ctx := ctxT(t)
	tok := srv.IssueToken(time.Hour)
	in, err := c.Introspect(ctx, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if !in.Active || in.Subject != "sub-alice" || in.ClientID != "authdeck-test" || in.Exp != clk.Now().Add(time.Hour).Unix() {
		t.Fatalf("introspection = %+v", in)
	}
	if err := c.Revoke(ctx, tok.AccessToken, "access_token"); err != nil {
		t.Fatal(err)
	}
	if in, err := c.Introspect(ctx, tok.AccessToken); err != nil || in.Active {
		t.Fatalf("after revoke: %+v, %v", in, err)
	}
	expired := srv.IssueToken(-time.Minute)
	if in, err := c.Introspect(ctx, expired.AccessToken); err != nil || in.Active {
		t.Fatalf("expired: %+v, %v", in, err)
	}
	srv.Inject(authtest.PathIntrospect, authtest.Raw(200, "application/json", `{"scope":"x"}`))
	if _, err := c.Introspect(ctx, "x"); err == nil || !strings.Contains(err.Error(), `"active"`) {
		t.Fatalf("no active field: err = %v", err)
	}
	c.Endpoints.IntrospectionURL = ""
	if _, err := c.Introspect(ctx, "x"); !errors.Is(err, auth.ErrNoEndpoint) {
		t.Fatalf("no endpoint: err = %v", err)
	}
}

func TestUserInfo(t *testing.T) {
	t.Run("standard", func(t *testing.T) {
		srv, c, _ := newFake(t, authtest.Options{User: "bob"})
		tok := srv.IssueToken(0)
		id, err := c.UserInfo(ctxT(t), tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if id.Subject != "sub-bob" || id.Username != "bob" || id.Email != "bob@example.com" || id.Name != "Bob" || id.Display() != "bob" {
			t.Fatalf("identity = %+v", id)
		}
		r := srv.Requests()[0]
		if r.Header.Get("Authorization") != "Bearer "+tok.AccessToken || r.Method != http.MethodGet {
			t.Fatalf("request %s %v", r.Method, r.Header)
		}
	})
	t.Run("github", func(t *testing.T) {
		srv, c, _ := newFake(t, authtest.Options{Dialect: authtest.GitHub, User: "octocat"})
		tok := srv.IssueToken(0)
		id, err := c.UserInfo(ctxT(t), tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if id.Subject != "1007" || id.Username != "octocat" {
			t.Fatalf("identity = %+v", id)
		}
	})
	t.Run("escape sequences stripped", func(t *testing.T) {
		srv, c, _ := newFake(t, authtest.Options{Claims: map[string]any{
			"name":               "Eve\x1b]0;owned\x07 \x1b[31mRed",
			"preferred_username": "eve\u202egnp.exe",
			"email":              "eve@example.com\r\nX-Injected: 1",
			"groups":             []any{"ok", "bad\x1b[2J"},
			"nested":             map[string]any{"k\x1b[1m": "v\u009b31m"},
		}})
		id, err := c.UserInfo(ctxT(t), srv.IssueToken(0).AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if id.Name != "Eve Red" || id.Username != "evegnp.exe" || id.Email != "eve@example.com  X-Injected: 1" {
			t.Fatalf("identity = %q %q %q", id.Name, id.Username, id.Email)
		}
		if g := id.Claims["groups"].([]any); g[1] != "bad" {
			t.Fatalf("groups = %q", g)
		}
		if n := id.Claims["nested"].(map[string]any); n["k"] != "v" {
			t.Fatalf("nested = %q", n)
		}
	})
	t.Run("rejected token", func(t *testing.T) {
		srv, c, _ := newFake(t, authtest.Options{})
		_, err := c.UserInfo(ctxT(t), srv.IssueToken(-time.Second).AccessToken)
		var oe *auth.OAuthError
		if !errors.As(err, &oe) || oe.Code != "invalid_token" || oe.Status != 401 {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no subject", func(t *testing.T) {
		s := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"name":"x"}`))
		})
		if _, err := rawClient(s).UserInfo(ctxT(t), "at"); err == nil || !strings.Contains(err.Error(), "sub") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("signed userinfo", func(t *testing.T) {
		s := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/jwt")
			w.Write([]byte(jwt(`{"sub":"s1","email":"s1@example.com"}`)))
		})
		id, err := rawClient(s).UserInfo(ctxT(t), "at")
		if err != nil || id.Subject != "s1" || id.Username != "s1@example.com" {
			t.Fatalf("id = %+v, err = %v", id, err)
		}
	})
	t.Run("html page", func(t *testing.T) {
		s := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`<html>login</html>`))
		})
		var te *auth.TransientError
		if _, err := rawClient(s).UserInfo(ctxT(t), "at"); !errors.As(err, &te) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestIdentityFromIDToken(t *testing.T) {
	srv, c, _ := newFake(t, authtest.Options{User: "carol"})
	dc, _ := c.StartDevice(ctxT(t))
	srv.Script(authtest.Granted())
	tok, err := c.PollOnce(ctxT(t), dc)
	if err != nil {
		t.Fatal(err)
	}
	id, err := auth.IdentityFromIDToken(auth.IDToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "sub-carol" || id.Username != "carol" || id.Claims["aud"] != "authdeck-test" {
		t.Fatalf("identity = %+v", id)
	}
	id, err = auth.IdentityFromIDToken(jwt(`{"sub":"x","name":"\u001b[5mBlink"}`))
	if err != nil || id.Name != "Blink" || id.Display() != "Blink" {
		t.Fatalf("id = %+v, err = %v", id, err)
	}
	for _, bad := range []string{"", "a.b", "a.!!!.c", jwt(`[1]`), jwt(`{"name":"no sub"}`)} {
		if _, err := auth.IdentityFromIDToken(bad); err == nil {
			t.Errorf("IdentityFromIDToken(%q) succeeded", bad)
		}
	}
	if auth.IDToken(nil) != "" {
		t.Fatal("IDToken(nil)")
	}
}

// WorkOS sends no expires_in with tokens: the expiry is the access token's
// JWT exp, at login and at refresh.
func TestWorkOSTokenExpiryFromJWT(t *testing.T) {
	srv, c, clk := newFake(t, authtest.Options{Dialect: authtest.WorkOS, AccessTTL: 7 * time.Minute, Interval: time.Second})
	ctx := ctxT(t)
	dc, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.Approve()
	tok, err := c.WaitDevice(ctx, dc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v := tok.Extra("expires_in"); v != nil {
		t.Fatalf("the WorkOS dialect sent expires_in %v", v)
	}
	want := clk.Now().Add(7 * time.Minute).Truncate(time.Second)
	if !tok.Expiry.Equal(want) {
		t.Fatalf("login Expiry = %v, want %v (the JWT exp)", tok.Expiry, want)
	}
	clk.Advance(6 * time.Minute)
	next, err := c.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if want := clk.Now().Add(7 * time.Minute).Truncate(time.Second); !next.Expiry.Equal(want) {
		t.Fatalf("refresh Expiry = %v, want %v (the JWT exp)", next.Expiry, want)
	}
}

// Without expires_in and without a JWT access token the token has no
// expiry; an opaque token is not mistaken for a JWT, and an explicit
// expires_in wins over exp.
func TestTokenExpiryFallbacks(t *testing.T) {
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	at := jwt(`{"exp":` + strconv.FormatInt(exp.Unix(), 10) + `}`)
	cases := []struct {
		name, body string
		want       time.Time
	}{
		{"jwt exp", `{"access_token":"` + at + `","token_type":"Bearer","refresh_token":"r"}`, exp},
		{"opaque", `{"access_token":"opaque","token_type":"Bearer","refresh_token":"r"}`, time.Time{}},
		{"expires_in wins", `{"access_token":"` + at + `","token_type":"Bearer","expires_in":60,"refresh_token":"r"}`, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, clk := newFake(t, authtest.Options{})
			srv.Inject(authtest.PathToken, authtest.Raw(200, "application/json", tc.body))
			tok, err := c.Refresh(ctxT(t), "r")
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if tc.name == "expires_in wins" {
				want = clk.Now().Add(time.Minute)
			}
			if !tok.Expiry.Equal(want) {
				t.Fatalf("Expiry = %v, want %v", tok.Expiry, want)
			}
		})
	}
}
