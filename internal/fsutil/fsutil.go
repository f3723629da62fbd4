// Package fsutil holds the file helpers that the profiles store and the
// secret files share: an atomic write and a cross-process lock file that
// is never followed through a symbolic link.
package fsutil

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/gofrs/flock"
)

// DirPerm is the mode of the directories WriteFileAtomic and Lock create:
// only the owner may read them.
const DirPerm = 0o700

// lockPerm is the mode of a lock file that Lock creates.
const lockPerm = 0o600

// lockRetryDelay is how often Lock tries again while another process
// holds the lock.
const lockRetryDelay = 5 * time.Millisecond

// WriteFileAtomic replaces path with data, the file ending up with mode
// perm (on Unix): a temporary file in the same directory is written,
// synced and renamed over path, then the directory is synced, so a crash
// leaves either the old or the new content, never a partial file. A
// missing directory is created with DirPerm.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, DirPerm); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err = f.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// syncDir flushes a directory entry change (the rename) to disk. Not every
// platform supports it (Windows does not); failures are ignored since the
// rename itself has already happened.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// LockTimeoutError: another process held a lock file for too long.
type LockTimeoutError struct {
	// Path is the lock file another process holds.
	Path string
	// Waited is how long this process waited for the lock before giving
	// up.
	Waited time.Duration
}

// Error says which lock file is held and what to do.
func (e *LockTimeoutError) Error() string {
	return fmt.Sprintf("%s is locked by another process (waited %s); if no other process is running, remove the file and try again", e.Path, e.Waited.Round(time.Millisecond))
}

// Lock takes an exclusive cross-process lock on path (created 0600, in a
// directory created with DirPerm, if missing; a symbolic link there is
// refused, not followed), waiting at most timeout. flock(2) locks belong
// to an open file, so two goroutines of one process exclude each other as
// two processes do. The returned function releases the lock.
//
// Errors: ctx's error when ctx ends first, *LockTimeoutError when the
// timeout does, and one saying so for a symbolic link.
func Lock(ctx context.Context, path string, timeout time.Duration) (func(), error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, DirPerm); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	fl := flock.New(path, flock.SetFlag(lockFlags), flock.SetPermissions(lockPerm))
	lctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	ok, err := fl.TryLockContext(lctx, lockRetryDelay)
	if ok && err == nil {
		return func() { _ = fl.Unlock() }, nil
	}
	_ = fl.Close()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		return nil, &LockTimeoutError{Path: path, Waited: time.Since(start)}
	}
	if IsSymlinkErr(err) {
		return nil, fmt.Errorf("%s is a symbolic link, which is not followed; remove it and try again", path)
	}
	return nil, fmt.Errorf("locking %s: %w", path, err)
}
