package profiles

import (
	"context"
	"sync"
)

// MemSecrets is an in-memory SecretStore for tests (of this package and of
// packages that embed it). It is safe for concurrent use.
type MemSecrets struct {
	mu sync.Mutex
	m  map[string]Secret
	// sets and gets count calls, for tests that assert on traffic.
	sets, gets int
}

// NewMemSecrets returns an empty in-memory store.
func NewMemSecrets() *MemSecrets { return &MemSecrets{m: map[string]Secret{}} }

// Get returns a copy of the secret under key, or ErrNotFound.
func (s *MemSecrets) Get(ctx context.Context, key string) (*Secret, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets++
	v, ok := s.m[key]
	if !ok {
		return nil, ErrNotFound
	}
	return &v, nil
}

// Set stores a copy of sec under key.
func (s *MemSecrets) Set(ctx context.Context, key string, sec *Secret) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sets++
	s.m[key] = *sec
	return nil
}

// Delete removes key; a missing key is not an error.
func (s *MemSecrets) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

// Keys returns the keys held, in no particular order.
func (s *MemSecrets) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	return keys
}

// Calls returns how many Get and Set calls the store has answered.
func (s *MemSecrets) Calls() (gets, sets int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets, s.sets
}
