// Package logtest records log/slog records as text, for tests that check
// what the library logs (and that it never logs a secret).
package logtest

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
)

// Recorder is a slog.Handler that keeps every record, down to debug, with
// its attributes and groups, as slog's text format. Handlers derived with
// WithAttrs and WithGroup write to the same record. It is safe for
// concurrent use.
type Recorder struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
	n   *int
	h   slog.Handler
}

// New returns an empty Recorder.
func New() *Recorder {
	buf := &bytes.Buffer{}
	return &Recorder{mu: &sync.Mutex{}, buf: buf, n: new(int),
		h: slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})}
}

// Enabled reports true for every level.
func (r *Recorder) Enabled(context.Context, slog.Level) bool { return true }

// Handle records rec.
func (r *Recorder) Handle(ctx context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	*r.n++
	return r.h.Handle(ctx, rec)
}

// WithAttrs returns a handler that adds as to its records.
func (r *Recorder) WithAttrs(as []slog.Attr) slog.Handler {
	c := *r
	c.h = r.h.WithAttrs(as)
	return &c
}

// WithGroup returns a handler that puts its attributes in group name.
func (r *Recorder) WithGroup(name string) slog.Handler {
	c := *r
	c.h = r.h.WithGroup(name)
	return &c
}

// Text returns everything recorded so far and the number of records.
func (r *Recorder) Text() (string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String(), *r.n
}
