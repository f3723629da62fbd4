package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/authdeck/authdeck/internal/oidctest"
)

// TestLoginWebIssuerURLDefaultScopes: `login --web --server ISSUER
// --client-id X` with no --scopes against the real provider. Its metadata
// is OpenID Connect, so the scopes default to openid and offline_access
// (listed in scopes_supported): the provider accepts the nonce, the ID
// token is verified, and a refresh token comes with the login, so a
// refresh works afterwards.
func TestLoginWebIssuerURLDefaultScopes(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{})
	tab := e2eChromium(t)
	s := newSandbox(t)
	proc := s.startLogin(t, "--web", "--server", p.Issuer, "--client-id", p.WebClientID, "--json", "--no-browser", "--insecure-storage")
	bu := proc.next(t, "browser_url")
	if err := chromedp.Do(tab, providerSignIn(bu.str("url"), "alice")); err != nil {
		t.Fatalf("driving the provider's pages: %v\nstderr:\n%s", err, proc.stderr.String())
	}
	ok := proc.next(t, "success")
	if code := proc.wait(t); code != 0 || ok.str("profile") != "alice" {
		t.Fatalf("login --web: exit %d, success %v\n%s", code, ok, proc.stderr.String())
	}
	if !strings.Contains(proc.stderr.String(), "Scopes: openid profile email offline_access") {
		t.Errorf("the scopes in use are not shown:\n%s", proc.stderr.String())
	}
	before := s.token()
	after := s.token("--min-ttl", "100h") // expires within 100h: refreshed first
	if after == before || !p.Active(t, after) {
		t.Errorf("no refresh after the login (same token: %v)", after == before)
	}
}

// TestLoginDeviceIssuerURLDefaultScopes: the device flow gets the same
// default: openid (and offline_access) is requested and granted.
func TestLoginDeviceIssuerURLDefaultScopes(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{})
	s := newSandbox(t)
	events, _ := s.login(p, "--server", p.Issuer, "--client-id", p.ClientID)
	if sc := fmt.Sprint(events[0]["scopes"]); events[0].str("event") != "code" || sc != "[openid profile email offline_access]" {
		t.Errorf("code event %v: scopes %s, want [openid profile email offline_access]", events[0], sc)
	}
	lastEvent(t, events, "success")
	// offline_access was granted: the login has a refresh token.
	if st := s.ok("status", "--json"); !strings.Contains(st.stdout, `"has_refresh": true`) {
		t.Errorf("no refresh token after the login:\n%s", st.stdout)
	}
}
