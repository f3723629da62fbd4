// Package secretfile hands tokens to other tools through files, and takes
// them from files: Write merges a token into a JSON secret file under a key
// (the way CloudVolume keeps ~/.cloudvolume/secrets/cave-secret.json), and
// Read takes a token from a plain, JSON or TOML file.
//
// Writes keep every other key of the file, are atomic (a temporary file in
// the same directory, synced, then renamed over the old one), leave the file
// 0600 in a 0700 directory when the directory is new, and run under a
// cross-process lock. A file that cannot be parsed is never overwritten.
// Errors never contain a token.
package secretfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/BurntSushi/toml"
	"github.com/authdeck/authdeck/internal/fsutil"
)

// DefaultKey is the key a token is written under (and read from) when none
// is given; CloudVolume's secret files use it.
const DefaultKey = "token"

// MaxSize caps the size of a secret file that is read or merged into.
const MaxSize = 1 << 20

// utf8BOM starts files saved by some Windows editors.
const utf8BOM = "\xef\xbb\xbf"

// lockTimeout bounds the wait for another writer of the same file.
const lockTimeout = 10 * time.Second

// Format is the syntax of a secret file.
type Format string

// The formats Read understands.
const (
	FormatPlain Format = "plain" // the whole file is the token
	FormatJSON  Format = "json"  // a JSON object; the token is under a key
	FormatTOML  Format = "toml"  // a TOML document; the token is under a key
)

// ParseError is a secret file that cannot be understood. When returned by
// Write, the file was not changed.
type ParseError struct {
	Path string
	Line int // 1-based; 0 when unknown
	// Msg says what is wrong; it never quotes the file's content.
	Msg string
	// Unchanged is set by Write: the file was left as it was.
	Unchanged bool
}

func (e *ParseError) Error() string {
	loc := e.Path
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.Path, e.Line)
	}
	if e.Unchanged {
		return fmt.Sprintf("%s: %s (the file was not changed; fix it, or save to another file)", loc, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// Write stores token under key (DefaultKey when empty) in the JSON object in
// path, keeping the file's other keys. A missing file (and directory) is
// created. The file ends up 0600 (on Unix). A symbolic link is followed and
// its target replaced. Keys are written sorted, indented by two spaces.
func Write(ctx context.Context, path, key, token string) error {
	if key == "" {
		key = DefaultKey
	}
	if err := checkKey(key); err != nil {
		return err
	}
	if err := checkToken(token); err != nil {
		return err
	}
	if path == "" {
		return errors.New("no secret file given")
	}
	target, err := resolve(path)
	if err != nil {
		return err
	}
	unlock, err := lock(ctx, target)
	if err != nil {
		return err
	}
	defer unlock()

	doc, err := readObject(target)
	if err != nil {
		return err
	}
	if old, ok := doc[key]; ok {
		var s string
		if json.Unmarshal(old, &s) != nil {
			return &ParseError{Path: target, Msg: fmt.Sprintf("key %q holds %s, not a string; refusing to replace it (choose another --key)", key, jsonKind(old)), Unchanged: true}
		}
	}
	val, err := json.Marshal(token)
	if err != nil {
		return fmt.Errorf("encoding the token: %w", err)
	}
	doc[key] = val
	data, err := encodeObject(doc)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", target, err)
	}
	return fsutil.WriteFileAtomic(target, data, 0o600)
}

// resolve follows symbolic links to the file that will really be written,
// so that a link (a dotfile manager's, say) stays a link.
func resolve(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	fi, err := os.Lstat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return abs, nil
	}
	if err != nil {
		return "", err
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		if !fi.Mode().IsRegular() {
			return "", fmt.Errorf("%s is not a regular file", abs)
		}
		return abs, nil
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("%s is a symbolic link that cannot be followed: %w", abs, err)
	}
	if fi, err := os.Stat(real); err == nil && !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", real)
	}
	return real, nil
}

// lock takes the cross-process lock of target: a hidden ".NAME.lock" file
// beside it (the target itself is replaced by rename, so it cannot carry the
// lock).
func lock(ctx context.Context, target string) (func(), error) {
	lp := filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+".lock")
	return fsutil.Lock(ctx, lp, lockTimeout)
}

