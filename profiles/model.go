package profiles

import (
	"time"

	"github.com/authdeck/authdeck/auth"
)

// ConfigVersion is the config file format version this package writes.
const ConfigVersion = 1

// Config is the content of config.toml. It holds no secrets (client
// secrets are in the secret store, see Server.ClientSecret).
type Config struct {
	// Version is the file format version (TOML key "version"). A file
	// without one is read as ConfigVersion; a higher version, written by a
	// newer release, is refused. Every write sets it to ConfigVersion.
	Version int `toml:"version"`
	// Active is the name of the active profile (TOML key "active"), used
	// when no flag, environment variable or directory file chooses one;
	// "" when none is active.
	Active string `toml:"active,omitempty"`
	// Settings are the user's preferences (TOML table [settings]).
	Settings Settings `toml:"settings"`
	// Servers are the configured authorization servers (TOML tables
	// [[servers]]), with unique names.
	Servers []Server `toml:"servers,omitempty"`
	// Profiles are the accounts, signed in or out (TOML tables
	// [[profiles]]), with unique names.
	Profiles []Profile `toml:"profiles,omitempty"`
}

// Settings are user preferences.
type Settings struct {
	// Storage is "auto" (keyring, else file) or "file" (always the file).
	Storage string `toml:"storage,omitempty"`
}

// Server is an authorization server and this application's client there.
type Server struct {
	// Name identifies the server (TOML key "name"): unique, non-empty, at
	// most 128 bytes, no whitespace or control characters (ValidateName).
	// Profiles refer to it by this name.
	Name string `toml:"name"`
	// Endpoints are the server's issuer and endpoint URLs (TOML keys
	// issuer, auth_url, device_url, token_url, revoke_url, userinfo_url,
	// introspect_url). A server needs a token_url, or an issuer from whose
	// metadata login discovers the rest.
	auth.Endpoints
	// ClientID is this application's client id registered with the
	// provider (TOML key "client_id"); required.
	ClientID string `toml:"client_id"`
	// ClientSecret is for providers that want one from installed apps
	// (Google), or confidential clients. It is held in memory only: the
	// config file never has it. AddServer (and any Update that sets it)
	// keeps it in the secret store under "client:NAME", where
	// ClientSecretStorage says; Load leaves it empty, and Client reads it
	// from the store only when a request needs it (ClientSecret). A
	// client_secret key in a config written by an older release is read
	// into it, and moved to the store by the next write of the config.
	ClientSecret string `toml:"-" json:"-"`
	// ClientSecretStorage says where the client secret is kept ("" when
	// the client has none).
	ClientSecretStorage Storage `toml:"client_secret_storage,omitempty"`
	// Scopes are the scopes a login requests unless told otherwise (TOML
	// key "scopes"); when empty, no scope is sent and the server applies
	// its default. A profile records them as granted when the server does
	// not say which it granted.
	Scopes []string `toml:"scopes,omitempty"`
	// Params are extra request parameters (TOML key "params", a list of
	// "KEY=VALUE" strings; a key may repeat): audience, prompt, login_hint,
	// acr_values, resource (RFC 8707) and the like, sent with every
	// authorization request, and those meaningful at the token endpoint
	// (audience, resource) with client credentials and token exchange
	// requests. Names the client sets itself (client_id, scope,
	// redirect_uri, state...) are refused (auth.CheckParam).
	Params []string `toml:"params,omitempty"`
	// EnvVar, when set, names an environment variable whose value overrides
	// the stored token of this server's profiles.
	EnvVar string `toml:"env_var,omitempty"`
	// APIHosts are origins besides the issuer's and the userinfo
	// endpoint's that the server's tokens may be sent to, by `api` and
	// Kit.HTTPClient (TOML key "api_hosts"): "host[:port]" for https, or
	// "http://host:port" for a loopback host. See Origins.
	APIHosts []string `toml:"api_hosts,omitempty"`
	// Preset names the provider preset the server was made from, if any.
	Preset string `toml:"preset,omitempty"`
	// Discovered is when the endpoints were read from the issuer's metadata.
	Discovered time.Time `toml:"discovered,omitempty"`
}

