package profiles

import (
	"context"
	"time"

	"github.com/authdeck/authdeck/auth"
	"golang.org/x/oauth2"
)

// Secret is what is kept under one key in the keyring or the file: a
// profile's tokens (key "profile:ID"), or a server's client secret (key
// "client:NAME", in ClientSecret alone). It is kept small, since Windows
// rejects keyring items over 2,560 bytes and macOS over about 3,000. The ID
// token is kept for the kubectl helper (a server's kube_token = "id_token"),
// which sends it as a bearer token; its claims are in the config too.
type Secret struct {
	// AccessToken is the profile's access token; "" in a client secret's
	// item.
	AccessToken string `json:"a,omitempty"`
	// RefreshToken is the refresh token; "" when the server gave none.
	RefreshToken string `json:"r,omitempty"`
	// TokenType is the token type the server gave, usually "Bearer".
	TokenType string `json:"t,omitempty"`
	// Expiry is when the access token expires; zero when the server did
	// not say, and such a token is taken to be always valid.
	Expiry time.Time `json:"e,omitzero"`
	// Obtained is when the access token was obtained (login or refresh), so
	// that Expiry-Obtained is its lifetime. Zero in secrets written before
	// it was kept.
	Obtained time.Time `json:"o,omitzero"`
	// IDToken is the last ID token the server gave (at login, or with a
	// refresh; a refresh that gives none keeps the previous one). Its
	// expiry is its own exp claim, not Expiry. "" when the server gave
	// none.
	IDToken string `json:"i,omitempty"`
	// ClientSecret is a server's client secret (under "client:NAME").
	ClientSecret string `json:"c,omitempty"`
}

// Lifetime is the access token's lifetime as issued (Expiry-Obtained), or 0
// when either is unknown.
func (s *Secret) Lifetime() time.Duration {
	if s.Expiry.IsZero() || s.Obtained.IsZero() || !s.Expiry.After(s.Obtained) {
		return 0
	}
	return s.Expiry.Sub(s.Obtained)
}

// Token converts the secret to an oauth2.Token.
func (s *Secret) Token() *oauth2.Token {
	return &oauth2.Token{AccessToken: s.AccessToken, RefreshToken: s.RefreshToken, TokenType: s.TokenType, Expiry: s.Expiry}
}

// SecretFromToken keeps the parts of t worth storing, its id_token among
// them.
func SecretFromToken(t *oauth2.Token) *Secret {
	return &Secret{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType, Expiry: t.Expiry, IDToken: auth.IDToken(t)}
}

// SecretStore keeps secrets by key. Implementations: the OS keyring (with a
// timeout on every call), credentials.json, and an in-memory store for
// tests. Get returns ErrNotFound for a missing key.
type SecretStore interface {
	// Get returns the secret under key, or an error wrapping ErrNotFound
	// when there is none.
	Get(ctx context.Context, key string) (*Secret, error)
	// Set stores s under key, replacing any secret there.
	Set(ctx context.Context, key string, s *Secret) error
	// Delete removes the secret under key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
}
