package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/auth/authtest"
)

var dialects = []authtest.Dialect{authtest.Standard, authtest.GitHub, authtest.Google, authtest.Entra, authtest.Auth0, authtest.WorkOS}

func dialectOptions(d authtest.Dialect) authtest.Options {
	o := authtest.Options{Dialect: d}
	if d == authtest.Google {
		o.ClientSecret = "google-installed-app-secret"
	}
	return o
}

// Every RFC 8628 outcome, in every provider dialect, through PollOnce.
func TestPollOnceOutcomes(t *testing.T) {
	type check func(t *testing.T, dc *auth.DeviceCode, err error)
	isErr := func(want error) check {
		return func(t *testing.T, _ *auth.DeviceCode, err error) {
			if !errors.Is(err, want) {
				t.Fatalf("err = %v, want %v", err, want)
			}
		}
	}
	slow := func(want time.Duration) check {
		return func(t *testing.T, dc *auth.DeviceCode, err error) {
			var se *auth.SlowDownError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *SlowDownError", err)
			}
			if se.Interval != want || dc.Interval != want {
				t.Fatalf("slow_down interval = %v, dc.Interval = %v, want %v", se.Interval, dc.Interval, want)
			}
		}
	}
	cases := []struct {
		name    string
		outcome authtest.Outcome
		check   check
	}{
		{"pending", authtest.Pending(), isErr(auth.ErrAuthorizationPending)},
		{"slow_down", authtest.SlowDown(0), slow(10 * time.Second)},
		{"slow_down with larger interval", authtest.SlowDown(30 * time.Second), slow(30 * time.Second)},
		{"slow_down with smaller interval", authtest.SlowDown(6 * time.Second), slow(10 * time.Second)},
		{"denied", authtest.Denied(), isErr(auth.ErrAccessDenied)},
		{"expired", authtest.Expired(), isErr(auth.ErrExpiredToken)},
		{"granted", authtest.Granted(), nil},
	}
	for _, d := range dialects {
		for _, tc := range cases {
			t.Run(string(d)+"/"+tc.name, func(t *testing.T) {
				srv, c, _ := newFake(t, dialectOptions(d))
				ctx := ctxT(t)
				dc, err := c.StartDevice(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if dc.Interval != 5*time.Second {
					t.Fatalf("Interval = %v, want 5s", dc.Interval)
				}
				srv.Script(tc.outcome)
				tok, err := c.PollOnce(ctx, dc)
				if tc.check != nil {
					tc.check(t, dc, err)
					if tok != nil {
						t.Fatalf("got a token with error %v", err)
					}
				} else {
					if err != nil {
						t.Fatalf("PollOnce: %v", err)
					}
					if tok.AccessToken == "" || tok.TokenType != "Bearer" {
						t.Fatalf("token = %+v", tok)
					}
					if !srv.Active(tok.AccessToken) {
						t.Fatal("the server does not know the access token")
					}
					wantRefresh := d != authtest.GitHub
					if (tok.RefreshToken != "") != wantRefresh {
						t.Fatalf("refresh token %q, want present=%v", tok.RefreshToken, wantRefresh)
					}
					if wantRefresh && auth.IDToken(tok) == "" {
						t.Fatal("no id_token extra")
					}
					if d != authtest.GitHub && tok.Expiry.IsZero() {
						t.Fatal("no expiry")
					}
				}
				if n := len(srv.Polls()); n != 1 {
					t.Fatalf("%d token requests, want exactly 1", n)
				}
			})
		}
	}
}

