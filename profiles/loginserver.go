package profiles

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/textsafe"
)

// LoginTarget names the server a login is for, as a user gives it.
type LoginTarget struct {
	// Server is a configured server's name, or an issuer URL; "" means
	// the only configured server.
	Server string
	// ClientID is the client id for an issuer URL that no configured
	// server has; with a name it must match the server's.
	ClientID string
	// ClientSecret, when set, must be the server's (configured or
	// stored); with a new issuer URL it is stored with the new server.
	ClientSecret string
	// Scopes replace the server's for this login when set.
	Scopes []string
	// Params (KEY=VALUE) are added to the server's for this login, over
	// those of the same name, and saved with a server added for it.
	Params []string
}

// LoginServerProblem says why no server could be chosen for a login.
type LoginServerProblem int

// The problems of a LoginServerError.
const (
	NoServers         LoginServerProblem = iota + 1 // none is configured
	SeveralServers                                  // several are configured and none was named
	UnknownServer                                   // no server has the name given
	UnknownIssuer                                   // an issuer URL no server has, and no client id
	BadIssuerURL                                    // the issuer URL is not usable (Err says why)
	OtherClientID                                   // the named server has another client id
	OtherClientSecret                               // the named server has another client secret
	BadParams                                       // the extra parameters are not usable (Err says why)
)

// LoginServerError: the server of a login could not be chosen from a
// LoginTarget. Hosts add the flags and commands that fix it.
type LoginServerError struct {
	// Problem says what is wrong, for the host to word the fix.
	Problem LoginServerProblem
	// Server is the name or issuer URL given, control characters removed.
	Server string
	// Configured are the names of the configured servers.
	Configured []string
	// Err is the cause, for BadIssuerURL.
	Err error
}

// Error says what is wrong, without the host's command names.
func (e *LoginServerError) Error() string {
	switch e.Problem {
	case NoServers:
		return "no server is configured"
	case SeveralServers:
		return fmt.Sprintf("several servers are configured (%s)", e.ConfiguredList())
	case UnknownServer:
		return fmt.Sprintf("no server named %q (configured: %s)", e.Server, e.ConfiguredList())
	case UnknownIssuer:
		return fmt.Sprintf("no configured server has the issuer %s", e.Server)
	case BadIssuerURL:
		return fmt.Sprintf("%s: %v", e.Server, e.Err)
	case OtherClientID:
		return fmt.Sprintf("server %q is configured with another client id", e.Server)
	case OtherClientSecret:
		return fmt.Sprintf("server %q is configured with another client secret", e.Server)
	case BadParams:
		return fmt.Sprintf("parameters: %v", e.Err)
	}
	return "no server to log in to"
}

// Unwrap returns the cause.
func (e *LoginServerError) Unwrap() error { return e.Err }

// ConfiguredList is Configured joined by ", ", or "none".
func (e *LoginServerError) ConfiguredList() string {
	if len(e.Configured) == 0 {
		return "none"
	}
	return strings.Join(e.Configured, ", ")
}

// IsIssuerURL reports whether a login target's Server is an issuer URL
// rather than a server name.
func IsIssuerURL(s string) bool { return strings.Contains(s, "://") }

// ResolveLoginServer chooses the server a login is for: a configured one
// by name (or the only one), else the one with the issuer URL given, else
// a new one added by discovery (ServerForURL). A server written by hand
// with just an issuer is discovered and saved. The scopes of t replace
// the server's in the result, its params are merged over the server's.
//
// added is true when the server was added to the config for this login
// (an issuer URL seen for the first time). cleanup takes it out again:
// call it when the login fails (it is a no-op for a server that was
// there before, and runs even when ctx was cancelled). It is never nil.
// Problems with t are a *LoginServerError.
func (m *Manager) ResolveLoginServer(ctx context.Context, t LoginTarget) (s Server, added bool, cleanup func(), err error) {
	s, added, cleanup, err = m.resolveLoginServer(ctx, t)
	if err != nil || len(t.Params) == 0 {
		return s, added, cleanup, err
	}
	merged, err := MergeParams(s.Params, t.Params)
	if err != nil {
		cleanup()
		return s, false, func() {}, &LoginServerError{Problem: BadParams, Server: textsafe.Clean(s.Name), Err: err}
	}
	s.Params = merged
	if added {
		if err := m.saveServerParams(ctx, s.Name, merged); err != nil {
			cleanup()
			return s, false, func() {}, err
		}
	}
	return s, added, cleanup, nil
}

