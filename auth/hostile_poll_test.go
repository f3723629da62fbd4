package auth_test

// Polling against a token endpoint that misbehaves: runs of transient
// faults, Retry-After, oversized and cut-off bodies, redirects to plain
// HTTP. The fake server shares a fake clock with the client, so the gaps
// between polls are read from the clock, not from wall time.

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/auth/authtest"
)

// wantCap is the backoff cap the issue asks for: a few intervals, at least 10s.
func wantCap(interval time.Duration) time.Duration { return max(4*interval, 10*time.Second) }

// pollAll runs WaitDevice on a fresh code and returns its attempts.
func pollAll(t *testing.T, srv *authtest.Server, c *auth.Client, outcomes ...authtest.Outcome) (*auth.DeviceCode, []auth.Attempt, error) {
	t.Helper()
	ctx := ctxT(t)
	dc, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.Script(outcomes...)
	srv.Approve()
	var attempts []auth.Attempt
	_, err = c.WaitDevice(ctx, dc, func(a auth.Attempt) { attempts = append(attempts, a) })
	return dc, attempts, err
}

// TestWaitDeviceBackoffCapped: seven transient faults in a row at interval
// 1s (503, reset, proxy page, 429 without Retry-After, stall past the
// timeout, 500, 502) never push the gap between polls past the cap; the
// code approved all along is picked up within one capped gap of the last
// fault.
func TestWaitDeviceBackoffCapped(t *testing.T) {
	srv, c, _ := newFake(t, authtest.Options{Interval: time.Second})
	c.Timeout = 200 * time.Millisecond
	faults := []authtest.Outcome{
		authtest.ServerError(503), authtest.Drop(), authtest.HTMLPage(502), authtest.RateLimited(0),
		authtest.Stall(5 * time.Second), authtest.ServerError(500), authtest.HTMLPage(502),
	}
	dc, attempts, err := pollAll(t, srv, c, faults...)
	if err != nil {
		t.Fatalf("WaitDevice: %v", err)
	}
	polls := srv.Polls()
	if len(polls) != len(faults)+1 {
		t.Fatalf("%d polls, want %d faults then the token", len(polls), len(faults))
	}
	checkGaps(t, dc.IssuedAt, polls, attempts, time.Second)
	limit := wantCap(time.Second)
	for i := 1; i < len(polls); i++ {
		if gap := polls[i].Time.Sub(polls[i-1].Time); gap > limit {
			t.Errorf("gap before poll %d = %v, beyond the cap %v", i+1, gap, limit)
		}
	}
	last := polls[len(polls)-1].Time.Sub(polls[len(polls)-2].Time)
	if last > limit {
		t.Fatalf("token picked up %v after the faults stopped, want within one capped gap (%v)", last, limit)
	}
	// the backoff does grow to the cap
	if last != limit {
		t.Errorf("gap after 7 faults = %v, want the cap %v", last, limit)
	}
}

// TestWaitDeviceBackoffFollowsInterval: the cap is a function of the
// interval in force (slow_down raises both), Retry-After is honoured even
// beyond the cap, and a well-formed answer resets the backoff.
func TestWaitDeviceBackoffFollowsInterval(t *testing.T) {
	srv, c, _ := newFake(t, authtest.Options{Interval: time.Second})
	_, attempts, err := pollAll(t, srv, c,
		authtest.SlowDown(0), // interval 6s, cap 24s
		authtest.ServerError(503), authtest.ServerError(503), authtest.ServerError(503), authtest.ServerError(503),
		authtest.RateLimited(40*time.Second), // beyond the cap: honoured
		authtest.ServerError(503),
		authtest.Pending(), // resets the backoff
		authtest.ServerError(503),
	)
	if err != nil {
		t.Fatalf("WaitDevice: %v", err)
	}
	gaps := make([]time.Duration, len(attempts)-1)
	for i := range gaps {
		gaps[i] = attempts[i].Next.Sub(attempts[i].At)
	}
	iv := 6 * time.Second
	limit := wantCap(iv)
	if attempts[0].Interval != iv {
		t.Fatalf("interval after slow_down = %v", attempts[0].Interval)
	}
	// 503s 1..4: the backoff grows from the interval to the cap
	if gaps[3] < 2*iv || gaps[3] > limit || gaps[4] != limit {
		t.Errorf("gaps %v: after 3 and 4 faults at %v want between %v and the cap %v", gaps, iv, 2*iv, limit)
	}
	if gaps[5] < 40*time.Second {
		t.Errorf("gap after 429 Retry-After 40s = %v", gaps[5])
	}
	if gaps[6] > limit {
		t.Errorf("gap after the fault following Retry-After = %v, beyond the cap %v", gaps[6], limit)
	}
	if gaps[7] > iv+time.Second {
		t.Errorf("gap after authorization_pending = %v, want the interval", gaps[7])
	}
	if gaps[8] > iv+time.Second {
		t.Errorf("gap after the first fault following a pending answer = %v: the backoff was not reset", gaps[8])
	}
}

