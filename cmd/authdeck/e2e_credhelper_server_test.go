package main

// End-to-end tests of the per-server credential helper settings with the
// real clients and the real provider: kube_token = "id_token" (kubectl
// gets the ID token, verified here against the provider's JWKS, and a new
// one once it expires) and git_username (git sends it as the basic-auth
// user name).

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/oidctest"
)

// idTokenVerifier checks RS256 ID tokens of one issuer and client against
// the issuer's JWKS, as a Kubernetes API server's OIDC authenticator does.
type idTokenVerifier struct {
	issuer, clientID string
	keys             map[string]*rsa.PublicKey

	mu   sync.Mutex
	seen []string // verified tokens, in order
}

func newIDTokenVerifier(t *testing.T, p *oidctest.Provider) *idTokenVerifier {
	t.Helper()
	get := func(u string, v any) {
		t.Helper()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(v) != nil {
			t.Fatalf("GET %s: %s", u, resp.Status)
		}
	}
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	get(p.Issuer+"/.well-known/openid-configuration", &meta)
	var set struct {
		Keys []struct{ Kty, Kid, N, E string }
	}
	get(meta.JWKSURI, &set)
	v := &idTokenVerifier{issuer: p.Issuer, clientID: p.ClientID, keys: map[string]*rsa.PublicKey{}}
	for _, k := range set.Keys {
		if k.Kty != "RSA" {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad JWK %q", k.Kid)
		}
		v.keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	if len(v.keys) == 0 {
		t.Fatal("the provider's JWKS has no RSA key")
	}
	return v
}

// idClaims are the claims the verifier checks.
type idClaims struct {
	Iss string `json:"iss"`
	Aud any    `json:"aud"`
	Exp int64  `json:"exp"`
	Sub string `json:"sub"`
}

// verify checks tok's signature, issuer, audience and expiry.
func (v *idTokenVerifier) verify(tok string) (*idClaims, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT")
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, err
	}
	var h struct{ Alg, Kid string }
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, err
	}
	key := v.keys[h.Kid]
	if h.Alg != "RS256" || key == nil {
		return nil, fmt.Errorf("alg %q kid %q: not a key of the provider", h.Alg, h.Kid)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig); err != nil {
		return nil, fmt.Errorf("signature: %v", err)
	}
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var c idClaims
	if err := json.Unmarshal(pb, &c); err != nil {
		return nil, err
	}
	aud := fmt.Sprint(c.Aud)
	if c.Iss != v.issuer || (aud != v.clientID && aud != "["+v.clientID+"]") {
		return nil, fmt.Errorf("iss %q aud %v: not an ID token for this client", c.Iss, c.Aud)
	}
	if !time.Now().Before(time.Unix(c.Exp, 0)) {
		return nil, fmt.Errorf("expired at %s", time.Unix(c.Exp, 0))
	}
	v.mu.Lock()
	v.seen = append(v.seen, tok)
	v.mu.Unlock()
	return &c, nil
}

func (v *idTokenVerifier) last() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.seen) == 0 {
		return ""
	}
	return v.seen[len(v.seen)-1]
}

// idExp is an ID token's exp, unverified.
func idExp(t *testing.T, tok string) time.Time {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c idClaims
	if err := json.Unmarshal(b, &c); err != nil || c.Exp == 0 {
		t.Fatalf("no exp in the ID token: %v", err)
	}
	return time.Unix(c.Exp, 0).UTC()
}

func TestKubectlIDTokenWithRealKubectl(t *testing.T) {
	t.Parallel()
	kubectls := findKubectls(t)
	if len(kubectls) == 0 {
		t.Skip("no kubectl (Debian package kubernetes-client; .ci/test installs it)")
	}
	k := kubectls[0]
	// ID tokens live 6s, access tokens an hour: only the ID token's expiry
	// can make the helper refresh.
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second, IDTokenTTL: 6 * time.Second})
	s := newSandbox(t)
	s.ok("servers", "add", "dev", "--issuer", p.Issuer, "--client-id", p.ClientID,
		"--scopes", "openid,profile,email,offline_access", "--kube-token", "id_token")
	s.login(p)
	s = s.with("HOME=" + t.TempDir())
	access := s.token()

	ver := newIDTokenVerifier(t, p)
	const body = `{"paths":["/api","/version"]}`
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if _, err := ver.verify(tok); !ok || err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}`)
			return
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	// kube setup --kubeconfig merges the user into an existing kubeconfig,
	// replacing a stale "u" and keeping the rest.
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	doc := `# my clusters
apiVersion: v1
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
users:
- name: other
  user: {token: keep-me}
- name: u
  user: {token: stale}
