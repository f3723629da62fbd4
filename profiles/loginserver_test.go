package profiles

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// ResolveLoginServer is the one place a login's server is chosen, for the
// CLI and embedding hosts: problems come back typed (the host words the
// fix), and a server added for the login is taken out by cleanup, even
// once the login's context is cancelled.
func TestResolveLoginServer(t *testing.T) {
	f := newFakeAS(t)
	m := open(t, testApp(t))
	ctx := ctxT(t)
	problem := func(err error) LoginServerProblem {
		var e *LoginServerError
		if !errors.As(err, &e) {
			return 0
		}
		return e.Problem
	}
	if _, _, _, err := m.ResolveLoginServer(ctx, LoginTarget{}); problem(err) != NoServers {
		t.Errorf("no servers: %v", err)
	}
	if _, _, _, err := m.ResolveLoginServer(ctx, LoginTarget{Server: f.URL()}); problem(err) != UnknownIssuer {
		t.Errorf("issuer without client id: %v", err)
	}
	if _, _, _, err := m.ResolveLoginServer(ctx, LoginTarget{Server: "ftp://x"}); problem(err) != BadIssuerURL {
		t.Errorf("bad issuer URL: %v", err)
	}

	// An issuer URL seen for the first time: added, with this login's
	// params, and taken out by cleanup.
	lctx, cancel := context.WithCancel(ctx)
	s, added, cleanup, err := m.ResolveLoginServer(lctx, LoginTarget{Server: f.URL(), ClientID: "adhoc", Scopes: []string{"openid", "email"}, Params: []string{"audience=api"}})
	if err != nil || !added || s.TokenURL == "" || strings.Join(s.Scopes, " ") != "openid email" || strings.Join(s.Params, " ") != "audience=api" {
		t.Fatalf("ad hoc server: %+v added=%v %v", s, added, err)
	}
	cfg, _ := m.Load(ctx)
	if got, ok := cfg.Server(s.Name); !ok || strings.Join(got.Params, " ") != "audience=api" {
		t.Fatalf("ad hoc server not saved with its params: %+v %v", got, ok)
	}
	cancel() // the login was cancelled (Ctrl-C)
	cleanup()
	if cfg, _ = m.Load(ctx); len(cfg.Servers) != 0 {
		t.Fatalf("cleanup left %d server(s)", len(cfg.Servers))
	}

	// Configured servers: by name, or the only one; cleanup is a no-op.
	addFakeServer(t, m, f)
	s, added, cleanup, err = m.ResolveLoginServer(ctx, LoginTarget{Params: []string{"prompt=login"}})
	if err != nil || added || s.Name != "test" || strings.Join(s.Params, " ") != "prompt=login" {
		t.Fatalf("only server: %+v added=%v %v", s, added, err)
	}
	cleanup()
	if cfg, _ = m.Load(ctx); len(cfg.Servers) != 1 || len(cfg.Servers[0].Params) != 0 {
		t.Fatalf("a configured server was changed or removed: %+v", cfg.Servers)
	}
	var e *LoginServerError
	_, _, _, err = m.ResolveLoginServer(ctx, LoginTarget{Server: "nope"})
	if !errors.As(err, &e) || e.Problem != UnknownServer || e.Server != "nope" || e.ConfiguredList() != "test" {
		t.Errorf("unknown name: %+v", err)
	}
	if _, _, _, err := m.ResolveLoginServer(ctx, LoginTarget{Server: "test", ClientID: "other"}); problem(err) != OtherClientID {
		t.Errorf("other client id: %v", err)
	}
	if _, _, _, err := m.ResolveLoginServer(ctx, LoginTarget{Server: "test", ClientSecret: "s3cret"}); problem(err) != OtherClientSecret || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("other client secret: %v", err)
	}
	if _, _, _, err := m.ResolveLoginServer(ctx, LoginTarget{Params: []string{"noequals"}}); problem(err) != BadParams {
		t.Errorf("bad params: %v", err)
	}
	if _, err := m.AddServer(ctx, Server{Name: "two", Endpoints: f.endpoints(), ClientID: "c2"}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := m.ResolveLoginServer(ctx, LoginTarget{}); problem(err) != SeveralServers {
		t.Errorf("several servers: %v", err)
	}
}
