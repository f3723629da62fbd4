package profiles

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/fsutil"
	"github.com/authdeck/authdeck/internal/hint"
	"github.com/authdeck/authdeck/internal/hostproxy"
	"github.com/authdeck/authdeck/internal/textsafe"
	"golang.org/x/oauth2"
)

// DefaultMinTTL is the remaining lifetime under which a stored token is
// refreshed before use (the `token --min-ttl` default), and under which
// Status calls it "expiring".
const DefaultMinTTL = 5 * time.Minute

// ErrUnknownProfile is wrapped by every error about a profile name that is
// not in the config.
var ErrUnknownProfile = errors.New("no such profile")

// Manager is the entry point of the package: open one per App. It is safe
// for concurrent use, and several processes may use the same ConfigDir at
// once: every read-modify-write is serialised by lock files.
type Manager struct {
	app     App
	hc      *http.Client
	log     *slog.Logger
	keyring SecretStore
	files   *FileSecrets
}

// Open returns a Manager for app. It does no I/O; files are read on use.
// App.ConfigDir is required.
func Open(app App) (*Manager, error) {
	if app.ConfigDir == "" {
		return nil, errors.New("profiles: App.ConfigDir is empty")
	}
	if app.KeyringService == "" {
		app.KeyringService = app.Name
	}
	if app.KeyringService == "" {
		return nil, errors.New("profiles: App.KeyringService and App.Name are empty")
	}
	if app.KeyringTimeout <= 0 {
		app.KeyringTimeout = DefaultKeyringTimeout
	}
	m := &Manager{app: app, hc: app.HTTPClient, log: app.Logger, files: NewFileSecrets(app.ConfigDir)}
	if m.hc == nil {
		// Go's default transport, with the proxy from App.Getenv.
		m.hc = &http.Client{Timeout: auth.DefaultTimeout, Transport: hostproxy.Transport(app.Getenv)}
	}
	if m.log == nil {
		m.log = discardLogger()
	}
	m.files.log = m.log
	if app.Secrets != nil {
		m.keyring = app.Secrets
	} else {
		k := NewKeyring(app.KeyringService, app.KeyringTimeout, app.Getenv)
		k.log = m.log
		m.keyring = k
	}
	return m, nil
}

// App returns the application identity the manager was opened with.
func (m *Manager) App() App { return m.app }

func (m *Manager) getenv(k string) string {
	if m.app.Getenv == nil || k == "" {
		return ""
	}
	return m.app.Getenv(k)
}

func (m *Manager) now() time.Time {
	if m.app.Now != nil {
		return m.app.Now()
	}
	return time.Now()
}

// name is the application's name for messages ("run `authdeck login`").
func (m *Manager) name() string {
	if m.app.Name != "" {
		return m.app.Name
	}
	return "the program"
}

// CommandLine returns the command line that runs the application's
// command at path ("acme servers add" for "servers add"), or "" when the
// application has no such command (App.Command).
func (m *Manager) CommandLine(path string) string {
	if m.app.Command != nil {
		return m.app.Command(path)
	}
	return m.name() + " " + path
}

// cmdq is CommandLine(path) followed by args, in backquotes, or "" when
// there is no such command.
func (m *Manager) cmdq(path, args string) string {
	return hint.Quote(m.CommandLine(path), args)
}

// suggest is hint.Suggest.
var suggest = hint.Suggest

// parenEnd is ")" when the command line l is not empty.
func parenEnd(l string) string {
	if l == "" {
		return ""
	}
	return ")"
}

// secretKey is the keyring/file key of a profile's secret.
func secretKey(id string) string { return "profile:" + id }

// where names the place of secrets with storage s for messages: "the
// keyring" or the credentials file's path.
func (m *Manager) where(s Storage) string {
	if s == StorageFile {
		return m.files.Path()
	}
	return "the " + m.app.secretsName()
}

// clientKey is the keyring/file key of a server's client secret.
func clientKey(server string) string { return "client:" + server }

// store is where secrets with storage s live.
func (m *Manager) store(s Storage) SecretStore {
	if s == StorageFile {
		return m.files
	}
	return m.keyring
}

