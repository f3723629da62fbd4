package profiles

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/fsutil"
	"golang.org/x/oauth2"
)

// loggedIn returns a manager with server "test" (env var TEST_TOKEN) and a
// profile "alice" whose token expires at exp.
func loggedIn(t *testing.T, f *fakeAS, app App, exp time.Time, insecure bool) (*Manager, Profile, *oauth2.Token) {
	t.Helper()
	m := open(t, app)
	s := Server{Name: "test", Endpoints: f.endpoints(), ClientID: "cli", EnvVar: "TEST_TOKEN"}
	if _, err := m.AddServer(ctxT(t), s); err != nil {
		t.Fatal(err)
	}
	tok := f.issue(exp)
	p, _, err := m.SaveLogin(ctxT(t), "test", tok, alice(), SaveOptions{Insecure: insecure})
	if err != nil {
		t.Fatal(err)
	}
	return m, p, tok
}

func TestTokenPrecedence(t *testing.T) {
	f := newFakeAS(t)
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	jsonf := filepath.Join(dir, "tok.json")
	empty := filepath.Join(dir, "empty")
	nokey := filepath.Join(dir, "nokey.json")
	tomlf := filepath.Join(dir, "tok.toml")
	for p, c := range map[string]string{plain: "  file-token\n", jsonf: `{"token": " json-token "}`, empty: " \n", nokey: `{"access": "x"}`, tomlf: "token = \"toml-token\"\n"} {
		if err := os.WriteFile(p, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name    string
		env     env
		file    string
		want    string
		source  Source
		detail  string
		wantErr string
	}{
		{"stored", env{}, "", "", SourceKeyring, "", ""},
		{"app env", env{"AUTHDECK_TOKEN": "env-token"}, "", "env-token", SourceEnv, "AUTHDECK_TOKEN", ""},
		{"server env beats app env", env{"AUTHDECK_TOKEN": "env-token", "TEST_TOKEN": "srv-token"}, "", "srv-token", SourceServerEnv, "TEST_TOKEN", ""},
		{"file beats env", env{"AUTHDECK_TOKEN": "env-token", "TEST_TOKEN": "srv-token"}, plain, "file-token", SourceTokenFile, plain, ""},
		{"json file", env{}, jsonf, "json-token", SourceTokenFile, jsonf, ""},
		{"toml file", env{}, tomlf, "toml-token", SourceTokenFile, tomlf, ""},
		{"empty file", env{}, empty, "", "", "", "is empty"},
		{"json without token", env{}, nokey, "", "", "", `"token" key`},
		{"missing file", env{}, filepath.Join(dir, "nope"), "", "", "", "cannot read the token file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app := testApp(t)
			app.Getenv = c.env.get
			m, _, tok := loggedIn(t, f, app, time.Now().Add(time.Hour), false)
			r, err := m.Token(ctxT(t), "alice", TokenOptions{MinTTL: time.Minute, TokenFile: c.file})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := c.want
			if want == "" {
				want = tok.AccessToken
			}
			if r.Token.AccessToken != want || r.Source != c.source || r.SourceDetail != c.detail || r.Refreshed {
				t.Fatalf("got %q from %s (%s), want %q from %s (%s)", r.Token.AccessToken, r.Source, r.SourceDetail, want, c.source, c.detail)
			}
			st, err := m.Status(ctxT(t), c.file)
			if err != nil || len(st) != 1 || st[0].Source != c.source {
				t.Fatalf("Status source: %+v %v", st, err)
			}
		})
	}
}

