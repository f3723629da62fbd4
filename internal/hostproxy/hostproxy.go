// Package hostproxy chooses HTTP proxies from a host's environment (a
// Getenv function) rather than the process's, with
// golang.org/x/net/http/httpproxy, the matcher behind Go's own
// http.ProxyFromEnvironment.
package hostproxy

import (
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpproxy"
)

// Config is the proxy configuration getenv describes, read as
// httpproxy.FromEnvironment reads the process's: HTTPS_PROXY, HTTP_PROXY
// and NO_PROXY or their lower-case forms, and REQUEST_METHOD for CGI
// (where HTTP_PROXY may come from a request header, so it is refused).
// A nil getenv is an empty environment.
//
// NO_PROXY is adapted to curl's reading, which most tools share: a leading
// "." or "*." matches the domain itself as well as its subdomains, and
// "*.localhost" (like "localhost") never goes through a proxy.
func Config(getenv func(string) string) *httpproxy.Config {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	first := func(names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	return &httpproxy.Config{
		HTTPProxy:  first("HTTP_PROXY", "http_proxy"),
		HTTPSProxy: first("HTTPS_PROXY", "https_proxy"),
		NoProxy:    curlNoProxy(first("no_proxy", "NO_PROXY")),
		CGI:        getenv("REQUEST_METHOD") != "",
	}
}

// curlNoProxy rewrites a NO_PROXY list for httpproxy so that it matches
// as curl does: "example.com", ".example.com" and "*.example.com" all
// mean example.com and its subdomains (httpproxy leaves example.com out
// of the last two), and "localhost" is added, which covers *.localhost.
func curlNoProxy(list string) string {
	var out []string
	for _, e := range strings.Split(list, ",") {
		e = strings.TrimSpace(e)
		if e != "*" {
			e = strings.TrimPrefix(strings.TrimPrefix(e, "*"), ".")
		}
		if e != "" {
			out = append(out, e)
		}
	}
	return strings.Join(append(out, "localhost"), ",")
}

// Func is the http.Transport Proxy function of Config(getenv).
func Func(getenv func(string) string) func(*http.Request) (*url.URL, error) {
	f := Config(getenv).ProxyFunc()
	return func(r *http.Request) (*url.URL, error) { return f(r.URL) }
}

// Transport is http.DefaultTransport's configuration with the proxy
// taken from getenv (Func) instead of the process's environment.
func Transport(getenv func(string) string) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = Func(getenv)
	return t
}
