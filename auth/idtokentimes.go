package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// IDTokenTimes decodes (without verifying) an ID token's iat and exp
// claims: when it was issued (zero when iat is missing) and when it
// expires. An ID token without exp is an error: OpenID Connect requires it.
// It is for a client deciding whether a stored ID token it was given by
// its own server is still worth sending.
func IDTokenTimes(idToken string) (issued, expiry time.Time, err error) {
	claims, err := jwtClaims(idToken)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("reading the ID token: %w", err)
	}
	num := func(k string) (time.Time, bool) {
		n, ok := claims[k].(json.Number)
		if !ok {
			return time.Time{}, false
		}
		v, err := n.Float64()
		if err != nil || v <= 0 {
			return time.Time{}, false
		}
		return time.Unix(int64(v), 0).UTC(), true
	}
	expiry, ok := num("exp")
	if !ok {
		return time.Time{}, time.Time{}, errors.New("reading the ID token: it has no exp claim")
	}
	issued, _ = num("iat")
	return issued, expiry, nil
}
