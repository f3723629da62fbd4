package cmd

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/authdeck/authdeck/internal/execenv"
	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
	"github.com/spf13/cobra"
)

// exitStatusError carries an exit code to pass through as the process's
// own (exec's child status, or 126/127 when the command cannot run). Its
// message has already been printed, if any: it matches errSilent.
type exitStatusError struct{ Code int }

// Error returns "exit status N".
func (e *exitStatusError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Is makes exitStatusError match errSilent, so nothing more is printed.
func (e *exitStatusError) Is(target error) bool { return target == errSilent }

// execOptions are the inputs of `authdeck exec`.
type execOptions struct {
	IO       *ioStreams
	Profiles func() (*profiles.Manager, error)
	Cwd      func() (string, error)
	AppName  string
	// Environ is the environment handed to the command (plus the token);
	// nil means none (Main passes os.Environ through Host.Environ).
	Environ func() []string
	// Signals are forwarded to the command; nil means
	// execenv.ForwardedSignals().
	Signals []os.Signal

	Profile   string
	TokenFile string
	EnvName   string
	MinTTL    time.Duration
	Args      []string
}

// newCmdExec builds `authdeck exec`. runF replaces execRun in tests.
func newCmdExec(f *factory, runF func(*execOptions) error) *cobra.Command {
	opts := &execOptions{IO: f.IO, Profiles: f.Profiles, Cwd: f.Cwd, AppName: f.AppName, Environ: f.Host.Environ}
	c := &cobra.Command{
		Use:   "exec [--env NAME] -- COMMAND [ARG...]",
		Short: "Run a command with the profile's token in an environment variable",
		Long: `Run COMMAND with a fresh access token (valid for at least --min-ttl) in an
environment variable: --env NAME, else the env var configured for the profile's
server (servers add --env-var), else ` + execDefaultEnv(f.Host) + `.

The command gets this process's stdin, stdout and stderr; SIGINT, SIGTERM and
SIGHUP are forwarded to it (a Ctrl-C typed at the terminal reaches it directly,
once); its exit code becomes ` + f.AppName + `'s (128+N when signal N killed it, 127
when it is not found, 126 when it cannot be run). The token is never put on the
command line, where other users could see it.

The token is not refreshed while the command runs: use --min-ttl to ask for
one that lasts long enough.`,
		Example: `  ` + f.AppName + ` exec -- ./deploy.sh
  ` + f.AppName + ` exec --profile work --env GITHUB_TOKEN -- gh repo list
  ` + f.AppName + ` exec --min-ttl 1h -- python train.py`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			g := f.Globals()
			opts.Profile, opts.TokenFile = g.Profile, g.TokenFile
			opts.Args = args
			if opts.EnvName != "" && !execenv.ValidName(opts.EnvName) {
				return flagErrorf("--env %q is not an environment variable name (letters, digits and _, not starting with a digit)", textsafe.Clean(opts.EnvName))
			}
			if opts.MinTTL < 0 {
				return flagErrorf("--min-ttl must not be negative")
			}
			if !c.Flags().Changed("min-ttl") {
				opts.MinTTL = 0 // profiles' default: 5m, at most half the token's life
			} else if opts.MinTTL == 0 {
				opts.MinTTL = profiles.NoMinTTL // an explicit 0 means no margin, as for token
			}
			if runF != nil {
				return runF(opts)
			}
			return execRun(c.Context(), opts)
		},
	}
	// Everything after COMMAND belongs to it, flags included.
	c.Flags().SetInterspersed(false)
	c.Flags().StringVar(&opts.EnvName, "env", "", "put the token in environment variable `NAME`")
	c.Flags().DurationVar(&opts.MinTTL, "min-ttl", defaultMinTTL, "refresh first when the token expires within `DURATION`")
	return c
}

func execRun(ctx context.Context, o *execOptions) error {
	path, code, err := execenv.LookPath(o.Args[0], execenv.Getenv(o.Environ)) // the command's PATH, not the process's
	if err != nil {
		fmt.Fprintf(o.IO.ErrOut, "%s: %s\n", o.AppName, textsafe.Clean(err.Error()))
		return &exitStatusError{Code: code}
	}
	m, err := o.Profiles()
	if err != nil {
		return err
	}
	// One read of the config chooses the profile (flag, env, directory
	// file, active) and finds its token.
	cwd, _ := o.Cwd()
	tr, err := m.Token(ctx, o.Profile, profiles.TokenOptions{MinTTL: o.MinTTL, TokenFile: o.TokenFile, Cwd: cwd})
	if err != nil {
		return err
	}
	if tr == nil || tr.Token == nil || tr.Token.AccessToken == "" {
		return noTokenError(o.Profile, tr)
	}
	selectionWarning(o.IO.ErrOut, o.IO.Warn, tr.Warning)
	envName, err := execEnvName(ctx, m, o.EnvName, tr.Profile)
	if err != nil {
		return err
	}
	environ := func() []string { return nil }
	if o.Environ != nil {
		environ = o.Environ
	}
	sigs := o.Signals
	if sigs == nil {
		sigs = execenv.ForwardedSignals()
	}

	c := exec.Command(path, o.Args[1:]...)
	c.Args[0] = o.Args[0]
	c.Env = execenv.Env(environ(), envName, tr.Token.AccessToken)
	c.Stdin, c.Stdout, c.Stderr = o.IO.In, o.IO.Out, o.IO.ErrOut
	code, err = execenv.Run(c, sigs)
	if err != nil {
		fmt.Fprintf(o.IO.ErrOut, "%s: running %s: %s\n", o.AppName, textsafe.Clean(o.Args[0]), textsafe.Clean(err.Error()))
		return &exitStatusError{Code: 126}
	}
	if code != 0 {
		return &exitStatusError{Code: code}
	}
	return nil
}

// execEnvName is the variable the token goes in: the flag, else the
// profile's server's env var, else the application's token variable.
func execEnvName(ctx context.Context, m *profiles.Manager, flag, profile string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if profile != "" {
		cfg, err := m.Load(ctx)
		if err != nil {
			return "", err
		}
		if p, ok := cfg.Profile(profile); ok {
			if s, ok := cfg.Server(p.Server); ok && s.EnvVar != "" {
				return s.EnvVar, nil
			}
		}
	}
	if n := m.App().EnvToken; n != "" {
		return n, nil
	}
	return envPrefix(m.App().Name) + "_TOKEN", nil
}

// execDefaultEnv is the variable exec uses when neither --env nor the
// server names one: the host's token variable.
func execDefaultEnv(h Host) string {
	if h.EnvToken != "" {
		return h.EnvToken
	}
	return envPrefix(h.Name) + "_TOKEN"
}
