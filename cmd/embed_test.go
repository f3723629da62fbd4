package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/devserver"
	"github.com/authdeck/authdeck/internal/keyringtest"
	"github.com/authdeck/authdeck/profiles"
	"github.com/spf13/cobra"
	"github.com/zalando/go-keyring"
)

// hostBuffer is a bytes.Buffer safe for a command writing to it while the
// test reads it.
type hostBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *hostBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *hostBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *hostBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}

// startDevServer starts the in-process authorization server for one test.
func startDevServer(t *testing.T) *devserver.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := devserver.Start(ctx, devserver.Options{Interval: time.Second})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); srv.Close() })
	return srv
}

// embedded is one host application using a Kit, with its commands mounted
// under its own root.
type embedded struct {
	kit      *Kit
	name     string
	dir      string
	out, err *hostBuffer
	env      map[string]string
}

func newEmbedded(t *testing.T, name string, srv *devserver.Server, secrets profiles.SecretStore) *embedded {
	t.Helper()
	e := &embedded{name: name, dir: t.TempDir(), out: &hostBuffer{}, err: &hostBuffer{}, env: map[string]string{}}
	var mu sync.Mutex
	getenv := func(k string) string { mu.Lock(); defer mu.Unlock(); return e.env[k] }
	e.env[envPrefix(name)+"_CONFIG_DIR"] = e.dir
	h := Host{
		Name:    name,
		Getenv:  getenv,
		Stdout:  e.out,
		Stderr:  e.err,
		Secrets: secrets,
		Title:   strings.ToUpper(name),
	}
	if srv != nil {
		h.DefaultServer = &profiles.Server{Name: "home", ClientID: srv.ClientID(), Scopes: srv.Scopes()}
		h.DefaultServer.Issuer = srv.Issuer()
	}
	k, err := New(h)
	if err != nil {
		t.Fatal(err)
	}
	e.kit = k
	return e
}

// run runs the host's command line: a root of its own with the Kit's
// commands mounted under it.
func (e *embedded) run(args ...string) int {
	root := &cobra.Command{Use: e.name, Short: "a host application"}
	root.AddCommand(&cobra.Command{Use: "hello", Run: func(c *cobra.Command, _ []string) { fmt.Fprintln(c.OutOrStdout(), "hi") }})
	root.AddCommand(e.kit.Commands()...)
	root.SetArgs(args)
	root.SetOut(e.out)
	root.SetErr(e.err)
	return e.kit.Execute(context.Background(), root)
}

