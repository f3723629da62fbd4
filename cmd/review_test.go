package cmd

// Tests of the fixes from the review of the cmd package: each fails without
// its fix.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth/authtest"
	"github.com/authdeck/authdeck/profiles"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// userinfoWith reports whether the server received a userinfo request with
// this access token.
func userinfoWith(srv *authtest.Server, token string) bool {
	for _, r := range srv.Requests() {
		if r.Path == authtest.PathUserInfo && r.Header.Get("Authorization") == "Bearer "+token {
			return true
		}
	}
	return false
}

// jsonLines parses every line of out as a JSON object.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var evs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		evs = append(evs, ev)
	}
	return evs
}

// whoami with --token-file or an env token asks the server with that token,
// not the stored one, and fails when the server rejects it.
func TestWhoamiChecksExternalToken(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{})
	e := newTestEnv(t, srv)
	e.addServer(t)
	stored := e.loggedIn(t, time.Hour)

	bad := writeFile(t, "not-a-token\n")
	if code := e.run("whoami --token-file " + bad); code != 1 || !strings.Contains(e.err.String(), "not accepted") ||
		!strings.Contains(e.err.String(), bad) || e.out.Len() != 0 {
		t.Errorf("whoami with a rejected token file: exit %d\n%s", code, e.outputs())
	}
	if !userinfoWith(srv, "not-a-token") {
		t.Errorf("whoami did not send the token file's token to userinfo")
	}

	other := srv.IssueToken(time.Hour).AccessToken
	good := writeFile(t, other)
	e.out.Reset()
	e.err.Reset()
	if code := e.run("whoami --json --token-file " + good); code != 0 {
		t.Fatalf("whoami with a good token file: exit %d\n%s", code, e.outputs())
	}
	var w whoamiJSON
	if err := json.Unmarshal(e.out.Bytes(), &w); err != nil || w.TokenSource != "token-file" || w.Account != "alice" || w.Server != "dev" {
		t.Errorf("whoami --token-file --json = %+v (%v)", w, err)
	}
	if !userinfoWith(srv, other) {
		t.Errorf("whoami did not ask userinfo with the token file's token")
	}
	if strings.Contains(e.outputs(), other) || strings.Contains(e.outputs(), stored) {
		t.Errorf("whoami printed a token")
	}

	// The environment's token, likewise.
	e.env["AUTHDECK_TOKEN"] = "rejected-env-token"
	e.err.Reset()
	if code := e.run("whoami"); code != 1 || !strings.Contains(e.err.String(), "$AUTHDECK_TOKEN") {
		t.Errorf("whoami with a rejected AUTHDECK_TOKEN: exit %d\n%s", code, e.outputs())
	}
	delete(e.env, "AUTHDECK_TOKEN")

	// No profile: the only configured server is asked.
	e2 := newTestEnv(t, srv)
	e2.addServer(t)
	if code := e2.run("whoami --token-file " + good); code != 0 || !strings.Contains(e2.out.String(), "alice") {
		t.Errorf("whoami --token-file without a profile: exit %d\n%s", code, e2.outputs())
	}
	// Several servers and no profile: which one is not known.
	if code := e2.run(fmt.Sprintf("servers add two --device-url %s/device_authorization --token-url %s/token --client-id c2", srv.URL, srv.URL)); code != 0 {
		t.Fatalf("servers add: %s", e2.err)
	}
	e2.err.Reset()
	if code := e2.run("whoami --token-file " + good); code != 1 || !strings.Contains(e2.err.String(), "--profile") {
		t.Errorf("whoami --token-file with two servers: exit %d\n%s", code, e2.outputs())
	}
}