// TestWaitDeviceRetryAfterFarFuture: a Retry-After date centuries ahead is
// honoured up to the code's expiry: no poll is sent before then, and
// WaitDevice reports the expiry without sleeping past it.
func TestWaitDeviceRetryAfterFarFuture(t *testing.T) {
	srv, c, clk := newFake(t, authtest.Options{Interval: time.Second, DeviceCodeTTL: time.Minute})
	dc, _, err := pollAll(t, srv, c,
		authtest.RateLimited(0).WithHeader("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT"),
		authtest.ServerError(503), authtest.ServerError(503), authtest.ServerError(503))
	if n := len(srv.Polls()); !errors.Is(err, auth.ErrExpiredToken) || n != 1 {
		t.Fatalf("err = %v after %d polls, want ErrExpiredToken after the one answered with Retry-After", err, n)
	}
	if now := clk.Now(); now.Before(dc.ExpiresAt) || now.After(dc.ExpiresAt.Add(time.Second)) {
		t.Fatalf("returned at %v, want at the code's expiry %v", now, dc.ExpiresAt)
	}
}

// TestWaitDeviceBrokenBodies: an answer over MaxBodyBytes (whitespace
// before valid JSON, or junk), one cut off before its Content-Length, one
// cut off mid-JSON with no length, and a 200 of broken JSON are each a
// transient failure of that poll; the login completes on the next.
func TestWaitDeviceBrokenBodies(t *testing.T) {
	big := strings.Repeat(" ", 2<<20) + `{"error":"authorization_pending"}`
	junk := strings.Repeat("x", 2<<20)
	for name, o := range map[string]authtest.Outcome{
		"oversized JSON": authtest.Raw(400, "application/json", big),
		"oversized junk": authtest.Raw(200, "application/octet-stream", junk),
		"truncated":      authtest.Truncated(),
		"cut off":        authtest.CutOff(),
		"broken JSON":    authtest.Raw(200, "application/json", `{"access_token":"abc","token_ty`),
	} {
		t.Run(name, func(t *testing.T) {
			srv, c, _ := newFake(t, authtest.Options{Interval: time.Second})
			_, attempts, err := pollAll(t, srv, c, o)
			if err != nil {
				t.Fatalf("WaitDevice: %v", err)
			}
			var te *auth.TransientError
			if len(attempts) != 2 || !errors.As(attempts[0].Err, &te) {
				t.Fatalf("attempts %+v, want a transient failure then the token", attempts)
			}
			if strings.HasPrefix(name, "oversized") && !errors.Is(attempts[0].Err, auth.ErrBodyTooLarge) {
				t.Fatalf("first attempt: %v, want ErrBodyTooLarge", attempts[0].Err)
			}
		})
	}
}

// TestWaitDeviceRedirectToPlainHTTP: a 307 from the token endpoint to a
// non-loopback http:// address is refused before any connection to it and
// stops the login at once with a clear, permanent error.
func TestWaitDeviceRedirectToPlainHTTP(t *testing.T) {
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusFound} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv, c, _ := newFake(t, authtest.Options{Interval: time.Second})
			c.HTTP = loopbackOnlyClient(t)
			redirect := authtest.Raw(status, "", "").WithHeader("Location", "http://203.0.113.1/token?x=secret")
			_, attempts, err := pollAll(t, srv, c, redirect, redirect, redirect)
			var te *auth.TransientError
			if err == nil || errors.As(err, &te) || !errors.Is(err, auth.ErrInsecureURL) {
				t.Fatalf("err = %v, want a permanent ErrInsecureURL", err)
			}
			if n := len(srv.Polls()); n != 1 || len(attempts) != 1 {
				t.Fatalf("%d polls, %d attempts: a refused redirect must not be retried", n, len(attempts))
			}
			msg := err.Error()
			if !strings.Contains(msg, "redirected to http://203.0.113.1/token") || !strings.Contains(msg, "check the server's URL") ||
				strings.Contains(msg, "secret") || strings.Contains(msg, "\n") {
				t.Fatalf("error %q: want one line naming the redirect target (without its query) and what to do", msg)
			}
		})
	}
}

// loopbackOnlyClient is an HTTP client that fails the test if it is ever
// asked to connect anywhere but loopback.
func loopbackOnlyClient(t *testing.T) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			t.Errorf("dial to %s: tests must not connect off loopback", addr)
			return nil, errors.New("refused by the test: not loopback")
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// TestStartDeviceBackoffCapped: the device authorization retries back off
// like polls at a 1s interval, capped at BackoffCap(1s), within
// StartRetryBudget.
func TestStartDeviceBackoffCapped(t *testing.T) {
	srv, c, clk := newFake(t, authtest.Options{})
	waits := recordSleeps(c, clk)
	for range 10 {
		srv.Inject(authtest.PathDevice, authtest.ServerError(503))
	}
	if _, err := c.StartDevice(ctxT(t)); err == nil {
		t.Fatal("StartDevice through ten 503s succeeded")
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, wantCap(time.Second)}
	if !slices.Equal(*waits, want) {
		t.Fatalf("waits %v, want %v", *waits, want)
	}
}
