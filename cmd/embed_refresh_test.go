package cmd

import (
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/oidctest"
	"github.com/authdeck/authdeck/profiles"
)

// TestKitHTTPClientRefreshesOnceOn401AtRealProvider: the API has put the
// Kit's current access token on its deny list and answers 401; the Kit's
// client refreshes once at the real provider (panva's oidc-provider) and
// retries with the new token, which the provider vouches for. A request to
// an origin that is not the server's is refused and causes no refresh.
func TestKitHTTPClientRefreshesOnceOn401AtRealProvider(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	var denied atomic.Value // the access token the API refuses
	denied.Store("")
	api := newWFAPIServer(t, func(tok string) bool { return tok != denied.Load() && p.Active(t, tok) })
	srv := &profiles.Server{Name: "home", Endpoints: auth.Endpoints{Issuer: p.Issuer}, ClientID: p.ClientID,
		Scopes: strings.Fields(oidctest.Scopes), APIHosts: []string{api.URL}}
	kit, err := New(Host{Name: "acme", ConfigDir: t.TempDir(), DefaultServer: srv, Secrets: profiles.NewMemSecrets()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	m := kit.Manager()
	added, err := m.AddServer(ctx, *srv)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Client(added)
	dc, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Approve(t, dc.UserCode)
	tok, err := c.WaitDevice(ctx, dc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.SaveLogin(ctx, "home", tok, nil, profiles.SaveOptions{Profile: "alice"}); err != nil {
		t.Fatal(err)
	}
	denied.Store(tok.AccessToken)

	resp, err := kit.HTTPClient(ctx, "").Post(api.URL+"/v1/items", "application/json", strings.NewReader(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `hello POST {"n":1}` || api.count() != 2 {
		t.Fatalf("%s %q after %d requests; want the retry's answer after 2", resp.Status, body, api.count())
	}
	if n := p.RefreshCount(t); n != 1 {
		t.Errorf("the provider saw %d refreshes, want exactly 1", n)
	}
	next, err := m.Token(ctx, "alice", profiles.TokenOptions{})
	if err != nil || next.Token.AccessToken == tok.AccessToken || !p.Active(t, next.Token.AccessToken) {
		t.Errorf("the stored token was not replaced by an active one (%v)", err)
	}

	// Another origin: refused before any request, no refresh.
	other := newWFAPIServer(t, func(string) bool { return false })
	if _, err := kit.HTTPClient(ctx, "").Get(other.URL); err == nil || other.count() != 0 {
		t.Errorf("a foreign origin got the request (%v, %d requests)", err, other.count())
	}
	if n := p.RefreshCount(t); n != 1 {
		t.Errorf("a foreign origin caused a refresh (%d in all)", n)
	}
}
