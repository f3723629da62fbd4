package profiles

import (
	"log/slog"
	"net/http"
	"time"
)

// App is the identity of the host application: everything that would
// otherwise be a constant. authdeck's own is built in cmd; an embedding CLI
// passes its own.
type App struct {
	// Name of the application, as shown to people ("authdeck").
	Name string
	// ConfigDir holds config.toml, credentials.json and the lock files.
	ConfigDir string
	// KeyringService is the service name of keyring items ("authdeck").
	KeyringService string
	// EnvToken names the env var that overrides the stored token
	// ("AUTHDECK_TOKEN"); empty disables it.
	EnvToken string
	// EnvProfile names the env var that chooses the profile
	// ("AUTHDECK_PROFILE"); empty disables it.
	EnvProfile string
	// DirFile is the per-directory profile file name (".authdeck"); empty
	// disables the look-up.
	DirFile string
	// Getenv reads the environment; nil means no environment at all.
	Getenv func(string) string
	// HTTPClient for all server calls; nil means a client with timeouts
	// whose proxy comes from Getenv's HTTPS_PROXY, HTTP_PROXY and NO_PROXY.
	HTTPClient *http.Client
	// Logger receives debug logs; nil discards them. Secrets are never logged.
	Logger *slog.Logger
	// KeyringTimeout bounds each keyring call; zero means 3 seconds.
	KeyringTimeout time.Duration
	// Secrets overrides the keyring (tests, or hosts with their own store);
	// nil means the OS keyring under KeyringService.
	Secrets SecretStore
	// SecretsName is what Secrets is called where people see it (status,
	// whoami, --json "storage", the TUI, messages): "" means "keyring".
	// A host with its own store names it ("vault"), so its users are never
	// told their tokens are in the OS keyring. On disk the storage is still
	// "keyring" (StorageKeyring): the store standing in for the keyring.
	SecretsName string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Command says how the user runs the application's command at path
	// ("login", "profiles use", "servers add"): the command line that
	// messages suggest ("acme login"), or "" when the application has no
	// such command, and messages then leave the suggestion out. nil means
	// Name followed by path, for every path.
	Command func(path string) string
}

// StorageName is what storage s is called where people see it: SecretsName
// (else "keyring") for StorageKeyring, the value itself otherwise ("file",
// or "" for no secret).
func (a App) StorageName(s Storage) string {
	if s == StorageKeyring {
		return a.secretsName()
	}
	return string(s)
}

// SourceName is what token source s is called where people see it:
// SecretsName (else "keyring") for SourceKeyring, the value itself
// otherwise.
func (a App) SourceName(s Source) string {
	if s == SourceKeyring {
		return a.secretsName()
	}
	return string(s)
}

// secretsName is SecretsName, else "keyring".
func (a App) secretsName() string {
	if a.SecretsName != "" {
		return a.SecretsName
	}
	return "keyring"
}

// customSecrets reports whether SecretsName names a store other than the
// OS keyring.
func (a App) customSecrets() bool { return a.SecretsName != "" && a.SecretsName != "keyring" }
