package profiles

import (
	"context"
	"errors"
	"time"

	"github.com/authdeck/authdeck/auth"
	"golang.org/x/oauth2"
)

var errUnimplemented = errors.New("unimplemented")

// Manager is the entry point of the package: open one per App.
type Manager struct {
	app App
}

// Open returns a Manager for app. It does no I/O; files are read on use.
func Open(app App) (*Manager, error) { return &Manager{app: app}, nil }

// App returns the application identity the manager was opened with.
func (m *Manager) App() App { return m.app }

// Load reads the config (an empty one when the file does not exist).
func (m *Manager) Load(ctx context.Context) (*Config, error) { return nil, errUnimplemented }

// Update runs fn on the config under the cross-process lock and writes the
// result atomically. A config that cannot be parsed is never overwritten.
func (m *Manager) Update(ctx context.Context, fn func(*Config) error) error { return errUnimplemented }

// AddServer adds or replaces a server. With an Issuer and no endpoints, the
// endpoints are discovered first.
func (m *Manager) AddServer(ctx context.Context, s Server) (Server, error) {
	return Server{}, errUnimplemented
}

// RemoveServer removes a server; it refuses while profiles use it.
func (m *Manager) RemoveServer(ctx context.Context, name string) error { return errUnimplemented }

// ServerForURL returns the configured server with this issuer, or creates an
// ad-hoc one (named after the host) by discovery, with clientID.
func (m *Manager) ServerForURL(ctx context.Context, issuer, clientID, clientSecret string, scopes []string) (Server, error) {
	return Server{}, errUnimplemented
}

// Client returns the protocol client for a server.
func (m *Manager) Client(s Server) *auth.Client { return nil }

// Selection says which profile applies and why.
type Selection struct {
	Name     string
	ChosenBy string // "flag", "env AUTHDECK_PROFILE", ".authdeck file /path", "active"
}

// Select resolves the profile to use: the flag value, else App.EnvProfile,
// else the directory file (in cwd or a parent), else the active profile.
func (m *Manager) Select(ctx context.Context, flag, cwd string) (Selection, error) {
	return Selection{}, errUnimplemented
}

// SaveOptions tune SaveLogin.
type SaveOptions struct {
	// Profile names the profile; empty means the account's name (made
	// unique per server).
	Profile string
	// Insecure stores the secret in the file on purpose.
	Insecure bool
}

// SaveLogin stores a new login: the secret in the keyring (or the file,
// reported in SaveInfo) and the profile in the config. The first profile
// becomes active.
func (m *Manager) SaveLogin(ctx context.Context, server string, t *oauth2.Token, id *auth.Identity, opt SaveOptions) (Profile, SaveInfo, error) {
	return Profile{}, SaveInfo{}, errUnimplemented
}

// Use makes a profile the active one.
func (m *Manager) Use(ctx context.Context, name string) error { return errUnimplemented }

// Rename renames a profile (its secret stays where it is).
func (m *Manager) Rename(ctx context.Context, oldName, newName string) error { return errUnimplemented }

// Remove deletes a profile and its secret.
func (m *Manager) Remove(ctx context.Context, name string) error { return errUnimplemented }

// Logout forgets a profile's secret locally; the profile stays, signed out.
func (m *Manager) Logout(ctx context.Context, name string) error { return errUnimplemented }

// Revoke revokes the refresh and access tokens at the server (RFC 7009),
// then forgets them as Logout does.
func (m *Manager) Revoke(ctx context.Context, name string) error { return errUnimplemented }

// TokenOptions tune Token.
type TokenOptions struct {
	// MinTTL: refresh first when the token expires within it.
	MinTTL time.Duration
	// TokenFile overrides everything (--token-file): plain text, or JSON
	// with a "token" key.
	TokenFile string
}

// TokenResult is a usable token and where it came from.
type TokenResult struct {
	Token        *oauth2.Token
	Profile      string
	Source       Source
	SourceDetail string
	Refreshed    bool
}

// Token returns a profile's access token, honouring the overrides
// (token file > server env var > App.EnvToken > stored) and refreshing a
// stored token under the profile's lock when it expires within MinTTL, so
// that concurrent processes send one refresh request between them.
func (m *Manager) Token(ctx context.Context, profile string, opt TokenOptions) (*TokenResult, error) {
	return nil, errUnimplemented
}

// TokenSource is an oauth2.TokenSource over Token, for HTTP clients.
func (m *Manager) TokenSource(ctx context.Context, profile string, minTTL time.Duration) oauth2.TokenSource {
	return nil
}

// WhoAmI is the identity of a profile, read fresh from the server.
type WhoAmI struct {
	Profile  Profile
	Server   Server
	Identity *auth.Identity
	Source   Source
	Expiry   time.Time
	Scopes   []string
}

// WhoAmI reads the profile's identity from userinfo (or its ID token claims).
func (m *Manager) WhoAmI(ctx context.Context, profile string) (*WhoAmI, error) {
	return nil, errUnimplemented
}

// Status lists every profile with its token state and source.
func (m *Manager) Status(ctx context.Context, tokenFile string) ([]Status, error) {
	return nil, errUnimplemented
}
