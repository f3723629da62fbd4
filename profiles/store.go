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
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/authdeck/authdeck/internal/fsutil"

	"github.com/authdeck/authdeck/auth"
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
// When fn returns an error, or leaves the config invalid, nothing is
// written.
//
// Client secrets set in memory (Server.ClientSecret, or a client_secret
// read from an older config) are put in the secret store before the
// config is written, so the file never holds them; the secrets of servers
// fn removed, or replaced with a public client, are deleted from the store
// after the write.
func (m *Manager) Update(ctx context.Context, fn func(*Config) error) error {
	if m.app.ConfigDir == "" {
		return errors.New("no config directory configured (App.ConfigDir is empty)")
	}
	unlock, err := fsutil.Lock(ctx, m.configLockPath(), configLockTimeout)
	if err != nil {
		return err
	}
	defer unlock()
	cfg, err := m.Load(ctx)
	if err != nil {
		return err
	}
	old := make(map[string]Storage, len(cfg.Servers))
	for _, s := range cfg.Servers {
		if s.ClientSecretStorage != StorageNone {
			old[s.Name] = s.ClientSecretStorage
		}
	}
	if err := fn(cfg); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("the change would make the config invalid, so it was not saved: %w", err)
	}
	if err := m.storeClientSecrets(ctx, cfg); err != nil {
		return err
	}
	if err := writeConfig(m.ConfigPath(), cfg, m.app.Name); err != nil {
		return err
	}
	for name, st := range old {
		if i := cfg.server(name); i >= 0 && cfg.Servers[i].ClientSecretStorage == st {
			continue
		}
		if err := m.store(st).Delete(ctx, clientKey(name)); err != nil {
			m.log.Warn("could not delete a client secret no longer used", "server", name, "storage", string(st), "err", err)
		}
	}
	return nil
}

// storeClientSecrets moves the client secrets held in memory into the
// secret store, recording where in ClientSecretStorage.
func (m *Manager) storeClientSecrets(ctx context.Context, cfg *Config) error {
	for i := range cfg.Servers {
		s := &cfg.Servers[i]
		if s.ClientSecret == "" {
			continue
		}
		info, err := m.storeSecret(ctx, cfg, "server "+s.Name, clientKey(s.Name), &Secret{ClientSecret: s.ClientSecret}, false)
		if err != nil {
			return fmt.Errorf("saving the client secret of server %q: %w", s.Name, err)
		}
		s.ClientSecretStorage = info.Storage
	}
	return nil
}

// readConfig parses path. Unknown keys are an error (they are most often
// typos in a hand-edited file, and silently ignoring them would lose the
// setting), reported with the line where the key first appears, as are
// values that make no sense (a server without client_id, a profile of a
// server that is not there).
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
		if cerr := checkComplete(path, data, nil); cerr != nil {
			return nil, cerr
		}
		return nil, tomlError(path, data, err, "")
	}
	if err := checkComplete(path, data, cfg); err != nil {
		return nil, err
	}
	var und []string
	legacy := false
	for _, k := range md.Undecoded() {
		if k.String() == "servers.client_secret" {
			legacy = true // an older release's, read below
			continue
		}
		und = append(und, k.String())
	}
	if len(und) > 0 {
		return nil, &ParseError{
			Path: path,
			Line: keyLine(data, toml.Key(strings.Split(und[0], "."))),
			Err:  fmt.Errorf("unknown key %s (a typo? known keys: version, active, [settings] storage, [[servers]], [[profiles]])", strings.Join(und, ", ")),
		}
	}
	if legacy {
		if err := readLegacySecrets(data, cfg); err != nil {
			return nil, tomlError(path, data, err, "")
		}
	}
	if cfg.Version == 0 {
		cfg.Version = ConfigVersion // hand-written without a version
	}
	if cfg.Version > ConfigVersion {
		return nil, &ParseError{Path: path, Line: locate(data, "", 0, "version"), Err: fmt.Errorf("version %d was written by a newer release (this one reads version %d); upgrade", cfg.Version, ConfigVersion)}
	}
	if cfg.Version < 0 {
		return nil, &ParseError{Path: path, Line: locate(data, "", 0, "version"), Err: fmt.Errorf("version %d is not a config version; set version = %d", cfg.Version, ConfigVersion)}
	}
	if err := cfg.validate(); err != nil {
		pe := &ParseError{Path: path, Err: err}
		var fe *fieldError
		if errors.As(err, &fe) {
			pe.Line = locate(data, fe.table, fe.index, fe.key)
		}
		return nil, pe
	}
	return cfg, nil
}

