package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/oidctest"
)

// holdRefreshes is a token endpoint in front of target that holds each
// refresh_token grant once it has fully arrived: it sends the request on
// arrived, and forwards it to target only when the test sends on release,
// even if the client has hung up by then (the server still gets it and
// rotates, as a server does with a request already on the wire). Other
// grants go straight through. answered gets a value once target has
// answered a held request.
type holdRefreshes struct {
	arrived  chan struct{}
	release  chan struct{}
	answered chan struct{}
}

func newHoldRefreshes(t *testing.T, target string) (*holdRefreshes, string) {
	t.Helper()
	h := &holdRefreshes{arrived: make(chan struct{}, 1), release: make(chan struct{}, 1), answered: make(chan struct{}, 1)}
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		held := bytes.Contains(body, []byte("grant_type=refresh_token"))
		if held {
			h.arrived <- struct{}{}
			select {
			case <-h.release:
			case <-stop:
				return
			}
		}
		oidctest.Forward(t, w, r, target, body)
		if held {
			h.answered <- struct{}{}
		}
	}))
	t.Cleanup(func() { close(stop); srv.Close() })
	return h, srv.URL + "/token"
}

// TestSignalMidRefreshKeepsRotatedToken: SIGTERM or SIGINT reaches
// `authdeck token` while its refresh request is with the real provider
// (which rotates refresh tokens, and revokes the whole login when a
// rotated one is reused). authdeck finishes the exchange, saves the new
// tokens and exits as cancelled; the next `token` refreshes again, which
// only the newest refresh token can do. (SIGKILL cannot be helped.)
func TestSignalMidRefreshKeepsRotatedToken(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	s := newSandbox(t)
	hold, tokenURL := newHoldRefreshes(t, p.Endpoint().TokenURL)
	s.ok("servers", "add", "dev", "--device-url", p.Endpoint().DeviceAuthURL, "--token-url", tokenURL, "--client-id", p.ClientID, "--scopes", "openid,profile,email,offline_access")
	s.login(p)

	for i, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		// --min-ttl longer than the token's hour: a refresh on every call.
		c := s.command(ctx, "token", "--min-ttl", "2h")
		var out, errb bytes.Buffer
		c.Stdout, c.Stderr = &out, &errb
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-hold.arrived:
		case <-ctx.Done():
			t.Fatalf("%v: the refresh request never arrived", sig)
		}
		if err := c.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		// The provider gets the request only after the signal.
		hold.release <- struct{}{}
		select {
		case <-hold.answered:
		case <-ctx.Done():
			t.Fatalf("%v: the held refresh was never answered", sig)
		}
		err := c.Wait()
		cancel()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		t.Logf("%v: exit %d, stdout %d bytes, stderr %q", sig, code, out.Len(), errb.String())
		if err := s.checkFiles(); err != nil {
			t.Fatal(err)
		}
		// The next refresh works only with the refresh token the
		// signalled process received and saved.
		go func() {
			<-hold.arrived
			hold.release <- struct{}{}
		}()
		r := s.run("", "token", "--min-ttl", "2h")
		select {
		case <-hold.answered:
		case <-time.After(time.Minute):
			t.Fatalf("%v: the refresh after the signal never reached the provider: %s", sig, r)
		}
		if r.code != 0 || !p.Active(t, strings.TrimSpace(r.stdout)) {
			t.Fatalf("%v: the refresh after the signal (needs the rotated refresh token to have been saved): %s", sig, r)
		}
		if n := p.RefreshCount(t); n != 2*(i+1) {
			t.Fatalf("%v: provider saw %d refreshes, want %d", sig, n, 2*(i+1))
		}
		// The signalled process exits as cancelled, without a token.
		if code != 2 || out.Len() != 0 {
			t.Fatalf("%v: exit %d with %d bytes on stdout; want exit 2 (cancelled) and no token", sig, code, out.Len())
		}
	}
}
