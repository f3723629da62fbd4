package profiles

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
)

// truncFixture writes, through Update, a config of two servers and three
// profiles, and returns it as Load reads it.
func truncFixture(t *testing.T, m *Manager) *Config {
	t.Helper()
	ctx := ctxT(t)
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := m.Update(ctx, func(c *Config) error {
		c.Active = "bob"
		c.Settings.Storage = "auto"
		c.Servers = []Server{
			{Name: "corp", Endpoints: auth.Endpoints{Issuer: "https://id.example.com", TokenURL: "https://id.example.com/token"}, ClientID: "cli", Scopes: []string{"openid", "offline_access"}},
			{Name: "gh", Endpoints: auth.Endpoints{TokenURL: "https://github.com/login/oauth/access_token", DeviceAuthURL: "https://github.com/login/device/code"}, ClientID: "Iv1"},
		}
		c.Profiles = []Profile{
			{Name: "alice", ID: "a1", Server: "corp", Subject: "s1", Storage: StorageKeyring, TokenExpiry: exp, HasRefresh: true},
			{Name: "bob", ID: "b2", Server: "corp", Subject: "s2", Storage: StorageFile, TokenExpiry: exp},
			{Name: "carol", ID: "c3", Server: "gh", Subject: "s3", Storage: StorageFile, Scopes: []string{"repo"}},
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cfg, err := m.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestTruncatedConfigNeverLosesProfiles: config.toml cut short at every
// byte offset (a full disk, a crash of a sync tool, an editor) is either
// read in full or refused with a message naming the backup; it is never
// read as fewer profiles or servers, and a refused file is not rewritten.
func TestTruncatedConfigNeverLosesProfiles(t *testing.T) {
	m := open(t, testApp(t))
	ctx := ctxT(t)
	want := truncFixture(t, m)
	full := mustRead(t, m.ConfigPath())
	refused, parsed := 0, 0
	for n := 0; n < len(full); n++ {
		cut := full[:n]
		if err := os.WriteFile(m.ConfigPath(), cut, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := m.Load(ctx)
		if err == nil {
			parsed++
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("cut to %d of %d bytes, Load read %d servers and %d profiles (want %d and %d) without an error:\n%s", n, len(full), len(got.Servers), len(got.Profiles), len(want.Servers), len(want.Profiles), cut)
			}
			continue
		}
		refused++
		uerr := m.Update(ctx, func(c *Config) error { c.Active = "alice"; return nil })
		if uerr == nil {
			t.Fatalf("cut to %d bytes: Load refused (%v) but Update wrote", n, err)
		}
		if on := mustRead(t, m.ConfigPath()); !bytes.Equal(on, cut) {
			t.Fatalf("cut to %d bytes: the refused file was rewritten", n)
		}
	}
	t.Logf("%d bytes: %d truncations refused, %d read in full", len(full), refused, parsed)

	// The message of a truncation that parses names the backup, what it
	// holds, and how to restore it.
	i := bytes.Index(full, []byte("[[profiles]]"))
	if err := os.WriteFile(m.ConfigPath(), full[:i], 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := m.Load(ctx)
	var pe *ParseError
	bak := m.ConfigPath() + ".bak"
	if !errors.As(err, &pe) || pe.Path != m.ConfigPath() || !strings.Contains(err.Error(), bak) || !strings.Contains(err.Error(), "3 profiles") || !strings.Contains(err.Error(), "cp ") {
		t.Fatalf("Load of a config cut before its profiles: %v; want a ParseError naming %s, its 3 profiles and how to restore it", err, bak)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("the message is not one line: %q", err)
	}
	// Restoring the backup, as the message says, brings everything back.
	if err := os.WriteFile(m.ConfigPath(), mustRead(t, bak), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := m.Load(ctx); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("after restoring the backup: %+v %v", got, err)
	}
}

// TestEmptyConfigRefused: a 0-byte config.toml is not read as a config
// without profiles when authdeck wrote one before (the backup is there),
// nor when the credentials file still holds profile secrets; otherwise
// (a file the user emptied before ever using authdeck) it is empty.
func TestEmptyConfigRefused(t *testing.T) {
	ctx := ctxT(t)
	t.Run("backup", func(t *testing.T) {
		m := open(t, testApp(t))
		truncFixture(t, m)
		if err := os.WriteFile(m.ConfigPath(), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if c, err := m.Load(ctx); err == nil || !strings.Contains(err.Error(), ".bak") {
			t.Fatalf("Load of an empty config with a backup: %+v, %v; want a refusal naming the backup", c, err)
		}
		if err := m.Use(ctx, "alice"); err == nil {
			t.Fatal("Use wrote over an empty config")
		}
		if b := mustRead(t, m.ConfigPath()); len(b) != 0 {
			t.Fatalf("the empty config was rewritten:\n%s", b)
		}
	})
	t.Run("credentials", func(t *testing.T) {
		f := newFakeAS(t)
		m := open(t, testApp(t))
		addFakeServer(t, m, f)
		if _, _, err := m.SaveLogin(ctx, "test", f.issue(time.Now().Add(time.Hour)), alice(), SaveOptions{Insecure: true}); err != nil {
			t.Fatal(err)
		}
		// As a release that kept no backup would have left it.
		if err := os.Remove(m.ConfigPath() + ".bak"); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if err := os.WriteFile(m.ConfigPath(), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if c, err := m.Load(ctx); err == nil || !strings.Contains(err.Error(), m.CredentialsPath()) {
			t.Fatalf("Load of an empty config with profile secrets in the credentials file: %+v, %v; want a refusal naming it", c, err)
		}
	})
	t.Run("nothing", func(t *testing.T) {
		m := open(t, testApp(t))
		if err := os.MkdirAll(m.app.ConfigDir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(m.ConfigPath(), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if c, err := m.Load(ctx); err != nil || len(c.Servers) != 0 || len(c.Profiles) != 0 {
			t.Fatalf("Load of an empty config and nothing else: %+v, %v; want an empty config", c, err)
		}
	})
}

// TestHandWrittenConfigWithoutTrailerLoads: a config written by hand, or
// by a release before the end line, loads; the first change writes the
// end line and the backup. A profile a person then appends after the end
// line is read too.
func TestHandWrittenConfigWithoutTrailerLoads(t *testing.T) {
	m := open(t, testApp(t))
	ctx := ctxT(t)
	if err := os.MkdirAll(m.app.ConfigDir, 0o700); err != nil {
		t.Fatal(err)
	}
	legacy := "version = 1\n" + srvS + "[[profiles]]\nname = \"a\"\nid = \"1\"\nserver = \"s\"\nstorage = \"file\"\n"
	if err := os.WriteFile(m.ConfigPath(), []byte(legacy), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := m.Load(ctx)
	if err != nil || len(c.Profiles) != 1 {
		t.Fatalf("Load of a hand-written config: %+v, %v", c, err)
	}
	if err := m.Use(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	written := mustRead(t, m.ConfigPath())
	if !bytes.HasSuffix(written, []byte(configTrailer+"\n")) {
		t.Fatalf("the rewritten config does not end with the end line:\n%s", written)
	}
	if bak := mustRead(t, m.ConfigPath()+".bak"); !bytes.Equal(bak, written) {
		t.Fatalf("config.toml.bak is not the config as written:\n%s", bak)
	}
	more := append(written, "\n[[profiles]]\nname = \"b\"\nid = \"2\"\nserver = \"s\"\n"...)
	if err := os.WriteFile(m.ConfigPath(), more, 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := m.Load(ctx); err != nil || len(c.Profiles) != 2 {
		t.Fatalf("Load of a config with a profile appended after the end line: %+v, %v", c, err)
	}
}