func TestTokenNotLoggedIn(t *testing.T) {
	f := newFakeAS(t)
	ctx := ctxT(t)
	m := open(t, testApp(t))
	if _, err := m.Token(ctx, "", TokenOptions{}); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("no profiles: %v", err)
	}
	if _, err := m.Token(ctx, "ghost", TokenOptions{}); !errors.Is(err, ErrUnknownProfile) {
		t.Fatalf("unknown profile: %v", err)
	}
	// Expired with no refresh token.
	m, p, _ := loggedIn(t, f, testApp(t), time.Now().Add(time.Hour), false)
	if err := m.keyring.Set(ctx, secretKey(p.ID), &Secret{AccessToken: "old", Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Token(ctx, "alice", TokenOptions{}); !errors.Is(err, ErrNotLoggedIn) || !strings.Contains(err.Error(), "no refresh token") {
		t.Fatalf("expired without refresh token: %v", err)
	}
	// A revoked grant: invalid_grant.
	if err := m.keyring.Set(ctx, secretKey(p.ID), &Secret{AccessToken: "old", RefreshToken: "unknown-rt", Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	_, err := m.Token(ctx, "alice", TokenOptions{})
	var nl *NotLoggedInError
	if !errors.As(err, &nl) || nl.Profile != "alice" || !strings.Contains(err.Error(), "expired or was revoked") || !strings.Contains(err.Error(), "invalid_grant") || strings.Contains(err.Error(), "authdeck login") {
		t.Fatalf("invalid_grant: %v", err)
	}
	if strings.Contains(err.Error(), "unknown-rt") {
		t.Fatal("the error shows the refresh token")
	}
	// Signed out.
	if err := m.Logout(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Token(ctx, "alice", TokenOptions{}); !errors.Is(err, ErrNotLoggedIn) || !strings.Contains(err.Error(), "signed out") {
		t.Fatalf("signed out: %v", err)
	}
}

// TestTokenHotPathTakesNoLock: a valid token is served while another
// process holds both the profile's and the config's lock, with no request
// to the server.
func TestTokenHotPathTakesNoLock(t *testing.T) {
	f := newFakeAS(t)
	m, p, tok := loggedIn(t, f, testApp(t), time.Now().Add(time.Hour), true)
	ctx := ctxT(t)
	for _, path := range []string{m.profileLockPath(p.ID), m.configLockPath(), m.files.lock} {
		unlock, err := fsutil.Lock(ctx, path, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
	}
	r, err := m.Token(ctx, "alice", TokenOptions{MinTTL: 5 * time.Minute})
	if err != nil || r.Token.AccessToken != tok.AccessToken || r.Source != SourceFile {
		t.Fatalf("%+v %v", r, err)
	}
	if f.refreshCount() != 0 {
		t.Fatal("a valid token caused a refresh")
	}
}

func TestTokenRefreshPersistsRotation(t *testing.T) {
	f := newFakeAS(t)
	m, p, tok := loggedIn(t, f, testApp(t), time.Now().Add(-time.Minute), false)
	ctx := ctxT(t)
	r, err := m.Token(ctx, "alice", TokenOptions{MinTTL: time.Minute})
	if err != nil || !r.Refreshed || r.Token.AccessToken == tok.AccessToken {
		t.Fatalf("%+v %v", r, err)
	}
	sec, _ := m.keyring.Get(ctx, secretKey(p.ID))
	if sec.RefreshToken == tok.RefreshToken || sec.AccessToken != r.Token.AccessToken {
		t.Fatal("the rotated refresh token was not stored")
	}
	c, _ := m.Load(ctx)
	if got, _ := c.Profile("alice"); !got.TokenExpiry.Equal(sec.Expiry) || got.TokenExpiry.Before(time.Now()) {
		t.Fatalf("profile expiry %v, secret %v", got.TokenExpiry, sec.Expiry)
	}
	if sec.Obtained.IsZero() || sec.Lifetime() <= 0 {
		t.Fatalf("the refreshed secret has no obtained time: %+v", sec.Obtained)
	}
	// A second forced refresh (an explicit MinTTL longer than the token's
	// life is honoured) works only with the newest refresh token.
	r2, err := m.Token(ctx, "alice", TokenOptions{MinTTL: 2 * time.Hour})
	if err != nil || !r2.Refreshed || f.refreshCount() != 2 {
		t.Fatalf("second refresh: %+v %v (refreshes %d)", r2, err, f.refreshCount())
	}
}

// TestRefreshRaceOneRequest: 20 goroutines (each its own Manager, as
// separate callers) and 4 processes ask for an expired token at once;
// exactly one refresh reaches the server, all get the same new token.
func TestRefreshRaceOneRequest(t *testing.T) {
	f := newFakeAS(t)
	f.delay = 300 * time.Millisecond
	app := testApp(t)
	_, _, old := loggedIn(t, f, app, time.Now().Add(-time.Minute), true) // file storage: shared by processes
	const goroutines, procs = 20, 4
	var wg sync.WaitGroup
	results := make(chan string, goroutines+procs)
	errs := make(chan error, goroutines+procs)
	for p := 0; p < procs; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := child(app.ConfigDir, "token", "PROFILES_TEST_PROFILE=alice")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				errs <- fmt.Errorf("process %d: %v: %s", p, err, stderr.String())
				return
			}
			results <- string(out)
		}()
	}
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := open(t, app)
			r, err := m.Token(ctxT(t), "alice", TokenOptions{MinTTL: time.Minute})
			if err != nil {
				errs <- err
				return
			}
			results <- r.Token.AccessToken
		}()
	}
	wg.Wait()
	close(results)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := f.refreshCount(); n != 1 {
		t.Fatalf("%d refresh requests reached the server, want exactly 1", n)
	}
	seen := map[string]int{}
	for r := range results {
		seen[r]++
	}
	if len(seen) != 1 || seen[old.AccessToken] != 0 {
		t.Fatalf("callers got different or stale tokens: %v", seen)
	}
}

