package profiles

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/authdeck/authdeck/auth"
)

// validEnvVar: a portable environment variable name.
func validEnvVar(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '_' {
			return false
		}
	}
	return true
}

// Values of Server.KubeToken.
const (
	KubeAccessToken = "access_token"
	KubeIDToken     = "id_token"
)

// checkHelperSettings checks the credential helpers' settings of s
// (kube_token, git_username); key is the config key at fault.
func checkHelperSettings(s Server) (key string, err error) {
	switch s.KubeToken {
	case "", KubeAccessToken, KubeIDToken:
	default:
		return "kube_token", fmt.Errorf("kube_token is %q; use %q or %q", s.KubeToken, KubeAccessToken, KubeIDToken)
	}
	if s.GitUsername != "" && (len(s.GitUsername) > 256 || strings.IndexFunc(s.GitUsername, func(r rune) bool { return r <= ' ' || r == 0x7f || r == ':' }) >= 0) {
		return "git_username", fmt.Errorf("git_username %q has a space, colon or control character (or is over 256 bytes); use a plain user name", s.GitUsername)
	}
	return "", nil
}

// KubeIDTokenWanted reports whether kubectl gets s's ID token.
func (s Server) KubeIDTokenWanted() bool { return s.KubeToken == KubeIDToken }

// AddServer adds or replaces a server (profiles referring to it by name
// keep working). It checks the name, requires a client id, and refuses
// plain-HTTP URLs except on loopback. With an Issuer and no TokenURL, the
// endpoints are discovered first (explicit ones win) and Discovered is set;
// a server without Scopes then gets the discovered default
// (auth.Metadata.DefaultScopes: openid, plus offline_access when the
// server lists it, for an OpenID Connect server).
//
// A ClientSecret is kept in the secret store under "client:NAME" (the
// keyring, or credentials.json when settings.storage is "file" or the
// keyring fails), never in the config; the returned Server's
// ClientSecretStorage says where. A Server without ClientSecret replaces
// the old one's secret too (it is deleted), unless it carries the old
// ClientSecretStorage, as a Server read from the config does.
func (m *Manager) AddServer(ctx context.Context, s Server) (Server, error) {
	if err := ValidateName("server", s.Name); err != nil {
		return Server{}, err
	}
	s.ClientID = strings.TrimSpace(s.ClientID)
	if s.ClientID == "" {
		return Server{}, fmt.Errorf("server %q: a client id is required; register an application with the provider to get one", s.Name)
	}
	if s.EnvVar != "" && !validEnvVar(s.EnvVar) {
		return Server{}, fmt.Errorf("server %q: %q is not an environment variable name (letters, digits and _)", s.Name, s.EnvVar)
	}
	if _, err := auth.ParseParams(s.Params); err != nil {
		return Server{}, fmt.Errorf("server %q: %w", s.Name, err)
	}
	if _, err := checkHelperSettings(s); err != nil {
		return Server{}, fmt.Errorf("server %q: %w", s.Name, err)
	}
	s.Issuer = strings.TrimSpace(s.Issuer)
	hosts, err := canonicalAPIHosts(s.Name, s.APIHosts)
	if err != nil {
		return Server{}, err
	}
	s.APIHosts = hosts
	if err := checkEndpoints(s.Name, s.Endpoints); err != nil {
		return Server{}, err
	}
	if s.Issuer == "" && s.TokenURL == "" {
		return Server{}, fmt.Errorf("server %q: give an issuer (its endpoints are then discovered) or at least the token URL", s.Name)
	}
	if s.Issuer != "" && s.TokenURL == "" {
		md, err := auth.DiscoverMetadata(ctx, m.hc, s.Issuer)
		if err != nil {
			return Server{}, fmt.Errorf("server %q: discovering the endpoints of %s: %w", s.Name, s.Issuer, err)
		}
		s.Endpoints = mergeEndpoints(s.Endpoints, md.Endpoints)
		if len(s.Scopes) == 0 {
			// OpenID Connect: openid (and offline_access, for refresh)
			s.Scopes = md.DefaultScopes()
		}
		s.Discovered = m.now().UTC().Truncate(time.Second)
		if err := checkEndpoints(s.Name, s.Endpoints); err != nil {
			return Server{}, err
		}
		if s.TokenURL == "" {
			return Server{}, fmt.Errorf("server %q: the metadata of %s names no token endpoint", s.Name, s.Issuer)
		}
	}
	if s.ClientSecret != "" {
		s.ClientSecretStorage = StorageNone // stored afresh by Update
	}
	err = m.Update(ctx, func(cfg *Config) error {
		i := cfg.server(s.Name)
		if s.ClientSecret == "" && s.ClientSecretStorage != StorageNone && (i < 0 || cfg.Servers[i].ClientSecretStorage != s.ClientSecretStorage) {
			return fmt.Errorf("server %q: no client secret is stored for it; give the secret again", s.Name)
		}
		if i >= 0 {
			cfg.Servers[i] = s
		} else {
			cfg.Servers = append(cfg.Servers, s)
		}
		return nil
	})
	if err != nil {
		return Server{}, err
	}
	if cfg, err := m.Load(ctx); err == nil {
		if got, ok := cfg.Server(s.Name); ok {
			s.ClientSecretStorage = got.ClientSecretStorage
		}
	}
	m.log.Debug("server saved", "server", s.Name, "issuer", s.Issuer, "discovered", !s.Discovered.IsZero())
	return s, nil
}