// readLegacySecrets reads the client_secret keys an older release kept in
// the [[servers]] entries into Server.ClientSecret.
func readLegacySecrets(data []byte, cfg *Config) error {
	var legacy struct {
		Servers []struct {
			ClientSecret string `toml:"client_secret"`
		} `toml:"servers"`
	}
	if _, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&legacy); err != nil {
		return err
	}
	for i, s := range legacy.Servers {
		if i < len(cfg.Servers) && s.ClientSecret != "" && cfg.Servers[i].ClientSecretStorage == StorageNone {
			cfg.Servers[i].ClientSecret = s.ClientSecret
		}
	}
	return nil
}

// tomlLine matches the position BurntSushi/toml puts in the text of
// errors that are not a toml.ParseError (type mismatches).
var tomlLine = regexp.MustCompile(`^toml: line (\d+)(?: \(last key "[^"]*"\))?: `)

// tomlError turns a decoding error into a *ParseError with the line.
// toml.ParseError's Line is one too far when the offending character is
// the newline ending a line (an unclosed "[[servers]"), so the line is
// counted from the error's byte offset instead.
func tomlError(path string, data []byte, err error, hint string) *ParseError {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		line := pe.Position.Line
		if off := pe.Position.Start; off >= 0 && off < len(data) {
			line = bytes.Count(data[:off], []byte("\n")) + 1
		}
		return &ParseError{Path: path, Line: line, Err: errors.New(pe.Message + hint)}
	}
	msg := err.Error()
	if sm := tomlLine.FindStringSubmatch(msg); sm != nil {
		line, _ := strconv.Atoi(sm[1])
		msg = strings.TrimPrefix(msg, sm[0])
		msg = strings.Replace(msg, "incompatible types: TOML value has type", "wrong type: the value is a", 1)
		msg = strings.Replace(msg, "; destination has type", ", it should be a", 1)
		return &ParseError{Path: path, Line: line, Err: errors.New(msg + hint)}
	}
	return &ParseError{Path: path, Err: fmt.Errorf("%w%s", err, hint)}
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

// tableHeader matches a "[name]" or "[[name]]" line.
var tableHeader = regexp.MustCompile(`^\s*(\[\[?)\s*["']?([A-Za-z0-9_-]+)["']?\s*\]`)

// locate finds the line of key in the index-th [[table]] entry (table
// "settings": the [settings] table; table "": the top level), or of the
// entry's header when the key is not written there; 0 when not found
// (inline tables, dotted keys).
func locate(data []byte, table string, index int, key string) int {
	keyRe := regexp.MustCompile(`^\s*["']?` + regexp.QuoteMeta(key) + `["']?\s*=`)
	cur, n, header := "", -1, 0
	in := table == ""
	for i, line := range strings.Split(string(data), "\n") {
		if sm := tableHeader.FindStringSubmatch(line); sm != nil {
			if in && header > 0 {
				return header // the entry ended without the key
			}
			if in && table == "" {
				return 0
			}
			cur = sm[2]
			in = false
			if cur == table {
				if sm[1] == "[[" {
					n++
				}
				if sm[1] == "[" || n == index {
					in, header = true, i+1
				}
			}
			continue
		}
		if in && key != "" && keyRe.MatchString(line) {
			return i + 1
		}
	}
	return header
}

// fieldError is a validation error about one key (or, with key "", the
// whole entry) of the index-th entry of a table; readConfig turns it into
// a line number.
type fieldError struct {
	table string // "servers", "profiles", "settings", or "" for the top level
	index int
	key   string
	err   error
}

