package profiles

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/fsutil"
)

// TestRefreshSaveFallsBackToFile: the keyring stops answering between a
// login and a refresh (a locked collection, a frozen service). The rotated
// refresh token must not be lost: the refresh is saved in the credentials
// file, the config says storage=file and why, status tells the user, and
// the next call reads the file without asking the keyring or the server.
func TestRefreshSaveFallsBackToFile(t *testing.T) {
	f := newFakeAS(t)
	app := testApp(t)
	app.Secrets = nil
	m := open(t, app)
	mem, sw := switchableKeyring(m)
	addFakeServer(t, m, f)
	ctx := ctxT(t)
	old := f.issue(time.Now().Add(-time.Minute))
	p, info, err := m.SaveLogin(ctx, "test", old, alice(), SaveOptions{})
	if err != nil || p.Storage != StorageKeyring || info.FallbackReason != "" {
		t.Fatalf("login: %+v %+v %v", p, info, err)
	}

	// The keyring freezes after answering the read of the expired token.
	block := blockingBackend{release: make(chan struct{})}
	defer close(block.release)
	sw.set(getOnly{src: mem, blockingBackend: block})

	r, err := m.Token(ctx, "alice", TokenOptions{})
	if err != nil {
		t.Fatalf("refresh with a frozen keyring: %v", err)
	}
	if !r.Refreshed || r.Source != SourceFile || r.SourceDetail != m.CredentialsPath() {
		t.Fatalf("result %+v: want a refresh saved in the file", r)
	}
	if !strings.Contains(r.FallbackReason, "did not answer") {
		t.Fatalf("FallbackReason %q should say the keyring timed out", r.FallbackReason)
	}
	sec, err := m.files.Get(ctx, secretKey(p.ID))
	if err != nil || sec.RefreshToken != r.Token.RefreshToken || sec.RefreshToken == old.RefreshToken {
		t.Fatalf("credentials file: %+v %v, want the rotated refresh token", sec, err)
	}
	f.mu.Lock()
	live := f.live[sec.RefreshToken]
	f.mu.Unlock()
	if !live {
		t.Fatal("the saved refresh token is not the live one at the server")
	}
	cfg, err := m.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := cfg.Profile("alice")
	if got.Storage != StorageFile || got.StorageFallback != r.FallbackReason {
		t.Fatalf("config profile: storage %q, fallback %q; want file and %q", got.Storage, got.StorageFallback, r.FallbackReason)
	}
	st, err := m.Status(ctx, "")
	if err != nil || len(st) != 1 || st[0].Storage != StorageFile || st[0].Fallback != r.FallbackReason || st[0].Note != "" {
		t.Fatalf("status: %+v %v, want file storage with the fallback's reason (and no note)", st, err)
	}
	// Said in one line, with the advice that fits now: the keyring is
	// frozen, so logging in again would not help.
	sw.set(block)
	want := "alice: kept in plain text in " + m.CredentialsPath() + " because no keyring answered when it was saved; none answers now either (the keyring did not answer get in time (is it locked or waiting for a password prompt?)): start or unlock one (a Secret Service such as gnome-keyring on the D-Bus session bus), then log in again"
	if got := m.FallbackNote(ctx, st); got != want {
		t.Fatalf("FallbackNote with a frozen keyring:\n%s\nwant\n%s", got, want)
	}
	sw.set(mem)
	want = "alice: kept in plain text in " + m.CredentialsPath() + " because no keyring answered when it was saved; a keyring answers now: run `authdeck login --profile alice` to move it there"
	if got := m.FallbackNote(ctx, st); got != want {
		t.Fatalf("FallbackNote with a keyring that answers:\n%s\nwant\n%s", got, want)
	}

	// The keyring is frozen again: the next call must not touch it.
	sw.set(block)
	r2, err := m.Token(ctx, "alice", TokenOptions{})
	if err != nil || r2.Refreshed || r2.Token.AccessToken != r.Token.AccessToken || r2.Source != SourceFile {
		t.Fatalf("next call: %+v %v", r2, err)
	}
	if f.refreshCount() != 1 {
		t.Fatalf("%d refreshes, want 1", f.refreshCount())
	}

	// A new login that reaches the keyring again moves the secret back
	// and forgets the reason.
	sw.set(mem)
	if p, _, err = m.SaveLogin(ctx, "test", f.issue(time.Now().Add(time.Hour)), alice(), SaveOptions{}); err != nil || p.Storage != StorageKeyring || p.StorageFallback != "" {
		t.Fatalf("re-login: %+v %v", p, err)
	}
	if _, err := m.files.Get(ctx, secretKey(p.ID)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the file copy is left after the re-login: %v", err)
	}
}

// TestRefreshSaveFileFailsToo: when the keyring and the file both fail,
// the error says both, and names what to do.
func TestRefreshSaveFileFailsToo(t *testing.T) {
	f := newFakeAS(t)
	app := testApp(t)
	app.Secrets = nil
	m := open(t, app)
	mem, sw := switchableKeyring(m)
	addFakeServer(t, m, f)
	ctx := ctxT(t)
	_, _, err := m.SaveLogin(ctx, "test", f.issue(time.Now().Add(-time.Minute)), alice(), SaveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	block := blockingBackend{release: make(chan struct{})}
	defer close(block.release)
	sw.set(getOnly{src: mem, blockingBackend: block})
	if err := fsutil.WriteFileAtomic(m.CredentialsPath(), []byte("{oops\n"), filePerm); err != nil {
		t.Fatal(err)
	}
	_, err = m.Token(ctx, "alice", TokenOptions{})
	var pe *ParseError
	if err == nil || !errors.As(err, &pe) || !strings.Contains(err.Error(), "keyring failed") || !strings.Contains(err.Error(), "login --profile alice") {
		t.Fatalf("both stores failing: %v", err)
	}
}

// getOnly answers Get from src and blocks every other call: a keyring
// that froze after the reads.
type getOnly struct {
	src keyringBackend
	blockingBackend
}

func (g getOnly) Get(service, user string) (string, error) { return g.src.Get(service, user) }

// switchBackend forwards to a backend that the test may replace while
// calls that timed out are still running.
type switchBackend struct {
	mu sync.Mutex
	b  keyringBackend
}

func (s *switchBackend) set(b keyringBackend) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b = b
}

func (s *switchBackend) get() keyringBackend {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b
}

func (s *switchBackend) Set(service, user, pass string) error {
	return s.get().Set(service, user, pass)
}
func (s *switchBackend) Get(service, user string) (string, error) { return s.get().Get(service, user) }
func (s *switchBackend) Delete(service, user string) error        { return s.get().Delete(service, user) }

// switchableKeyring puts m's keyring on an in-memory backend that a test
// can swap (sw.set) for a failing one mid-way, with a 100 ms timeout; mem
// keeps what was stored.
func switchableKeyring(m *Manager) (*memBackend, *switchBackend) {
	k := m.keyring.(*Keyring)
	mem := &memBackend{items: map[string]string{}}
	sw := &switchBackend{b: mem}
	k.backend, k.timeout = sw, 100*time.Millisecond
	k.available = func() error { return nil }
	return mem, sw
}
