package profiles

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// RegistryHost is the host (and port) of a container registry address as
// docker names it: "ghcr.io", "127.0.0.1:5000", "https://index.docker.io/v1/"
// (Docker Hub, whose host is then "index.docker.io"). It is lower-cased,
// without scheme or path. ok is false for an address with no usable host.
func RegistryHost(addr string) (host string, ok bool) {
	s := strings.TrimSpace(addr)
	if i := strings.Index(s, "://"); i >= 0 {
		u, err := url.Parse(s)
		if err != nil {
			return "", false
		}
		s = u.Host
	} else if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	s = strings.ToLower(s)
	if s == "" || strings.ContainsAny(s, " \t\r\n@?#\\") || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", false
	}
	if h, port, err := net.SplitHostPort(s); err == nil && (h == "" || port == "") {
		return "", false
	}
	return s, true
}

// validateRegistries checks the profiles' docker_registries: hosts as
// RegistryHost writes them, each in one profile.
func (c *Config) validateRegistries() error {
	owner := map[string]string{}
	for i, p := range c.Profiles {
		for _, h := range p.DockerRegistries {
			if n, ok := RegistryHost(h); !ok || n != h {
				return fieldErr("profiles", i, "docker_registries", "profile %q: docker_registries has %q, which is not a registry host; write the host alone, like \"ghcr.io\" or \"registry.example.com:5000\"", p.Name, h)
			}
			if o, dup := owner[h]; dup {
				return fieldErr("profiles", i, "docker_registries", "registry %q is in the docker_registries of both profile %q and profile %q; keep it in one", h, o, p.Name)
			}
			owner[h] = p.Name
		}
	}
	return nil
}

// RegistryProfile is the name of the profile whose docker_registries has
// the registry at addr, or "" when none has.
func (c *Config) RegistryProfile(addr string) string {
	host, ok := RegistryHost(addr)
	if !ok {
		return ""
	}
	for _, p := range c.Profiles {
		for _, h := range p.DockerRegistries {
			if h == host {
				return p.Name
			}
		}
	}
	return ""
}

// MapRegistry makes the docker credential helper answer for the registry
// at addr with profile's token: the host goes into the profile's
// docker_registries, and out of any other profile's. It returns the host
// as stored.
func (m *Manager) MapRegistry(ctx context.Context, addr, profile string) (string, error) {
	host, ok := RegistryHost(addr)
	if !ok {
		return "", fmt.Errorf("%q is not a registry host; give it like ghcr.io or registry.example.com:5000", addr)
	}
	err := m.Update(ctx, func(cfg *Config) error {
		if _, ok := cfg.Profile(profile); !ok {
			return unknownProfile(cfg, profile)
		}
		for i := range cfg.Profiles {
			p := &cfg.Profiles[i]
			p.DockerRegistries = without(p.DockerRegistries, host)
			if p.Name == profile {
				p.DockerRegistries = append(p.DockerRegistries, host)
			}
		}
		return nil
	})
	return host, err
}

// UnmapRegistry removes the registry at addr from every profile's
// docker_registries. It returns the name of the profile that had it, ""
// when none had (and then nothing is written).
func (m *Manager) UnmapRegistry(ctx context.Context, addr string) (string, error) {
	host, ok := RegistryHost(addr)
	if !ok {
		return "", nil
	}
	cfg, err := m.Load(ctx)
	if err != nil || cfg.RegistryProfile(host) == "" {
		return "", err
	}
	var had string
	err = m.Update(ctx, func(cfg *Config) error {
		for i := range cfg.Profiles {
			p := &cfg.Profiles[i]
			if n := without(p.DockerRegistries, host); len(n) != len(p.DockerRegistries) {
				had, p.DockerRegistries = p.Name, n
			}
		}
		return nil
	})
	return had, err
}

// without is hosts less host (nil when empty).
func without(hosts []string, host string) []string {
	var out []string
	for _, h := range hosts {
		if h != host {
			out = append(out, h)
		}
	}
	return out
}
