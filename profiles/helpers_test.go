package profiles

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"golang.org/x/oauth2"
)

// fakeAS is a small authorization server: metadata, a token endpoint that
// serves refresh grants with rotating refresh tokens (reusing a rotated one
// is invalid_grant and revokes the whole family, as oidc-provider does),
// RFC 7009 revocation and userinfo. It counts refresh requests.
type fakeAS struct {
	t   testing.TB
	srv *httptest.Server

	mu        sync.Mutex
	n         int
	refreshes int
	live      map[string]bool // refresh tokens that may be redeemed
	spent     map[string]bool // refresh tokens already redeemed
	access    map[string]bool // access tokens accepted by userinfo
	revoked   []string        // "hint:token" in order
	accessTTL time.Duration
	delay     time.Duration // before answering a refresh
	noRevoke  bool
	// secret, when set, is the client secret the token and revocation
	// endpoints require (invalid_client otherwise).
	secret string
}

// clientOK answers invalid_client when f requires a client secret and the
// request lacks it; the caller holds no lock.
func (f *fakeAS) clientOK(w http.ResponseWriter, r *http.Request) bool {
	f.mu.Lock()
	want := f.secret
	f.mu.Unlock()
	if want == "" || r.PostForm.Get("client_secret") == want {
		return true
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(401)
	_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"client authentication failed"}`))
	return false
}

func newFakeAS(t testing.TB) *fakeAS {
	f := &fakeAS{t: t, live: map[string]bool{}, spent: map[string]bool{}, access: map[string]bool{}, accessTTL: time.Hour}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/oauth-authorization-server", f.metadata)
	mux.HandleFunc("/token", f.token)
	mux.HandleFunc("/revoke", f.revoke)
	mux.HandleFunc("/userinfo", f.userinfo)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAS) URL() string { return f.srv.URL }

func (f *fakeAS) endpoints() auth.Endpoints {
	e := auth.Endpoints{
		Issuer:        f.srv.URL,
		DeviceAuthURL: f.srv.URL + "/device",
		TokenURL:      f.srv.URL + "/token",
		RevocationURL: f.srv.URL + "/revoke",
		UserInfoURL:   f.srv.URL + "/userinfo",
	}
	if f.noRevoke {
		e.RevocationURL = ""
	}
	return e
}

func (f *fakeAS) metadata(w http.ResponseWriter, r *http.Request) {
	e := f.endpoints()
	_ = json.NewEncoder(w).Encode(map[string]string{
		"issuer":                        e.Issuer,
		"device_authorization_endpoint": e.DeviceAuthURL,
		"token_endpoint":                e.TokenURL,
		"revocation_endpoint":           e.RevocationURL,
		"userinfo_endpoint":             e.UserInfoURL,
	})
}

// issue mints a token pair as a login would.
func (f *fakeAS) issue(expiry time.Time) *oauth2.Token {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	at := fmt.Sprintf("at-%d", f.n)
	rt := fmt.Sprintf("rt-%d", f.n)
	f.live[rt] = true
	f.access[at] = true
	return (&oauth2.Token{AccessToken: at, RefreshToken: rt, TokenType: "Bearer", Expiry: expiry}).
		WithExtra(map[string]any{"scope": "openid profile offline_access"})
}

func (f *fakeAS) refreshCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refreshes
}

func (f *fakeAS) revocations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.revoked...)
}

func (f *fakeAS) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	if !f.clientOK(w, r) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.PostForm.Get("grant_type") != "refresh_token" {
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"error":"unsupported_grant_type"}`))
		return
	}
	f.mu.Lock()
	f.refreshes++
	delay := f.delay
	f.mu.Unlock()
	time.Sleep(delay)
	f.mu.Lock()
	defer f.mu.Unlock()
	rt := r.PostForm.Get("refresh_token")
	if !f.live[rt] {
		if f.spent[rt] {
			for k := range f.live { // reuse: revoke the whole grant
				f.live[k] = false
			}
		}
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"grant request is invalid"}`))
		return
	}
	f.live[rt] = false
	f.spent[rt] = true
	f.n++
	at := fmt.Sprintf("at-%d", f.n)
	nrt := fmt.Sprintf("rt-%d", f.n)
	f.live[nrt] = true
	f.access[at] = true
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": at, "token_type": "Bearer", "refresh_token": nrt,
		"expires_in": int(f.accessTTL / time.Second), "scope": "openid profile offline_access",
	})
}

func (f *fakeAS) revoke(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	if !f.clientOK(w, r) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	tok := r.PostForm.Get("token")
	f.revoked = append(f.revoked, r.PostForm.Get("token_type_hint")+":"+tok)
	f.live[tok] = false
	delete(f.access, tok)
}

func (f *fakeAS) userinfo(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	ok := f.access[tok]
	f.mu.Unlock()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(401)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"sub":"sub-alice","preferred_username":"alice","email":"alice@example.com"}`))
}

// env is a fake environment for App.Getenv.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// testApp is an App in a temp dir with in-memory secrets.
func testApp(t testing.TB) App {
	t.Helper()
	return App{
		Name:           "authdeck",
		ConfigDir:      t.TempDir() + "/cfg",
		KeyringService: "authdeck-test",
		EnvToken:       "AUTHDECK_TOKEN",
		EnvProfile:     "AUTHDECK_PROFILE",
		DirFile:        ".authdeck",
		Getenv:         env{}.get,
		Secrets:        NewMemSecrets(),
	}
}

func open(t testing.TB, app App) *Manager {
	t.Helper()
	m, err := Open(app)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// addFakeServer configures f as server "test" (explicit endpoints).
func addFakeServer(t testing.TB, m *Manager, f *fakeAS) Server {
	t.Helper()
	s, err := m.AddServer(ctxT(t), Server{Name: "test", Endpoints: f.endpoints(), ClientID: "cli", Scopes: []string{"openid"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func alice() *auth.Identity {
	return &auth.Identity{Subject: "sub-alice", Username: "alice", Email: "alice@example.com"}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// trustT trusts the directory file at path (a file, or a directory to
// look from) as `profiles trust` does.
func trustT(t testing.TB, m *Manager, path string) {
	t.Helper()
	if _, err := m.TrustDirFile(ctxT(t), path); err != nil {
		t.Fatal(err)
	}
}
