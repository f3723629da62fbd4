package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/authdeck/authdeck/internal/textsafe"
)

// Revoke revokes a token at the revocation endpoint (RFC 7009). hint is
// "refresh_token", "access_token" or "". The client authenticates as at the
// token endpoint. HTTP 200 (any 2xx) means done (RFC 7009 §2.2: also for a
// token the server did not know). A 503 or other 5xx comes back as *TransientError; an
// OAuth error (such as unsupported_token_type) as *OAuthError. Without a
// revocation endpoint it returns an error wrapping ErrNoEndpoint.
func (c *Client) Revoke(ctx context.Context, token, hint string) error {
	if c.Endpoints.RevocationURL == "" {
		return fmt.Errorf("%w: this server has no revocation endpoint (revoke_url), so the token cannot be revoked from here; revoke it in the provider's web settings, or configure the server's revoke_url", ErrNoEndpoint)
	}
	if token == "" {
		return fmt.Errorf("no token to revoke")
	}
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	r, err := c.postForm(ctx, c.Endpoints.RevocationURL, form)
	if err != nil {
		return fmt.Errorf("revoking the token: %w", err)
	}
	if r.Status >= 200 && r.Status <= 299 {
		return nil
	}
	if f, ok := decodeFields(r); ok && r.Status < 500 && r.Status != 429 {
		if oe := f.oauthError(r.Status); oe != nil {
			return fmt.Errorf("revoking the token: %w", oe)
		}
	}
	return fmt.Errorf("revoking the token: %w", c.unexpected(r, "an answer"))
}

// Introspect asks the introspection endpoint about a token (RFC 7662). The
// client authenticates as at the token endpoint. Strings in the answer are
// stripped of control characters.
func (c *Client) Introspect(ctx context.Context, token string) (*Introspection, error) {
	if c.Endpoints.IntrospectionURL == "" {
		return nil, fmt.Errorf("%w: this server has no introspection endpoint (introspect_url)", ErrNoEndpoint)
	}
	r, err := c.postForm(ctx, c.Endpoints.IntrospectionURL, url.Values{"token": {token}})
	if err != nil {
		return nil, fmt.Errorf("introspecting the token: %w", err)
	}
	f, ok := decodeFields(r)
	if ok && r.Status < 500 && r.Status != 429 {
		if oe := f.oauthError(r.Status); oe != nil {
			return nil, fmt.Errorf("introspecting the token: %w", oe)
		}
	}
	if !ok || r.Status != 200 {
		return nil, fmt.Errorf("introspecting the token: %w", c.unexpected(r, "an introspection response"))
	}
	active, isBool := f["active"].(bool)
	if !isBool {
		return nil, fmt.Errorf("introspecting the token: %s answered without a boolean \"active\" field", r.URL)
	}
	in := &Introspection{
		Active:    active,
		Scope:     textsafe.Clean(f.str("scope")),
		ClientID:  textsafe.Clean(f.str("client_id")),
		Subject:   textsafe.Clean(f.str("sub")),
		TokenType: textsafe.Clean(f.str("token_type")),
	}
	if n, ok := f["exp"].(json.Number); ok {
		if v, err := n.Int64(); err == nil {
			in.Exp = v
		} else if x, err := n.Float64(); err == nil {
			in.Exp = int64(x)
		}
	}
	return in, nil
}