// readObject reads the JSON object in path; a missing or empty file is an
// empty object.
func readObject(path string) (map[string]json.RawMessage, error) {
	data, err := readCapped(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]json.RawMessage{}, nil
	}
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte(utf8BOM))
	if len(bytes.TrimSpace(data)) == 0 {
		return map[string]json.RawMessage{}, nil
	}
	doc := map[string]json.RawMessage{}
	if err := json.Unmarshal(data, &doc); err != nil {
		pe := jsonError(path, data, err)
		pe.Unchanged = true
		return nil, pe
	}
	return doc, nil
}

// encodeObject writes doc with sorted keys and two-space indentation,
// without escaping HTML characters in the values kept from the old file.
func encodeObject(doc map[string]json.RawMessage) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Read returns the token in path: under key (DefaultKey when empty) in a
// JSON or TOML file, or the whole content of a plain file. The format comes
// from the extension (.json, .toml), else from the content. A key may be a
// dotted path into nested tables ("cave.token") when no key has that exact
// name.
func Read(path, key string) (string, Format, error) {
	data, err := readCapped(path)
	if err != nil {
		return "", "", err
	}
	return Parse(path, data, key)
}

// ReadToken returns the token in path the way Read does with DefaultKey,
// for a file given without a way to choose the key (--token-file): its
// errors do not suggest --key. Errors reading the file are not
// *ParseError.
func ReadToken(path string) (string, error) {
	data, err := readCapped(path)
	if err != nil {
		return "", err
	}
	tok, _, err := parse(path, data, "", "")
	return tok, err
}

// Parse is Read on data already read; name is used for the format (by its
// extension) and in errors ("-" or "stdin" for standard input).
func Parse(name string, data []byte, key string) (string, Format, error) {
	return parse(name, data, key, "--key")
}

// parse is Parse; keyFlag names the option that chooses the key, for the
// errors to suggest ("" when there is none).
func parse(name string, data []byte, key, keyFlag string) (string, Format, error) {
	keyGiven := key != ""
	if key == "" {
		key = DefaultKey
	}
	if err := checkKey(key); err != nil {
		return "", "", err
	}
	data = bytes.TrimPrefix(data, []byte(utf8BOM))
	format := detect(name, data)
	var tok string
	switch format {
	case FormatJSON:
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			return "", format, jsonError(name, data, err)
		}
		obj, ok := doc.(map[string]any)
		if !ok {
			return "", format, &ParseError{Path: name, Msg: fmt.Sprintf("the JSON is %s, not an object with a %q key", jsonKindOf(doc), key)}
		}
		v, err := lookup(name, obj, key, keyFlag)
		if err != nil {
			return "", format, err
		}
		tok = v
	case FormatTOML:
		obj := map[string]any{}
		if _, err := toml.Decode(string(data), &obj); err != nil {
			pe := &ParseError{Path: name, Msg: "not valid TOML"}
			var te toml.ParseError
			if errors.As(err, &te) {
				pe.Line = te.Position.Line
				pe.Msg = "not valid TOML: " + te.Message
			}
			return "", format, pe
		}
		v, err := lookup(name, obj, key, keyFlag)
		if err != nil {
			return "", format, err
		}
		tok = v
	default:
		if keyGiven {
			return "", format, &ParseError{Path: name, Msg: fmt.Sprintf("--key %s was given, but the file is neither JSON nor TOML", key)}
		}
		text := strings.TrimSpace(string(data))
		if text == "" {
			return "", format, &ParseError{Path: name, Msg: "the file is empty; expected a token"}
		}
		if n := strings.Count(text, "\n") + 1; n > 1 {
			hint := fmt.Sprintf(" (use %s for the last two)", keyFlag)
			if keyFlag == "" {
				hint = fmt.Sprintf(" with a %q key", key)
			}
			return "", format, &ParseError{Path: name, Msg: fmt.Sprintf("the file has %d lines; expected a single token, a JSON object or a TOML document%s", n, hint)}
		}
		tok = text
	}
	tok = strings.TrimSpace(tok)
	if err := checkToken(tok); err != nil {
		return "", format, &ParseError{Path: name, Msg: err.Error()}
	}
	return tok, format, nil
}