// login runs `NAME login --json --no-browser` and approves the code as
// user on srv.
func (e *embedded) login(t *testing.T, srv *devserver.Server, user string, extra ...string) {
	t.Helper()
	e.out.Reset()
	e.err.Reset()
	done := make(chan int, 1)
	go func() { done <- e.run(append([]string{"login", "--json", "--no-browser"}, extra...)...) }()
	deadline := time.Now().Add(10 * time.Second)
	approved := false
	for !approved {
		if time.Now().After(deadline) {
			t.Fatalf("no code event; stdout %q stderr %q", e.out.String(), e.err.String())
		}
		select {
		case code := <-done:
			t.Fatalf("login ended (%d) before the code was approved; stdout %q stderr %q", code, e.out.String(), e.err.String())
		case <-time.After(20 * time.Millisecond):
		}
		for _, line := range strings.Split(e.out.String(), "\n") {
			var ev struct{ Event, UserCode string }
			var raw map[string]any
			if json.Unmarshal([]byte(line), &raw) != nil || raw["event"] != "code" {
				continue
			}
			ev.UserCode, _ = raw["user_code"].(string)
			if err := srv.Approve(ev.UserCode, user); err != nil {
				t.Fatal(err)
			}
			approved = true
		}
	}
	select {
	case code := <-done:
		if code != ExitOK {
			t.Fatalf("login: exit %d; stdout %q stderr %q", code, e.out.String(), e.err.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("login did not finish after approval")
	}
	if !strings.Contains(e.out.String(), `"event":"success"`) {
		t.Fatalf("no success event: %q", e.out.String())
	}
}

func TestHostDefaults(t *testing.T) {
	h, err := Host{Name: "acme-cli"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := Host{EnvPrefix: "ACME_CLI", EnvToken: "ACME_CLI_TOKEN", EnvProfile: "ACME_CLI_PROFILE",
		EnvConfigDir: "ACME_CLI_CONFIG_DIR", EnvClientSecret: "ACME_CLI_CLIENT_SECRET", DirFile: ".acme-cli",
		KeyringService: "acme-cli", Title: "acme-cli"}
	got := Host{EnvPrefix: h.EnvPrefix, EnvToken: h.EnvToken, EnvProfile: h.EnvProfile, EnvConfigDir: h.EnvConfigDir,
		EnvClientSecret: h.EnvClientSecret, DirFile: h.DirFile, KeyringService: h.KeyringService, Title: h.Title}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
	if h.Getenv("HOME") != "" {
		t.Error("a nil Getenv must mean an empty environment, not the process's")
	}
	if n, err := h.Stdout.Write([]byte("x")); n != 1 || err != nil {
		t.Errorf("nil Stdout must discard: %d %v", n, err)
	}

	h, err = Host{Name: "zeta", EnvPrefix: "Z", EnvToken: NoEnv, EnvProfile: "ZP", DirFile: NoEnv}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if h.EnvToken != "" || h.EnvProfile != "ZP" || h.EnvConfigDir != "Z_CONFIG_DIR" || h.DirFile != "" {
		t.Errorf("explicit names: %+v", h)
	}
	app := h.profilesApp("/cfg")
	if app.Name != "zeta" || app.KeyringService != "zeta" || app.EnvToken != "" || app.EnvProfile != "ZP" || app.ConfigDir != "/cfg" {
		t.Errorf("profiles.App: %+v", app)
	}

	for _, bad := range []Host{{}, {Name: "a b"}, {Name: "-x"}, {Name: "x\x1b"},
		{Name: "x", DefaultServer: &profiles.Server{Name: "s"}},
		{Name: "x", DefaultServer: &profiles.Server{Name: "bad name!", ClientID: "c"}}} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%+v) accepted an invalid host", bad)
		}
	}
}

func TestHostConfigDir(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	h, _ := Host{Name: "acme", Getenv: getenv}.withDefaults()
	if _, err := h.configDir(); err == nil || !strings.Contains(err.Error(), "ACME_CONFIG_DIR") {
		t.Errorf("no HOME, no XDG: %v (must say which variable to set)", err)
	}
	env["HOME"] = "/home/u"
	if d, _ := h.configDir(); d != "/home/u/.config/acme" {
		t.Errorf("HOME: %q", d)
	}
	env["XDG_CONFIG_HOME"] = "/xdg"
	if d, _ := h.configDir(); d != "/xdg/acme" {
		t.Errorf("XDG_CONFIG_HOME: %q", d)
	}
	env["ACME_CONFIG_DIR"] = "/explicit"
	if d, _ := h.configDir(); d != "/explicit" {
		t.Errorf("ACME_CONFIG_DIR: %q", d)
	}
	h.ConfigDir = "/host"
	if d, _ := h.configDir(); d != "/host" {
		t.Errorf("Host.ConfigDir: %q", d)
	}
	for _, tc := range []struct{ goos, key, val, want string }{
		{"darwin", "HOME", "/Users/u", "/Users/u/Library/Application Support"},
		{"windows", "AppData", `C:\AD`, `C:\AD`},
		{"linux", "XDG_CONFIG_HOME", "rel", ""},
	} {
		got, err := userConfigDir(tc.goos, func(k string) string {
			if k == tc.key {
				return tc.val
			}
			return ""
		})
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("%s: %q %v, want %q", tc.goos, got, err, tc.want)
		}
	}
}

