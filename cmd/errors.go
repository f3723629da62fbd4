package cmd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
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
// It is profiles.ErrCancelled, the one cancellation error (tui.ErrCancelled
// is the same value too).
var ErrCancel = profiles.ErrCancelled

// hostError is an error handed to the host (Kit.TokenSource) with the
// host's command lines, so that ErrorMessage words its hints with the
// commands the host has.
type hostError struct {
	err     error
	cmdLine func(string) string
}

// Error returns the error's message.
func (e *hostError) Error() string { return e.err.Error() }

// Unwrap returns the error.
func (e *hostError) Unwrap() error { return e.err }

// hostErr wraps err, when not nil, with the host's command lines.
func (f *factory) hostErr(err error) error {
	if err == nil || f.reg == nil {
		return err
	}
	return &hostError{err: err, cmdLine: f.reg.commandLine(f.AppName)}
}

// flagError is a usage error: wrong or missing flags or arguments. The usage
// hint is printed with it, or Next when set.
type flagError struct {
	Err  error
	Next string // the next step; "" means "Run 'COMMAND --help' for usage."
}

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
	case errors.Is(err, profiles.ErrCancelled), errors.Is(err, context.Canceled):
		return ExitCancel
	case errors.Is(err, profiles.ErrNotLoggedIn):
		return ExitNotLoggedIn
	}
	return ExitError
}

// ErrorMessage is the one-line message printed for err, or "" when nothing
// should be printed: what failed and, when the error's type tells, the
// likely cause. Every message is stripped of control characters, since
// parts of it may come from a server or a file.
func ErrorMessage(err error, appName string) string {
	headline, _ := explain(err, appName, nil)
	return headline
}

// appCommands is the command line of path for a host that has every
// command: "APP path".
func appCommands(app string) func(string) string {
	return func(path string) string { return app + " " + path }
}

// explain words err for people: a one-line headline (what failed, and the
// likely cause as the error's type tells it) and one next step ("" when the
// headline already says what to do). The full chain is left to --verbose.
// cmdLine gives the host's command line of a command path ("" when the host
// does not have it); nil means every command, named after appName.
func explain(err error, appName string, cmdLine func(string) string) (headline, next string) {
	if err == nil || errors.Is(err, errSilent) {
		return "", ""
	}
	var he *hostError
	switch {
	case cmdLine != nil:
	case errors.As(err, &he):
		cmdLine = he.cmdLine
	default:
		cmdLine = appCommands(appName)
	}
	if errors.Is(err, profiles.ErrCancelled) || errors.Is(err, context.Canceled) {
		return "cancelled", ""
	}
	if h, n, ok := networkCause(err); ok {
		return h, n
	}
	var de *auth.DiscoveryError
	if errors.As(err, &de) {
		return "no usable OAuth/OpenID metadata at " + textsafe.Clean(de.Issuer),
			"Check that this is the issuer URL; a server without metadata needs its endpoints given (servers add --token-url URL --device-url URL)."
	}
	var oe *auth.OAuthError
	if errors.As(err, &oe) {
		return oneLine(err), oauthNext(oe.Code, appName)
	}
	var nl *profiles.NotLoggedInError
	if errors.As(err, &nl) {
		return oneLine(err) + signInHint(nl, cmdLine), ""
	}
	if errors.Is(err, profiles.ErrNotLoggedIn) {
		// Another error wrapping it (a host's own): its message, and the
		// login command when the host has one.
		return oneLine(err) + suggest("; run ", cmdLine("login")), ""
	}
	return legacyMessage(err, appName), ""
}

// noTokenError is the error of a token lookup that gave no access token
// and no error: res's profile (or name, the one asked for) has none.
func noTokenError(name string, res *profiles.TokenResult) error {
	if res != nil && res.Profile != "" {
		name = res.Profile
	}
	if name == "" {
		return &profiles.NotLoggedInError{Reason: "no access token was found"}
	}
	return &profiles.NotLoggedInError{Profile: name, Reason: "has no access token"}
}

// signInHint is what to run about a *profiles.NotLoggedInError, with the
// host's commands: sign in to the profile, or choose one.
func signInHint(e *profiles.NotLoggedInError, cmdLine func(string) string) string {
	q := func(path, args string) string {
		l := cmdLine(path)
		if l == "" {
			return ""
		}
		if args != "" {
			l += " " + args
		}
		return "`" + l + "`"
	}
	if e.Profile == "" {
		return suggest("; run ", q("login", ""), q("profiles use", "NAME"))
	}
	if e.Server != "" {
		return suggest("; check the client id and secret, then get a new token with ", q("login", "--client-credentials --server "+textsafe.Clean(e.Server)+" --client-secret-file PATH"))
	}
	return suggest("; to sign in again, run ", q("login", "--profile "+textsafe.Clean(e.Profile)))
}

