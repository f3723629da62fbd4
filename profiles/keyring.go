package profiles

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
)

// DefaultKeyringTimeout bounds each keyring call when App.KeyringTimeout is
// zero: a locked collection waits for a person, a frozen service forever.
const DefaultKeyringTimeout = 3 * time.Second

// Keyring item size. Windows rejects passwords over 2,560 bytes and macOS
// items over about 3,000 bytes (service, account and password together), so
// an encoded secret longer than maxKeyringItem is split into chunks of
// chunkPayload bytes. The item under key holds a header and the first
// part: "chunked:2:<n>:<sum>:<part 0>", where sum is a checksum of the
// whole secret; parts 1..n-1 are items "key#<sum>#<i>". The checksum names
// the generation, so a new secret's chunks never overwrite the current
// ones: they are written first, then the header (the commit), then the old
// generation's chunks are deleted. A reader that follows the header sees
// the old secret or the new one, never a mix, and a writer killed before
// the header leaves the old secret whole (and some unnamed chunks behind).
// Headers "chunked:1:..." (chunks "key#<i>", written by older releases)
// are still read.
const (
	maxKeyringItem = 2000
	chunkPayload   = 1800
	maxChunks      = 64
	chunkPrefixV1  = "chunked:1:"
	chunkPrefix    = "chunked:2:"
	// readRetries: a reader whose chunks vanish (a writer committed a new
	// generation and deleted the old meanwhile) follows the new header.
	readRetries = 3
)