func TestStartDeviceNormalises(t *testing.T) {
	t.Run("standard", func(t *testing.T) {
		srv, c, clk := newFake(t, authtest.Options{Interval: 7 * time.Second, DeviceCodeTTL: 20 * time.Minute})
		dc, err := c.StartDevice(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		if dc.Interval != 7*time.Second || !dc.ExpiresAt.Equal(clk.Now().Add(20*time.Minute)) || !dc.IssuedAt.Equal(clk.Now()) {
			t.Fatalf("dc = %+v", dc)
		}
		if dc.VerificationURI != srv.URL+"/device" || !strings.HasPrefix(dc.VerificationURIComplete, dc.VerificationURI+"?user_code=") {
			t.Fatalf("verification URIs %q %q", dc.VerificationURI, dc.VerificationURIComplete)
		}
		if pg := dc.Pages(srv.Endpoints()); pg.Warning != "" || pg.Foreign != nil || pg.Open != dc.VerificationURIComplete {
			t.Fatalf("Pages = %+v, want no warning and the complete URI opened (same host)", pg)
		}
		reqs := srv.Requests()
		if got := reqs[0].Form.Get("scope"); got != authtest.DefaultScopes {
			t.Fatalf("scope sent = %q", got)
		}
		if got := reqs[0].Header.Get("Accept"); got != "application/json" {
			t.Fatalf("Accept = %q", got)
		}
	})
	t.Run("no interval means 5s", func(t *testing.T) {
		_, c, _ := newFake(t, authtest.Options{NoInterval: true, Interval: 9 * time.Second})
		dc, err := c.StartDevice(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		if dc.Interval != 5*time.Second {
			t.Fatalf("Interval = %v", dc.Interval)
		}
	})
	t.Run("google verification_url and client secret", func(t *testing.T) {
		srv, c, _ := newFake(t, dialectOptions(authtest.Google))
		dc, err := c.StartDevice(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		if dc.VerificationURI != srv.URL+"/device" {
			t.Fatalf("VerificationURI = %q", dc.VerificationURI)
		}
		if got := srv.Requests()[0].Form.Get("client_secret"); got != "google-installed-app-secret" {
			t.Fatalf("device authorization sent client_secret %q", got)
		}
		c.ClientSecret = ""
		_, err = c.StartDevice(ctxT(t))
		var oe *auth.OAuthError
		if !errors.As(err, &oe) || oe.Code != "invalid_client" {
			t.Fatalf("without a secret: err = %v, want invalid_client", err)
		}
	})
	t.Run("entra strings and message", func(t *testing.T) {
		srv, c, clk := newFake(t, authtest.Options{Dialect: authtest.Entra, DeviceCodeTTL: 900 * time.Second, Interval: 3 * time.Second})
		dc, err := c.StartDevice(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		if dc.Interval != 3*time.Second || !dc.ExpiresAt.Equal(clk.Now().Add(900*time.Second)) {
			t.Fatalf("dc = %+v", dc)
		}
		if !strings.Contains(dc.Message, dc.UserCode) {
			t.Fatalf("Message = %q", dc.Message)
		}
		if pg := dc.Pages(srv.Endpoints()); len(pg.Foreign) != 1 || pg.Foreign[0] != "microsoft.example" || !strings.Contains(pg.Warning, "microsoft.example") {
			t.Fatalf("Pages = %+v", pg)
		}
	})
	t.Run("workos expiry from JWT and another host", func(t *testing.T) {
		srv, c, clk := newFake(t, authtest.Options{Dialect: authtest.WorkOS, DeviceCodeTTL: 5 * time.Minute})
		dc, err := c.StartDevice(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		if !dc.ExpiresAt.Equal(clk.Now().Add(5 * time.Minute)) {
			t.Fatalf("ExpiresAt = %v, want %v (from the JWT)", dc.ExpiresAt, clk.Now().Add(5*time.Minute))
		}
		// Both addresses on the provider's other host: warned once, and
		// the complete one is still opened (it is on the page's host).
		if pg := dc.Pages(srv.Endpoints()); len(pg.Foreign) != 1 || pg.Foreign[0] != "localhost" || pg.Open != dc.VerificationURIComplete || strings.Count(pg.Warning, "localhost") != 2 {
			t.Fatalf("Pages = %+v", pg)
		}
	})
	t.Run("github form-encoded", func(t *testing.T) {
		srv, c, _ := newFake(t, authtest.Options{Dialect: authtest.GitHub, FormEncoded: true, Interval: 5 * time.Second})
		ctx := ctxT(t)
		dc, err := c.StartDevice(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if dc.UserCode == "" || dc.Interval != 5*time.Second || dc.ExpiresAt.IsZero() {
			t.Fatalf("dc = %+v", dc)
		}
		srv.Script(authtest.Pending(), authtest.SlowDown(12*time.Second), authtest.Granted())
		if _, err := c.PollOnce(ctx, dc); !errors.Is(err, auth.ErrAuthorizationPending) {
			t.Fatalf("err = %v", err)
		}
		var se *auth.SlowDownError
		if _, err := c.PollOnce(ctx, dc); !errors.As(err, &se) || se.Interval != 12*time.Second {
			t.Fatalf("err = %v", err)
		}
		tok, err := c.PollOnce(ctx, dc)
		if err != nil || tok.TokenType != "Bearer" || tok.AccessToken == "" || tok.Extra("scope") == nil {
			t.Fatalf("tok = %+v, err = %v", tok, err)
		}
	})
	t.Run("hostile strings are cleaned or refused", func(t *testing.T) {
		var body string
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(body))
		}))
		defer hs.Close()
		c := &auth.Client{ClientID: "x", Endpoints: auth.Endpoints{DeviceAuthURL: hs.URL}}
		body = `{"device_code":"d","user_code":"AB\u001b[31mCD","verification_uri":"https://ex.example/d","message":"go\u001b]0;pwn\u0007 now","expires_in":"60"}`
		dc, err := c.StartDevice(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		if dc.UserCode != "ABCD" || dc.Message != "go now" {
			t.Fatalf("user code %q, message %q", dc.UserCode, dc.Message)
		}
		for _, uri := range []string{"javascript:alert(1)", "http://evil.example/device", "https://ex.example/\u202edevice", "/device"} {
			body = `{"device_code":"d","user_code":"A","verification_uri":"` + uri + `","expires_in":60}`
			if _, err := c.StartDevice(ctxT(t)); err == nil || !strings.Contains(err.Error(), "verification_uri") {
				t.Errorf("verification_uri %q: err = %v, want a refusal", uri, err)
			}
		}
		body = `{"user_code":"A","verification_uri":"https://ex.example/d"}`
		if _, err := c.StartDevice(ctxT(t)); err == nil || !strings.Contains(err.Error(), "no device_code") {
			t.Errorf("missing device_code: err = %v", err)
		}
		body = `{"device_code":"d","user_code":"A","verification_uri":"https://ex.example/d","interval":"soon"}`
		if _, err := c.StartDevice(ctxT(t)); err == nil || !strings.Contains(err.Error(), "interval") {
			t.Errorf("bad interval: err = %v", err)
		}
	})
	t.Run("no device endpoint", func(t *testing.T) {
		c := &auth.Client{ClientID: "x"}
		if _, err := c.StartDevice(ctxT(t)); !errors.Is(err, auth.ErrNoEndpoint) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestWaitDeviceIntervals(t *testing.T) {
	srv, c, clk := newFake(t, authtest.Options{Interval: 5 * time.Second, EnforceInterval: true})
	ctx := ctxT(t)
	dc, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.Script(authtest.Pending(), authtest.SlowDown(0), authtest.Pending(), authtest.SlowDown(30*time.Second), authtest.Pending())
	srv.Approve()
	var attempts []auth.Attempt
	tok, err := c.WaitDevice(ctx, dc, func(a auth.Attempt) { attempts = append(attempts, a) })
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" {
		t.Fatal("no access token")
	}
	polls := srv.Polls()
	if len(polls) != 6 {
		t.Fatalf("%d polls, want 6", len(polls))
	}
	checkGaps(t, dc.IssuedAt, polls, attempts, 5*time.Second)
	if n := srv.TooFast(); n != 0 {
		t.Fatalf("server saw %d polls sooner than the interval", n)
	}
	wantIv := []time.Duration{5, 10, 10, 30, 30, 30}
	for i, a := range attempts {
		if a.N != i+1 || a.Interval != wantIv[i]*time.Second {
			t.Errorf("attempt %d = %+v, want N=%d Interval=%v", i, a, i+1, wantIv[i]*time.Second)
		}
		if i < len(attempts)-1 && (a.Next.Sub(a.At) < a.Interval || !polls[i+1].Time.Equal(a.Next)) {
			t.Errorf("attempt %d: Next %v, At %v, next poll %v", i, a.Next, a.At, polls[i+1].Time)
		}
	}
	last := attempts[len(attempts)-1]
	if last.Err != nil || !last.Next.IsZero() {
		t.Fatalf("last attempt = %+v", last)
	}
	if first := polls[0].Time.Sub(dc.IssuedAt); first < 5*time.Second || first > 6*time.Second {
		t.Fatalf("first poll %v after issuance, want one interval (plus margin)", first)
	}
	_ = clk
}

func TestWaitDeviceTransient(t *testing.T) {
	srv, c, _ := newFake(t, authtest.Options{Interval: 5 * time.Second})
	c.Timeout = 200 * time.Millisecond
	ctx := ctxT(t)
	dc, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.Script(
		authtest.ServerError(500),
		authtest.RateLimited(45*time.Second),
		authtest.HTMLPage(502),
		authtest.HTMLPage(200),
		authtest.Drop(),
		authtest.Stall(5*time.Second), // longer than the client's timeout
		authtest.ServerError(503),
		authtest.Pending(),
	)
	srv.Approve()
	var attempts []auth.Attempt
	tok, err := c.WaitDevice(ctx, dc, func(a auth.Attempt) { attempts = append(attempts, a) })
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" {
		t.Fatal("no token")
	}
	polls := srv.Polls()
	checkGaps(t, dc.IssuedAt, polls, attempts, 5*time.Second)
	for i := 0; i < 7; i++ {
		var te *auth.TransientError
		if !errors.As(attempts[i].Err, &te) {
			t.Errorf("attempt %d: err = %v, want *TransientError", i+1, attempts[i].Err)
		}
	}
	if gap := polls[2].Time.Sub(polls[1].Time); gap < 45*time.Second {
		t.Errorf("after 429 with Retry-After 45s the next poll came after %v", gap)
	}
	// backoff grows: 5s, then 10s (but Retry-After 45s), then the cap of
	// four intervals
	if gap := polls[5].Time.Sub(polls[4].Time); gap != auth.BackoffCap(5*time.Second) {
		t.Errorf("backoff after 5 failures = %v, want the cap %v", gap, auth.BackoffCap(5*time.Second))
	}
	for i := 1; i < len(polls); i++ {
		if gap := polls[i].Time.Sub(polls[i-1].Time); i != 2 && gap > auth.BackoffCap(5*time.Second) {
			t.Errorf("gap %d = %v, beyond the backoff cap", i, gap)
		}
	}
	// a pending answer resets the backoff
	if gap := polls[8].Time.Sub(polls[7].Time); gap > 6*time.Second {
		t.Errorf("after a pending answer the next poll came after %v, want one interval", gap)
	}
}

func TestWaitDeviceStops(t *testing.T) {
	t.Run("denied", func(t *testing.T) {
		srv, c, _ := newFake(t, authtest.Options{})
		ctx := ctxT(t)
		dc, _ := c.StartDevice(ctx)
		srv.Script(authtest.Pending())
		srv.Deny()
		n := 0
		_, err := c.WaitDevice(ctx, dc, func(auth.Attempt) { n++ })
		if !errors.Is(err, auth.ErrAccessDenied) {
			t.Fatalf("err = %v", err)
		}
		if len(srv.Polls()) != 2 || n != 2 {
			t.Fatalf("%d polls, %d attempts; want 2 (stop at once)", len(srv.Polls()), n)
		}
	})
	t.Run("expired_token from the server", func(t *testing.T) {
		srv, c, _ := newFake(t, authtest.Options{})
		ctx := ctxT(t)
		dc, _ := c.StartDevice(ctx)
		srv.Script(authtest.Pending(), authtest.Expired())
		_, err := c.WaitDevice(ctx, dc, nil)
		if !errors.Is(err, auth.ErrExpiredToken) || len(srv.Polls()) != 2 {
			t.Fatalf("err = %v after %d polls", err, len(srv.Polls()))
		}
	})
	t.Run("expiry by time", func(t *testing.T) {
		srv, c, clk := newFake(t, authtest.Options{Interval: 5 * time.Second, DeviceCodeTTL: 32 * time.Second})
		ctx := ctxT(t)
		dc, _ := c.StartDevice(ctx)
		_, err := c.WaitDevice(ctx, dc, nil)
		if !errors.Is(err, auth.ErrExpiredToken) {
			t.Fatalf("err = %v", err)
		}
		if now := clk.Now(); now.Before(dc.ExpiresAt) || now.After(dc.ExpiresAt.Add(6*time.Second)) {
			t.Fatalf("returned at %v, code expired at %v", now, dc.ExpiresAt)
		}
		polls := srv.Polls()
		if len(polls) != 5 {
			t.Fatalf("%d polls in 32s at 5s (+margin), want 5", len(polls))
		}
		for _, p := range polls {
			if !p.Time.Before(dc.ExpiresAt) {
				t.Fatalf("polled at %v, after expiry %v", p.Time, dc.ExpiresAt)
			}
		}
	})
	t.Run("Retry-After beyond expiry", func(t *testing.T) {
		srv, c, clk := newFake(t, authtest.Options{DeviceCodeTTL: 60 * time.Second})
		ctx := ctxT(t)
		dc, _ := c.StartDevice(ctx)
		srv.Script(authtest.RateLimited(time.Hour))
		_, err := c.WaitDevice(ctx, dc, nil)
		if !errors.Is(err, auth.ErrExpiredToken) || len(srv.Polls()) != 1 {
			t.Fatalf("err = %v after %d polls", err, len(srv.Polls()))
		}
		if clk.Now().After(dc.ExpiresAt.Add(time.Second)) {
			t.Fatalf("slept past expiry: now %v, expiry %v", clk.Now(), dc.ExpiresAt)
		}
	})
	t.Run("PollOnce past expiry sends nothing", func(t *testing.T) {
		srv, c, clk := newFake(t, authtest.Options{DeviceCodeTTL: time.Minute})
		ctx := ctxT(t)
		dc, _ := c.StartDevice(ctx)
		clk.Advance(time.Minute)
		if _, err := c.PollOnce(ctx, dc); !errors.Is(err, auth.ErrExpiredToken) {
			t.Fatalf("err = %v", err)
		}
		if n := len(srv.Polls()); n != 0 {
			t.Fatalf("%d requests sent for an expired code", n)
		}
	})
	t.Run("other OAuth error", func(t *testing.T) {
		srv, c, _ := newFake(t, authtest.Options{})
		ctx := ctxT(t)
		dc, _ := c.StartDevice(ctx)
		srv.Script(authtest.Raw(400, "application/json", `{"error":"invalid_grant","error_description":"bad \u001b[2J code\u0007"}`))
		_, err := c.WaitDevice(ctx, dc, nil)
		var oe *auth.OAuthError
		if !errors.As(err, &oe) || oe.Code != "invalid_grant" || oe.Description != "bad  code" || oe.Status != 400 {
			t.Fatalf("err = %#v", err)
		}
	})
	t.Run("context cancelled", func(t *testing.T) {
		srv, c, _ := newFake(t, authtest.Options{})
		ctx, cancel := context.WithCancel(ctxT(t))
		dc, _ := c.StartDevice(ctx)
		_, err := c.WaitDevice(ctx, dc, func(a auth.Attempt) {
			if a.N == 3 {
				cancel()
			}
		})
		if !errors.Is(err, context.Canceled) || len(srv.Polls()) != 3 {
			t.Fatalf("err = %v after %d polls", err, len(srv.Polls()))
		}
	})
	t.Run("real clock", func(t *testing.T) {
		// no fake sleep: the real timer path, with a sub-second interval
		srv := authtest.NewServer(t, authtest.Options{Interval: 40 * time.Millisecond, EnforceInterval: true})
		c := srv.Client()
		ctx := ctxT(t)
		dc, err := c.StartDevice(ctx)
		if err != nil {
			t.Fatal(err)
		}
		srv.Script(authtest.Pending(), authtest.Pending())
		srv.Approve()
		if _, err := c.WaitDevice(ctx, dc, nil); err != nil {
			t.Fatal(err)
		}
		if len(srv.Polls()) != 3 || srv.TooFast() != 0 {
			t.Fatalf("%d polls, %d too fast", len(srv.Polls()), srv.TooFast())
		}
	})
}

// Every dialect through WaitDevice: pending, slow_down, then approval.
func TestWaitDeviceDialects(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			opts := dialectOptions(d)
			opts.EnforceInterval = true
			srv, c, _ := newFake(t, opts)
			ctx := ctxT(t)
			dc, err := c.StartDevice(ctx)
			if err != nil {
				t.Fatal(err)
			}
			srv.Script(authtest.Pending(), authtest.SlowDown(0), authtest.Pending())
			srv.Approve()
			var attempts []auth.Attempt
			tok, err := c.WaitDevice(ctx, dc, func(a auth.Attempt) { attempts = append(attempts, a) })
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken == "" {
				t.Fatal("no token")
			}
			checkGaps(t, dc.IssuedAt, srv.Polls(), attempts, 5*time.Second)
			if srv.TooFast() != 0 {
				t.Fatalf("%d polls too fast", srv.TooFast())
			}
			for _, p := range srv.Polls() {
				if want := opts.ClientSecret; p.Form.Get("client_secret") != want {
					t.Fatalf("client_secret = %q, want %q", p.Form.Get("client_secret"), want)
				}
			}
		})
	}
}

// TestWaitDeviceStallStopsAtExpiry: a token endpoint that never answers
// cannot hold the poll past the code's expiry, whatever Client.Timeout is:
// WaitDevice reports ErrExpiredToken rather than waiting for the request
// timeout (or, here, the caller's much later deadline).
func TestWaitDeviceStallStopsAtExpiry(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{Interval: 200 * time.Millisecond, DeviceCodeTTL: 2 * time.Second})
	c := srv.Client()
	c.Timeout = time.Hour // only the code's expiry can end the stalled poll
	ctx := ctxT(t)
	dc, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.Script(authtest.Stall(time.Hour))
	_, err = c.WaitDevice(ctx, dc, nil)
	if !errors.Is(err, auth.ErrExpiredToken) || ctx.Err() != nil {
		t.Fatalf("err = %v (caller's ctx: %v), want ErrExpiredToken at the code's expiry", err, ctx.Err())
	}
	if n := len(srv.Polls()); n != 1 {
		t.Fatalf("%d polls, want the one that stalled", n)
	}
	// PollOnce alone is bounded the same way.
	dc2, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.Script(authtest.Stall(time.Hour))
	if _, err := c.PollOnce(ctx, dc2); !errors.Is(err, auth.ErrExpiredToken) || ctx.Err() != nil {
		t.Fatalf("PollOnce: %v, want ErrExpiredToken", err)
	}
}

