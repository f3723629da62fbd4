package authtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// IDTokenMode selects how the server signs the ID tokens it issues.
type IDTokenMode int

// ID token modes.
const (
	// SignedIDToken signs with the server's ES256 key, published at
	// PathJWKS (the default).
	SignedIDToken IDTokenMode = iota
	// UnsignedIDToken sends "alg": "none" tokens with no signature: a
	// client that checks signatures must refuse them.
	UnsignedIDToken
	// WrongKeyIDToken signs with another ES256 key under the published
	// key's kid: the signature does not verify against the JWKS.
	WrongKeyIDToken
)

// Signer signs JWTs with an ephemeral ES256 key and publishes the public
// half as a JSON Web Key Set.
type Signer struct {
	key *ecdsa.PrivateKey
	kid string
}

// NewSigner makes a Signer with a fresh P-256 key.
func NewSigner() *Signer {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(fmt.Sprintf("authtest: generating a key: %v", err)) // crypto/rand does not fail
	}
	b := make([]byte, 6)
	rand.Read(b)
	return &Signer{key: key, kid: "k-" + base64.RawURLEncoding.EncodeToString(b)}
}

// Sign returns claims as a compact JWS signed with ES256 under the kid.
func (s *Signer) Sign(claims map[string]any) string {
	return s.signAs(s.key, claims)
}

// SignWithOtherKey signs with a key that is not published, under the
// published kid.
func (s *Signer) SignWithOtherKey(claims map[string]any) string {
	other := NewSigner()
	return s.signAs(other.key, claims)
}

func (s *Signer) signAs(key *ecdsa.PrivateKey, claims map[string]any) string {
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", s.kid))
	if err != nil {
		panic(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := sig.Sign(payload)
	if err != nil {
		panic(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return out
}

// Unsigned returns claims as an "alg": "none" JWT with an empty signature.
func Unsigned(claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "none", "typ": "JWT"}) + "." + enc(claims) + "."
}

// JWKS is the public key set to serve at a jwks_uri.
func (s *Signer) JWKS() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &s.key.PublicKey, KeyID: s.kid, Algorithm: string(jose.ES256), Use: "sig"}}}
}

// IDToken signs claims as the mode says.
func (s *Signer) IDToken(mode IDTokenMode, claims map[string]any) string {
	switch mode {
	case UnsignedIDToken:
		return Unsigned(claims)
	case WrongKeyIDToken:
		return s.SignWithOtherKey(claims)
	}
	return s.Sign(claims)
}
