package profiles

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// credentialsVersion is the format version of credentials.json.
const credentialsVersion = 1

// FileSecrets keeps secrets in one JSON file (0600, directory 0700):
// {"version":1,"secrets":{key: Secret}}. It is the explicit fallback when no
// keyring answers, or the user's choice; its use is always reported. Every
// change is a read-modify-write under a cross-process lock, written
// atomically; a file that cannot be parsed is never overwritten.
type FileSecrets struct {
	path string
	lock string
}

// NewFileSecrets returns the store for dir/credentials.json.
func NewFileSecrets(dir string) *FileSecrets {
	return &FileSecrets{
		path: filepath.Join(dir, credentialsFile),
		lock: filepath.Join(dir, locksDir, "credentials.lock"),
	}
}

// Path is the credentials file.
func (f *FileSecrets) Path() string { return f.path }

type credentialsDoc struct {
	Version int               `json:"version"`
	Secrets map[string]Secret `json:"secrets"`
}

// read parses the file; a missing file is an empty document.
func (f *FileSecrets) read() (*credentialsDoc, error) {
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return &credentialsDoc{Version: credentialsVersion, Secrets: map[string]Secret{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading credentials: %w", err)
	}
	doc := &credentialsDoc{}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(doc); err != nil {
		return nil, &ParseError{Path: f.path, Line: jsonErrLine(data, err), Err: fmt.Errorf("not valid credentials JSON: %w", err)}
	}
	if doc.Version > credentialsVersion {
		return nil, &ParseError{Path: f.path, Err: fmt.Errorf("version %d was written by a newer release; upgrade", doc.Version)}
	}
	if doc.Secrets == nil {
		doc.Secrets = map[string]Secret{}
	}
	return doc, nil
}

// jsonErrLine is the line of a JSON syntax error, or 0.
func jsonErrLine(data []byte, err error) int {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var off int64
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	default:
		return 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// Get returns the secret under key, or ErrNotFound. It takes no lock:
// writes replace the file atomically, so a reader sees a whole version.
func (f *FileSecrets) Get(ctx context.Context, key string) (*Secret, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	doc, err := f.read()
	if err != nil {
		return nil, err
	}
	s, ok := doc.Secrets[key]
	if !ok {
		return nil, ErrNotFound
	}
	return &s, nil
}

// Set stores s under key.
func (f *FileSecrets) Set(ctx context.Context, key string, s *Secret) error {
	return f.update(ctx, func(doc *credentialsDoc) bool {
		doc.Secrets[key] = *s
		return true
	})
}

// Delete removes key; a missing key (or file) is not an error.
func (f *FileSecrets) Delete(ctx context.Context, key string) error {
	return f.update(ctx, func(doc *credentialsDoc) bool {
		if _, ok := doc.Secrets[key]; !ok {
			return false
		}
		delete(doc.Secrets, key)
		return true
	})
}

func (f *FileSecrets) update(ctx context.Context, fn func(*credentialsDoc) bool) error {
	unlock, err := lockFile(ctx, f.lock, configLockTimeout)
	if err != nil {
		return err
	}
	defer unlock()
	doc, err := f.read()
	if err != nil {
		return err
	}
	if !fn(doc) {
		return nil
	}
	doc.Version = credentialsVersion
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(f.path, append(data, '\n'))
}
