package auth

// Temporary stubs: each is replaced by its real implementation.

import (
	"context"
	"errors"
	"net/http"

	"golang.org/x/oauth2"
)

var errUnimplemented = errors.New("unimplemented")

// Discover fetches RFC 8414 metadata (/.well-known/oauth-authorization-server),
// then OpenID discovery (/.well-known/openid-configuration), for issuer.
func Discover(ctx context.Context, hc *http.Client, issuer string) (Endpoints, error) {
	return Endpoints{}, errUnimplemented
}

// CheckURL returns ErrInsecureURL for plain HTTP to a non-loopback host and an
// error for anything that is not an absolute http(s) URL.
func CheckURL(raw string) error { return errUnimplemented }

// StartDevice requests a device code (RFC 8628 §3.1).
func (c *Client) StartDevice(ctx context.Context) (*DeviceCode, error) {
	return nil, errUnimplemented
}

// PollOnce sends exactly one device access token request (RFC 8628 §3.4) and
// never sleeps. Pending, slow_down, denial, expiry, transient failures and
// other server errors come back as the errors of errors.go. dc.Interval is
// updated on slow_down.
func (c *Client) PollOnce(ctx context.Context, dc *DeviceCode) (*oauth2.Token, error) {
	return nil, errUnimplemented
}

// WaitDevice polls until the code is approved, denied or expires, never
// faster than the interval in force, reporting each attempt to onAttempt
// (which may be nil).
func (c *Client) WaitDevice(ctx context.Context, dc *DeviceCode, onAttempt func(Attempt)) (*oauth2.Token, error) {
	return nil, errUnimplemented
}

// Refresh redeems a refresh token (RFC 6749 §6). The returned token keeps the
// old refresh token when the server sends none.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*oauth2.Token, error) {
	return nil, errUnimplemented
}

// Revoke revokes a token at the revocation endpoint (RFC 7009). hint is
// "refresh_token", "access_token" or "".
func (c *Client) Revoke(ctx context.Context, token, hint string) error { return errUnimplemented }

// Introspect asks the introspection endpoint about a token (RFC 7662).
func (c *Client) Introspect(ctx context.Context, token string) (*Introspection, error) {
	return nil, errUnimplemented
}

// UserInfo reads the OpenID userinfo endpoint with accessToken.
func (c *Client) UserInfo(ctx context.Context, accessToken string) (*Identity, error) {
	return nil, errUnimplemented
}

// IdentityFromIDToken decodes (without verifying) an ID token's claims, for
// display only.
func IdentityFromIDToken(idToken string) (*Identity, error) { return nil, errUnimplemented }

// IDToken returns the id_token that came with t, or "".
func IDToken(t *oauth2.Token) string {
	if t == nil {
		return ""
	}
	s, _ := t.Extra("id_token").(string)
	return s
}
