package main

// More end-to-end tests of the built binary against the real provider: the
// keyring fallback with no session bus, slow_down through login --json, a
// server's --env-var, shell completions, api and exec on expired tokens, and
// login --with-token --from-file with plain and TOML files.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/oidctest"
)

// statusRow is one profile of `status --json`.
type statusRow struct {
	Profile           string    `json:"profile"`
	Storage           string    `json:"storage"`
	CredentialsPath   string    `json:"credentials_path"`
	TokenSource       string    `json:"token_source"`
	TokenSourceDetail string    `json:"token_source_detail"`
	TokenState        string    `json:"token_state"`
	ExpiresAt         time.Time `json:"expires_at"`
	Note              string    `json:"note"`
}

// status runs `status --json` and returns its rows and raw output.
func (s *sandbox) status() ([]statusRow, string) {
	s.t.Helper()
	r := s.ok("status", "--json")
	var doc struct {
		Profiles []statusRow `json:"profiles"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		s.t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	return doc.Profiles, r.stdout
}

// waitExpired sleeps until the provider considers the only profile's stored
// access token expired: a second past its expires_at (the provider's exp is
// in whole seconds and its clock tolerance is 0).
func (s *sandbox) waitExpired() {
	s.t.Helper()
	rows, _ := s.status()
	if len(rows) != 1 || rows[0].ExpiresAt.IsZero() {
		s.t.Fatalf("status --json: want one profile with an expiry, got %+v", rows)
	}
	time.Sleep(time.Until(rows[0].ExpiresAt.Add(1100 * time.Millisecond)))
}

// TestNoSessionBusFallsBackToFile: with no session bus at all and without
// --insecure-storage, login stores the secret in credentials.json (0600 in
// a 0700 directory it creates), says so once on stderr naming the file, and
// never runs dbus-launch (which would leave a stray bus behind); status
// shows the file.
func TestNoSessionBusFallsBackToFile(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	fakeBin := t.TempDir()
	ran := filepath.Join(t.TempDir(), "dbus-launch-ran")
	script := "#!/bin/sh\necho \"$@\" >> '" + ran + "'\nexit 1\n"
	if err := os.WriteFile(filepath.Join(fakeBin, "dbus-launch"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if found, err := exec.LookPath("dbus-launch"); err == nil && !strings.HasPrefix(found, fakeBin) {
		t.Logf("the real dbus-launch is %s; the fake one comes first on PATH", found)
	}
	conf := filepath.Join(t.TempDir(), "authdeck") // created by authdeck
	// newSandbox sets no DBUS_SESSION_BUS_ADDRESS and an empty XDG_RUNTIME_DIR.
	s := newSandbox(t).with("PATH="+fakeBin+":"+os.Getenv("PATH"), "AUTHDECK_CONFIG_DIR="+conf)
	if _, err := os.Stat(filepath.Join("/run/user", strconv.Itoa(os.Getuid()), "bus")); err == nil {
		t.Skip("this machine has a session bus at /run/user/<uid>/bus; the no-bus path cannot be tested here")
	}
	s.addServer(p)

	events, r := s.loginJSON(func(code string) { p.Approve(t, code) }) // no --insecure-storage
	if r.code != 0 {
		t.Fatalf("login: %s", r)
	}
	cred := filepath.Join(conf, "credentials.json")
	ok := lastEvent(t, events, "success")
	if ok.str("storage") != "file" || ok["insecure_storage"] != true || ok.str("fallback_reason") == "" || ok.str("credentials_path") != cred {
		t.Errorf("success event = %v; want file storage at %s with a fallback reason", ok, cred)
	}
	if !strings.Contains(ok.str("fallback_reason"), "bus") {
		t.Errorf("fallback reason %q does not say there is no session bus", ok.str("fallback_reason"))
	}
	if n := strings.Count(r.stderr, "PLAIN TEXT"); n != 1 || !strings.Contains(r.stderr, cred) || !strings.Contains(r.stderr, "no keyring") {
		t.Errorf("login stderr should warn once that the secret went to %s (found %d warnings):\n%s", cred, n, r.stderr)
	}

	rows, raw := s.status()
	if len(rows) != 1 || rows[0].Storage != "file" || rows[0].CredentialsPath != cred || rows[0].TokenSource != "file" {
		t.Errorf("status --json = %s; want storage file at %s", raw, cred)
	}
	tok := s.token() // also checks that token prints no warning
	if !p.Active(t, tok) {
		t.Errorf("the token read back from the file is not active")
	}
	if fi, err := os.Stat(cred); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials.json: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	if fi, err := os.Stat(conf); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("config directory: %v, mode %v; want 0700", err, fi.Mode().Perm())
	}
	if data, err := os.ReadFile(ran); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dbus-launch was run (%v): %q", err, data)
	}
}

// TestLoginJSONSlowDownRealProvider: the provider (through oidctest's
// SlowDownPolls) answers the first poll with slow_down; login --json reports
// it with the interval raised by 5 s, and the provider saw the next poll no
// sooner than that.
func TestLoginJSONSlowDownRealProvider(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second, SlowDownPolls: 1})
	s := newSandbox(t)
	s.addServer(p)
	events, _ := s.login(p)
	if events[0].str("event") != "code" || events[0]["interval"] != float64(1) {
		t.Fatalf("first event = %v, want the code with interval 1", events[0])
	}
	var polls []event
	for _, e := range events {
		if e.str("event") == "poll" {
			polls = append(polls, e)
		}
	}
	if len(polls) != 1 || polls[0].str("result") != "slow_down" || polls[0]["interval"] != float64(6) {
		t.Fatalf("poll events = %v; want one slow_down with interval 6 (1 + 5)", polls)
	}
	lastEvent(t, events, "success")
	arrivals := p.Stats(t).DevicePolls
	if len(arrivals) != 2 {
		t.Fatalf("the provider saw %d device polls, want 2 (slow_down, then the tokens)", len(arrivals))
	}
	// The provider's timestamps are whole milliseconds taken at the same
	// point of its handling of both requests.
	if gap := arrivals[1].Sub(arrivals[0]); gap < 6*time.Second-20*time.Millisecond {
		t.Errorf("the poll after slow_down reached the provider %s after it; want at least the raised interval, 6s", gap)
	}
}

// TestServerEnvVar: a server's --env-var overrides the stored token (and
// AUTHDECK_TOKEN), status names it, and logout and revoke refuse it, saying
// why, without touching the stored login.
func TestServerEnvVar(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	s := newSandbox(t)
	s.ok("servers", "add", "dev", "--issuer", p.Issuer, "--client-id", p.ClientID,
		"--scopes", "openid,profile,email,offline_access", "--env-var", "WORK_TOKEN")
	s.login(p)
	stored := s.token()

	env := s.with("WORK_TOKEN=work-env-token", "AUTHDECK_TOKEN=generic-env-token")
	if got := env.token(); got != "work-env-token" {
		t.Errorf("token with WORK_TOKEN set = %q, want the env var's value", got)
	}
	env.rowsWant(t, "server-env", "WORK_TOKEN")
	for _, cmd := range []string{"logout", "revoke"} {
		r := env.run("", cmd, "--yes")
		if r.code != 1 || !strings.Contains(r.stderr, "WORK_TOKEN") || !strings.Contains(r.stderr, "unset") {
			t.Errorf("%s with WORK_TOKEN set: %s; want exit 1 naming WORK_TOKEN and saying to unset it", cmd, r)
		}
		if strings.Contains(r.stdout+r.stderr, "work-env-token") {
			t.Errorf("%s printed the env token", cmd)
		}
	}
	if got := s.token(); got != stored {
		t.Errorf("the stored token changed after the refused logout and revoke")
	}
	if !p.Active(t, stored) {
		t.Errorf("the refused revoke revoked the stored token at the provider")
	}
	s.rowsWant(t, "file", filepath.Join(s.dir, "credentials.json"))
}

// rowsWant checks status --json's token source for the only profile.
func (s *sandbox) rowsWant(t *testing.T, source, detail string) {
	t.Helper()
	rows, raw := s.status()
	if len(rows) != 1 || rows[0].TokenSource != source || rows[0].TokenSourceDetail != detail {
		t.Errorf("status --json = %s; want token_source %q, detail %q", raw, source, detail)
	}
	for _, secret := range []string{"work-env-token", "generic-env-token"} {
		if strings.Contains(raw, secret) {
			t.Errorf("status --json printed an env token")
		}
	}
}

// TestCompletionScripts: the bash (and zsh, when installed) scripts parse
// and bash's registers a completion for the command; fish and PowerShell are
// there and name it.
func TestCompletionScripts(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	dir := t.TempDir()
	write := func(shell string) string {
		t.Helper()
		out := s.ok("completion", shell).stdout
		if !strings.Contains(out, "authdeck") {
			t.Errorf("completion %s does not mention authdeck", shell)
		}
		f := filepath.Join(dir, shell)
		if err := os.WriteFile(f, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	shellCheck := func(shell string, args ...string) {
		t.Helper()
		out, err := exec.Command(shell, args...).CombinedOutput()
		if err != nil {
			t.Errorf("%s %v: %v\n%s", shell, args, err, out)
		}
	}
	bash := write("bash")
	shellCheck("bash", "-n", bash)
	out, err := exec.Command("bash", "-c", `source "$1" && complete -p authdeck`, "bash", bash).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "authdeck") {
		t.Errorf("sourcing the bash completion registers nothing for authdeck: %v\n%s", err, out)
	}
	zsh := write("zsh")
	if _, err := exec.LookPath("zsh"); err == nil {
		shellCheck("zsh", "-n", zsh)
	} else {
		t.Log("zsh is not installed: its script is only checked to name authdeck")
	}
	for _, shell := range []string{"fish", "powershell"} {
		write(shell)
	}
	if r := s.run("", "completion", "tcsh"); r.code != 1 {
		t.Errorf("completion tcsh: %s; want exit 1", r)
	}
}

// apiServer is a loopback API that accepts a bearer token only when the
// provider's introspection says it is active.
type apiServer struct {
	*httptest.Server
	mu     sync.Mutex
	tokens map[string][]string // per path, the tokens received
	once   map[string]bool     // paths that already answered their one 401
}

func startAPI(t *testing.T, p *oidctest.Provider) *apiServer {
	t.Helper()
	a := &apiServer{tokens: map[string][]string{}, once: map[string]bool{}}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		a.mu.Lock()
		a.tokens[r.URL.Path] = append(a.tokens[r.URL.Path], tok)
		first := !a.once[r.URL.Path]
		a.once[r.URL.Path] = true
		a.mu.Unlock()
		switch {
		case r.URL.Path == "/missing":
			http.Error(w, "no such thing", http.StatusNotFound)
		case r.URL.Path == "/once401" && first, r.URL.Path == "/always401":
			http.Error(w, "unauthorized", http.StatusUnauthorized)
		case !ok || tok == "" || !p.Active(t, tok):
			http.Error(w, "inactive token", http.StatusUnauthorized)
		default:
			_, _ = io.WriteString(w, "hello from "+r.URL.Path+"\n")
		}
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *apiServer) seen(path string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.tokens[path]...)
}

// TestAPIRefreshesAndRetries runs `authdeck api` against a loopback API that
// checks tokens with the provider: an API that answers 401 once gets one
// refresh and one retry; a 404 exits 1; an always-401 API gets exactly one
// retry; an expired stored token is refreshed before the request.
func TestAPIRefreshesAndRetries(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{AccessTTL: 10 * time.Second, PollInterval: time.Second})
	s := newSandbox(t)
	api := startAPI(t, p) // on a port of its own: one of the server's --api-host
	s.ok("servers", "add", "dev", "--issuer", p.Issuer, "--client-id", p.ClientID, "--scopes", "openid,profile,email,offline_access", "--api-host", api.URL)
	s.login(p)

	// A fresh token (--min-ttl 1s: not refreshed first) refused once.
	before := p.RefreshCount(t)
	r := s.run("", "api", "--min-ttl", "1s", api.URL+"/once401")
	if r.code != 0 || r.stdout != "hello from /once401\n" {
		t.Errorf("api on a 401-once API: %s; want exit 0 and the body", r)
	}
	if got := p.RefreshCount(t) - before; got != 1 {
		t.Errorf("api on a 401-once API sent %d refreshes, want 1", got)
	}
	if seen := api.seen("/once401"); len(seen) != 2 || seen[0] == seen[1] || !p.Active(t, seen[1]) {
		t.Errorf("the API saw %d requests (want 2: the refused one and one retry with a new active token)", len(seen))
	}

	before = p.RefreshCount(t)
	r = s.run("", "api", "--min-ttl", "1s", api.URL+"/missing")
	if r.code != 1 || r.stdout != "no such thing\n" || !strings.Contains(r.stderr, "404") {
		t.Errorf("api on a 404: %s; want exit 1, the body on stdout and the status on stderr", r)
	}
	if got := p.RefreshCount(t) - before; got != 0 || len(api.seen("/missing")) != 1 {
		t.Errorf("api on a 404 sent %d refreshes and %d requests, want 0 and 1", got, len(api.seen("/missing")))
	}

	before = p.RefreshCount(t)
	r = s.run("", "api", "--min-ttl", "1s", api.URL+"/always401")
	if r.code != 1 || !strings.Contains(r.stderr, "401") || !strings.Contains(r.stderr, "even after a refresh") {
		t.Errorf("api on an always-401 API: %s; want exit 1 saying it failed even after a refresh", r)
	}
	if got := p.RefreshCount(t) - before; got != 1 || len(api.seen("/always401")) != 2 {
		t.Errorf("api on an always-401 API sent %d refreshes and %d requests, want 1 and 2", got, len(api.seen("/always401")))
	}

	// The stored token expires: api refreshes before the request.
	s.waitExpired()
	before = p.RefreshCount(t)
	r = s.run("", "api", api.URL+"/hello")
	if r.code != 0 || r.stdout != "hello from /hello\n" {
		t.Errorf("api with an expired token: %s; want exit 0 and the body", r)
	}
	if got := p.RefreshCount(t) - before; got != 1 || len(api.seen("/hello")) != 1 {
		t.Errorf("api with an expired token sent %d refreshes and %d requests, want 1 and 1 (refreshed first)", got, len(api.seen("/hello")))
	}
	for _, out := range []string{r.stdout, r.stderr} {
		for _, tok := range api.seen("/hello") {
			if tok != "" && strings.Contains(out, tok) {
				t.Errorf("api printed the token")
			}
		}
	}
}

// TestExecRealProvider: exec hands a refreshed, active token to the command
// in AUTHDECK_TOKEN and passes its exit code through; a SIGTERM sent to
// authdeck reaches the command, and its death by it becomes 128+15.
func TestExecRealProvider(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{AccessTTL: 5 * time.Second, PollInterval: time.Second})
	s := newSandbox(t)
	s.addServer(p)
	s.login(p)
	s.waitExpired()

	got := filepath.Join(t.TempDir(), "token")
	before := p.RefreshCount(t)
	r := s.with("OUT="+got).run("", "exec", "--", "sh", "-c", `test -n "$AUTHDECK_TOKEN" || exit 3; printf %s "$AUTHDECK_TOKEN" > "$OUT"; exit 7`)
	if r.code != 7 {
		t.Fatalf("exec of a command exiting 7: %s; want exit 7", r)
	}
	tok, err := os.ReadFile(got)
	if err != nil || len(tok) < 10 {
		t.Fatalf("the command did not get a token: %v %q", err, tok)
	}
	if !p.Active(t, string(tok)) {
		t.Errorf("the command got a token the provider does not accept")
	}
	if n := p.RefreshCount(t) - before; n != 1 {
		t.Errorf("exec with an expired token sent %d refreshes, want 1", n)
	}

	dir := t.TempDir()
	mark := filepath.Join(dir, "got-term")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The command notes the signal, then dies of it.
	// It gives up by itself after 30s, so a failing run leaves nothing behind.
	script := `trap 'echo TERM > "$MARK"; trap - TERM; kill -TERM $$' TERM; echo ready; i=0; while [ $i -lt 30 ]; do sleep 1 & wait $!; i=$((i+1)); done; exit 9`
	c := s.with("MARK="+mark).command(ctx, "exec", "--min-ttl", "1s", "--", "sh", "-c", script)
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		_ = c.Process.Kill()
		t.Fatalf("the command did not start: %q %v", line, err)
	}
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	err = c.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !ee.Exited() || ee.ExitCode() != 128+15 {
		t.Errorf("exec of a command killed by the forwarded SIGTERM: %v; want authdeck to exit 143 itself", err)
	}
	if data, err := os.ReadFile(mark); err != nil || string(data) != "TERM\n" {
		t.Errorf("the command did not get SIGTERM: %q %v", data, err)
	}
}

// TestLoginFromPlainAndTOMLFiles imports a real token from a plain file and
// from a TOML file (a dotted --key into a table), and refuses a TOML file
// without the key, naming it.
func TestLoginFromPlainAndTOMLFiles(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	src := newSandbox(t)
	src.addServer(p)
	src.login(p)
	tok := src.token()

	plain := writeTemp(t, tok+"\n")
	dst := newSandbox(t)
	dst.addServer(p)
	r := dst.run("", "login", "--with-token", "--from-file", plain, "--insecure-storage", "--json")
	if r.code != 0 || strings.Contains(r.stdout+r.stderr, tok) {
		t.Fatalf("login --from-file (plain): %s", r)
	}
	var e event
	if err := json.Unmarshal([]byte(r.stdout), &e); err != nil || e.str("event") != "success" || e.str("account") != "alice" {
		t.Errorf("login --from-file --json = %q (%v); want success as alice", r.stdout, err)
	}
	if got := dst.token(); got != tok {
		t.Errorf("token after --from-file (plain) = %q, want the file's", got)
	}

	tomlFile := filepath.Join(t.TempDir(), "secrets.toml")
	doc := "# secrets for the cave\ntitle = \"not a token\"\n\n[cave]\ntoken = \"" + tok + "\"\nother = \"x\"\n"
	if err := os.WriteFile(tomlFile, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	dst2 := newSandbox(t)
	dst2.addServer(p)
	if r := dst2.run("", "login", "--with-token", "--from-file", tomlFile, "--key", "cave.nope", "--insecure-storage"); r.code != 1 || !strings.Contains(r.stderr, "cave.nope") {
		t.Errorf("login --from-file with a key the TOML lacks: %s; want exit 1 naming the key", r)
	}
	r = dst2.run("", "login", "--with-token", "--from-file", tomlFile, "--key", "cave.token", "--insecure-storage")
	if r.code != 0 || strings.Contains(r.stdout+r.stderr, tok) {
		t.Fatalf("login --from-file (TOML, --key cave.token): %s", r)
	}
	if got := dst2.token(); got != tok {
		t.Errorf("token after --from-file (TOML) = %q, want the file's", got)
	}
	if who := dst2.ok("whoami"); !strings.HasPrefix(who.stdout, "alice\n") {
		t.Errorf("whoami after the TOML import: %s", who)
	}
	// A plain file with a token the provider rejects is refused.
	bad := writeTemp(t, "not-a-token\n")
	dst3 := newSandbox(t)
	dst3.addServer(p)
	if r := dst3.run("", "login", "--with-token", "--from-file", bad, "--insecure-storage"); r.code != 1 || !strings.Contains(r.stderr, "not accepted") {
		t.Errorf("login --from-file with a rejected token: %s", r)
	}
	if r := dst3.run("", "token"); r.code != 4 {
		t.Errorf("token after a rejected import: %s; want 4", r)
	}
}