// HasClientSecret reports whether the server's client has a secret (held
// in memory, or kept in the secret store).
func (s Server) HasClientSecret() bool {
	return s.ClientSecret != "" || s.ClientSecretStorage != StorageNone
}

// Storage says where a profile's secret lives.
type Storage string

// Where a secret lives.
const (
	StorageKeyring Storage = "keyring" // the OS keyring (or App.Secrets)
	StorageFile    Storage = "file"    // credentials.json beside the config
	StorageNone    Storage = ""        // signed out
)

// Profile is one signed-in account on one server. Its secret is keyed by ID,
// so renaming a profile never moves a secret.
type Profile struct {
	// Name is what the user calls the profile (TOML key "name"): unique,
	// checked by ValidateName, and free to change (see ID).
	Name string `toml:"name"`
	// ID is the profile's permanent random id, 16 hex digits (TOML key
	// "id"); its secret is kept under "profile:ID".
	ID string `toml:"id"`
	// Server is the Name of the profile's server (TOML key "server").
	Server string `toml:"server"`
	// Subject is the account's sub claim, its stable identifier at the
	// server (TOML key "subject"); "" when the login gave no identity. A
	// re-login with the same server and subject reuses the profile.
	Subject string `toml:"subject,omitempty"`
	// Username is the account's user name (preferred_username, login or
	// email), as the server reported it at the last login (TOML key
	// "username"); "" when unknown.
	Username string `toml:"username,omitempty"`
	// Email is the account's email claim from the last login (TOML key
	// "email"); "" when unknown.
	Email string `toml:"email,omitempty"`
	// Storage is where the profile's secret is kept (TOML key "storage"):
	// StorageKeyring, StorageFile (credentials.json), or StorageNone (""),
	// which means signed out.
	Storage Storage `toml:"storage,omitempty"`
	// StorageFallback says why the secret is in the credentials file
	// although the keyring was wanted (the keyring's error at the login or
	// refresh that fell back); "" otherwise.
	StorageFallback string `toml:"storage_fallback,omitempty"`
	// Scopes granted, as the server reported them.
	Scopes []string `toml:"scopes,omitempty"`
	// TokenExpiry and HasRefresh mirror the stored secret so listing does
	// not touch the keyring.
	TokenExpiry time.Time `toml:"token_expiry,omitempty"`
	// TokenObtained is when the token was obtained (login or refresh), so
	// that status caps "expiring" at half its lifetime as Token does.
	TokenObtained time.Time `toml:"token_obtained,omitempty"`
	// HasRefresh is whether the stored secret has a refresh token (TOML
	// key "has_refresh"); see TokenExpiry.
	HasRefresh bool `toml:"has_refresh,omitempty"`
	// LoggedInAt is when the last login was saved, in UTC to the second
	// (TOML key "logged_in_at"); zero if never.
	LoggedInAt time.Time `toml:"logged_in_at,omitempty"`
	// Grant is how the token was obtained when that was not a person
	// signing in (TOML key "grant"): GrantClientCredentials, whose
	// expired token Token obtains anew with the server's stored client
	// secret, or GrantTokenExchange; "" for a person's login.
	Grant string `toml:"grant,omitempty"`
	// Params are the extra parameters (KEY=VALUE) the token was obtained
	// with, when they differ from the server's (login --param); a client
	// credentials profile obtains its next token with them too.
	Params []string `toml:"params,omitempty"`
	// DockerRegistries are the container registry hosts ("ghcr.io",
	// "registry.example.com:5000") whose credentials the docker credential
	// helper answers with this profile's token (TOML key
	// "docker_registries"); a host belongs to one profile at most. See
	// MapRegistry.
	DockerRegistries []string `toml:"docker_registries,omitempty"`
}

// Account is the best short name of the profile's account.
func (p Profile) Account() string {
	switch {
	case p.Username != "":
		return p.Username
	case p.Email != "":
		return p.Email
	}
	return p.Subject
}

// SignedIn reports whether the profile has a stored secret.
func (p Profile) SignedIn() bool { return p.Storage != StorageNone }