// A server written by hand with only issuer and client_id is discovered
// (and saved) on login.
func TestLoginDiscoversHandWrittenServer(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{Interval: 10 * time.Millisecond})
	e := newTestEnv(t, srv)
	conf := fmt.Sprintf("version = 1\n\n[[servers]]\nname = \"dev\"\nissuer = %q\nclient_id = \"authdeck-test\"\n", srv.Issuer())
	if err := os.WriteFile(filepath.Join(e.dir, "config.toml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.Approve()
	if code := e.run("login --json --no-browser"); code != 0 {
		t.Fatalf("login with a hand-written server: exit %d\n%s", code, e.outputs())
	}
	cfg, err := e.manager(t).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := cfg.Server("dev")
	if s.TokenURL == "" || s.DeviceAuthURL == "" || s.Discovered.IsZero() || s.ClientID != "authdeck-test" {
		t.Errorf("server after login = %+v; want discovered endpoints saved", s)
	}
	if p, ok := cfg.Profile("alice"); !ok || !p.SignedIn() {
		t.Errorf("no alice profile after login: %+v", cfg.Profiles)
	}
}

// Confirm gives up at once when the context is cancelled, and a line typed
// later is not lost for the next question.
func TestConfirmHonoursContext(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	var out strings.Builder
	p := &termPrompter{in: r, out: &out}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.Confirm(ctx, "Really?", false)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || ExitCode(err) != ExitCancel {
			t.Errorf("Confirm after cancel = %v (exit %d); want context.Canceled, exit 2", err, ExitCode(err))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Confirm still waits for an answer after the context was cancelled")
	}
	if _, err := w.WriteString("y\n"); err != nil {
		t.Fatal(err)
	}
	ok, err := p.Confirm(context.Background(), "Again?", false)
	if err != nil || !ok {
		t.Errorf("Confirm after a cancelled one = %v, %v; want the typed yes", ok, err)
	}
	if !strings.Contains(out.String(), "Really? [y/N]") || !strings.Contains(out.String(), "Again? [y/N]") {
		t.Errorf("prompts = %q", out.String())
	}
}

// Ctrl-C at logout's question exits 2 at once and forgets nothing.
func TestLogoutPromptCancelled(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{})
	e := newTestEnv(t, srv)
	e.addServer(t)
	e.loggedIn(t, time.Hour)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	asked := &signalWriter{Writer: e.f.IO.ErrOut, text: "[y/N]", seen: make(chan struct{})}
	e.f.Prompter = &termPrompter{in: r, out: asked}
	e.tty()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		root := newRootCmd(e.f)
		root.SetArgs([]string{"logout"})
		done <- execute(ctx, root, e.f)
	}()
	// Cancel once the question is up.
	select {
	case <-asked.seen:
	case code := <-done:
		t.Fatalf("logout ended without asking: exit %d\n%s", code, e.outputs())
	case <-time.After(10 * time.Second):
		t.Fatal("logout never asked")
	}
	cancel()
	select {
	case code := <-done:
		if code != ExitCancel {
			t.Errorf("logout cancelled at the prompt: exit %d, want 2", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("logout still waits at the prompt after Ctrl-C")
	}
	cfg, err := e.manager(t).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := cfg.Profile("alice"); !p.SignedIn() {
		t.Errorf("alice was logged out by a cancelled logout")
	}
}

// signalWriter closes seen once text has been written through it.
type signalWriter struct {
	io.Writer
	text string
	seen chan struct{}
	once sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	n, err := w.Writer.Write(p)
	if strings.Contains(string(p), w.text) {
		w.once.Do(func() { close(w.seen) })
	}
	return n, err
}

// Every failure of login --json ends with exactly one error event, also
// the failures before a code is issued.
func TestLoginJSONErrorEventBeforeCode(t *testing.T) {
	noMeta := authtest.NewServer(t, authtest.Options{Metadata: authtest.MetadataNone})
	for _, args := range []string{
		"login --json --server nope",
		"login --json --server http://example.com --client-id x",
		"login --json --server " + noMeta.Issuer() + " --client-id x",
		"login --json --server https://id.example.com",
		"login --json --key token",
	} {
		srv := authtest.NewServer(t, authtest.Options{})
		e := newTestEnv(t, srv)
		e.addServer(t)
		code := e.run(args)
		evs := jsonLines(t, e.out.String())
		if code != 1 || len(evs) != 1 || evs[0]["event"] != "error" || evs[0]["error"] == "" {
			t.Errorf("%s: exit %d, stdout %q; want exit 1 and one error event", args, code, e.out.String())
		}
	}
}

func TestCompletionUnknownShell(t *testing.T) {
	e := newTestEnv(t, nil)
	if code := e.run("completion nope"); code != 1 || !strings.Contains(e.err.String(), `"nope"`) || !strings.Contains(e.err.String(), "bash") || e.out.Len() != 0 {
		t.Errorf("completion nope: exit %d\n%s", code, e.outputs())
	}
	e = newTestEnv(t, nil)
	if code := e.run("completion zsh"); code != 0 || e.out.Len() == 0 {
		t.Errorf("completion zsh: exit %d, %d bytes", code, e.out.Len())
	}
}

// A profile argument and a different --profile are a usage error.
func TestProfileArgumentAndFlagDisagree(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{})
	for _, cmd := range []string{"logout", "revoke", "profiles rm"} {
		e := newTestEnv(t, srv)
		e.addServer(t)
		e.loggedIn(t, time.Hour)
		code := e.run(cmd + " alice --profile bob --yes")
		if code != 1 || !strings.Contains(e.err.String(), `"alice"`) || !strings.Contains(e.err.String(), `--profile "bob"`) {
			t.Errorf("%s alice --profile bob: exit %d\n%s", cmd, code, e.outputs())
		}
		cfg, _ := e.manager(t).Load(context.Background())
		if p, ok := cfg.Profile("alice"); !ok || !p.SignedIn() {
			t.Errorf("%s alice --profile bob touched alice", cmd)
		}
		// The same name twice is fine.
		if code := e.run(cmd + " alice --profile alice --yes"); code != 0 {
			t.Errorf("%s alice --profile alice: exit %d\n%s", cmd, code, e.outputs())
		}
	}
}

