package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/keyringtest"
	"github.com/authdeck/authdeck/internal/oidctest"
)

// statusExpiry is the expires_at of profile name in `status --json`.
func (s *sandbox) statusExpiry(name string) time.Time {
	s.t.Helper()
	var st struct {
		Profiles []struct {
			Profile   string    `json:"profile"`
			ExpiresAt time.Time `json:"expires_at"`
		} `json:"profiles"`
	}
	if err := json.Unmarshal([]byte(s.ok("status", "--json").stdout), &st); err != nil {
		s.t.Fatalf("status --json: %v", err)
	}
	for _, p := range st.Profiles {
		if p.Profile == name {
			return p.ExpiresAt
		}
	}
	s.t.Fatalf("status --json has no profile %s", name)
	return time.Time{}
}

// TestTokenStaleWarning: `token --min-ttl 2h` with the server down prints
// the current token (still good for an hour) with exit 0, and says on
// stderr, in one line, that its refresh failed and when it expires.
func TestTokenStaleWarning(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{})
	s := newSandbox(t)
	s.addServer(p)
	s.login(p)
	tok := s.token()
	exp := s.statusExpiry("alice")
	p.Stop()
	host := strings.TrimPrefix(p.Issuer, "http://")
	for _, args := range [][]string{{"token", "--min-ttl", "2h"}, {"token", "--min-ttl=2h", "--profile", "alice"}} {
		r := s.run("", args...)
		want := "warning: the token of profile alice could not be refreshed (POST " + p.Issuer + "/token: dial tcp " + host +
			": connect: connection refused); printed the current one, which expires at " + exp.UTC().Format(time.RFC3339) + "\n"
		if r.code != 0 || r.stdout != tok+"\n" || r.stderr != want {
			t.Errorf("authdeck %s with the server down: %s\nwant stderr %q", strings.Join(args, " "), r, want)
		}
	}
	// A token fresh enough is printed without a word.
	if r := s.run("", "token", "--min-ttl", "5m"); r.code != 0 || r.stderr != "" {
		t.Errorf("token --min-ttl 5m with the server down: %s", r)
	}
}

// TestStatusCheck: `status --check` asks each server about its login, against
// the real provider: alice's login is valid, bob's was revoked at the
// provider's revocation endpoint, carol's server (a second provider) has
// stopped, so its port is closed. Without --check nothing is asked and the
// token column says when the token expires.
func TestStatusCheck(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{})
	p2 := oidctest.Start(t, oidctest.Options{})
	s := newSandbox(t)
	s.addServer(p)
	s.login(p)
	s.loginJSON(func(code string) { p.ApproveAs(t, code, "bob") }, "--insecure-storage", "--profile", "bob")
	bobTok := s.token("--profile", "bob")
	s.ok("servers", "add", "other", "--issuer", p2.Issuer, "--client-id", p2.ClientID, "--scopes", "openid,offline_access")
	s.loginJSON(func(code string) { p2.ApproveAs(t, code, "carol") }, "--insecure-storage", "--server", "other", "--profile", "carol")
	p.Revoke(t, bobTok, "")
	p2.Stop()
	refreshes := p.RefreshCount(t)

	r := s.run("", "status", "--check")
	host2 := strings.TrimPrefix(p2.Issuer, "http://")
	wantOut := "" // piped: the check's state is the last field
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		f := strings.Split(l, "\t")
		wantOut += f[0] + "=" + f[len(f)-1] + " "
	}
	if r.code != 0 || wantOut != "alice=valid bob=revoked carol=unreachable " {
		t.Errorf("status --check: %s\nchecks: %s", r, wantOut)
	}
	wantErr := "bob: revoked: server error invalid_token: invalid token provided; run `authdeck login --profile bob`\n" +
		"carol: unreachable: GET " + p2.Issuer + "/me: dial tcp " + host2 + ": connect: connection refused\n"
	if r.stderr != wantErr {
		t.Errorf("status --check stderr:\n%s\nwant:\n%s", r.stderr, wantErr)
	}
	if n := p.RefreshCount(t); n != refreshes {
		t.Errorf("status --check sent %d refreshes", n-refreshes)
	}

	var doc struct {
		Profiles []struct {
			Profile string `json:"profile"`
			Check   *struct {
				State  string `json:"state"`
				Detail string `json:"detail"`
			} `json:"check"`
		} `json:"profiles"`
	}
	j := s.ok("status", "--check", "--json")
	if err := json.Unmarshal([]byte(j.stdout), &doc); err != nil || len(doc.Profiles) != 3 {
		t.Fatalf("status --check --json: %v\n%s", err, j.stdout)
	}
	for i, want := range []string{"valid", "revoked", "unreachable"} {
		if c := doc.Profiles[i].Check; c == nil || c.State != want {
			t.Errorf("status --check --json: %s check = %+v, want %s", doc.Profiles[i].Profile, c, want)
		}
	}
	if strings.Contains(j.stdout+r.stdout+r.stderr, bobTok) {
		t.Error("status --check printed a token")
	}
	// Without --check: no "check" field, no request.
	if plain := s.ok("status", "--json"); strings.Contains(plain.stdout, `"check"`) {
		t.Errorf("status --json without --check has a check field: %s", plain.stdout)
	}
}

