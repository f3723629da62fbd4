package cmd

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/oidctest"
	"github.com/authdeck/authdeck/profiles"
)

func wfWhoamiOptions(m *profiles.Manager, profile string) (*whoamiOptions, *strings.Builder) {
	ios, _, _, _ := testStreams()
	out := &strings.Builder{}
	ios.Out, ios.ErrOut = out, io.Discard
	return &whoamiOptions{
		IO:       ios,
		Profiles: func() (*profiles.Manager, error) { return m, nil },
		Cwd:      func() (string, error) { return "/", nil },
		Now:      time.Now,
		Profile:  profile,
	}, out
}

// TestWhoamiRefreshesOnceOn401: the userinfo endpoint refuses the stored
// (unexpired) access token; whoami refreshes once and asks again.
func TestWhoamiRefreshesOnceOn401(t *testing.T) {
	ts := newWFTokenServer(t)
	m := wfManager(t, ts.URL, time.Now().Add(time.Hour), nil)
	var asked atomic.Int32
	ui := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		if r.Header.Get("Authorization") != "Bearer access-1" {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(401)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"sub":"u1","preferred_username":"alice"}`)
	}))
	defer ui.Close()
	if err := m.Update(context.Background(), func(cfg *profiles.Config) error {
		cfg.Servers[0].UserInfoURL = ui.URL + "/userinfo"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	o, out := wfWhoamiOptions(m, "p")
	if err := whoamiRun(context.Background(), o); err != nil {
		t.Fatalf("whoami with a refused access token: %v (exit %d)", err, ExitCode(err))
	}
	if !strings.HasPrefix(out.String(), "alice\n") || ts.refreshes.Load() != 1 || asked.Load() != 2 {
		t.Errorf("out %q after %d refresh(es) and %d userinfo request(s); want alice, 1 and 2", out, ts.refreshes.Load(), asked.Load())
	}
}

// TestWhoamiAfterRevocationAtRealProvider: the access token is revoked at
// the real provider's revocation endpoint (the login stays); whoami
// refreshes and succeeds. Once the refresh token is revoked too, whoami
// exits 4 with the command that fixes it.
func TestWhoamiAfterRevocationAtRealProvider(t *testing.T) {
	p, m, prof := wfProviderLogin(t, oidctest.Options{RevokeAccessTokenOnly: true, PollInterval: time.Second})
	ctx := context.Background()
	cur, err := m.Token(ctx, prof.Name, profiles.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Revoke(t, cur.Token.AccessToken, "access_token")
	if p.Active(t, cur.Token.AccessToken) || !p.Active(t, cur.Token.RefreshToken) {
		t.Fatal("want the access token revoked and the refresh token still active")
	}
	o, out := wfWhoamiOptions(m, prof.Name)
	if err := whoamiRun(ctx, o); err != nil {
		t.Fatalf("whoami after the access token was revoked: %v (exit %d)", err, ExitCode(err))
	}
	if !strings.HasPrefix(out.String(), oidctest.DefaultLogin+"\n") || p.RefreshCount(t) != 1 {
		t.Errorf("out %q after %d refresh(es), want %s after 1", out, p.RefreshCount(t), oidctest.DefaultLogin)
	}

	next, err := m.Token(ctx, prof.Name, profiles.TokenOptions{})
	if err != nil || next.Token.AccessToken == cur.Token.AccessToken {
		t.Fatalf("the refreshed token was not stored: %v", err)
	}
	p.Revoke(t, next.Token.RefreshToken, "refresh_token") // the whole login
	o, _ = wfWhoamiOptions(m, prof.Name)
	err = whoamiRun(ctx, o)
	if ExitCode(err) != ExitNotLoggedIn {
		t.Fatalf("whoami after the login was revoked: %v (exit %d), want exit 4", err, ExitCode(err))
	}
	msg := ErrorMessage(err, "authdeck")
	t.Logf("whoami after the login was revoked: %s", msg)
	if !strings.Contains(msg, "authdeck login --profile "+prof.Name) || strings.Contains(msg, next.Token.RefreshToken) {
		t.Errorf("message %q, want the login command (and no token)", msg)
	}
}
