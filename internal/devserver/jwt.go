package devserver

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"slices"
	"time"
)

// b64 is base64.RawURLEncoding (a function, not a variable: see
// pageCSSHash).
func b64() *base64.Encoding { return base64.RawURLEncoding }

// claims returns the OpenID claims of login that scope allows.
func (s *Server) claims(login string, scope []string) map[string]any {
	c := map[string]any{"sub": login}
	u := s.user(login)
	if u == nil {
		return c
	}
	if slices.Contains(scope, "profile") {
		c["preferred_username"] = u.Login
		if u.Name != "" {
			c["name"] = u.Name
		}
	}
	if slices.Contains(scope, "email") && u.Email != "" {
		c["email"] = u.Email
		c["email_verified"] = true
	}
	return c
}

// idToken signs an OpenID Connect ID token for g with the ephemeral ES256
// key published at /jwks.
func (s *Server) idToken(g *grant, now time.Time) string {
	c := s.claims(g.login, g.scope)
	c["iss"] = s.issuer
	c["aud"] = g.clientID
	c["iat"] = now.Unix()
	c["exp"] = now.Add(s.opt.AccessTTL).Unix()
	c["auth_time"] = g.authTime.Unix()
	if g.nonce != "" {
		c["nonce"] = g.nonce
	}
	header, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT", "kid": s.kid})
	payload, _ := json.Marshal(c)
	signing := b64().EncodeToString(header) + "." + b64().EncodeToString(payload)
	sum := sha256.Sum256([]byte(signing))
	der, err := ecdsa.SignASN1(rand.Reader, s.key, sum[:])
	if err != nil {
		return "" // crypto/rand does not fail; omit the ID token if it ever did
	}
	sig, ok := rawSignature(der)
	if !ok {
		return ""
	}
	return signing + "." + b64().EncodeToString(sig)
}

// jwks is the JSON Web Key Set with the public half of the signing key.
func (s *Server) jwks() map[string]any {
	pt, _ := s.key.PublicKey.Bytes() // 0x04 || X || Y for P-256
	x, y := pt[1:33], pt[33:65]
	return map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": s.kid,
		"x": b64().EncodeToString(x), "y": b64().EncodeToString(y),
	}}}
}

// rawSignature turns an ASN.1 ECDSA signature into JWS's fixed-width R || S.
func rawSignature(der []byte) ([]byte, bool) {
	var sig struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &sig); err != nil || len(rest) > 0 {
		return nil, false
	}
	if sig.R.Sign() <= 0 || sig.S.Sign() <= 0 || sig.R.BitLen() > 256 || sig.S.BitLen() > 256 {
		return nil, false
	}
	out := make([]byte, 64)
	sig.R.FillBytes(out[:32])
	sig.S.FillBytes(out[32:])
	return out, true
}
