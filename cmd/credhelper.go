package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/authdeck/authdeck/internal/execenv"
	"github.com/authdeck/authdeck/internal/fsutil"
	"github.com/authdeck/authdeck/profiles"
	"github.com/spf13/cobra"
)

// The credential helpers answer git, kubectl and docker with a profile's
// token. Their stdout carries the tool's protocol and nothing else;
// errors go to stderr with the command that fixes them.

// helperEnv is what every credential helper needs.
type helperEnv struct {
	In       io.Reader
	Out      io.Writer
	ErrOut   io.Writer
	Profiles func() (*profiles.Manager, error)
	Getenv   func(string) string
	AppName  string
	Now      func() time.Time
}

// maxHelperInput caps what a helper reads from its tool on stdin.
const maxHelperInput = 64 << 10

// errNoProfile is a helper run without --profile: it would otherwise hand
// the active profile's token to whatever host asked.
func errNoProfile(app, setup string) error {
	return fmt.Errorf("no --profile given, and the helper does not guess one: a token must only go where it belongs; run `%s %s`", app, setup)
}

// helperToken is profile's access token, refreshed first when it expires
// soon (profiles.Manager.Token: the refresh, the lock and the keyring of
// `token`). opt.Rejected is a token the tool has just seen refused: it is
// refreshed whatever its expiry says.
func helperToken(ctx context.Context, e helperEnv, profile string, opt profiles.TokenOptions) (*profiles.TokenResult, error) {
	m, err := e.Profiles()
	if err != nil {
		return nil, err
	}
	res, err := m.Token(ctx, profile, opt)
	if err != nil {
		return nil, err
	}
	if res == nil || res.Token == nil || res.Token.AccessToken == "" {
		return nil, noTokenError(profile, res)
	}
	if res.FallbackReason != "" {
		fmt.Fprintf(e.ErrOut, "%s: the refreshed token of %s went to %s: %s\n", e.AppName, res.Profile, res.SourceDetail, res.FallbackReason)
	}
	return res, nil
}

// defaultUsername is the user name sent beside a token as a password when
// the helper is given none: the server's git_username, else x-access-token
// for GitHub, which wants it, else oauth2 (most others accept anything).
func defaultUsername(ctx context.Context, m *profiles.Manager, profile string) string {
	cfg, err := m.Load(ctx)
	if err != nil {
		return "oauth2"
	}
	if p, ok := cfg.Profile(profile); ok {
		if s, ok := cfg.Server(p.Server); ok {
			switch {
			case s.GitUsername != "":
				return s.GitUsername
			case s.Preset == "github":
				return "x-access-token"
			}
		}
	}
	return "oauth2"
}

// helperError prints err on stderr as every command does, with what fixes
// it, and returns the exit code.
func helperError(e helperEnv, ctx context.Context, err error) int {
	if ctx.Err() != nil {
		err = context.Canceled
	}
	fmt.Fprintf(e.ErrOut, "%s: %s\n", e.AppName, ErrorMessage(err, e.AppName))
	return ExitCode(err)
}

// newCmdCredentialHelper builds `authdeck credential-helper`: git, kubectl
// and docker.
func newCmdCredentialHelper(f *factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "credential-helper",
		Short: "Serve tokens to git, kubectl and docker through their credential-helper protocols",
		Long: `The credential helpers that git, kubectl and docker run to get a password or a
token: each answers with a profile's access token, refreshed first when it
expires soon, exactly as ` + f.AppName + ` token would. Their stdout is the tool's protocol
and nothing else; errors go to stderr with the command that fixes them.

Set them up with ` + f.AppName + ` git setup, ` + f.AppName + ` kube setup and ` + f.AppName + ` docker setup.`,
		Args: cobra.NoArgs,
	}
	c.AddCommand(newCmdGitHelper(f), newCmdKubeHelper(f), newCmdDockerHelper(f))
	return c
}

func (f *factory) helperEnv() helperEnv {
	return helperEnv{In: f.IO.In, Out: f.IO.Out, ErrOut: f.IO.ErrOut, Profiles: f.Profiles, Getenv: f.Getenv, AppName: f.AppName, Now: f.Now}
}

// fastHelper runs a credential helper for host h without building the
// command tree, when the arguments are simple (as fastToken does for
// token): argv0 docker-credential-NAME, or `credential-helper TOOL` with
// only --profile and --username. ok is false otherwise.
func fastHelper(ctx context.Context, h Host, argv0 string, args []string) (code int, ok bool) {
	docker := dockerHelperName(argv0) != ""
	if !docker && (len(args) == 0 || args[0] != "credential-helper") {
		return 0, false
	}
	if !docker {
		args = args[1:]
	}
	h, err := h.withDefaults()
	if err != nil {
		return 0, false
	}
	e := helperEnv{In: h.Stdin, Out: h.Stdout, ErrOut: h.Stderr, Getenv: h.Getenv, AppName: h.Name, Now: time.Now}
	e.Profiles = func() (*profiles.Manager, error) {
		dir, err := h.configDir()
		if err != nil {
			return nil, err
		}
		return profiles.Open(h.profilesApp(dir))
	}
	if docker {
		if len(args) != 1 {
			return dockerUsage(e), true
		}
		return dockerHelperRun(ctx, e, args[0]), true
	}
	if len(args) == 0 {
		return 0, false
	}
	tool, rest := args[0], args[1:]
	var profile, username, action string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		k, v, eq := strings.Cut(a, "=")
		switch {
		case k == "--profile" || k == "--username" && tool == "git":
			if !eq {
				if i+1 >= len(rest) {
					return 0, false
				}
				i++
				v = rest[i]
			}
			if k == "--profile" {
				profile = v
			} else {
				username = v
			}
		case !strings.HasPrefix(a, "-") && action == "":
			action = a
		default:
			return 0, false
		}
	}
	switch {
	case tool == "git" && action != "":
		return gitHelperRun(ctx, e, gitHelperOptions{Profile: profile, Username: username, Action: action}), true
	case tool == "kubectl" && action == "":
		return kubeHelperRun(ctx, e, profile), true
	case tool == "docker" && action != "" && profile == "":
		return dockerHelperRun(ctx, e, action), true
	}
	return 0, false
}

// helperCommand is how a tool's config names this program: its name when
// that is what PATH finds, else the absolute path of the running binary.
func helperCommand(f *factory) string {
	app := f.AppName
	self, err := os.Executable()
	if err != nil {
		return app
	}
	if p, err := execenv.LookPathFunc(f.Getenv)(app); err == nil && sameFile(p, self) {
		return app
	}
	return self
}

func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// selectProfile is the profile a setup command writes: --profile, else
// the one selected as `token` would (env, directory file, active).
func selectProfile(ctx context.Context, f *factory, flag string) (string, error) {
	m, err := f.Profiles()
	if err != nil {
		return "", err
	}
	cwd, _ := f.Cwd()
	sel, err := m.Select(ctx, flag, cwd)
	if err != nil {
		return "", err
	}
	cfg, err := m.Load(ctx)
	if err != nil {
		return "", err
	}
	if _, ok := cfg.Profile(sel.Name); !ok {
		if sel.Name == "" {
			return "", &profiles.NotLoggedInError{Reason: "no profile is active"}
		}
		return "", fmt.Errorf("%w %q; see `%s profiles list`", profiles.ErrUnknownProfile, sel.Name, f.AppName)
	}
	return sel.Name, nil
}

// writeFileAtomic writes data to path atomically (fsutil.WriteFileAtomic),
// keeping the mode of the file it replaces (mode when new).
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	return fsutil.WriteFileAtomic(path, data, mode)
}
