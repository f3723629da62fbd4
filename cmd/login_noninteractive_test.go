package cmd

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/oidctest"
)

func writeTestFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// printedToken runs `token --profile NAME` and returns what it printed.
func printedToken(t *testing.T, e *testEnv, profile string) string {
	t.Helper()
	e.out.Reset()
	e.err.Reset()
	if code := e.run("token --profile " + profile); code != 0 {
		t.Fatalf("token --profile %s: exit %d: %s", profile, code, e.err.String())
	}
	return strings.TrimSpace(e.out.String())
}

func audOf(t *testing.T, raw string) any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT (%d parts)", len(parts))
	}
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	_ = json.Unmarshal(b, &c)
	return c["aud"]
}

// login --client-credentials with the secret from a file, then from the
// keyring (stored by the first login), then from an env var; `token`
// prints a token the provider says is the client's, and a new one once
// that expired.
func TestLoginClientCredentialsRealProvider(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{AccessTTL: 2 * time.Second})
	e := newTestEnv(t, nil)
	secretFile := writeTestFile(t, t.TempDir(), "secret", p.ServiceSecret)

	if code := e.run("login --client-credentials --server " + p.Issuer + " --client-id " + p.ServiceClientID + " --client-secret-file " + secretFile); code != 0 {
		t.Fatalf("login (file): exit %d: %s", code, e.outputs())
	}
	if strings.Contains(e.outputs(), p.ServiceSecret) {
		t.Fatal("the secret was printed")
	}
	tok := printedToken(t, e, p.ServiceClientID)
	if in := p.Introspect(t, tok); in["active"] != true || in["client_id"] != p.ServiceClientID {
		t.Fatalf("introspection: %v", in)
	}

	// The secret is in the keyring now: no secret flag needed.
	if code := e.run("login --client-credentials --server 127.0.0.1-" + strings.TrimPrefix(p.Issuer, "http://127.0.0.1:") + " --profile again"); code != 0 {
		t.Fatalf("login (keyring): exit %d: %s", code, e.outputs())
	}
	if again := printedToken(t, e, "again"); again == tok || !p.Active(t, again) {
		t.Fatal("no new active token for the second profile")
	}

	// Expired at the provider: `token` obtains a new one.
	cfg, err := e.manager(t).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	prof, _ := cfg.Profile(p.ServiceClientID)
	deadline := time.Now().Add(30 * time.Second)
	for p.Active(t, tok) || time.Now().Before(prof.TokenExpiry) {
		if time.Now().After(deadline) {
			t.Fatal("the token never expired")
		}
		time.Sleep(100 * time.Millisecond)
	}
	next := printedToken(t, e, p.ServiceClientID)
	if next == tok || !p.Active(t, next) {
		t.Fatalf("after expiry `token` printed the old or an inactive token")
	}

	// From an env var, into a fresh config.
	e2 := newTestEnv(t, nil)
	e2.env["SVC_SECRET"] = p.ServiceSecret
	if code := e2.run("login --client-credentials --server " + p.Issuer + " --client-id " + p.ServiceClientID + " --client-secret-env SVC_SECRET --profile ci"); code != 0 {
		t.Fatalf("login (env): exit %d: %s", code, e2.outputs())
	}
	if in := p.Introspect(t, printedToken(t, e2, "ci")); in["active"] != true || in["client_id"] != p.ServiceClientID {
		t.Fatalf("introspection: %v", in)
	}
}

