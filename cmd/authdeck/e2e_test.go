package main

// End-to-end tests of the built authdeck binary against a real OpenID
// provider (panva's oidc-provider via internal/oidctest) on 127.0.0.1.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/authdeck/authdeck/internal/keyringtest"
	"github.com/authdeck/authdeck/internal/oidctest"
)

// bin is the authdeck binary built once for this package's tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "authdeck-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "authdeck")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building authdeck:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// sandbox is one isolated authdeck installation: its own config directory,
// and an environment without any keyring (no session bus) or display.
type sandbox struct {
	t   *testing.T
	dir string
	env []string
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	dir := t.TempDir()
	run := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"AUTHDECK_CONFIG_DIR=" + dir,
		"XDG_RUNTIME_DIR=" + run,
		"LANG=C.UTF-8",
	}
	return &sandbox{t: t, dir: dir, env: env}
}

// with returns a copy of the sandbox with extra environment variables.
func (s *sandbox) with(kv ...string) *sandbox {
	c := *s
	c.env = append(append([]string{}, s.env...), kv...)
	return &c
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
}

func (s *sandbox) command(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, bin, args...)
	c.Env = s.env
	c.Dir = s.dir
	return c
}

// run runs authdeck with stdin and waits for it.
func (s *sandbox) run(stdin string, args ...string) result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := s.command(ctx, args...)
	c.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("running authdeck %v: %v", args, err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

func (s *sandbox) ok(args ...string) result {
	s.t.Helper()
	r := s.run("", args...)
	if r.code != 0 {
		s.t.Fatalf("authdeck %s: %s", strings.Join(args, " "), r)
	}
	return r
}

func (s *sandbox) addServer(p *oidctest.Provider) {
	s.t.Helper()
	s.ok("servers", "add", "dev", "--issuer", p.Issuer, "--client-id", p.ClientID, "--scopes", "openid,profile,email,offline_access")
}

// event is any line of `login --json`.
type event map[string]any

func (e event) str(k string) string { s, _ := e[k].(string); return s }

// loginJSON runs `login --json` and lets decide act on the code (approve or
// deny); it returns every event and the process's result.
func (s *sandbox) loginJSON(decide func(userCode string), extra ...string) ([]event, result) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"login", "--no-browser", "--json"}, extra...)
	c := s.command(ctx, args...)
	stdout, err := c.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	var errb bytes.Buffer
	c.Stderr = &errb
	if err := c.Start(); err != nil {
		s.t.Fatal(err)
	}
	var events []event
	var raw strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		raw.WriteString(sc.Text() + "\n")
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			s.t.Errorf("login --json wrote a line that is not JSON: %q", sc.Text())
			continue
		}
		events = append(events, e)
		if e.str("event") == "code" {
			decide(e.str("user_code"))
		}
	}
	err = c.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatal(err)
	}
	return events, result{stdout: raw.String(), stderr: errb.String(), code: code}
}

func (s *sandbox) login(p *oidctest.Provider, extra ...string) ([]event, result) {
	s.t.Helper()
	events, r := s.loginJSON(func(code string) { p.Approve(s.t, code) }, append([]string{"--insecure-storage"}, extra...)...)
	if r.code != 0 {
		s.t.Fatalf("login: %s", r)
	}
	return events, r
}

func lastEvent(t *testing.T, events []event, want string) event {
	t.Helper()
	if len(events) == 0 {
		t.Fatalf("no events; want a %q event last", want)
	}
	e := events[len(events)-1]
	if e.str("event") != want {
		t.Fatalf("last event is %v, want %q", e, want)
	}
	return e
}

func (s *sandbox) token(args ...string) string {
	s.t.Helper()
	r := s.run("", append([]string{"token"}, args...)...)
	if r.code != 0 {
		s.t.Fatalf("token: %s", r)
	}
	if r.stderr != "" {
		s.t.Errorf("token wrote to stderr: %q", r.stderr)
	}
	if strings.Count(r.stdout, "\n") != 1 || !strings.HasSuffix(r.stdout, "\n") || len(r.stdout) < 10 {
		s.t.Fatalf("token printed %q, want one token and a newline", r.stdout)
	}
	return strings.TrimSuffix(r.stdout, "\n")
}

