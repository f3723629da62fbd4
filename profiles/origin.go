package profiles

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/authdeck/authdeck/auth"
)

// Origin is a URL's scheme, host and port; see auth.Origin.
type Origin = auth.Origin

// OriginOf is the origin of u; see auth.OriginOf.
func OriginOf(u *url.URL) Origin { return auth.OriginOf(u) }

// ParseOrigin reads an origin as --api-host, --allow-host and the api_hosts
// key take it: "host", "host:port" (https), or "https://host[:port]", or
// "http://host[:port]" for a loopback host only. A trailing "/" is allowed;
// a path, query, user or wildcard is not.
func ParseOrigin(s string) (Origin, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return Origin{}, errors.New("an empty host; give HOST[:PORT] or https://HOST[:PORT]")
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return Origin{}, fmt.Errorf("%q is not a host: give HOST[:PORT] or https://HOST[:PORT]", s)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return Origin{}, fmt.Errorf("%q: only https:// (or http:// on loopback) origins can be allowed", s)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(u.Host, "*?") {
		return Origin{}, fmt.Errorf("%q: give the origin alone (HOST[:PORT] or https://HOST[:PORT]), without a path, user, query or wildcard", s)
	}
	if err := auth.CheckURL(u.Scheme + "://" + u.Host); err != nil {
		return Origin{}, fmt.Errorf("%q: %w", s, err)
	}
	return OriginOf(u), nil
}

// Origins are the origins the server's tokens may be sent to (by `api`,
// Kit.HTTPClient, whoami): the issuer's, the userinfo endpoint's, and each
// of APIHosts. Entries that do not parse are left out (the config's
// validation refuses them).
func (s Server) Origins() []Origin {
	var out []Origin
	add := func(o Origin) {
		if o.Host == "" {
			return
		}
		for _, have := range out {
			if have == o {
				return
			}
		}
		out = append(out, o)
	}
	for _, raw := range []string{s.Issuer, s.UserInfoURL} {
		if raw == "" {
			continue
		}
		if u, err := url.Parse(raw); err == nil {
			add(OriginOf(u))
		}
	}
	for _, h := range s.APIHosts {
		if o, err := ParseOrigin(h); err == nil {
			add(o)
		}
	}
	return out
}

// AllowsOrigin reports whether the server's tokens may be sent to u: its
// origin (scheme, host and port exactly) is one of Origins.
func (s Server) AllowsOrigin(u *url.URL) bool {
	o := OriginOf(u)
	if o.Host == "" {
		return false
	}
	for _, have := range s.Origins() {
		if have == o {
			return true
		}
	}
	return false
}

// canonicalAPIHosts checks hosts and writes each in its Flag form, without
// duplicates.
func canonicalAPIHosts(name string, hosts []string) ([]string, error) {
	var out []string
	seen := map[Origin]bool{}
	for _, h := range hosts {
		o, err := ParseOrigin(h)
		if err != nil {
			return nil, fmt.Errorf("server %q: API host %v", name, err)
		}
		if !seen[o] {
			seen[o] = true
			out = append(out, o.Flag())
		}
	}
	return out, nil
}