// detect picks the format from the file name's extension, else the content.
func detect(name string, data []byte) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return FormatJSON
	case ".toml":
		return FormatTOML
	}
	text := bytes.TrimSpace(data)
	if bytes.HasPrefix(text, []byte("{")) {
		return FormatJSON
	}
	if !bytes.ContainsAny(text, " \t\r\n\"'") {
		return FormatPlain // one word: a token, even with base64 "=" padding
	}
	for _, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") || (strings.Contains(line, "=") && !strings.HasPrefix(line, "#") && looksLikeTOMLKey(line[:strings.Index(line, "=")])) {
			return FormatTOML
		}
	}
	return FormatPlain
}

// looksLikeTOMLKey reports whether s (the part before "=") is a TOML key:
// quoted, or made of letters, digits, "_", "-" and dots.
func looksLikeTOMLKey(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	if s[0] == '"' || s[0] == '\'' {
		return true
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == '.' || r == ' ') {
			return false
		}
	}
	return true
}

// lookup finds key in obj: an exact key first, then a dotted path. It says
// which keys there are (never their values) when the key is missing, and
// suggests keyFlag when there is one.
func lookup(name string, obj map[string]any, key, keyFlag string) (string, error) {
	v, ok := obj[key]
	if !ok && strings.Contains(key, ".") {
		var cur any = obj
		ok = true
		for _, part := range strings.Split(key, ".") {
			m, isMap := cur.(map[string]any)
			if !isMap {
				ok = false
				break
			}
			if cur, isMap = m[part]; !isMap {
				ok = false
				break
			}
		}
		v = cur
	}
	if !ok {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		have := "it has no keys"
		if len(keys) > 0 {
			have = "it has " + strings.Join(quoteAll(keys), ", ")
		}
		msg := fmt.Sprintf("no %q key (%s)", key, have)
		if keyFlag != "" {
			msg += "; choose one with " + keyFlag
		}
		return "", &ParseError{Path: name, Msg: msg}
	}
	s, isString := v.(string)
	if !isString {
		return "", &ParseError{Path: name, Msg: fmt.Sprintf("key %q holds %s, not a string", key, jsonKindOf(v))}
	}
	return s, nil
}

// readCapped reads a regular file of at most MaxSize bytes.
func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%s is larger than %d bytes; it is not a secret file", path, MaxSize)
	}
	return data, nil
}

// jsonError describes a JSON decoding error by line, without quoting the
// content (which may hold secrets).
func jsonError(name string, data []byte, err error) *ParseError {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &ParseError{Path: name, Line: lineAt(data, se.Offset), Msg: "not valid JSON"}
	case errors.As(err, &te):
		return &ParseError{Path: name, Line: lineAt(data, te.Offset), Msg: fmt.Sprintf("the JSON is %s, not an object", te.Value)}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &ParseError{Path: name, Msg: "not valid JSON (it ends too early)"}
	}
	return &ParseError{Path: name, Msg: "not valid JSON"}
}

// lineAt is the 1-based line of byte offset off.
func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// jsonKind names the kind of a raw JSON value.
func jsonKind(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return "an invalid value"
	}
	return jsonKindOf(v)
}

// jsonKindOf names the kind of a decoded JSON or TOML value.
func jsonKindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64, int64, json.Number:
		return "a number"
	case string:
		return "a string"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "a non-string value"
}

// checkKey rejects keys that could not have been meant.
func checkKey(key string) error {
	if strings.TrimSpace(key) == "" {
		return errors.New("the key is empty")
	}
	for _, r := range key {
		if unicode.IsControl(r) {
			return errors.New("the key contains control characters")
		}
	}
	return nil
}

// checkToken rejects values that cannot be a token: empty, or with spaces or
// control characters (most often a paste error). It never quotes the value.
func checkToken(tok string) error {
	if tok == "" {
		return errors.New("the token is empty")
	}
	for _, r := range tok {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return errors.New("the token contains spaces or control characters; a token is a single word")
		}
	}
	return nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
