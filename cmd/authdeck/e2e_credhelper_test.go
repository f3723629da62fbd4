package main

// End-to-end tests of the credential helpers with the real clients: git
// (cloning over HTTPS through git-http-backend), kubectl (Debian's 1.20,
// which speaks ExecCredential v1beta1 only, and a newer one speaking v1)
// and docker's CLI (manifest inspect and logout, which need no daemon),
// plus docker-credential-helpers' own client library. Every server is on
// 127.0.0.1 and accepts a token only when the real provider's userinfo
// endpoint does.

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/oidctest"
	"github.com/docker/docker-credential-helpers/client"
	"github.com/docker/docker-credential-helpers/credentials"
)

// tokenGate checks tokens at the provider's userinfo endpoint and records
// what it saw; tokens in reject are refused as if revoked.
type tokenGate struct {
	issuer string

	mu     sync.Mutex
	seen   []string // accepted tokens, in order
	users  []string // the user names sent with them (basic auth)
	reject map[string]bool
}

func newTokenGate(p *oidctest.Provider) *tokenGate {
	return &tokenGate{issuer: p.Issuer, reject: map[string]bool{}}
}

// valid asks the provider whether tok is a valid access token.
func (g *tokenGate) valid(r *http.Request, user, tok string) bool {
	g.mu.Lock()
	rejected := g.reject[tok]
	g.mu.Unlock()
	if tok == "" || rejected {
		return false
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.issuer+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	g.mu.Lock()
	g.seen = append(g.seen, tok)
	g.users = append(g.users, user)
	g.mu.Unlock()
	return true
}

func (g *tokenGate) last() (user, tok string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.seen) == 0 {
		return "", ""
	}
	return g.users[len(g.users)-1], g.seen[len(g.seen)-1]
}

func (g *tokenGate) refuse(tok string) {
	g.mu.Lock()
	g.reject[tok] = true
	g.mu.Unlock()
}