// keyringBackend is the part of go-keyring this package uses; tests replace
// it (a blocking one for timeouts).
type keyringBackend interface {
	Set(service, user, password string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

// goKeyring is the OS keyring through zalando/go-keyring (Secret Service on
// Linux, Keychain on macOS, Credential Manager on Windows).
type goKeyring struct{}

func (goKeyring) Set(service, user, password string) error {
	return keyring.Set(service, user, password)
}
func (goKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (goKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

// Keyring is a SecretStore in the OS keyring. Every call runs in a
// goroutine bounded by a timeout (a *KeyringTimeoutError when it expires);
// go-keyring's not-found error becomes ErrNotFound; large secrets are split
// into chunks. On Linux and the BSDs it reports ErrKeyringUnavailable at
// once when there is no D-Bus session bus, rather than let godbus start
// dbus-launch (which leaves a stray bus and keyring daemon behind).
type Keyring struct {
	service string
	timeout time.Duration
	getenv  func(string) string
	backend keyringBackend
	// available reports why the keyring cannot be used, or nil.
	available func() error
	log       *slog.Logger
}

// NewKeyring returns the OS keyring under service. timeout bounds each call
// (zero means DefaultKeyringTimeout); getenv reads the environment for the
// session-bus check (nil means an empty environment).
func NewKeyring(service string, timeout time.Duration, getenv func(string) string) *Keyring {
	if timeout <= 0 {
		timeout = DefaultKeyringTimeout
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	k := &Keyring{service: service, timeout: timeout, getenv: getenv, backend: goKeyring{}, log: discardLogger()}
	k.available = func() error { return sessionBusCheck(runtime.GOOS, k.getenv, os.Getuid(), fileExists) }
	return k
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// sessionBusCheck returns ErrKeyringUnavailable (wrapped with the reason)
// on a Secret Service platform with no session bus to reach: no
// DBUS_SESSION_BUS_ADDRESS and no /run/user/<uid>/bus socket (nor the older
// /run/user/<uid>/dbus-session file), the places godbus looks before it
// falls back to running dbus-launch.
func sessionBusCheck(goos string, getenv func(string) string, uid int, exists func(string) bool) error {
	switch goos {
	case "darwin", "windows", "ios", "android", "plan9", "js", "wasip1":
		return nil
	}
	if a := getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return nil
	}
	run := filepath.Join("/run/user", strconv.Itoa(uid))
	if exists(filepath.Join(run, "bus")) || exists(filepath.Join(run, "dbus-session")) {
		return nil
	}
	return fmt.Errorf("%w: there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset and %s does not exist)", ErrKeyringUnavailable, filepath.Join(run, "bus"))
}

type kcResult struct {
	v   string
	err error
}

// call runs fn in a goroutine and waits at most k.timeout (or until ctx is
// done). A call that times out keeps running in the background: go-keyring
// cannot be interrupted, but its caller is no longer blocked.
func (k *Keyring) call(ctx context.Context, op, user string, fn func() (string, error)) (string, error) {
	done := make(chan kcResult, 1)
	start := time.Now()
	go func() {
		v, err := fn()
		done <- kcResult{v, err}
	}()
	t := time.NewTimer(k.timeout)
	defer t.Stop()
	select {
	case r := <-done:
		k.log.Debug("keyring call", "op", op, "item", user, "took", time.Since(start), "err", errString(r.err))
		if errors.Is(r.err, keyring.ErrNotFound) {
			return "", ErrNotFound
		}
		if r.err != nil {
			return "", fmt.Errorf("keyring %s: %w", op, r.err)
		}
		return r.v, nil
	case <-t.C:
		k.log.Debug("keyring call timed out", "op", op, "item", user, "timeout", k.timeout)
		return "", &KeyringTimeoutError{Op: op}
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (k *Keyring) get(ctx context.Context, user string) (string, error) {
	return k.call(ctx, "get", user, func() (string, error) { return k.backend.Get(k.service, user) })
}

func (k *Keyring) set(ctx context.Context, user, v string) error {
	_, err := k.call(ctx, "set", user, func() (string, error) { return "", k.backend.Set(k.service, user, v) })
	return err
}

func (k *Keyring) del(ctx context.Context, user string) error {
	_, err := k.call(ctx, "delete", user, func() (string, error) { return "", k.backend.Delete(k.service, user) })
	return err
}

// chunkHeader is the parsed header of a chunked item.
type chunkHeader struct {
	n     int    // number of parts, the first included
	sum   string // checksum of the whole, and (v2) the generation
	first string // part 0
	v1    bool   // chunks named key#i (older releases)
}

// chunkKey is the item of part i (1..n-1) of key's chunked secret.
func (h chunkHeader) chunkKey(key string, i int) string {
	if h.v1 {
		return key + "#" + strconv.Itoa(i)
	}
	return key + "#" + h.sum + "#" + strconv.Itoa(i)
}

// Get returns the secret under key (reassembling chunks), or ErrNotFound.
func (k *Keyring) Get(ctx context.Context, key string) (*Secret, error) {
	if err := k.available(); err != nil {
		return nil, err
	}
	var (
		v   string
		err error
	)
	for try := 0; ; try++ {
		v, err = k.get(ctx, key)
		if itemVanished(err) && try+1 < readRetries {
			continue // replaced while go-keyring read it: read it again
		}
		if err != nil {
			return nil, err
		}
		h, ok := parseChunkHeader(v)
		if !ok {
			break
		}
		var whole string
		whole, err = k.assemble(ctx, key, h)
		if err == nil {
			v = whole
			break
		}
		var ce *chunkError
		if !errors.As(err, &ce) || try+1 >= readRetries {
			return nil, err
		}
		// A writer may have committed a new generation (and deleted
		// this one) since the header was read: follow the header again,
		// if it changed.
		again, gerr := k.get(ctx, key)
		if gerr != nil || again == v {
			return nil, err
		}
	}
	s := &Secret{}
	if err := json.Unmarshal([]byte(v), s); err != nil || s.AccessToken == "" && s.ClientSecret == "" {
		return nil, fmt.Errorf("keyring item %q of %q is not a secret this program wrote; log in again", key, k.service)
	}
	return s, nil
}

// chunkError is a chunked item whose parts are missing or do not match.
type chunkError struct{ msg string }

func (e *chunkError) Error() string { return e.msg }

// assemble reads the parts h names and checks them against its checksum.
func (k *Keyring) assemble(ctx context.Context, key string, h chunkHeader) (string, error) {
	var b strings.Builder
	b.WriteString(h.first)
	for i := 1; i < h.n; i++ {
		part, err := k.get(ctx, h.chunkKey(key, i))
		if errors.Is(err, ErrNotFound) || itemVanished(err) {
			return "", &chunkError{fmt.Sprintf("keyring item %q of %q is missing chunk %d of %d; log in again", key, k.service, i, h.n)}
		}
		if err != nil {
			return "", err
		}
		b.WriteString(part)
	}
	if checksum(b.String()) != h.sum {
		return "", &chunkError{fmt.Sprintf("keyring item %q of %q has chunks that do not belong together; log in again", key, k.service)}
	}
	return b.String(), nil
}

// itemVanished reports the error of an item deleted (or replaced) while
// go-keyring was reading it: it searches the collection, then reads the
// object it found, which the Secret Service may have removed meanwhile.
func itemVanished(err error) bool {
	if err == nil {
		return false
	}
	// gnome-keyring's UnknownObject and UnknownInterface messages (godbus
	// errors carry the message, not the error name)
	msg := err.Error()
	return strings.Contains(msg, "Object does not exist at path") || strings.Contains(msg, "No such interface") || strings.Contains(msg, "UnknownObject")
}

// Set stores s under key, split into chunks when it is large: the new
// generation's chunks first, then the item under key that names them (the
// commit), then the previous generation's chunks are deleted.
func (k *Keyring) Set(ctx context.Context, key string, s *Secret) error {
	if err := k.available(); err != nil {
		return err
	}
	enc, err := json.Marshal(s)
	if err != nil {
		return err
	}
	var old chunkHeader
	oldChunked := false
	if v, err := k.get(ctx, key); err == nil {
		old, oldChunked = parseChunkHeader(v)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	parts := splitChunks(string(enc))
	if len(parts) > maxChunks {
		return fmt.Errorf("the secret is too large for the keyring (%d bytes)", len(enc))
	}
	var cur chunkHeader
	if len(parts) == 1 {
		if err := k.set(ctx, key, parts[0]); err != nil {
			return err
		}
	} else {
		cur = chunkHeader{n: len(parts), sum: checksum(string(enc))}
		for i := 1; i < len(parts); i++ {
			if err := k.set(ctx, cur.chunkKey(key, i), parts[i]); err != nil {
				return err
			}
		}
		header := chunkPrefix + strconv.Itoa(len(parts)) + ":" + cur.sum + ":"
		if err := k.set(ctx, key, header+parts[0]); err != nil {
			return err
		}
	}
	if !oldChunked || (!old.v1 && old.sum == cur.sum) {
		return nil // nothing left over (or the same generation rewritten)
	}
	for i := 1; i < old.n; i++ {
		if err := k.del(ctx, old.chunkKey(key, i)); err != nil && !errors.Is(err, ErrNotFound) {
			k.log.Debug("could not delete a stale keyring chunk", "item", old.chunkKey(key, i), "err", err)
		}
	}
	return nil
}

// Delete removes key and then all its chunks; a missing key is not an
// error.
func (k *Keyring) Delete(ctx context.Context, key string) error {
	if err := k.available(); err != nil {
		return err
	}
	v, err := k.get(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := k.del(ctx, key); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if h, ok := parseChunkHeader(v); ok {
		for i := 1; i < h.n; i++ {
			if err := k.del(ctx, h.chunkKey(key, i)); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
	}
	return nil
}

// splitChunks returns v whole when it fits in one item, else pieces of
// chunkPayload bytes.
func splitChunks(v string) []string {
	if len(v) <= maxKeyringItem {
		return []string{v}
	}
	var parts []string
	for len(v) > chunkPayload {
		parts = append(parts, v[:chunkPayload])
		v = v[chunkPayload:]
	}
	return append(parts, v)
}

// parseChunkHeader splits "chunked:2:<n>:<sum>:<first part>" (or the
// older "chunked:1:...").
func parseChunkHeader(v string) (chunkHeader, bool) {
	h := chunkHeader{}
	rest, found := strings.CutPrefix(v, chunkPrefix)
	if !found {
		if rest, found = strings.CutPrefix(v, chunkPrefixV1); !found {
			return chunkHeader{}, false
		}
		h.v1 = true
	}
	fields := strings.SplitN(rest, ":", 3)
	if len(fields) != 3 {
		return chunkHeader{}, false
	}
	n, err := strconv.Atoi(fields[0])
	if err != nil || n < 2 || n > maxChunks || fields[1] == "" || strings.ContainsAny(fields[1], "#:") {
		return chunkHeader{}, false
	}
	h.n, h.sum, h.first = n, fields[1], fields[2]
	return h, true
}

func checksum(v string) string {
	h := sha256.Sum256([]byte(v))
	return hex.EncodeToString(h[:8])
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