// checkFiles parses config.toml and credentials.json (when present).
func (s *sandbox) checkFiles() error {
	if data, err := os.ReadFile(filepath.Join(s.dir, "config.toml")); err == nil {
		var v map[string]any
		if _, err := toml.Decode(string(data), &v); err != nil {
			return fmt.Errorf("config.toml does not parse: %v\n%s", err, data)
		}
	} else if !os.IsNotExist(err) {
		return err
	}
	if data, err := os.ReadFile(filepath.Join(s.dir, "credentials.json")); err == nil {
		var v map[string]any
		if err := json.Unmarshal(data, &v); err != nil {
			return fmt.Errorf("credentials.json does not parse: %v\n%s", err, data)
		}
	} else if !os.IsNotExist(err) {
		return err
	}
	return nil
}

func TestLoginWhoamiTokenStatusRevoke(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	s := newSandbox(t)
	s.addServer(p)

	events, login := s.login(p)
	code := events[0]
	if code.str("event") != "code" || code.str("user_code") == "" || !strings.HasPrefix(code.str("verification_uri"), p.Issuer) {
		t.Fatalf("first event = %v, want the code event with the provider's verification URI", code)
	}
	if code.str("expires_at") == "" {
		t.Errorf("code event has no expires_at: %v", code)
	}
	if _, ok := code["device_code"]; ok {
		t.Errorf("code event leaks the device code: %v", code)
	}
	ok := lastEvent(t, events, "success")
	if ok.str("profile") != "alice" || ok.str("account") != "alice" || ok.str("storage") != "file" || ok["insecure_storage"] != true {
		t.Errorf("success event = %v, want profile and account alice in the file", ok)
	}
	if !strings.Contains(login.stderr, "plain text") {
		t.Errorf("login did not say the token is stored in plain text; stderr: %s", login.stderr)
	}
	if err := s.checkFiles(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(s.dir, "credentials.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials.json: %v, mode %v; want 0600", err, fi.Mode())
	}

	who := s.ok("whoami", "--json")
	var w struct {
		Version int    `json:"version"`
		Profile string `json:"profile"`
		Account string `json:"account"`
		Server  string `json:"server"`
		Source  string `json:"token_source"`
	}
	if err := json.Unmarshal([]byte(who.stdout), &w); err != nil {
		t.Fatalf("whoami --json: %v\n%s", err, who.stdout)
	}
	if w.Version != 1 || w.Profile != "alice" || w.Account != "alice" || w.Server != "dev" {
		t.Errorf("whoami --json = %+v", w)
	}

	tok := s.token()
	if !p.Active(t, tok) {
		t.Fatalf("the printed token is not active at the provider")
	}
	st := s.ok("status", "--json")
	var doc struct {
		Version  int `json:"version"`
		Profiles []struct {
			Profile     string `json:"profile"`
			Storage     string `json:"storage"`
			TokenSource string `json:"token_source"`
			TokenState  string `json:"token_state"`
			ExpiresAt   string `json:"expires_at"`
		} `json:"profiles"`
	}
	if err := json.Unmarshal([]byte(st.stdout), &doc); err != nil {
		t.Fatalf("status --json: %v\n%s", err, st.stdout)
	}
	if doc.Version != 1 || len(doc.Profiles) != 1 {
		t.Fatalf("status --json = %s", st.stdout)
	}
	if r := doc.Profiles[0]; r.Profile != "alice" || r.Storage != "file" || r.TokenSource != "file" || r.TokenState != "valid" {
		t.Errorf("status row = %+v", r)
	}
	plain := s.ok("status")
	if f := strings.Split(strings.TrimSpace(plain.stdout), "\t"); len(f) < 6 || f[0] != "alice" {
		t.Errorf("piped status is not tab-separated: %q", plain.stdout)
	} else if _, err := time.Parse(time.RFC3339, f[5]); err != nil {
		t.Errorf("piped status expiry %q is not RFC 3339", f[5])
	}
	pl := s.ok("profiles", "list", "--json")
	sv := s.ok("servers", "list", "--json")

	// No output so far may contain the access token.
	for name, out := range map[string]string{
		"login": login.stdout + login.stderr, "whoami": who.stdout + who.stderr, "status": st.stdout + plain.stdout,
		"profiles": pl.stdout, "servers": sv.stdout,
	} {
		if strings.Contains(out, tok) {
			t.Errorf("%s output contains the access token", name)
		}
	}

	// Revoke needs --yes without a terminal.
	if r := s.run("", "revoke"); r.code != 1 || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("revoke without --yes: %s", r)
	}
	r := s.ok("revoke", "--yes")
	if !strings.Contains(r.stderr, "revoked at the server") {
		t.Errorf("revoke said: %s", r.stderr)
	}
	if p.Active(t, tok) {
		t.Errorf("the access token is still active after revoke")
	}
	if r := s.run("", "token"); r.code != 4 || r.stdout != "" || !strings.Contains(r.stderr, "login") {
		t.Errorf("token after revoke: %s; want exit 4 saying to log in", r)
	}
	if r := s.run("", "whoami"); r.code != 4 {
		t.Errorf("whoami after revoke: %s; want exit 4", r)
	}
	if err := s.checkFiles(); err != nil {
		t.Fatal(err)
	}
}