// Source says where a token came from.
type Source string

// Where a token comes from, first match wins.
const (
	SourceTokenFile Source = "token-file" // --token-file
	SourceServerEnv Source = "server-env" // the server's configured env var
	SourceEnv       Source = "env"        // App.EnvToken (AUTHDECK_TOKEN)
	SourceKeyring   Source = "keyring"
	SourceFile      Source = "file" // credentials.json
)

// ReadOnly reports whether tokens from s are outside our control, so logout
// and revoke must refuse them.
func (s Source) ReadOnly() bool {
	return s == SourceTokenFile || s == SourceServerEnv || s == SourceEnv
}

// TokenState summarises a token's usability.
type TokenState string

// The states of a token, as status shows them.
const (
	StateValid       TokenState = "valid"
	StateExpiring    TokenState = "expiring"    // valid but within MinTTL
	StateRefreshable TokenState = "refreshable" // expired, has a refresh token
	StateExpired     TokenState = "expired"
	StateSignedOut   TokenState = "signed-out"
	StateExternal    TokenState = "external" // from env or a token file: expiry unknown
	// StateMissing: the config says the secret is in credentials.json, but
	// it is not there (the file was deleted, or edited).
	StateMissing TokenState = "missing"
	// StateUnreadable: credentials.json cannot be read or parsed.
	StateUnreadable TokenState = "unreadable"
)

// Status is one row of `status`: a profile with its server and where its
// token comes from. It holds no secret.
type Status struct {
	// Profile is the profile as the config has it (not in JSON).
	Profile Profile `json:"-"`
	// Name is the profile's name.
	Name string `json:"profile"`
	// Active is whether it is the config's active profile.
	Active bool `json:"active"`
	// Server is the name of the profile's server.
	Server string `json:"server"`
	// Issuer is the server's issuer URL; "" when the server has none or
	// is not configured.
	Issuer string `json:"issuer,omitempty"`
	// Account is the best short name of the account (Profile.Account);
	// "" when the login gave no identity.
	Account string `json:"account,omitempty"`
	// Storage is where the profile's secret is kept (Profile.Storage);
	// StorageNone ("") when signed out.
	Storage Storage `json:"storage,omitempty"`
	// Source is where a token for the profile would come from now: an
	// override (token file, env var) first, else its storage; "" when it
	// is signed out and no override applies.
	Source       Source `json:"token_source,omitempty"`
	SourceDetail string `json:"token_source_detail,omitempty"` // env var name or file path
	// State is the token's usability, computed without network or
	// keyring access.
	State TokenState `json:"token_state"`
	// Expiry is when the stored access token expires, as the config
	// records it; zero when unknown: no expiry given, signed out, a token
	// from an override, or a secret missing from or unreadable in
	// credentials.json.
	Expiry time.Time `json:"expires_at,omitzero"`
	// HasRefresh is whether the stored secret has a refresh token; false
	// whenever Expiry is zeroed for an override or a missing or unreadable
	// secret.
	HasRefresh bool   `json:"has_refresh"`
	ChosenBy   string `json:"chosen_by,omitempty"` // "flag", "env", ".authdeck file PATH", "active"
	// TimeLeft is Expiry minus the time Status ran: negative once the
	// token has expired, and 0 when Expiry is zero (not in JSON).
	TimeLeft time.Duration `json:"-"`
	// Note says what is wrong and what to do, for the states missing and
	// unreadable, and when credentials.json is readable by other users.
	Note string `json:"note,omitempty"`
}

// SaveInfo reports where a login's secret was saved.
type SaveInfo struct {
	// Storage is where the secret was saved: StorageKeyring or
	// StorageFile.
	Storage Storage
	// InsecureStorage is true when the secret went to the plain file.
	InsecureStorage bool
	// FallbackReason says why the keyring was not used ("" when it was, or
	// when the file was chosen on purpose).
	FallbackReason string
	// Path is the credentials file, when used.
	Path string
	// Note is a warning to show, if any: the credentials file was readable
	// by other users before this write (which made it 0600).
	Note string
}
