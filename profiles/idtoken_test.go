package profiles

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// fakeIDToken is an unsigned JWT with iat and exp.
func fakeIDToken(iat, exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." +
		enc([]byte(fmt.Sprintf(`{"sub":"sub-alice","aud":"cli","iat":%d,"exp":%d}`, iat.Unix(), exp.Unix()))) + ".c2ln"
}

// idLogin logs alice in at f (whose refresh answers carry no id_token)
// with an access token expiring at access and an ID token expiring at id;
// the server has kube_token = "id_token".
func idLogin(t *testing.T, f *fakeAS, clock *testClock, access, id time.Time) (*Manager, App, Profile, string) {
	t.Helper()
	app := testApp(t)
	app.Now = clock.now
	m := open(t, app)
	if _, err := m.AddServer(ctxT(t), Server{Name: "test", Endpoints: f.endpoints(), ClientID: "cli", KubeToken: KubeIDToken}); err != nil {
		t.Fatal(err)
	}
	raw := fakeIDToken(clock.now(), id)
	tok := f.issue(access).WithExtra(map[string]any{"scope": "openid offline_access", "id_token": raw})
	p, _, err := m.SaveLogin(ctxT(t), "test", tok, alice(), SaveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m, app, p, raw
}

var wantID = TokenOptions{WantIDToken: Server.KubeIDTokenWanted}

func TestIDTokenStoredAndKeptOnRefresh(t *testing.T) {
	f := newFakeAS(t)
	clock := &testClock{t: time.Now()}
	now := clock.now()
	// The access token has expired; the ID token is good for 3 hours.
	m, app, p, id := idLogin(t, f, clock, now.Add(-time.Minute), now.Add(3*time.Hour))
	sec, err := app.Secrets.Get(ctxT(t), secretKey(p.ID))
	if err != nil || sec.IDToken != id {
		t.Fatalf("the login's ID token was not stored: %v", err)
	}
	// Without WantIDToken, no ID token is handed out.
	r, err := m.Token(ctxT(t), "alice", TokenOptions{})
	if err != nil || r.IDToken != "" || !r.Refreshed {
		t.Fatalf("Token without WantIDToken: %+v %v", r, err)
	}
	// The refresh gave no id_token: the login's is kept.
	sec, err = app.Secrets.Get(ctxT(t), secretKey(p.ID))
	if err != nil || sec.IDToken != id {
		t.Fatalf("a refresh without id_token dropped the stored one: %v", err)
	}
	r, err = m.Token(ctxT(t), "alice", wantID)
	if err != nil || r.IDToken != id || !r.IDTokenExpiry.Equal(time.Unix(now.Add(3*time.Hour).Unix(), 0)) || r.Refreshed {
		t.Fatalf("Token with WantIDToken: %+v %v", r, err)
	}
}

func TestIDTokenExpiredRefreshesThenFails(t *testing.T) {
	f := newFakeAS(t)
	clock := &testClock{t: time.Now()}
	now := clock.now()
	// The access token is good for an hour, the ID token for 20 minutes.
	m, _, _, id := idLogin(t, f, clock, now.Add(time.Hour), now.Add(20*time.Minute))
	if r, err := m.Token(ctxT(t), "alice", wantID); err != nil || r.IDToken != id || f.refreshCount() != 0 {
		t.Fatalf("fresh ID token: %+v %v (refreshes %d)", r, err, f.refreshCount())
	}
	clock.advance(21 * time.Minute)
	// The access token alone is still good: no refresh.
	if r, err := m.Token(ctxT(t), "alice", TokenOptions{}); err != nil || r.Refreshed {
		t.Fatalf("access token: %+v %v", r, err)
	}
	// The ID token has expired: a refresh, which gives none, so an error.
	_, err := m.Token(ctxT(t), "alice", wantID)
	if f.refreshCount() != 1 {
		t.Errorf("refreshes = %d, want 1 (the expired ID token must be refreshed)", f.refreshCount())
	}
	if err == nil || !errors.Is(err, ErrNotLoggedIn) || !strings.Contains(err.Error(), "ID token") || !strings.Contains(err.Error(), "kube_token") || strings.Contains(err.Error(), id) {
		t.Fatalf("expired ID token, none from the refresh: err = %v", err)
	}
}

func TestIDTokenNeverGiven(t *testing.T) {
	f := newFakeAS(t)
	app := testApp(t)
	m := open(t, app)
	if _, err := m.AddServer(ctxT(t), Server{Name: "test", Endpoints: f.endpoints(), ClientID: "cli", KubeToken: KubeIDToken}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.SaveLogin(ctxT(t), "test", f.issue(time.Now().Add(time.Hour)), alice(), SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := m.Token(ctxT(t), "alice", wantID)
	if err == nil || !strings.Contains(err.Error(), "no ID token") || !strings.Contains(err.Error(), "openid") {
		t.Fatalf("no ID token at all: err = %v", err)
	}
}

func TestHelperSettingsValidated(t *testing.T) {
	f := newFakeAS(t)
	m := open(t, testApp(t))
	for _, s := range []Server{
		{KubeToken: "refresh_token"},
		{GitUsername: "alice bot"},
		{GitUsername: "a:b"},
		{GitUsername: "a\nb"},
	} {
		s.Name, s.Endpoints, s.ClientID = "test", f.endpoints(), "cli"
		if _, err := m.AddServer(ctxT(t), s); err == nil {
			t.Errorf("AddServer accepted kube_token %q git_username %q", s.KubeToken, s.GitUsername)
		}
	}
	s, err := m.AddServer(ctxT(t), Server{Name: "test", Endpoints: f.endpoints(), ClientID: "cli", KubeToken: KubeIDToken, GitUsername: "alice-bot"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := m.Load(ctxT(t))
	if got, _ := cfg.Server("test"); err != nil || got.KubeToken != KubeIDToken || got.GitUsername != "alice-bot" || !s.KubeIDTokenWanted() {
		t.Fatalf("settings not kept: %+v %v", got, err)
	}
}