// servers add refuses an existing name unless --force.
func TestServersAddExistingNeedsForce(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{})
	e := newTestEnv(t, srv)
	e.addServer(t)
	e.loggedIn(t, time.Hour)
	add := fmt.Sprintf("servers add dev --device-url %s/device_authorization --token-url %s/token --client-id other", srv.URL, srv.URL)
	if code := e.run(add); code != 1 || !strings.Contains(e.err.String(), "already exists") || !strings.Contains(e.err.String(), "--force") ||
		!strings.Contains(e.err.String(), "alice") || strings.Contains(e.err.String(), "Added") {
		t.Errorf("servers add over dev: exit %d\n%s", code, e.outputs())
	}
	cfg, _ := e.manager(t).Load(context.Background())
	if s, _ := cfg.Server("dev"); s.ClientID != "authdeck-test" {
		t.Errorf("the refused add changed the client id to %q", s.ClientID)
	}
	e.err.Reset()
	if code := e.run(add + " --force"); code != 0 || !strings.Contains(e.err.String(), "Replaced server dev") {
		t.Errorf("servers add --force: exit %d\n%s", code, e.outputs())
	}
	cfg, _ = e.manager(t).Load(context.Background())
	if s, _ := cfg.Server("dev"); s.ClientID != "other" {
		t.Errorf("servers add --force kept client id %q", s.ClientID)
	}
}

// login --profile alice as another account is refused and alice's tokens
// stay; a re-login of alice into her profile goes through.
func TestLoginIntoProfileOfAnotherAccount(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{Interval: 10 * time.Millisecond, User: "bob"})
	e := newTestEnv(t, srv)
	e.addServer(t)
	ctx := context.Background()
	e.loggedIn(t, time.Hour)
	before, err := e.manager(t).Token(ctx, "alice", profiles.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Approve()
	code := e.run("login --json --no-browser --profile alice")
	evs := jsonLines(t, e.out.String())
	last := evs[len(evs)-1]
	msg, _ := last["error"].(string)
	if code != 1 || last["event"] != "error" || !strings.Contains(msg, "signed in as alice") || !strings.Contains(msg, "bob") || !strings.Contains(msg, "logout alice") {
		t.Errorf("login --profile alice as bob: exit %d\n%s", code, e.outputs())
	}
	after, err := e.manager(t).Token(ctx, "alice", profiles.TokenOptions{})
	if err != nil || after.Token.AccessToken != before.Token.AccessToken || after.Token.RefreshToken != before.Token.RefreshToken || before.Token.RefreshToken == "" {
		t.Errorf("alice's tokens changed after a refused login (%v)", err)
	}

	// bob into a profile of his own is fine, and so is bob again into it.
	for range 2 {
		srv.Approve()
		if code := e.run("login --no-browser --no-tui --profile bobs"); code != 0 {
			t.Errorf("login --profile bobs as bob: exit %d\n%s", code, e.outputs())
		}
	}
}

