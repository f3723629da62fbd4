package fsutil

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// TestWriteFileAtomic: a new file (in a new directory) gets the mode
// asked for, an existing one is replaced whole, and no temporary file is
// left behind.
func TestWriteFileAtomic(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "dir")
	path := filepath.Join(dir, "f.json")
	if err := WriteFileAtomic(path, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, []byte("two"), 0o640); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "two" {
		t.Fatalf("content %q %v, want two", b, err)
	}
	if runtime.GOOS != "windows" {
		fi, _ := os.Stat(path)
		di, _ := os.Stat(dir)
		if fi.Mode().Perm() != 0o640 || di.Mode().Perm() != DirPerm {
			t.Errorf("file mode %04o, directory %04o; want 0640 and %04o", fi.Mode().Perm(), di.Mode().Perm(), DirPerm)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only the file", len(ents))
	}
}

// TestWriteFileAtomicFailureKeepsOld: a write that cannot be renamed into
// place (the path is a directory) leaves it and no temporary file.
func TestWriteFileAtomicFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "keep"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, []byte("new"), 0o600); err == nil {
		t.Fatal("replacing a non-empty directory succeeded")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries after the failure, want 1", len(ents))
	}
}

// TestLockExcludesAndTimesOut: a held lock makes another taker wait and
// give up with a *LockTimeoutError naming the lock file; once released it
// is free again; a cancelled context is reported as such.
func TestLockExcludesAndTimesOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.lock")
	unlock, err := Lock(ctxT(t), path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Lock(ctxT(t), path, 20*time.Millisecond)
	var lt *LockTimeoutError
	if !errors.As(err, &lt) || lt.Path != path {
		t.Fatalf("second lock: %v, want a LockTimeoutError for %s", err, path)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Lock(ctx, path, time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("lock with a cancelled context: %v", err)
	}
	unlock()
	again, err := Lock(ctxT(t), path, time.Second)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	again()
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
