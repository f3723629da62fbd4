package profiles

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDirFileInGitCheckout: in a real git checkout with the directory file
// at the repository root, a command run deep inside it picks that file's
// profile. The look-up does not stop at the repository root: with no file
// in the checkout, one in a directory above it (a home directory's) still
// applies, and the nearest file wins.
func TestDirFileInGitCheckout(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("git is not installed (CI=true)")
		}
		t.Skip("git is not installed")
	}
	f := newFakeAS(t)
	m := open(t, testApp(t))
	addFakeServer(t, m, f)
	ctx := ctxT(t)
	for _, name := range []string{"work", "home"} {
		if _, _, err := m.SaveLogin(ctx, "test", f.issue(time.Now().Add(time.Hour)), alice(), SaveOptions{Profile: name}); err != nil {
			t.Fatal(err)
		}
	}
	top := t.TempDir()
	repo := filepath.Join(top, "src", "project")
	nested := filepath.Join(repo, "cmd", "tool", "internal")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(git, "init", "-q", repo).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	if out, err := exec.Command(git, "-C", nested, "rev-parse", "--show-toplevel").Output(); err != nil || strings.TrimSpace(string(out)) != repo {
		t.Fatalf("%s is not inside the checkout %s: %q %v", nested, repo, out, err)
	}
	write := func(path, content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what, want, wantFile string) {
		t.Helper()
		trustT(t, m, wantFile)
		sel, err := m.Select(ctx, "", nested)
		if err != nil || sel.Name != want || sel.ChosenBy != ".authdeck file "+wantFile {
			t.Fatalf("%s: %+v %v, want %q chosen by %s", what, sel, err, want, wantFile)
		}
		r, err := m.Token(ctx, "", TokenOptions{Cwd: nested})
		if err != nil || r.Profile != want {
			t.Fatalf("%s: token of %+v %v, want profile %q", what, r, err, want)
		}
	}

	// Above the repository root only: still found.
	write(filepath.Join(top, ".authdeck"), "home\n")
	check("file above the checkout", "home", filepath.Join(top, ".authdeck"))
	// At the repository root: the nearest file wins.
	write(filepath.Join(repo, ".authdeck"), "# the team's account\nprofile = \"work\"\n")
	check("file at the repository root", "work", filepath.Join(repo, ".authdeck"))
	// A directory named .authdeck (not a file) is skipped.
	if err := os.Mkdir(filepath.Join(nested, ".authdeck"), 0o755); err != nil {
		t.Fatal(err)
	}
	check("a .authdeck directory in the way", "work", filepath.Join(repo, ".authdeck"))
}
