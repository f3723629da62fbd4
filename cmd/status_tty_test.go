package cmd

import (
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth/authtest"
)

// TestStatusTerminalWording: on a terminal the token column says when the
// token expires ("expires in 59m"), never "valid" (status does not ask the
// server), marked ✓; in colour only when colour is enabled; in a pipe the
// tab-separated fields are unchanged and carry no mark or escape.
func TestStatusTerminalWording(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{})
	e := newTestEnv(t, srv)
	e.addServer(t)
	e.loggedIn(t, time.Hour)

	e.tty()
	e.run("status")
	want := "" +
		"   PROFILE  SERVER  ACCOUNT  STORAGE  TOKEN             SOURCE   CHOSEN BY\n" +
		"*  alice    dev     alice    keyring  ✓ expires in 59m  keyring  active\n"
	if e.out.String() != want || e.err.Len() != 0 {
		t.Errorf("terminal status without colour:\n%q\nwant\n%q\nstderr %q", e.out, want, e.err)
	}

	e.out.Reset()
	e.f.IO.SetColorEnabled(true)
	e.run("status")
	want = "" +
		"   PROFILE  SERVER  ACCOUNT  STORAGE  \x1b[39mTOKEN\x1b[0m             SOURCE   CHOSEN BY\n" +
		"*  alice    dev     alice    keyring  \x1b[32m✓\x1b[0m expires in 59m  keyring  active\n"
	if e.out.String() != want {
		t.Errorf("terminal status in colour:\n%q\nwant\n%q", e.out, want)
	}

	e = newTestEnv(t, srv)
	e.addServer(t)
	e.loggedIn(t, time.Hour)
	e.run("status")
	if out := e.out.String(); strings.ContainsAny(out, "✓\x1b") || !strings.HasPrefix(out, "alice\tdev\talice\tkeyring\tvalid\t") {
		t.Errorf("piped status: %q", out)
	}
}

// TestLoginSuccessMark: the plain login's success line starts with a ✓ on
// a terminal (green in colour), and with nothing in a pipe.
func TestLoginSuccessMark(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{})
	for _, tt := range []struct {
		tty, color bool
		want       string
	}{
		{false, false, "Logged in to dev as alice (profile mine)\n"},
		{true, false, "✓ Logged in to dev as alice (profile mine)\n"},
		{true, true, "\x1b[32m✓\x1b[0m Logged in to dev as \x1b[1malice\x1b[0m (profile mine)\n"},
	} {
		e := newTestEnv(t, srv)
		e.addServer(t)
		e.f.IO.SetStderrTTY(tt.tty)
		e.f.IO.SetColorEnabled(tt.color)
		e.in.WriteString(srv.IssueToken(time.Hour).AccessToken + "\n")
		if code := e.run("login --with-token --profile mine"); code != 0 {
			t.Fatalf("exit %d: %s", code, e.err)
		}
		if got := e.err.String(); !strings.HasSuffix(got, tt.want) {
			t.Errorf("tty %v colour %v: stderr %q, want it to end with %q", tt.tty, tt.color, got, tt.want)
		}
	}
}
