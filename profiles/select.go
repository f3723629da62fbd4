package profiles

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
)

// maxDirFile caps what is read from a per-directory profile file.
const maxDirFile = 64 << 10

// Selection says which profile applies and why.
type Selection struct {
	// Name is the chosen profile's name; it names a profile in the config.
	Name     string
	ChosenBy string // "flag", "env AUTHDECK_PROFILE", ".authdeck file /path", "active"
}

// Select resolves the profile to use: the flag value, else App.EnvProfile,
// else the directory file (App.DirFile in cwd or its nearest parent that
// has one), else the active profile. A name that is not a profile is an
// error saying where it came from; no selection at all wraps
// ErrNotLoggedIn.
func (m *Manager) Select(ctx context.Context, flag, cwd string) (Selection, error) {
	cfg, err := m.Load(ctx)
	if err != nil {
		return Selection{}, err
	}
	return m.selectIn(cfg, flag, cwd)
}

// selectIn is Select over an already loaded config.
func (m *Manager) selectIn(cfg *Config, flag, cwd string) (Selection, error) {
	check := func(name, by string) (Selection, error) {
		if cfg.profile(name) < 0 {
			from := by
			if by == "flag" {
				from = "--profile"
			}
			return Selection{}, fmt.Errorf("%s: %w", from, unknownProfile(cfg, name))
		}
		return Selection{Name: name, ChosenBy: by}, nil
	}
	if flag != "" {
		return check(flag, "flag")
	}
	if m.app.EnvProfile != "" {
		if v := strings.TrimSpace(m.getenv(m.app.EnvProfile)); v != "" {
			return check(v, "env "+m.app.EnvProfile)
		}
	}
	if m.app.DirFile != "" && cwd != "" {
		path, name, err := findDirFile(cwd, m.app.DirFile)
		if err != nil {
			return Selection{}, err
		}
		if path != "" {
			return check(name, m.app.DirFile+" file "+path)
		}
	}
	if cfg.Active != "" && cfg.profile(cfg.Active) >= 0 {
		return Selection{Name: cfg.Active, ChosenBy: "active"}, nil
	}
	return Selection{}, fmt.Errorf("no profile is active; run `%s login`, or `%s profiles use NAME`: %w", m.name(), m.name(), ErrNotLoggedIn)
}

// findDirFile looks for a regular file called name in dir and each parent
// up to the filesystem root, and returns its path and the profile it names
// ("", "" when there is none). The nearest file wins; a directory of that
// name is skipped.
//
// The walk does not stop at a repository root (it knows nothing of git):
// in a checkout without the file, one in a directory above the checkout
// applies, for example ~/.authdeck for every checkout under the home
// directory. That is on purpose, so a file can set a default for a whole
// tree of checkouts; a checkout that wants its own profile puts the file
// at its root, which is nearer.
func findDirFile(dir, name string) (string, string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", "", err
	}
	for {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			prof, err := readDirFile(p)
			return p, prof, err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", "", nil
		}
		dir = parent
	}
}

// readDirFile reads a profile name from a directory file: either the name
// alone (comment lines starting with # are skipped) or TOML with a
// `profile = "name"` key.
func readDirFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", path, err)
	}
	defer func() { _ = f.Close() }()
	data, err := io.ReadAll(io.LimitReader(f, maxDirFile))
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", path, err)
	}
	var name string
	if bytes.Contains(data, []byte("=")) {
		var doc struct {
			Profile string `toml:"profile"`
		}
		if _, err := toml.Decode(string(data), &doc); err != nil {
			return "", tomlError(path, data, err, " (write the profile name alone, or profile = \"NAME\")")
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
		return "", fmt.Errorf("%s names no profile; write the profile name alone, or profile = \"NAME\"", path)
	}
	return name, nil
}
