package profiles

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/oidctest"
)

// holdingProxy forwards every request to target (a token endpoint). The
// first refresh_token grant is held once it has fully arrived: arrived is
// closed, and the request goes on to target only when release is closed,
// even if the client has hung up by then (the server still gets it and
// rotates, as a server does with a request already on the wire);
// forwarded is closed when target has answered it.
type holdingProxy struct {
	srv       *httptest.Server
	arrived   chan struct{}
	release   chan struct{}
	forwarded chan struct{} // closed once the held request got its answer
	held      bool
}

func newHoldingProxy(t *testing.T, target string) *holdingProxy {
	t.Helper()
	h := &holdingProxy{arrived: make(chan struct{}), release: make(chan struct{}), forwarded: make(chan struct{})}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		if bytes.Contains(body, []byte("grant_type=refresh_token")) && !h.held {
			h.held = true
			close(h.arrived)
			<-h.release
			defer close(h.forwarded)
		}
		oidctest.Forward(t, w, r, target, body)
	}))
	t.Cleanup(func() {
		select {
		case <-h.release:
		default:
			close(h.release)
		}
		h.srv.Close()
	})
	return h
}

// TestRealProviderRefreshCancelledInFlightIsSaved: the caller's context is
// cancelled (Ctrl-C, SIGTERM) while a refresh request is on its way to the
// real provider, which rotates refresh tokens and revokes the whole login
// when a rotated one is reused. The exchange is finished and the new
// refresh token saved anyway: a further refresh succeeds (with the old
// refresh token it would be refused, and the login revoked).
func TestRealProviderRefreshCancelledInFlightIsSaved(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{AccessTTL: time.Hour})
	app := testApp(t)
	m := open(t, app)
	ctx := ctxT(t)
	s := oidcServer(t, m, p)
	tok, id := deviceLogin(t, p, m, s, "dave")
	if _, _, err := m.SaveLogin(ctx, s.Name, tok, id, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	proxy := newHoldingProxy(t, s.TokenURL)
	if err := m.Update(ctx, func(c *Config) error {
		c.Servers[c.server(s.Name)].TokenURL = proxy.srv.URL + "/token"
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type answer struct {
		r   *TokenResult
		err error
	}
	done := make(chan answer, 1)
	go func() {
		// An hour's margin on an hour's token: a refresh now.
		r, err := m.Token(cctx, "dave", TokenOptions{MinTTL: time.Hour})
		done <- answer{r, err}
	}()
	select {
	case <-proxy.arrived:
	case <-ctx.Done():
		t.Fatal("the refresh request never reached the provider")
	}
	cancel()
	close(proxy.release)
	var a answer
	select {
	case a = <-done:
	case <-ctx.Done():
		t.Fatal("Token did not return")
	}
	select {
	case <-proxy.forwarded:
	case <-ctx.Done():
		t.Fatal("the held refresh request was never answered")
	}
	if n := p.RefreshCount(t); n != 1 {
		t.Fatalf("provider saw %d refreshes, want 1", n)
	}

	r, err := open(t, app).Token(ctx, "dave", TokenOptions{MinTTL: time.Hour})
	if err != nil || !r.Refreshed || !p.Active(t, r.Token.AccessToken) {
		t.Fatalf("refresh after the cancelled one (needs the rotated refresh token to have been saved): %+v %v", r, err)
	}
	if n := p.RefreshCount(t); n != 2 {
		t.Fatalf("provider saw %d refreshes, want 2", n)
	}
	// The cancelled caller is told so (its token was saved, not lost).
	if !errors.Is(a.err, context.Canceled) || a.r != nil {
		t.Fatalf("cancelled Token: %+v, %v; want an error wrapping context.Canceled", a.r, a.err)
	}
}