func TestTokenRefreshesShortLivedToken(t *testing.T) {
	t.Parallel()
	// Tokens live 8s, far less than the default --min-ttl (5m), which is
	// then capped at half their life: refreshed once 4s have passed, not
	// on every call.
	p := oidctest.Start(t, oidctest.Options{AccessTTL: 8 * time.Second, PollInterval: time.Second})
	s := newSandbox(t)
	s.addServer(p)
	s.login(p)
	expiry := func() time.Time {
		t.Helper()
		var st struct {
			Profiles []struct {
				ExpiresAt time.Time `json:"expires_at"`
			} `json:"profiles"`
		}
		if err := json.Unmarshal([]byte(s.ok("status", "--json").stdout), &st); err != nil || len(st.Profiles) != 1 {
			t.Fatalf("status --json: %v", err)
		}
		return st.Profiles[0].ExpiresAt
	}

	before := p.RefreshCount(t)
	first := s.token()
	if got := p.RefreshCount(t) - before; got != 0 {
		t.Errorf("token right after login sent %d refresh requests, want 0", got)
	}
	// Past half its life: refreshed first.
	time.Sleep(time.Until(expiry().Add(-3 * time.Second)))
	second := s.token()
	if got := p.RefreshCount(t) - before; got != 1 || second == first {
		t.Errorf("token past half the token's life sent %d refresh requests (want 1), same token %v", got, second == first)
	}
	if !p.Active(t, second) {
		t.Errorf("the refreshed token is not active")
	}
	// Just refreshed: the next call gets the same token, no request.
	if again := s.token(); again != second || p.RefreshCount(t)-before != 1 {
		t.Errorf("token right after a refresh refreshed again (refreshes %d)", p.RefreshCount(t)-before)
	}
	// The rotated refresh token was stored: refreshing again works.
	time.Sleep(time.Until(expiry().Add(-3 * time.Second)))
	third := s.token()
	if third == second || !p.Active(t, third) || p.RefreshCount(t)-before != 2 {
		t.Errorf("second refresh failed (refreshes %d)", p.RefreshCount(t)-before)
	}
}

func TestLoginDenied(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	s := newSandbox(t)
	s.addServer(p)
	events, r := s.loginJSON(func(code string) { p.Deny(t, code) }, "--insecure-storage")
	if r.code != 1 {
		t.Fatalf("denied login: %s; want exit 1", r)
	}
	e := lastEvent(t, events, "error")
	if e.str("code") != "access_denied" {
		t.Errorf("error event = %v, want code access_denied", e)
	}
	if !strings.Contains(r.stderr, "denied") {
		t.Errorf("stderr does not say the login was denied: %s", r.stderr)
	}
	if st := s.run("", "token"); st.code != 4 {
		t.Errorf("token after a denied login: %s; want 4", st)
	}
}

func TestLoginExpires(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second, DeviceCodeTTL: 2 * time.Second})
	s := newSandbox(t)
	s.addServer(p)
	events, r := s.loginJSON(func(string) {}, "--insecure-storage")
	if r.code != 1 || !strings.Contains(r.stderr, "expired") {
		t.Fatalf("unapproved login: %s; want exit 1 saying the code expired", r)
	}
	if e := lastEvent(t, events, "error"); e.str("code") != "expired_token" {
		t.Errorf("error event = %v, want code expired_token", e)
	}
}