// A failed ad-hoc login takes out the server it added; a successful one
// keeps it.
func TestAdHocServerKeptOnlyOnSuccess(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{Interval: 10 * time.Millisecond})
	e := newTestEnv(t, srv)
	args := "login --no-browser --no-tui --server " + srv.Issuer() + " --client-id authdeck-test"
	servers := func() int {
		cfg, err := e.manager(t).Load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return len(cfg.Servers)
	}
	srv.Deny()
	if code := e.run(args); code != 1 || servers() != 0 {
		t.Errorf("denied ad-hoc login: exit %d, %d server(s) left\n%s", code, servers(), e.outputs())
	}
	srv.Approve()
	if code := e.run(args); code != 0 || servers() != 1 {
		t.Errorf("approved ad-hoc login: exit %d, %d server(s)\n%s", code, servers(), e.outputs())
	}
	// The server now exists: a failed login leaves it alone.
	srv.Deny()
	if code := e.run(args); code != 1 || servers() != 1 {
		t.Errorf("denied login on a known issuer: exit %d, %d server(s)", code, servers())
	}
}

// An unknown issuer URL without a client id names the flag to give.
func TestLoginIssuerURLNeedsClientID(t *testing.T) {
	e := newTestEnv(t, nil)
	if code := e.run("login --server https://id.example.com"); code != 1 || !strings.Contains(e.err.String(), "--client-id") {
		t.Errorf("login --server URL without --client-id: exit %d\n%s", code, e.outputs())
	}
}

// TestNotLoggedInMessagesSayItOnce: the errors without a usable login are
// worded by their type: what is wrong once, then one hint to run login
// (none when there is nothing to do).
func TestNotLoggedInMessagesSayItOnce(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{profiles.ErrNotLoggedIn, "not logged in; run authdeck login"},
		{fmt.Errorf("profile %q: %w", "x", profiles.ErrNotLoggedIn), `profile "x": not logged in; run authdeck login`},
		{&profiles.NotLoggedInError{Reason: "no profile is active"}, "no profile is active; run `authdeck login`, or `authdeck profiles use NAME`"},
		{&profiles.NotLoggedInError{Profile: "x", Reason: "is signed out"}, "profile \"x\" is signed out; to sign in again, run `authdeck login --profile x`"},
		{&profiles.NotLoggedInError{Profile: "x", Reason: "cannot be refreshed: its token has expired and the server gave no refresh token"},
			"profile \"x\" cannot be refreshed: its token has expired and the server gave no refresh token; to sign in again, run `authdeck login --profile x`"},
		{&profiles.NoRefreshError{Profile: "x"},
			"profile \"x\" cannot be refreshed: the server refused its token and there is no refresh token to get another; to sign in again, run `authdeck login --profile x`"},
		{&profiles.NotLoggedInError{Profile: "svc", Reason: "cannot get a new token: server \"s\" rejected the client id \"c\" or its secret", Server: "s"},
			"profile \"svc\" cannot get a new token: server \"s\" rejected the client id \"c\" or its secret; check the client id and secret, then get a new token with `authdeck login --client-credentials --server s --client-secret-file PATH`"},
	} {
		if got := ErrorMessage(tc.err, "authdeck"); got != tc.want {
			t.Errorf("ErrorMessage(%#v)\n = %q\nwant %q", tc.err, got, tc.want)
		}
	}
}
