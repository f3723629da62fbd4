package main

// End-to-end tests of the example host CLI, built as a binary: it logs in
// (approved by the test), calls an API with the Kit's HTTP client, and logs
// out, against the built-in dev server and against a real OpenID provider
// (panva's oidc-provider via internal/oidctest), both on 127.0.0.1.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/devserver"
	"github.com/authdeck/authdeck/internal/keyringtest"
	"github.com/authdeck/authdeck/internal/oidctest"
	"github.com/zalando/go-keyring"
)

// bin is the example binary, built once.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hostcli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "acme")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the example:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// acme runs the example binary in an isolated environment: its own config
// directory (ACME_CONFIG_DIR), no session bus (so the credentials file),
// no display, and none of authdeck's variables.
type acme struct {
	t   *testing.T
	dir string
	env []string
	api *httptest.Server // the one API its sessions call (its origin in ACME_API_HOSTS)
}

func newAcme(t *testing.T, issuer, clientID string, scopes []string) *acme {
	t.Helper()
	dir := t.TempDir()
	return &acme{t: t, dir: dir, env: []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"XDG_RUNTIME_DIR=" + t.TempDir(),
		"ACME_CONFIG_DIR=" + dir,
		"ACME_ISSUER=" + issuer,
		"ACME_CLIENT_ID=" + clientID,
		"ACME_SCOPES=" + strings.Join(scopes, " "),
		"AUTHDECK_TOKEN=must-not-be-used",
	}}
}

func (a *acme) command(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, bin, args...)
	c.Env = a.env
	return c
}

// run runs acme and returns its exit code, stdout and stderr.
func (a *acme) run(args ...string) (int, string, string) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	c := a.command(ctx, args...)
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errb.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errb.String()
	}
	a.t.Fatalf("running acme %v: %v", args, err)
	return 0, "", ""
}

// login runs `acme login --json --no-browser`, hands the user code to
// approve, and waits for the success event.
func (a *acme) login(approve func(userCode string)) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := a.command(ctx, "login", "--json", "--no-browser")
	stdout, err := c.StdoutPipe()
	if err != nil {
		a.t.Fatal(err)
	}
	var errb bytes.Buffer
	c.Stderr = &errb
	if err := c.Start(); err != nil {
		a.t.Fatal(err)
	}
	var events []map[string]any
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			a.t.Fatalf("login --json wrote a line that is not JSON: %q", sc.Text())
		}
		events = append(events, ev)
		if ev["event"] == "code" {
			code, _ := ev["user_code"].(string)
			approve(code)
		}
	}
	if err := c.Wait(); err != nil {
		a.t.Fatalf("acme login: %v; events %v; stderr %s", err, events, errb.String())
	}
	last := events[len(events)-1]
	if last["event"] != "success" {
		a.t.Fatalf("last event %v", last)
	}
	if strings.Contains(errb.String(), "authdeck") {
		a.t.Errorf("acme's login output names authdeck: %s", errb.String())
	}
}

// bearerAPI is an API that accepts a request when the authorization
// server's userinfo endpoint accepts its Bearer token, and answers with
// the userinfo document.
func bearerAPI(t *testing.T, userinfo string) *httptest.Server {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authz := r.Header.Get("Authorization")
		if !strings.HasPrefix(authz, "Bearer ") || authz == "Bearer must-not-be-used" {
			http.Error(w, "no bearer token", http.StatusUnauthorized)
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, userinfo, nil)
		req.Header.Set("Authorization", authz)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			http.Error(w, "token rejected by userinfo: "+resp.Status, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.Copy(w, io.LimitReader(resp.Body, 1<<20))
	}))
	t.Cleanup(api.Close)
	return api
}

// session is what every test does: log in, call the API, and check the
// token stayed in acme's own config directory and storage (storage is
// "file", the credentials file in ACME_CONFIG_DIR, or "keyring").
func session(t *testing.T, a *acme, approve func(string), userinfo, wantSub, storage string) string {
	if a.api == nil {
		a.api = bearerAPI(t, userinfo)
		a.env = append(a.env, "ACME_API_HOSTS="+a.api.URL)
	}
	api := a.api
	a.login(approve)

	code, out, errOut := a.run("call", api.URL+"/v1/me")
	if code != 0 {
		t.Fatalf("acme call: exit %d: %s %s", code, out, errOut)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc["sub"] != wantSub {
		t.Fatalf("acme call printed %q (%v), want the userinfo of %s", out, err, wantSub)
	}

	code, tok, _ := a.run("token")
	tok = strings.TrimSpace(tok)
	if code != 0 || tok == "" || tok == "must-not-be-used" {
		t.Fatalf("acme token: exit %d %q", code, tok)
	}
	files := []string{"config.toml"}
	if storage == "file" {
		files = append(files, "credentials.json")
	}
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(a.dir, f)); err != nil {
			t.Errorf("%s is not in ACME_CONFIG_DIR: %v", f, err)
		}
	}
	if code, out, _ := a.run("status"); code != 0 || !strings.Contains(out, "acme") {
		t.Errorf("acme status: exit %d %q", code, out)
	}
	code, out, errOut = a.run("status", "--json")
	var raw struct {
		Profiles []map[string]any `json:"profiles"`
	}
	if err := json.Unmarshal([]byte(out), &raw); code != 0 || err != nil || len(raw.Profiles) != 1 {
		t.Fatalf("acme status --json: exit %d %v: %s %s", code, err, out, errOut)
	}
	if got := raw.Profiles[0]["storage"]; got != storage {
		t.Errorf("acme status --json: storage %v, want %s", got, storage)
	}
	return tok
}

func TestExampleAgainstDevServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Options{Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	a := newAcme(t, srv.Issuer(), srv.ClientID(), srv.Scopes())
	session(t, a, func(code string) {
		if err := srv.Approve(code, "alice"); err != nil {
			t.Error(err)
		}
	}, srv.Endpoints().UserInfoURL, "alice", "file")

	if code, _, errOut := a.run("logout", "--yes"); code != 0 {
		t.Fatalf("acme logout: %d %s", code, errOut)
	}
	code, _, errOut := a.run("call", "http://127.0.0.1:1/")
	if code != 4 || !strings.Contains(errOut, "acme login") {
		t.Errorf("acme call after logout: exit %d, stderr %q (want 4 and a hint to run acme login)", code, errOut)
	}
}

func TestExampleAgainstOIDCProvider(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ep, err := auth.Discover(ctx, http.DefaultClient, p.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	a := newAcme(t, p.Issuer, p.ClientID, strings.Fields("openid profile email offline_access"))
	tok := session(t, a, func(code string) { p.Approve(t, code) }, ep.UserInfoURL, "alice", "file")
	if !p.Active(t, tok) {
		t.Fatal("the provider does not know acme's token")
	}

	// revoke is the Kit's too: the provider then rejects the token.
	if code, _, errOut := a.run("revoke", "--yes"); code != 0 {
		t.Fatalf("acme revoke: %d %s", code, errOut)
	}
	if p.Active(t, tok) {
		t.Error("the token is still active after acme revoke")
	}
	if code, _, _ := a.run("token"); code != 4 {
		t.Errorf("acme token after revoke: exit %d, want 4", code)
	}

	// A second login, then logout: the profile is signed out locally (the
	// token is not revoked at the provider, as logout says).
	tok = session(t, a, func(code string) { p.Approve(t, code) }, ep.UserInfoURL, "alice", "file")
	if code, _, errOut := a.run("logout", "--yes"); code != 0 {
		t.Fatalf("acme logout: %d %s", code, errOut)
	}
	if code, _, _ := a.run("token"); code != 4 {
		t.Errorf("acme token after logout: exit %d, want 4", code)
	}
	code, _, errOut := a.run("call", ep.UserInfoURL)
	if code != 4 || !strings.Contains(errOut, "acme login") {
		t.Errorf("acme call after logout: exit %d, stderr %q", code, errOut)
	}
	if !p.Active(t, tok) {
		t.Error("logout revoked the token at the provider; it only forgets it locally")
	}
}

// TestExampleWithRealKeyring runs acme's session against the dev server
// with the real Secret Service (bash .ci/test): the token goes to the
// keyring under acme's own service name, "acme", not authdeck's, and
// logout deletes it there.
func TestExampleWithRealKeyring(t *testing.T) {
	keyringtest.Require(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Options{Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	a := newAcme(t, srv.Issuer(), srv.ClientID(), srv.Scopes())
	a.env = append(a.env, "DBUS_SESSION_BUS_ADDRESS="+os.Getenv("DBUS_SESSION_BUS_ADDRESS"), "XDG_RUNTIME_DIR="+os.Getenv("XDG_RUNTIME_DIR"))
	tok := session(t, a, func(code string) {
		if err := srv.Approve(code, "alice"); err != nil {
			t.Error(err)
		}
	}, srv.Endpoints().UserInfoURL, "alice", "keyring")
	if _, err := os.Stat(filepath.Join(a.dir, "credentials.json")); err == nil {
		b, _ := os.ReadFile(filepath.Join(a.dir, "credentials.json"))
		if strings.Contains(string(b), tok) {
			t.Error("the token is in credentials.json although the keyring was used")
		}
	}
	cfg, err := os.ReadFile(filepath.Join(a.dir, "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	id := profileID(t, string(cfg))
	item, err := keyring.Get("acme", "profile:"+id)
	if err != nil || !strings.Contains(item, tok) {
		t.Fatalf("no keyring item profile:%s under service acme holding the token: %v", id, err)
	}
	if _, err := keyring.Get("authdeck", "profile:"+id); err == nil {
		t.Error("acme's token is under authdeck's keyring service")
	}
	if code, _, errOut := a.run("logout", "--yes"); code != 0 {
		t.Fatalf("acme logout: %d %s", code, errOut)
	}
	if _, err := keyring.Get("acme", "profile:"+id); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("the keyring item is still there after logout: %v", err)
	}
}

// profileID reads the id of the one profile in a config.toml.
func profileID(t *testing.T, cfg string) string {
	t.Helper()
	for _, line := range strings.Split(cfg, "\n") {
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == "id" {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	t.Fatalf("no profile id in config.toml:\n%s", cfg)
	return ""
}

// TestExampleLinksNoDevServer: a host that does not mount DevServer or
// Demo carries none of the dev server's code.
func TestExampleLinksNoDevServer(t *testing.T) {
	out, err := exec.Command("go", "tool", "nm", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(out), "authdeck/internal/devserver."); n != 0 {
		t.Errorf("the example links %d symbols of internal/devserver", n)
	}
}

// TestExampleImportsNoInternalPackage: the example can be copied into
// another module.
func TestExampleImportsNoInternalPackage(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range strings.Fields(string(out)) {
		if strings.Contains(imp, "/internal/") {
			t.Errorf("the example imports %s, which another module cannot", imp)
		}
	}
}