func (m *Manager) profileLockPath(id string) string {
	return filepath.Join(m.app.ConfigDir, locksDir, id+".lock")
}

func (m *Manager) lockProfile(ctx context.Context, id string) (func(), error) {
	return fsutil.Lock(ctx, m.profileLockPath(id), profileLockTimeout)
}

// unknownProfile is the error for a name not in cfg, listing the known ones.
func unknownProfile(cfg *Config, name string) error {
	names := make([]string, len(cfg.Profiles))
	for i, p := range cfg.Profiles {
		names[i] = p.Name
	}
	if len(names) == 0 {
		return fmt.Errorf("%w %q: there are no profiles yet", ErrUnknownProfile, name)
	}
	sort.Strings(names)
	return fmt.Errorf("%w %q (profiles: %s)", ErrUnknownProfile, name, strings.Join(names, ", "))
}

// lookup returns the named profile and its server from cfg.
func lookup(cfg *Config, name string) (Profile, Server, error) {
	p, ok := cfg.Profile(name)
	if !ok {
		return Profile{}, Server{}, unknownProfile(cfg, name)
	}
	s, _ := cfg.Server(p.Server)
	return p, s, nil
}

// SaveOptions tune SaveLogin.
type SaveOptions struct {
	// Profile names the profile; empty means the account's name (made
	// unique per server).
	Profile string
	// Insecure stores the secret in the file on purpose.
	Insecure bool
	// Grant and Params are recorded on the profile (Profile.Grant,
	// Profile.Params); both empty for a person's login.
	Grant  string
	Params []string
}

// sameAccount reports whether id may be the account of p: the subjects
// match, or, without subjects, the user names or emails do. When either
// side is unknown there is nothing to tell them apart.
func sameAccount(p Profile, id *auth.Identity) bool {
	if id == nil {
		return true
	}
	for _, f := range [][2]string{{p.Subject, id.Subject}, {p.Username, id.Username}, {p.Email, id.Email}} {
		if f[0] != "" && f[1] != "" {
			return f[0] == textsafe.Clean(f[1])
		}
	}
	return true
}

