package profiles

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/authdeck/authdeck/auth"
)

// TestOpenProxyFromAppGetenv: with no App.HTTPClient, the manager's calls
// to authorization servers take their proxy from App.Getenv's HTTPS_PROXY,
// never from the process's environment.
func TestOpenProxyFromAppGetenv(t *testing.T) {
	recorder := func() (*httptest.Server, func() string) {
		var mu sync.Mutex
		var seen []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, r.Method+" "+r.Host)
			mu.Unlock()
			http.Error(w, "no", http.StatusBadGateway)
		}))
		t.Cleanup(srv.Close)
		return srv, func() string { mu.Lock(); defer mu.Unlock(); return strings.Join(seen, ", ") }
	}
	hostProxy, hostSeen := recorder()
	procProxy, procSeen := recorder()
	t.Setenv("HTTPS_PROXY", procProxy.URL)
	t.Setenv("https_proxy", procProxy.URL)
	app := testApp(t)
	app.HTTPClient = nil
	app.Getenv = env{"HTTPS_PROXY": hostProxy.URL}.get
	m := open(t, app)
	if _, err := m.AddServer(ctxT(t), Server{Name: "far", ClientID: "c", Endpoints: auth.Endpoints{Issuer: "https://id.example.com"}}); err == nil {
		t.Fatal("discovery through a refusing proxy succeeded")
	}
	if got := hostSeen(); !strings.Contains(got, "CONNECT id.example.com:443") {
		t.Errorf("App.Getenv's proxy saw %q, want the discovery request", got)
	}
	if got := procSeen(); got != "" {
		t.Errorf("the process's HTTPS_PROXY was used: %q", got)
	}
}
