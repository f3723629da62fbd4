package devserver

// Our own client, auth.Client, against the dev server.

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
)

func ourClient(t *testing.T, s *Server) *auth.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := auth.Discover(ctx, nil, s.Issuer())
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if e != s.Endpoints() {
		t.Fatalf("discovered %+v, want %+v", e, s.Endpoints())
	}
	return &auth.Client{ClientID: s.ClientID(), Scopes: s.Scopes(), Endpoints: e}
}

func TestAuthClientLoginRefreshRevoke(t *testing.T) {
	s := start(t, Options{Interval: time.Second})
	c := ourClient(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	dc, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !userCodeRE.MatchString(dc.UserCode) || dc.VerificationURI != s.DeviceURL() || dc.Interval != time.Second {
		t.Fatalf("device code %+v", dc)
	}
	var mu sync.Mutex
	var attempts []auth.Attempt
	approved := false
	tok, err := c.WaitDevice(ctx, dc, func(a auth.Attempt) {
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, a)
		if !approved && errors.Is(a.Err, auth.ErrAuthorizationPending) {
			approved = true
			go func() {
				if status, page := decideViaForm(t, s, dc.UserCode, "alice", "approve"); status != 200 {
					t.Errorf("approve: %d\n%s", status, page)
				}
			}()
		}
	})
	if err != nil {
		t.Fatalf("WaitDevice: %v (attempts %+v)", err, attempts)
	}
	mu.Lock()
	for _, a := range attempts {
		var sd *auth.SlowDownError
		if errors.As(a.Err, &sd) {
			t.Errorf("our client was told to slow down: %+v", a)
		}
	}
	mu.Unlock()

	id, err := c.UserInfo(ctx, tok.AccessToken)
	if err != nil || id.Subject != "alice" || id.Username != "alice" || id.Email != "alice@example.com" || id.Display() != "alice" {
		t.Errorf("UserInfo: %+v %v", id, err)
	}
	if idt, err := auth.IdentityFromIDToken(auth.IDToken(tok)); err != nil || idt.Subject != "alice" {
		t.Errorf("IdentityFromIDToken: %+v %v", idt, err)
	}

	fresh, err := c.Refresh(ctx, tok.RefreshToken)
	if err != nil || fresh.RefreshToken == tok.RefreshToken || fresh.AccessToken == tok.AccessToken {
		t.Fatalf("Refresh: %+v %v", fresh, err)
	}
	if in, err := c.Introspect(ctx, fresh.AccessToken); err != nil || !in.Active || in.Subject != "alice" || in.ClientID != s.ClientID() {
		t.Errorf("Introspect: %+v %v", in, err)
	}
	if err := c.Revoke(ctx, fresh.RefreshToken, "refresh_token"); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	for _, tk := range []string{fresh.AccessToken, fresh.RefreshToken} {
		if in, err := c.Introspect(ctx, tk); err != nil || in.Active {
			t.Errorf("after Revoke: %+v %v", in, err)
		}
	}
	if _, err := c.UserInfo(ctx, fresh.AccessToken); err == nil {
		t.Error("UserInfo works with a revoked token")
	}
	// The old (spent) refresh token was revoked with the grant.
	if _, err := c.Refresh(ctx, tok.RefreshToken); err == nil {
		t.Error("spent refresh token accepted")
	}
}

func TestAuthClientDenyExpirySlowDown(t *testing.T) {
	s := start(t, Options{Interval: time.Second, CodeTTL: 3 * time.Second})
	c := ourClient(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Denied in the browser.
	dc, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := decideViaForm(t, s, dc.UserCode, "bob", "deny"); status != 200 {
		t.Fatalf("deny: %d", status)
	}
	if _, err := c.WaitDevice(ctx, dc, nil); !errors.Is(err, auth.ErrAccessDenied) {
		t.Errorf("after deny: %v", err)
	}

	// A single poll sent at once is answered slow_down; the interval grows 5 s.
	dc, err = c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PollOnce(ctx, dc)
	var sd *auth.SlowDownError
	if !errors.As(err, &sd) || sd.Interval != 6*time.Second || dc.Interval != 6*time.Second {
		t.Errorf("early PollOnce: %v (interval %s)", err, dc.Interval)
	}

	// Never approved: expires.
	dc, err = c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.WaitDevice(ctx, dc, nil)
	if !errors.Is(err, auth.ErrExpiredToken) {
		t.Errorf("unapproved code: %v", err)
	}
	if _, err := c.PollOnce(ctx, dc); !errors.Is(err, auth.ErrExpiredToken) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("poll after expiry: %v", err)
	}
}
