package profiles

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/oidctest"
	"golang.org/x/oauth2"
)

// deviceLogin signs in on the real provider through the device flow, the
// code approved through the provider's own pages.
func deviceLogin(t *testing.T, p *oidctest.Provider, m *Manager, s Server, login string) (*oauth2.Token, *auth.Identity) {
	t.Helper()
	ctx := ctxT(t)
	c := m.Client(s)
	dc, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.ApproveAs(t, dc.UserCode, login)
	tok, err := c.PollOnce(ctx, dc)
	if err != nil {
		t.Fatal(err)
	}
	id, err := auth.IdentityFromIDToken(auth.IDToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	return tok, id
}

func oidcServer(t *testing.T, m *Manager, p *oidctest.Provider) Server {
	t.Helper()
	s, err := m.AddServer(ctxT(t), Server{
		Name:      "oidc",
		Endpoints: auth.Endpoints{Issuer: p.Issuer},
		ClientID:  p.ClientID,
		Scopes:    []string{"openid", "profile", "email", "offline_access"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.DeviceAuthURL == "" || s.RevocationURL == "" || s.UserInfoURL == "" || s.Discovered.IsZero() {
		t.Fatalf("discovery against the provider: %+v", s)
	}
	return s
}

// TestRealProviderLifecycle: discovery, device login saved as a profile,
// refresh after the access token really expired with the rotated refresh
// token persisted (a second refresh works only with the newest one), whoami
// via userinfo, and revoke (the tokens then fail introspection).
func TestRealProviderLifecycle(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{AccessTTL: 2 * time.Second})
	app := testApp(t)
	m := open(t, app)
	ctx := ctxT(t)
	s := oidcServer(t, m, p)
	tok, id := deviceLogin(t, p, m, s, "alice")
	prof, info, err := m.SaveLogin(ctx, s.Name, tok, id, SaveOptions{Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	if prof.Name != "alice" || prof.Subject != "alice" || !prof.HasRefresh || !slices.Contains(prof.Scopes, "offline_access") || info.Storage != StorageFile {
		t.Fatalf("saved %+v %+v", prof, info)
	}

	time.Sleep(time.Until(tok.Expiry) + 200*time.Millisecond)
	if p.Active(t, tok.AccessToken) {
		t.Fatal("the access token should have expired")
	}
	r1, err := m.Token(ctx, "", TokenOptions{MinTTL: NoMinTTL})
	if err != nil || !r1.Refreshed || !p.Active(t, r1.Token.AccessToken) {
		t.Fatalf("refresh after expiry: %+v %v", r1, err)
	}
	// An explicit MinTTL is honoured as given: an hour, longer than the
	// token's whole life, forces another refresh right away.
	r2, err := m.Token(ctx, "", TokenOptions{MinTTL: time.Hour})
	if err != nil || !r2.Refreshed || r2.Token.AccessToken == r1.Token.AccessToken {
		t.Fatalf("second refresh (needs the rotated refresh token to have been stored): %+v %v", r2, err)
	}
	if n := p.RefreshCount(t); n != 2 {
		t.Fatalf("provider saw %d refreshes, want 2", n)
	}

	w, err := m.WhoAmI(ctx, "alice")
	if err != nil || w.Identity.Subject != "alice" || w.Source != SourceFile {
		t.Fatalf("whoami: %+v %v", w, err)
	}

	sec, err := m.files.Get(ctx, secretKey(prof.ID))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Revoke(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if p.Active(t, sec.AccessToken) || p.Active(t, sec.RefreshToken) {
		t.Fatal("tokens still active after revoke")
	}
	st, _ := m.Status(ctx, "")
	if st[0].State != StateSignedOut {
		t.Fatalf("status after revoke: %+v", st[0])
	}
}

// TestRealProviderRefreshRace: concurrent callers on an expired token send
// one refresh between them to the real provider, which revokes the whole
// grant if a rotated refresh token is ever reused.
func TestRealProviderRefreshRace(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{AccessTTL: time.Hour})
	app := testApp(t)
	m := open(t, app)
	ctx := ctxT(t)
	s := oidcServer(t, m, p)
	tok, id := deviceLogin(t, p, m, s, "bob")
	tok.Expiry = time.Now().Add(-time.Second) // as if it had expired
	if _, _, err := m.SaveLogin(ctx, s.Name, tok, id, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([]string, 10)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := open(t, app).Token(ctxT(t), "bob", TokenOptions{MinTTL: time.Minute})
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = r.Token.AccessToken
		}()
	}
	wg.Wait()
	if n := p.RefreshCount(t); n != 1 {
		t.Fatalf("provider saw %d refreshes, want 1", n)
	}
	for _, a := range got {
		if a != got[0] || !p.Active(t, a) {
			t.Fatalf("callers got different or inactive tokens")
		}
	}
}

// TestRealProviderShortTokenNotRefreshedPerCall: tokens living 60s, shorter
// than the default MinTTL of 5 minutes. The first call refreshes the
// expired token; the next one gets the same token with no request, since a
// just-refreshed token counts as fresh (the default MinTTL is capped at half
// its life).
func TestRealProviderShortTokenNotRefreshedPerCall(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{AccessTTL: 60 * time.Second})
	app := testApp(t)
	m := open(t, app)
	ctx := ctxT(t)
	s := oidcServer(t, m, p)
	tok, id := deviceLogin(t, p, m, s, "carol")
	tok.Expiry = time.Now().Add(-time.Second) // as if it had expired
	if _, _, err := m.SaveLogin(ctx, s.Name, tok, id, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	r1, err := m.Token(ctx, "carol", TokenOptions{})
	if err != nil || !r1.Refreshed {
		t.Fatalf("first call: %+v %v", r1, err)
	}
	if life := time.Until(r1.Token.Expiry); life > time.Minute+time.Second || life < 50*time.Second {
		t.Fatalf("the provider's token lives %v, want about 60s", life)
	}
	r2, err := open(t, app).Token(ctx, "carol", TokenOptions{})
	if err != nil || r2.Refreshed || r2.Token.AccessToken != r1.Token.AccessToken {
		t.Fatalf("second call: refreshed %v, same token %v, err %v", r2 != nil && r2.Refreshed, r2 != nil && r2.Token.AccessToken == r1.Token.AccessToken, err)
	}
	if n := p.RefreshCount(t); n != 1 {
		t.Fatalf("provider saw %d refreshes, want 1", n)
	}
	if !p.Active(t, r2.Token.AccessToken) {
		t.Fatal("the token served is not active at the provider")
	}
}
