// Package cmd is authdeck's command line, and the way other Go command-line
// programs embed it.
//
// A host application describes itself with a Host (its name, keyring
// service, configuration directory, environment variable names, default
// server, title, logger, environment, working directory and streams) and
// gets a Kit from New:
//
//   - Kit.Commands: fresh login, logout, whoami, token, profiles, revoke and
//     status cobra commands to mount under the host's own root command;
//     their help, output and errors go to the host's Stdout and Stderr;
//   - Kit.TokenSource and Kit.HTTPClient: the signed-in profile's access
//     token for the host's own API calls, refreshed and persisted as needed;
//   - Kit.RunTUI: the full-screen account manager;
//   - Kit.Manager: the profiles manager, for anything else.
//
// authdeck itself is the first such host: Main builds its Host (Authdeck)
// from the process's streams, environment and working directory and runs
// Kit.RootCmd.
//
// What the library touches is what the Host hands it: the environment
// through Host.Getenv and Host.Environ (the browser opener is looked up in
// Getenv's PATH, commands run by exec in Environ's, never the process's
// own), the working directory through Host.Getwd (nil: no per-directory
// file), the streams through Host.Stdin, Stdout and Stderr (the
// full-screen program draws on them too), logs through Host.Logger
// (log/slog; never a secret). Only Main reads the process's environment,
// working directory and streams, and nothing in the library exits the
// process. internal/apicheck's tests enforce this on the source of auth,
// profiles, tui, cmd and the internal packages they import. What they
// cannot see, in the standard and third-party libraries underneath: the
// OS keyring libraries (go-keyring over the session's D-Bus, the macOS
// Keychain, the Windows Credential Manager) find their service from the
// process's environment. HTTP requests take their proxy from the host's
// HTTPS_PROXY, HTTP_PROXY and NO_PROXY (through Getenv) unless
// Host.HTTPClient brings a Transport of its own.
//
// Exit codes (ExitCode): 0 ok, 1 error, 2 cancelled, 4 not logged in.
package cmd
