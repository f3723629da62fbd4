package profiles

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// Lock timeouts. The config lock is held only for a read-modify-write (and,
// during a login, one keyring call); a profile's lock is held for a refresh
// request, so its waiters allow for a slow server.
const (
	configLockTimeout  = 15 * time.Second
	profileLockTimeout = 60 * time.Second
	lockRetryDelay     = 5 * time.Millisecond
)

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

// lockFile takes an exclusive cross-process lock on path (created 0600 if
// missing; a symbolic link there is refused, not followed), waiting at
// most timeout. flock(2) locks belong to an open file,
// so two goroutines of one process exclude each other as two processes do.
// The returned function releases the lock.
func lockFile(ctx context.Context, path string, timeout time.Duration) (func(), error) {
	if err := ensureDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	fl := flock.New(path, flock.SetFlag(lockFlags), flock.SetPermissions(filePerm))
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
	if isSymlinkErr(err) {
		return nil, fmt.Errorf("%s is a symbolic link, which is not followed; remove it and try again", path)
	}
	return nil, fmt.Errorf("locking %s: %w", path, err)
}
