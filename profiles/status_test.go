package profiles

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
)

// TestStatusChecksCredentialsFile: for profiles kept in credentials.json,
// Status reads the file once and reports a deleted, edited or corrupt file
// instead of the config's idea of the token; keyring profiles are not read.
func TestStatusChecksCredentialsFile(t *testing.T) {
	f := newFakeAS(t)
	app := testApp(t)
	mem := app.Secrets.(*MemSecrets)
	m := open(t, app)
	ctx := ctxT(t)
	addFakeServer(t, m, f)
	exp := time.Now().Add(time.Hour)
	if _, _, err := m.SaveLogin(ctx, "test", f.issue(exp), alice(), SaveOptions{Insecure: true}); err != nil {
		t.Fatal(err)
	}
	bob, _, err := m.SaveLogin(ctx, "test", f.issue(exp), &auth.Identity{Subject: "sub-bob", Username: "bob"}, SaveOptions{Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.SaveLogin(ctx, "test", f.issue(exp), &auth.Identity{Subject: "sub-carol", Username: "carol"}, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	states := func() map[string]Status {
		t.Helper()
		st, err := m.Status(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]Status{}
		for _, s := range st {
			out[s.Name] = s
		}
		return out
	}
	gets, _ := mem.Calls()
	if st := states(); st["alice"].State != StateValid || st["bob"].State != StateValid || st["carol"].State != StateValid || st["alice"].Note != "" {
		t.Fatalf("all present: %+v", st)
	}
	if g, _ := mem.Calls(); g != gets {
		t.Fatal("Status read the keyring")
	}

	// bob's secret removed from the file by hand.
	if err := m.files.Delete(ctx, secretKey(bob.ID)); err != nil {
		t.Fatal(err)
	}
	st := states()
	if st["alice"].State != StateValid || st["bob"].State != StateMissing || !st["bob"].Expiry.IsZero() ||
		!strings.Contains(st["bob"].Note, "login --profile bob") || !strings.Contains(st["bob"].Note, m.CredentialsPath()) {
		t.Fatalf("bob's secret missing: %+v", st["bob"])
	}

	// The file deleted.
	if err := os.Remove(m.CredentialsPath()); err != nil {
		t.Fatal(err)
	}
	st = states()
	if st["alice"].State != StateMissing || st["bob"].State != StateMissing || st["carol"].State != StateValid {
		t.Fatalf("file deleted: %+v", st)
	}

	// The file corrupt.
	if err := os.WriteFile(m.CredentialsPath(), []byte("{\"version\": 1,\n oops"), 0o600); err != nil {
		t.Fatal(err)
	}
	st = states()
	if st["alice"].State != StateUnreadable || !strings.Contains(st["alice"].Note, "line 2") && !strings.Contains(st["alice"].Note, ":2:") ||
		!strings.Contains(st["alice"].Note, "login --profile alice") || st["carol"].State != StateValid {
		t.Fatalf("file corrupt: %+v", st["alice"])
	}
}

// TestLooseCredentialsMode: a credentials.json others may read is used, but
// reported: on the Status rows of its profiles, and in SaveInfo.Note of the
// login whose write set it back to 0600.
func TestLooseCredentialsMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows permissions are not mode bits")
	}
	f := newFakeAS(t)
	app := testApp(t)
	m := open(t, app)
	ctx := ctxT(t)
	addFakeServer(t, m, f)
	exp := time.Now().Add(time.Hour)
	tok := f.issue(exp)
	if _, _, err := m.SaveLogin(ctx, "test", tok, alice(), SaveOptions{Insecure: true}); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(m.CredentialsPath(), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := m.Status(ctx, "")
	if err != nil || st[0].State != StateValid || !strings.Contains(st[0].Note, "readable by other users (mode 0644)") || !strings.Contains(st[0].Note, "chmod 600") {
		t.Fatalf("status with a 0644 file: %+v %v", st, err)
	}
	// Still used.
	if r, err := m.Token(ctx, "alice", TokenOptions{}); err != nil || r.Token.AccessToken != tok.AccessToken {
		t.Fatalf("token from a 0644 file: %+v %v", r, err)
	}
	// The next write fixes the mode and says so.
	_, info, err := m.SaveLogin(ctx, "test", f.issue(exp), alice(), SaveOptions{Insecure: true})
	if err != nil || !strings.Contains(info.Note, "mode 0644") || !strings.Contains(info.Note, "now 0600") {
		t.Fatalf("SaveInfo after a 0644 file: %+v %v", info, err)
	}
	if fi, err := os.Stat(m.CredentialsPath()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after the write: %v %v", fi.Mode(), err)
	}
	if st, _ := m.Status(ctx, ""); st[0].Note != "" {
		t.Fatalf("note after the fix: %q", st[0].Note)
	}
	if _, info, _ := m.SaveLogin(ctx, "test", f.issue(exp), alice(), SaveOptions{Insecure: true}); info.Note != "" {
		t.Fatalf("note on a 0600 file: %q", info.Note)
	}
}
