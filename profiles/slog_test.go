package profiles

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/logtest"
)

// TestLogsCarryNoSecrets: with App.Logger recording everything down to
// debug, a login save, a refresh, a login whose keyring fails (fallback to
// the file) and a refresh whose keyring save fails all log, and no record
// holds an access token, a refresh token or the client secret.
func TestLogsCarryNoSecrets(t *testing.T) {
	f := newFakeAS(t)
	f.secret = testClientSecret
	rec := logtest.New()
	app := testApp(t)
	app.Secrets = nil
	app.Logger = slog.New(rec)
	m := open(t, app)
	mem, sw := switchableKeyring(m)
	ctx := ctxT(t)
	if _, err := m.AddServer(ctx, Server{Name: "test", Endpoints: f.endpoints(), ClientID: "cli", ClientSecret: testClientSecret}); err != nil {
		t.Fatal(err)
	}
	var secrets []string
	keep := func(vals ...string) { secrets = append(secrets, vals...) }
	step := func(what string, fn func() error) {
		t.Helper()
		_, before := rec.Text()
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if _, after := rec.Text(); after == before {
			t.Fatalf("%s logged nothing", what)
		}
	}

	// A login saved in the keyring, then refreshed there.
	tok := f.issue(time.Now().Add(-time.Minute))
	keep(tok.AccessToken, tok.RefreshToken)
	step("login", func() error {
		_, _, err := m.SaveLogin(ctx, "test", tok, alice(), SaveOptions{})
		return err
	})
	step("refresh", func() error {
		r, err := m.Token(ctx, "alice", TokenOptions{})
		if err == nil {
			keep(r.Token.AccessToken, r.Token.RefreshToken)
		}
		return err
	})

	// The keyring freezes: a refresh saved in the file instead, then a
	// new login that falls back to the file.
	block := blockingBackend{release: make(chan struct{})}
	defer close(block.release)
	sw.set(getOnly{src: mem, blockingBackend: block})
	step("refresh with a frozen keyring", func() error {
		r, err := m.Token(ctx, "alice", TokenOptions{MinTTL: 2 * time.Hour})
		if err == nil {
			keep(r.Token.AccessToken, r.Token.RefreshToken)
			if r.FallbackReason == "" {
				t.Errorf("the refresh did not fall back to the file: %+v", r)
			}
		}
		return err
	})
	sw.set(block)
	bob := f.issue(time.Now().Add(time.Hour))
	keep(bob.AccessToken, bob.RefreshToken)
	step("login with a frozen keyring", func() error {
		_, info, err := m.SaveLogin(ctx, "test", bob, alice(), SaveOptions{Profile: "bob"})
		if err == nil && info.FallbackReason == "" {
			t.Error("the login did not fall back to the file")
		}
		return err
	})

	text, n := rec.Text()
	for _, want := range []string{"login saved", "token refreshed", "keyring unusable", "keyring call"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q record among the %d logged", want, n)
		}
	}
	for _, s := range append(secrets, testClientSecret) {
		if s == "" {
			t.Fatal("a secret to look for is empty")
		}
		if strings.Contains(text, s) {
			t.Errorf("a log record holds a secret (%.6s…):\n%s", s, text)
		}
	}
}
