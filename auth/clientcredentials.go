package auth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// ErrNoClientSecret is returned (wrapped) by ClientCredentials when the
// client has no secret to authenticate with.
var ErrNoClientSecret = errors.New("the client credentials grant needs a client secret")

// ClientCredentials obtains a token for the client itself with the client
// credentials grant (RFC 6749 §4.4): no user, no refresh token. It sends
// the client's Scopes, and those of its Params that mean something at the
// token endpoint (audience, resource). The client authenticates with its
// ClientSecret (or ClientSecretFunc), sent in the form body
// (client_secret_post), as every other request of this client.
//
// A rejected secret comes back as *OAuthError with Code "invalid_client".
func (c *Client) ClientCredentials(ctx context.Context) (*oauth2.Token, error) {
	if c.Endpoints.TokenURL == "" {
		return nil, fmt.Errorf("%w: no token endpoint (token_url) is configured", ErrNoEndpoint)
	}
	if c.ClientSecret == "" && c.ClientSecretFunc == nil {
		return nil, ErrNoClientSecret
	}
	return c.grant(ctx, "requesting a client credentials token", url.Values{"grant_type": {"client_credentials"}})
}

// grant sends form (a grant without a person: client credentials, token
// exchange) to the token endpoint with the client's scopes and the
// parameters that mean something there, and parses the token; what names
// the request in errors.
func (c *Client) grant(ctx context.Context, what string, form url.Values) (*oauth2.Token, error) {
	if len(c.Scopes) > 0 {
		form.Set("scope", strings.Join(c.Scopes, " "))
	}
	c.addParams(form, false)
	r, err := c.postForm(ctx, c.Endpoints.TokenURL, form)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	t, err := c.parseTokenResponse(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return t, nil
}
