package profiles

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// File names inside App.ConfigDir.
const (
	configFile      = "config.toml"
	credentialsFile = "credentials.json"
	configLockFile  = ".lock"
	locksDir        = "locks"
)

// ConfigPath is the config file, config.toml in App.ConfigDir.
func (m *Manager) ConfigPath() string { return filepath.Join(m.app.ConfigDir, configFile) }

// CredentialsPath is the credentials file used when the keyring is not,
// credentials.json in App.ConfigDir.
func (m *Manager) CredentialsPath() string { return filepath.Join(m.app.ConfigDir, credentialsFile) }

func (m *Manager) configLockPath() string { return filepath.Join(m.app.ConfigDir, configLockFile) }

// Load reads the config (an empty one when the file does not exist).
func (m *Manager) Load(ctx context.Context) (*Config, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if m.app.ConfigDir == "" {
		return nil, errors.New("no config directory configured (App.ConfigDir is empty)")
	}
	return readConfig(m.ConfigPath())
}

// Update runs fn on the config under the cross-process lock and writes the
// result atomically. A config that cannot be parsed is never overwritten.
// When fn returns an error nothing is written.
func (m *Manager) Update(ctx context.Context, fn func(*Config) error) error {
	if m.app.ConfigDir == "" {
		return errors.New("no config directory configured (App.ConfigDir is empty)")
	}
	unlock, err := lockFile(ctx, m.configLockPath(), configLockTimeout)
	if err != nil {
		return err
	}
	defer unlock()
	cfg, err := m.Load(ctx)
	if err != nil {
		return err
	}
	if err := fn(cfg); err != nil {
		return err
	}
	return writeConfig(m.ConfigPath(), cfg, m.app.Name)
}

// readConfig parses path. Unknown keys are an error (they are most often
// typos in a hand-edited file, and silently ignoring them would lose the
// setting), reported with the line where the key first appears.
func readConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{Version: ConfigVersion}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	cfg := &Config{}
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(cfg)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &ParseError{Path: path, Line: pe.Position.Line, Err: errors.New(pe.Message)}
		}
		return nil, &ParseError{Path: path, Err: err}
	}
	if und := md.Undecoded(); len(und) > 0 {
		names := make([]string, len(und))
		for i, k := range und {
			names[i] = k.String()
		}
		return nil, &ParseError{
			Path: path,
			Line: keyLine(data, und[0]),
			Err:  fmt.Errorf("unknown key %s (a typo? known keys: version, active, [settings] storage, [[servers]], [[profiles]])", strings.Join(names, ", ")),
		}
	}
	if cfg.Version == 0 {
		cfg.Version = ConfigVersion // hand-written without a version
	}
	if cfg.Version > ConfigVersion {
		return nil, &ParseError{Path: path, Err: fmt.Errorf("version %d was written by a newer release (this one reads version %d); upgrade", cfg.Version, ConfigVersion)}
	}
	if err := cfg.validate(); err != nil {
		return nil, &ParseError{Path: path, Err: err}
	}
	return cfg, nil
}

// keyLine finds the line where a key is set, best effort (0 when unknown).
func keyLine(data []byte, k toml.Key) int {
	if len(k) == 0 {
		return 0
	}
	last := k[len(k)-1]
	re := regexp.MustCompile(`^\s*(\[+\s*)?(["']?)` + regexp.QuoteMeta(last) + `(["']?)\s*(=|\]|\.)`)
	for i, line := range strings.Split(string(data), "\n") {
		if re.MatchString(line) {
			return i + 1
		}
	}
	return 0
}

// validate checks what the TOML types cannot: enumerations and unique names.
func (c *Config) validate() error {
	switch c.Settings.Storage {
	case "", "auto", "file":
	default:
		return fmt.Errorf("settings.storage is %q; use \"auto\" (keyring, else file) or \"file\"", c.Settings.Storage)
	}
	seen := map[string]bool{}
	for _, s := range c.Servers {
		if s.Name == "" {
			return errors.New("a [[servers]] entry has no name")
		}
		if seen[s.Name] {
			return fmt.Errorf("two servers are named %q; rename or remove one", s.Name)
		}
		seen[s.Name] = true
	}
	seen = map[string]bool{}
	ids := map[string]bool{}
	for _, p := range c.Profiles {
		if p.Name == "" {
			return errors.New("a [[profiles]] entry has no name")
		}
		if seen[p.Name] {
			return fmt.Errorf("two profiles are named %q; rename or remove one", p.Name)
		}
		seen[p.Name] = true
		if p.ID == "" {
			return fmt.Errorf("profile %q has no id", p.Name)
		}
		if ids[p.ID] {
			return fmt.Errorf("two profiles have the id %q", p.ID)
		}
		ids[p.ID] = true
		switch p.Storage {
		case StorageNone, StorageKeyring, StorageFile:
		default:
			return fmt.Errorf("profile %q: storage is %q; use \"keyring\", \"file\" or leave it out", p.Name, p.Storage)
		}
	}
	return nil
}

// writeConfig encodes cfg as TOML and replaces path atomically.
func writeConfig(path string, cfg *Config, app string) error {
	cfg.Version = ConfigVersion
	var buf bytes.Buffer
	if app == "" {
		app = "authdeck"
	}
	fmt.Fprintf(&buf, "# %s configuration: servers and profiles. No secrets are kept here.\n# Edit with care; the file is rewritten on every change.\n\n", app)
	enc := toml.NewEncoder(&buf)
	enc.Indent = "  "
	if err := enc.Encode(cfg); err != nil {
		return fmt.Errorf("encoding config: %w", err)
	}
	return writeFileAtomic(path, buf.Bytes())
}

// profile returns the index of the named profile, or -1.
func (c *Config) profile(name string) int {
	for i := range c.Profiles {
		if c.Profiles[i].Name == name {
			return i
		}
	}
	return -1
}

// server returns the index of the named server, or -1.
func (c *Config) server(name string) int {
	for i := range c.Servers {
		if c.Servers[i].Name == name {
			return i
		}
	}
	return -1
}

// Profile returns the named profile.
func (c *Config) Profile(name string) (Profile, bool) {
	if i := c.profile(name); i >= 0 {
		return c.Profiles[i], true
	}
	return Profile{}, false
}

// Server returns the named server.
func (c *Config) Server(name string) (Server, bool) {
	if i := c.server(name); i >= 0 {
		return c.Servers[i], true
	}
	return Server{}, false
}
