package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/profiles"
	"golang.org/x/oauth2"
)

// TestHostStoreNamedNotKeyring: a host whose secrets live in its own store
// (deps.SecretsName, from profiles.App.SecretsName) never sees "keyring"
// on the accounts screen, whoami, or the login's success screen.
func TestHostStoreNamedNotKeyring(t *testing.T) {
	fx := newFixture(2)
	fx.deps.SecretsName = "vault"
	m := startModel(t, fx, Options{}, 100, 24)
	if v := m.View(); strings.Contains(v, "keyring") || !strings.Contains(v, "vault") {
		t.Errorf("accounts screen must name the host's store, not the keyring:\n%s", v)
	}
	m, _ = settle(t, m, press("w"))
	if v := m.View(); strings.Contains(v, "keyring") || !strings.Contains(v, "vault") {
		t.Errorf("whoami must name the host's store, not the keyring:\n%s", v)
	}

	fx = newFixture(0)
	fx.deps.SecretsName = "vault"
	fx.flow.answers = []pollAnswer{{tok: &oauth2.Token{AccessToken: "at", RefreshToken: "rt", Expiry: t0.Add(time.Hour)}}}
	m = loginModelAt(t, fx, 80, 24)
	m, _ = settle(t, m, pollDueMsg{gen: m.login.gen})
	if m.login.state != loginDone {
		t.Fatalf("login state %v", m.login.state)
	}
	if v := words(m.View()); strings.Contains(v, "keyring") || !strings.Contains(v, "Secret saved in: vault") {
		t.Errorf("success screen must name the host's store, not the keyring:\n%s", m.View())
	}

	fx = newFixture(0)
	fx.deps.SecretsName = "vault"
	fx.ps.saveInfo = profiles.SaveInfo{Storage: profiles.StorageFile, InsecureStorage: true, FallbackReason: "vault sealed", Path: "/h/credentials.json"}
	fx.flow.answers = []pollAnswer{{tok: &oauth2.Token{AccessToken: "at", Expiry: t0.Add(time.Hour)}}}
	m = loginModelAt(t, fx, 80, 24)
	m, _ = settle(t, m, pollDueMsg{gen: m.login.gen})
	if v := words(m.View()); strings.Contains(v, "keyring") || !strings.Contains(v, "not the vault") {
		t.Errorf("fallback warning must name the host's store, not the keyring:\n%s", m.View())
	}
}
