package auth

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// tokenAnswer classifies a token endpoint's answer. It returns the decoded
// fields with nil errors for a success (2xx, no "error" field), the fields
// and the OAuth error the server
// sent (on any status: GitHub answers errors with HTTP 200, Auth0 with 403
// and 429), or a *TransientError for 5xx, 429 without a protocol error code,
// temporarily_unavailable and web pages, or a descriptive error for anything
// else.
func (c *Client) tokenAnswer(r *response) (fields, *OAuthError, error) {
	f, ok := decodeFields(r)
	if !ok {
		return nil, nil, c.unexpected(r, "a token response")
	}
	if oe := f.oauthError(r.Status); oe != nil {
		switch {
		case r.Status >= 500, oe.Code == "temporarily_unavailable", oe.Code == "server_error":
			return nil, nil, &TransientError{Err: oe, Status: r.Status, RetryAfter: r.retryAfter(c.now())}
		case r.Status == http.StatusTooManyRequests && oe.Code != "slow_down" && oe.Code != "authorization_pending":
			return nil, nil, &TransientError{Err: oe, Status: r.Status, RetryAfter: r.retryAfter(c.now())}
		}
		return f, oe, nil
	}
	if r.Status < 200 || r.Status > 299 {
		return nil, nil, c.unexpected(r, "a token response")
	}
	return f, nil, nil
}

// parseTokenResponse turns a token endpoint's answer into a token. Errors
// are those of tokenAnswer (an OAuth error comes back as *OAuthError), or a
// clear error when a success lacks an access token or has a token type other
// than Bearer. The expiry is expires_in from now, or the access token's JWT
// exp claim when the answer has no expires_in (WorkOS). The returned token's
// Extra holds every field of the answer (id_token and scope among them).
func (c *Client) parseTokenResponse(r *response) (*oauth2.Token, error) {
	f, oe, err := c.tokenAnswer(r)
	if err != nil {
		return nil, err
	}
	if oe != nil {
		return nil, oe
	}
	return c.tokenFromFields(r, f)
}

func (c *Client) tokenFromFields(r *response, f fields) (*oauth2.Token, error) {
	t := &oauth2.Token{
		AccessToken:  f.str("access_token"),
		TokenType:    f.str("token_type"),
		RefreshToken: f.str("refresh_token"),
	}
	if t.AccessToken == "" {
		return nil, fmt.Errorf("%s answered HTTP %d without an access_token; the server's token response is invalid", r.URL, r.Status)
	}
	switch {
	case t.TokenType == "", strings.EqualFold(t.TokenType, "bearer"):
		t.TokenType = "Bearer"
	default:
		return nil, fmt.Errorf("%s issued a token of type %q; only Bearer tokens are supported", r.URL, snippet([]byte(t.TokenType)))
	}
	d, ok, err := f.seconds("expires_in")
	if err != nil {
		return nil, fmt.Errorf("%s: invalid token response: %w", r.URL, err)
	}
	switch {
	case ok && d > 0:
		t.Expiry = c.now().Add(d)
		t.ExpiresIn = int64(d.Seconds())
	case !ok:
		// No expires_in (WorkOS): a JWT access token's exp is its expiry.
		// Without either the token is taken to never expire, and is only
		// refreshed when a server rejects it.
		if exp, ok := jwtExp(t.AccessToken); ok {
			t.Expiry = exp
		}
	}
	extra := make(map[string]any, len(f))
	for k, v := range f {
		extra[k] = v
	}
	if c.Endpoints.Issuer == "" {
		// Without an issuer there are no published keys to verify an ID
		// token with (VerifyIDToken): it is dropped, never trusted, and
		// the account comes from userinfo instead.
		delete(extra, "id_token")
	}
	return t.WithExtra(extra), nil
}

// Refresh redeems a refresh token (RFC 6749 §6). The returned token keeps the
// old refresh token when the server sends none.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*oauth2.Token, error) {
	if refreshToken == "" {
		return nil, fmt.Errorf("no refresh token to redeem; sign in again")
	}
	if c.Endpoints.TokenURL == "" {
		return nil, fmt.Errorf("%w: no token endpoint (token_url) is configured", ErrNoEndpoint)
	}
	r, err := c.postForm(ctx, c.Endpoints.TokenURL, url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
	})
	if err != nil {
		return nil, fmt.Errorf("refreshing the token: %w", err)
	}
	t, err := c.parseTokenResponse(r)
	if err != nil {
		return nil, fmt.Errorf("refreshing the token: %w", err)
	}
	if t.RefreshToken == "" {
		t.RefreshToken = refreshToken
	}
	return t, nil
}
