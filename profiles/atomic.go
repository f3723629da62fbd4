package profiles

// dirPerm and filePerm are the permissions of everything this package
// creates: only the owner may read the config directory and its files.
// Files are written with fsutil.WriteFileAtomic and locked with
// fsutil.Lock, which create missing directories with dirPerm.
const (
	dirPerm  = 0o700
	filePerm = 0o600
)