// TestKitCommandsUnderHostRoot mounts the Kit's commands under a host root
// named acme and runs a whole session against the dev server: every text
// names acme and its variables, never authdeck.
func TestKitCommandsUnderHostRoot(t *testing.T) {
	srv := startDevServer(t)
	e := newEmbedded(t, "acme", srv, profiles.NewMemSecrets())

	names := map[string]bool{}
	for _, c := range e.kit.Commands() {
		names[c.Name()] = true
	}
	for _, n := range []string{"login", "logout", "whoami", "token", "profiles", "revoke", "status"} {
		if !names[n] {
			t.Errorf("Commands() lacks %s", n)
		}
	}
	if len(names) != 7 {
		t.Errorf("Commands() = %v, want exactly the seven", names)
	}

	if code := e.run("whoami"); code != ExitNotLoggedIn {
		t.Errorf("whoami before login: exit %d, want %d", code, ExitNotLoggedIn)
	}
	if got := e.err.String(); !strings.Contains(got, "acme: ") || !strings.Contains(got, "acme login") || strings.Contains(got, "authdeck") {
		t.Errorf("not-logged-in message = %q: must be acme's", got)
	}

	e.login(t, srv, "alice")
	cfg, err := e.kit.Manager().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := cfg.Server("home"); !ok || s.TokenURL == "" {
		t.Fatalf("the default server was not added with its discovered endpoints: %+v", cfg.Servers)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "config.toml")); err != nil {
		t.Fatalf("config not under the host's ACME_CONFIG_DIR: %v", err)
	}

	e.out.Reset()
	if code := e.run("token"); code != ExitOK {
		t.Fatalf("token: exit %d: %s", code, e.err.String())
	}
	tok := strings.TrimSpace(e.out.String())
	if tok == "" {
		t.Fatal("token printed nothing")
	}
	e.out.Reset()
	if code := e.run("whoami", "--json"); code != ExitOK || !strings.Contains(e.out.String(), "alice") {
		t.Fatalf("whoami: exit %d: %s %s", code, e.out.String(), e.err.String())
	}

	// The host's own variable overrides the stored token; authdeck's does not.
	e.env["AUTHDECK_TOKEN"] = "not-for-acme"
	e.out.Reset()
	if e.run("token"); strings.TrimSpace(e.out.String()) != tok {
		t.Errorf("AUTHDECK_TOKEN leaked into acme: %q", e.out.String())
	}
	e.env["ACME_TOKEN"] = "from-acme-env"
	e.out.Reset()
	if e.run("token"); strings.TrimSpace(e.out.String()) != "from-acme-env" {
		t.Errorf("ACME_TOKEN ignored: %q", e.out.String())
	}
	delete(e.env, "ACME_TOKEN")

	// Help names the host and its variables; --profile is there.
	e.out.Reset()
	e.run("token", "--help")
	help := e.out.String()
	for _, want := range []string{"ACME_TOKEN", "acme token", "--profile", "ACME_PROFILE"} {
		if !strings.Contains(help, want) {
			t.Errorf("token --help lacks %q:\n%s", want, help)
		}
	}
	if strings.Contains(help, "authdeck") || strings.Contains(help, "AUTHDECK") {
		t.Errorf("token --help mentions authdeck:\n%s", help)
	}

	// A usage error is printed once, by the Kit command, with acme's name.
	e.err.Reset()
	if code := e.run("status", "--bogus"); code != ExitError {
		t.Errorf("status --bogus: exit %d", code)
	}
	if got := e.err.String(); strings.Count(got, "acme: ") != 1 || !strings.Contains(got, "Run 'acme status --help'") {
		t.Errorf("flag error output = %q", got)
	}
	e.err.Reset()
	if code := e.run("profiles", "use"); code != ExitError || strings.Count(e.err.String(), "acme: ") != 1 {
		t.Errorf("profiles use (no NAME): exit %d, stderr %q", code, e.err.String())
	}

	// A second set of commands has its own flags.
	e.out.Reset()
	if code := e.run("whoami", "--profile", "nobody"); code == ExitOK {
		t.Error("whoami --profile nobody succeeded")
	}
	e.out.Reset()
	if code := e.run("whoami"); code != ExitOK {
		t.Errorf("whoami after a --profile in an earlier run: exit %d (flags leaked between runs): %s", code, e.err.String())
	}

	e.err.Reset()
	if code := e.run("logout", "--yes"); code != ExitOK {
		t.Fatalf("logout: %d %s", code, e.err.String())
	}
	if code := e.run("token"); code != ExitNotLoggedIn {
		t.Errorf("token after logout: exit %d", code)
	}
}

