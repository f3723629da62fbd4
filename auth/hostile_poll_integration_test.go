package auth_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/oidctest"
)

// faultProxy is a loopback reverse proxy in front of a real token endpoint:
// its first n device_code polls get a fault (503, a reset connection, a
// proxy's HTML page, in turn) and never reach the provider; everything else
// passes through.
type faultProxy struct {
	*httptest.Server
	mu     sync.Mutex
	faults int // faults still to inject
}

func newFaultProxy(t *testing.T, tokenURL string, n int) (*faultProxy, string) {
	t.Helper()
	target, err := url.Parse(tokenURL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	fp := &faultProxy{faults: n}
	kinds := []func(w http.ResponseWriter){
		func(w http.ResponseWriter) { http.Error(w, "service unavailable", http.StatusServiceUnavailable) },
		func(w http.ResponseWriter) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		},
		func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
		},
	}
	fp.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if r.URL.Path == target.Path && form.Get("grant_type") == "urn:ietf:params:oauth:grant-type:device_code" {
			fp.mu.Lock()
			k := n - fp.faults
			inject := fp.faults > 0
			if inject {
				fp.faults--
			}
			fp.mu.Unlock()
			if inject {
				kinds[k%len(kinds)](w)
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(fp.Close)
	return fp, fp.URL + target.Path
}

// TestIntegrationPollFaultsThenApproval: seven faults in a row in front of
// the real provider at its 1s interval; the code, approved at the last
// fault, is picked up at the next poll, which WaitDevice scheduled at most
// one capped gap later; the provider sees only that poll. The
// approval-to-token time is logged (the figure of issue 11 point 8):
//
//	go test -run TestIntegrationPollFaultsThenApproval -v ./auth/ | grep 'approval to token'
func TestIntegrationPollFaultsThenApproval(t *testing.T) {
	t.Parallel()
	const faults = 7
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	c := realClient(t, p)
	_, c.Endpoints.TokenURL = newFaultProxy(t, c.Endpoints.TokenURL, faults)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dc, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if dc.Interval != time.Second {
		t.Fatalf("interval %v, want the provider's 1s", dc.Interval)
	}
	var (
		attempts []auth.Attempt
		approved time.Time
	)
	tok, err := c.WaitDevice(ctx, dc, func(a auth.Attempt) {
		attempts = append(attempts, a)
		if a.N == faults {
			p.Approve(t, dc.UserCode)
			approved = time.Now()
		}
	})
	got := time.Now()
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("WaitDevice: %v (attempts %+v)", err, attempts)
	}
	if len(attempts) != faults+1 {
		t.Fatalf("%d attempts, want %d faults then the token", len(attempts), faults)
	}
	limit := auth.BackoffCap(dc.Interval)
	for _, a := range attempts[:faults] {
		var te *auth.TransientError
		if !errors.As(a.Err, &te) {
			t.Errorf("attempt %d: %v, want a transient failure", a.N, a.Err)
		}
		if gap := a.Next.Sub(a.At); gap > limit || gap < dc.Interval {
			t.Errorf("attempt %d scheduled the next poll %v later; want between the interval and the cap %v", a.N, gap, limit)
		}
	}
	if n := len(p.Stats(t).DevicePolls); n != 1 {
		t.Fatalf("the provider saw %d polls, want only the one after the faults", n)
	}
	t.Logf("approval to token: %v (%d faults at interval %v; cap %v; the last scheduled gap %v)",
		got.Sub(approved).Round(10*time.Millisecond), faults, dc.Interval, limit, attempts[faults-1].Next.Sub(attempts[faults-1].At))
}
