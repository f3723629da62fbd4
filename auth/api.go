package auth

// This file lists the package's operations. Implementations live in the
// files named in each comment.

import (
	"time"

	"golang.org/x/oauth2"
)

// DeviceCode is a device authorization response (RFC 8628 §3.2), normalised
// across providers (Google's verification_url, Entra's string numbers,
// WorkOS's missing expires_in).
type DeviceCode struct {
	DeviceCode              string        `json:"-"` // secret: never printed
	UserCode                string        `json:"user_code"`
	VerificationURI         string        `json:"verification_uri"`
	VerificationURIComplete string        `json:"verification_uri_complete,omitempty"`
	Message                 string        `json:"message,omitempty"`
	IssuedAt                time.Time     `json:"issued_at"`
	ExpiresAt               time.Time     `json:"expires_at"`
	Interval                time.Duration `json:"interval"` // 5s when the server sends none
}

// Attempt reports one poll of the device flow to WaitDevice's callback.
type Attempt struct {
	N        int           // 1-based count of token requests so far
	At       time.Time     // when the request was sent
	Err      error         // ErrAuthorizationPending, *SlowDownError, *TransientError, ... or nil on success
	Interval time.Duration // interval in force after this attempt
	Next     time.Time     // when the next poll will be sent (zero when done)
}

// Identity is who a token belongs to, from userinfo or ID-token claims. All
// strings are stripped of control characters.
type Identity struct {
	Subject  string         `json:"sub"`
	Username string         `json:"username,omitempty"` // preferred_username, login, or email
	Email    string         `json:"email,omitempty"`
	Name     string         `json:"name,omitempty"`
	Claims   map[string]any `json:"claims,omitempty"`
}

// Display is the best short name for the identity.
func (id *Identity) Display() string {
	switch {
	case id == nil:
		return ""
	case id.Username != "":
		return id.Username
	case id.Email != "":
		return id.Email
	case id.Name != "":
		return id.Name
	}
	return id.Subject
}

// Introspection is an RFC 7662 response.
type Introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Subject   string `json:"sub,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
}

// IDToken returns the id_token that came with t, or "".
func IDToken(t *oauth2.Token) string {
	if t == nil {
		return ""
	}
	s, _ := t.Extra("id_token").(string)
	return s
}