// recordSleeps makes c sleep on clk and records every wait.
func recordSleeps(c *auth.Client, clk *fakeClock) *[]time.Duration {
	var mu sync.Mutex
	waits := &[]time.Duration{}
	auth.SetSleep(c, func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return clk.Sleep(ctx, d)
	})
	return waits
}

// TestStartDeviceRetriesTransientFailures: a 503, a 429 with Retry-After, a
// dropped connection and an HTML proxy page on the device authorization
// request are retried with a doubling backoff that honours Retry-After, and
// the code finally issued is usable; its lifetime counts from the request
// that got it.
func TestStartDeviceRetriesTransientFailures(t *testing.T) {
	srv, c, clk := newFake(t, authtest.Options{Interval: time.Second, DeviceCodeTTL: 5 * time.Minute})
	waits := recordSleeps(c, clk)
	srv.Inject(authtest.PathDevice, authtest.ServerError(503), authtest.RateLimited(3*time.Second), authtest.Drop(), authtest.HTMLPage(502))
	start := clk.Now()
	dc, err := c.StartDevice(ctxT(t))
	if err != nil {
		t.Fatalf("StartDevice through transient failures: %v", err)
	}
	if n := srv.Count(authtest.PathDevice); n != 5 {
		t.Fatalf("%d device requests, want 5 (4 failures, then the code)", n)
	}
	want := []time.Duration{time.Second, 3 * time.Second, 4 * time.Second, 8 * time.Second}
	if !slices.Equal(*waits, want) {
		t.Fatalf("waits %v, want %v (doubling from 1s, Retry-After 3s honoured)", *waits, want)
	}
	if !dc.IssuedAt.Equal(start.Add(16*time.Second)) || !dc.ExpiresAt.Equal(dc.IssuedAt.Add(5*time.Minute)) {
		t.Fatalf("IssuedAt %v ExpiresAt %v: the code's life must count from the request that got it", dc.IssuedAt, dc.ExpiresAt)
	}
	srv.Approve()
	if _, err := c.WaitDevice(ctxT(t), dc, nil); err != nil {
		t.Fatalf("the code from the retried request: %v", err)
	}
}