func TestLoginPlainOutput(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	s := newSandbox(t)
	s.addServer(p)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := s.command(ctx, "login", "--insecure-storage") // no terminal: plain output, no TUI
	stderr, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	c.Stdout = &out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		line := sc.Text()
		all.WriteString(line + "\n")
		if code, ok := strings.CutPrefix(line, "First copy your one-time code: "); ok {
			p.Approve(t, strings.TrimSpace(code))
		}
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("login: %v\n%s", err, all.String())
	}
	if out.Len() != 0 {
		t.Errorf("plain login wrote to stdout: %q", out.String())
	}
	for _, want := range []string{"Then open: " + p.Issuer, "Logged in to dev as alice (profile alice)", "plain text"} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, all.String())
		}
	}
}

func TestLoginWithToken(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	src := newSandbox(t)
	src.addServer(p)
	src.login(p)
	tok := src.token()

	s := newSandbox(t)
	s.addServer(p)
	if r := s.run("not-a-valid-token", "login", "--with-token", "--insecure-storage"); r.code != 1 || !strings.Contains(r.stderr, "not accepted") {
		t.Errorf("login --with-token with a bad token: %s", r)
	}
	r := s.run(tok+"\n", "login", "--with-token", "--insecure-storage", "--json")
	if r.code != 0 {
		t.Fatalf("login --with-token: %s", r)
	}
	if strings.Contains(r.stdout+r.stderr, tok) {
		t.Errorf("login --with-token echoed the token")
	}
	var e event
	if err := json.Unmarshal([]byte(r.stdout), &e); err != nil || e.str("event") != "success" || e.str("account") != "alice" {
		t.Errorf("login --with-token --json = %q (%v)", r.stdout, err)
	}
	if got := s.token(); got != tok {
		t.Errorf("token after --with-token = %q, want the given token", got)
	}
}