// writeCA writes srv's certificate as a PEM file and returns its path.
func writeCA(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runTool runs a tool with env and returns its result.
func runTool(t *testing.T, env []string, dir, stdin, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, name, args...)
	c.Env, c.Dir = env, dir
	c.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s %v: %v", name, args, err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// loggedIn is a sandbox with profile alice logged in at a real provider,
// its binary's directory first on PATH.
func loggedIn(t *testing.T) (*oidctest.Provider, *sandbox) {
	t.Helper()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	s := newSandbox(t)
	s.addServer(p)
	s.login(p)
	home := t.TempDir()
	return p, s.with("PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")
}

func TestGitCredentialHelperClonesWithRealGit(t *testing.T) {
	t.Parallel()
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed (Debian package git; .ci/test installs it)")
	}
	backend := "/usr/lib/git-core/git-http-backend"
	if _, err := os.Stat(backend); err != nil {
		t.Skipf("no %s (Debian package git)", backend)
	}
	p, s := loggedIn(t)

	// A bare repository with one commit.
	root := t.TempDir()
	work := filepath.Join(root, "work")
	for _, args := range [][]string{
		{"init", "-q", "-b", "main", work},
		{"-C", work, "-c", "user.name=T", "-c", "user.email=t@example.test", "commit", "-q", "--allow-empty", "-m", "hello from the test"},
		{"clone", "-q", "--bare", work, filepath.Join(root, "repo.git")},
	} {
		if r := runTool(t, s.env, root, "", git, args...); r.code != 0 {
			t.Fatalf("git %v: %s", args, r)
		}
	}

	gate := newTokenGate(p)
	cgiH := &cgi.Handler{Path: backend, Root: "/", Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || !gate.valid(r, user, pass) {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		cgiH.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "https://")
	env := s.with("GIT_SSL_CAINFO=" + writeCA(t, srv))

	// Before setup git has nothing to send: the clone is refused.
	repoURL := srv.URL + "/repo.git"
	if r := runTool(t, env.env, root, "", git, "clone", "-q", repoURL, filepath.Join(root, "c0")); r.code == 0 {
		t.Fatalf("clone without the helper succeeded: %s", r)
	}

	setup := env.ok("git", "setup", host, "--profile", "alice")
	if setup.stdout != "" {
		t.Errorf("git setup wrote on stdout: %q", setup.stdout)
	}
	cfg := runTool(t, env.env, root, "", git, "config", "--global", "--get-all", "credential.https://"+host+".helper")
	if want := "\n!authdeck credential-helper git --profile alice\n"; cfg.stdout != want {
		t.Errorf("git config has helpers %q, want %q", cfg.stdout, want)
	}

	before := p.RefreshCount(t)
	if r := runTool(t, env.env, root, "", git, "clone", "-q", repoURL, filepath.Join(root, "c1")); r.code != 0 {
		t.Fatalf("git clone with the helper: %s", r)
	}
	user, first := gate.last()
	if user != "oauth2" || first != s.token() {
		t.Errorf("the server saw user %q and the token? %v; want oauth2 and the profile's token", user, first == s.token())
	}
	if log := runTool(t, env.env, root, "", git, "-C", filepath.Join(root, "c1"), "log", "--format=%s"); strings.TrimSpace(log.stdout) != "hello from the test" {
		t.Errorf("cloned log = %s", log)
	}

	// get, as git sends it: the protocol and nothing else on stdout.
	get := env.run("protocol=https\nhost="+host+"\nwwwauth[]=Basic realm=\"test\"\n\n", "credential-helper", "git", "--profile", "alice", "get")
	lines := strings.Split(strings.TrimSuffix(get.stdout, "\n"), "\n")
	if get.code != 0 || get.stderr != "" || len(lines) != 3 || lines[0] != "username=oauth2" || lines[1] != "password="+first || !strings.HasPrefix(lines[2], "password_expiry_utc=") {
		t.Fatalf("credential-helper git get: %s", get)
	}
	exp, err := strconv.ParseInt(strings.TrimPrefix(lines[2], "password_expiry_utc="), 10, 64)
	if err != nil || time.Unix(exp, 0).Before(time.Now()) {
		t.Errorf("password_expiry_utc %q is not a future Unix time", lines[2])
	}

	// The server refuses the token (revoked, say): git erases it, the
	// erase refreshes, and the next clone gets a new, valid token.
	gate.refuse(first)
	if r := runTool(t, env.env, root, "", git, "clone", "-q", repoURL, filepath.Join(root, "c2")); r.code == 0 {
		t.Fatalf("clone with a refused token succeeded: %s", r)
	}
	if got := p.RefreshCount(t) - before; got != 1 {
		t.Fatalf("after git's erase the provider saw %d refreshes, want 1", got)
	}
	if r := runTool(t, env.env, root, "", git, "clone", "-q", repoURL, filepath.Join(root, "c3")); r.code != 0 {
		t.Fatalf("git clone after the refresh: %s", r)
	}
	if _, second := gate.last(); second == first || second != s.token() {
		t.Errorf("the clone after erase did not use the refreshed token")
	}
	if got := p.RefreshCount(t) - before; got != 1 {
		t.Errorf("refreshes = %d after the second clone, want still 1", got)
	}

	// Without --profile, or over plain http to another host, nothing is
	// answered, and stderr says what to do.
	if r := env.run("protocol=https\nhost="+host+"\n\n", "credential-helper", "git", "get"); r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "authdeck git setup "+host+" --profile NAME") {
		t.Errorf("get without --profile: %s", r)
	}
	if r := env.run("protocol=http\nhost=git.example.com\n\n", "credential-helper", "git", "--profile", "alice", "get"); r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "https") {
		t.Errorf("get over plain http: %s", r)
	}
}

// kubectlBinary is one kubectl and the client minor version it reports.
type kubectlBinary struct {
	path  string
	minor int
}

// findKubectls lists the distinct kubectl binaries here: those named in
// AUTHDECK_TEST_KUBECTL (a PATH-style list, for a Debian kubectl extracted
// beside another one), the one on PATH and /usr/bin/kubectl.
func findKubectls(t *testing.T) []kubectlBinary {
	var cands []string
	cands = append(cands, filepath.SplitList(os.Getenv("AUTHDECK_TEST_KUBECTL"))...)
	if p, err := exec.LookPath("kubectl"); err == nil {
		cands = append(cands, p)
	}
	cands = append(cands, "/usr/bin/kubectl")
	seen := map[string]bool{}
	var out []kubectlBinary
	for _, c := range cands {
		real, err := filepath.EvalSymlinks(c)
		if c == "" || err != nil || seen[real] {
			continue
		}
		seen[real] = true
		b, err := exec.Command(c, "version", "--client", "-o", "json").Output()
		if err != nil {
			t.Logf("%s: version: %v", c, err)
			continue
		}
		var v struct {
			ClientVersion struct{ Major, Minor string } `json:"clientVersion"`
		}
		if json.Unmarshal(b, &v) != nil {
			continue
		}
		minor, _ := strconv.Atoi(strings.TrimSuffix(v.ClientVersion.Minor, "+"))
		out = append(out, kubectlBinary{c, minor})
	}
	return out
}