// TestKitTokenSourceRefreshesAndPersists: the host's HTTP client sends the
// stored token; once it has expired, the token source refreshes it at the
// server and stores the new tokens.
func TestKitTokenSourceRefreshesAndPersists(t *testing.T) {
	srv := startDevServer(t)
	secrets := profiles.NewMemSecrets()
	e := newEmbedded(t, "acme", srv, secrets)
	e.login(t, srv, "bob")

	userinfo := srv.Endpoints().UserInfoURL
	var seen []string
	var mu sync.Mutex
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authz := r.Header.Get("Authorization")
		mu.Lock()
		seen = append(seen, authz)
		mu.Unlock()
		// The API trusts a token the authorization server's userinfo accepts.
		req, _ := http.NewRequestWithContext(r.Context(), "GET", userinfo, nil)
		req.Header.Set("Authorization", authz)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	defer api.Close()
	kitTrust(t, e, api.URL) // the API is on its own port, listed in api_hosts

	ctx := context.Background()
	hc := e.kit.HTTPClient(ctx, "")
	get := func() string {
		t.Helper()
		resp, err := hc.Get(api.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("API: %s %s", resp.Status, b)
		}
		return string(b)
	}
	if body := get(); !strings.Contains(body, "bob") {
		t.Fatalf("userinfo through the API = %s", body)
	}

	// Expire the stored token: a fresh token source must refresh it.
	keys := secrets.Keys()
	if len(keys) != 1 {
		t.Fatalf("secrets = %q", keys)
	}
	old, err := secrets.Get(ctx, keys[0])
	if err != nil {
		t.Fatal(err)
	}
	expired := *old
	expired.Expiry = time.Now().Add(-time.Minute)
	if err := secrets.Set(ctx, keys[0], &expired); err != nil {
		t.Fatal(err)
	}
	hc = e.kit.HTTPClient(ctx, "")
	if body := get(); !strings.Contains(body, "bob") {
		t.Fatalf("after refresh = %s", body)
	}
	now, _ := secrets.Get(ctx, keys[0])
	if now.AccessToken == old.AccessToken || !now.Expiry.After(time.Now()) {
		t.Errorf("the refreshed token was not persisted: %+v", now.Expiry)
	}
	mu.Lock()
	last := seen[len(seen)-1]
	mu.Unlock()
	if last != "Bearer "+now.AccessToken {
		t.Error("the API did not receive the refreshed token")
	}

	// The client refuses to send the token over plain HTTP to another host.
	if _, err := hc.Get("http://api.example.com/"); err == nil || !strings.Contains(err.Error(), "HTTP") {
		t.Errorf("plain HTTP to a remote host: %v", err)
	}
	// A named profile that does not exist is an error, not another's token.
	if _, err := e.kit.TokenSource(ctx, "nobody").Token(); !errors.Is(err, profiles.ErrUnknownProfile) {
		t.Errorf("unknown profile: %v", err)
	}
}

