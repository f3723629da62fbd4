package cmd

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/auth/authtest"
	"github.com/authdeck/authdeck/profiles"
)

// closedAddr is a loopback address nothing listens on: connecting to it is
// refused at once.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// repeatedPhrase returns a phrase of three words that occurs twice in
// line, or "".
func repeatedPhrase(line string) string {
	w := strings.Fields(line)
	seen := map[string]bool{}
	for i := 0; i+3 <= len(w); i++ {
		p := strings.Join(w[i:i+3], " ")
		if seen[p] {
			return p
		}
		seen[p] = true
	}
	return ""
}

// TestErrorConnectionRefused: a server that is down gives one line saying
// so and one next step; --verbose (or AUTHDECK_DEBUG=1) adds the chain,
// which names each thing once.
func TestErrorConnectionRefused(t *testing.T) {
	addr := closedAddr(t)
	args := "servers add x --issuer http://" + addr + " --client-id y"
	e := newTestEnv(t, nil)
	if code := e.run(args); code != ExitError {
		t.Fatalf("exit %d, want %d", code, ExitError)
	}
	want := "authdeck: cannot reach " + addr + ": connection refused (the server is down, or the URL is wrong)\n" +
		"  Check that the server is running and that the URL is right, then try again.\n"
	if got := e.err.String(); got != want || e.out.Len() != 0 {
		t.Fatalf("stderr:\n%s\nwant:\n%s", got, want)
	}

	e = newTestEnv(t, nil)
	e.run("--verbose " + args)
	chain := "  cause: server \"x\": discovering the endpoints of http://" + addr + ": " +
		"GET http://" + addr + "/.well-known/oauth-authorization-server and http://" + addr + "/.well-known/openid-configuration: " +
		"dial tcp " + addr + ": connect: connection refused\n"
	if got := e.err.String(); got != want+chain {
		t.Fatalf("--verbose stderr:\n%s\nwant:\n%s", got, want+chain)
	}
	for _, l := range strings.Split(e.err.String(), "\n") {
		if p := repeatedPhrase(l); p != "" {
			t.Errorf("%q repeats %q", l, p)
		}
	}

	e = newTestEnv(t, nil)
	e.env["AUTHDECK_DEBUG"] = "1"
	e.run(args)
	if got := e.err.String(); got != want+chain {
		t.Errorf("AUTHDECK_DEBUG=1 stderr:\n%s\nwant the --verbose output", got)
	}
}

// TestErrorUnknownHost: a host name that does not resolve is said so, by
// the type of the error (the dialer answers as the resolver would, so no
// DNS server is asked).
func TestErrorUnknownHost(t *testing.T) {
	e := newTestEnv(t, nil)
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(addr)
			return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
		},
	}}
	e.f.Profiles = func() (*profiles.Manager, error) {
		app := authdeckApp(e.dir, func(k string) string { return e.env[k] })
		app.Secrets, app.HTTPClient = e.secrets, hc
		return profiles.Open(app)
	}
	if code := e.run("servers add x --issuer https://id.example.invalid --client-id y"); code != ExitError {
		t.Fatalf("exit %d", code)
	}
	want := "authdeck: cannot resolve id.example.invalid: no such host\n  Check the host name in the URL.\n"
	if got := e.err.String(); got != want {
		t.Fatalf("stderr:\n%s\nwant:\n%s", got, want)
	}
}

// TestArgumentErrors: cobra's argument errors, reworded: what is missing
// or unexpected, and "Did you mean" for typos of a command.
func TestArgumentErrors(t *testing.T) {
	tests := []struct{ args, want string }{
		{"servers add", "authdeck: servers add needs a NAME\n  Run 'authdeck servers add --help' for usage.\n"},
		{"profiles rename", "authdeck: profiles rename needs OLD and NEW\n  Run 'authdeck profiles rename --help' for usage.\n"},
		{"whoami extra", "authdeck: unexpected argument \"extra\": whoami takes no arguments\n  Run 'authdeck whoami --help' for usage.\n"},
		{"logout a b", "authdeck: unexpected argument \"b\": logout takes one argument\n  Run 'authdeck logout --help' for usage.\n"},
		{"whomai", "authdeck: unknown command \"whomai\" for \"authdeck\"\n  Did you mean authdeck whoami?\n"},
		{"servers ads", "authdeck: unknown command \"ads\" for \"authdeck servers\"\n  Did you mean authdeck servers add?\n"},
		{"frobnicate", "authdeck: unknown command \"frobnicate\" for \"authdeck\"\n  Run 'authdeck --help' for the commands.\n"},
	}
	for _, tt := range tests {
		e := newTestEnv(t, nil)
		if code := e.run(tt.args); code != ExitError {
			t.Errorf("%s: exit %d, want %d", tt.args, code, ExitError)
		}
		if got := e.err.String(); got != tt.want || e.out.Len() != 0 {
			t.Errorf("%s:\nstderr %q\nwant   %q\nstdout %q", tt.args, got, tt.want, e.out)
		}
	}
}

