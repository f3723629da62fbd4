package cmd

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/authdeck/authdeck/profiles"
)

// TestKitCustomSecretsNotCalledKeyring: a host that keeps secrets in its
// own store (Host.Secrets) is never told they are in "keyring": login's
// success event, status --json, whoami --json and profiles list --json
// name its store ("custom store" by default).
func TestKitCustomSecretsNotCalledKeyring(t *testing.T) {
	srv := startDevServer(t)
	e := newEmbedded(t, "acme", srv, profiles.NewMemSecrets())
	e.login(t, srv, "alice")
	if got := e.out.String(); strings.Contains(got, "keyring") || !strings.Contains(got, `"storage":"custom store"`) {
		t.Errorf("login success event = %q: storage must be the host's store, not keyring", got)
	}
	if got := e.err.String(); strings.Contains(got, "keyring") {
		t.Errorf("login text = %q mentions the keyring", got)
	}
	for _, args := range [][]string{{"status", "--json"}, {"whoami", "--json"}, {"profiles", "list", "--json"}} {
		e.out.Reset()
		e.err.Reset()
		if code := e.run(args...); code != 0 {
			t.Fatalf("%v: exit %d, stderr %q", args, code, e.err.String())
		}
		got := e.out.String()
		if !json.Valid([]byte(got)) {
			t.Fatalf("%v: not JSON: %q", args, got)
		}
		if strings.Contains(got, "keyring") || !strings.Contains(got, `"storage": "custom store"`) {
			t.Errorf("%v = %s: storage must be the host's store, not keyring", args, got)
		}
	}
	e.out.Reset()
	if code := e.run("status"); code != 0 || strings.Contains(e.out.String()+e.err.String(), "keyring") {
		t.Errorf("status: exit %d, out %q, err %q: must not say keyring", code, e.out.String(), e.err.String())
	}
}

// TestKitSecretsNameLabelsStorage: Host.SecretsName is the label, and the
// OS keyring (no Host.Secrets) is still called keyring.
func TestKitSecretsNameLabelsStorage(t *testing.T) {
	for _, c := range []struct {
		h    Host
		want string
	}{
		{Host{Name: "acme", Secrets: profiles.NewMemSecrets(), SecretsName: "vault"}, "vault"},
		{Host{Name: "acme", Secrets: profiles.NewMemSecrets()}, "custom store"},
		{Host{Name: "acme"}, "keyring"},
	} {
		c.h.ConfigDir = t.TempDir()
		k, err := New(c.h)
		if err != nil {
			t.Fatal(err)
		}
		if got := k.Manager().App().StorageName(profiles.StorageKeyring); got != c.want {
			t.Errorf("SecretsName %q, Secrets %v: storage called %q, want %q", c.h.SecretsName, c.h.Secrets != nil, got, c.want)
		}
	}
}
