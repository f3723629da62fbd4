package secretfile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s is not JSON: %v\n%s", path, err, data)
	}
	return m
}

func perm(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestWriteCloudVolumeLayout creates ~/.cloudvolume/secrets/cave-secret.json
// from nothing, as CloudVolume expects it.
func TestWriteCloudVolumeLayout(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, ".cloudvolume", "secrets", "cave-secret.json")
	if err := Write(context.Background(), path, "", "tok-123"); err != nil {
		t.Fatal(err)
	}
	got := readJSON(t, path)
	if len(got) != 1 || got["token"] != "tok-123" {
		t.Fatalf("file = %v", got)
	}
	if runtime.GOOS != "windows" {
		if p := perm(t, path); p != 0o600 {
			t.Errorf("file mode %o, want 600", p)
		}
		for _, d := range []string{filepath.Dir(path), filepath.Dir(filepath.Dir(path))} {
			if p := perm(t, d); p != 0o700 {
				t.Errorf("dir %s mode %o, want 700", d, p)
			}
		}
	}
	// Nothing else is left beside it but the lock file.
	ents, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range ents {
		if e.Name() != "cave-secret.json" && e.Name() != ".cave-secret.json.lock" {
			t.Errorf("stray file %s", e.Name())
		}
	}
}

func TestWriteMergesOtherKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.json")
	orig := `{
  "token": "old",
  "other": "keep <me> & this",
  "nested": {"a": [1, 2, {"b": null}]},
  "n": 12345678901234567890
}`
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(context.Background(), path, "token", "new-token"); err != nil {
		t.Fatal(err)
	}
	if err := Write(context.Background(), path, "cave", "second"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	got := readJSON(t, path)
	if got["token"] != "new-token" || got["cave"] != "second" || got["other"] != "keep <me> & this" {
		t.Errorf("file = %s", data)
	}
	if !strings.Contains(string(data), "12345678901234567890") {
		t.Errorf("a big number lost precision:\n%s", data)
	}
	if !strings.Contains(string(data), "<me> & this") {
		t.Errorf("HTML characters were escaped:\n%s", data)
	}
	nested, _ := json.Marshal(got["nested"])
	if string(nested) != `{"a":[1,2,{"b":null}]}` {
		t.Errorf("nested = %s", nested)
	}
	if runtime.GOOS != "windows" {
		if p := perm(t, path); p != 0o600 {
			t.Errorf("mode %o after merge, want 600 (tightened)", p)
		}
	}
}

