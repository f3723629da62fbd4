package auth

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Origin is a URL's scheme, host and port (RFC 6454): the unit a token is
// allowed to be sent to. Host is lower case, without IPv6 brackets; Port
// is always set ("443" for https, "80" for http when the URL has none), so
// two Origins are equal exactly when they are the same origin.
type Origin struct {
	// Scheme is "https" or "http", lower case.
	Scheme string
	// Host is the host name or IP address, lower case, without brackets.
	Host string
	// Port is the port number, the scheme's default when the URL has none.
	Port string
}

// OriginOf is the origin of u (zero for a URL without a host).
func OriginOf(u *url.URL) Origin {
	if u == nil || u.Host == "" {
		return Origin{}
	}
	o := Origin{Scheme: strings.ToLower(u.Scheme), Host: strings.ToLower(u.Hostname()), Port: u.Port()}
	if o.Port == "" {
		switch o.Scheme {
		case "https":
			o.Port = "443"
		case "http":
			o.Port = "80"
		}
	}
	return o
}

// String is "scheme://host[:port]", the port left out when it is the
// scheme's default.
func (o Origin) String() string {
	if o.Host == "" {
		return ""
	}
	h := o.Host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	if o.Scheme == "https" && o.Port == "443" || o.Scheme == "http" && o.Port == "80" {
		return o.Scheme + "://" + h
	}
	return o.Scheme + "://" + net.JoinHostPort(o.Host, o.Port)
}

// Flag is the origin as --api-host and --allow-host take it: "host[:port]"
// for https, the whole "http://host:port" for plain http (loopback only).
func (o Origin) Flag() string {
	if o.Scheme == "https" {
		return strings.TrimPrefix(o.String(), "https://")
	}
	return o.String()
}

// CrossOrigin reports whether a redirect chain has left the origin of its
// first request: req (the next request) or any request of via after the
// first is of another origin. Once it has, a credential meant for the
// first origin must not be sent again, even back on that origin (the rule
// of gh and curl).
func CrossOrigin(req *http.Request, via []*http.Request) bool {
	if len(via) == 0 {
		return false
	}
	first := OriginOf(via[0].URL)
	if OriginOf(req.URL) != first {
		return true
	}
	for _, r := range via[1:] {
		if OriginOf(r.URL) != first {
			return true
		}
	}
	return false
}

// StripCrossOriginAuth removes the Authorization header from a redirected
// request that has left the first request's origin (CrossOrigin). Go's
// client drops it only for another host name, and keeps it for the same
// host on another port or for a subdomain; call this from CheckRedirect.
func StripCrossOriginAuth(req *http.Request, via []*http.Request) {
	if CrossOrigin(req, via) {
		req.Header.Del("Authorization")
	}
}