// mergeEndpoints fills the empty fields of have from found.
func mergeEndpoints(have, found auth.Endpoints) auth.Endpoints {
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&have.Issuer, found.Issuer)
	fill(&have.AuthURL, found.AuthURL)
	fill(&have.DeviceAuthURL, found.DeviceAuthURL)
	fill(&have.TokenURL, found.TokenURL)
	fill(&have.RevocationURL, found.RevocationURL)
	fill(&have.UserInfoURL, found.UserInfoURL)
	fill(&have.IntrospectionURL, found.IntrospectionURL)
	return have
}

func checkEndpoints(name string, e auth.Endpoints) error {
	for _, f := range []struct{ what, v string }{
		{"issuer", e.Issuer},
		{"authorization URL", e.AuthURL},
		{"device authorization URL", e.DeviceAuthURL},
		{"token URL", e.TokenURL},
		{"revocation URL", e.RevocationURL},
		{"userinfo URL", e.UserInfoURL},
		{"introspection URL", e.IntrospectionURL},
	} {
		if f.v == "" {
			continue
		}
		if err := auth.CheckURL(f.v); err != nil {
			return fmt.Errorf("server %q: the %s %q: %w", name, f.what, f.v, err)
		}
	}
	return nil
}

// RemoveServer removes a server and its client secret; it refuses while
// profiles use it, naming them. The client secret is deleted first; if
// that fails the server is kept.
func (m *Manager) RemoveServer(ctx context.Context, name string) error {
	cfg, err := m.Load(ctx)
	if err != nil {
		return err
	}
	if i := cfg.server(name); i >= 0 && !serverInUse(cfg, name) {
		if st := cfg.Servers[i].ClientSecretStorage; st != StorageNone {
			if err := m.store(st).Delete(ctx, clientKey(name)); err != nil {
				return fmt.Errorf("could not delete the client secret of server %q from %s, so the server was kept: %w", name, m.where(st), err)
			}
		}
	}
	return m.Update(ctx, func(cfg *Config) error {
		i := cfg.server(name)
		if i < 0 {
			return fmt.Errorf("no server named %q", name)
		}
		var users []string
		for _, p := range cfg.Profiles {
			if p.Server == name {
				users = append(users, p.Name)
			}
		}
		if len(users) > 0 {
			sort.Strings(users)
			return fmt.Errorf("server %q is used by profile(s) %s; remove them first%s", name, strings.Join(users, ", "), suggest(" with ", m.cmdq("profiles rm", "NAME")))
		}
		cfg.Servers = append(cfg.Servers[:i], cfg.Servers[i+1:]...)
		return nil
	})
}