// TestLogoutHint: logout says "Signed out" and points to logout --revoke
// for next time, only when the server can revoke; logout --revoke revokes
// at the server, then forgets, in the same words as revoke.
func TestLogoutHint(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{})
	e := newTestEnv(t, srv)
	e.addServer(t)
	tok := e.loggedIn(t, time.Hour)
	if code := e.run("logout --yes"); code != 0 {
		t.Fatalf("logout: exit %d %s", code, e.err)
	}
	want := "Signed out of alice (alice on dev): the tokens were forgotten here, but stay valid at the server until they expire.\n" +
		"  Next time, `authdeck logout --revoke` also invalidates them at the server.\n"
	if got := e.err.String(); got != want {
		t.Errorf("logout said:\n%s\nwant:\n%s", got, want)
	}
	if !srv.Active(tok) {
		t.Errorf("logout revoked the token")
	}

	e = newTestEnv(t, srv)
	e.addServer(t)
	tok = e.loggedIn(t, time.Hour)
	if code := e.run("logout --revoke --yes"); code != 0 {
		t.Fatalf("logout --revoke: exit %d %s", code, e.err)
	}
	if want := "Signed out of alice (alice on dev): the tokens were revoked at the server and forgotten here.\n"; e.err.String() != want {
		t.Errorf("logout --revoke said:\n%s\nwant:\n%s", e.err, want)
	}
	if srv.Active(tok) {
		t.Errorf("logout --revoke left the token active")
	}

	norev := authtest.NewServer(t, authtest.Options{NoRevocation: true})
	e = newTestEnv(t, norev)
	e.addServer(t)
	e.loggedIn(t, time.Hour)
	if code := e.run("logout --yes"); code != 0 {
		t.Fatalf("logout: exit %d %s", code, e.err)
	}
	if want := "Signed out of alice (alice on dev): the tokens were forgotten here, but stay valid at the server until they expire.\n"; e.err.String() != want {
		t.Errorf("logout without a revocation endpoint said:\n%s\nwant:\n%s (no hint to revoke)", e.err, want)
	}
}

// TestLoginSaysWhileRetrying: while the device authorization request is
// retried, the plain login says so on stderr, with the attempt count and
// the next try.
func TestLoginSaysWhileRetrying(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{Interval: 10 * time.Millisecond})
	e := newTestEnv(t, srv)
	e.addServer(t)
	srv.Inject(authtest.PathDevice, authtest.Drop())
	srv.Approve()
	if code := e.run("login --no-browser"); code != 0 {
		t.Fatalf("login: exit %d\n%s", code, e.outputs())
	}
	if line := "Server not answering (attempt 1, next try in 1s)…\n"; !strings.HasPrefix(e.err.String(), line) {
		t.Errorf("stderr starts %q, want %q", e.err, line)
	}
}

// TestRetryNote: the words for a retry, by what failed.
func TestRetryNote(t *testing.T) {
	tests := []struct {
		r    auth.Retry
		want string
	}{
		{auth.Retry{N: 2, Wait: 4 * time.Second}, "Server not answering (attempt 2, next try in 4s)…"},
		{auth.Retry{N: 1, Status: 503, Wait: 1500 * time.Millisecond}, "Server busy (HTTP 503; attempt 1, next try in 2s)…"},
	}
	for _, tt := range tests {
		if got := retryNote(tt.r); got != tt.want {
			t.Errorf("retryNote(%+v) = %q, want %q", tt.r, got, tt.want)
		}
	}
}

// TestPollStatusSaysTemporaryOnce: a transient poll failure is reported
// with its cause, "temporary failure" said once.
func TestPollStatusSaysTemporaryOnce(t *testing.T) {
	ios, _, _, errb := testStreams()
	p := &pollStatus{io: ios}
	p.show(auth.Attempt{N: 3, Err: &auth.TransientError{Err: &auth.RequestError{Method: "POST", URL: "http://127.0.0.1:9/token", Err: errors.New("connection reset by peer")}}})
	if want := "temporary failure (POST http://127.0.0.1:9/token: connection reset by peer); retrying\n"; errb.String() != want {
		t.Errorf("poll status %q, want %q", errb, want)
	}
}
