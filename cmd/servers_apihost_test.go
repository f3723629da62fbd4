package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/authdeck/authdeck/auth/authtest"
	"github.com/authdeck/authdeck/profiles"
)

// TestServersAddAPIHost: --api-host (repeatable) is checked, written in one
// form to config.toml's api_hosts, listed by `servers list --json`, and
// makes the server allow that origin; a hand-written bad entry is a parse
// error naming its line.
func TestServersAddAPIHost(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{})
	e := newTestEnv(t, srv)
	add := fmt.Sprintf("servers add h --device-url %s/device_authorization --token-url %s/token --client-id c", srv.URL, srv.URL)
	if code := e.run(add + " --api-host API.example.com:443 --api-host http://127.0.0.1:8080 --api-host api.example.com"); code != 0 {
		t.Fatalf("servers add --api-host: %s", e.err)
	}
	m := e.manager(t)
	data, err := os.ReadFile(m.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `api_hosts = ["api.example.com", "http://127.0.0.1:8080"]`) {
		t.Errorf("config.toml:\n%s", data)
	}
	e.out.Reset()
	if code := e.run("servers list --json"); code != 0 {
		t.Fatal(e.err)
	}
	var sj serversJSON
	if err := json.Unmarshal(e.out.Bytes(), &sj); err != nil || len(sj.Servers) != 1 || strings.Join(sj.Servers[0].APIHosts, " ") != "api.example.com http://127.0.0.1:8080" {
		t.Errorf("servers list --json = %s (%v)", e.out, err)
	}
	cfg, err := m.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := cfg.Server("h")
	for u, want := range map[string]bool{
		"https://api.example.com/v1": true, "https://api.example.com:443/": true, "http://127.0.0.1:8080/x": true,
		"https://api.example.com:8443/": false, "http://api.example.com/": false, "https://127.0.0.1:8080/": false,
		"https://evil.api.example.com/": false, "http://127.0.0.1:8081/": false,
	} {
		if got := s.AllowsOrigin(mustURL(t, u)); got != want {
			t.Errorf("AllowsOrigin(%s) = %v, want %v", u, got, want)
		}
	}

	for _, bad := range []string{"http://api.example.com", "https://api.example.com/v1", "*.example.com", "user@api.example.com"} {
		e.err.Reset()
		if code := e.run(add + " --force --api-host " + bad); code != 1 || !strings.Contains(e.err.String(), "--api-host") {
			t.Errorf("--api-host %s: exit %d, %s", bad, code, e.err)
		}
	}

	bad := strings.Replace(string(data), `"http://127.0.0.1:8080"`, `"http://203.0.113.7"`, 1)
	if err := os.WriteFile(m.ConfigPath(), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = m.Load(context.Background())
	var pe *profiles.ParseError
	if !errors.As(err, &pe) || pe.Line == 0 || !strings.Contains(err.Error(), "api_hosts") {
		t.Errorf("a plain-http api_hosts entry: %v", err)
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