func TestTokenSourceForHTTPClients(t *testing.T) {
	f := newFakeAS(t)
	m, _, _ := loggedIn(t, f, testApp(t), time.Now().Add(-time.Minute), false)
	hc := oauth2.NewClient(ctxT(t), m.TokenSource(ctxT(t), "alice", time.Minute))
	for i := 0; i < 3; i++ {
		resp, err := hc.Get(f.URL() + "/userinfo")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "alice") {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
	}
	if f.refreshCount() != 1 {
		t.Fatalf("refreshes %d, want 1 (then cached)", f.refreshCount())
	}
}

// TestShortLivedTokenRefreshedOnce: with tokens that live 2 minutes and the
// default MinTTL of 5 minutes, a refreshed token counts as fresh (the
// default is capped at half its lifetime): after one refresh, 20 goroutines
// and 4 processes asking with the default send no further refresh, and all get the
// token of that one refresh. The token is refreshed again once half its
// life has passed.
func TestShortLivedTokenRefreshedOnce(t *testing.T) {
	f := newFakeAS(t)
	f.accessTTL = 2 * time.Minute
	app := testApp(t)
	clock := &testClock{t: time.Now()}
	app.Now = clock.now
	m, _, _ := loggedIn(t, f, app, time.Now().Add(-time.Minute), true)
	first, err := m.Token(ctxT(t), "alice", TokenOptions{})
	if err != nil || !first.Refreshed {
		t.Fatalf("first call: %+v %v", first, err)
	}
	const goroutines, procs = 20, 4
	var wg sync.WaitGroup
	results := make(chan string, goroutines+procs)
	errs := make(chan error, goroutines+procs)
	for p := 0; p < procs; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := child(app.ConfigDir, "token", "PROFILES_TEST_PROFILE=alice", "PROFILES_TEST_MINTTL=default")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				errs <- fmt.Errorf("process %d: %v: %s", p, err, stderr.String())
				return
			}
			results <- string(out)
		}()
	}
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := open(t, app).Token(ctxT(t), "alice", TokenOptions{})
			if err != nil {
				errs <- err
				return
			}
			if r.Refreshed {
				errs <- errors.New("a goroutine refreshed again")
			}
			results <- r.Token.AccessToken
		}()
	}
	wg.Wait()
	close(results)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := f.refreshCount(); n != 1 {
		t.Fatalf("%d refresh requests reached the server, want exactly 1", n)
	}
	for r := range results {
		if r != first.Token.AccessToken {
			t.Fatalf("a caller got %q, want the refreshed %q", r, first.Token.AccessToken)
		}
	}
	st, err := m.Status(ctxT(t), "")
	if err != nil || st[0].State != StateValid {
		t.Fatalf("status right after a refresh: %+v %v, want valid", st, err)
	}
	// Past half its life (61s of 120s), the token is refreshed again.
	clock.advance(61 * time.Second)
	r, err := m.Token(ctxT(t), "alice", TokenOptions{})
	if err != nil || !r.Refreshed || f.refreshCount() != 2 {
		t.Fatalf("past half its life: %+v %v (refreshes %d)", r, err, f.refreshCount())
	}
}

