//go:build !unix

package profiles

import (
	"errors"
	"io/fs"
	"os"
)

// lockFlags open a lock file, created if missing. Windows has no
// O_NOFOLLOW; creating a symbolic link there needs a privilege.
const lockFlags = os.O_CREATE | os.O_RDWR

var errIsSymlink = errors.New("is a symbolic link")

// openNoFollow opens path for reading, refusing a symbolic link (checked
// just before; there is no O_NOFOLLOW here).
func openNoFollow(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, &fs.PathError{Op: "open", Path: path, Err: errIsSymlink}
	}
	return os.Open(path)
}

func isSymlinkErr(err error) bool { return errors.Is(err, errIsSymlink) }

// unsafeProblem: permissions here are ACLs, not mode bits, and are not
// checked.
func unsafeProblem(fs.FileInfo, bool) string { return "" }