// SaveLogin stores a new login: the secret in the keyring (or the file,
// reported in SaveInfo) and the profile in the config. The first profile
// becomes active.
//
// The profile is opt.Profile when given (it must belong to server if it
// exists), else the existing profile of the same server and subject (a
// re-login), else a new one named after the account ("alice", or
// "alice@server" when "alice" is taken). When a re-login stores the secret
// somewhere else than before, the old copy is deleted. A login of another
// account into a signed-in opt.Profile is refused with an
// *AccountMismatchError, and nothing is saved.
func (m *Manager) SaveLogin(ctx context.Context, server string, t *oauth2.Token, id *auth.Identity, opt SaveOptions) (Profile, SaveInfo, error) {
	if t == nil || t.AccessToken == "" {
		return Profile{}, SaveInfo{}, errors.New("the server returned no access token; nothing was saved")
	}
	if opt.Profile != "" {
		if err := ValidateName("profile", opt.Profile); err != nil {
			return Profile{}, SaveInfo{}, err
		}
	}
	var (
		out        Profile
		info       SaveInfo
		oldStorage Storage
	)
	sec := SecretFromToken(t)
	sec.Obtained = m.now().UTC()
	err := m.Update(ctx, func(cfg *Config) error {
		srv, ok := cfg.Server(server)
		if !ok {
			return fmt.Errorf("no server named %q%s", server, suggest("; add it with ", m.cmdq("servers add", "")))
		}
		idx := -1
		if opt.Profile != "" {
			idx = cfg.profile(opt.Profile)
			if idx >= 0 && cfg.Profiles[idx].Server != server {
				return fmt.Errorf("profile %q already belongs to server %q; choose another profile name or remove it first", opt.Profile, cfg.Profiles[idx].Server)
			}
		} else if id != nil && id.Subject != "" {
			for i, p := range cfg.Profiles {
				if p.Server == server && p.Subject == id.Subject {
					idx = i
					break
				}
			}
		}
		var p Profile
		if idx >= 0 {
			p = cfg.Profiles[idx]
			if opt.Profile != "" && p.SignedIn() && !sameAccount(p, id) {
				// Saving would silently replace another account's
				// tokens, the refresh token included.
				return &AccountMismatchError{Profile: p.Name, Have: p.Account(), Got: id.Display()}
			}
		} else {
			pid, err := newID()
			if err != nil {
				return err
			}
			name := opt.Profile
			if name == "" {
				name = uniqueProfileName(cfg, sanitizeName(id.Display()), server)
			}
			p = Profile{Name: name, ID: pid, Server: server}
		}
		oldStorage = p.Storage
		if id != nil {
			p.Subject = textsafe.Clean(id.Subject)
			p.Username = textsafe.Clean(id.Username)
			p.Email = textsafe.Clean(id.Email)
		}
		p.Scopes = grantedScopes(t, srv)
		p.TokenExpiry = t.Expiry
		p.TokenObtained = sec.Obtained
		p.HasRefresh = t.RefreshToken != ""
		p.LoggedInAt = m.now().UTC().Truncate(time.Second)
		p.Grant, p.Params = opt.Grant, opt.Params
		var err error
		info, err = m.storeSecret(ctx, cfg, "profile "+p.Name, secretKey(p.ID), sec, opt.Insecure)
		if err != nil {
			return err
		}
		p.Storage = info.Storage
		p.StorageFallback = info.FallbackReason
		if idx >= 0 {
			cfg.Profiles[idx] = p
		} else {
			cfg.Profiles = append(cfg.Profiles, p)
		}
		if cfg.Active == "" || cfg.profile(cfg.Active) < 0 {
			cfg.Active = p.Name
		}
		out = p
		return nil
	})
	if err != nil {
		return Profile{}, SaveInfo{}, err
	}
	if oldStorage != StorageNone && oldStorage != out.Storage {
		if err := m.store(oldStorage).Delete(ctx, secretKey(out.ID)); err != nil {
			m.log.Warn("could not delete the previous copy of a secret", "profile", out.Name, "storage", string(oldStorage), "err", err)
		}
	}
	m.log.Debug("login saved", "profile", out.Name, "server", server, "storage", string(out.Storage), "fallback", info.FallbackReason != "")
	return out, info, nil
}

// storeSecret writes sec under key where it belongs: the file when asked
// (opt or settings), else the keyring, else the file with the reason
// reported. what names the owner in logs ("profile NAME").
func (m *Manager) storeSecret(ctx context.Context, cfg *Config, what, key string, sec *Secret, insecure bool) (SaveInfo, error) {
	if insecure || cfg.Settings.Storage == "file" {
		loose := m.files.looseMode()
		if err := m.files.Set(ctx, key, sec); err != nil {
			return SaveInfo{}, err
		}
		return SaveInfo{Storage: StorageFile, InsecureStorage: true, Path: m.files.Path(), Note: fixedNote(m.files.Path(), loose)}, nil
	}
	kerr := m.keyring.Set(ctx, key, sec)
	if kerr == nil {
		return SaveInfo{Storage: StorageKeyring}, nil
	}
	if ctx.Err() != nil {
		return SaveInfo{}, ctx.Err()
	}
	m.log.Warn("keyring unusable; saving the secret in the credentials file", "for", what, "err", kerr)
	loose := m.files.looseMode()
	if err := m.files.Set(ctx, key, sec); err != nil {
		return SaveInfo{}, fmt.Errorf("%s failed (%v) and so did the credentials file: %w", m.where(StorageKeyring), kerr, err)
	}
	return SaveInfo{Storage: StorageFile, InsecureStorage: true, FallbackReason: kerr.Error(), Path: m.files.Path(), Note: fixedNote(m.files.Path(), loose)}, nil
}

// fixedNote reports that a write replaced a credentials file other users
// could read (mode loose) with a 0600 one; "" when the mode was fine.
func fixedNote(path string, loose fs.FileMode) string {
	if loose == 0 {
		return ""
	}
	return fmt.Sprintf("%s was readable by other users (mode %04o); it is now %04o, but anyone who read it may have copied the tokens in it: consider logging out and in again", path, loose, filePerm)
}

