package hostproxy

import (
	"net/url"
	"testing"
)

// useProxy reports whether a request to u goes through the proxy with
// NO_PROXY set to noProxy (both proxies set).
func useProxy(u *url.URL, noProxy string) bool {
	env := map[string]string{"HTTPS_PROXY": "http://proxy.test:3128", "HTTP_PROXY": "http://proxy.test:3128", "NO_PROXY": noProxy}
	p, err := Config(func(k string) string { return env[k] }).ProxyFunc()(u)
	return err == nil && p != nil
}

func TestUseProxyNoProxy(t *testing.T) {
	for _, tc := range []struct {
		url, noProxy string
		want         bool
	}{
		{"https://api.example.com/", "", true},
		{"https://127.0.0.1:8443/", "", false},
		{"http://localhost/", "", false},
		{"https://[::1]/", "", false},
		{"https://api.example.com/", "*", false},
		{"https://api.example.com/", "example.com", false},
		{"https://api.example.com/", ".example.com", false},
		{"https://example.com/", ".example.com", false},
		{"https://notexample.com/", "example.com", true},
		{"https://api.example.com/", "other.org, example.com:443", false},
		{"https://api.example.com/", "example.com:8443", true},
		{"https://10.1.2.3/", "10.0.0.0/8", false},
		{"https://11.1.2.3/", "10.0.0.0/8", true},
		{"https://192.0.2.7/", "192.0.2.7", false},
	} {
		u, _ := url.Parse(tc.url)
		if got := useProxy(u, tc.noProxy); got != tc.want {
			t.Errorf("useProxy(%s, NO_PROXY=%q) = %v, want %v", tc.url, tc.noProxy, got, tc.want)
		}
	}
}

// TestConfigReadsGetenv: the lower-case variables count too, "*." and
// *.localhost follow curl, a nil Getenv is no proxy at all, and under CGI
// (REQUEST_METHOD set) HTTP_PROXY is refused rather than used.
func TestConfigReadsGetenv(t *testing.T) {
	get := func(env map[string]string) func(string) string { return func(k string) string { return env[k] } }
	u := func(s string) *url.URL { v, _ := url.Parse(s); return v }
	lower := Config(get(map[string]string{"https_proxy": "proxy.test:3128", "no_proxy": "*.example.com"})).ProxyFunc()
	if p, err := lower(u("https://api.example.org/")); err != nil || p == nil || p.Host != "proxy.test:3128" {
		t.Errorf("https_proxy: %v %v, want http://proxy.test:3128", p, err)
	}
	for _, raw := range []string{"https://example.com/", "https://a.example.com/", "https://app.localhost/"} {
		if p, err := lower(u(raw)); err != nil || p != nil {
			t.Errorf("%s: proxy %v %v, want none", raw, p, err)
		}
	}
	if p, err := Config(nil).ProxyFunc()(u("https://api.example.org/")); p != nil || err != nil {
		t.Errorf("nil Getenv: %v %v, want no proxy", p, err)
	}
	cgi := Config(get(map[string]string{"HTTP_PROXY": "http://proxy.test:3128", "REQUEST_METHOD": "GET"})).ProxyFunc()
	if p, err := cgi(u("http://api.example.org/")); err == nil || p != nil {
		t.Errorf("CGI with HTTP_PROXY: %v %v, want an error", p, err)
	}
}