// TestTwoHostsInOneProcess: two applications embedding the Kit in one
// process keep their own config directories, keyring services and
// profiles. With AUTHDECK_TEST_KEYRING=1 the secrets go to the real Secret
// Service under each host's service name; otherwise each host has its own
// in-memory store.
func TestTwoHostsInOneProcess(t *testing.T) {
	srv := startDevServer(t)
	real := os.Getenv(keyringtest.EnvVar) == "1"
	var sa, sb profiles.SecretStore
	suffix := fmt.Sprintf("-%d", time.Now().UnixNano())
	if real {
		keyringtest.Require(t)
	} else {
		sa, sb = profiles.NewMemSecrets(), profiles.NewMemSecrets()
	}
	a := newEmbedded(t, "acme"+suffix, srv, sa)
	b := newEmbedded(t, "zeta"+suffix, srv, sb)
	if real {
		for _, e := range []*embedded{a, b} {
			e.env["DBUS_SESSION_BUS_ADDRESS"] = os.Getenv("DBUS_SESSION_BUS_ADDRESS")
			e.env["XDG_RUNTIME_DIR"] = os.Getenv("XDG_RUNTIME_DIR")
		}
	}
	a.login(t, srv, "alice")
	b.login(t, srv, "bob")
	b.login(t, srv, "alice", "--profile", "zeta-alice")

	ctx := context.Background()
	ca, err := a.kit.Manager().Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.kit.Manager().Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ca.Profiles) != 1 || len(cb.Profiles) != 2 {
		t.Fatalf("profiles: a=%+v b=%+v", ca.Profiles, cb.Profiles)
	}
	if a.kit.Manager().ConfigPath() == b.kit.Manager().ConfigPath() ||
		!strings.HasPrefix(a.kit.Manager().ConfigPath(), a.dir) || !strings.HasPrefix(b.kit.Manager().ConfigPath(), b.dir) {
		t.Errorf("config paths %s and %s", a.kit.Manager().ConfigPath(), b.kit.Manager().ConfigPath())
	}
	if a.kit.Manager().App().KeyringService == b.kit.Manager().App().KeyringService {
		t.Error("the two hosts share a keyring service")
	}

	if real {
		// Each profile's secret is under its own host's service, not the other's.
		for _, tc := range []struct {
			e     *embedded
			cfg   *profiles.Config
			other *embedded
		}{{a, ca, b}, {b, cb, a}} {
			for _, p := range tc.cfg.Profiles {
				if p.Storage != profiles.StorageKeyring {
					t.Fatalf("%s: profile %s stored in %q, want the keyring", tc.e.name, p.Name, p.Storage)
				}
				key := "profile:" + p.ID
				if _, err := keyring.Get(tc.e.name, key); err != nil {
					t.Errorf("%s: %s not under its service: %v", tc.e.name, key, err)
				}
				if _, err := keyring.Get(tc.other.name, key); err == nil {
					t.Errorf("%s's secret %s is under %s's service", tc.e.name, key, tc.other.name)
				}
			}
		}
	} else {
		ka, kb := sa.(*profiles.MemSecrets).Keys(), sb.(*profiles.MemSecrets).Keys()
		if len(ka) != 1 || len(kb) != 2 {
			t.Errorf("secrets: a=%q b=%q", ka, kb)
		}
	}

	// Whoami and tokens answer from each host's own store.
	a.out.Reset()
	b.out.Reset()
	a.run("whoami", "--json")
	b.run("whoami", "--json", "--profile", "zeta-alice")
	if !strings.Contains(a.out.String(), "alice") || !strings.Contains(b.out.String(), "alice") {
		t.Errorf("whoami: a=%s b=%s", a.out.String(), b.out.String())
	}
	ta, err := a.kit.TokenSource(ctx, "").Token()
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.kit.TokenSource(ctx, "zeta-alice").Token()
	if err != nil {
		t.Fatal(err)
	}
	if ta.AccessToken == tb.AccessToken {
		t.Error("two hosts' logins share a token")
	}

	// Logging out of every profile of one host leaves the other signed in.
	if code := b.run("logout", "--all", "--yes"); code != ExitOK {
		t.Fatalf("b logout --all: %d %s", code, b.err.String())
	}
	if _, err := b.kit.TokenSource(ctx, "").Token(); !errors.Is(err, profiles.ErrNotLoggedIn) {
		t.Errorf("b after logout: %v", err)
	}
	a.out.Reset()
	if code := a.run("token"); code != ExitOK || strings.TrimSpace(a.out.String()) != ta.AccessToken {
		t.Errorf("a after b's logout: exit %d, %q", code, a.out.String())
	}
	if code := a.run("logout", "--yes"); code != ExitOK {
		t.Errorf("a logout: %d", code)
	}
}