func TestEnvAndTokenFileOverride(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	s := newSandbox(t)
	s.addServer(p)
	s.login(p)
	stored := s.token()

	env := s.with("AUTHDECK_TOKEN=from-the-environment")
	if got := env.token(); got != "from-the-environment" {
		t.Errorf("token with AUTHDECK_TOKEN = %q", got)
	}
	st := env.ok("status", "--json")
	if !strings.Contains(st.stdout, `"token_source": "env"`) || !strings.Contains(st.stdout, "AUTHDECK_TOKEN") {
		t.Errorf("status does not report the env source:\n%s", st.stdout)
	}
	if strings.Contains(st.stdout, "from-the-environment") {
		t.Errorf("status printed the env token")
	}
	for _, cmd := range []string{"logout", "revoke"} {
		r := env.run("", cmd, "--yes")
		if r.code != 1 || !strings.Contains(r.stderr, "AUTHDECK_TOKEN") {
			t.Errorf("%s with AUTHDECK_TOKEN: %s; want a refusal naming it", cmd, r)
		}
	}

	plain := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(plain, []byte("from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	jsonFile := filepath.Join(t.TempDir(), "tok.json")
	if err := os.WriteFile(jsonFile, []byte(`{"token":"from-json"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := env.token("--token-file", plain); got != "from-a-file" {
		t.Errorf("--token-file beats AUTHDECK_TOKEN: got %q", got)
	}
	if got := s.token("--token-file", jsonFile); got != "from-json" {
		t.Errorf("--token-file with JSON: got %q", got)
	}
	if got := s.run("", "--token-file", plain, "tokens", "print"); got.stdout != "from-a-file\n" {
		t.Errorf("tokens print --token-file: %s", got)
	}
	r := s.run("", "--token-file", plain, "logout", "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, plain) {
		t.Errorf("logout with --token-file: %s; want a refusal naming the file", r)
	}
	// Nothing was forgotten by the refusals.
	if got := s.token(); got != stored {
		t.Errorf("stored token changed after refused logouts")
	}
	if r := s.ok("logout", "--yes"); !strings.Contains(r.stderr, "Signed out of") {
		t.Errorf("logout: %s", r)
	}
	if !p.Active(t, stored) {
		t.Errorf("logout (local only) invalidated the token at the server")
	}
	if r := s.run("", "token"); r.code != 4 {
		t.Errorf("token after logout: %s; want 4", r)
	}
}

// TestConcurrentTokenRefreshOnce: 20 processes ask for a token at once when
// the stored one has expired; exactly one refresh reaches the provider and
// every process prints a valid token.
func TestConcurrentTokenRefreshOnce(t *testing.T) {
	t.Parallel()
	const ttl = 12 * time.Second
	p := oidctest.Start(t, oidctest.Options{AccessTTL: ttl, PollInterval: time.Second})
	s := newSandbox(t)
	s.addServer(p)
	s.login(p)
	old := s.token("--min-ttl", "0s")
	time.Sleep(ttl + 1500*time.Millisecond) // let it expire (clock tolerance 0)
	if p.Active(t, old) {
		t.Fatalf("the token did not expire after %s", ttl)
	}
	before := p.RefreshCount(t)

	const n = 20
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = s.run("", "token", "--min-ttl", "1s")
		}()
	}
	close(start)
	wg.Wait()

	if got := p.RefreshCount(t) - before; got != 1 {
		t.Errorf("%d refresh requests reached the provider, want exactly 1", got)
	}
	seen := map[string]bool{}
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("process %d: %s", i, r)
			continue
		}
		seen[strings.TrimSpace(r.stdout)] = true
	}
	for tok := range seen {
		if !p.Active(t, tok) {
			t.Errorf("a process printed a token that is not active")
		}
	}
	if seen[old] {
		t.Errorf("a process printed the expired token")
	}
	// The newest refresh token is what stayed stored: once the token has
	// expired again, one more refresh works, reaches the provider exactly
	// once, and the grant is still alive (spending a stale, rotated refresh
	// token would have made the provider revoke the whole login).
	s.waitExpired()
	before = p.RefreshCount(t)
	next := s.token("--min-ttl", "1s")
	if got := p.RefreshCount(t) - before; got != 1 {
		t.Errorf("the refresh after the race sent %d refresh requests, want exactly 1", got)
	}
	if seen[next] || !p.Active(t, next) {
		t.Errorf("the refresh after the race gave an old or inactive token: the grant was revoked or the stored refresh token was stale")
	}
}

// TestKillNeverCorruptsFiles kills the binary with SIGKILL at random moments
// during login, refresh and logout, and checks after each kill that
// config.toml and credentials.json still parse (or are absent) and every
// command still works on what was left behind. Access tokens live 2s and
// each refresh starts on an expired one, so the refreshes killed are real
// refresh_token requests to the provider.
func TestKillNeverCorruptsFiles(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{AccessTTL: 2 * time.Second, PollInterval: time.Second})
	s := newSandbox(t)
	s.addServer(p)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	// How long each operation takes when left alone: kills land within it.
	timed := func(args ...string) time.Duration {
		start := time.Now()
		s.ok(args...)
		return time.Since(start)
	}
	s.login(p)
	s.waitExpired()
	before := p.RefreshCount(t)
	refreshDur := timed("token")
	if got := p.RefreshCount(t) - before; got != 1 {
		t.Fatalf("token on an expired token sent %d refresh requests, want 1", got)
	}
	logoutDur := timed("logout", "--yes")
	loggedIn := false

	// Every operation gets killed, in a random order.
	var ops []string
	for range 6 {
		ops = append(ops, "login", "refresh", "refresh", "logout")
	}
	rng.Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })
	kills := map[string]int{}
	refreshes, killedAfterRefresh := 0, 0
	planned := len(ops)
	for i := 0; i < len(ops); i++ {
		op := ops[i]
		if op != "login" && !loggedIn {
			s.login(p)
		}
		if op == "refresh" {
			s.waitExpired()
		}
		before := p.RefreshCount(t)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		var c *exec.Cmd
		switch op {
		case "login":
			c = s.command(ctx, "login", "--no-browser", "--json", "--insecure-storage")
			stdout, err := c.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				var e event
				if json.Unmarshal(sc.Bytes(), &e) == nil && e.str("event") == "code" {
					p.Approve(t, e.str("user_code"))
					break
				}
			}
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			// The next poll comes within the 1s interval (x1.2); then the
			// token exchange, userinfo and the save.
			time.Sleep(time.Duration(rng.Int64N(int64(1400 * time.Millisecond))))
		case "refresh":
			c = s.command(ctx, "token")
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			if i < planned {
				time.Sleep(time.Duration(rng.Int64N(int64(refreshDur) + 1)))
				break
			}
			// An extra run (no planned kill landed during a real refresh,
			// which on a loaded machine is mostly process start-up): wait
			// until the request has reached the provider, then kill within
			// the answer and the save.
			deadline := time.Now().Add(10 * time.Second)
			for p.RefreshCount(t) == before && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(time.Duration(rng.Int64N(int64(5 * time.Millisecond))))
		case "logout":
			c = s.command(ctx, "logout", "--yes")
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Duration(rng.Int64N(int64(logoutDur) + 1)))
		}
		_ = c.Process.Signal(syscall.SIGKILL)
		err := c.Wait()
		cancel()
		killed := false
		if ee, ok := err.(*exec.ExitError); ok && !ee.Exited() {
			kills[op]++
			killed = true
		}
		if op == "refresh" {
			n := p.RefreshCount(t) - before
			refreshes += n
			if killed && n > 0 {
				killedAfterRefresh++
			}
		}
		if err := s.checkFiles(); err != nil {
			t.Fatalf("iteration %d, after killing %s: %v", i, op, err)
		}
		// Every command must still work on what was left behind.
		if r := s.run("", "status", "--json"); r.code != 0 {
			t.Fatalf("iteration %d, after killing %s: status: %s", i, op, r)
		}
		r := s.run("", "token")
		if r.code != 0 && r.code != 4 {
			t.Fatalf("iteration %d, after killing %s: token: %s", i, op, r)
		}
		if err := s.checkFiles(); err != nil {
			t.Fatalf("iteration %d, after token following the killed %s: %v", i, op, err)
		}
		loggedIn = r.code == 0
		// A process that ended before its kill tested nothing: once the
		// planned runs are spent, go on (a few more times at most) with an
		// operation that has not been killed mid-run yet.
		if i == len(ops)-1 && len(ops) < planned+12 {
			for _, o := range []string{"login", "refresh", "logout"} {
				if kills[o] == 0 || (o == "refresh" && killedAfterRefresh == 0) {
					ops = append(ops, o)
					break
				}
			}
		}
	}
	t.Logf("%d runs (%d planned); killed mid-run: %v; the killed refresh processes sent %d refresh requests, %d were killed after theirs reached the provider (refresh takes %s, logout %s)",
		len(ops), planned, kills, refreshes, killedAfterRefresh, refreshDur, logoutDur)
	for _, op := range []string{"login", "refresh", "logout"} {
		if kills[op] == 0 {
			t.Errorf("no %s was killed before it finished; the test did not test it", op)
		}
	}
	if refreshes == 0 {
		t.Errorf("no refresh request reached the provider from the refresh processes; they were not refreshing")
	} else if killedAfterRefresh == 0 {
		t.Errorf("no refresh process was killed after its refresh request reached the provider; no kill landed during a real refresh")
	}
}

// TestKeyringStorage logs in with the real Secret Service (run under
// .ci/run's private D-Bus session, or with AUTHDECK_TEST_KEYRING=1).
func TestKeyringStorage(t *testing.T) {
	keyringtest.Require(t)
	bus := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if bus == "" {
		rt := os.Getenv("XDG_RUNTIME_DIR")
		if rt == "" {
			rt = filepath.Join("/run/user", fmt.Sprint(os.Getuid()))
		}
		bus = "unix:path=" + filepath.Join(rt, "bus")
	}
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	s := newSandbox(t).with("DBUS_SESSION_BUS_ADDRESS=" + bus)
	s.addServer(p)
	events, r := s.loginJSON(func(code string) { p.Approve(t, code) }, "--profile", "kr-"+fmt.Sprint(time.Now().UnixNano()))
	if r.code != 0 {
		t.Fatalf("login: %s", r)
	}
	ok := lastEvent(t, events, "success")
	if ok.str("storage") != "keyring" || ok["insecure_storage"] != false {
		t.Fatalf("success event = %v, want the keyring", ok)
	}
	tok := s.token()
	if !p.Active(t, tok) {
		t.Errorf("token from the keyring is not active")
	}
	if data, err := os.ReadFile(filepath.Join(s.dir, "credentials.json")); err == nil && bytes.Contains(data, []byte(tok)) {
		t.Errorf("the token went to credentials.json too")
	}
	st := s.ok("status", "--json")
	if !strings.Contains(st.stdout, `"token_source": "keyring"`) {
		t.Errorf("status does not report the keyring:\n%s", st.stdout)
	}
	s.ok("revoke", "--yes")
	if p.Active(t, tok) {
		t.Errorf("token still active after revoke")
	}
}
