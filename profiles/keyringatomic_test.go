package profiles

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// observed is a keyring backend that runs check after every write, as a
// reader that got in between two writes of a Set would.
type observed struct {
	keyringBackend
	check func()
}

func (o observed) Set(service, user, pass string) error {
	err := o.keyringBackend.Set(service, user, pass)
	o.check()
	return err
}

func (o observed) Delete(service, user string) error {
	err := o.keyringBackend.Delete(service, user)
	o.check()
	return err
}

// crashAfter lets n writes through and fails every later one, as if the
// process had been killed after its n-th write.
type crashAfter struct {
	keyringBackend
	n *atomic.Int32
}

var errCrashed = errors.New("killed")

func (c crashAfter) Set(service, user, pass string) error {
	if c.n.Add(-1) < 0 {
		return errCrashed
	}
	return c.keyringBackend.Set(service, user, pass)
}

func (c crashAfter) Delete(service, user string) error {
	if c.n.Add(-1) < 0 {
		return errCrashed
	}
	return c.keyringBackend.Delete(service, user)
}

func keyringOn(b keyringBackend, service string) *Keyring {
	k := NewKeyring(service, 10*time.Second, nil)
	k.backend = b
	k.available = func() error { return nil }
	return k
}

func distinctSecret(n int, tag string) *Secret {
	s := bigSecret(n)
	s.AccessToken = tag + s.AccessToken[len(tag):]
	return s
}

// checkSetsAtomic replaces a secret several times (chunked, the same
// again, small, chunked) and reads it after every single keyring write:
// each read gives the old secret or the new one, never an error or a mix.
func checkSetsAtomic(t *testing.T, raw keyringBackend, service string) {
	ctx := ctxT(t)
	reader := keyringOn(raw, service)
	var (
		mu         sync.Mutex
		prev, next *Secret
		reads      int
		bad        []string
	)
	// check runs in the keyring's call goroutine: it records, the test
	// goroutine fails.
	check := func() {
		mu.Lock()
		defer mu.Unlock()
		reads++
		got, err := reader.Get(ctx, "profile:a")
		switch {
		case (prev == nil || next == nil) && errors.Is(err, ErrNotFound):
		case err != nil:
			bad = append(bad, fmt.Sprintf("read %d failed: %v", reads, err))
		case !(prev != nil && *got == *prev) && !(next != nil && *got == *next):
			bad = append(bad, fmt.Sprintf("read %d gave neither the old secret nor the new one", reads))
		}
	}
	step := func(what string, s *Secret, write func(*Keyring) error) {
		t.Helper()
		mu.Lock()
		next = s
		mu.Unlock()
		if err := write(keyringOn(observed{raw, check}, service)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(bad) > 0 {
			t.Fatalf("%s: reads between two writes: %s", what, strings.Join(bad, "; "))
		}
		prev = s
	}
	for i, s := range []*Secret{distinctSecret(5000, "one"), distinctSecret(6500, "two"), distinctSecret(6500, "two"), distinctSecret(10, "three"), distinctSecret(4000, "four")} {
		step(fmt.Sprintf("Set %d", i), s, func(k *Keyring) error { return k.Set(ctx, "profile:a", s) })
	}
	step("Delete", nil, func(k *Keyring) error { return k.Delete(ctx, "profile:a") })
	if reads < 12 {
		t.Fatalf("only %d reads were made between writes", reads)
	}
}

// checkCrashSafe kills a Set of a new chunked secret after each of its
// writes in turn: the secret read afterwards is the old one (killed before
// the header) or the new one, and a later Set still works.
func checkCrashSafe(t *testing.T, raw keyringBackend, service string) {
	ctx := ctxT(t)
	reader := keyringOn(raw, service)
	old, next := distinctSecret(5000, "old"), distinctSecret(7000, "new")
	for n := int32(0); ; n++ {
		if n > 40 {
			t.Fatal("the Set never completed")
		}
		key := fmt.Sprintf("profile:crash%d", n)
		if err := reader.Set(ctx, key, old); err != nil {
			t.Fatal(err)
		}
		var left atomic.Int32
		left.Store(n)
		err := keyringOn(crashAfter{raw, &left}, service).Set(ctx, key, next)
		got, gerr := reader.Get(ctx, key)
		if gerr != nil {
			t.Fatalf("killed after %d writes: the secret cannot be read: %v", n, gerr)
		}
		if *got != *old && *got != *next {
			t.Fatalf("killed after %d writes: a mix of the two secrets", n)
		}
		if err != nil && !errors.Is(err, errCrashed) {
			t.Fatalf("Set: %v", err)
		}
		if err := reader.Set(ctx, key, distinctSecret(6000, "later")); err != nil {
			t.Fatalf("a Set after the crash: %v", err)
		}
		if got, err := reader.Get(ctx, key); err != nil || got.AccessToken[:5] != "later" {
			t.Fatalf("a Set after the crash: %v", err)
		}
		_ = reader.Delete(ctx, key)
		if err == nil {
			return // n writes were enough: every crash point was tried
		}
	}
}

// checkConcurrentReaders: readers that follow the header while a writer
// replaces a chunked secret, again and again, always read a whole secret.
// The writer waits, before each write, until every reader has finished a
// read begun after its previous write: a read then overlaps at most two
// writes, as many as the reader's retries cover (real writes are one per
// refresh; a writer that never pauses could starve a reader).
func checkConcurrentReaders(t *testing.T, raw keyringBackend, service string, rounds int) {
	ctx := ctxT(t)
	w := keyringOn(raw, service)
	a, b := distinctSecret(5000, "aaa"), distinctSecret(5000, "bbb")
	if err := w.Set(ctx, "profile:c", a); err != nil {
		t.Fatal(err)
	}
	const readers = 2
	var (
		done    atomic.Bool
		commits atomic.Int64
		seen    [readers]atomic.Int64 // commits done when the last whole read began
		wg      sync.WaitGroup
		reads   atomic.Int32
	)
	errs := make(chan error, readers)
	for r := 0; r < readers; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := keyringOn(raw, service)
			for !done.Load() {
				began := commits.Load()
				got, err := k.Get(ctx, "profile:c")
				if err != nil {
					errs <- err
					done.Store(true)
					return
				}
				if *got != *a && *got != *b {
					errs <- errors.New("a reader got a mix of two secrets")
					done.Store(true)
					return
				}
				reads.Add(1)
				seen[r].Store(began + 1)
			}
		}()
	}
	for i := 0; i < rounds && !done.Load(); i++ {
		for r := range seen {
			for seen[r].Load() < commits.Load()+1 && !done.Load() && ctx.Err() == nil {
				runtime.Gosched()
			}
		}
		s := a
		if i%2 == 0 {
			s = b
		}
		if err := w.Set(ctx, "profile:c", s); err != nil {
			t.Fatal(err)
		}
		commits.Add(1)
	}
	done.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent reader: %v", err)
	}
	if reads.Load() < int32(rounds) {
		t.Fatalf("the readers made only %d reads over %d writes", reads.Load(), rounds)
	}
	_ = w.Delete(ctx, "profile:c")
}