func TestWriteRefusesUnparseableFile(t *testing.T) {
	for name, content := range map[string]string{
		"broken":     "{\n  \"token\": \"abc\",\n  oops\n}",
		"array":      `["token"]`,
		"plain":      "just-a-token\n",
		"trailing":   `{"a":"b"} {"c":"d"}`,
		"truncated":  `{"token": "ab`,
		"non-string": `{"token": {"nested": "value"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			err := Write(context.Background(), path, "token", "new-secret-value")
			var pe *ParseError
			if !errors.As(err, &pe) || !pe.Unchanged {
				t.Fatalf("err = %v, want an Unchanged *ParseError", err)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not changed") {
				t.Errorf("error %q names neither the file nor that it was kept", err)
			}
			if strings.Contains(err.Error(), "abc") || strings.Contains(err.Error(), "new-secret-value") {
				t.Errorf("error leaks content: %q", err)
			}
			after, _ := os.ReadFile(path)
			if string(after) != content {
				t.Errorf("file changed to %q", after)
			}
			ents, _ := os.ReadDir(filepath.Dir(path))
			for _, e := range ents {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("temporary file left: %s", e.Name())
				}
			}
		})
	}
	t.Run("line number", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s.json")
		os.WriteFile(path, []byte("{\n  \"a\": \"b\",\n  oops\n}"), 0o600)
		err := Write(context.Background(), path, "", "x")
		if err == nil || !strings.Contains(err.Error(), path+":3:") {
			t.Errorf("err = %v, want line 3", err)
		}
	})
}

func TestWriteEmptyFileIsEmptyObject(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	os.WriteFile(path, []byte("  \n"), 0o600)
	if err := Write(context.Background(), path, "", "abc"); err != nil {
		t.Fatal(err)
	}
	if got := readJSON(t, path); got["token"] != "abc" {
		t.Errorf("got %v", got)
	}
}

func TestWriteFollowsSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	dir := t.TempDir()
	real := filepath.Join(dir, "dotfiles", "secret.json")
	os.MkdirAll(filepath.Dir(real), 0o700)
	os.WriteFile(real, []byte(`{"keep":"me"}`), 0o600)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := Write(context.Background(), link, "", "abc"); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the symlink was replaced by a file")
	}
	if got := readJSON(t, real); got["token"] != "abc" || got["keep"] != "me" {
		t.Errorf("target = %v", got)
	}
}

func TestWriteRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for _, tc := range []struct{ path, key, tok, want string }{
		{filepath.Join(dir, "a.json"), "", "", "token is empty"},
		{filepath.Join(dir, "a.json"), "", "two words", "single word"},
		{filepath.Join(dir, "a.json"), "", "line\n", "control"},
		{filepath.Join(dir, "a.json"), "bad\x1bkey", "t", "control"},
		{dir, "", "t", "not a regular file"},
		{"", "", "t", "no secret file"},
	} {
		err := Write(ctx, tc.path, tc.key, tc.tok)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Write(%q,%q): err = %v, want %q", tc.path, tc.key, err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "a.json")); err == nil {
		t.Error("a file was created for bad input")
	}
}

// TestWriteConcurrent: concurrent writers of different keys all land (the
// lock serialises the read-modify-write).
func TestWriteConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- Write(context.Background(), path, fmt.Sprintf("k%02d", i), fmt.Sprintf("v%d", i))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := readJSON(t, path)
	if len(got) != 20 {
		t.Errorf("%d keys survived, want 20: %v", len(got), got)
	}
}

func TestReadFormats(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, key string
		want               string
		format             Format
	}{
		{"tok.txt", "  abc.def-ghi  \n", "", "abc.def-ghi", FormatPlain},
		{"tok", "YWJjZA==\n", "", "YWJjZA==", FormatPlain},
		{"s.json", `{"token":"j1","other":"x"}`, "", "j1", FormatJSON},
		{"s.json", `{"token":"j1","cave":" j2 "}`, "cave", "j2", FormatJSON},
		{"noext", "\xef\xbb\xbf" + `{"token":"j3"}`, "", "j3", FormatJSON},
		{"s.json", `{"auth":{"token":"nested"}}`, "auth.token", "nested", FormatJSON},
		{"s.json", `{"auth.token":"flat","auth":{"token":"nested"}}`, "auth.token", "flat", FormatJSON},
		{"c.toml", "token = \"t1\"\n", "", "t1", FormatTOML},
		{"c.toml", "[server]\napi_token = 't2'\n", "server.api_token", "t2", FormatTOML},
		{"noext", "# comment\ntoken = \"t3\"\n", "", "t3", FormatTOML},
	}
	for i, tt := range tests {
		path := filepath.Join(dir, fmt.Sprint(i), tt.name)
		os.MkdirAll(filepath.Dir(path), 0o700)
		os.WriteFile(path, []byte(tt.content), 0o600)
		got, f, err := Read(path, tt.key)
		if err != nil || got != tt.want || f != tt.format {
			t.Errorf("%s %q key %q: got %q %s %v, want %q %s", tt.name, tt.content, tt.key, got, f, err, tt.want, tt.format)
		}
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, key string
		want               []string
	}{
		{"s.json", `{"access":"x","refresh":"y"}`, "", []string{`no "token" key`, `"access", "refresh"`, "--key"}},
		{"s.json", `{"token": 42}`, "", []string{"number, not a string"}},
		{"s.json", `["a"]`, "", []string{"not an object"}},
		{"s.json", "{\n\"token\": \"secretvalue\",\n}", "", []string{":3:", "not valid JSON"}},
		{"s.toml", "token = \n", "", []string{"not valid TOML"}},
		{"s.toml", "a = 'b'\n", "token", []string{`no "token" key`, `"a"`}},
		{"t.txt", "", "", []string{"empty"}},
		{"t.txt", "line one\nline two\n", "", []string{"2 lines"}},
		{"t.txt", "abc", "mykey", []string{"neither JSON nor TOML"}},
		{"s.json", `{"token":"has space"}`, "", []string{"single word"}},
		{"s.json", `{"token":""}`, "", []string{"empty"}},
	}
	for i, tt := range tests {
		path := filepath.Join(dir, fmt.Sprint(i), tt.name)
		os.MkdirAll(filepath.Dir(path), 0o700)
		os.WriteFile(path, []byte(tt.content), 0o600)
		_, _, err := Read(path, tt.key)
		if err == nil {
			t.Errorf("%d %s: no error", i, tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%d %s: error %q lacks %q", i, tt.name, err, w)
			}
		}
		if strings.Contains(err.Error(), "secretvalue") || strings.Contains(err.Error(), "has space") {
			t.Errorf("%d: error leaks the value: %q", i, err)
		}
	}
	if _, _, err := Read(filepath.Join(dir, "missing"), ""); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(dir, "big")
	os.WriteFile(big, make([]byte, MaxSize+1), 0o600)
	if _, _, err := Read(big, ""); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("big file: %v", err)
	}
}

// TestRoundTrip: what Write stores, Read returns.
func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cave-secret.json")
	if err := Write(context.Background(), path, "", "eyJhbGciOi.J9.x"); err != nil {
		t.Fatal(err)
	}
	got, f, err := Read(path, "")
	if err != nil || got != "eyJhbGciOi.J9.x" || f != FormatJSON {
		t.Fatalf("got %q %s %v", got, f, err)
	}
}

// TestWriteRefusesSymlinkedLock: the lock file beside a secret file is
// never followed through a symbolic link (it is taken like the profiles'
// lock files), so a link planted there cannot create or truncate a file
// elsewhere; the secret file is left as it was.
func TestWriteRefusesSymlinkedLock(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("creating symbolic links needs a privilege on Windows")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "secret.json")
	if err := os.WriteFile(path, []byte(`{"token": "old"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(dir, "created-by-attack")
	if err := os.Symlink(victim, filepath.Join(dir, ".secret.json.lock")); err != nil {
		t.Fatal(err)
	}
	err := Write(context.Background(), path, "", "new")
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("Write with a symlinked lock file: %v, want a refusal naming the symbolic link", err)
	}
	if _, err := os.Lstat(victim); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the link's target was created: %v", err)
	}
	if got := readJSON(t, path)["token"]; got != "old" {
		t.Errorf("token after the refused write: %v, want old", got)
	}
}