`
	if err := os.WriteFile(kc, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if w := s.ok("kube", "setup", "--profile", "alice", "--user", "u", "--kubeconfig", kc); w.stdout != "" || !strings.Contains(w.stderr, kc) {
		t.Errorf("kube setup --kubeconfig: %s", w)
	}
	users := runTool(t, s.env, s.dir, "", k.path, "--kubeconfig", kc, "config", "view", "--raw", "-o", "jsonpath={.users[*].name} {.users[0].user.token} {.users[1].user.exec.args}")
	if users.code != 0 || !strings.HasPrefix(users.stdout, "other u keep-me ") || !strings.Contains(users.stdout, "credential-helper") {
		t.Errorf("the merged kubeconfig's users: %s", users)
	}
	if b, _ := os.ReadFile(kc); !strings.HasPrefix(string(b), "# my clusters\n") {
		t.Errorf("the merge lost the file's comment:\n%s", b)
	}
	// A file that is not YAML is left as it is.
	bad := filepath.Join(t.TempDir(), "bad")
	if err := os.WriteFile(bad, []byte("users: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := s.run("", "kube", "setup", "--profile", "alice", "--kubeconfig", bad); r.code != 1 || !strings.Contains(r.stderr, "left as it is") {
		t.Errorf("kube setup into a broken kubeconfig: %s", r)
	}
	if b, _ := os.ReadFile(bad); string(b) != "users: [\n" {
		t.Errorf("the broken kubeconfig was rewritten: %q", b)
	}
	kubectl := func() string {
		t.Helper()
		r := runTool(t, s.env, s.dir, "", k.path, "--kubeconfig", kc, "get", "--raw", "/")
		if r.code != 0 || strings.TrimSpace(r.stdout) != body {
			t.Fatalf("%s (1.%d) get --raw / with kube_token = id_token: %s", k.path, k.minor, r)
		}
		return ver.last()
	}

	first := kubectl()
	if first == "" || first == access {
		t.Fatalf("the API server saw no ID token (the access token? %v)", first == access)
	}
	// The helper's own answer: the ID token, expiring when it does.
	r := s.run("", "credential-helper", "kubectl", "--profile", "alice")
	var cred struct {
		Status struct {
			Token               string
			ExpirationTimestamp time.Time
		}
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &cred) != nil {
		t.Fatalf("credential-helper kubectl: %s", r)
	}
	if _, err := ver.verify(cred.Status.Token); err != nil {
		t.Fatalf("the helper's token is not a valid ID token: %v", err)
	}
	if exp := idExp(t, cred.Status.Token); !cred.Status.ExpirationTimestamp.Equal(exp) {
		t.Errorf("expirationTimestamp = %s, want the ID token's exp %s", cred.Status.ExpirationTimestamp, exp)
	}
	for _, out := range []string{r.stderr, s.ok("status", "--json").stdout, s.ok("profiles", "list", "--json").stdout} {
		if strings.Contains(out, cred.Status.Token) {
			t.Errorf("the ID token was printed outside the helper's answer: %q", out)
		}
	}

	// Once that ID token has expired, the next kubectl run refreshes once
	// and gets a new one.
	last := cred.Status.Token
	exp := idExp(t, last)
	deadline := time.Now().Add(30 * time.Second)
	for !time.Now().After(exp.Add(time.Second)) {
		if time.Now().After(deadline) {
			t.Fatal("the ID token did not expire")
		}
		time.Sleep(200 * time.Millisecond)
	}
	before := p.RefreshCount(t)
	second := kubectl()
	if second == last || !idExp(t, second).After(exp) {
		t.Errorf("after the ID token expired kubectl did not get a new one")
	}
	if got := p.RefreshCount(t) - before; got != 1 {
		t.Errorf("refreshes after the ID token expired = %d, want 1", got)
	}
}

func TestGitCredentialHelperServerUsername(t *testing.T) {
	t.Parallel()
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed (Debian package git; .ci/test installs it)")
	}
	backend := "/usr/lib/git-core/git-http-backend"
	if _, err := os.Stat(backend); err != nil {
		t.Skipf("no %s (Debian package git)", backend)
	}
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	s := newSandbox(t)
	s.ok("servers", "add", "dev", "--issuer", p.Issuer, "--client-id", p.ClientID,
		"--scopes", "openid,profile,email,offline_access", "--git-username", "alice-bot")
	s.login(p)
	s = s.with("PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+t.TempDir(), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")

	root := t.TempDir()
	work := filepath.Join(root, "work")
	for _, args := range [][]string{
		{"init", "-q", "-b", "main", work},
		{"-C", work, "-c", "user.name=T", "-c", "user.email=t@example.test", "commit", "-q", "--allow-empty", "-m", "hello"},
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
		if !ok || user != "alice-bot" || !gate.valid(r, user, pass) {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		cgiH.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "https://")
	env := s.with("GIT_SSL_CAINFO=" + writeCA(t, srv))
	env.ok("git", "setup", host, "--profile", "alice")
	if r := runTool(t, env.env, root, "", git, "clone", "-q", srv.URL+"/repo.git", filepath.Join(root, "c1")); r.code != 0 {
		t.Fatalf("git clone with git_username = alice-bot: %s", r)
	}
	if user, tok := gate.last(); user != "alice-bot" || tok != s.token() {
		t.Errorf("the server saw user %q (and the profile's token? %v)", user, tok == s.token())
	}
	// --username still wins over the server's setting.
	get := env.run("protocol=https\nhost="+host+"\n\n", "credential-helper", "git", "--profile", "alice", "--username", "deploy", "get")
	if get.code != 0 || !strings.HasPrefix(get.stdout, "username=deploy\n") {
		t.Errorf("get --username deploy: %s", get)
	}
}
