// Package profiles keeps servers, profiles and their secrets, and holds the
// use cases that the command line and the TUI share: save a login,
// refresh-and-persist, logout, revoke, whoami, status.
//
// The host application's identity (its name, config directory, keyring
// service and environment variable names) is a parameter (App), never a
// constant, so other Go CLIs can embed this package. The package never
// writes to stdout or stderr, never exits the process and reads the
// environment only through App.Getenv.
//
// Config (no secrets) lives in config.toml under App.ConfigDir. Secrets live
// in the OS keyring (go-keyring, every call under a timeout), or, when no
// keyring answers or the user asks for it, in credentials.json (0600) beside
// the config; every use of the file is reported. Every read-modify-write
// runs under a cross-process lock and every write is atomic.
package profiles
