package auth

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/authdeck/authdeck/internal/textsafe"
)

// reservedParams are the request parameters the client sets itself; an
// extra parameter may not replace them.
var reservedParams = map[string]bool{
	"client_id": true, "client_secret": true, "client_assertion": true, "client_assertion_type": true,
	"scope": true, "redirect_uri": true, "response_type": true, "response_mode": true,
	"state": true, "nonce": true, "code": true, "code_challenge": true, "code_challenge_method": true,
	"code_verifier": true, "grant_type": true, "device_code": true, "refresh_token": true,
	"subject_token": true, "subject_token_type": true, "actor_token": true, "actor_token_type": true,
	"username": true, "password": true, "request": true, "request_uri": true,
}

// authorizationOnly are parameters that mean something only at the
// authorization (or device authorization) request, not at the token
// endpoint.
var authorizationOnly = map[string]bool{
	"prompt": true, "login_hint": true, "acr_values": true, "max_age": true,
	"ui_locales": true, "display": true, "claims_locales": true, "id_token_hint": true,
}

// CheckParam reports whether key may be sent as an extra request parameter
// (such as audience, prompt, login_hint, acr_values or resource, RFC 8707):
// it must be a plain name, and not one the client sets itself.
func CheckParam(key string) error {
	if key == "" {
		return fmt.Errorf("an extra parameter needs a name: give KEY=VALUE, e.g. audience=https://api.example.com")
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return fmt.Errorf("parameter name %q may only hold letters, digits, '.', '_' and '-'", textsafe.Clean(key))
		}
	}
	if reservedParams[strings.ToLower(key)] {
		return fmt.Errorf("parameter %q is set by the client itself and cannot be given as an extra parameter; use the matching flag (--scopes, --client-id, ...) instead", key)
	}
	return nil
}

// ParseParams turns KEY=VALUE strings into parameters, checking each name
// with CheckParam. A key may repeat (resource, RFC 8707).
func ParseParams(kvs []string) (url.Values, error) {
	out := url.Values{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok {
			return nil, fmt.Errorf("extra parameter %q is not KEY=VALUE, e.g. audience=https://api.example.com", textsafe.Clean(kv))
		}
		if err := CheckParam(k); err != nil {
			return nil, err
		}
		if v == "" {
			return nil, fmt.Errorf("extra parameter %q has an empty value", k)
		}
		if k == "resource" {
			if err := checkResource(v); err != nil {
				return nil, err
			}
		}
		out.Add(k, v)
	}
	return out, nil
}

// checkResource: RFC 8707 §2 wants an absolute URI without a fragment.
func checkResource(v string) error {
	u, err := url.Parse(v)
	if err != nil || !u.IsAbs() || u.Fragment != "" {
		return fmt.Errorf("resource %q is not an absolute URI without a fragment (RFC 8707), e.g. https://api.example.com", textsafe.Clean(v))
	}
	return nil
}

// FormatParams turns parameters back into sorted KEY=VALUE strings.
func FormatParams(p url.Values) []string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		for _, v := range p[k] {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// addParams adds c.Params to a form: all of them for an authorization
// request, only those that mean something at the token endpoint
// (audience, resource, ...) otherwise. Reserved names are never copied.
func (c *Client) addParams(form url.Values, authorization bool) {
	for k, vs := range c.Params {
		if reservedParams[strings.ToLower(k)] || !authorization && authorizationOnly[k] {
			continue
		}
		form[k] = append([]string(nil), vs...)
	}
}

// withAuthorizationParams returns the authorization URL with c.Params set
// (replacing any of the same name; resource may repeat).
func (c *Client) withAuthorizationParams(authURL string) string {
	if len(c.Params) == 0 {
		return authURL
	}
	u, err := url.Parse(authURL)
	if err != nil {
		return authURL
	}
	q := u.Query()
	c.addParams(q, true)
	u.RawQuery = q.Encode()
	return u.String()
}
