package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/authdeck/authdeck/internal/execenv"
	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
	"github.com/docker/docker-credential-helpers/credentials"
	"github.com/spf13/cobra"
)

// dockerHelperPrefix starts the name of every docker credential helper
// binary: docker runs docker-credential-NAME for credHelpers' NAME.
const dockerHelperPrefix = "docker-credential-"

// dockerHelperName is NAME when argv0 is a docker-credential-NAME binary
// (the same program, installed or linked under that name), else "".
func dockerHelperName(argv0 string) string {
	base := strings.TrimSuffix(filepath.Base(argv0), ".exe")
	name, ok := strings.CutPrefix(base, dockerHelperPrefix)
	if !ok {
		return ""
	}
	return name
}

func newCmdDockerHelper(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "docker get|store|erase|list|version",
		Short: "docker's credential helper: a profile's token for a registry",
		Long: `docker's credential helper (the docker-credential-helpers protocol). The same
program installed or linked as docker-credential-` + f.AppName + ` runs this, which is what
docker runs for a registry whose credHelpers entry in ~/.docker/config.json is
"` + f.AppName + `".

get answers the registry's credentials: the user name (x-access-token for a
GitHub server, else oauth2) and the token of the profile whose
docker_registries has the registry's host, refreshed first when it expires
soon; "credentials not found in native keychain" for a host no profile has.
erase (docker logout) takes the host out of the profile's docker_registries.
store (docker login) keeps nothing, since the profile has the token; it fails
for a host no profile has. list prints the mapped hosts.

Errors are written on stdout, as the protocol wants, and on stderr with the
command that fixes them. ` + f.AppName + ` docker setup HOST --profile NAME maps a host.`,
		Example: `  echo ghcr.io | docker-credential-` + f.AppName + ` get
  echo ghcr.io | ` + f.AppName + ` credential-helper docker get`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"get", "store", "erase", "list", "version"},
		RunE: func(c *cobra.Command, args []string) error {
			if code := dockerHelperRun(c.Context(), f.helperEnv(), args[0]); code != ExitOK {
				return &exitStatusError{Code: code}
			}
			return nil
		},
	}
}

// dockerUsage prints the protocol's usage line and returns 1.
func dockerUsage(e helperEnv) int {
	fmt.Fprintf(e.Out, "Usage: %s%s <store|get|erase|list|version>\n", dockerHelperPrefix, e.AppName)
	return ExitError
}

// dockerHelper is a credentials.Helper over the profiles.
type dockerHelper struct {
	ctx context.Context
	e   helperEnv
	m   *profiles.Manager
}

// errNotMapped is a registry host no profile serves.
type errNotMapped struct{ host, app string }

func (e *errNotMapped) Error() string {
	return fmt.Sprintf("no profile serves registry %s; run `%s docker setup %s --profile NAME`", textsafe.Clean(e.host), e.app, textsafe.Clean(e.host))
}

func (h *dockerHelper) profileFor(serverURL string) (string, error) {
	cfg, err := h.m.Load(h.ctx)
	if err != nil {
		return "", err
	}
	return cfg.RegistryProfile(serverURL), nil
}

// Add is docker login's store: the profile keeps the token, so there is
// nothing to keep; a host no profile serves is refused.
func (h *dockerHelper) Add(c *credentials.Credentials) error {
	p, err := h.profileFor(c.ServerURL)
	if err != nil {
		return err
	}
	if p == "" {
		return &errNotMapped{c.ServerURL, h.e.AppName}
	}
	return nil
}

// Delete is docker logout's erase: the host leaves its profile.
func (h *dockerHelper) Delete(serverURL string) error {
	p, err := h.m.UnmapRegistry(h.ctx, serverURL)
	if err == nil && p != "" {
		fmt.Fprintf(h.e.ErrOut, "%s: registry %s no longer gets the token of profile %s\n", h.e.AppName, textsafe.Clean(serverURL), p)
	}
	return err
}

// Get answers the registry's user name and the profile's token.
func (h *dockerHelper) Get(serverURL string) (string, string, error) {
	p, err := h.profileFor(serverURL)
	if err != nil {
		return "", "", err
	}
	if p == "" {
		return "", "", credentials.NewErrCredentialsNotFound()
	}
	res, err := helperToken(h.ctx, h.e, p, profiles.TokenOptions{})
	if err != nil {
		return "", "", err
	}
	return defaultUsername(h.ctx, h.m, p), res.Token.AccessToken, nil
}

