package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
	"github.com/authdeck/authdeck/tui"
)

// Exit codes of the authdeck command.
const (
	ExitOK          = 0 // success
	ExitError       = 1 // any failure
	ExitCancel      = 2 // cancelled by the user (Ctrl-C, declined prompt)
	ExitNotLoggedIn = 4 // no usable login for the chosen profile
)

// errSilent is an error whose message has already been printed.
var errSilent = errors.New("silent error")

// ErrCancel is returned when the user cancels (Ctrl-C, "no" at a prompt).
var ErrCancel = errors.New("cancelled")

// flagError is a usage error: wrong or missing flags or arguments. The usage
// hint is printed with it.
type flagError struct{ Err error }

// Error returns the usage problem.
func (e *flagError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *flagError) Unwrap() error { return e.Err }

// flagErrorf formats a flagError.
func flagErrorf(format string, args ...any) error {
	return &flagError{Err: fmt.Errorf(format, args...)}
}

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	var es *exitStatusError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &es):
		return es.Code // exec passes its command's status through
	case errors.Is(err, ErrCancel), errors.Is(err, tui.ErrCancelled), errors.Is(err, context.Canceled):
		return ExitCancel
	case errors.Is(err, profiles.ErrNotLoggedIn):
		return ExitNotLoggedIn
	}
	return ExitError
}

// ErrorMessage is the one-line message printed for err, or "" when nothing
// should be printed. Every message is stripped of control characters, since
// parts of it may come from a server or a file.
func ErrorMessage(err error, appName string) string {
	var pe *profiles.ParseError
	var ro *profiles.ReadOnlyError
	var oe *auth.OAuthError
	switch {
	case err == nil, errors.Is(err, errSilent):
		return ""
	case errors.Is(err, ErrCancel), errors.Is(err, tui.ErrCancelled), errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.As(err, &pe):
		return textsafe.Clean(pe.Error())
	case errors.As(err, &ro):
		return textsafe.Clean(ro.Error())
	case errors.Is(err, profiles.ErrNotLoggedIn):
		return notLoggedInMessage(err.Error(), appName)
	case errors.Is(err, auth.ErrAccessDenied):
		return "login denied: the request was declined in the browser; run " + appName + " login to try again"
	case errors.Is(err, auth.ErrExpiredToken):
		return "login expired: the code was not approved in time; run " + appName + " login to get a new one"
	case errors.As(err, &oe):
		return textsafe.Clean(err.Error())
	}
	return textsafe.Clean(err.Error())
}

// notLoggedInMessage words an error wrapping profiles.ErrNotLoggedIn once:
// a trailing ": not logged in" is dropped when the text before it already
// says so, and "run APP login" is added only when nothing says what to do.
func notLoggedInMessage(s, appName string) string {
	base := profiles.ErrNotLoggedIn.Error()
	if s == base {
		return base + "; run " + appName + " login"
	}
	if t, ok := strings.CutSuffix(s, ": "+base); ok && saysLoginState(t) {
		s = t
	}
	s = textsafe.Clean(s)
	if strings.Contains(s, appName+" login") || strings.Contains(s, "already signed out") || strings.Contains(s, "nothing to revoke") {
		return s // already says what to do, or there is nothing to do
	}
	return s + "; run " + appName + " login"
}

// saysLoginState reports whether a message already says that there is no
// usable login.
func saysLoginState(s string) bool {
	for _, w := range []string{"logged in", "signed out", "login", "log in", "sign in", "has expired", "no stored secret"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
