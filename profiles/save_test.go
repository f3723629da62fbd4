package profiles

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
)

// failingSecrets is a keyring that always fails with err.
type failingSecrets struct{ err error }

func (f failingSecrets) Get(context.Context, string) (*Secret, error) { return nil, f.err }
func (f failingSecrets) Set(context.Context, string, *Secret) error   { return f.err }
func (f failingSecrets) Delete(context.Context, string) error         { return f.err }

func TestSaveLoginNamesAndActivates(t *testing.T) {
	f := newFakeAS(t)
	app := testApp(t)
	mem := app.Secrets.(*MemSecrets)
	m := open(t, app)
	ctx := ctxT(t)
	addFakeServer(t, m, f)
	if _, err := m.AddServer(ctx, Server{Name: "other", Endpoints: f.endpoints(), ClientID: "c2"}); err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	p1, info, err := m.SaveLogin(ctx, "test", f.issue(exp), alice(), SaveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p1.Name != "alice" || p1.Storage != StorageKeyring || info.InsecureStorage || info.FallbackReason != "" {
		t.Fatalf("first login: %+v %+v", p1, info)
	}
	if p1.Subject != "sub-alice" || p1.Email != "alice@example.com" || !p1.HasRefresh || !p1.TokenExpiry.Equal(exp) || p1.LoggedInAt.IsZero() {
		t.Fatalf("profile fields: %+v", p1)
	}
	if strings.Join(p1.Scopes, " ") != "openid profile offline_access" {
		t.Fatalf("scopes %v", p1.Scopes)
	}
	if len(p1.ID) != 16 {
		t.Fatalf("id %q", p1.ID)
	}
	sec, err := mem.Get(ctx, "profile:"+p1.ID)
	if err != nil || sec.RefreshToken == "" {
		t.Fatalf("secret: %+v %v", sec, err)
	}
	// Same account on another server: made unique.
	p2, _, err := m.SaveLogin(ctx, "other", f.issue(exp), alice(), SaveOptions{})
	if err != nil || p2.Name != "alice@other" {
		t.Fatalf("second server: %+v %v", p2, err)
	}
	// A hostile display name is sanitised.
	p3, _, err := m.SaveLogin(ctx, "test", f.issue(exp), &auth.Identity{Subject: "s3", Username: "bob \x1b[31mred\x1b[0m\n"}, SaveOptions{})
	if err != nil || p3.Name != "bob-red" {
		t.Fatalf("sanitised name: %q %v", p3.Name, err)
	}
	// Re-login to the same server+subject updates the profile.
	tok := f.issue(exp.Add(time.Hour))
	p4, _, err := m.SaveLogin(ctx, "test", tok, alice(), SaveOptions{})
	if err != nil || p4.ID != p1.ID || p4.Name != "alice" {
		t.Fatalf("re-login: %+v %v", p4, err)
	}
	sec, _ = mem.Get(ctx, "profile:"+p1.ID)
	if sec.AccessToken != tok.AccessToken {
		t.Fatal("re-login did not replace the secret")
	}
	c, _ := m.Load(ctx)
	if c.Active != "alice" || len(c.Profiles) != 3 {
		t.Fatalf("active %q, %d profiles", c.Active, len(c.Profiles))
	}
	// --profile naming another server's profile is refused.
	if _, _, err := m.SaveLogin(ctx, "test", f.issue(exp), alice(), SaveOptions{Profile: "alice@other"}); err == nil || !strings.Contains(err.Error(), "already belongs") {
		t.Fatalf("profile of another server: %v", err)
	}
	if _, _, err := m.SaveLogin(ctx, "nope", f.issue(exp), alice(), SaveOptions{}); err == nil || !strings.Contains(err.Error(), "no server") {
		t.Fatalf("unknown server: %v", err)
	}
	if _, _, err := m.SaveLogin(ctx, "test", f.issue(exp), alice(), SaveOptions{Profile: "has space"}); err == nil {
		t.Fatal("a profile name with a space was accepted")
	}
}

func TestSaveLoginFallbackAndInsecure(t *testing.T) {
	f := newFakeAS(t)
	ctx := ctxT(t)
	exp := time.Now().Add(time.Hour)

	t.Run("keyring fails", func(t *testing.T) {
		app := testApp(t)
		app.Secrets = failingSecrets{&KeyringTimeoutError{Op: "set"}}
		m := open(t, app)
		addFakeServer(t, m, f)
		p, info, err := m.SaveLogin(ctx, "test", f.issue(exp), alice(), SaveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Storage != StorageFile || !info.InsecureStorage || info.Path != m.CredentialsPath() || !strings.Contains(info.FallbackReason, "did not answer") {
			t.Fatalf("%+v %+v", p, info)
		}
		// The token is then served from the file.
		r, err := m.Token(ctx, "", TokenOptions{})
		if err != nil || r.Source != SourceFile || r.SourceDetail != m.CredentialsPath() {
			t.Fatalf("Token: %+v %v", r, err)
		}
		checkCredentialsFile(t, m.CredentialsPath(), "profile:"+p.ID)
	})
	t.Run("insecure on purpose", func(t *testing.T) {
		app := testApp(t)
		mem := app.Secrets.(*MemSecrets)
		m := open(t, app)
		addFakeServer(t, m, f)
		p, info, err := m.SaveLogin(ctx, "test", f.issue(exp), alice(), SaveOptions{Insecure: true})
		if err != nil || p.Storage != StorageFile || !info.InsecureStorage || info.FallbackReason != "" {
			t.Fatalf("%+v %+v %v", p, info, err)
		}
		if _, sets := mem.Calls(); sets != 0 {
			t.Fatal("the keyring was written although the file was asked for")
		}
		// Re-login into the keyring moves the secret and deletes the file copy.
		p2, info, err := m.SaveLogin(ctx, "test", f.issue(exp), alice(), SaveOptions{})
		if err != nil || p2.Storage != StorageKeyring || info.InsecureStorage {
			t.Fatalf("%+v %+v %v", p2, info, err)
		}
		if _, err := m.files.Get(ctx, "profile:"+p.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("old file copy: %v", err)
		}
	})
	t.Run("settings storage file", func(t *testing.T) {
		app := testApp(t)
		m := open(t, app)
		addFakeServer(t, m, f)
		if err := m.Update(ctx, func(c *Config) error { c.Settings.Storage = "file"; return nil }); err != nil {
			t.Fatal(err)
		}
		p, info, err := m.SaveLogin(ctx, "test", f.issue(exp), alice(), SaveOptions{})
		if err != nil || p.Storage != StorageFile || info.FallbackReason != "" {
			t.Fatalf("%+v %+v %v", p, info, err)
		}
	})
}

func checkCredentialsFile(t *testing.T, path, key string) {
	t.Helper()
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("credentials mode: %v %v", fi.Mode(), err)
		}
	}
	var doc struct {
		Version int                        `json:"version"`
		Secrets map[string]json.RawMessage `json:"secrets"`
	}
	if err := json.Unmarshal(mustRead(t, path), &doc); err != nil || doc.Version != 1 || doc.Secrets[key] == nil {
		t.Fatalf("credentials.json: %+v %v", doc, err)
	}
}

