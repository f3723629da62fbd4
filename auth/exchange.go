package auth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// Token type identifiers of RFC 8693 §3.
const (
	TokenTypeJWT         = "urn:ietf:params:oauth:token-type:jwt"
	TokenTypeIDToken     = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
)

// GrantTokenExchange is the grant type of RFC 8693.
const GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"

// SubjectTokenType expands a short token type name (jwt, id_token,
// access_token) to its RFC 8693 URI; a URI is returned as given, "" means
// jwt (what CI providers' OIDC tokens are).
func SubjectTokenType(s string) (string, error) {
	switch strings.TrimSpace(s) {
	case "", "jwt", TokenTypeJWT:
		return TokenTypeJWT, nil
	case "id_token", TokenTypeIDToken:
		return TokenTypeIDToken, nil
	case "access_token", TokenTypeAccessToken:
		return TokenTypeAccessToken, nil
	}
	if strings.HasPrefix(s, "urn:") {
		return s, nil
	}
	return "", fmt.Errorf("unknown subject token type %q; use jwt, id_token, access_token or a urn:ietf:params:oauth:token-type: URI", s)
}

// ExchangeToken trades a subject token (typically a CI provider's OIDC
// token) for an access token of this server, with the token exchange grant
// (RFC 8693). typ is the subject token's type URI (see SubjectTokenType).
// The client's Scopes and token-endpoint Params (audience, resource) are
// sent; the client authenticates as for any token request when it has a
// secret. A rejected subject token comes back as *OAuthError, usually with
// Code "invalid_grant" or "invalid_request".
func (c *Client) ExchangeToken(ctx context.Context, subjectToken, typ string) (*oauth2.Token, error) {
	if c.Endpoints.TokenURL == "" {
		return nil, fmt.Errorf("%w: no token endpoint (token_url) is configured", ErrNoEndpoint)
	}
	if subjectToken == "" {
		return nil, errors.New("the subject token is empty")
	}
	if typ == "" {
		typ = TokenTypeJWT
	}
	t, err := c.grant(ctx, "exchanging the subject token", url.Values{
		"grant_type":           {GrantTokenExchange},
		"subject_token":        {subjectToken},
		"subject_token_type":   {typ},
		"requested_token_type": {TokenTypeAccessToken},
	})
	if err != nil {
		return nil, err
	}
	if it, _ := t.Extra("issued_token_type").(string); it != "" && it != TokenTypeAccessToken && it != TokenTypeJWT {
		return nil, fmt.Errorf("exchanging the subject token: %s issued a %q, not an access token", redactEndpoint(c.Endpoints.TokenURL), snippet([]byte(it)))
	}
	return t, nil
}

func redactEndpoint(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return snippet([]byte(raw))
	}
	return redactURL(u)
}
