package profiles

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/authdeck/authdeck/internal/fsutil"
)

// credentialsVersion is the format version of credentials.json.
const credentialsVersion = 1

// FileSecrets keeps secrets in one JSON file (0600, directory 0700):
// {"version":1,"secrets":{key: Secret}}. It is the explicit fallback when no
// keyring answers, or the user's choice; its use is always reported. Every
// change is a read-modify-write under a cross-process lock, written
// atomically; a file that cannot be parsed is never overwritten.
//
// A file that other users may read or write (mode looser than 0600, from a
// copy or a restored backup) is still used, since refusing would lock the
// user out of their logins: it is reported instead (SaveInfo.Note, a note
// on the Status rows, a warning in the log on every read), and the next
// write replaces it with a 0600 file.
type FileSecrets struct {
	path string
	lock string
	log  *slog.Logger
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
	doc, _, err := f.readMode()
	return doc, err
}

// readMode parses the file and returns its permission bits when they let
// other users in (0 otherwise, and always on Windows, whose permissions
// are not mode bits).
func (f *FileSecrets) readMode() (*credentialsDoc, fs.FileMode, error) {
	fh, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return &credentialsDoc{Version: credentialsVersion, Secrets: map[string]Secret{}}, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("reading credentials: %w", err)
	}
	defer func() { _ = fh.Close() }()
	var loose fs.FileMode
	if fi, err := fh.Stat(); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		loose = fi.Mode().Perm()
		if f.log != nil {
			f.log.Warn("the credentials file is readable by other users; it is set to 0600 on the next write", "path", f.path, "mode", fmt.Sprintf("%04o", loose))
		}
	}
	data, err := io.ReadAll(fh)
	if err != nil {
		return nil, 0, fmt.Errorf("reading credentials: %w", err)
	}
	doc, err := f.parse(data)
	return doc, loose, err
}

// looseMode is the permission bits of the file when other users may read
// or write it, else 0.
func (f *FileSecrets) looseMode() fs.FileMode {
	fi, err := os.Stat(f.path)
	if err != nil || runtime.GOOS == "windows" || fi.Mode().Perm()&0o077 == 0 {
		return 0
	}
	return fi.Mode().Perm()
}

// looseNote is the warning for a file with mode loose.
func looseNote(path string, loose fs.FileMode) string {
	return fmt.Sprintf("%s is readable by other users (mode %04o); run `chmod 600 %s`, or it is set to 0600 on the next login or refresh", path, loose, path)
}

func (f *FileSecrets) parse(data []byte) (*credentialsDoc, error) {
	doc := &credentialsDoc{}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(doc); err != nil {
		return nil, &ParseError{Path: f.path, Line: jsonErrLine(data, err), Err: fmt.Errorf("not valid credentials JSON: %w", err)}
	}
	// One JSON value and nothing else: junk after it (a second document
	// from a bad merge, a truncated edit) would be dropped by the next
	// write, and what it held lost.
	if rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		at := len(data) - len(rest)
		// the text itself is not quoted: it may hold tokens
		return nil, &ParseError{Path: f.path, Line: bytes.Count(data[:at], []byte("\n")) + 1, Err: errors.New("unexpected text after the end of the JSON document (a second document, or a bad edit?)")}
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

// Set stores s under key. It refuses (UnsafePermissionsError) when the
// directory or the file lets other users change them (writable by group
// or others, or owned by another user): whoever can swap the file can
// read what is stored next, or plant tokens of their own.
func (f *FileSecrets) Set(ctx context.Context, key string, s *Secret) error {
	if err := f.checkSafe(); err != nil {
		return err
	}
	return f.update(ctx, func(doc *credentialsDoc) bool {
		doc.Secrets[key] = *s
		return true
	})
}

// Delete removes key; a missing key (or file) is not an error. Unlike
// Set it does not refuse an unsafe file: removing a secret from it leaves
// less there, not more.
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
	unlock, err := fsutil.Lock(ctx, f.lock, configLockTimeout)
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
	return fsutil.WriteFileAtomic(f.path, append(data, '\n'), filePerm)
}

// UnsafePermissionsError: the config directory or the credentials file
// lets other users change it, so no secret is stored there (gpg's rule
// for its home directory).
type UnsafePermissionsError struct {
	// Path is the directory or file.
	Path string
	// Problem says what is wrong: "writable by group or others (mode
	// 0777)" or "owned by uid N, not by you (uid M)".
	Problem string
	// Dir is whether Path is the directory.
	Dir bool
}

// Error names the path, the problem and the fix.
func (e *UnsafePermissionsError) Error() string {
	return fmt.Sprintf("refusing to store secrets: %s is %s; %s and try again", e.Path, e.Problem, e.fix())
}

// note is the warning status shows for e.
func (e *UnsafePermissionsError) note() string {
	return fmt.Sprintf("%s is %s, so no new secret is stored there; %s", e.Path, e.Problem, e.fix())
}

func (e *UnsafePermissionsError) fix() string {
	if !strings.HasPrefix(e.Problem, "writable") {
		return "chown it to yourself, or set another config directory"
	}
	mode := "600"
	if e.Dir {
		mode = "700"
	}
	return fmt.Sprintf("run `chmod %s %s`", mode, e.Path)
}

// checkSafe returns an UnsafePermissionsError when the directory or the
// file (if it exists) is unsafe; nil on Windows.
func (f *FileSecrets) checkSafe() error {
	dir := filepath.Dir(f.path)
	for _, p := range []string{dir, f.path} {
		fi, err := os.Lstat(p)
		if err != nil {
			continue // missing: created safely by the write
		}
		if prob := unsafeProblem(fi, false); prob != "" {
			return &UnsafePermissionsError{Path: p, Problem: prob, Dir: p == dir}
		}
	}
	return nil
}
