//go:build unix

package profiles

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

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
