package tui

import (
	"strings"
	"testing"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/profiles"
)

// TestCheckKeyShowsEachLoginsState: the token column says when a token
// expires, not "valid"; c asks the servers (as a command) and each row
// then shows what its server said, the selected row's reason in the footer.
func TestCheckKeyShowsEachLoginsState(t *testing.T) {
	fx := newFixture(3)
	fx.ps.checks = map[string]profiles.CheckResult{
		fx.ps.statuses[0].Name: {State: profiles.CheckRevoked, Detail: "server error invalid_token: invalid token provided"},
		fx.ps.statuses[1].Name: {State: profiles.CheckUnreachable, Detail: "dial tcp 127.0.0.1:9: connect: connection refused"},
	}
	m := startModel(t, fx, Options{}, 120, 24)
	v := m.View()
	if strings.Contains(v, "valid") || !strings.Contains(v, "! expires in 1m") {
		t.Fatalf("before the check the token column should say when it expires:\n%s", v)
	}
	m, _ = settle(t, m, press("c"))
	v = m.View()
	for _, want := range []string{"✗ revoked", "! unreachable", "✓ valid (checked)", "Checked with the servers: 1 valid, 1 revoked, 1 unreachable.",
		"revoked: server error invalid_token: invalid token provided"} {
		if !strings.Contains(v, want) {
			t.Errorf("after c the view lacks %q:\n%s", want, v)
		}
	}
}

// TestWhoamiErrorWrapsByWordsBeforeTheNote: an invalid token's error is
// wrapped at word boundaries, and a profile's note comes after it, faint,
// on one line.
func TestWhoamiErrorWrapsByWordsBeforeTheNote(t *testing.T) {
	fx := newFixture(1)
	fx.ps.statuses[0].Note = "credentials.json is readable by other users (mode 0644); run chmod 600 on it, or log in again to fix it for good"
	fx.ps.errs = map[string]error{"WhoAmI": &auth.OAuthError{Code: "invalid_token", Description: "the server rejected the access token; run authdeck login --profile user000 again"}}
	m := startModel(t, fx, Options{}, 40, 24)
	m, _ = settle(t, m, press("w"))
	lines := strings.Split(m.whoami.view(), "\n")
	want := []string{
		"✗ Could not read the identity of user000:",
		"server error invalid_token: the server",
		"rejected the access token; run",
		"authdeck login --profile user000 again",
		"",
		"Note: credentials.json is readable by…",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("whoami error screen:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}
