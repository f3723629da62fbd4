package profiles

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
)

func TestRegistryHost(t *testing.T) {
	for in, want := range map[string]string{
		"ghcr.io":                      "ghcr.io",
		"GHCR.io/owner/image":          "ghcr.io",
		"https://index.docker.io/v1/":  "index.docker.io",
		"127.0.0.1:5000":               "127.0.0.1:5000",
		"http://registry.example:5000": "registry.example:5000",
		"":                             "",
		"a b":                          "",
		"host:":                        "",
		"user@host":                    "",
		"ho\x1bst":                     "",
	} {
		got, ok := RegistryHost(in)
		if got != want || ok != (want != "") {
			t.Errorf("RegistryHost(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// A registry host maps to one profile: mapping it again moves it, unmapping
// removes it, renaming the profile keeps it, and a config that gives one
// host to two profiles is refused on read and never rewritten.
func TestMapRegistry(t *testing.T) {
	ctx := ctxT(t)
	f := newFakeAS(t)
	m := open(t, testApp(t))
	addFakeServer(t, m, f)
	m.SaveLogin(ctx, "test", f.issue(time.Now().Add(time.Hour)), alice(), SaveOptions{})
	m.SaveLogin(ctx, "test", f.issue(time.Now().Add(time.Hour)), &auth.Identity{Subject: "b", Username: "bob"}, SaveOptions{})

	if h, err := m.MapRegistry(ctx, "https://GHCR.io/", "alice"); err != nil || h != "ghcr.io" {
		t.Fatalf("MapRegistry = %q, %v", h, err)
	}
	if _, err := m.MapRegistry(ctx, "ghcr.io", "nobody"); !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("MapRegistry to an unknown profile = %v", err)
	}
	if _, err := m.MapRegistry(ctx, "not a host", "alice"); err == nil {
		t.Errorf("MapRegistry accepted a bad host")
	}
	cfg, _ := m.Load(ctx)
	if got := cfg.RegistryProfile("ghcr.io/owner/img"); got != "alice" {
		t.Fatalf("RegistryProfile = %q, want alice", got)
	}
	if _, err := m.MapRegistry(ctx, "ghcr.io", "bob"); err != nil {
		t.Fatal(err)
	}
	if err := m.Rename(ctx, "bob", "robert"); err != nil {
		t.Fatal(err)
	}
	cfg, _ = m.Load(ctx)
	if got := cfg.RegistryProfile("ghcr.io"); got != "robert" {
		t.Errorf("after moving and renaming, RegistryProfile = %q, want robert", got)
	}
	if p, _ := cfg.Profile("alice"); len(p.DockerRegistries) != 0 {
		t.Errorf("alice kept %q after the host moved", p.DockerRegistries)
	}
	if had, err := m.UnmapRegistry(ctx, "ghcr.io"); err != nil || had != "robert" {
		t.Errorf("UnmapRegistry = %q, %v", had, err)
	}
	if had, err := m.UnmapRegistry(ctx, "ghcr.io"); err != nil || had != "" {
		t.Errorf("UnmapRegistry again = %q, %v", had, err)
	}

	// One host in two profiles: a parse error naming both, file untouched.
	data := mustRead(t, m.ConfigPath())
	bad := strings.Replace(string(data), "name = \"alice\"", "name = \"alice\"\ndocker_registries = [\"ghcr.io\"]", 1)
	bad = strings.Replace(bad, "name = \"robert\"", "name = \"robert\"\ndocker_registries = [\"ghcr.io\"]", 1)
	if err := os.WriteFile(m.ConfigPath(), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := m.Load(ctx)
	if err == nil || !strings.Contains(err.Error(), `"alice"`) || !strings.Contains(err.Error(), `"robert"`) {
		t.Fatalf("Load of a host in two profiles = %v", err)
	}
	if _, err := m.MapRegistry(ctx, "quay.io", "alice"); err == nil {
		t.Errorf("MapRegistry wrote over a config it could not read")
	}
	if got := string(mustRead(t, m.ConfigPath())); got != bad {
		t.Errorf("the unreadable config was rewritten")
	}
}
