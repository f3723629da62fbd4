package cmd

import (
	"context"
	"strings"
	"testing"
)

// TestServersAddPreset: --preset fills in a provider's endpoints, and the
// flags that cannot go with it are refused with a message naming them.
func TestServersAddPreset(t *testing.T) {
	e := newTestEnv(t, nil)
	if code := e.run("servers add acme --preset okta --domain acme.okta.com --client-id 0oa1b2 --env-var ACME_TOKEN"); code != 0 {
		t.Fatalf("servers add --preset okta: exit %d\n%s", code, e.outputs())
	}
	cfg, err := e.manager(t).Load(context.Background())
	if err != nil || len(cfg.Servers) != 1 {
		t.Fatalf("servers = %+v, %v", cfg.Servers, err)
	}
	s := cfg.Servers[0]
	if s.Name != "acme" || s.Preset != "okta" || s.EnvVar != "ACME_TOKEN" || s.ClientID != "0oa1b2" ||
		s.DeviceAuthURL != "https://acme.okta.com/oauth2/default/v1/device/authorize" ||
		s.TokenURL != "https://acme.okta.com/oauth2/default/v1/token" {
		t.Errorf("okta preset server = %+v", s)
	}

	e = newTestEnv(t, nil)
	if code := e.run("servers add entra --preset microsoft --tenant contoso.onmicrosoft.com --client-id c"); code != 0 {
		t.Fatalf("servers add --preset microsoft: exit %d\n%s", code, e.outputs())
	}
	cfg, _ = e.manager(t).Load(context.Background())
	if got := cfg.Servers[0].DeviceAuthURL; got != "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode" {
		t.Errorf("microsoft device URL = %q", got)
	}

	for _, tc := range []struct{ args, want string }{
		{"servers add x --preset okta --client-id c", "--domain"},
		{"servers add x --preset nope --client-id c", "unknown preset"},
		{"servers add x --preset okta --domain a.okta.com --issuer https://a --client-id c", "drop --issuer"},
		{"servers add x --issuer https://a --tenant t --client-id c", "go with --preset"},
		{"servers add x --preset google --client-id c", "secret"},
	} {
		e := newTestEnv(t, nil)
		if code := e.run(tc.args); code != ExitError || !strings.Contains(e.err.String(), tc.want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", tc.args, code, e.err.String(), tc.want)
		}
	}
}