func TestLoginClientCredentialsErrors(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{})
	e := newTestEnv(t, nil)
	e.env["BAD"] = "not-the-secret"
	code := e.run("login --client-credentials --server " + p.Issuer + " --client-id " + p.ServiceClientID + " --client-secret-env BAD")
	msg := e.err.String()
	if code == 0 || strings.Count(strings.TrimSpace(msg), "\n") != 0 || !strings.Contains(msg, "login --client-credentials --server") || strings.Contains(msg, "not-the-secret") {
		t.Fatalf("wrong secret: exit %d, stderr %q", code, msg)
	}
	if cfg, _ := e.manager(t).Load(context.Background()); len(cfg.Servers) != 0 || len(cfg.Profiles) != 0 {
		t.Fatalf("a failed login left %+v %+v", cfg.Servers, cfg.Profiles)
	}
	for args, want := range map[string]string{
		"--client-credentials --client-secret x":             "never taken from the command line",
		"--client-credentials --client-secret-env UNSET":     "UNSET (--client-secret-env) is unset or empty",
		"--client-credentials --param client_secret=x":       "set by the client itself",
		"--client-credentials --param scope=x":               "set by the client itself",
		"--client-credentials --token-exchange":              "do not go together",
		"--token-exchange":                                   "exactly one of --subject-token-file PATH or --subject-token-env VAR",
		"--client-credentials --subject-token-file /dev/nul": "go with --token-exchange",
	} {
		e.err.Reset()
		if code := e.run("login --server " + p.Issuer + " --client-id " + p.ServiceClientID + " " + args); code == 0 || !strings.Contains(e.err.String(), want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", args, code, e.err.String(), want)
		}
	}
}

func TestLoginResourceAndTokenExchangeRealProvider(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{})
	e := newTestEnv(t, nil)
	e.env["SVC_SECRET"] = p.ServiceSecret
	res := oidctest.APIResource + "/orders"
	if code := e.run("login --client-credentials --server " + p.Issuer + " --client-id " + p.ServiceClientID + " --client-secret-env SVC_SECRET --profile orders --param resource=" + res); code != 0 {
		t.Fatalf("login: exit %d: %s", code, e.outputs())
	}
	if aud := audOf(t, printedToken(t, e, "orders")); aud != res {
		t.Fatalf("aud = %v, want %s", aud, res)
	}
	// the ad-hoc server keeps the params
	cfg, _ := e.manager(t).Load(context.Background())
	if len(cfg.Servers) != 1 || !slices.Equal(cfg.Servers[0].Params, []string{"resource=" + res}) {
		t.Fatalf("server %+v", cfg.Servers)
	}

	dir := t.TempDir()
	good := writeTestFile(t, dir, "oidc-token", p.SubjectToken(t, "repo:org/app", time.Minute))
	server := cfg.Servers[0].Name
	e.err.Reset()
	if code := e.run("login --token-exchange --server " + server + " --subject-token-file " + good + " --profile ci"); code != 0 {
		t.Fatalf("token exchange: exit %d: %s", code, e.outputs())
	}
	if aud := audOf(t, printedToken(t, e, "ci")); aud != res {
		t.Fatalf("exchanged token aud = %v", aud)
	}
	bad := writeTestFile(t, dir, "expired", p.SubjectToken(t, "repo:org/app", -time.Minute))
	e.err.Reset()
	code := e.run("login --token-exchange --server " + server + " --subject-token-file " + bad + " --profile ci2")
	if code == 0 || !strings.Contains(e.err.String(), "did not accept the subject token") {
		t.Fatalf("bad subject token: exit %d: %s", code, e.err.String())
	}
}

// --param prompt/login_hint reach the provider on the device authorization
// request; servers add --param keeps them.
func TestLoginParamsSentOnDeviceAuthorization(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{DeviceCodeTTL: time.Second})
	e := newTestEnv(t, nil)
	if code := e.run("servers add dev --issuer " + p.Issuer + " --client-id " + p.ClientID + " --param acr_values=urn:mfa"); code != 0 {
		t.Fatalf("servers add: %s", e.outputs())
	}
	// the code expires unapproved: the login fails, the request was sent
	e.run("login --server dev --no-tui --no-browser --param prompt=login --param login_hint=bob")
	got := p.Stats(t).AuthorizationParams
	if len(got) != 1 || got[0].Params.Get("prompt") != "login" || got[0].Params.Get("login_hint") != "bob" || got[0].Params.Get("acr_values") != "urn:mfa" {
		t.Fatalf("the provider saw %+v", got)
	}
	e.err.Reset()
	if code := e.run("servers add bad --issuer " + p.Issuer + " --client-id x --param redirect_uri=http://evil"); code == 0 || !strings.Contains(e.err.String(), "set by the client itself") {
		t.Fatalf("reserved param: exit %d %s", code, e.err.String())
	}
}
