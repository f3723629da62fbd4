package profiles

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeConfigExample: the config.toml shown in the README loads, so
// the documented format is the one the code reads.
func TestReadmeConfigExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "```toml\n")
	if !ok {
		t.Fatal("README.md has no ```toml block")
	}
	example, _, _ := strings.Cut(rest, "```")
	app := testApp(t)
	if err := os.MkdirAll(app.ConfigDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(app.ConfigDir, "config.toml"), []byte(example), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := open(t, app).Load(ctxT(t))
	if err != nil {
		t.Fatalf("the README's config example does not load: %v", err)
	}
	if cfg.Active != "alice" || len(cfg.Servers) != 1 || len(cfg.Profiles) != 1 ||
		cfg.Servers[0].EnvVar != "WORK_TOKEN" || cfg.Profiles[0].Storage != StorageKeyring {
		t.Errorf("README example loaded as %+v", cfg)
	}
}
