package profiles

import (
	"time"

	"github.com/authdeck/authdeck/internal/fsutil"
)

// Lock timeouts. The config lock is held only for a read-modify-write (and,
// during a login, one keyring call); a profile's lock is held for a refresh
// request, so its waiters allow for a slow server.
const (
	configLockTimeout  = 15 * time.Second
	profileLockTimeout = 60 * time.Second
)

// LockTimeoutError: another process held a lock file for too long. Path
// is the lock file, Waited how long this process waited for it.
type LockTimeoutError = fsutil.LockTimeoutError
