package authtest_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/auth/authtest"
)

func post(t *testing.T, s *authtest.Server, path string, form url.Values) *http.Response {
	t.Helper()
	res, err := s.HTTPClient().PostForm(s.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

func TestTooFastAndEnforceInterval(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := authtest.NewServer(t, authtest.Options{EnforceInterval: true, Now: func() time.Time { return now }})
	c := s.Client()
	ctx := context.Background()
	dc, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(4 * time.Second) // too early
	var se *auth.SlowDownError
	if _, err := c.PollOnce(ctx, dc); !errors.As(err, &se) {
		t.Fatalf("early poll: %v, want slow_down", err)
	}
	now = now.Add(10 * time.Second) // the interval is now 10s
	if _, err := c.PollOnce(ctx, dc); !errors.Is(err, auth.ErrAuthorizationPending) {
		t.Fatalf("on-time poll: %v", err)
	}
	if s.TooFast() != 1 || len(s.Polls()) != 2 {
		t.Fatalf("TooFast = %d, polls = %d", s.TooFast(), len(s.Polls()))
	}
	s.Approve()
	now = now.Add(10 * time.Second)
	tok, err := c.PollOnce(ctx, dc)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Active(tok.AccessToken) || !s.Active(tok.RefreshToken) {
		t.Fatal("issued tokens not active")
	}
	// a code is exchanged once
	now = now.Add(10 * time.Second)
	var oe *auth.OAuthError
	if _, err := c.PollOnce(ctx, dc); !errors.As(err, &oe) || oe.Code != "invalid_grant" {
		t.Fatalf("second exchange: %v", err)
	}
	now = now.Add(time.Hour)
	if s.Active(tok.AccessToken) {
		t.Fatal("access token outlived AccessTTL")
	}
}

func TestClientAuthAndInject(t *testing.T) {
	s := authtest.NewServer(t, authtest.Options{ClientSecret: "sec"})
	if res := post(t, s, authtest.PathDevice, url.Values{"client_id": {"authdeck-test"}}); res.StatusCode != 401 {
		t.Fatalf("without the secret: HTTP %d", res.StatusCode)
	}
	if res := post(t, s, authtest.PathDevice, url.Values{"client_id": {"authdeck-test"}, "client_secret": {"sec"}}); res.StatusCode != 200 {
		t.Fatalf("with the secret: HTTP %d", res.StatusCode)
	}
	s.Inject(authtest.PathRevoke, authtest.ServerError(503), authtest.RateLimited(3*time.Second))
	form := url.Values{"client_id": {"authdeck-test"}, "client_secret": {"sec"}, "token": {"x"}}
	if res := post(t, s, authtest.PathRevoke, form); res.StatusCode != 503 {
		t.Fatalf("first injected: HTTP %d", res.StatusCode)
	}
	if res := post(t, s, authtest.PathRevoke, form); res.StatusCode != 429 || res.Header.Get("Retry-After") != "3" {
		t.Fatalf("second injected: HTTP %d Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res := post(t, s, authtest.PathRevoke, form); res.StatusCode != 200 {
		t.Fatalf("after the injected ones: HTTP %d", res.StatusCode)
	}
	if n := s.Count(authtest.PathRevoke); n != 3 {
		t.Fatalf("Count = %d", n)
	}
}

func TestGitHubAnswersFormWithoutAccept(t *testing.T) {
	s := authtest.NewServer(t, authtest.Options{Dialect: authtest.GitHub})
	res, err := s.HTTPClient().PostForm(s.URL+authtest.PathDevice, url.Values{"client_id": {"authdeck-test"}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		t.Fatalf("Content-Type = %q", ct)
	}
	if e := s.Endpoints(); e.RevocationURL != "" || e.Issuer != "" {
		t.Fatalf("GitHub endpoints = %+v", e)
	}
}

func TestIssueTokenExpired(t *testing.T) {
	s := authtest.NewServer(t, authtest.Options{})
	tok := s.IssueToken(-time.Minute)
	if tok.Valid() || s.Active(tok.AccessToken) || !s.Active(tok.RefreshToken) {
		t.Fatalf("expired token: valid=%v active=%v", tok.Valid(), s.Active(tok.AccessToken))
	}
	if auth.IDToken(tok) == "" {
		t.Fatal("no id_token")
	}
}