func TestKubectlExecCredentialWithRealKubectl(t *testing.T) {
	t.Parallel()
	kubectls := findKubectls(t)
	var old, current []kubectlBinary
	for _, k := range kubectls {
		if k.minor < 22 {
			old = append(old, k)
		} else {
			current = append(current, k)
		}
	}
	if len(old) == 0 && len(current) == 0 {
		t.Skip("no kubectl (Debian package kubernetes-client; .ci/test installs it)")
	}
	if len(old) == 0 {
		t.Log("no kubectl older than 1.22 (Debian's kubernetes-client 1.20): the v1beta1-only case is not run; .ci/test provides it")
	}
	if len(current) == 0 {
		t.Log("no kubectl 1.22 or later: the ExecCredential v1 case is not run")
	}
	p, s := loggedIn(t)
	gate := newTokenGate(p)
	const body = `{"paths":["/api","/version"]}`
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !gate.valid(r, "", tok) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})

	// The helper alone answers in the version asked for.
	for _, v := range []string{"client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"} {
		info := `{"apiVersion":"` + v + `","kind":"ExecCredential","spec":{"interactive":false}}`
		r := s.with("KUBERNETES_EXEC_INFO="+info).run("", "credential-helper", "kubectl", "--profile", "alice")
		var cred struct {
			APIVersion, Kind string
			Status           struct {
				Token               string
				ExpirationTimestamp time.Time
			}
		}
		if r.code != 0 || r.stderr != "" || json.Unmarshal([]byte(r.stdout), &cred) != nil {
			t.Fatalf("credential-helper kubectl (%s): %s", v, r)
		}
		if cred.APIVersion != v || cred.Kind != "ExecCredential" || cred.Status.Token != s.token() || !cred.Status.ExpirationTimestamp.After(time.Now()) {
			t.Errorf("ExecCredential for %s = %s", v, r.stdout)
		}
	}

	run := func(k kubectlBinary, api string) {
		t.Helper()
		entry := s.ok("kube", "setup", "--profile", "alice", "--user", "u", "--api-version", api)
		if !strings.Contains(entry.stdout, "client.authentication.k8s.io/"+api+"\n") {
			t.Fatalf("kube setup --api-version %s printed:\n%s", api, entry.stdout)
		}
		kc := filepath.Join(t.TempDir(), "kubeconfig")
		doc := `apiVersion: v1
kind: Config
clusters:
- name: stub
  cluster:
    server: ` + srv.URL + `
    certificate-authority-data: ` + base64.StdEncoding.EncodeToString(caPEM) + `
contexts:
- name: stub
  context: {cluster: stub, user: u}
current-context: stub
` + entry.stdout
		if err := os.WriteFile(kc, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		r := runTool(t, s.env, s.dir, "", k.path, "--kubeconfig", kc, "get", "--raw", "/")
		if r.code != 0 || strings.TrimSpace(r.stdout) != body {
			t.Fatalf("%s (1.%d, %s) get --raw /: %s", k.path, k.minor, api, r)
		}
		if _, tok := gate.last(); tok != s.token() {
			t.Errorf("%s (%s): the API server did not see the profile's token", k.path, api)
		}
		t.Logf("%s (client 1.%d) authenticated with ExecCredential %s", k.path, k.minor, api)
	}
	for _, k := range old {
		run(k, "v1beta1")
	}
	for _, k := range current {
		run(k, "v1")
		run(k, "v1beta1")
	}
}

// findDocker is the docker CLI to test: AUTHDECK_TEST_DOCKER, else
// Debian's /usr/bin/docker, else any on PATH.
func findDocker() string {
	for _, c := range []string{os.Getenv("AUTHDECK_TEST_DOCKER"), "/usr/bin/docker"} {
		if c != "" {
			if _, err := os.Stat(c); err == nil {
				return c
			}
		}
	}
	p, _ := exec.LookPath("docker")
	return p
}