// TestAuthdeckIsAHost: the binary's identity comes from Authdeck through
// the same constructor, and its root says so.
func TestAuthdeckIsAHost(t *testing.T) {
	var out bytes.Buffer
	h := Authdeck("9.9.9")
	dir := t.TempDir()
	h.Getenv = func(k string) string {
		if k == "AUTHDECK_CONFIG_DIR" {
			return dir
		}
		return ""
	}
	h.Stdout, h.Secrets = &out, profiles.NewMemSecrets()
	k, err := New(h)
	if err != nil {
		t.Fatal(err)
	}
	if k.Manager().ConfigPath() != filepath.Join(dir, "config.toml") {
		t.Errorf("config path %s", k.Manager().ConfigPath())
	}
	app := k.Manager().App()
	if app.Name != "authdeck" || app.KeyringService != "authdeck" || app.EnvToken != "AUTHDECK_TOKEN" ||
		app.EnvProfile != "AUTHDECK_PROFILE" || app.DirFile != ".authdeck" {
		t.Errorf("authdeck's App = %+v", app)
	}
	root := k.RootCmd()
	root.SetArgs([]string{"--version"})
	if code := k.Execute(context.Background(), root); code != ExitOK || out.String() != "authdeck version 9.9.9\n" {
		t.Errorf("--version: %d %q", code, out.String())
	}
	if err := k.RunTUI(context.Background()); err == nil || !strings.Contains(err.Error(), "terminal") {
		t.Errorf("RunTUI without a terminal: %v", err)
	}
}

// captureProcessStreams points os.Stdout and os.Stderr at pipes until the
// returned function is called; it restores them and returns what was
// written to each.
func captureProcessStreams(t *testing.T) func() (stdout, stderr string) {
	t.Helper()
	type capture struct {
		w    *os.File
		done chan string
	}
	start := func() capture {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		c := capture{w: w, done: make(chan string, 1)}
		go func() {
			b, _ := io.ReadAll(r)
			r.Close()
			c.done <- string(b)
		}()
		return c
	}
	oldOut, oldErr := os.Stdout, os.Stderr
	co, ce := start(), start()
	os.Stdout, os.Stderr = co.w, ce.w
	restored := false
	restore := func() (string, string) {
		if !restored {
			restored = true
			os.Stdout, os.Stderr = oldOut, oldErr
			co.w.Close()
			ce.w.Close()
		}
		return <-co.done, <-ce.done
	}
	t.Cleanup(func() {
		if !restored {
			restore()
		}
	})
	return restore
}

// TestKitCommandsUseHostStreams: help, usage and errors of the Kit's
// commands go to the host's streams, never to the process's, whether the
// host runs its root with Kit.Execute or with cobra's own Execute, and
// whether or not its root command sets streams of its own.
func TestKitCommandsUseHostStreams(t *testing.T) {
	out, errb := &hostBuffer{}, &hostBuffer{}
	k, err := New(Host{Name: "acme", ConfigDir: t.TempDir(), Stdout: out, Stderr: errb, Secrets: profiles.NewMemSecrets()})
	if err != nil {
		t.Fatal(err)
	}
	newRoot := func() *cobra.Command {
		root := &cobra.Command{Use: "acme", Short: "a host application"}
		root.AddCommand(k.Commands()...)
		return root
	}
	finish := captureProcessStreams(t)

	// cobra's own Execute on a root with no streams set.
	root := newRoot()
	root.SetArgs([]string{"login", "--help"})
	if err := root.Execute(); err != nil {
		t.Errorf("login --help: %v", err)
	}
	loginHelp := out.String()
	out.Reset()

	// Kit.Execute: help of a Kit command, of the host's root, and an
	// unknown flag.
	root = newRoot()
	root.SetArgs([]string{"status", "--help"})
	codeHelp := k.Execute(context.Background(), root)
	statusHelp := out.String()
	out.Reset()
	root = newRoot()
	root.SetArgs([]string{"--help"})
	k.Execute(context.Background(), root)
	rootHelp := out.String()
	root = newRoot()
	root.SetArgs([]string{"login", "--bogus"})
	codeFlag := k.Execute(context.Background(), root)

	procOut, procErr := finish()
	if procOut != "" || procErr != "" {
		t.Errorf("the Kit wrote to the process's streams:\nstdout %q\nstderr %q", procOut, procErr)
	}
	if !strings.Contains(loginHelp, "acme login") || !strings.Contains(loginHelp, "--profile") {
		t.Errorf("login --help on the host's Stdout = %q", loginHelp)
	}
	if codeHelp != ExitOK || !strings.Contains(statusHelp, "acme status") {
		t.Errorf("status --help: exit %d, host's Stdout %q", codeHelp, statusHelp)
	}
	if !strings.Contains(rootHelp, "login") || !strings.Contains(rootHelp, "Usage:") {
		t.Errorf("acme --help on the host's Stdout = %q", rootHelp)
	}
	if codeFlag != ExitError || !strings.Contains(errb.String(), "unknown flag: --bogus") || !strings.Contains(errb.String(), "Run 'acme login --help'") {
		t.Errorf("login --bogus: exit %d, host's Stderr %q", codeFlag, errb.String())
	}
}

