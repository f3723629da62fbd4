package cmd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/profiles"
	"github.com/spf13/cobra"
)

// TestCustomSecretsNotCalledKeyring: a host with its own secret store
// (Host.Secrets) is not told its tokens are in "the keyring": the config
// and status --json say "custom". A config written before, with
// "keyring", still finds its secret in the host's store.
func TestCustomSecretsNotCalledKeyring(t *testing.T) {
	dir := t.TempDir()
	out := &hostBuffer{}
	kit, err := New(Host{Name: "acme", ConfigDir: dir, Stdout: out, Secrets: profiles.NewMemSecrets()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m := kit.Manager()
	srv := profiles.Server{Name: "home", ClientID: "c", Endpoints: auth.Endpoints{TokenURL: "https://id.example.com/token"}}
	if _, err := m.AddServer(ctx, srv); err != nil {
		t.Fatal(err)
	}
	tok := &oauth2.Token{AccessToken: "at", TokenType: "Bearer"}
	if _, info, err := m.SaveLogin(ctx, "home", tok, nil, profiles.SaveOptions{Profile: "alice"}); err != nil || info.Storage == profiles.StorageKeyring {
		t.Fatalf("SaveLogin: %v, storage %q", err, info.Storage)
	}
	status := func() map[string]any {
		out.Reset()
		root := &cobra.Command{Use: "acme"}
		root.AddCommand(kit.Commands(Status)...)
		root.SetArgs([]string{"status", "--json"})
		if code := kit.Execute(ctx, root); code != 0 {
			t.Fatalf("status --json: exit %d", code)
		}
		var doc struct{ Profiles []map[string]any }
		if err := json.Unmarshal([]byte(out.String()), &doc); err != nil || len(doc.Profiles) != 1 {
			t.Fatalf("status --json: %v %q", err, out)
		}
		return doc.Profiles[0]
	}
	st := status()
	if st["storage"] != "custom" || st["token_source"] != "custom" {
		t.Errorf("status --json with Host.Secrets: storage %v, token_source %v; want custom", st["storage"], st["token_source"])
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "config.toml"))
	if err != nil || strings.Contains(string(cfg), `"keyring"`) {
		t.Errorf("config.toml calls the host's store the keyring (%v):\n%s", err, cfg)
	}

	// An older config says "keyring": the secret is still found.
	old := strings.Replace(string(cfg), `storage = "custom"`, `storage = "keyring"`, 1)
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := kit.TokenSource(ctx, "alice").Token(); err != nil || got.AccessToken != "at" {
		t.Errorf("token with an older config: %v", err)
	}
}
