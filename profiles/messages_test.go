package profiles

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMessages: errors name things as the user typed or sees them, and
// say what to do once.
func TestMessages(t *testing.T) {
	for _, c := range []struct {
		err       error
		want, not []string
	}{
		{&ReadOnlyError{Source: SourceServerEnv, Detail: "DEV_TOKEN"}, []string{"the environment variable DEV_TOKEN", "unset DEV_TOKEN"}, []string{"server-env", "("}},
		{&ReadOnlyError{Source: SourceEnv, Detail: "AUTHDECK_TOKEN"}, []string{"the environment variable AUTHDECK_TOKEN"}, []string{"env (", "("}},
		{&ReadOnlyError{Source: SourceTokenFile, Detail: "/tmp/tok"}, []string{"--token-file /tmp/tok", "drop --token-file to use the stored token"}, []string{"token-file ("}},
	} {
		msg := c.err.Error()
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%q lacks %q", msg, w)
			}
		}
		for _, n := range c.not {
			if strings.Contains(msg, n) {
				t.Errorf("%q has %q", msg, n)
			}
		}
	}

	f := newFakeAS(t)
	ctx := ctxT(t)
	m, p, _ := loggedIn(t, f, testApp(t), time.Now().Add(time.Hour), true)
	// A secret missing from the file: "missing from /path", in a
	// *NotLoggedInError naming the profile, without a command to run.
	if err := m.files.Delete(ctx, secretKey(p.ID)); err != nil {
		t.Fatal(err)
	}
	_, err := m.Token(ctx, "alice", TokenOptions{})
	var missing *NotLoggedInError
	if !errors.As(err, &missing) || missing.Profile != "alice" || !strings.HasSuffix(err.Error(), "missing from "+m.CredentialsPath()) ||
		strings.Contains(err.Error(), "the "+m.CredentialsPath()) || strings.Contains(err.Error(), "authdeck login") {
		t.Fatalf("missing secret: %v", err)
	}
	if err := m.Logout(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	// Signed out: a *NotLoggedInError naming the profile; the host words
	// the command to run (cmd: TestKitNotLoggedInHintsOnlyRegisteredCommands).
	_, err = m.Token(ctx, "alice", TokenOptions{})
	for op, err := range map[string]error{"token": err, "logout": m.Logout(ctx, "alice"), "revoke": m.Revoke(ctx, "alice")} {
		var nl *NotLoggedInError
		if !errors.Is(err, ErrNotLoggedIn) || !errors.As(err, &nl) || nl.Profile != "alice" || !strings.Contains(err.Error(), "signed out") || strings.Contains(err.Error(), "authdeck login") {
			t.Errorf("%s of a signed-out profile: %v", op, err)
		}
	}
	// An unknown profile from --profile says so.
	_, err = m.Select(ctx, "ghost", "")
	if !errors.Is(err, ErrUnknownProfile) || !strings.HasPrefix(err.Error(), "--profile: ") || strings.Contains(err.Error(), "flag") {
		t.Fatalf("unknown --profile: %v", err)
	}
}

// TestUpdateRefusesInvalidConfig: a change that would write a config this
// package then refuses to read is not written.
func TestUpdateRefusesInvalidConfig(t *testing.T) {
	f := newFakeAS(t)
	m := open(t, testApp(t))
	ctx := ctxT(t)
	addFakeServer(t, m, f)
	before := mustRead(t, m.ConfigPath())
	for name, fn := range map[string]func(*Config){
		"no client id":   func(c *Config) { c.Servers = append(c.Servers, Server{Name: "x", Endpoints: f.endpoints()}) },
		"unknown server": func(c *Config) { c.Profiles = append(c.Profiles, Profile{Name: "p", ID: "1", Server: "nope"}) },
	} {
		err := m.Update(ctx, func(c *Config) error { fn(c); return nil })
		if err == nil || !strings.Contains(err.Error(), "not saved") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if string(mustRead(t, m.ConfigPath())) != string(before) {
		t.Fatal("an invalid config was written")
	}
}

// TestIssuerOnlyServerLoads: a hand-written server with an issuer and a
// client id (its endpoints discovered at login) is valid.
func TestIssuerOnlyServerLoads(t *testing.T) {
	m := open(t, testApp(t))
	if err := os.MkdirAll(m.app.ConfigDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(m.ConfigPath(), []byte("[[servers]]\nname = \"b\"\nclient_id = \"x\"\nissuer = \"https://b.example\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, err := m.Load(ctxT(t)); err != nil || len(cfg.Servers) != 1 {
		t.Fatalf("issuer-only server: %v", err)
	}
}
