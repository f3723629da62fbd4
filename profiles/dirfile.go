package profiles

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/authdeck/authdeck/internal/fsutil"
)

// A directory file (App.DirFile, ".authdeck") comes from whoever wrote the
// directory: often a cloned repository. Choosing the profile whose token
// `exec` and `api` then send is a credential decision, so, as direnv does
// with .envrc, a directory file takes effect only once the user has
// trusted it (`profiles trust`): its path and the SHA-256 of its content
// are recorded in trustFile. A file not trusted, changed since, a symbolic
// link, writable by group or others, or owned by another user (not root)
// is ignored with a one-line warning, and the active profile applies.

// trustFile, in the config directory, records the trusted directory
// files. It is a file of its own so that a rewrite of config.toml by an
// older release cannot drop it.
const trustFile = "trusted-dirfiles.json"

// trustVersion is the format version of trustFile.
const trustVersion = 1

// trustDoc is trustFile: {"version":1,"files":{path: sha256 hex}}.
type trustDoc struct {
	Version int               `json:"version"`
	Files   map[string]string `json:"files"`
}

// TrustedFile is a directory file just trusted.
type TrustedFile struct {
	// Path is the file's absolute path.
	Path string
	// Profile is the profile it names (cleaned, length-capped).
	Profile string
	// Known is whether that profile exists now.
	Known bool
}

// findDirFile returns the nearest entry called name in dir or a parent
// that is not a directory ("" when there is none). A symbolic link or
// other non-regular file is returned too: it is the nearest one, and is
// then ignored with a warning rather than skipped.
//
// The walk does not stop at a repository root (it knows nothing of git):
// in a checkout without the file, one in a directory above the checkout
// applies, for example ~/.authdeck for every checkout under the home
// directory. That is on purpose, so a file can set a default for a whole
// tree of checkouts; a checkout that wants its own profile puts the file
// at its root, which is nearer.
func findDirFile(dir, name string) string {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, name)
		if fi, err := os.Lstat(p); err == nil && !fi.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// readDirFile reads a directory file without following a symbolic link.
// problem says why it must not be used ("" when it may): not a regular
// file, other users may change it, or too big. err is an I/O error.
func readDirFile(path string) (data []byte, problem string, err error) {
	f, err := fsutil.OpenNoFollow(path)
	if err != nil {
		if fsutil.IsSymlinkErr(err) {
			return nil, "it is a symbolic link, which is not followed", nil
		}
		return nil, "", fmt.Errorf("cannot read %s: %w", path, errors.Unwrap(err))
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return nil, "", fmt.Errorf("cannot read %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, "it is not a regular file", nil
	}
	if p := unsafeProblem(fi, true); p != "" {
		if strings.HasPrefix(p, "writable") {
			return nil, fmt.Sprintf("it is %s, run `chmod go-w %s` if you wrote it", p, path), nil
		}
		return nil, "it is " + p + " or root", nil
	}
	data, err = io.ReadAll(io.LimitReader(f, maxDirFile+1))
	if err != nil {
		return nil, "", fmt.Errorf("cannot read %s: %w", path, err)
	}
	if len(data) > maxDirFile {
		return nil, fmt.Sprintf("it is larger than %d KiB", maxDirFile>>10), nil
	}
	return data, "", nil
}

// parseDirFile reads a profile name from a directory file's content:
// either the name alone (comment lines starting with # are skipped) or
// TOML with a `profile = "name"` key. Errors never quote the content; the
// name is cleaned and capped in length (sanitizeName).
func parseDirFile(path string, data []byte) (string, error) {
	const hint = `write the profile name alone, or profile = "NAME"`
	var name string
	if bytes.Contains(data, []byte("=")) {
		var doc struct {
			Profile string `toml:"profile"`
		}
		if _, err := toml.Decode(string(data), &doc); err != nil {
			// The parser's message may quote the file: keep the line only.
			return "", &ParseError{Path: path, Line: tomlError(path, data, err, "").Line, Err: errors.New("not valid TOML; " + hint)}
		}
		name = doc.Profile
	} else {
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if line != "" && !strings.HasPrefix(line, "#") {
				name = line
				break
			}
		}
	}
	name = sanitizeName(name)
	if name == "" {
		return "", fmt.Errorf("%s names no profile; %s", path, hint)
	}
	return name, nil
}

// dirFile looks for the directory file from cwd. With a trusted one it
// returns its path and the profile it names; with none, all empty; with
// one that is ignored, its path and a one-line warning saying why and
// what to do. err is a trusted file that cannot be parsed.
func (m *Manager) dirFile(cwd string) (path, name, warning string, err error) {
	path = findDirFile(cwd, m.app.DirFile)
	if path == "" {
		return "", "", "", nil
	}
	ignore := func(why, fix string) (string, string, string, error) {
		w := fmt.Sprintf("ignoring %s (%s); the active profile applies", path, why)
		if fix != "" {
			w += "; " + fix
		}
		return path, "", w, nil
	}
	data, problem, err := readDirFile(path)
	if err != nil {
		return ignore(errors.Unwrap(err).Error(), "")
	}
	if problem != "" {
		return ignore(problem, "")
	}
	trusted, err := m.readTrust()
	if err != nil {
		return ignore(err.Error(), "")
	}
	trust := m.cmdq("profiles trust", filepath.Dir(path))
	switch sum, ok := trusted.Files[trustKey(path)]; {
	case !ok:
		return ignore("not trusted", suggest("if you trust who wrote it, check it and run ", trust))
	case sum != hashHex(data):
		return ignore("changed since you trusted it", suggest("check it, then run ", trust))
	}
	name, err = parseDirFile(path, data)
	return path, name, "", err
}