// List maps every served host to its user name.
func (h *dockerHelper) List() (map[string]string, error) {
	cfg, err := h.m.Load(h.ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, p := range cfg.Profiles {
		for _, host := range p.DockerRegistries {
			out[host] = defaultUsername(h.ctx, h.m, p.Name)
		}
	}
	return out, nil
}

// dockerHelperRun answers one docker credential request; it returns the
// exit code. Errors go on stdout (the protocol) and on stderr.
func dockerHelperRun(ctx context.Context, e helperEnv, action string) int {
	switch action {
	case "get", "store", "erase", "list", "version":
	default:
		return dockerUsage(e)
	}
	if action == "version" {
		fmt.Fprintf(e.Out, "%s%s (github.com/authdeck/authdeck)\n", dockerHelperPrefix, e.AppName)
		return ExitOK
	}
	m, err := e.Profiles()
	if err == nil {
		var out bytes.Buffer
		err = credentials.HandleCommand(&dockerHelper{ctx: ctx, e: e, m: m}, action, &limitedReader{r: e.In, n: maxHelperInput}, &out)
		if err == nil {
			if _, err := e.Out.Write(out.Bytes()); err != nil {
				return helperError(e, ctx, err)
			}
			return ExitOK
		}
	}
	if credentials.IsErrCredentialsNotFound(err) {
		fmt.Fprintln(e.Out, err.Error()) // the protocol's exact words
		return ExitError
	}
	fmt.Fprintln(e.Out, ErrorMessage(err, e.AppName))
	return helperError(e, ctx, err)
}

// limitedReader is io.LimitReader that fails, rather than truncates, past
// n bytes.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("more input than a credential request holds")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// dockerSetupOptions are the inputs of `authdeck docker setup`.
type dockerSetupOptions struct {
	Host  string
	Print bool
}

func newCmdDocker(f *factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "docker",
		Short: "Use a profile's token as a container registry's credential: setup",
		Args:  cobra.NoArgs,
	}
	o := &dockerSetupOptions{}
	setup := &cobra.Command{
		Use:   "setup HOST",
		Short: "Make docker ask " + f.AppName + " for registry HOST's credentials",
		Long: `Map the registry HOST (like ghcr.io or registry.example.com:5000) to the
profile (--profile, else the one ` + f.AppName + ` token would use): the host goes into
the profile's docker_registries in the config, and out of any other profile's.
Then set "credHelpers": {"HOST": "` + f.AppName + `"} in docker's config.json
($DOCKER_CONFIG/config.json, else ~/.docker/config.json), keeping everything
else in it; a config.json that cannot be parsed is left alone.

docker then runs docker-credential-` + f.AppName + `, which must be on PATH: it is
installed beside ` + f.AppName + ` by the release archives, or link it:
ln -s "$(command -v ` + f.AppName + `)" ~/.local/bin/docker-credential-` + f.AppName + `.

--print maps the host and prints the credHelpers entry instead of writing
config.json.`,
		Example: `  ` + f.AppName + ` docker setup ghcr.io --profile gh
  ` + f.AppName + ` docker setup registry.example.com:5000 --profile work --print`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			host, ok := profiles.RegistryHost(args[0])
			if !ok {
				return flagErrorf("HOST %q is not a registry host; give it like ghcr.io or registry.example.com:5000", textsafe.Clean(args[0]))
			}
			o.Host = host
			return dockerSetupRun(c.Context(), f, o)
		},
	}
	setup.Flags().BoolVar(&o.Print, "print", false, "print the credHelpers entry instead of writing docker's config.json")
	c.AddCommand(setup)
	return c
}

// dockerConfigPath is docker's config.json: $DOCKER_CONFIG, else
// ~/.docker.
func dockerConfigPath(getenv func(string) string) (string, error) {
	if d := getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json"), nil
	}
	home, err := userHomeDir(runtime.GOOS, getenv)
	if err != nil {
		return "", fmt.Errorf("cannot find docker's config.json: %v; set DOCKER_CONFIG", err)
	}
	return filepath.Join(home, ".docker", "config.json"), nil
}

func dockerSetupRun(ctx context.Context, f *factory, o *dockerSetupOptions) error {
	profile, err := selectProfile(ctx, f, f.Globals().Profile)
	if err != nil {
		return err
	}
	path, err := dockerConfigPath(f.Getenv)
	if err != nil {
		return err
	}
	// Read docker's config first: a file that cannot be parsed stops the
	// setup before anything is changed.
	doc := map[string]json.RawMessage{}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("reading docker's config: %w", err)
	case len(bytes.TrimSpace(data)) > 0:
		if err := json.Unmarshal(data, &doc); err != nil {
			return fmt.Errorf("docker's config %s is not valid JSON (%v); it was left alone: fix it, or run `%s docker setup %s --print` and add the entry by hand", path, err, f.AppName, o.Host)
		}
	}
	helpers := map[string]string{}
	if raw, ok := doc["credHelpers"]; ok {
		if err := json.Unmarshal(raw, &helpers); err != nil {
			return fmt.Errorf("credHelpers in %s is not an object of strings (%v); it was left alone: fix it, or run `%s docker setup %s --print` and add the entry by hand", path, err, f.AppName, o.Host)
		}
	}
	m, err := f.Profiles()
	if err != nil {
		return err
	}
	if _, err := m.MapRegistry(ctx, o.Host, profile); err != nil {
		return err
	}
	entry, _ := json.Marshal(map[string]map[string]string{"credHelpers": {o.Host: f.AppName}})
	if o.Print {
		fmt.Fprintf(f.IO.Out, "%s\n", entry)
		fmt.Fprintf(f.IO.ErrOut, "Registry %s gets the token of profile %s; add the entry above to %s\n", o.Host, profile, path)
		return nil
	}
	helpers[o.Host] = f.AppName
	doc["credHelpers"], _ = json.Marshal(helpers)
	out, err := json.MarshalIndent(doc, "", "\t")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, append(out, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing docker's config: %w", err)
	}
	fmt.Fprintf(f.IO.ErrOut, "docker now asks %s for registry %s's credentials, with the token of profile %s (%s)\n", f.AppName, o.Host, profile, path)
	if _, err := execenv.LookPathFunc(f.Getenv)(dockerHelperPrefix + f.AppName); err != nil {
		fmt.Fprintf(f.IO.ErrOut, "%s\n", f.IO.Warn(fmt.Sprintf("docker-credential-%s is not on PATH, and docker needs it: ln -s \"$(command -v %s)\" ~/.local/bin/docker-credential-%s", f.AppName, f.AppName, f.AppName)))
	}
	return nil
}
