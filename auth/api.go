package auth

// This file lists the package's operations. Implementations live in the
// files named in each comment.

import (
	"strconv"
	"time"

	"golang.org/x/oauth2"
)

// DeviceCode is a device authorization response (RFC 8628 §3.2), normalised
// across providers (Google's verification_url, Entra's string numbers,
// WorkOS's missing expires_in).
type DeviceCode struct {
	DeviceCode              string        `json:"-"`                                   // secret: never printed
	UserCode                string        `json:"user_code"`                           // the code the user types at VerificationURI
	VerificationURI         string        `json:"verification_uri"`                    // the page where the user enters UserCode
	VerificationURIComplete string        `json:"verification_uri_complete,omitempty"` // VerificationURI with the code filled in, if the server sends one
	Message                 string        `json:"message,omitempty"`                   // the server's own instructions (Entra), control characters stripped
	IssuedAt                time.Time     `json:"issued_at"`                           // when the response was received
	ExpiresAt               time.Time     `json:"expires_at"`                          // when the device code stops being valid
	Interval                time.Duration `json:"interval"`                            // 5s when the server sends none
}

// Attempt reports one poll of the device flow to WaitDevice's callback.
type Attempt struct {
	N        int           // 1-based count of token requests so far
	At       time.Time     // when the request was sent
	Err      error         // ErrAuthorizationPending, *SlowDownError, *TransientError, ... or nil on success
	Interval time.Duration // interval in force after this attempt
	Next     time.Time     // when the next poll will be sent (zero when done)
}

// Retry reports to StartDeviceNotify's callback a device authorization
// request that failed with a transient error and will be sent again.
type Retry struct {
	N      int           // 1-based count of the requests sent so far
	Err    error         // why request N failed (wraps a *TransientError)
	Status int           // the HTTP status of the failure, 0 when no answer came
	Wait   time.Duration // the wait before request N+1
	Next   time.Time     // when request N+1 will be sent
}

// String says what happened, for people: "Server not answering (attempt 2,
// next try in 4s)", or "Server busy (HTTP 503; ...)" when it answered.
func (r Retry) String() string {
	what := "Server not answering ("
	if r.Status != 0 {
		what = "Server busy (HTTP " + strconv.Itoa(r.Status) + "; "
	}
	return what + "attempt " + strconv.Itoa(r.N) + ", next try in " + r.Wait.Round(time.Second).String() + ")"
}

// Identity is who a token belongs to, from userinfo or ID-token claims. All
// strings are stripped of control characters.
type Identity struct {
	Subject  string         `json:"sub"`                // the sub claim: the account's stable identifier at the server
	Username string         `json:"username,omitempty"` // preferred_username, login, or email
	Email    string         `json:"email,omitempty"`    // the email claim
	Name     string         `json:"name,omitempty"`     // the name claim (a display name)
	Claims   map[string]any `json:"claims,omitempty"`   // every claim received, as decoded from JSON
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
	Active    bool   `json:"active"`               // whether the server still accepts the token
	Scope     string `json:"scope,omitempty"`      // space-separated scopes granted to the token
	ClientID  string `json:"client_id,omitempty"`  // the client the token was issued to
	Subject   string `json:"sub,omitempty"`        // the account the token belongs to
	TokenType string `json:"token_type,omitempty"` // such as "Bearer"
	Exp       int64  `json:"exp,omitempty"`        // expiry, in seconds since the Unix epoch (0 when not sent)
}

// IDToken returns the id_token that came with t, or "".
func IDToken(t *oauth2.Token) string {
	if t == nil {
		return ""
	}
	s, _ := t.Extra("id_token").(string)
	return s
}
