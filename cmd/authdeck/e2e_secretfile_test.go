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

// TestSecretFileRoundTrip: `token --save-to` merges a real token into a
// CloudVolume-style JSON secret file (0600, other keys kept, nothing on
// stdout), and `login --with-token --from-file` imports it again in another
// config, where the provider still accepts it.
func TestSecretFileRoundTrip(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	src := newSandbox(t)
	src.addServer(p)
	src.login(p)
	tok := src.token()

	path := filepath.Join(t.TempDir(), ".cloudvolume", "secrets", "cave-secret.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(`{"token": "stale", "other": "keep-me"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := src.ok("token", "--save-to", path, "--key", "token")
	if r.stdout != "" || strings.Contains(r.stderr, tok) {
		t.Errorf("token --save-to printed the token: %s", r)
	}
	var doc map[string]string
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("secret file is not JSON: %v\n%s", err, data)
	}
	if doc["token"] != tok || doc["other"] != "keep-me" {
		t.Errorf("secret file = %v; want the token under \"token\" and \"other\" kept", doc)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}

	// A file that cannot be parsed is refused and left as it was.
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"token": `), 0o600)
	if r := src.run("", "token", "--save-to", bad); r.code != 1 || !strings.Contains(r.stderr, "bad.json") {
		t.Errorf("token --save-to an unparseable file: %s", r)
	}
	if b, _ := os.ReadFile(bad); string(b) != `{"token": ` {
		t.Errorf("unparseable file was changed to %q", b)
	}

	dst := newSandbox(t)
	dst.addServer(p)
	r = dst.run("", "login", "--with-token", "--from-file", path, "--key", "token", "--insecure-storage")
	if r.code != 0 || strings.Contains(r.stdout+r.stderr, tok) {
		t.Fatalf("login --from-file: %s", r)
	}
	if got := dst.token(); got != tok {
		t.Errorf("token after --from-file = %q, want the saved one", got)
	}
	if !p.Active(t, tok) {
		t.Error("the provider no longer accepts the imported token")
	}
	if r := dst.run("", "login", "--with-token", "--from-file", path, "--key", "nope"); r.code != 1 || !strings.Contains(r.stderr, "nope") {
		t.Errorf("login --from-file with a missing key: %s", r)
	}
}
