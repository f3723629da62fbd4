package secretfile

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/oidctest"
)

// TestEndToEndProviderToken: a token issued by the real OpenID provider is
// merged into a CloudVolume-style secret file beside existing keys, read
// back, and still accepted by the provider.
func TestEndToEndProviderToken(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ep, err := auth.Discover(ctx, nil, p.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	c := &auth.Client{ClientID: p.ClientID, Scopes: strings.Fields(oidctest.Scopes), Endpoints: ep}
	dc, err := c.StartDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Approve(t, dc.UserCode)
	tok, err := c.WaitDevice(ctx, dc, nil)
	if err != nil {
		t.Fatal(err)
	}

	home := t.TempDir()
	path := filepath.Join(home, ".cloudvolume", "secrets", "cave-secret.json")
	os.MkdirAll(filepath.Dir(path), 0o755)
	os.WriteFile(path, []byte(`{"token": "old", "aws_access_key_id": "AKIA-keep"}`), 0o644)
	if err := Write(ctx, path, "", tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	got := readJSON(t, path)
	if got["aws_access_key_id"] != "AKIA-keep" {
		t.Errorf("another key was lost: %v", got)
	}
	if runtime.GOOS != "windows" && perm(t, path) != 0o600 {
		t.Errorf("mode %o, want 600", perm(t, path))
	}
	back, _, err := Read(path, "")
	if err != nil || back != tok.AccessToken {
		t.Fatalf("read back %v", err)
	}
	if !p.Active(t, back) {
		t.Error("the provider does not accept the token read back from the file")
	}
}