func TestCredentialsFileParseErrorNotOverwritten(t *testing.T) {
	dir := t.TempDir()
	fs := NewFileSecrets(dir)
	bad := []byte("{\"version\":1,\n\"secrets\": {oops}}\n")
	if err := os.WriteFile(fs.Path(), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	for op, err := range map[string]error{
		"set":    fs.Set(ctx, "k", &Secret{AccessToken: "a"}),
		"delete": fs.Delete(ctx, "k"),
		"get":    func() error { _, err := fs.Get(ctx, "k"); return err }(),
	} {
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Path != fs.Path() || pe.Line != 2 {
			t.Fatalf("%s: %v, want *ParseError at line 2", op, err)
		}
	}
	if got := mustRead(t, fs.Path()); string(got) != string(bad) {
		t.Fatal("the unparseable credentials file was changed")
	}
}

// TestCredentialsFileTrailingJunkRejected: a valid document followed by
// anything but white space (a second document from a bad merge, a stray
// brace) is a ParseError naming the file and the line of the junk, for
// every operation, and the file is never rewritten (the next write would
// drop what the junk holds). The junk itself is not quoted: it may hold
// tokens.
func TestCredentialsFileTrailingJunkRejected(t *testing.T) {
	good := "{\"version\": 1,\n \"secrets\": {\"k\": {\"a\": \"at-1\"}}}"
	for name, tc := range map[string]struct {
		content string
		line    int
	}{
		"second document": {good + "\n{\"version\": 1, \"secrets\": {\"k2\": {\"a\": \"secret-at-2\"}}}\n", 3},
		"stray brace":     {good + "\n\n}\n", 4},
		"same line":       {good + " x", 2},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeAS(t)
			app := testApp(t)
			m := open(t, app)
			addFakeServer(t, m, f)
			if err := os.WriteFile(m.CredentialsPath(), []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx := ctxT(t)
			fs := m.files
			_, _, saveErr := m.SaveLogin(ctx, "test", f.issue(time.Now().Add(time.Hour)), alice(), SaveOptions{Insecure: true})
			for op, err := range map[string]error{
				"set":    fs.Set(ctx, "k", &Secret{AccessToken: "a"}),
				"delete": fs.Delete(ctx, "k"),
				"get":    func() error { _, err := fs.Get(ctx, "k"); return err }(),
				"login":  saveErr,
			} {
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Path != fs.Path() || pe.Line != tc.line {
					t.Fatalf("%s: %v, want *ParseError at %s:%d", op, err, fs.Path(), tc.line)
				}
				if strings.Contains(err.Error(), "secret-at-2") || !strings.Contains(err.Error(), fs.Path()) {
					t.Fatalf("%s: %q should name the file and not quote the junk", op, err)
				}
			}
			if got := mustRead(t, fs.Path()); string(got) != tc.content {
				t.Fatal("the credentials file with trailing junk was changed")
			}
		})
	}
	// Trailing white space is fine.
	fs := NewFileSecrets(t.TempDir())
	if err := os.WriteFile(fs.Path(), []byte(good+"\n \t\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := fs.Get(ctxT(t), "k"); err != nil || s.AccessToken != "at-1" {
		t.Fatalf("a document with trailing white space: %+v %v", s, err)
	}
}

// SaveLogin itself refuses to save a login of another account into a
// signed-in profile named by the caller, whoever the caller is (the CLI,
// the TUI, an embedding host): the profile's tokens stay.
func TestSaveLoginRefusesAnotherAccountsProfile(t *testing.T) {
	f := newFakeAS(t)
	app := testApp(t)
	mem := app.Secrets.(*MemSecrets)
	m := open(t, app)
	ctx := ctxT(t)
	addFakeServer(t, m, f)
	exp := time.Now().Add(time.Hour)
	p, _, err := m.SaveLogin(ctx, "test", f.issue(exp), alice(), SaveOptions{Profile: "work"})
	if err != nil {
		t.Fatal(err)
	}
	before, err := mem.Get(ctx, "profile:"+p.ID)
	if err != nil {
		t.Fatal(err)
	}
	bob := &auth.Identity{Subject: "sub-bob", Username: "bob"}
	_, _, err = m.SaveLogin(ctx, "test", f.issue(exp), bob, SaveOptions{Profile: "work"})
	var am *AccountMismatchError
	if !errors.As(err, &am) || am.Profile != "work" || am.Have != "alice" || am.Got != "bob" {
		t.Fatalf("bob into alice's profile: %v, want an *AccountMismatchError{work, alice, bob}", err)
	}
	for _, w := range []string{"work", "alice", "bob", "nothing was saved"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message %q does not say %q", err, w)
		}
	}
	after, err := mem.Get(ctx, "profile:"+p.ID)
	if err != nil || after.AccessToken != before.AccessToken || after.RefreshToken != before.RefreshToken {
		t.Fatalf("alice's tokens changed after a refused save (%v)", err)
	}
	c, _ := m.Load(ctx)
	if got, _ := c.Profile("work"); got.Subject != "sub-alice" {
		t.Fatalf("profile work now says subject %q", got.Subject)
	}
	// alice again into her profile goes through, and so does bob into a
	// signed-out profile.
	if _, _, err := m.SaveLogin(ctx, "test", f.issue(exp), alice(), SaveOptions{Profile: "work"}); err != nil {
		t.Fatalf("alice again: %v", err)
	}
	if err := m.Logout(ctx, "work"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.SaveLogin(ctx, "test", f.issue(exp), bob, SaveOptions{Profile: "work"}); err != nil {
		t.Fatalf("bob into signed-out profile: %v", err)
	}
}
