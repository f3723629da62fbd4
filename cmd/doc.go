// Package cmd is authdeck's command line, and the way other Go command-line
// programs embed it.
//
// A host application describes itself with a Host (its name, keyring
// service, configuration directory, environment variable names, default
// server, title, logger, environment and streams) and gets a Kit from New:
//
//   - Kit.Commands: fresh login, logout, whoami, token, profiles, revoke and
//     status cobra commands to mount under the host's own root command;
//   - Kit.TokenSource and Kit.HTTPClient: the signed-in profile's access
//     token for the host's own API calls, refreshed and persisted as needed;
//   - Kit.RunTUI: the full-screen account manager;
//   - Kit.Manager: the profiles manager, for anything else.
//
// authdeck itself is the first such host: Main builds its Host (Authdeck)
// from the process's streams and environment and runs Kit.RootCmd. Nothing
// else in the module reads the process environment, writes to os.Stdout or
// os.Stderr, or exits the process.
//
// Exit codes (ExitCode): 0 ok, 1 error, 2 cancelled, 4 not logged in.
package cmd
