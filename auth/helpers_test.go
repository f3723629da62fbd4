package auth_test

import (
	"context"
	"encoding/base64"
	"sync"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/auth/authtest"
)

// fakeClock is a clock that only moves when something sleeps on it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.t = c.t.Add(d)
	}
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

// newFake starts an authtest server sharing a fake clock with a client whose
// WaitDevice sleeps on that clock.
func newFake(t *testing.T, opts authtest.Options) (*authtest.Server, *auth.Client, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	opts.Now = clk.Now
	srv := authtest.NewServer(t, opts)
	c := srv.Client()
	auth.SetSleep(c, clk.Sleep)
	return srv, c, clk
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// checkGaps asserts that consecutive polls (and the first poll after
// issuance) are at least the interval in force apart, replaying the
// interval changes the attempts reported.
func checkGaps(t *testing.T, issued time.Time, polls []authtest.Request, attempts []auth.Attempt, initial time.Duration) {
	t.Helper()
	if len(polls) != len(attempts) {
		t.Fatalf("%d polls reached the server, %d attempts reported", len(polls), len(attempts))
	}
	prev, iv := issued, initial
	for i, p := range polls {
		if gap := p.Time.Sub(prev); gap < iv {
			t.Errorf("poll %d came %v after the previous request; interval in force was %v", i+1, gap, iv)
		}
		prev, iv = p.Time, attempts[i].Interval
	}
}

var contextCanceled = context.Canceled

func contextWithCancelAfter(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	time.AfterFunc(d, cancel)
	return ctx, cancel
}

// jwt wraps a JSON payload in an unsigned compact JWT.
func jwt(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(payload)) + ".sig"
}