// trustKey is the key of path in trustFile: absolute, with its directory's
// symbolic links resolved, so that the same file reached through a linked
// directory is the same entry.
func trustKey(path string) string {
	dir := filepath.Dir(path)
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		dir = r
	}
	return filepath.Join(dir, filepath.Base(path))
}

func hashHex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func (m *Manager) trustPath() string { return filepath.Join(m.app.ConfigDir, trustFile) }

// readTrust reads trustFile; a missing file trusts nothing. A file other
// users could have written is an error, as is one that cannot be parsed
// (it is then never overwritten).
func (m *Manager) readTrust() (*trustDoc, error) {
	doc := &trustDoc{Version: trustVersion, Files: map[string]string{}}
	path := m.trustPath()
	f, err := fsutil.OpenNoFollow(path)
	if errors.Is(err, fs.ErrNotExist) {
		return doc, nil
	}
	if err != nil {
		if fsutil.IsSymlinkErr(err) {
			return nil, fmt.Errorf("%s is a symbolic link, which is not followed; remove it", path)
		}
		return nil, fmt.Errorf("reading %s: %w", path, errors.Unwrap(err))
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if p := unsafeProblem(fi, false); p != "" {
		return nil, fmt.Errorf("%s is %s, so what it trusts is not believed; fix it or remove it", path, p)
	}
	data, err := io.ReadAll(io.LimitReader(f, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if err := json.Unmarshal(data, doc); err != nil {
		return nil, &ParseError{Path: path, Line: jsonErrLine(data, err), Err: errors.New("not valid JSON")}
	}
	if doc.Version > trustVersion {
		return nil, &ParseError{Path: path, Err: fmt.Errorf("version %d was written by a newer release; upgrade", doc.Version)}
	}
	if doc.Files == nil {
		doc.Files = map[string]string{}
	}
	return doc, nil
}

// updateTrust changes trustFile under the config lock, written atomically.
func (m *Manager) updateTrust(ctx context.Context, fn func(*trustDoc)) error {
	unlock, err := fsutil.Lock(ctx, m.configLockPath(), configLockTimeout)
	if err != nil {
		return err
	}
	defer unlock()
	doc, err := m.readTrust()
	if err != nil {
		return err
	}
	fn(doc)
	doc.Version = trustVersion
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(m.trustPath(), append(data, '\n'), filePerm)
}

// dirFileAt is the directory file target names: target itself when it is
// not a directory, else the nearest one from it.
func (m *Manager) dirFileAt(target string) (string, error) {
	if m.app.DirFile == "" {
		return "", errors.New("this program reads no per-directory file")
	}
	abs, err := filepath.Abs(target)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		p := findDirFile(abs, m.app.DirFile)
		if p == "" {
			return "", fmt.Errorf("no %s file in %s or a directory above it", m.app.DirFile, abs)
		}
		return p, nil
	}
	if filepath.Base(abs) != m.app.DirFile {
		return "", fmt.Errorf("%s is not a %s file", abs, m.app.DirFile)
	}
	return abs, nil
}

// TrustDirFile lets the directory file target (a file, or a directory to
// look from, as commands do) choose the profile, as long as its content
// stays what it is now. A file that is a symbolic link, that other users
// may change, or that names no profile is refused. Trusting a file that
// names a profile that does not exist yet is allowed (Known says so).
func (m *Manager) TrustDirFile(ctx context.Context, target string) (TrustedFile, error) {
	path, err := m.dirFileAt(target)
	if err != nil {
		return TrustedFile{}, err
	}
	data, problem, err := readDirFile(path)
	if err != nil {
		return TrustedFile{}, err
	}
	if problem != "" {
		return TrustedFile{}, fmt.Errorf("not trusting %s: %s", path, problem)
	}
	name, err := parseDirFile(path, data)
	if err != nil {
		return TrustedFile{}, err
	}
	cfg, err := m.Load(ctx)
	if err != nil {
		return TrustedFile{}, err
	}
	if err := m.updateTrust(ctx, func(d *trustDoc) { d.Files[trustKey(path)] = hashHex(data) }); err != nil {
		return TrustedFile{}, err
	}
	return TrustedFile{Path: path, Profile: name, Known: cfg.profile(name) >= 0}, nil
}

// UntrustDirFile forgets the trust in the directory file target (a file,
// or a directory to look from). removed is false when it was not trusted.
func (m *Manager) UntrustDirFile(ctx context.Context, target string) (path string, removed bool, err error) {
	path, err = m.dirFileAt(target)
	if err != nil {
		return "", false, err
	}
	key := trustKey(path)
	err = m.updateTrust(ctx, func(d *trustDoc) {
		_, removed = d.Files[key]
		delete(d.Files, key)
	})
	return path, removed, err
}