// TestStartDeviceRetryBounded: the retries stop once the waits would pass
// StartRetryBudget, or at once when Retry-After asks for more than is left;
// permanent errors are not retried, and the end of ctx stops the wait.
func TestStartDeviceRetryBounded(t *testing.T) {
	t.Run("persistent 500", func(t *testing.T) {
		srv, c, clk := newFake(t, authtest.Options{})
		waits := recordSleeps(c, clk)
		for range 20 {
			srv.Inject(authtest.PathDevice, authtest.ServerError(500))
		}
		_, err := c.StartDevice(ctxT(t))
		var te *auth.TransientError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), "try again later") {
			t.Fatalf("err = %v, want a *TransientError saying to try again later", err)
		}
		var total time.Duration
		for _, w := range *waits {
			total += w
		}
		if total > auth.StartRetryBudget || srv.Count(authtest.PathDevice) != len(*waits)+1 || len(*waits) < 3 {
			t.Fatalf("%d requests, waits %v (total %v): want a few retries within %v", srv.Count(authtest.PathDevice), *waits, total, auth.StartRetryBudget)
		}
	})
	t.Run("Retry-After beyond the budget", func(t *testing.T) {
		srv, c, clk := newFake(t, authtest.Options{})
		waits := recordSleeps(c, clk)
		srv.Inject(authtest.PathDevice, authtest.RateLimited(2*time.Minute))
		_, err := c.StartDevice(ctxT(t))
		var te *auth.TransientError
		if !errors.As(err, &te) || te.RetryAfter != 2*time.Minute || !strings.Contains(err.Error(), "retry in 2m0s") {
			t.Fatalf("err = %v, want the server's Retry-After reported", err)
		}
		if len(*waits) != 0 || srv.Count(authtest.PathDevice) != 1 {
			t.Fatalf("waits %v, %d requests: a Retry-After past the budget is not waited for", *waits, srv.Count(authtest.PathDevice))
		}
	})
	t.Run("permanent error", func(t *testing.T) {
		srv, c, clk := newFake(t, authtest.Options{ClientSecret: "s"})
		waits := recordSleeps(c, clk)
		c.ClientSecret = "wrong"
		_, err := c.StartDevice(ctxT(t))
		var oe *auth.OAuthError
		if !errors.As(err, &oe) || oe.Code != "invalid_client" || len(*waits) != 0 || srv.Count(authtest.PathDevice) != 1 {
			t.Fatalf("err %v, waits %v, %d requests: invalid_client is not retried", err, *waits, srv.Count(authtest.PathDevice))
		}
	})
	t.Run("context ends the wait", func(t *testing.T) {
		srv, c, _ := newFake(t, authtest.Options{})
		ctx, cancel := context.WithCancel(ctxT(t))
		auth.SetSleep(c, func(context.Context, time.Duration) error { cancel(); return context.Canceled })
		srv.Inject(authtest.PathDevice, authtest.ServerError(503))
		if _, err := c.StartDevice(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if srv.Count(authtest.PathDevice) != 1 {
			t.Fatalf("%d requests after cancel", srv.Count(authtest.PathDevice))
		}
	})
}

