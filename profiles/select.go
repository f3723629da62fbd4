package profiles

import (
	"context"
	"fmt"
	"strings"
)

// maxDirFile caps what is read from a per-directory profile file.
const maxDirFile = 64 << 10

// Selection says which profile applies and why.
type Selection struct {
	// Name is the chosen profile's name; it names a profile in the config.
	Name     string
	ChosenBy string // "flag", "env AUTHDECK_PROFILE", ".authdeck file /path", "active"
	// Warning is one line to show on stderr when a directory file was
	// found but ignored (a symbolic link, writable by others, not trusted
	// or changed since it was trusted); the selection then goes on as if
	// there were none. The path in it is not yet cleaned for a terminal.
	Warning string
}

// Select resolves the profile to use: the flag value, else App.EnvProfile,
// else the directory file (App.DirFile in cwd or its nearest parent that
// has one) when the user trusted it (TrustDirFile), else the active
// profile. A directory file that is ignored leaves Selection.Warning, also
// when the error says no profile is active. A name that is not a profile is an
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
	warning := ""
	if m.app.DirFile != "" && cwd != "" {
		path, name, warn, err := m.dirFile(cwd)
		if err != nil {
			return Selection{}, err
		}
		if name != "" {
			return check(name, m.app.DirFile+" file "+path)
		}
		warning = warn
	}
	if cfg.Active != "" && cfg.profile(cfg.Active) >= 0 {
		return Selection{Name: cfg.Active, ChosenBy: "active", Warning: warning}, nil
	}
	return Selection{Warning: warning}, &NotLoggedInError{Reason: "no profile is active"}
}
