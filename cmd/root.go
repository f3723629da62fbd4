package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/spf13/cobra"
)

// globalFlags are the flags shared by every command.
type globalFlags struct {
	// Profile chooses the profile (--profile).
	Profile string
	// TokenFile overrides every other token source (--token-file).
	TokenFile string
	// Verbose prints the full error chain under an error (--verbose).
	Verbose bool
}

// Main runs the authdeck command line with os.Args and returns the exit
// code. It is the only function of the module that touches the process's
// streams, environment and signals: it hands them to New as authdeck's Host.
func Main(version string) int {
	h := Authdeck(version)
	h.Getenv, h.Environ, h.Getwd = os.Getenv, os.Environ, os.Getwd
	h.Stdin, h.Stdout, h.Stderr = os.Stdin, os.Stdout, os.Stderr

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The credential helpers (run by git, kubectl and docker, and this
	// binary installed as docker-credential-NAME) and `authdeck token` (run
	// by scripts before every request) skip building the command tree when
	// their arguments are simple.
	if code, ok := fastHelper(ctx, h, os.Args[0], os.Args[1:]); ok {
		return code
	}
	if code, ok := fastToken(ctx, h, os.Args[1:]); ok {
		return code
	}

	k, err := New(h)
	if err != nil {
		writeError(os.Stderr, h.Name, err, "", os.Getenv(debugEnv(h)) == "1", nil)
		return ExitError
	}
	root := k.RootCmd(DevServer, Demo)
	root.SetArgs(os.Args[1:])
	return k.Execute(ctx, root)
}

// execute runs root and turns its error into an exit code, printing the
// error on stderr.
func execute(ctx context.Context, root *cobra.Command, f *factory) int {
	strictCompletion(root)
	c, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	if ctx.Err() != nil && !errors.Is(err, errSilent) {
		err = fmt.Errorf("%w", context.Canceled)
	}
	printError(f, c, err)
	return ExitCode(err)
}

// strictCompletion makes `completion SHELL` refuse a shell it has no script
// for: cobra's own command only prints its help then, and exits 0.
func strictCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" || c.Runnable() || !c.HasSubCommands() {
			continue
		}
		var shells []string
		for _, sc := range c.Commands() {
			if sc.IsAvailableCommand() {
				shells = append(shells, sc.Name())
			}
		}
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return c.Help()
			}
			return flagErrorf("no completion script for %q; choose one of %s", textsafe.Clean(args[0]), strings.Join(shells, ", "))
		}
	}
}

func printError(f *factory, c *cobra.Command, err error) {
	var fe *flagError
	next := ""
	if errors.As(err, &fe) {
		next = fe.Next
		if next == "" && c != nil {
			next = fmt.Sprintf("Run '%s --help' for usage.", c.CommandPath())
		}
	}
	verbose := f.Globals().Verbose || f.Getenv != nil && f.Getenv(debugEnv(f.Host)) == "1"
	var cmdLine func(string) string
	if f.reg != nil {
		cmdLine = f.reg.commandLine(f.AppName)
	}
	writeError(f.IO.ErrOut, f.AppName, err, next, verbose, cmdLine)
}

// newRootCmd builds authdeck's whole command tree (tests and docs).
func newRootCmd(f *factory) *cobra.Command { return buildRoot(f, DevServer, Demo) }

// buildRoot builds the command tree: rootCommands and extra. With no
// arguments on a terminal it starts the full-screen account manager;
// otherwise it prints help.
func buildRoot(f *factory, extra ...Command) *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   f.AppName,
		Short: "Sign in to OAuth/OpenID servers from the terminal and keep the tokens safe",
		Long: f.AppName + ` signs you in to OAuth 2.0 / OpenID Connect servers with the device flow,
keeps the tokens in the OS keyring (or a 0600 file), refreshes them, and hands
them to scripts.

Run it with no arguments on a terminal for the full-screen account manager.

Exit codes: 0 ok, 1 error, 2 cancelled, 4 not logged in.`,
		Version:       f.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if !f.IO.CanPrompt() {
				return c.Help()
			}
			return f.runAccounts(c.Context())
		},
	}
	setStreams(root, f.IO)
	root.SetVersionTemplate(`{{.Name}} version {{.Version}}` + "\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &flagError{Err: err} })
	root.PersistentFlags().StringVar(&g.Profile, "profile", "", profileFlagUsage(f.Host))
	root.PersistentFlags().StringVar(&g.TokenFile, "token-file", "", tokenFileFlagUsage)
	root.PersistentFlags().BoolVar(&g.Verbose, "verbose", false, "on error, print the full chain of causes too (or set "+debugEnv(f.Host)+"=1)")
	f.globals = g

	root.AddCommand(f.build(append(append([]Command{}, rootCommands...), extra...))...)
	for _, c := range root.Commands() {
		if c.Name() == "login" {
			f.hookLogin(c)
		}
	}
	friendlyArgs(root)
	return root
}

// browserOrNil is the browser opener to hand to the TUI, or nil when no
// browser can be shown.
func (f *factory) browserOrNil() func(string) error {
	if f.CanOpenBrowser == nil || !f.CanOpenBrowser() {
		return nil
	}
	return f.Browser
}

// Globals returns the global flag values (parsed by the root command).
func (f *factory) Globals() globalFlags {
	if f.globals == nil {
		return globalFlags{}
	}
	return *f.globals
}
