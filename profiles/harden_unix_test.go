//go:build unix

package profiles

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDirFileSymlinkIgnored: an .authdeck that is a symbolic link (to a
// file naming bob) is not followed: the active profile applies, with a
// one-line warning.
func TestDirFileSymlinkIgnored(t *testing.T) {
	m, dir := dirFileSetup(t)
	target := filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(target, []byte("bob\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, ".authdeck")); err != nil {
		t.Fatal(err)
	}
	checkIgnored(t, m, dir, "symbolic link")
}

// TestDirFileLoosePermsIgnored: a group-writable .authdeck, and one owned
// by another user, are ignored with a one-line warning.
func TestDirFileLoosePermsIgnored(t *testing.T) {
	m, dir := dirFileSetup(t)
	p := filepath.Join(dir, ".authdeck")
	if err := os.WriteFile(p, []byte("bob\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o664); err != nil {
		t.Fatal(err)
	}
	checkIgnored(t, m, dir, "writable by group or others")
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		t.Log("not root: the ownership case needs chown")
		return
	}
	if err := os.Chown(p, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	checkIgnored(t, m, dir, "owned by uid 4242")
}

// TestUnsafeConfigDirRefusesSecrets: a world-writable config directory, a
// group-writable credentials file, or one owned by another user: no secret
// is stored there, and the error names the path and the fix.
func TestUnsafeConfigDirRefusesSecrets(t *testing.T) {
	f := newFakeAS(t)
	app := testApp(t)
	m := open(t, app)
	addFakeServer(t, m, f)
	ctx := ctxT(t)
	if _, _, err := m.SaveLogin(ctx, "test", f.issue(time.Now().Add(time.Hour)), alice(), SaveOptions{Profile: "a", Insecure: true}); err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(app.ConfigDir, "credentials.json")
	before, err := os.ReadFile(creds)
	if err != nil {
		t.Fatal(err)
	}
	save := func() error {
		_, _, err := m.SaveLogin(ctx, "test", f.issue(time.Now().Add(time.Hour)), alice(), SaveOptions{Profile: "b", Insecure: true})
		return err
	}
	unchanged := func(what string) {
		t.Helper()
		if after, _ := os.ReadFile(creds); string(after) != string(before) {
			t.Errorf("%s: the credentials file was rewritten", what)
		}
	}

	old := syscall.Umask(0)
	err = os.Chmod(app.ConfigDir, 0o777)
	syscall.Umask(old)
	if err != nil {
		t.Fatal(err)
	}
	if err := save(); err == nil || !strings.Contains(err.Error(), app.ConfigDir) || !strings.Contains(err.Error(), "chmod 700") {
		t.Errorf("config dir 0777: %v; want a refusal naming %s and chmod 700", err, app.ConfigDir)
	}
	unchanged("config dir 0777")
	if rows, err := m.Status(ctx, ""); err != nil || len(rows) != 1 || !strings.Contains(rows[0].Note, "chmod 700 "+app.ConfigDir) {
		t.Errorf("status with the config dir 0777: %+v %v; want a note with the fix", rows, err)
	}
	if err := os.Chmod(app.ConfigDir, 0o700); err != nil {
		t.Fatal(err)
	}

	if err := os.Chmod(creds, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := save(); err == nil || !strings.Contains(err.Error(), creds) || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("credentials 0666: %v; want a refusal naming %s and chmod 600", err, creds)
	}
	unchanged("credentials 0666")
	if err := os.Chmod(creds, 0o600); err != nil {
		t.Fatal(err)
	}

	if os.Geteuid() == 0 {
		if err := os.Chown(creds, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		if err := save(); err == nil || !strings.Contains(err.Error(), creds) || !strings.Contains(err.Error(), "uid 4242") {
			t.Errorf("credentials owned by uid 4242: %v; want a refusal naming the file and the owner", err)
		}
		unchanged("credentials owned by another user")
		if err := os.Chown(creds, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := save(); err != nil {
		t.Errorf("after the fix: %v", err)
	}
}
