package cmd

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/authdeck/authdeck/profiles"
)

// hostTransport is http.DefaultTransport's configuration with the proxy
// taken from the host's environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY and
// their lower-case forms, read through getenv) instead of the process's.
func hostTransport(getenv func(string) string) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = proxyFunc(getenv)
	return t
}

// proxyFunc chooses a request's proxy the way http.ProxyFromEnvironment
// does, from getenv: HTTPS_PROXY for https URLs, HTTP_PROXY for http ones
// (ignored under CGI, where a request header could set it), none for
// loopback hosts or hosts NO_PROXY matches ("*", a domain and its
// subdomains, with or without a leading dot, an IP address, a CIDR range,
// each optionally with a port).
func proxyFunc(getenv func(string) string) func(*http.Request) (*url.URL, error) {
	get := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return getenv(strings.ToLower(name))
	}
	httpsProxy, httpProxy, noProxy := get("HTTPS_PROXY"), get("HTTP_PROXY"), get("NO_PROXY")
	if getenv("REQUEST_METHOD") != "" {
		httpProxy = "" // CGI: HTTP_PROXY may come from the request's Proxy header
	}
	return func(r *http.Request) (*url.URL, error) {
		raw := httpProxy
		if r.URL.Scheme == "https" {
			raw = httpsProxy
		}
		if raw == "" || !useProxy(r.URL, noProxy) {
			return nil, nil
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") {
			if u2, err2 := url.Parse("http://" + raw); err2 == nil && u2.Host != "" {
				return u2, nil
			}
			return nil, &url.Error{Op: "proxy", URL: raw, Err: err}
		}
		return u, nil
	}
}

// useProxy reports whether a request to u goes through the proxy, given
// the NO_PROXY list.
func useProxy(u *url.URL, noProxy string) bool {
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return false
	}
	ip := net.ParseIP(host)
	if ip != nil && ip.IsLoopback() {
		return false
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, e := range strings.Split(noProxy, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		if e == "*" {
			return false
		}
		if _, cidr, err := net.ParseCIDR(e); err == nil {
			if ip != nil && cidr.Contains(ip) {
				return false
			}
			continue
		}
		ePort := ""
		if h, p, err := net.SplitHostPort(e); err == nil {
			e, ePort = h, p
		}
		if ePort != "" && ePort != port {
			continue
		}
		if eip := net.ParseIP(e); eip != nil {
			if ip != nil && eip.Equal(ip) {
				return false
			}
			continue
		}
		e = strings.TrimSuffix(strings.TrimPrefix(e, "*"), ".")
		if d := strings.TrimPrefix(e, "."); host == d || strings.HasSuffix(host, "."+d) {
			return false
		}
	}
	return true
}

// managerTransport is the transport of m's HTTP client (the host's, see
// Host.authClient), else hostTransport over m's environment.
func managerTransport(m *profiles.Manager) http.RoundTripper {
	app := m.App()
	if app.HTTPClient != nil && app.HTTPClient.Transport != nil {
		return app.HTTPClient.Transport
	}
	getenv := app.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	return hostTransport(getenv)
}