// ServerForURL returns the configured server with this issuer (and this
// client id, when one is given), or creates one by discovery, named after
// the issuer's host ("example.com", "example.com-2" if taken).
func (m *Manager) ServerForURL(ctx context.Context, issuer, clientID, clientSecret string, scopes []string) (Server, error) {
	issuer = strings.TrimSpace(issuer)
	if err := auth.CheckURL(issuer); err != nil {
		return Server{}, fmt.Errorf("server URL %q: %w", issuer, err)
	}
	cfg, err := m.Load(ctx)
	if err != nil {
		return Server{}, err
	}
	norm := strings.TrimRight(issuer, "/")
	for _, s := range cfg.Servers {
		if s.Issuer != "" && strings.TrimRight(s.Issuer, "/") == norm && (clientID == "" || s.ClientID == clientID) {
			return s, nil
		}
	}
	if clientID == "" {
		return Server{}, fmt.Errorf("no configured server has the issuer %s; give a client id to add one", issuer)
	}
	u, err := url.Parse(issuer)
	if err != nil {
		return Server{}, err
	}
	base := sanitizeName(u.Hostname())
	if p := u.Port(); p != "" && net.ParseIP(u.Hostname()) != nil {
		base += "-" + p
	}
	if base == "" {
		base = "server"
	}
	name := base
	for i := 2; cfg.server(name) >= 0; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	return m.AddServer(ctx, Server{
		Name:         name,
		Endpoints:    auth.Endpoints{Issuer: issuer},
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Scopes:       scopes,
	})
}

func serverInUse(cfg *Config, name string) bool {
	for _, p := range cfg.Profiles {
		if p.Server == name {
			return true
		}
	}
	return false
}

// Client returns the protocol client for a server, using App.HTTPClient.
// A client secret kept in the secret store is read when a request first
// needs it (device authorization, token, revocation), not before.
func (m *Manager) Client(s Server) *auth.Client {
	c := &auth.Client{
		HTTP:         m.hc,
		ClientID:     s.ClientID,
		ClientSecret: s.ClientSecret,
		Scopes:       s.Scopes,
		Endpoints:    s.Endpoints,
	}
	if params, err := auth.ParseParams(s.Params); err == nil && len(params) > 0 {
		c.Params = params // (checked when the config was read)
	}
	if s.ClientSecret == "" && s.ClientSecretStorage != StorageNone {
		var (
			mu     sync.Mutex
			secret string
		)
		c.ClientSecretFunc = func(ctx context.Context) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			if secret != "" {
				return secret, nil
			}
			v, err := m.ClientSecret(ctx, s)
			if err != nil {
				return "", err
			}
			secret = v
			return v, nil
		}
	}
	return c
}

// ClientSecret returns the server's client secret: s.ClientSecret when set,
// else the one in the secret store, else "" (a public client).
func (m *Manager) ClientSecret(ctx context.Context, s Server) (string, error) {
	if s.ClientSecret != "" || s.ClientSecretStorage == StorageNone {
		return s.ClientSecret, nil
	}
	sec, err := m.store(s.ClientSecretStorage).Get(ctx, clientKey(s.Name))
	where := m.where(s.ClientSecretStorage)
	switch {
	case errors.Is(err, ErrNotFound) || err == nil && sec.ClientSecret == "":
		return "", fmt.Errorf("the client secret of server %q is missing from %s; add the server again%s", s.Name, where, suggest(" with ", m.cmdq("servers add", s.Name+" ... --client-secret-file PATH")))
	case err != nil:
		return "", fmt.Errorf("reading the client secret of server %q from %s: %w", s.Name, where, err)
	}
	return sec.ClientSecret, nil
}