// grantedScopes are the scopes in the token response, or the requested
// ones when the server sent none (RFC 6749 §5.1: then they are the same).
func grantedScopes(t *oauth2.Token, srv Server) []string {
	if s, ok := t.Extra("scope").(string); ok && strings.TrimSpace(s) != "" {
		var out []string
		for _, f := range strings.Fields(s) {
			out = append(out, textsafe.Clean(f))
		}
		return out
	}
	return append([]string(nil), srv.Scopes...)
}

// uniqueProfileName is base if free, else base@server, base@server-2, ...
func uniqueProfileName(cfg *Config, base, server string) string {
	if base == "" {
		base = server
	}
	if cfg.profile(base) < 0 {
		return base
	}
	cand := base + "@" + server
	for i := 2; cfg.profile(cand) >= 0; i++ {
		cand = fmt.Sprintf("%s@%s-%d", base, server, i)
	}
	return cand
}

// Use makes a profile the active one.
func (m *Manager) Use(ctx context.Context, name string) error {
	return m.Update(ctx, func(cfg *Config) error {
		if cfg.profile(name) < 0 {
			return unknownProfile(cfg, name)
		}
		cfg.Active = name
		return nil
	})
}

// Rename renames a profile (its secret stays where it is: secrets are keyed
// by the profile's ID).
func (m *Manager) Rename(ctx context.Context, oldName, newName string) error {
	if err := ValidateName("profile", newName); err != nil {
		return err
	}
	return m.Update(ctx, func(cfg *Config) error {
		i := cfg.profile(oldName)
		if i < 0 {
			return unknownProfile(cfg, oldName)
		}
		if oldName == newName {
			return nil
		}
		if cfg.profile(newName) >= 0 {
			return fmt.Errorf("a profile named %q already exists; choose another name", newName)
		}
		cfg.Profiles[i].Name = newName
		if cfg.Active == oldName {
			cfg.Active = newName
		}
		return nil
	})
}

// Remove deletes a profile and its secret. The secret is deleted first; if
// that fails the profile is kept, so no live token is left behind without a
// profile pointing at it. Removing the active profile leaves no profile
// active (another account is never chosen silently); `use` picks the next.
func (m *Manager) Remove(ctx context.Context, name string) error {
	cfg, err := m.Load(ctx)
	if err != nil {
		return err
	}
	p, _, err := lookup(cfg, name)
	if err != nil {
		return err
	}
	unlock, err := m.lockProfile(ctx, p.ID)
	if err != nil {
		return err
	}
	defer unlock()
	if p.Storage != StorageNone {
		if err := m.store(p.Storage).Delete(ctx, secretKey(p.ID)); err != nil {
			return fmt.Errorf("could not delete the secret of profile %q from %s, so the profile was kept: %w", name, m.where(p.Storage), err)
		}
	}
	return m.Update(ctx, func(cfg *Config) error {
		for i := range cfg.Profiles {
			if cfg.Profiles[i].ID == p.ID {
				if cfg.Active == cfg.Profiles[i].Name {
					cfg.Active = ""
				}
				cfg.Profiles = append(cfg.Profiles[:i], cfg.Profiles[i+1:]...)
				return nil
			}
		}
		return nil
	})
}

// readOnly returns a *ReadOnlyError when srv's profiles get their token from
// the environment (the server's env var, or App.EnvToken).
func (m *Manager) readOnly(srv Server) error {
	if src, detail, _ := m.envToken(srv); src != "" {
		return &ReadOnlyError{Source: src, Detail: detail}
	}
	return nil
}

// Logout forgets a profile's secret locally; the profile stays, signed
// out. It returns a *ReadOnlyError when the token comes from the
// environment, and wraps ErrNotLoggedIn when the profile is signed out.
func (m *Manager) Logout(ctx context.Context, name string) error {
	cfg, err := m.Load(ctx)
	if err != nil {
		return err
	}
	p, srv, err := lookup(cfg, name)
	if err != nil {
		return err
	}
	if err := m.readOnly(srv); err != nil {
		return err
	}
	if !p.SignedIn() {
		return &NotLoggedInError{Profile: name, Reason: "is already signed out"}
	}
	unlock, err := m.lockProfile(ctx, p.ID)
	if err != nil {
		return err
	}
	defer unlock()
	return m.forgetLocked(ctx, p)
}

