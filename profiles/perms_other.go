//go:build !unix

package profiles

import "io/fs"

// unsafeProblem: permissions here are ACLs, not mode bits, and are not
// checked.
func unsafeProblem(fs.FileInfo, bool) string { return "" }