// testClock is a settable clock for App.Now.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestTokenRejectedRefreshes: a token the server refused is refreshed
// whatever its expiry says (even none), once: a caller reporting the same
// refused token after the refresh gets the new token without another one.
func TestTokenRejectedRefreshes(t *testing.T) {
	for name, exp := range map[string]time.Time{"fresh": time.Now().Add(time.Hour), "no expiry": {}} {
		t.Run(name, func(t *testing.T) {
			f := newFakeAS(t)
			m, _, tok := loggedIn(t, f, testApp(t), exp, false)
			ctx := ctxT(t)
			r, err := m.Token(ctx, "alice", TokenOptions{MinTTL: time.Minute, Rejected: tok.AccessToken})
			if err != nil || !r.Refreshed || r.Token.AccessToken == tok.AccessToken {
				t.Fatalf("rejected token: %+v %v", r, err)
			}
			again, err := m.Token(ctx, "alice", TokenOptions{MinTTL: time.Minute, Rejected: tok.AccessToken})
			if err != nil || again.Refreshed || again.Token.AccessToken != r.Token.AccessToken || f.refreshCount() != 1 {
				t.Fatalf("the same refused token again: %+v %v (refreshes %d)", again, err, f.refreshCount())
			}
		})
	}
}

// TestExplicitMinTTLHonoured: only the default MinTTL is capped at half the
// token's life. A token living 4 minutes, obtained 1 minute ago (3 minutes
// left): the default (5m, capped to 2m) keeps it; an explicit 200s, within
// the default but beyond half its life, refreshes it; NoMinTTL keeps it
// until it has expired; TokenSource's margin is capped like the default.
func TestExplicitMinTTLHonoured(t *testing.T) {
	f := newFakeAS(t)
	f.accessTTL = 4 * time.Minute
	app := testApp(t)
	clock := &testClock{t: time.Now()}
	app.Now = clock.now
	m, _, _ := loggedIn(t, f, app, time.Now().Add(-time.Minute), false)
	ctx := ctxT(t)
	first, err := m.Token(ctx, "alice", TokenOptions{})
	if err != nil || !first.Refreshed {
		t.Fatalf("expired token: %+v %v", first, err)
	}
	clock.advance(time.Minute)
	check := func(what string, opt TokenOptions, refresh bool) {
		t.Helper()
		before := f.refreshCount()
		r, err := m.Token(ctx, "alice", opt)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if r.Refreshed != refresh || (f.refreshCount() > before) != refresh {
			t.Fatalf("%s: refreshed %v (server saw %d new), want %v", what, r.Refreshed, f.refreshCount()-before, refresh)
		}
	}
	check("default", TokenOptions{}, false)
	check("NoMinTTL", TokenOptions{MinTTL: NoMinTTL}, false)
	ts := m.TokenSource(ctx, "alice", 0)
	if _, err := ts.Token(); err != nil || f.refreshCount() != 1 {
		t.Fatalf("TokenSource with the default margin: %v (refreshes %d)", err, f.refreshCount())
	}
	if _, err := m.TokenSource(ctx, "alice", time.Hour).Token(); err != nil || f.refreshCount() != 1 {
		t.Fatalf("TokenSource with a 1h margin is capped like the default: %v (refreshes %d)", err, f.refreshCount())
	}
	check("explicit 200s", TokenOptions{MinTTL: 200 * time.Second}, true)
	// The new token (3 minutes left on the test clock) is kept for an
	// explicit 150s, although that is more than half its life.
	check("explicit 150s", TokenOptions{MinTTL: 150 * time.Second}, false)
	clock.advance(4*time.Minute + time.Second)
	check("NoMinTTL, expired", TokenOptions{MinTTL: NoMinTTL}, true)
}

// TestTokenFileErrors: a --token-file that holds no usable token gets one
// line naming the file and what is wrong, never its content, and no
// suggestion of a --key flag that --token-file does not have.
func TestTokenFileErrors(t *testing.T) {
	dir := t.TempDir()
	m := open(t, testApp(t))
	for name, content := range map[string]string{
		"two-lines":  "s3cr3t-one\ns3cr3t-two\n",
		"nokey.json": `{"access": "s3cr3t"}`,
		"bad.json":   `{"token": "s3cr3t"`,
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := m.Token(ctxT(t), "", TokenOptions{TokenFile: path})
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, path) || strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "--key") || strings.Contains(msg, "\n") {
			t.Errorf("%s: error %q, want one line naming the file, without its content or --key", name, msg)
		}
	}
}
