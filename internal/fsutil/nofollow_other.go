//go:build !unix

package fsutil

import (
	"errors"
	"io/fs"
	"os"
)

// lockFlags open a lock file, created if missing. Windows has no
// O_NOFOLLOW; creating a symbolic link there needs a privilege.
const lockFlags = os.O_CREATE | os.O_RDWR

var errIsSymlink = errors.New("is a symbolic link")

// OpenNoFollow opens path for reading, refusing a symbolic link (checked
// just before; there is no O_NOFOLLOW here).
func OpenNoFollow(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, &fs.PathError{Op: "open", Path: path, Err: errIsSymlink}
	}
	return os.Open(path)
}

// IsSymlinkErr reports whether err is OpenNoFollow's refusal of a
// symbolic link.
func IsSymlinkErr(err error) bool { return errors.Is(err, errIsSymlink) }
