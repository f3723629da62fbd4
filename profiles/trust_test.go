package profiles

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dirFileSetup is a manager with profiles alice (active) and bob, and a
// project directory whose .authdeck is written by the caller.
func dirFileSetup(t *testing.T) (*Manager, string) {
	t.Helper()
	f := newFakeAS(t)
	m := open(t, testApp(t))
	addFakeServer(t, m, f)
	ctx := ctxT(t)
	for _, name := range []string{"alice", "bob"} {
		if _, _, err := m.SaveLogin(ctx, "test", f.issue(time.Now().Add(time.Hour)), alice(), SaveOptions{Profile: name}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Use(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	return m, t.TempDir()
}

// checkIgnored: Select in dir falls back to the active profile (alice),
// with one warning line that names the file (dir/.authdeck unless file is
// given) and contains want.
func checkIgnored(t *testing.T, m *Manager, dir, want string, file ...string) Selection {
	t.Helper()
	sel, err := m.Select(ctxT(t), "", dir)
	if err != nil || sel.Name != "alice" || sel.ChosenBy != "active" {
		t.Fatalf("Select = %+v, %v; want the active profile alice", sel, err)
	}
	w, p := sel.Warning, filepath.Join(dir, ".authdeck")
	if len(file) > 0 {
		p = file[0]
	}
	if strings.Contains(w, "\n") || !strings.Contains(w, p) || !strings.Contains(w, want) {
		t.Fatalf("warning %q: want one line naming %s and saying %q", w, p, want)
	}
	return sel
}

// TestDirFileTrust: a directory file takes effect only once trusted; a
// change after that makes it ignored again until trusted again, and
// untrusting it ends its effect. Ignored files leave a one-line warning
// naming the file and the trust command.
func TestDirFileTrust(t *testing.T) {
	m, dir := dirFileSetup(t)
	ctx := ctxT(t)
	p := filepath.Join(dir, ".authdeck")
	if err := os.WriteFile(p, []byte("bob\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nested := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	sel := checkIgnored(t, m, nested, "not trusted", p)
	if !strings.Contains(sel.Warning, "authdeck profiles trust") {
		t.Errorf("warning %q does not name the trust command", sel.Warning)
	}
	// The token follows the same rule.
	r, err := m.Token(ctx, "", TokenOptions{Cwd: nested})
	if err != nil || r.Profile != "alice" || !strings.Contains(r.Warning, "not trusted") {
		t.Fatalf("token in an untrusted directory: %+v %v; want alice's with a warning", r, err)
	}

	tf, err := m.TrustDirFile(ctx, nested) // the nearest file from a directory
	if err != nil || tf.Path != p || tf.Profile != "bob" || !tf.Known {
		t.Fatalf("TrustDirFile = %+v, %v", tf, err)
	}
	sel, err = m.Select(ctx, "", nested)
	if err != nil || sel.Name != "bob" || sel.ChosenBy != ".authdeck file "+p || sel.Warning != "" {
		t.Fatalf("after trust: %+v %v", sel, err)
	}
	if r, err := m.Token(ctx, "", TokenOptions{Cwd: nested}); err != nil || r.Profile != "bob" || r.Warning != "" {
		t.Fatalf("token after trust: %+v %v", r, err)
	}

	if err := os.WriteFile(p, []byte("bob\n# changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	checkIgnored(t, m, nested, "changed since", p)
	if _, err := m.TrustDirFile(ctx, p); err != nil { // the file itself
		t.Fatal(err)
	}
	if sel, err := m.Select(ctx, "", nested); err != nil || sel.Name != "bob" {
		t.Fatalf("after trusting the change: %+v %v", sel, err)
	}
	if path, ok, err := m.UntrustDirFile(ctx, nested); err != nil || !ok || path != p {
		t.Fatalf("UntrustDirFile = %q %v %v", path, ok, err)
	}
	checkIgnored(t, m, nested, "not trusted", p)

	// The trust file survives a rewrite of the config.
	if _, err := m.TrustDirFile(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := m.Rename(ctx, "alice", "alice2"); err != nil {
		t.Fatal(err)
	}
	if sel, err := m.Select(ctx, "", nested); err != nil || sel.Name != "bob" {
		t.Fatalf("after a config rewrite: %+v %v", sel, err)
	}
	// No file: trusting says so.
	if _, err := m.TrustDirFile(ctx, t.TempDir()); err == nil || !strings.Contains(err.Error(), ".authdeck") {
		t.Errorf("trust with no file: %v", err)
	}
}

// TestDirFileHostileContent: what a hostile directory file holds never
// reaches a warning or an error beyond a cleaned profile name capped in
// length: not escape sequences, not a 10 KB name, not a huge TOML string.
func TestDirFileHostileContent(t *testing.T) {
	m, dir := dirFileSetup(t)
	ctx := ctxT(t)
	p := filepath.Join(dir, ".authdeck")
	long := strings.Repeat("A", 10<<10)
	limit := len(p) + 300
	clean := func(what, s string) {
		t.Helper()
		if strings.ContainsAny(s, "\x1b\x07\n\r") || strings.Contains(s, strings.Repeat("A", maxNameLen+1)) || len(s) > limit {
			t.Errorf("%s echoes the file (%d bytes): %.300q", what, len(s), s)
		}
	}
	for _, content := range []string{
		"\x1b]0;pwned\x07\x1b[31m" + long + "\n",
		"profile = \"\x1b[2J" + long + "\"\n",
		"profile = \"" + long + "\x1b[31m\n", // unterminated: not valid TOML
		"profile = 1\nx = \"" + long + "\"\n",
		"[[" + long + "\x1b[0m\n",
		"profile = \"\"\"\n" + long + "\n",
		"profile = " + long + "\n",           // the parser quotes the bad value
		"profile = \"x\"\n" + long + " = \n", // and the bad key
	} {
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		sel := checkIgnored(t, m, dir, "trust")
		clean("the warning", sel.Warning)
		tf, err := m.TrustDirFile(ctx, dir)
		if err != nil {
			clean("the trust error", err.Error())
			continue
		}
		clean("the trusted name", tf.Profile)
		_, err = m.Select(ctx, "", dir)
		if !errors.Is(err, ErrUnknownProfile) {
			t.Fatalf("a trusted file naming an unknown profile: %v", err)
		}
		clean("the unknown-profile error", err.Error())
	}
}
