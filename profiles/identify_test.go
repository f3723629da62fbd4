package profiles

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"golang.org/x/oauth2"
)

// withIDToken returns tok carrying an (unsigned) ID token with claims.
func withIDToken(tok *oauth2.Token, claims string) *oauth2.Token {
	enc := base64.RawURLEncoding.EncodeToString
	raw := enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(claims)) + ".sig"
	return tok.WithExtra(map[string]any{"id_token": raw})
}

// Identify is the one rule for whom a fresh token belongs to, used by the
// CLI and the TUI alike: userinfo first, then the ID token's claims; a
// server without userinfo is no warning, a failure of both is.
func TestIdentify(t *testing.T) {
	f := newFakeAS(t)
	m := open(t, testApp(t))
	ctx := ctxT(t)
	s := addFakeServer(t, m, f)
	bobClaims := `{"sub":"sub-bob","preferred_username":"bob"}`

	// userinfo answers.
	id, err := Identify(ctx, m.Client(s), f.issue(time.Now().Add(time.Hour)))
	if err != nil || id.Username != "alice" || id.Subject != "sub-alice" {
		t.Errorf("userinfo: %+v %v", id, err)
	}
	// userinfo refuses the token: the ID token's claims, with the refusal
	// kept as no error since the claims told.
	bad := withIDToken(&oauth2.Token{AccessToken: "not-issued"}, bobClaims)
	if id, err = Identify(ctx, m.Client(s), bad); err != nil || id.Username != "bob" {
		t.Errorf("userinfo refused, ID token: %+v %v", id, err)
	}
	// No userinfo endpoint: the ID token, no warning.
	noUI := s
	noUI.UserInfoURL = ""
	if id, err = Identify(ctx, m.Client(noUI), withIDToken(&oauth2.Token{AccessToken: "x"}, bobClaims)); err != nil || id.Username != "bob" {
		t.Errorf("no userinfo, ID token: %+v %v", id, err)
	}
	// No userinfo endpoint and no ID token: an unknown account, no warning.
	if id, err = Identify(ctx, m.Client(noUI), &oauth2.Token{AccessToken: "x"}); err != nil || id == nil || id.Display() != "" {
		t.Errorf("nothing to go by: %+v %v", id, err)
	}
	// No reader at all (a TUI without a protocol client).
	if id, err = Identify(ctx, nil, withIDToken(&oauth2.Token{AccessToken: "x"}, bobClaims)); err != nil || id.Username != "bob" {
		t.Errorf("nil reader: %+v %v", id, err)
	}
	// Both fail: an empty identity and the userinfo error as a warning.
	id, err = Identify(ctx, m.Client(s), withIDToken(&oauth2.Token{AccessToken: "not-issued"}, "not json"))
	var oe *auth.OAuthError
	if id == nil || id.Display() != "" || !errors.As(err, &oe) {
		t.Errorf("both failed: %+v %v, want an empty identity and the userinfo error", id, err)
	}
}
