package profiles

import (
	"errors"
	"fmt"

	"github.com/authdeck/authdeck/internal/textsafe"
)

var (
	// ErrNotLoggedIn: no profile, or the profile has no secret. Exit code 4.
	ErrNotLoggedIn = errors.New("not logged in")
	// ErrNotFound is returned by SecretStore.Get for a missing secret.
	ErrNotFound = errors.New("secret not found")
	// ErrKeyringUnavailable: no Secret Service / keychain answered.
	ErrKeyringUnavailable = errors.New("no keyring available")
	// ErrCancelled: the user cancelled (Ctrl-C, "no" at a prompt, left
	// a login screen before it finished). It is the one cancellation
	// error: cmd.ErrCancel and tui.ErrCancelled are this same value.
	ErrCancelled = errors.New("cancelled")
)

// ReadOnlyError is returned by Logout and Revoke for a token that comes from
// the environment or a token file.
type ReadOnlyError struct {
	// Source is where the token comes from: SourceTokenFile,
	// SourceServerEnv or SourceEnv.
	Source Source
	Detail string // env var name or file path
}

// Error names where the token comes from and what to do instead.
func (e *ReadOnlyError) Error() string {
	switch e.Source {
	case SourceTokenFile:
		return fmt.Sprintf("the token comes from --token-file %s, which this program does not manage (drop --token-file to use the stored token)", e.Detail)
	case SourceServerEnv, SourceEnv:
		return fmt.Sprintf("the token comes from the environment variable %s, which this program does not manage; unset %s to use the stored token", e.Detail, e.Detail)
	}
	return fmt.Sprintf("the token comes from %s %s, which this program does not manage", e.Source, e.Detail)
}

// ParseError is a config or credentials file that cannot be read. The file
// is left untouched.
type ParseError struct {
	// Path is the file that could not be read: config.toml,
	// credentials.json, or a --token-file.
	Path string
	// Line is the 1-based line of the problem, or 0 when it is not known
	// (the message then names the file alone).
	Line int
	// Err is the parser's or validator's error, saying what is wrong.
	Err error
}

// Error names the file and line, and says the file was left as it was.
func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v (the file was not changed; fix or move it and try again)", e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v (the file was not changed; fix or move it and try again)", e.Path, e.Err)
}

// Unwrap returns the parser's error.
func (e *ParseError) Unwrap() error { return e.Err }

// KeyringTimeoutError: a keyring call did not answer in time (a locked
// collection waiting for a password prompt, or a frozen service).
type KeyringTimeoutError struct {
	// Op is the keyring operation that timed out: "get", "set" or
	// "delete".
	Op string
}

// Error names the keyring operation that timed out.
func (e *KeyringTimeoutError) Error() string {
	return "the keyring did not answer " + e.Op + " in time (is it locked or waiting for a password prompt?)"
}

// NotLoggedInError: there is no usable login for a profile, or no profile
// is chosen. It wraps ErrNotLoggedIn. It says what is wrong; the host says
// what to run about it (a login, choosing a profile) from its own commands.
type NotLoggedInError struct {
	// Profile is the profile without a usable login; "" when no profile
	// is chosen.
	Profile string
	// Reason says what is wrong: "is signed out" (of Profile), or a whole
	// sentence when Profile is "" ("no profile is active"). It names no
	// command to run.
	Reason string
	// Server is set for a client credentials profile: the server whose
	// client credentials must get a new token (login --client-credentials
	// --server Server), rather than a login of Profile.
	Server string
}

// Error names the profile and the reason.
func (e *NotLoggedInError) Error() string {
	if e.Profile == "" {
		return textsafe.Clean(e.Reason)
	}
	return fmt.Sprintf("profile %q %s", textsafe.Clean(e.Profile), textsafe.Clean(e.Reason))
}

// Unwrap returns ErrNotLoggedIn.
func (e *NotLoggedInError) Unwrap() error { return ErrNotLoggedIn }

// NoRefreshError: a server refused a profile's access token (HTTP 401) and
// there is no refresh token to get another with. It wraps a
// *NotLoggedInError (and so ErrNotLoggedIn); the host says what to run.
type NoRefreshError struct {
	Profile string // the profile whose token was refused
}

// Error says what happened.
func (e *NoRefreshError) Error() string { return e.Unwrap().Error() }

// Unwrap returns the *NotLoggedInError of the profile.
func (e *NoRefreshError) Unwrap() error {
	return &NotLoggedInError{Profile: e.Profile, Reason: "cannot be refreshed: the server refused its token and there is no refresh token to get another"}
}

// AccountMismatchError: SaveLogin was asked to save a login into a
// signed-in profile of another account. Nothing was saved; the profile's
// tokens are kept. Hosts add the commands to run (another --profile, or
// a logout first).
type AccountMismatchError struct {
	Profile string // the profile named by the caller
	Have    string // the account the profile is signed in as
	Got     string // the account just signed in
}

// Error says which profile belongs to whom and that nothing was saved.
func (e *AccountMismatchError) Error() string {
	return fmt.Sprintf("profile %s is signed in as %s, but you just signed in as %s; nothing was saved and %s's tokens are kept",
		textsafe.Clean(e.Profile), textsafe.Clean(e.Have), textsafe.Clean(e.Got), textsafe.Clean(e.Profile))
}
