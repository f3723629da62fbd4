package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/authdeck/authdeck/internal/textsafe"
)

// ErrIDToken: the server's ID token failed verification (signature,
// algorithm, issuer, audience, expiry or nonce). The sign-in is stopped:
// nothing from that answer is kept.
var ErrIDToken = errors.New("the server's ID token could not be verified")

// idTokenAlgs are the signing algorithms an ID token may use when the
// issuer's metadata does not narrow them: the asymmetric ones go-oidc
// verifies. Never "none"; never HMAC (its key would be the client
// secret, which a public client does not have).
var idTokenAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512,
	oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512,
	oidc.EdDSA,
}

// maxJWKs bounds the keys read from a JSON Web Key Set.
const maxJWKs = 100

// VerifyIDToken verifies an ID token the token endpoint sent (OpenID
// Connect Core §3.1.3.7): its signature against the issuer's published
// keys (jwks_uri from the issuer's metadata), with an algorithm the
// metadata allows (id_token_signing_alg_values_supported; "none" and HMAC
// are refused whatever it says), its issuer, its audience (the client ID),
// its expiry, and, when nonce is not empty, its nonce. It returns the
// token's claims.
//
// The metadata and the keys are fetched with c's HTTP client, under its
// timeout, body cap and HTTPS rule. Every failure wraps ErrIDToken, in one
// line that says what is wrong.
func (c *Client) VerifyIDToken(ctx context.Context, raw, nonce string) (map[string]any, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s; the sign-in was stopped", ErrIDToken, fmt.Sprintf(format, args...))
	}
	if alg, ok := jwsAlg(raw); !ok {
		return nil, fail("it is not a signed JWT")
	} else if strings.EqualFold(alg, "none") {
		return nil, fail(`it is unsigned ("alg": "none"), which is never accepted`)
	}
	issuer := c.Endpoints.Issuer
	if issuer == "" {
		return nil, fail("no issuer is configured for this server, so there are no published keys to check it with; configure the server with its issuer URL")
	}
	md, err := c.discover(ctx, issuer)
	if err != nil {
		return nil, fail("reading the issuer's metadata: %v", err)
	}
	if md.JWKSURL == "" {
		return nil, fail("the issuer's metadata has no jwks_uri, so there are no published keys to check it with")
	}
	algs := idTokenAlgs
	if len(md.IDTokenAlgs) > 0 {
		algs = nil
		for _, a := range md.IDTokenAlgs {
			if slices.Contains(idTokenAlgs, a) {
				algs = append(algs, a)
			}
		}
		if len(algs) == 0 {
			return nil, fail("the issuer allows no usable signing algorithm (it lists %s)", textsafe.Clean(strings.Join(md.IDTokenAlgs, ", ")))
		}
	}
	keys, err := c.fetchKeys(ctx, md.JWKSURL)
	if err != nil {
		return nil, fail("reading the issuer's keys: %v", err)
	}
	v := oidc.NewVerifier(md.Issuer, &oidc.StaticKeySet{PublicKeys: keys}, &oidc.Config{
		ClientID:             c.ClientID,
		SupportedSigningAlgs: algs,
		Now:                  c.now,
	})
	tok, err := v.Verify(ctx, raw)
	if err != nil {
		var te *oidc.TokenExpiredError
		if errors.As(err, &te) {
			return nil, fail("it expired at %s (is this computer's clock right?)", te.Expiry.UTC().Format("2006-01-02 15:04:05Z"))
		}
		return nil, fail("%s", textsafe.Clean(strings.TrimPrefix(err.Error(), "oidc: ")))
	}
	if nonce != "" && subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(nonce)) != 1 {
		return nil, fail("it does not carry this sign-in's nonce (possible replay)")
	}
	claims, err := jwtClaims(raw) // the payload just verified
	if err != nil {
		return nil, fail("%v", err)
	}
	return claims, nil
}

// verifyTokenIDToken verifies the ID token that came with tok, if any.
func (c *Client) verifyTokenIDToken(ctx context.Context, tok *oauth2.Token, nonce string) (map[string]any, error) {
	raw := IDToken(tok)
	if raw == "" {
		return nil, nil
	}
	return c.VerifyIDToken(ctx, raw, nonce)
}

// jwsAlg reads the alg of a compact JWS's header.
func jwsAlg(raw string) (string, bool) {
	head, _, ok := strings.Cut(raw, ".")
	if !ok || strings.Count(raw, ".") != 2 {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return "", false
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(b, &h) != nil || h.Alg == "" {
		return "", false
	}
	return h.Alg, true
}

// fetchKeys reads a JSON Web Key Set: its public signing keys. Keys of a
// type go-jose does not know, and encryption keys, are skipped.
func (c *Client) fetchKeys(ctx context.Context, jwksURL string) ([]crypto.PublicKey, error) {
	r, err := c.get(ctx, jwksURL, "")
	if err != nil {
		return nil, err
	}
	if r.Status != 200 {
		return nil, fmt.Errorf("%s: HTTP %d", r.URL, r.Status)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(r.Body, &set); err != nil {
		return nil, fmt.Errorf("%s: not a JSON Web Key Set", r.URL)
	}
	var keys []crypto.PublicKey
	for _, b := range set.Keys[:min(len(set.Keys), maxJWKs)] {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(b); err != nil || k.Use == "enc" {
			continue
		}
		pub := k.Public()
		if !pub.Valid() {
			continue
		}
		switch pub.Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
			keys = append(keys, pub.Key)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no usable signing key", r.URL)
	}
	return keys, nil
}