func (e *fieldError) Error() string { return e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

func fieldErr(table string, index int, key, format string, args ...any) error {
	return &fieldError{table: table, index: index, key: key, err: fmt.Errorf(format, args...)}
}

// endpointKeys are the config keys of a server's URLs, as checkEndpoints
// names them.
var endpointKeys = []struct{ key, what string }{
	{"issuer", "issuer"},
	{"auth_url", "authorization URL"},
	{"device_url", "device authorization URL"},
	{"token_url", "token URL"},
	{"revoke_url", "revocation URL"},
	{"userinfo_url", "userinfo URL"},
	{"introspect_url", "introspection URL"},
}

// validate checks what the TOML types cannot: names, required keys,
// enumerations, URLs and references. Errors are *fieldError, saying what
// to write instead.
func (c *Config) validate() error {
	switch c.Settings.Storage {
	case "", "auto", "file":
	default:
		return fieldErr("settings", 0, "storage", "settings.storage is %q; use \"auto\" (keyring, else file) or \"file\"", c.Settings.Storage)
	}
	seen := map[string]int{}
	for i, s := range c.Servers {
		if s.Name == "" {
			return fieldErr("servers", i, "name", "a [[servers]] entry has no name; add name = \"NAME\" to it")
		}
		if err := ValidateName("server", s.Name); err != nil {
			return fieldErr("servers", i, "name", "%v", err)
		}
		if _, dup := seen[s.Name]; dup {
			return fieldErr("servers", i, "name", "two servers are named %q; rename or remove one", s.Name)
		}
		seen[s.Name] = i
		if strings.TrimSpace(s.ClientID) == "" {
			return fieldErr("servers", i, "client_id", "server %q has no client_id; add client_id = \"ID\" (the id of this application registered with the provider)", s.Name)
		}
		if s.TokenURL == "" && s.Issuer == "" {
			// (an issuer alone is completed by discovery at login)
			return fieldErr("servers", i, "", "server %q has neither issuer nor token_url; add issuer = \"https://...\" (its endpoints are then discovered) or token_url = \"https://...\"", s.Name)
		}
		urls := []string{s.Issuer, s.AuthURL, s.DeviceAuthURL, s.TokenURL, s.RevocationURL, s.UserInfoURL, s.IntrospectionURL}
		for j, ek := range endpointKeys {
			if urls[j] == "" {
				continue
			}
			if err := auth.CheckURL(urls[j]); err != nil {
				return fieldErr("servers", i, ek.key, "server %q: the %s %q: %v", s.Name, ek.what, urls[j], err)
			}
		}
		for _, h := range s.APIHosts {
			if _, err := ParseOrigin(h); err != nil {
				return fieldErr("servers", i, "api_hosts", "server %q: api_hosts: %v", s.Name, err)
			}
		}
		if s.EnvVar != "" && !validEnvVar(s.EnvVar) {
			return fieldErr("servers", i, "env_var", "server %q: env_var %q is not an environment variable name; use letters, digits and _", s.Name, s.EnvVar)
		}
		if _, err := auth.ParseParams(s.Params); err != nil {
			return fieldErr("servers", i, "params", "server %q: params: %v", s.Name, err)
		}
		if key, err := checkHelperSettings(s); err != nil {
			return fieldErr("servers", i, key, "server %q: %v", s.Name, err)
		}
		switch s.ClientSecretStorage {
		case StorageNone, StorageKeyring, StorageFile:
		default:
			return fieldErr("servers", i, "client_secret_storage", "server %q: client_secret_storage is %q; use \"keyring\" or \"file\", or leave it out for a client without a secret", s.Name, s.ClientSecretStorage)
		}
	}
	names := map[string]bool{}
	ids := map[string]bool{}
	for i, p := range c.Profiles {
		if p.Name == "" {
			return fieldErr("profiles", i, "name", "a [[profiles]] entry has no name; add name = \"NAME\" to it")
		}
		if names[p.Name] {
			return fieldErr("profiles", i, "name", "two profiles are named %q; rename or remove one", p.Name)
		}
		names[p.Name] = true
		if p.ID == "" {
			return fieldErr("profiles", i, "id", "profile %q has no id; remove the profile and log in again", p.Name)
		}
		if ids[p.ID] {
			return fieldErr("profiles", i, "id", "two profiles have the id %q; remove one and log in again", p.ID)
		}
		ids[p.ID] = true
		if p.Server == "" {
			return fieldErr("profiles", i, "server", "profile %q names no server; add server = \"NAME\" (one of the [[servers]] entries)", p.Name)
		}
		if _, ok := seen[p.Server]; !ok {
			return fieldErr("profiles", i, "server", "profile %q belongs to server %q, which is not in the file; add a [[servers]] entry named %q, or remove the profile", p.Name, p.Server, p.Server)
		}
		switch p.Grant {
		case "", GrantClientCredentials, GrantTokenExchange:
		default:
			return fieldErr("profiles", i, "grant", "profile %q: grant is %q; use %q, %q or leave it out", p.Name, p.Grant, GrantClientCredentials, GrantTokenExchange)
		}
		if _, err := auth.ParseParams(p.Params); err != nil {
			return fieldErr("profiles", i, "params", "profile %q: params: %v", p.Name, err)
		}
		switch p.Storage {
		case StorageNone, StorageKeyring, StorageFile:
		default:
			return fieldErr("profiles", i, "storage", "profile %q: storage is %q; use \"keyring\", \"file\" or leave it out", p.Name, p.Storage)
		}
	}
	return c.validateRegistries()
}

// configTrailer is the last line writeConfig writes. A file cut short
// (a full disk, a crashed sync tool or editor) lacks it, and may still
// parse, as fewer profiles: readConfig refuses such a file when authdeck
// has written the config before (see checkComplete).
const configTrailer = "# end of config"

// backupSuffix names the copy of the config writeConfig keeps next to it:
// config.toml.bak, the same bytes as the config it last wrote.
const backupSuffix = ".bak"

// hasTrailer reports whether data has configTrailer as a whole line
// (anywhere: lines a person appends after it are fine).
func hasTrailer(data []byte) bool {
	for _, line := range bytes.Split(data, []byte("\n")) {
		if string(bytes.TrimSpace(line)) == configTrailer {
			return true
		}
	}
	return false
}

// checkComplete refuses a config without the end line that writeConfig
// writes, when that cannot be an older or hand-written file:
//
//   - config.toml.bak exists: authdeck, which writes the end line, has
//     written this config before, so the file was cut short (or the line
//     was edited out, which the message says how to undo).
//   - there is no backup (a config from a release before the end line, or
//     written by hand), but the credentials file holds the secret of a
//     profile the config does not have: the profile was lost, not
//     removed (a removal deletes the secret first).
//
// cfg is the parsed file; it is nil when the file did not parse (the
// backup check alone applies then, so a cut file is not reported as a
// syntax error in a line it never had).
func checkComplete(path string, data []byte, cfg *Config) error {
	if hasTrailer(data) {
		return nil
	}
	bak := path + backupSuffix
	if b, err := os.ReadFile(bak); err == nil {
		held := ""
		var bc Config
		if _, err := toml.NewDecoder(bytes.NewReader(b)).Decode(&bc); err == nil {
			held = fmt.Sprintf(" holds %s and %s, and", count(len(bc.Servers), "server"), count(len(bc.Profiles), "profile"))
		}
		return &ParseError{Path: path, Err: fmt.Errorf("the file looks cut short (its last line should be %q); %s, the copy kept at the last change,%s can be put back with `cp %s %s`; if you edited the file by hand, end it with that line", configTrailer, bak, held, bak, path)}
	}
	if cfg == nil {
		return nil
	}
	creds := filepath.Join(filepath.Dir(path), credentialsFile)
	doc, err := NewFileSecrets(filepath.Dir(path)).read()
	if err != nil {
		return nil // reported when the credentials are used
	}
	have := make(map[string]bool, len(cfg.Profiles))
	for _, p := range cfg.Profiles {
		have[secretKey(p.ID)] = true
	}
	lost := 0
	for k := range doc.Secrets {
		if strings.HasPrefix(k, secretKey("")) && !have[k] {
			lost++
		}
	}
	if lost > 0 {
		return &ParseError{Path: path, Err: fmt.Errorf("the file looks cut short: %s holds the secrets of %s not in it, and its last line is not %q; put the missing [[profiles]] back, or if the file is complete, end it with that line", creds, count(lost, "profile"), configTrailer)}
	}
	return nil
}

// count is "1 profile", "2 profiles".
func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// writeConfig encodes cfg as TOML, ends it with configTrailer, and
// replaces path atomically, after writing the same bytes (atomically) to
// path.bak: a copy to restore if path is ever cut short, and the sign
// that a path without the end line was cut short (see checkComplete).
func writeConfig(path string, cfg *Config, app string) error {
	cfg.Version = ConfigVersion
	var buf bytes.Buffer
	if app == "" {
		app = "authdeck"
	}
	fmt.Fprintf(&buf, "# %s configuration: servers and profiles. No secrets are kept here.\n# Edit with care; the file is rewritten on every change. Keep the line\n# \"%s\" last: a file without it is taken as cut short.\n\n", app, configTrailer)
	enc := toml.NewEncoder(&buf)
	enc.Indent = "  "
	if err := enc.Encode(cfg); err != nil {
		return fmt.Errorf("encoding config: %w", err)
	}
	buf.WriteString("\n" + configTrailer + "\n")
	if err := fsutil.WriteFileAtomic(path+backupSuffix, buf.Bytes(), filePerm); err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(path, buf.Bytes(), filePerm)
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
