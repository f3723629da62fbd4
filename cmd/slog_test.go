package cmd

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/logtest"
	"github.com/authdeck/authdeck/profiles"
)

// TestKitLogsThroughHostLoggerWithoutSecrets: with Host.Logger set, a
// login, a token refresh and a logout through the Kit each leave records
// in the host's logger, and no record holds the access token, the refresh
// token or the client secret (which the token endpoint here requires, so it
// is known to have been used).
func TestKitLogsThroughHostLoggerWithoutSecrets(t *testing.T) {
	srv := startDevServer(t)
	const clientSecret = "cs-very-secret-3f9a1c"
	issuer, _ := url.Parse(srv.Issuer())
	var mu sync.Mutex
	secretSeen := 0
	// The dev server is a public client's; in front of it, a token
	// endpoint that insists on the client secret and strips it.
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
			form, _ := url.ParseQuery(string(body))
			if r.URL.Path == "/oauth/token" {
				if form.Get("client_secret") != clientSecret {
					http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
					return
				}
				mu.Lock()
				secretSeen++
				mu.Unlock()
			}
			form.Del("client_secret")
			enc := form.Encode()
			r.Body = io.NopCloser(strings.NewReader(enc))
			r.ContentLength = int64(len(enc))
		}
		r.Host = issuer.Host
		srv.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	rec := logtest.New()
	secrets := profiles.NewMemSecrets()
	e := &embedded{name: "acme", dir: t.TempDir(), out: &hostBuffer{}, err: &hostBuffer{}, env: map[string]string{}}
	ep := srv.Endpoints()
	ep.DeviceAuthURL = front.URL + "/oauth/device_authorization"
	ep.TokenURL = front.URL + "/oauth/token"
	home := &profiles.Server{Name: "home", Endpoints: ep, ClientID: srv.ClientID(), ClientSecret: clientSecret, Scopes: srv.Scopes()}
	k, err := New(Host{Name: "acme", ConfigDir: e.dir, Stdout: e.out, Stderr: e.err, Secrets: secrets,
		DefaultServer: home, Logger: slog.New(rec)})
	if err != nil {
		t.Fatal(err)
	}
	e.kit = k

	var secretValues []string
	remember := func() {
		for _, key := range secrets.Keys() {
			s, err := secrets.Get(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range []string{s.AccessToken, s.RefreshToken} {
				if v != "" && !slices.Contains(secretValues, v) {
					secretValues = append(secretValues, v)
				}
			}
		}
	}
	steps := []struct {
		name string
		want string // a message the step logs
		run  func()
	}{
		{"login", "login saved", func() { e.login(t, srv, "alice"); remember() }},
		{"refresh", "token refreshed", func() {
			ctx := context.Background()
			for _, key := range secrets.Keys() {
				s, _ := secrets.Get(ctx, key)
				if s.RefreshToken == "" {
					continue // the client secret
				}
				expired := *s
				expired.Expiry = time.Now().Add(-time.Minute)
				if err := secrets.Set(ctx, key, &expired); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := k.TokenSource(ctx, "").Token(); err != nil {
				t.Fatalf("refresh: %v", err)
			}
			remember()
		}},
		{"logout", "signed out", func() {
			if code := e.run("logout", "--yes"); code != ExitOK {
				t.Fatalf("logout: exit %d: %s", code, e.err.String())
			}
		}},
	}
	for _, st := range steps {
		_, before := rec.Text()
		st.run()
		logs, after := rec.Text()
		if after == before {
			t.Errorf("%s left no record in the host's logger", st.name)
		}
		if !strings.Contains(logs, st.want) {
			t.Errorf("%s: no %q record in:\n%s", st.name, st.want, logs)
		}
	}
	mu.Lock()
	if secretSeen < 2 {
		t.Errorf("the token endpoint saw the client secret %d times, want at least 2 (login and refresh)", secretSeen)
	}
	mu.Unlock()
	if len(secretValues) < 4 {
		t.Fatalf("collected %d distinct token values, want the access and refresh tokens of the login and of the refresh", len(secretValues))
	}
	logs, _ := rec.Text()
	for _, v := range append(secretValues, clientSecret) {
		if strings.Contains(logs, v) {
			t.Errorf("a log record holds a secret (%.6s...):\n%s", v, logs)
		}
		if strings.Contains(e.out.String(), v) || strings.Contains(e.err.String(), v) {
			t.Errorf("the host's stdout or stderr holds a secret (%.6s...)", v)
		}
	}
}
