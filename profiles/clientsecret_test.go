package profiles

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

const testClientSecret = "s3cr3t-client-value"

// confidential returns a manager with server "test" whose client has a
// secret the fake AS requires, and a profile "alice" whose token expires
// at exp.
func confidential(t *testing.T, f *fakeAS, app App, exp time.Time) (*Manager, Server) {
	t.Helper()
	f.secret = testClientSecret
	m := open(t, app)
	s, err := m.AddServer(ctxT(t), Server{Name: "test", Endpoints: f.endpoints(), ClientID: "cli", ClientSecret: testClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.SaveLogin(ctxT(t), "test", f.issue(exp), alice(), SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	return m, s
}

// TestClientSecretInSecretStore: the client secret goes to the secret store
// under "client:NAME", never to config.toml; it is read only when a request
// needs it (a refresh, a revocation), not by a Token call that finds a
// fresh token; and RemoveServer deletes it.
func TestClientSecretInSecretStore(t *testing.T) {
	f := newFakeAS(t)
	app := testApp(t)
	mem := app.Secrets.(*MemSecrets)
	m, s := confidential(t, f, app, time.Now().Add(-time.Minute))
	ctx := ctxT(t)
	if s.ClientSecretStorage != StorageKeyring {
		t.Fatalf("AddServer returned storage %q, want keyring", s.ClientSecretStorage)
	}
	if data := mustRead(t, m.ConfigPath()); bytes.Contains(data, []byte(testClientSecret)) || !bytes.Contains(data, []byte(`client_secret_storage = "keyring"`)) {
		t.Fatalf("config.toml:\n%s", data)
	}
	if sec, err := mem.Get(ctx, "client:test"); err != nil || sec.ClientSecret != testClientSecret || sec.AccessToken != "" {
		t.Fatalf("stored client secret: %+v %v", sec, err)
	}
	cfg, _ := m.Load(ctx)
	if got, _ := cfg.Server("test"); got.ClientSecret != "" || !got.HasClientSecret() {
		t.Fatalf("loaded server: secret in memory %v, HasClientSecret %v", got.ClientSecret != "", got.HasClientSecret())
	}

	// A refresh reads the secret and sends it (the fake AS requires it).
	r, err := m.Token(ctx, "alice", TokenOptions{MinTTL: time.Minute})
	if err != nil || !r.Refreshed {
		t.Fatalf("refresh of a confidential client: %+v %v", r, err)
	}
	// The hot path reads the profile's secret alone.
	gets, _ := mem.Calls()
	if r, err := m.Token(ctx, "alice", TokenOptions{MinTTL: time.Minute}); err != nil || r.Refreshed {
		t.Fatalf("fresh token: %+v %v", r, err)
	}
	if g, _ := mem.Calls(); g != gets+1 {
		t.Fatalf("a fresh Token call made %d secret reads, want 1 (not the client secret)", g-gets)
	}
	// Revocation authenticates the client too.
	if err := m.Revoke(ctx, "alice"); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if err := m.Remove(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := m.RemoveServer(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(mem.Keys(), "client:test") {
		t.Fatal("RemoveServer left the client secret in the store")
	}
}

// TestClientSecretReplacedOrMissing: replacing a server with a public
// client deletes its secret; a Server read from the config keeps it; a
// secret missing from the store fails the refresh with a hint.
func TestClientSecretReplacedOrMissing(t *testing.T) {
	f := newFakeAS(t)
	app := testApp(t)
	mem := app.Secrets.(*MemSecrets)
	m, _ := confidential(t, f, app, time.Now().Add(-time.Minute))
	ctx := ctxT(t)
	cfg, _ := m.Load(ctx)
	loaded, _ := cfg.Server("test")
	loaded.Scopes = []string{"openid", "email"}
	if got, err := m.AddServer(ctx, loaded); err != nil || got.ClientSecretStorage != StorageKeyring {
		t.Fatalf("re-adding a loaded server: %+v %v", got, err)
	}
	if !slices.Contains(mem.Keys(), "client:test") {
		t.Fatal("re-adding the server as loaded lost its secret")
	}
	if err := mem.Delete(ctx, "client:test"); err != nil {
		t.Fatal(err)
	}
	_, err := m.Token(ctx, "alice", TokenOptions{MinTTL: time.Minute})
	if err == nil || !strings.Contains(err.Error(), `client secret of server "test" is missing from the keyring`) || !strings.Contains(err.Error(), "--client-secret-file") {
		t.Fatalf("missing client secret: %v", err)
	}
	if f.refreshCount() != 0 {
		t.Fatal("a refresh was sent without the client secret")
	}
	// Re-add with the secret, then replace with a public client.
	if _, err := m.AddServer(ctx, Server{Name: "test", Endpoints: f.endpoints(), ClientID: "cli", ClientSecret: testClientSecret}); err != nil {
		t.Fatal(err)
	}
	pub, err := m.AddServer(ctx, Server{Name: "test", Endpoints: f.endpoints(), ClientID: "cli"})
	if err != nil || pub.HasClientSecret() {
		t.Fatalf("public replacement: %+v %v", pub, err)
	}
	if slices.Contains(mem.Keys(), "client:test") {
		t.Fatal("the replaced server's client secret is still stored")
	}
}

// TestClientSecretFileStorage: with settings.storage "file", or when the
// keyring fails, the client secret goes to credentials.json (0600) and is
// used from there.
func TestClientSecretFileStorage(t *testing.T) {
	for _, tc := range []string{"settings", "keyring fails"} {
		t.Run(tc, func(t *testing.T) {
			f := newFakeAS(t)
			f.secret = testClientSecret
			app := testApp(t)
			if tc == "keyring fails" {
				app.Secrets = failingSecrets{&KeyringTimeoutError{Op: "set"}}
			}
			m := open(t, app)
			ctx := ctxT(t)
			if tc == "settings" {
				if err := m.Update(ctx, func(c *Config) error { c.Settings.Storage = "file"; return nil }); err != nil {
					t.Fatal(err)
				}
			}
			s, err := m.AddServer(ctx, Server{Name: "test", Endpoints: f.endpoints(), ClientID: "cli", ClientSecret: testClientSecret})
			if err != nil || s.ClientSecretStorage != StorageFile {
				t.Fatalf("AddServer: %+v %v", s, err)
			}
			checkCredentialsFile(t, m.CredentialsPath(), "client:test")
			if bytes.Contains(mustRead(t, m.ConfigPath()), []byte(testClientSecret)) {
				t.Fatal("config.toml holds the client secret")
			}
			if _, _, err := m.SaveLogin(ctx, "test", f.issue(time.Now().Add(-time.Minute)), alice(), SaveOptions{Insecure: true}); err != nil {
				t.Fatal(err)
			}
			if r, err := m.Token(ctx, "alice", TokenOptions{MinTTL: time.Minute}); err != nil || !r.Refreshed {
				t.Fatalf("refresh with the secret from the file: %+v %v", r, err)
			}
		})
	}
}

// TestLegacyClientSecretMigrated: a client_secret in config.toml, as an
// older release wrote it, is still used, and the next write of the config
// moves it to the secret store and out of the file.
func TestLegacyClientSecretMigrated(t *testing.T) {
	f := newFakeAS(t)
	f.secret = testClientSecret
	app := testApp(t)
	mem := app.Secrets.(*MemSecrets)
	m := open(t, app)
	ctx := ctxT(t)
	if err := os.MkdirAll(app.ConfigDir, 0o700); err != nil {
		t.Fatal(err)
	}
	legacy := "version = 1\n\n[[servers]]\n  name = \"test\"\n  token_url = \"" + f.URL() + "/token\"\n  revoke_url = \"" + f.URL() + "/revoke\"\n  client_id = \"cli\"\n  client_secret = \"" + testClientSecret + "\"\n"
	if err := os.WriteFile(m.ConfigPath(), []byte(legacy), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := m.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := cfg.Server("test")
	if s.ClientSecret != testClientSecret || s.ClientSecretStorage != StorageNone {
		t.Fatalf("legacy secret not read: storage %q", s.ClientSecretStorage)
	}
	// Used as it is, before any write.
	tok := f.issue(time.Now())
	if _, err := m.Client(s).Refresh(ctx, tok.RefreshToken); err != nil {
		t.Fatalf("refresh with the legacy secret: %v", err)
	}
	// The next write (a login) migrates it.
	if _, _, err := m.SaveLogin(ctx, "test", f.issue(time.Now().Add(-time.Minute)), alice(), SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	data := mustRead(t, m.ConfigPath())
	if bytes.Contains(data, []byte(testClientSecret)) || bytes.Contains(data, []byte("client_secret =")) {
		t.Fatalf("the legacy secret is still in config.toml:\n%s", data)
	}
	if sec, err := mem.Get(ctx, "client:test"); err != nil || sec.ClientSecret != testClientSecret {
		t.Fatalf("migrated secret: %+v %v", sec, err)
	}
	if r, err := m.Token(ctx, "alice", TokenOptions{MinTTL: time.Minute}); err != nil || !r.Refreshed {
		t.Fatalf("refresh after migration: %+v %v", r, err)
	}
}

// TestClientSecretStoreFailureKeepsConfig: when the secret cannot be stored
// at all, AddServer fails and the config is not written.
func TestClientSecretStoreFailureKeepsConfig(t *testing.T) {
	f := newFakeAS(t)
	app := testApp(t)
	app.Secrets = failingSecrets{errors.New("keyring broken")}
	m := open(t, app)
	ctx := ctxT(t)
	if err := os.MkdirAll(app.ConfigDir, 0o700); err != nil {
		t.Fatal(err)
	}
	// credentials.json is a directory: the file fallback fails too.
	if err := os.Mkdir(m.CredentialsPath(), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := m.AddServer(ctx, Server{Name: "test", Endpoints: f.endpoints(), ClientID: "cli", ClientSecret: testClientSecret}); err == nil || strings.Contains(err.Error(), testClientSecret) {
		t.Fatalf("AddServer: %v", err)
	}
	if _, err := os.Stat(m.ConfigPath()); err == nil {
		t.Fatal("the config was written although the secret could not be stored")
	}
}
