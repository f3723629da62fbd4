package profiles

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/oidctest"
	"golang.org/x/oauth2"
)

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// TestCheckRealProvider: Check asks the real provider about each login: a
// live one is valid, one whose tokens were revoked at the provider's
// revocation endpoint is revoked, one whose server's port is closed is
// unreachable, an expired access token is reported without asking (and
// nothing is refreshed), and a signed-out profile is not checked.
func TestCheckRealProvider(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{})
	m := open(t, testApp(t))
	ctx := ctxT(t)
	s := oidcServer(t, m, p)
	tok, id := deviceLogin(t, p, m, s, "alice")
	if _, _, err := m.SaveLogin(ctx, s.Name, tok, id, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	tok, id = deviceLogin(t, p, m, s, "bob")
	if _, _, err := m.SaveLogin(ctx, s.Name, tok, id, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	p.Revoke(t, tok.RefreshToken, "")

	addr := closedPort(t)
	gone, err := m.AddServer(ctx, Server{Name: "gone", ClientID: "cli", Endpoints: auth.Endpoints{
		DeviceAuthURL: "http://" + addr + "/device", TokenURL: "http://" + addr + "/token", UserInfoURL: "http://" + addr + "/me",
	}})
	if err != nil {
		t.Fatal(err)
	}
	far := time.Now().Add(time.Hour)
	if _, _, err := m.SaveLogin(ctx, gone.Name, &oauth2.Token{AccessToken: "at-carol", RefreshToken: "rt", Expiry: far}, &auth.Identity{Subject: "carol", Username: "carol"}, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.SaveLogin(ctx, s.Name, &oauth2.Token{AccessToken: "at-dave", RefreshToken: "rt-dave", Expiry: time.Now().Add(-time.Minute)}, &auth.Identity{Subject: "dave", Username: "dave"}, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	refreshes := p.RefreshCount(t)

	res, err := m.Check(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res {
		got = append(got, r.Name+"="+string(r.State))
	}
	want := "alice=valid bob=revoked carol=unreachable dave=expired"
	if strings.Join(got, " ") != want {
		t.Fatalf("Check: %s, want %s (%+v)", strings.Join(got, " "), want, res)
	}
	if !res[3].Refreshable || !strings.Contains(res[1].Detail, "invalid_token") || !strings.Contains(res[2].Detail, "connection refused") {
		t.Errorf("details: %+v", res)
	}
	if n := p.RefreshCount(t); n != refreshes {
		t.Errorf("Check sent %d refreshes, want none", n-refreshes)
	}

	// One profile by name; an unknown name is an error.
	if res, err := m.Check(ctx, []string{"alice"}); err != nil || len(res) != 1 || res[0].State != CheckValid {
		t.Errorf("Check(alice) = %+v, %v", res, err)
	}
	if _, err := m.Check(ctx, []string{"nobody"}); err == nil {
		t.Error("Check(nobody) succeeded")
	}
}