func TestKeyringSetAtomic(t *testing.T) {
	b := &memBackend{items: map[string]string{}}
	checkSetsAtomic(t, b, "svc")
	if len(b.items) != 0 {
		t.Fatalf("%d items left after Delete", len(b.items))
	}
}

func TestKeyringCrashSafe(t *testing.T) {
	checkCrashSafe(t, &memBackend{items: map[string]string{}}, "svc")
}

func TestKeyringConcurrentReaders(t *testing.T) {
	checkConcurrentReaders(t, &memBackend{items: map[string]string{}}, "svc", 100)
}

// TestKeyringReadsV1Chunks: secrets chunked by older releases (header
// "chunked:1:", chunks key#1..) are read, and the next Set replaces them
// and deletes their chunks.
func TestKeyringReadsV1Chunks(t *testing.T) {
	ctx := ctxT(t)
	b := &memBackend{items: map[string]string{}}
	k := testKeyring(b, time.Second)
	s := bigSecret(5000)
	enc := mustJSON(t, s)
	parts := splitChunks(enc)
	b.items["svc/k"] = chunkPrefixV1 + fmt.Sprint(len(parts)) + ":" + checksum(enc) + ":" + parts[0]
	for i := 1; i < len(parts); i++ {
		b.items[fmt.Sprintf("svc/k#%d", i)] = parts[i]
	}
	got, err := k.Get(ctx, "k")
	if err != nil || *got != *s {
		t.Fatalf("Get of a v1 chunked secret: %v", err)
	}
	next := bigSecret(4000)
	if err := k.Set(ctx, "k", next); err != nil {
		t.Fatal(err)
	}
	for key := range b.items {
		if strings.HasPrefix(key, "svc/k#") && strings.Count(key, "#") == 1 {
			t.Fatalf("v1 chunk %s left after the Set", key)
		}
	}
	if got, err := k.Get(ctx, "k"); err != nil || *got != *next {
		t.Fatalf("Get after replacing a v1 secret: %v", err)
	}
	if want := len(splitChunks(mustJSON(t, next))); len(b.items) != want {
		t.Fatalf("%d items, want %d", len(b.items), want)
	}
}

// The same against the real Secret Service (gnome-keyring in .ci/test).
func TestRealKeyringSetAtomic(t *testing.T) {
	_, service := realKeyring(t)
	checkSetsAtomic(t, goKeyring{}, service)
}

func TestRealKeyringCrashSafe(t *testing.T) {
	_, service := realKeyring(t)
	checkCrashSafe(t, goKeyring{}, service)
}

func TestRealKeyringConcurrentReaders(t *testing.T) {
	_, service := realKeyring(t)
	checkConcurrentReaders(t, goKeyring{}, service, 20)
}
