package cmd

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/authdeck/authdeck/auth"

	"github.com/authdeck/authdeck/profiles"
)

// proxyRecorder is a proxy that refuses every request, remembering the
// hosts it was asked for.
func proxyRecorder(t *testing.T) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var hosts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hosts = append(hosts, r.Method+" "+r.Host)
		mu.Unlock()
		http.Error(w, "no", http.StatusBadGateway)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), hosts...) }
}

// TestKitProxyFromHostEnvironment: the Kit's HTTP clients (for the host's
// API calls and for the authorization servers) take their proxy from the
// host's HTTPS_PROXY and NO_PROXY, never the process's.
func TestKitProxyFromHostEnvironment(t *testing.T) {
	hostProxy, hostSeen := proxyRecorder(t)
	procProxy, procSeen := proxyRecorder(t)
	t.Setenv("HTTPS_PROXY", procProxy.URL)
	t.Setenv("https_proxy", procProxy.URL)
	env := map[string]string{"HTTPS_PROXY": hostProxy.URL, "NO_PROXY": "skip.example.com"}
	k, err := New(Host{Name: "acme", ConfigDir: t.TempDir(), Secrets: profiles.NewMemSecrets(),
		Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	env["ACME_TOKEN"] = "t0k3n"
	ctx := context.Background()
	// The token belongs to the only server, whose API hosts these are.
	if _, err := k.Manager().AddServer(ctx, profiles.Server{Name: "api", ClientID: "c", Endpoints: auth.Endpoints{TokenURL: "https://id.example.com/token"},
		APIHosts: []string{"api.example.com", "skip.example.com"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.HTTPClient(ctx, "").Get("https://api.example.com/v1"); err == nil {
		t.Error("the request through a refusing proxy succeeded")
	}
	if _, err := k.Manager().App().HTTPClient.Get("https://id.example.com/.well-known/openid-configuration"); err == nil {
		t.Error("the authorization server request through a refusing proxy succeeded")
	}
	got := strings.Join(hostSeen(), ", ")
	if !strings.Contains(got, "CONNECT api.example.com:443") || !strings.Contains(got, "CONNECT id.example.com:443") {
		t.Errorf("the host's proxy saw %q, want both requests", got)
	}
	if seen := procSeen(); len(seen) != 0 {
		t.Errorf("the process's HTTPS_PROXY was used: %q", seen)
	}

	// NO_PROXY from the host: no proxy for skip.example.com.
	before := len(hostSeen())
	_, _ = k.HTTPClient(ctx, "").Get("https://skip.example.com/")
	if len(hostSeen()) != before {
		t.Errorf("skip.example.com went through the proxy despite the host's NO_PROXY: %q", hostSeen())
	}
}