// networkCause explains a request that got no usable answer, by the type
// of its cause: a refused connection, a name that does not resolve, a
// timeout, a certificate problem.
func networkCause(err error) (headline, next string, ok bool) {
	var re *auth.RequestError
	if !errors.As(err, &re) {
		return "", "", false
	}
	host := re.URL
	if u, perr := url.Parse(re.URL); perr == nil && u.Host != "" {
		host = u.Host
	}
	host = textsafe.Clean(host)
	var (
		dns      *net.DNSError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
		verify   *tls.CertificateVerificationError
	)
	const retry = "Check that the server is running and that the URL is right, then try again."
	switch {
	case re.Timeout > 0:
		return fmt.Sprintf("%s did not answer within %s", host, re.Timeout),
			"The server may be overloaded, or a firewall drops the traffic; try again later.", true
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "cannot resolve " + host + ": no such host", "Check the host name in the URL.", true
		}
		return "cannot resolve " + host + " (the DNS lookup failed)", "Check your network connection and DNS settings, then try again.", true
	case errors.Is(err, syscall.ECONNREFUSED):
		return "cannot reach " + host + ": connection refused (the server is down, or the URL is wrong)", retry, true
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "cannot reach " + host + ": no route to the host", "Check your network connection, then try again.", true
	case errors.As(err, &unknown):
		return "certificate problem with " + host + ": signed by an unknown authority", certNext, true
	case errors.As(err, &hostname):
		return "certificate problem with " + host + ": the certificate is for another host", "Check the host name in the URL.", true
	case errors.As(err, &invalid):
		if invalid.Reason == x509.Expired {
			return "certificate problem with " + host + ": the certificate has expired (or the clock is wrong)", "Check this computer's clock; otherwise the server's certificate needs renewing.", true
		}
		return "certificate problem with " + host + ": the certificate is not valid", certNext, true
	case errors.As(err, &verify):
		return "certificate problem with " + host, certNext, true
	case errors.As(err, &record):
		return host + " did not answer with TLS (is it plain http, or the wrong port?)", "Check the URL's scheme and port.", true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return host + " closed the connection before answering", retry, true
	}
	return "no answer from " + host, retry, true
}

const certNext = "Check the URL; if the server is right, install the CA that signed its certificate."

// oauthNext is the next step after the server refused a request with an
// OAuth error code.
func oauthNext(code, appName string) string {
	switch code {
	case "invalid_client", "unauthorized_client":
		return "Check the client id (and client secret) configured for this server: " + appName + " servers list."
	case "invalid_scope":
		return "Check the scopes asked for (--scopes)."
	case "invalid_grant":
		return "Sign in again: " + appName + " login."
	}
	return ""
}

// oneLine is err's message, stripped of control characters, with the lines
// of joined errors kept apart by "; " rather than run together.
func oneLine(err error) string {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = textsafe.Clean(l)
	}
	return strings.Join(lines, "; ")
}

// legacyMessage words the errors whose message already says what to do.
func legacyMessage(err error, appName string) string {
	var pe *profiles.ParseError
	var ro *profiles.ReadOnlyError
	switch {
	case errors.As(err, &pe):
		return textsafe.Clean(pe.Error())
	case errors.As(err, &ro):
		return textsafe.Clean(ro.Error())
	case errors.Is(err, auth.ErrAccessDenied):
		return "login denied: the request was declined in the browser; run " + appName + " login to try again"
	case errors.Is(err, auth.ErrExpiredToken):
		return "login expired: the code was not approved in time; run " + appName + " login to get a new one"
	}
	return oneLine(err)
}

// writeError prints err for people: "APP: headline", then the next step
// indented (next, when given, replaces the one explain finds), then, when
// verbose, every line of the full error chain.
func writeError(w io.Writer, app string, err error, next string, verbose bool, cmdLine func(string) string) {
	headline, n := explain(err, app, cmdLine)
	if headline == "" {
		return
	}
	if next == "" {
		next = n
	}
	fmt.Fprintf(w, "%s: %s\n", app, headline)
	if next != "" {
		fmt.Fprintf(w, "  %s\n", next)
	}
	if !verbose {
		return
	}
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = textsafe.Clean(l); l != "" && l != headline {
			fmt.Fprintf(w, "  cause: %s\n", l)
		}
	}
}

// debugEnv names the variable that turns on --verbose: AUTHDECK_DEBUG for
// authdeck, PREFIX_DEBUG for an embedding host.
func debugEnv(h Host) string {
	p := h.EnvPrefix
	if p == "" {
		p = envPrefix(h.Name)
	}
	if p == "" {
		p = "AUTHDECK"
	}
	return p + "_DEBUG"
}

// retryNote tells that a device authorization request failed and will be
// sent again: "Server not answering (attempt 2, next try in 4s)…".
func retryNote(r auth.Retry) string { return r.String() + "…" }