// TestStartDeviceNotifyReportsRetries: every wait between device
// authorization attempts is announced first, with the attempt count, the
// HTTP status (0 when no answer came) and the wait.
func TestStartDeviceNotifyReportsRetries(t *testing.T) {
	srv, c, clk := newFake(t, authtest.Options{})
	waits := recordSleeps(c, clk)
	srv.Inject(authtest.PathDevice, authtest.ServerError(503), authtest.Drop())
	var got []auth.Retry
	if _, err := c.StartDeviceNotify(ctxT(t), func(r auth.Retry) { got = append(got, r) }); err != nil {
		t.Fatalf("StartDeviceNotify: %v", err)
	}
	if len(got) != 2 || len(*waits) != 2 {
		t.Fatalf("retries %+v, waits %v: want two, one before each wait", got, *waits)
	}
	for i, r := range got {
		var te *auth.TransientError
		if r.N != i+1 || r.Wait != (*waits)[i] || !errors.As(r.Err, &te) {
			t.Errorf("retry %d = %+v, want N=%d, Wait=%v and the transient error", i, r, i+1, (*waits)[i])
		}
	}
	if got[0].Status != 503 || got[1].Status != 0 {
		t.Errorf("statuses %d, %d: want 503, then 0 for the dropped connection", got[0].Status, got[1].Status)
	}
}
