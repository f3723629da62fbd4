package cmd

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/authdeck/authdeck/profiles"
)

// kitTrust lists rawURL's origin in the api_hosts of the host's server.
func kitTrust(t *testing.T, e *embedded, rawURL string) {
	t.Helper()
	if err := e.kit.Manager().Update(context.Background(), func(cfg *profiles.Config) error {
		for i := range cfg.Servers {
			cfg.Servers[i].APIHosts = append(cfg.Servers[i].APIHosts, rawURL)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestKitHTTPClientKeepsTheTokenOnItsOrigins: the host's HTTP client sends
// the token only to the server's origins; a foreign origin (a hostile
// listener on another loopback port) is refused, a redirect to it gets no
// token, and a 401 from the API itself is answered by one refresh and a
// retry with the new token.
func TestKitHTTPClientKeepsTheTokenOnItsOrigins(t *testing.T) {
	srv := startDevServer(t)
	e := newEmbedded(t, "acme", srv, profiles.NewMemSecrets())
	e.login(t, srv, "bob")
	ctx := context.Background()

	var mu sync.Mutex
	var hostileSaw []string
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hostileSaw = append(hostileSaw, r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(401)
	}))
	defer hostile.Close()
	var first string
	var apiSaw []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authz := r.Header.Get("Authorization")
		mu.Lock()
		apiSaw = append(apiSaw, authz)
		if first == "" {
			first = authz // the API has revoked the first token it sees
		}
		refused := authz == first || authz == ""
		mu.Unlock()
		if r.URL.Path == "/away" {
			http.Redirect(w, r, hostile.URL+"/collect", http.StatusFound)
			return
		}
		if refused {
			w.WriteHeader(401)
			return
		}
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, "ok "+string(b))
	}))
	defer api.Close()
	kitTrust(t, e, api.URL)

	hc := e.kit.HTTPClient(ctx, "")
	if _, err := hc.Get(hostile.URL + "/steal"); err == nil || !strings.Contains(err.Error(), "API hosts") {
		t.Errorf("GET of a foreign origin: %v, want a refusal", err)
	}
	resp, err := hc.Post(api.URL+"/items", "text/plain", strings.NewReader("body"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	mu.Lock()
	n := len(apiSaw)
	mu.Unlock()
	if resp.StatusCode != 200 || string(b) != "ok body" || n != 2 {
		t.Errorf("POST after the API refused the token: %s %q after %d request(s); want 200, the body resent, 2 requests", resp.Status, b, n)
	}
	resp, err = hc.Get(api.URL + "/away")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(hostileSaw) != 1 || hostileSaw[0] != "" {
		t.Errorf("the hostile origin saw Authorization %q, want one request without it", hostileSaw)
	}
}
