//go:build unix

package profiles

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// lockFlags open a lock file: created if missing, and never through a
// symbolic link (one planted in its place would otherwise have the lock
// create or open a file of the attacker's choosing).
const lockFlags = os.O_CREATE | os.O_RDWR | syscall.O_NOFOLLOW

// openNoFollow opens path for reading, refusing a symbolic link (the
// error then satisfies isSymlinkErr) and not blocking on a FIFO.
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}

// isSymlinkErr: err is what opening a symbolic link with O_NOFOLLOW gives
// (ELOOP; EMLINK on FreeBSD).
func isSymlinkErr(err error) bool {
	return errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK)
}

// unsafeProblem says what lets other users change fi ("" when nothing
// does): write permission for group or others, or an owner other than
// this process's user (or root, when allowRoot).
func unsafeProblem(fi fs.FileInfo, allowRoot bool) string {
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Sprintf("writable by group or others (mode %04o)", perm)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	me := os.Geteuid()
	if int(st.Uid) == me || (allowRoot && st.Uid == 0) {
		return ""
	}
	return fmt.Sprintf("owned by uid %d, not by you (uid %d)", st.Uid, me)
}
