package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/oidctest"
)

// TestConfidentialClientSecretInStore: `servers add --client-secret-file`
// with the real provider's confidential client keeps the secret out of
// config.toml (here, without a keyring, in credentials.json, said so);
// device login and refresh, which the provider authenticates with it,
// work; `servers list --json` masks it.
func TestConfidentialClientSecretInStore(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{AccessTTL: 3 * time.Second, PollInterval: time.Second})
	s := newSandbox(t)
	secretFile := filepath.Join(t.TempDir(), "client-secret")
	if err := os.WriteFile(secretFile, []byte(p.ClientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := s.ok("servers", "add", "conf", "--issuer", p.Issuer, "--client-id", p.SecretClientID,
		"--client-secret-file", secretFile, "--scopes", "openid,profile,email,offline_access")
	if strings.Contains(r.stdout+r.stderr, p.ClientSecret) {
		t.Fatalf("servers add printed the client secret: %s", r)
	}
	if !strings.Contains(r.stderr, "client secret is stored in plain text") {
		t.Errorf("servers add did not say where the client secret went: %s", r)
	}
	config, err := os.ReadFile(filepath.Join(s.dir, "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(config), p.ClientSecret) || strings.Contains(string(config), "client_secret =") {
		t.Fatalf("config.toml holds the client secret:\n%s", config)
	}
	creds, err := os.ReadFile(filepath.Join(s.dir, "credentials.json"))
	if err != nil || !strings.Contains(string(creds), `"client:conf"`) || !strings.Contains(string(creds), p.ClientSecret) {
		t.Fatalf("credentials.json lacks the client secret: %v\n%s", err, creds)
	}

	s.login(p) // the device authorization and token requests need the secret
	first := s.token()
	time.Sleep(4 * time.Second) // the access token expires
	before := p.RefreshCount(t)
	second := s.token()
	if second == first || p.RefreshCount(t)-before != 1 || !p.Active(t, second) {
		t.Fatalf("refresh of the confidential client: same token %v, refreshes %d", second == first, p.RefreshCount(t)-before)
	}

	var list struct {
		Servers []struct {
			ClientSecret string `json:"client_secret"`
		} `json:"servers"`
	}
	if err := json.Unmarshal([]byte(s.ok("servers", "list", "--json").stdout), &list); err != nil || len(list.Servers) != 1 || list.Servers[0].ClientSecret != "********" {
		t.Fatalf("servers list --json: %+v %v", list, err)
	}
	if config, _ := os.ReadFile(filepath.Join(s.dir, "config.toml")); strings.Contains(string(config), p.ClientSecret) {
		t.Fatal("config.toml holds the client secret after login and refresh")
	}
}

// TestStatusChecksCredentialsFile: status reads credentials.json, so a
// file that is readable by others, deleted, or corrupt shows up (with what
// to do) instead of the config's idea of a valid token.
func TestStatusChecksCredentialsFile(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	s := newSandbox(t)
	s.addServer(p)
	s.login(p)
	creds := filepath.Join(s.dir, "credentials.json")
	row := func() map[string]any {
		t.Helper()
		var st struct {
			Profiles []map[string]any `json:"profiles"`
		}
		if err := json.Unmarshal([]byte(s.ok("status", "--json").stdout), &st); err != nil || len(st.Profiles) != 1 {
			t.Fatalf("status --json: %v", err)
		}
		return st.Profiles[0]
	}
	if r := row(); r["token_state"] != "valid" || r["note"] != nil {
		t.Fatalf("after login: %v", r)
	}
	if err := os.Chmod(creds, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := row(); r["token_state"] != "valid" || !strings.Contains(r["note"].(string), "readable by other users") {
		t.Fatalf("0644 file: %v", r)
	}
	if err := os.Remove(creds); err != nil {
		t.Fatal(err)
	}
	r := row()
	if note, _ := r["note"].(string); r["token_state"] != "missing" || !strings.Contains(note, "login --profile alice") {
		t.Fatalf("file deleted: %v", r)
	}
	if r := s.run("", "status"); r.code != 0 || !strings.Contains(r.stdout, "missing") || !strings.Contains(r.stderr, "login --profile alice") {
		t.Fatalf("status with the file deleted: %s", r)
	}
	if err := os.WriteFile(creds, []byte("{oops"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := row(); r["token_state"] != "unreadable" {
		t.Fatalf("file corrupt: %v", r)
	}
}
