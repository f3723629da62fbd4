package profiles

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// memBackend is a keyring backend in memory that, like Windows, rejects
// items over 2,560 bytes and records the largest item it was given.
type memBackend struct {
	mu      sync.Mutex
	items   map[string]string
	largest int
}

func (b *memBackend) Set(service, user, pass string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(pass) > 2560 {
		return keyring.ErrSetDataTooBig
	}
	b.largest = max(b.largest, len(pass))
	b.items[service+"/"+user] = pass
	return nil
}

func (b *memBackend) Get(service, user string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.items[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (b *memBackend) Delete(service, user string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.items[service+"/"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(b.items, service+"/"+user)
	return nil
}

// blockingBackend never answers, like a locked collection waiting for a
// password prompt nobody will see.
type blockingBackend struct{ release chan struct{} }

func (b blockingBackend) Set(string, string, string) error { <-b.release; return nil }
func (b blockingBackend) Get(string, string) (string, error) {
	<-b.release
	return "", nil
}
func (b blockingBackend) Delete(string, string) error { <-b.release; return nil }

func testKeyring(b keyringBackend, timeout time.Duration) *Keyring {
	k := NewKeyring("svc", timeout, nil)
	k.backend = b
	k.available = func() error { return nil }
	return k
}

func bigSecret(n int) *Secret {
	return &Secret{AccessToken: strings.Repeat("A", n), RefreshToken: "r-" + strings.Repeat("b", n/3), TokenType: "Bearer", Expiry: time.Unix(2000000000, 0).UTC()}
}

func TestKeyringChunking(t *testing.T) {
	ctx := ctxT(t)
	b := &memBackend{items: map[string]string{}}
	k := testKeyring(b, time.Second)
	for _, n := range []int{10, 1900, 5000, 20000, 500} { // grow, then shrink
		s := bigSecret(n)
		if err := k.Set(ctx, "profile:x", s); err != nil {
			t.Fatalf("Set %d: %v", n, err)
		}
		got, err := k.Get(ctx, "profile:x")
		if err != nil {
			t.Fatalf("Get %d: %v", n, err)
		}
		if *got != *s {
			t.Fatalf("Get %d: secret differs", n)
		}
		// Chunks of a larger previous secret are gone.
		b.mu.Lock()
		items := len(b.items)
		b.mu.Unlock()
		if want := len(splitChunks(mustJSON(t, s))); items != want {
			t.Fatalf("after Set of %d bytes: %d items, want %d", n, items, want)
		}
	}
	if b.largest > maxKeyringItem+64 {
		t.Fatalf("an item of %d bytes was written; limit %d", b.largest, maxKeyringItem)
	}
	if err := k.Set(ctx, "profile:x", bigSecret(9000)); err != nil {
		t.Fatal(err)
	}
	if err := k.Delete(ctx, "profile:x"); err != nil {
		t.Fatal(err)
	}
	if len(b.items) != 0 {
		t.Fatalf("Delete left %d items", len(b.items))
	}
	if _, err := k.Get(ctx, "profile:x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
	}
	if err := k.Delete(ctx, "profile:x"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
}

func TestKeyringDetectsMixedChunks(t *testing.T) {
	ctx := ctxT(t)
	b := &memBackend{items: map[string]string{}}
	k := testKeyring(b, time.Second)
	if err := k.Set(ctx, "k", bigSecret(5000)); err != nil {
		t.Fatal(err)
	}
	chunk1 := itemKeys(t, b.Get, "svc", "k")[1]
	b.items["svc/"+chunk1] = strings.Repeat("Z", chunkPayload)
	if _, err := k.Get(ctx, "k"); err == nil || !strings.Contains(err.Error(), "log in again") {
		t.Fatalf("Get with a foreign chunk: %v", err)
	}
	delete(b.items, "svc/"+chunk1)
	if _, err := k.Get(ctx, "k"); err == nil || !strings.Contains(err.Error(), "missing chunk") {
		t.Fatalf("Get with a missing chunk: %v", err)
	}
}

func mustJSON(t *testing.T, s *Secret) string {
	t.Helper()
	k := testKeyring(&memBackend{items: map[string]string{}}, time.Second)
	if err := k.Set(context.Background(), "k", s); err != nil {
		t.Fatal(err)
	}
	v, _ := k.backend.Get("svc", "k")
	if h, ok := parseChunkHeader(v); ok {
		var b strings.Builder
		b.WriteString(h.first)
		for i := 1; i < h.n; i++ {
			p, _ := k.backend.Get("svc", h.chunkKey("k", i))
			b.WriteString(p)
		}
		return b.String()
	}
	return v
}

// itemKeys returns the keyring items that hold key's secret: key, then
// the chunks its header names (read with get).
func itemKeys(t testing.TB, get func(service, user string) (string, error), service, key string) []string {
	t.Helper()
	v, err := get(service, key)
	if err != nil {
		t.Fatalf("item %s: %v", key, err)
	}
	keys := []string{key}
	if h, ok := parseChunkHeader(v); ok {
		for i := 1; i < h.n; i++ {
			keys = append(keys, h.chunkKey(key, i))
		}
	}
	return keys
}

// TestGoKeyringMockChunking runs the chunking through go-keyring's own mock
// provider. MockInit replaces go-keyring's process-wide provider for good,
// so it runs in a child process and never affects the real keyring tests.
func TestGoKeyringMockChunking(t *testing.T) {
	if os.Getenv("PROFILES_TEST_MOCK_KEYRING") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGoKeyringMockChunking$", "-test.v")
		cmd.Env = append(os.Environ(), "PROFILES_TEST_MOCK_KEYRING=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestGoKeyringMockChunking") {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	keyring.MockInit()
	ctx := ctxT(t)
	k := NewKeyring("authdeck-mock", time.Second, nil)
	k.available = func() error { return nil }
	s := bigSecret(7000)
	if err := k.Set(ctx, "profile:big", s); err != nil {
		t.Fatal(err)
	}
	items := itemKeys(t, keyring.Get, "authdeck-mock", "profile:big")
	if len(items) < 4 {
		t.Fatalf("items %v, want the header and at least 3 chunks", items)
	}
	for _, key := range items[1:] {
		v, err := keyring.Get("authdeck-mock", key)
		if err != nil || len(v) > maxKeyringItem {
			t.Fatalf("chunk %s: %d bytes, %v", key, len(v), err)
		}
	}
	got, err := k.Get(ctx, "profile:big")
	if err != nil || *got != *s {
		t.Fatalf("Get: %v", err)
	}
	if err := k.Delete(ctx, "profile:big"); err != nil {
		t.Fatal(err)
	}
	for _, key := range items {
		if _, err := keyring.Get("authdeck-mock", key); !errors.Is(err, keyring.ErrNotFound) {
			t.Fatalf("%s still there after Delete: %v", key, err)
		}
	}
}

func TestKeyringTimeout(t *testing.T) {
	b := blockingBackend{release: make(chan struct{})}
	defer close(b.release)
	k := testKeyring(b, 50*time.Millisecond)
	ctx := ctxT(t)
	var te *KeyringTimeoutError
	if _, err := k.Get(ctx, "k"); !errors.As(err, &te) || te.Op != "get" {
		t.Fatalf("Get: %v, want *KeyringTimeoutError(get)", err)
	}
	if err := k.Set(ctx, "k", bigSecret(5)); !errors.As(err, &te) {
		t.Fatalf("Set: %v, want *KeyringTimeoutError", err)
	}
	if err := k.Delete(ctx, "k"); !errors.As(err, &te) {
		t.Fatalf("Delete: %v, want *KeyringTimeoutError", err)
	}
	// A cancelled context ends the wait too.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := k.Get(cctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with cancelled ctx: %v", err)
	}
}

func TestSessionBusCheck(t *testing.T) {
	none := func(string) bool { return false }
	only := func(p string) func(string) bool { return func(q string) bool { return q == p } }
	cases := []struct {
		name   string
		goos   string
		env    env
		exists func(string) bool
		ok     bool
	}{
		{"no bus at all", "linux", env{}, none, false},
		{"autolaunch is no bus", "linux", env{"DBUS_SESSION_BUS_ADDRESS": "autolaunch:"}, none, false},
		{"env address", "linux", env{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/tmp/x"}, none, true},
		{"run user bus", "linux", env{}, only("/run/user/1000/bus"), true},
		{"other uid's bus", "linux", env{}, only("/run/user/0/bus"), false},
		{"freebsd too", "freebsd", env{}, none, false},
		{"macOS has no bus", "darwin", env{}, none, true},
		{"windows has no bus", "windows", env{}, none, true},
	}
	for _, c := range cases {
		err := sessionBusCheck(c.goos, c.env.get, 1000, c.exists)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok=%v", c.name, err, c.ok)
		}
		if err != nil && (!errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), "/run/user/1000/bus")) {
			t.Errorf("%s: %v should wrap ErrKeyringUnavailable and name the socket", c.name, err)
		}
	}
}

// TestNoBusFallsBackToFile uses the real OS keyring code path with an
// environment that has no session bus: no D-Bus call is made (no dbus-launch)
// and SaveLogin stores in the file, saying why.
func TestNoBusFallsBackToFile(t *testing.T) {
	if _, err := os.Stat("/run/user/" + strconv.Itoa(os.Getuid()) + "/bus"); err == nil {
		t.Skip("this machine has a /run/user bus; the no-bus path cannot be shown here")
	}
	f := newFakeAS(t)
	app := testApp(t)
	app.Secrets = nil // the OS keyring
	app.Getenv = env{}.get
	m := open(t, app)
	k := m.keyring.(*Keyring)
	k.backend = blockingBackend{} // would hang forever if it were called
	addFakeServer(t, m, f)
	start := time.Now()
	p, info, err := m.SaveLogin(ctxT(t), "test", f.issue(time.Now().Add(time.Hour)), alice(), SaveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("SaveLogin took %v: the keyring was tried", time.Since(start))
	}
	if p.Storage != StorageFile || !info.InsecureStorage || !strings.Contains(info.FallbackReason, "D-Bus session bus") || info.Path != m.CredentialsPath() {
		t.Fatalf("profile %+v info %+v: want file storage with a bus reason", p, info)
	}
}

// TestKeyringClientSecretRoundTrip: a server's client secret (a Secret with
// no access token) is read back from the keyring, not refused as foreign.
func TestKeyringClientSecretRoundTrip(t *testing.T) {
	k := testKeyring(&memBackend{items: map[string]string{}}, time.Second)
	checkClientSecretRoundTrip(t, k)
}

func checkClientSecretRoundTrip(t *testing.T, k *Keyring) {
	t.Helper()
	ctx := ctxT(t)
	if err := k.Set(ctx, clientKey("srv"), &Secret{ClientSecret: "cs-1"}); err != nil {
		t.Fatal(err)
	}
	got, err := k.Get(ctx, clientKey("srv"))
	if err != nil || got.ClientSecret != "cs-1" {
		t.Fatalf("client secret from the keyring: %+v %v", got, err)
	}
	if err := k.Delete(ctx, clientKey("srv")); err != nil {
		t.Fatal(err)
	}
}
