package auth

import (
	"errors"
	"time"
)

// Errors returned by the device flow. Compare with errors.Is.
var (
	// ErrAuthorizationPending: the user has not acted yet (RFC 8628 §3.5).
	ErrAuthorizationPending = errors.New("authorization pending")
	// ErrAccessDenied: the user (or server) denied the request.
	ErrAccessDenied = errors.New("access denied: the request was declined in the browser")
	// ErrExpiredToken: the device code expired before it was approved.
	ErrExpiredToken = errors.New("the device code expired before it was approved")
	// ErrInsecureURL: a plain-HTTP URL that is not on loopback.
	ErrInsecureURL = errors.New("refusing plain HTTP to a non-loopback host; use https")
)

// SlowDownError is returned by PollOnce when the server asks the client to
// poll less often. Interval is the interval now in force: the previous one
// plus 5 seconds, or the server's own interval if it sent a larger one.
type SlowDownError struct {
	Interval time.Duration // the polling interval now in force
}

// Error says the new polling interval.
func (e *SlowDownError) Error() string {
	return "server asked to slow down; polling every " + e.Interval.String()
}

// OAuthError is an error response from an authorization server
// (RFC 6749 §5.2). Description is already stripped of control characters.
type OAuthError struct {
	Code        string // e.g. "invalid_grant"
	Description string // error_description, control characters stripped
	Status      int    // HTTP status
}

// Error returns the error code and its description.
func (e *OAuthError) Error() string {
	if e.Description != "" {
		return "server error " + e.Code + ": " + e.Description
	}
	return "server error " + e.Code
}

// TransientError wraps a failure worth retrying: a 5xx or 429 status, a
// dropped connection, a timeout, or a body that is not the expected JSON
// (an HTML error page). RetryAfter is the server's Retry-After, if any.
type TransientError struct {
	Err        error         // the underlying failure
	Status     int           // the HTTP status, 0 when no response came
	RetryAfter time.Duration // the server's Retry-After, 0 when none
}

// Error returns the underlying failure, marked temporary.
func (e *TransientError) Error() string { return "temporary failure: " + e.Err.Error() }

// Unwrap returns the underlying failure.
func (e *TransientError) Unwrap() error { return e.Err }