// saveServerParams records params on the configured server name, as it is
// in the config.
func (m *Manager) saveServerParams(ctx context.Context, name string, params []string) error {
	cfg, err := m.Load(ctx)
	if err != nil {
		return err
	}
	stored, ok := cfg.Server(name)
	if !ok {
		return fmt.Errorf("server %q vanished from the config during the login; run the login again", textsafe.Clean(name))
	}
	stored.Params = params
	_, err = m.AddServer(ctx, stored)
	return err
}

func (m *Manager) resolveLoginServer(ctx context.Context, t LoginTarget) (s Server, created bool, cleanup func(), err error) {
	cleanup = func() {}
	cfg, err := m.Load(ctx)
	if err != nil {
		return s, false, cleanup, err
	}
	lse := func(p LoginServerProblem, name string) *LoginServerError {
		names := make([]string, len(cfg.Servers))
		for i, s := range cfg.Servers {
			names[i] = textsafe.Clean(s.Name)
		}
		return &LoginServerError{Problem: p, Server: textsafe.Clean(name), Configured: names}
	}
	if IsIssuerURL(t.Server) {
		issuer := strings.TrimSpace(t.Server)
		if err := auth.CheckURL(issuer); err != nil {
			e := lse(BadIssuerURL, issuer)
			e.Err = err
			return s, false, cleanup, e
		}
		if t.ClientID == "" && !hasIssuer(cfg, issuer) {
			return s, false, cleanup, lse(UnknownIssuer, issuer)
		}
		if s, err = m.ServerForURL(ctx, issuer, t.ClientID, t.ClientSecret, t.Scopes); err != nil {
			return s, false, cleanup, err
		}
		_, existed := cfg.Server(s.Name)
		created = !existed
	} else {
		switch {
		case t.Server != "":
			var found bool
			if s, found = cfg.Server(t.Server); !found {
				return s, false, cleanup, lse(UnknownServer, t.Server)
			}
		case len(cfg.Servers) == 1:
			s = cfg.Servers[0]
		case len(cfg.Servers) == 0:
			return s, false, cleanup, lse(NoServers, "")
		default:
			return s, false, cleanup, lse(SeveralServers, "")
		}
		if t.ClientID != "" && t.ClientID != s.ClientID {
			return s, false, cleanup, lse(OtherClientID, s.Name)
		}
		if t.ClientSecret != "" {
			have, err := m.ClientSecret(ctx, s) // kept in the secret store
			if err != nil && s.HasClientSecret() {
				return s, false, cleanup, err
			}
			if t.ClientSecret == have {
				s.ClientSecret = t.ClientSecret
			}
		}
		if t.ClientSecret != "" && t.ClientSecret != s.ClientSecret {
			return s, false, cleanup, lse(OtherClientSecret, s.Name)
		}
	}
	if created {
		name := s.Name
		cleanup = func() { m.forgetServer(ctx, name) }
	}
	if s.Issuer != "" && s.TokenURL == "" {
		// Written by hand in config.toml with just an issuer and a
		// client id: its endpoints are discovered and saved.
		got, err := m.AddServer(ctx, s)
		if err != nil {
			cleanup()
			return s, false, func() {}, err // AddServer names the server and what it was discovering
		}
		s = got
	}
	if len(t.Scopes) > 0 {
		s.Scopes = t.Scopes
	}
	return s, created, cleanup, nil
}

// forgetServer removes a server a login added, when the login did not
// succeed. It runs even when ctx was cancelled (Ctrl-C).
func (m *Manager) forgetServer(ctx context.Context, name string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = m.RemoveServer(ctx, name)
}

// hasIssuer reports whether a configured server has this issuer.
func hasIssuer(cfg *Config, issuer string) bool {
	norm := strings.TrimRight(issuer, "/")
	for _, s := range cfg.Servers {
		if s.Issuer != "" && strings.TrimRight(s.Issuer, "/") == norm {
			return true
		}
	}
	return false
}