// onTerminal runs authdeck with its output on a pseudo-terminal (script(1))
// and returns what the terminal showed.
func (s *sandbox) onTerminal(env []string, args string) string {
	s.t.Helper()
	script, err := exec.LookPath("script")
	if err != nil {
		if os.Getenv("CI") == "true" {
			s.t.Fatal("script(1) (util-linux) is needed for this test")
		}
		s.t.Skip("no script(1)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, script, "-qfec", bin+" "+args, "/dev/null")
	c.Env = append(append([]string{}, s.env...), env...)
	c.Dir = s.dir
	out, err := c.Output()
	if err != nil {
		s.t.Fatalf("authdeck %s on a terminal: %v\n%s", args, err, out)
	}
	return strings.ReplaceAll(string(out), "\r\n", "\n")
}

// TestStatusColourOnTerminalOnly: on a real pseudo-terminal status marks
// and colours the token state; under NO_COLOR the marks stay and the
// colour goes; in a pipe there is neither.
func TestStatusColourOnTerminalOnly(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{})
	s := newSandbox(t)
	s.addServer(p)
	s.login(p)

	out := s.onTerminal(nil, "status")
	if !strings.Contains(out, "\x1b[32m✓\x1b[0m expires in 59m") {
		t.Errorf("status on a terminal: %q, want a green ✓ before \"expires in 59m\"", out)
	}
	out = s.onTerminal([]string{"NO_COLOR=1"}, "status")
	if strings.Contains(out, "\x1b") || !strings.Contains(out, "✓ expires in 59m") {
		t.Errorf("status on a terminal under NO_COLOR: %q, want ✓ without escapes", out)
	}
	if r := s.ok("status"); strings.ContainsAny(r.stdout+r.stderr, "✓\x1b") {
		t.Errorf("piped status: %s", r)
	}

}

// TestKeyringFallbackSaidOnce: a login with no keyring keeps the token in
// credentials.json and says so in one line; status says it once more, in
// one line, with the advice that fits: no keyring answers now, so how to
// get one; with a real keyring answering (bash .ci/test), log in again to
// move it there.
func TestKeyringFallbackSaidOnce(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{})
	s := newSandbox(t)
	s.addServer(p)
	_, r := s.loginJSON(func(code string) { p.Approve(t, code) })
	if r.code != 0 {
		t.Fatalf("login: %s", r)
	}
	if n := strings.Count(strings.ToLower(r.stderr), "plain text"); n != 1 {
		t.Errorf("login said plain text %d times, want once:\n%s", n, r.stderr)
	}
	cred := filepath.Join(s.dir, "credentials.json")
	st := s.ok("status")
	want := "WARNING: alice: kept in plain text in " + cred + " because no keyring answered when it was saved; none answers now either (no keyring available: there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset and /run/user/" +
		strconv.Itoa(os.Getuid()) + "/bus does not exist)): start or unlock one (a Secret Service such as gnome-keyring on the D-Bus session bus), then log in again\n"
	if st.stderr != want {
		t.Errorf("status without a keyring, stderr:\n%q\nwant\n%q", st.stderr, want)
	}

	if keyringtest.Check(context.Background()) != nil {
		t.Log("no real Secret Service: the keyring-answers advice is not tested here")
		return
	}
	bus := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	st = s.with("DBUS_SESSION_BUS_ADDRESS=" + bus).ok("status")
	want = "WARNING: alice: kept in plain text in " + cred + " because no keyring answered when it was saved; a keyring answers now: run `authdeck login --profile alice` to move it there\n"
	if st.stderr != want {
		t.Errorf("status with a keyring, stderr:\n%q\nwant\n%q", st.stderr, want)
	}
}
