package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/authdeck/authdeck/internal/textsafe"
)

// UserInfo reads the OpenID userinfo endpoint with accessToken (sent as a
// Bearer token). It also accepts GitHub-style user APIs (login and a numeric
// id instead of sub) and signed userinfo answers (application/jwt, decoded
// without verification). Every string is stripped of control characters. A
// rejected token (HTTP 401) comes back as *OAuthError with Code
// "invalid_token" (HTTP 403: "insufficient_scope"), or the code of the
// server's WWW-Authenticate challenge.
func (c *Client) UserInfo(ctx context.Context, accessToken string) (*Identity, error) {
	if c.Endpoints.UserInfoURL == "" {
		return nil, fmt.Errorf("%w: this server has no userinfo endpoint (userinfo_url)", ErrNoEndpoint)
	}
	if accessToken == "" {
		return nil, errors.New("no access token to read the user's identity with")
	}
	r, err := c.get(ctx, c.Endpoints.UserInfoURL, accessToken)
	if err != nil {
		return nil, fmt.Errorf("reading userinfo: %w", err)
	}
	if r.Status == 401 || r.Status == 403 {
		oe := &OAuthError{Code: "invalid_token", Status: r.Status, Description: "the server rejected the access token"}
		if r.Status == 403 {
			oe.Code, oe.Description = "insufficient_scope", "the server refused to read userinfo with this token (HTTP 403)"
		}
		if f, ok := decodeFields(r); ok && f.oauthError(r.Status) != nil {
			oe = f.oauthError(r.Status)
		} else if code, desc := bearerError(r.Header.Get("WWW-Authenticate")); code != "" {
			oe.Code, oe.Description = code, firstNonEmpty(desc, oe.Description)
		}
		return nil, fmt.Errorf("reading userinfo: %w", oe)
	}
	if r.Status != 200 {
		return nil, fmt.Errorf("reading userinfo: %w", c.unexpected(r, "a userinfo response"))
	}
	var claims map[string]any
	if r.mediaType() == "application/jwt" {
		claims, err = jwtClaims(string(bytes.TrimSpace(r.Body)))
	} else {
		claims, err = decodeObject(r.Body)
	}
	if err != nil {
		if r.isHTML() {
			return nil, fmt.Errorf("reading userinfo: %w", c.unexpected(r, "a userinfo response"))
		}
		return nil, fmt.Errorf("reading userinfo: %s answered with a body that is not a JSON object: %q", r.URL, snippet(r.Body))
	}
	id, err := identityFromClaims(claims)
	if err != nil {
		return nil, fmt.Errorf("reading userinfo from %s: %w", r.URL, err)
	}
	return id, nil
}

// bearerError extracts error and error_description from a WWW-Authenticate
// Bearer challenge (RFC 6750 §3).
func bearerError(h string) (code, desc string) {
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(k), "Bearer ")))
		v = textsafe.Clean(strings.Trim(strings.TrimSpace(v), `"`))
		switch k {
		case "error":
			code = v
		case "error_description":
			desc = v
		}
	}
	return code, desc
}

// IdentityFromIDToken decodes (without verifying) an ID token's claims, for
// display only.
func IdentityFromIDToken(idToken string) (*Identity, error) {
	claims, err := jwtClaims(idToken)
	if err != nil {
		return nil, fmt.Errorf("reading the ID token: %w", err)
	}
	id, err := identityFromClaims(claims)
	if err != nil {
		return nil, fmt.Errorf("reading the ID token: %w", err)
	}
	return id, nil
}

func decodeObject(b []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("null")
	}
	return m, nil
}

// jwtClaims decodes the payload of a JWS compact serialisation, unverified.
func jwtClaims(tok string) (map[string]any, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT (want three dot-separated parts)")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, errors.New("not a JWT: the payload is not base64url")
	}
	m, err := decodeObject(payload)
	if err != nil {
		return nil, errors.New("not a JWT: the payload is not a JSON object")
	}
	return m, nil
}

// jwtExp returns the exp claim of tok when tok is a JWT that has one.
func jwtExp(tok string) (time.Time, bool) {
	claims, err := jwtClaims(tok)
	if err != nil {
		return time.Time{}, false
	}
	n, ok := claims["exp"].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	x, err := n.Float64()
	if err != nil || x <= 0 || x > 1e11 {
		return time.Time{}, false
	}
	return time.Unix(int64(x), 0), true
}

// identityFromClaims builds an Identity from userinfo or ID-token claims,
// cleaning every string. The subject is sub, or GitHub's numeric id.
func identityFromClaims(claims map[string]any) (*Identity, error) {
	clean, _ := cleanValue(claims).(map[string]any)
	str := func(k string) string {
		switch v := clean[k].(type) {
		case string:
			return strings.TrimSpace(v)
		case json.Number:
			return v.String()
		}
		return ""
	}
	id := &Identity{
		Subject: str("sub"),
		Email:   str("email"),
		Name:    str("name"),
		Claims:  clean,
	}
	if id.Subject == "" {
		id.Subject = str("id") // GitHub's /user
	}
	if id.Subject == "" {
		return nil, errors.New("the claims have no subject (sub); cannot tell whose token this is")
	}
	id.Username = firstNonEmpty(str("preferred_username"), str("login"), str("email"))
	return id, nil
}

// cleanValue returns v with every string (keys included) passed through
// textsafe.Clean.
func cleanValue(v any) any {
	switch x := v.(type) {
	case string:
		return textsafe.Clean(x)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[textsafe.Clean(k)] = cleanValue(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = cleanValue(e)
		}
		return s
	}
	return v
}
