//go:build unix

package fsutil

import (
	"errors"
	"os"
	"syscall"
)

// lockFlags open a lock file: created if missing, and never through a
// symbolic link (one planted in its place would otherwise have the lock
// create or open a file of the attacker's choosing).
const lockFlags = os.O_CREATE | os.O_RDWR | syscall.O_NOFOLLOW

// OpenNoFollow opens path for reading, refusing a symbolic link (the
// error then satisfies IsSymlinkErr) and not blocking on a FIFO.
func OpenNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}

// IsSymlinkErr reports whether err is what opening a symbolic link with
// O_NOFOLLOW gives (ELOOP; EMLINK on FreeBSD).
func IsSymlinkErr(err error) bool {
	return errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK)
}