func TestDockerCredentialHelperWithRealDockerCLI(t *testing.T) {
	t.Parallel()
	p, s := loggedIn(t)

	// docker-credential-authdeck is the same binary under another name.
	helperDir := t.TempDir()
	helper := filepath.Join(helperDir, "docker-credential-authdeck")
	if err := os.Symlink(bin, helper); err != nil {
		t.Fatal(err)
	}
	dockerDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dockerDir, "config.json"), []byte(`{"psFormat": "table {{.ID}}", "credHelpers": {"other.example": "pass"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s = s.with("PATH="+helperDir+string(os.PathListSeparator)+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"DOCKER_CONFIG="+dockerDir, "DOCKER_HOST=unix://"+filepath.Join(t.TempDir(), "no-daemon.sock"))

	gate := newTokenGate(p)
	manifest := `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}`
	sum := sha256.Sum256([]byte(manifest))
	digest := "sha256:" + hex.EncodeToString(sum[:])
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		user, pass, ok := r.BasicAuth()
		if !ok || !gate.valid(r, user, pass) {
			w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/v2/":
			fmt.Fprint(w, "{}")
		case "/v2/app/manifests/v1", "/v2/app/manifests/" + digest:
			w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
			w.Header().Set("Docker-Content-Digest", digest)
			w.Header().Set("Content-Length", strconv.Itoa(len(manifest)))
			if r.Method != http.MethodHead {
				fmt.Fprint(w, manifest)
			}
		case "/v2/app/blobs/sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a":
			fmt.Fprint(w, "{}") // the image config the manifest names
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	host := u.Host

	setup := s.ok("docker", "setup", host, "--profile", "alice")
	if setup.stdout != "" {
		t.Errorf("docker setup wrote on stdout: %q", setup.stdout)
	}
	var dc map[string]any
	data, _ := os.ReadFile(filepath.Join(dockerDir, "config.json"))
	if err := json.Unmarshal(data, &dc); err != nil {
		t.Fatalf("config.json after setup: %v\n%s", err, data)
	}
	if hs, _ := dc["credHelpers"].(map[string]any); hs[host] != "authdeck" || hs["other.example"] != "pass" || dc["psFormat"] != "table {{.ID}}" {
		t.Errorf("config.json after setup = %s", data)
	}

	// The protocol through docker-credential-helpers' own client.
	env := map[string]string{}
	for _, kv := range s.env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	prog := client.NewShellProgramFuncWithEnv(helper, &env)
	creds, err := client.Get(prog, host)
	if err != nil || creds.Username != "oauth2" || creds.Secret != s.token() || creds.ServerURL != host {
		t.Fatalf("client.Get(%s) = %+v, %v; want oauth2 and the profile's token", host, creds, err)
	}
	if _, err := client.Get(prog, "unmapped.example"); !credentials.IsErrCredentialsNotFound(err) {
		t.Errorf("client.Get(unmapped) = %v; want credentials not found", err)
	}
	if list, err := client.List(prog); err != nil || len(list) != 1 || list[host] != "oauth2" {
		t.Errorf("client.List = %v, %v", list, err)
	}
	if err := client.Store(prog, &credentials.Credentials{ServerURL: host, Username: "oauth2", Secret: "x"}); err != nil {
		t.Errorf("client.Store for a mapped host: %v", err)
	}
	if err := client.Store(prog, &credentials.Credentials{ServerURL: "unmapped.example", Username: "u", Secret: "x"}); err == nil || !strings.Contains(err.Error(), "docker setup unmapped.example") {
		t.Errorf("client.Store for an unmapped host = %v; want the setup command", err)
	}
	if got := strings.TrimSpace(s.ok("credential-helper", "docker", "version").stdout); got != "docker-credential-authdeck (github.com/authdeck/authdeck)" {
		t.Errorf("version = %q", got)
	}

	docker := findDocker()
	if docker == "" {
		t.Log("no docker CLI (Debian package docker.io): tested with docker-credential-helpers' client only")
	} else {
		ver := runTool(t, s.env, s.dir, "", docker, "--version")
		r := runTool(t, s.env, s.dir, "", docker, "manifest", "inspect", "--insecure", host+"/app:v1")
		if r.code != 0 || !strings.Contains(r.stdout, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a") {
			t.Fatalf("%s (%s) manifest inspect: %s", docker, strings.TrimSpace(ver.stdout), r)
		}
		if user, tok := gate.last(); user != "oauth2" || tok != s.token() {
			t.Errorf("the registry saw user %q and the token? %v", user, tok == s.token())
		}
		t.Logf("%s: manifest inspect authenticated through docker-credential-authdeck", strings.TrimSpace(ver.stdout))
		if r := runTool(t, s.env, s.dir, "", docker, "logout", host); r.code != 0 {
			t.Fatalf("docker logout: %s", r)
		}
		if r := runTool(t, s.env, s.dir, "", docker, "manifest", "inspect", "--insecure", host+"/app:v1"); r.code == 0 {
			t.Errorf("manifest inspect after logout still authenticated: %s", r)
		}
	}
	if docker == "" {
		if err := client.Erase(prog, host); err != nil {
			t.Fatalf("client.Erase: %v", err)
		}
	}
	// Erased (docker logout): the host left the profile.
	if list, err := client.List(prog); err != nil || len(list) != 0 {
		t.Errorf("client.List after erase = %v, %v", list, err)
	}
	if _, err := client.Get(prog, host); !credentials.IsErrCredentialsNotFound(err) {
		t.Errorf("client.Get after erase = %v; want credentials not found", err)
	}
}
