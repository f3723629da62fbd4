package auth

import (
	"errors"
	"strings"
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

// RequestError is a request that got no usable answer: the connection was
// refused, the name did not resolve, the TLS handshake failed, the answer
// was cut off, or none came in time (Timeout is then set). Err is the
// network error (a *net.OpError, *net.DNSError, x509 error, ...), nil for a
// timeout. It comes wrapped in a *TransientError.
type RequestError struct {
	Method  string        // GET, POST
	URL     string        // the endpoint, without query or user info
	Err     error         // the cause; nil when Timeout is set
	Timeout time.Duration // set when no answer came within the client's timeout
}

// Error names the request and its cause.
func (e *RequestError) Error() string {
	if e.Err == nil {
		return e.Method + " " + e.URL + ": no answer within " + e.Timeout.String()
	}
	return e.Method + " " + e.URL + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *RequestError) Unwrap() error { return e.Err }

// DiscoveryError is returned by Discover when no well-known location gave
// usable metadata. Errs holds one failure per location tried.
type DiscoveryError struct {
	Issuer string  // the issuer asked for, control characters stripped
	Errs   []error // the failure at each well-known location
}

// Error says why no metadata could be used. It asks whether the issuer URL
// is right only when a server answered: a server that cannot be reached
// says nothing about the URL's path. The issuer itself is left to the
// caller's context, which names it already.
func (e *DiscoveryError) Error() string {
	if s, ok := e.sameCause(); ok {
		return s
	}
	parts := make([]string, 0, len(e.Errs))
	answered := false
	for _, err := range e.Errs {
		var te *TransientError
		if errors.As(err, &te) {
			// discovery does not retry: "temporary" says nothing here
			err = te.Err
		}
		var re *RequestError
		if !errors.As(err, &re) {
			answered = true
		}
		parts = append(parts, err.Error())
	}
	s := strings.Join(parts, "; ")
	if answered {
		s = "no usable metadata (is this the issuer URL? servers without metadata need explicit endpoints): " + s
	}
	return s
}

// Unwrap returns the failures.
func (e *DiscoveryError) Unwrap() []error { return e.Errs }

// sameCause words failures that all have one network cause (a refused
// connection, an unknown host) once: "GET A and B: cause".
func (e *DiscoveryError) sameCause() (string, bool) {
	var urls []string
	var method, cause string
	for _, err := range e.Errs {
		var re *RequestError
		if !errors.As(err, &re) || re.Err == nil {
			return "", false
		}
		if c := re.Err.Error(); len(urls) == 0 {
			method, cause = re.Method, c
		} else if c != cause || re.Method != method {
			return "", false
		}
		urls = append(urls, re.URL)
	}
	if len(urls) < 2 {
		return "", false
	}
	return method + " " + strings.Join(urls, " and ") + ": " + cause, true
}