// forgetLocked deletes p's secret and marks it signed out; the caller holds
// p's lock.
func (m *Manager) forgetLocked(ctx context.Context, p Profile) error {
	if err := m.store(p.Storage).Delete(ctx, secretKey(p.ID)); err != nil {
		return fmt.Errorf("could not delete the secret of profile %q from %s: %w", p.Name, m.where(p.Storage), err)
	}
	err := m.Update(ctx, func(cfg *Config) error {
		for i := range cfg.Profiles {
			if cfg.Profiles[i].ID == p.ID {
				cfg.Profiles[i].Storage = StorageNone
				cfg.Profiles[i].StorageFallback = ""
				cfg.Profiles[i].TokenExpiry = time.Time{}
				cfg.Profiles[i].TokenObtained = time.Time{}
				cfg.Profiles[i].HasRefresh = false
			}
		}
		return nil
	})
	if err == nil {
		m.log.Debug("signed out", "profile", p.Name)
	}
	return err
}

// LogoutAll logs out every signed-in profile and returns the names it
// signed out. It goes on after a failure and returns all errors joined.
func (m *Manager) LogoutAll(ctx context.Context) ([]string, error) {
	cfg, err := m.Load(ctx)
	if err != nil {
		return nil, err
	}
	var done []string
	var errs []error
	for _, p := range cfg.Profiles {
		if !p.SignedIn() {
			continue
		}
		if err := m.Logout(ctx, p.Name); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.Name, err))
			continue
		}
		done = append(done, p.Name)
	}
	return done, errors.Join(errs...)
}

// Revoke revokes the refresh token, then the access token, at the server
// (RFC 7009), then forgets them as Logout does. If the server has no
// revocation endpoint (the error wraps auth.ErrNoEndpoint), or revocation
// fails, nothing is forgotten and the error says so (use Logout to forget
// locally anyway).
func (m *Manager) Revoke(ctx context.Context, name string) error {
	cfg, err := m.Load(ctx)
	if err != nil {
		return err
	}
	p, srv, err := lookup(cfg, name)
	if err != nil {
		return err
	}
	if err := m.readOnly(srv); err != nil {
		return err
	}
	if !p.SignedIn() {
		return &NotLoggedInError{Profile: name, Reason: "is signed out, there is nothing to revoke"}
	}
	if srv.Name == "" {
		return fmt.Errorf("profile %q refers to server %q, which is not configured", name, p.Server)
	}
	if srv.RevocationURL == "" {
		return fmt.Errorf("server %q has no revocation endpoint, so its tokens cannot be revoked from here; nothing was forgotten (use logout to forget them locally, and revoke the access in the provider's settings): %w", srv.Name, auth.ErrNoEndpoint)
	}
	unlock, err := m.lockProfile(ctx, p.ID)
	if err != nil {
		return err
	}
	defer unlock()
	sec, err := m.store(p.Storage).Get(ctx, secretKey(p.ID))
	if errors.Is(err, ErrNotFound) {
		return &NotLoggedInError{Profile: name, Reason: "has no stored secret in " + m.where(p.Storage)}
	}
	if err != nil {
		return err
	}
	c := m.Client(srv)
	if sec.RefreshToken != "" {
		if err := c.Revoke(ctx, sec.RefreshToken, "refresh_token"); err != nil {
			return fmt.Errorf("revoking the refresh token of profile %q failed; nothing was forgotten: %w", name, err)
		}
	}
	if err := c.Revoke(ctx, sec.AccessToken, "access_token"); err != nil {
		var oe *auth.OAuthError
		if !(errors.As(err, &oe) && oe.Code == "unsupported_token_type") {
			return fmt.Errorf("revoking the access token of profile %q failed; nothing was forgotten: %w", name, err)
		}
		m.log.Debug("server cannot revoke access tokens", "server", srv.Name)
	}
	m.log.Debug("revoked", "profile", name, "server", srv.Name)
	return m.forgetLocked(ctx, p)
}