// TestKitDirFileThroughHostGetwd: the per-directory file is looked for from
// the directory Host.Getwd returns (here a nested directory under the
// file), never the process's, and used once trusted; without Getwd no
// directory file is used.
func TestKitDirFileThroughHostGetwd(t *testing.T) {
	srv := startDevServer(t)
	secrets := profiles.NewMemSecrets()
	e := newEmbedded(t, "acme", srv, secrets)
	e.login(t, srv, "alice")
	e.login(t, srv, "bob", "--profile", "acme-bob")
	ctx := context.Background()
	cfg, err := e.kit.Manager().Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other := "acme-bob"
	if cfg.Active == other {
		other = cfg.Profiles[0].Name
	}
	want, err := e.kit.Manager().Token(ctx, other, profiles.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}

	work := t.TempDir()
	nested := filepath.Join(work, "a", "b")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, ".acme"), []byte(other+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(nested) // the process's directory too: only Getwd may lead there
	kit := func(getwd func() (string, error)) *Kit {
		k, err := New(Host{Name: "acme", ConfigDir: e.dir, Secrets: secrets, Getwd: getwd})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	// Not trusted yet: ignored.
	tok, err := kit(func() (string, error) { return nested, nil }).TokenSource(ctx, "").Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == want.Token.AccessToken {
		t.Errorf("an untrusted %s/.acme chose %s", work, other)
	}
	if _, err := e.kit.Manager().TrustDirFile(ctx, work); err != nil {
		t.Fatal(err)
	}
	tok, err = kit(func() (string, error) { return nested, nil }).TokenSource(ctx, "").Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != want.Token.AccessToken {
		t.Errorf("with Getwd under %s/.acme: not the token of %s", work, other)
	}
	tok, err = kit(nil).TokenSource(ctx, "").Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == want.Token.AccessToken {
		t.Errorf("without Getwd the directory file chose %s (the active profile is %s)", other, cfg.Active)
	}
}

// TestSystemOpenerUsesHostEnvironment: the browser opener is found in the
// PATH the host's Getenv gives and runs with the host's variables, never
// the process's.
func TestSystemOpenerUsesHostEnvironment(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("needs /bin/sh")
	}
	bin, out := t.TempDir(), filepath.Join(t.TempDir(), "opened")
	script := "#!/bin/sh\n{ echo \"$1\"; export -p; } > '" + out + "'\n" // builtins only: PATH is the test's
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AUTHDECK_PROCESS_ONLY", "leaked")
	env := map[string]string{"PATH": bin, "DISPLAY": ":7", "UNLISTED": "x"}
	open := systemOpener("linux", func(k string) string { return env[k] }, nil)
	if err := open("https://id.example.com/device"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if !strings.HasPrefix(got, "https://id.example.com/device\n") || !strings.Contains(got, "DISPLAY=") || !strings.Contains(got, ":7") {
		t.Errorf("the opener got %q", got)
	}
	if strings.Contains(got, "AUTHDECK_PROCESS_ONLY") || strings.Contains(got, "UNLISTED") {
		t.Errorf("the opener's environment holds variables the host did not hand it:\n%s", got)
	}

	// With Environ, exactly that environment.
	open = systemOpener("linux", func(k string) string { return env[k] }, func() []string { return []string{"ONLY=this"} })
	if err := open("https://id.example.com/device"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); !strings.Contains(string(b), "ONLY=") || strings.Contains(string(b), "DISPLAY") {
		t.Errorf("with Environ the opener got %q", b)
	}

	// The process's PATH is not searched.
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	open = systemOpener("linux", func(string) string { return "" }, nil)
	if err := open("https://id.example.com/device"); err == nil || !strings.Contains(err.Error(), "no browser opener") {
		t.Errorf("with no PATH from the host: %v", err)
	}
}
