package profiles

import (
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth/authtest"
)

// WorkOS answers tokens without expires_in: the expiry is the access
// token's JWT exp, so a stored WorkOS token is refreshed once it comes
// within the default margin of that exp (and not before).
func TestWorkOSTokenRefreshedNearJWTExp(t *testing.T) {
	clk := &testClock{t: time.Now().Truncate(time.Second)}
	srv := authtest.NewServer(t, authtest.Options{Dialect: authtest.WorkOS, AccessTTL: 20 * time.Minute, Interval: time.Second, Now: clk.now})
	app := testApp(t)
	app.Now = clk.now
	app.HTTPClient = srv.HTTPClient()
	m := open(t, app)
	ctx := ctxT(t)
	if _, err := m.AddServer(ctx, Server{Name: "workos", Endpoints: srv.Endpoints(), ClientID: "authdeck-test", Scopes: []string{"openid", "offline_access"}}); err != nil {
		t.Fatal(err)
	}
	c := srv.Client()
	c.Now = clk.now
	dc, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.Approve()
	clk.advance(2 * time.Second)
	tok, err := c.PollOnce(ctx, dc)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Expiry.IsZero() {
		t.Fatal("the WorkOS token has no expiry: it would never be refreshed")
	}
	if _, _, err := m.SaveLogin(ctx, "workos", tok, alice(), SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	clk.advance(14 * time.Minute) // 6 minutes left: more than the 5-minute default
	r, err := m.Token(ctx, "alice", TokenOptions{})
	if err != nil || r.Refreshed || r.Token.AccessToken != tok.AccessToken {
		t.Fatalf("6 minutes before exp: %+v %v, want the stored token", r, err)
	}
	clk.advance(2 * time.Minute) // 4 minutes left
	r, err = m.Token(ctx, "alice", TokenOptions{})
	if err != nil || !r.Refreshed || r.Token.AccessToken == tok.AccessToken {
		t.Fatalf("4 minutes before exp: %+v %v, want a refresh", r, err)
	}
	if n := srv.RefreshCount(); n != 1 {
		t.Fatalf("%d refreshes reached the server, want 1", n)
	}
	if want := clk.now().Add(20 * time.Minute); !r.Token.Expiry.Equal(want) {
		t.Fatalf("refreshed expiry %v, want %v (the new JWT's exp)", r.Token.Expiry, want)
	}
}
