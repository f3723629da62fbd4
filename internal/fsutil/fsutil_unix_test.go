//go:build unix

package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLockFileSymlinkNotFollowed: a lock file that is a symbolic link is
// refused; its target is neither created nor truncated.
func TestLockFileSymlinkNotFollowed(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "victim")
	if err := os.WriteFile(target, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(dir, "x.lock")
	if err := os.Symlink(target, lock); err != nil {
		t.Fatal(err)
	}
	if unlock, err := Lock(ctxT(t), lock, time.Second); err == nil {
		unlock()
		t.Fatal("a symlinked lock file was locked")
	} else if !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("error %q does not say it is a symbolic link", err)
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != "precious" {
		t.Errorf("target after the lock attempt: %q %v", b, err)
	}
	// A dangling link: the target is not created.
	missing := filepath.Join(dir, "created-by-attack")
	lock2 := filepath.Join(dir, "y.lock")
	if err := os.Symlink(missing, lock2); err != nil {
		t.Fatal(err)
	}
	if unlock, err := Lock(ctxT(t), lock2, time.Second); err == nil {
		unlock()
		t.Fatal("a dangling symlinked lock file was locked")
	}
	if _, err := os.Lstat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the dangling link's target was created: %v", err)
	}
}
