package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/execenv"
	"github.com/authdeck/authdeck/internal/hostproxy"
	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
	"github.com/authdeck/authdeck/tui"
	"github.com/spf13/cobra"
	"golang.org/x/oauth2"
)

// NoEnv, as the value of one of Host's Env* fields or DirFile, turns that
// variable (or file) off.
const NoEnv = "-"

// Host is the identity of the application that embeds authdeck: everything
// that would otherwise be a constant. authdeck itself is one host (see
// Authdeck); another Go CLI passes its own to New.
//
// Only Name is required. The library reads the environment only through
// Getenv and Environ and the working directory only through Getwd, and
// writes only to Stdout and Stderr (see the package documentation for the
// known exceptions).
type Host struct {
	// Name of the command, as typed and shown in help ("acme"). Letters,
	// digits, '-' and '_'.
	Name string
	// Version of the host binary, shown by --version on RootCmd.
	Version string
	// KeyringService is the service name of the keyring items; empty means
	// Name.
	KeyringService string
	// ConfigDir holds config.toml and credentials.json. Empty means the
	// EnvConfigDir variable, else the user's configuration directory
	// ($XDG_CONFIG_HOME or ~/.config on Linux, as os.UserConfigDir, but read
	// through Getenv) joined with Name.
	ConfigDir string
	// EnvPrefix is the prefix of the environment variables below; empty
	// means Name in upper case with every other character than a letter or
	// digit replaced by '_' ("acme-cli" gives ACME_CLI).
	EnvPrefix string
	// EnvToken names the variable whose value overrides the stored token;
	// empty means EnvPrefix+"_TOKEN", NoEnv turns it off.
	EnvToken string
	// EnvProfile names the variable that chooses the profile; empty means
	// EnvPrefix+"_PROFILE", NoEnv turns it off.
	EnvProfile string
	// EnvConfigDir names the variable that overrides the default
	// configuration directory; empty means EnvPrefix+"_CONFIG_DIR", NoEnv
	// turns it off.
	EnvConfigDir string
	// EnvClientSecret names the variable that carries a client secret for
	// login and servers add; empty means EnvPrefix+"_CLIENT_SECRET", NoEnv
	// turns it off.
	EnvClientSecret string
	// DirFile is the per-directory file naming a profile; empty means "."
	// followed by Name, NoEnv turns the look-up off.
	DirFile string
	// DefaultServer is the server login uses when no --server is given. It
	// is added to the configuration (by name, discovering its endpoints when
	// only an Issuer is set) the first time login or the TUI needs it; a
	// server of the same name already configured is left as it is.
	DefaultServer *profiles.Server
	// Title is shown in the full-screen program's header; empty means Name.
	Title string
	// Theme is the full-screen program's branding: its accent and
	// highlight colours, as plain strings ("#7D56F4"), with variants for
	// dark backgrounds. The zero Theme is authdeck's.
	Theme tui.Theme
	// HideActions are the full-screen program's account actions the host
	// does not offer (tui.ActionRevoke, ...): hidden and without effect.
	HideActions []tui.Action
	// Logger receives debug logs (never a secret); nil discards them.
	Logger *slog.Logger
	// Getenv reads the environment; nil means an empty environment. Pass
	// os.Getenv to honour the process's.
	Getenv func(string) string
	// Environ lists the environment handed to the commands that exec runs
	// (RootCmd only; they are looked up in its PATH) and to the system's
	// browser opener; nil means an empty one for exec, and for the opener
	// the variables a desktop session needs, read through Getenv. Pass
	// os.Environ to hand on the process's.
	Environ func() []string
	// Getwd returns the working directory, where the per-directory file
	// (DirFile) is looked for, in it and its parents; nil means no working
	// directory, so no directory file is used. Pass os.Getwd.
	Getwd func() (string, error)
	// Stdin, Stdout and Stderr are the streams of the commands; nil means
	// an empty input and discarded output. Terminal detection works when
	// they are *os.File.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// HTTPClient is used for every call to an authorization server, and its
	// transport and timeout underlie Kit.HTTPClient; nil means a client
	// with timeouts. A nil Transport (here or in a nil HTTPClient) means
	// Go's default transport with the proxy taken from Getenv's
	// HTTPS_PROXY, HTTP_PROXY and NO_PROXY, not the process's.
	HTTPClient *http.Client
	// Secrets replaces the OS keyring (tests, or hosts with their own
	// store); nil means the OS keyring under KeyringService.
	Secrets profiles.SecretStore
	// SecretsName is what Secrets is called where users see it (status,
	// whoami, --json "storage", the TUI, messages), e.g. "vault"; empty
	// means "custom store" when Secrets is set, and "keyring" when not.
	SecretsName string
	// OpenBrowser opens a URL in a web browser; nil means the system's
	// opener (xdg-open, open, rundll32), whose output is discarded.
	OpenBrowser func(url string) error
}

// Authdeck returns authdeck's own identity: name "authdeck", keyring service
// "authdeck", variables AUTHDECK_TOKEN, AUTHDECK_PROFILE,
// AUTHDECK_CONFIG_DIR and AUTHDECK_CLIENT_SECRET, directory file
// ".authdeck". The streams and environment are left empty: Main fills in
// the process's.
func Authdeck(version string) Host {
	return Host{Name: "authdeck", Version: version, KeyringService: "authdeck", EnvPrefix: "AUTHDECK"}
}

// envPrefix derives the variable prefix from a name: upper case, any other
// character than a letter or digit replaced by '_'.
func envPrefix(name string) string {
	b := []byte(strings.ToUpper(name))
	for i, c := range b {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// validHostName: a command name cobra and shells accept.
func validHostName(name string) bool {
	if name == "" || len(name) > 64 || name[0] == '-' {
		return false
	}
	for _, c := range name {
		ok := c == '-' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		if !ok {
			return false
		}
	}
	return true
}

// withDefaults checks h and fills in every default, so that the Env*
// fields hold real names or "" (off).
func (h Host) withDefaults() (Host, error) {
	if !validHostName(h.Name) {
		return h, fmt.Errorf("authdeck: Host.Name %q is not a command name (letters, digits, '-' and '_')", h.Name)
	}
	if h.KeyringService == "" {
		h.KeyringService = h.Name
	}
	if h.EnvPrefix == "" {
		h.EnvPrefix = envPrefix(h.Name)
	}
	name := func(v, suffix string) string {
		switch v {
		case NoEnv:
			return ""
		case "":
			return h.EnvPrefix + suffix
		}
		return v
	}
	h.EnvToken = name(h.EnvToken, "_TOKEN")
	h.EnvProfile = name(h.EnvProfile, "_PROFILE")
	h.EnvConfigDir = name(h.EnvConfigDir, "_CONFIG_DIR")
	h.EnvClientSecret = name(h.EnvClientSecret, "_CLIENT_SECRET")
	switch h.DirFile {
	case NoEnv:
		h.DirFile = ""
	case "":
		h.DirFile = "." + h.Name
	}
	if h.Title == "" {
		h.Title = h.Name
	}
	if h.DefaultServer != nil {
		s := *h.DefaultServer
		if err := profiles.ValidateName("server", s.Name); err != nil {
			return h, fmt.Errorf("authdeck: Host.DefaultServer: %w", err)
		}
		if s.ClientID == "" || (s.Issuer == "" && s.TokenURL == "") {
			return h, fmt.Errorf("authdeck: Host.DefaultServer %q needs a ClientID and an Issuer (or a TokenURL)", s.Name)
		}
		h.DefaultServer = &s
	}
	if h.Getenv == nil {
		h.Getenv = func(string) string { return "" }
	}
	if h.Getwd == nil {
		h.Getwd = func() (string, error) { return "", nil }
	}
	if h.Stdin == nil {
		h.Stdin = strings.NewReader("")
	}
	if h.Stdout == nil {
		h.Stdout = io.Discard
	}
	if h.Stderr == nil {
		h.Stderr = io.Discard
	}
	if h.OpenBrowser == nil {
		h.OpenBrowser = systemOpener(runtime.GOOS, h.Getenv, h.Environ)
	}
	return h, nil
}

// configDir is where the host's configuration lives (h has its defaults).
func (h Host) configDir() (string, error) {
	if h.ConfigDir != "" {
		return h.ConfigDir, nil
	}
	if h.EnvConfigDir != "" {
		if d := h.Getenv(h.EnvConfigDir); d != "" {
			return d, nil
		}
	}
	base, err := userConfigDir(runtime.GOOS, h.Getenv)
	if err != nil {
		hint := "set Host.ConfigDir"
		if h.EnvConfigDir != "" {
			hint = "set " + h.EnvConfigDir
		}
		return "", fmt.Errorf("cannot find a configuration directory (%v); %s", err, hint)
	}
	return filepath.Join(base, h.Name), nil
}

// userHomeDir is os.UserHomeDir read through getenv (the host's
// environment, not the process's).
func userHomeDir(goos string, getenv func(string) string) (string, error) {
	env := "HOME"
	switch goos {
	case "windows":
		env = "USERPROFILE"
	case "plan9":
		env = "home"
	}
	if d := getenv(env); d != "" {
		return d, nil
	}
	return "", fmt.Errorf("$%s is not set", env)
}

// userConfigDir is os.UserConfigDir reading the environment through getenv.
func userConfigDir(goos string, getenv func(string) string) (string, error) {
	switch goos {
	case "windows":
		if d := getenv("AppData"); d != "" {
			return d, nil
		}
		return "", errors.New("%AppData% is not set")
	case "darwin", "ios":
		if d := getenv("HOME"); d != "" {
			return d + "/Library/Application Support", nil
		}
		return "", errors.New("$HOME is not set")
	case "plan9":
		if d := getenv("home"); d != "" {
			return d + "/lib", nil
		}
		return "", errors.New("$home is not set")
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		if !filepath.IsAbs(d) {
			return "", errors.New("$XDG_CONFIG_HOME is a relative path")
		}
		return d, nil
	}
	if d := getenv("HOME"); d != "" {
		return d + "/.config", nil
	}
	return "", errors.New("neither $XDG_CONFIG_HOME nor $HOME is set")
}

// authClient is the client for the authorization servers: Host.HTTPClient,
// else one with auth.DefaultTimeout; either way a nil Transport becomes
// Go's default transport with the proxy read through Getenv
// (hostproxy.Transport), not from the process's environment.
func (h Host) authClient() *http.Client {
	c := &http.Client{Timeout: auth.DefaultTimeout}
	if h.HTTPClient != nil {
		cc := *h.HTTPClient
		c = &cc
	}
	if c.Transport == nil {
		c.Transport = hostproxy.Transport(h.Getenv)
	}
	return c
}

// profilesApp is the profiles.App of h (with its defaults) over dir.
func (h Host) profilesApp(dir string) profiles.App {
	return profiles.App{
		Name:           h.Name,
		ConfigDir:      dir,
		KeyringService: h.KeyringService,
		EnvToken:       h.EnvToken,
		EnvProfile:     h.EnvProfile,
		DirFile:        h.DirFile,
		Getenv:         h.Getenv,
		HTTPClient:     h.authClient(),
		Logger:         h.Logger,
		Secrets:        h.Secrets,
		SecretsName:    h.secretsName(),
	}
}

// secretsName is the label of h's secret store: SecretsName, else "custom
// store" for a host's own Secrets, else "" (profiles' "keyring").
func (h Host) secretsName() string {
	if h.SecretsName != "" || h.Secrets == nil {
		return h.SecretsName
	}
	return "custom store"
}

// openerEnv are the variables handed to the browser opener when the host
// gives no Environ: what xdg-open, open and rundll32 need to reach the
// user's desktop session and browser.
var openerEnv = []string{"PATH", "HOME", "USER", "LANG", "DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY",
	"XDG_RUNTIME_DIR", "XDG_CURRENT_DESKTOP", "XDG_SESSION_TYPE", "XDG_CONFIG_HOME", "XDG_DATA_DIRS",
	"DBUS_SESSION_BUS_ADDRESS", "BROWSER", "SystemRoot", "USERPROFILE", "APPDATA", "TMPDIR", "TEMP", "TMP"}

// systemOpener opens URLs with the platform's opener, discarding what it
// prints (it must never mix with data on stdout). The opener is looked up
// in getenv's PATH and runs with environ (nil: openerEnv through getenv),
// never the process's own environment.
func systemOpener(goos string, getenv func(string) string, environ func() []string) func(string) error {
	env := func() []string {
		if environ != nil {
			return environ()
		}
		var out []string
		for _, k := range openerEnv {
			if v := getenv(k); v != "" {
				out = append(out, k+"="+v)
			}
		}
		return out
	}
	lookPath := execenv.LookPathFunc(getenv)
	return func(url string) error {
		if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
			return fmt.Errorf("refusing to open %q: not an http(s) URL", textsafe.Clean(url))
		}
		var cands [][]string
		switch goos {
		case "darwin":
			cands = [][]string{{"open"}}
		case "windows":
			cands = [][]string{{"rundll32", "url.dll,FileProtocolHandler"}}
		default:
			cands = [][]string{{"xdg-open"}, {"x-www-browser"}, {"www-browser"}}
		}
		var errs []error
		for _, c := range cands {
			p, err := lookPath(c[0])
			if err != nil {
				errs = append(errs, err)
				continue
			}
			cmd := exec.Command(p, append(c[1:], url)...)
			cmd.Env = append([]string{}, env()...) // non-nil: never the process's
			cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
			if err := cmd.Run(); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", c[0], err))
				continue
			}
			return nil
		}
		return fmt.Errorf("no browser opener worked: %w", errors.Join(errs...))
	}
}

// newFactory wires the commands' dependencies for host h, in dependency
// order. The profiles manager is opened lazily, on first use.
func newFactory(h Host) (*factory, error) {
	h, err := h.withDefaults()
	if err != nil {
		return nil, err
	}
	f := &factory{AppName: h.Name, Version: h.Version, Host: h, reg: &registry{}}
	f.Getenv = h.Getenv                                        // depends on nothing
	f.Now = time.Now                                           // depends on nothing
	f.Cwd = h.Getwd                                            // depends on nothing
	f.IO = newIOStreams(h.Stdin, h.Stdout, h.Stderr, h.Getenv) // depends on Getenv
	f.ConfigDir = h.configDir                                  // depends on Getenv
	f.Profiles = managerFunc(f)                                // depends on ConfigDir, Host
	f.Prompter = &termPrompter{in: f.IO.In, out: f.IO.ErrOut}  // depends on IO
	f.RunTUI = hostTUI(h, f.IO, tui.Run)                       // depends on IO, Getenv
	f.Browser = h.OpenBrowser                                  // depends on nothing
	f.CanOpenBrowser = func() bool { return canOpenBrowser(runtime.GOOS, f.Getenv) }
	return f, nil
}

// Kit is what a host application gets from New: the profiles manager, token
// sources and HTTP clients for its own API calls, the cobra commands to
// mount under its root command, and the full-screen account manager. Its
// methods are safe for concurrent use.
type Kit struct {
	f *factory
	m *profiles.Manager
}

// New checks the host's identity, fills in its defaults and returns its
// Kit. It does no I/O (files are read on use) and fails only when h is
// invalid or no configuration directory can be found.
func New(h Host) (*Kit, error) {
	f, err := newFactory(h)
	if err != nil {
		return nil, err
	}
	m, err := f.Profiles()
	if err != nil {
		return nil, err
	}
	return &Kit{f: f, m: m}, nil
}

// Host returns the host's identity with every default filled in (the
// variable names actually used, "" when off).
func (k *Kit) Host() Host { return k.f.Host }

// Manager returns the profiles manager: servers, profiles, secrets and
// the shared use cases (SaveLogin, Token, Logout, Revoke, WhoAmI, Status).
func (k *Kit) Manager() *profiles.Manager { return k.m }

// TokenSource returns the access token of profile, refreshed (and the new
// tokens persisted, under the cross-process lock) when it expires within
// profiles.DefaultMinTTL. An empty profile means the one the user chose:
// the host's EnvProfile variable, else its directory file, else the active
// profile; the host's EnvToken variable overrides the stored token, as for
// the token command. Errors wrap profiles.ErrNotLoggedIn when there is no
// usable login. ctx bounds the refresh requests.
func (k *Kit) TokenSource(ctx context.Context, profile string) oauth2.TokenSource {
	return &kitTokenSource{k: k, ctx: ctx, profile: profile}
}

// kitTokenSource resolves the profile on first use, then delegates to the
// manager's token source (which caches the token in memory).
type kitTokenSource struct {
	k       *Kit
	ctx     context.Context
	profile string

	mu sync.Mutex
	ts oauth2.TokenSource
}

// Token implements oauth2.TokenSource. The first call chooses the
// profile with the token (TokenOptions.Cwd); later ones go to the
// manager's token source for that profile.
func (s *kitTokenSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ts != nil {
		t, err := s.ts.Token()
		return t, s.k.f.hostErr(err)
	}
	cwd, _ := s.k.f.Cwd()
	r, err := s.k.m.Token(s.ctx, s.profile, profiles.TokenOptions{Cwd: cwd})
	if err != nil {
		return nil, s.k.f.hostErr(err)
	}
	selectionWarning(s.k.f.IO.ErrOut, s.k.f.IO.Warn, r.Warning)
	// r.Profile is "" when the host's token variable serves with no
	// profile chosen.
	s.ts = s.k.m.TokenSource(s.ctx, r.Profile, profiles.DefaultMinTTL)
	t := *r.Token
	return &t, nil
}

// defaultAPITimeout bounds each request of Kit.HTTPClient when the host
// gave no Host.HTTPClient with a timeout of its own.
const defaultAPITimeout = 60 * time.Second

// HTTPClient returns an HTTP client that sends profile's access token as a
// Bearer token (see TokenSource for the profile and the refresh), only to
// the origins (scheme, host and port) of the profile's server: its
// issuer's, its userinfo endpoint's, and its APIHosts. A request to any
// other origin is refused with an error; a redirect that leaves the
// request's origin is followed without the token (and never gets it back).
// When the server answers 401 to the token, the token is refreshed once
// and the request sent once more (a request whose body cannot be read
// again, no GetBody, gets the 401). A token from the host's EnvToken
// variable with no profile chosen belongs to the only configured server;
// with several, every request is refused.
//
// Its transport and timeout are Host.HTTPClient's, else Go's default
// transport with the proxy from the host's HTTPS_PROXY, HTTP_PROXY and
// NO_PROXY (read through Getenv), and defaultAPITimeout. Plain-HTTP URLs
// other than loopback are refused, so the token never crosses a network
// in clear.
func (k *Kit) HTTPClient(ctx context.Context, profile string) *http.Client {
	base := managerTransport(k.m)
	timeout := defaultAPITimeout
	if hc := k.f.Host.HTTPClient; hc != nil && hc.Timeout > 0 {
		timeout = hc.Timeout
	}
	return &http.Client{
		Transport: &bearerTransport{k: k, ctx: ctx, profile: profile, base: httpsOnly{base}},
		Timeout:   timeout,
	}
}

// bearerTransport adds the profile's token to requests to its server's
// origins (Kit.HTTPClient).
type bearerTransport struct {
	k       *Kit
	ctx     context.Context
	profile string
	base    http.RoundTripper

	mu  sync.Mutex
	cur *profiles.TokenResult // kept while good for DefaultMinTTL more
	srv profiles.Server
}

// token returns the token to send and its server, from memory while it
// is good for DefaultMinTTL more.
func (t *bearerTransport) token() (*profiles.TokenResult, profiles.Server, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.k.m
	if t.cur != nil && (t.cur.Token.Expiry.IsZero() || time.Now().Add(profiles.DefaultMinTTL).Before(t.cur.Token.Expiry)) {
		return t.cur, t.srv, nil
	}
	cwd, _ := t.k.f.Cwd()
	r, err := m.Token(t.ctx, t.profile, profiles.TokenOptions{Cwd: cwd})
	if err != nil {
		return nil, profiles.Server{}, err
	}
	srv, err := tokenServer(t.ctx, m, r)
	if err != nil {
		return nil, profiles.Server{}, err
	}
	t.cur, t.srv = r, srv
	return r, srv, nil
}

// RoundTrip implements http.RoundTripper.
func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	closeBody := func() {
		if req.Body != nil {
			req.Body.Close()
		}
	}
	if err := auth.CheckURL(req.URL.String()); err != nil {
		closeBody()
		return nil, err // (before the origin: that is the first thing to fix)
	}
	if redirectLeftOrigin(req) {
		r := req.Clone(req.Context())
		r.Header.Del("Authorization")
		return t.base.RoundTrip(r)
	}
	tr, srv, err := t.token()
	if err != nil {
		closeBody()
		return nil, err
	}
	if !srv.AllowsOrigin(req.URL) {
		closeBody()
		return nil, originRefused(t.k.f.AppName, t.k.m, tr, srv, profiles.OriginOf(req.URL), false)
	}
	resp, err := t.send(req, tr.Token.AccessToken)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || tr.Source.ReadOnly() || (req.Body != nil && req.Body != http.NoBody && req.GetBody == nil) {
		return resp, err
	}
	next, rerr := t.k.m.RefreshRejected(t.ctx, tr, profiles.TokenOptions{})
	if rerr != nil {
		return resp, nil // the caller sees the 401
	}
	t.mu.Lock()
	t.cur = next
	t.mu.Unlock()
	r := req.Clone(req.Context())
	if req.GetBody != nil {
		if r.Body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	drainClose(resp)
	return t.send(r, next.Token.AccessToken)
}

func (t *bearerTransport) send(req *http.Request, token string) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+token)
	return t.base.RoundTrip(r)
}

// redirectLeftOrigin reports whether req is a redirect in a chain that has
// left the origin of its first request (auth.CrossOrigin).
func redirectLeftOrigin(req *http.Request) bool {
	if req.Response == nil {
		return false
	}
	var via []*http.Request
	for r := req.Response.Request; r != nil; {
		via = append([]*http.Request{r}, via...)
		if r.Response == nil {
			break
		}
		r = r.Response.Request
	}
	return auth.CrossOrigin(req, via)
}

// httpsOnly refuses plain HTTP except on loopback.
type httpsOnly struct{ rt http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t httpsOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := auth.CheckURL(r.URL.String()); err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, err
	}
	return t.rt.RoundTrip(r)
}

// Commands returns fresh commands to mount under the host's root command:
// the ones named (Login, Token, Status, ...), or with none login, logout,
// whoami, token, profiles, revoke and status. Messages suggest only the
// commands the Kit has built (here or by RootCmd): a host without Servers
// is never told to run `servers add`. Each command has its own --profile
// and --token-file flags (the host's EnvProfile variable and directory
// file work too), prints its own errors on the host's Stderr (stripped of
// control characters, prefixed with the host's name) and returns them,
// wrapping errSilent, so that ExitCode gives the exit code and
// ErrorMessage returns "". Cobra's own usage output is silenced. It panics
// on the zero Command.
func (k *Kit) Commands(cmds ...Command) []*cobra.Command {
	if len(cmds) == 0 {
		cmds = defaultCommands
	}
	f := k.forCommands()
	g := &globalFlags{}
	f.globals = g
	out := f.build(cmds)
	for _, c := range out {
		c.PersistentFlags().StringVar(&g.Profile, "profile", "", profileFlagUsage(f.Host))
		c.PersistentFlags().StringVar(&g.TokenFile, "token-file", "", tokenFileFlagUsage)
		if c.Name() == "login" {
			f.hookLogin(c)
		}
		friendlyArgs(c)
		selfReporting(f, c)
		setStreams(c, f.IO)
	}
	return out
}

// setStreams makes c (and its subcommands, which inherit them) read and
// write the host's streams, help and usage included, instead of cobra's
// default os.Stdin, os.Stdout and os.Stderr.
func setStreams(c *cobra.Command, s *ioStreams) {
	c.SetIn(s.In)
	c.SetOut(s.Out)
	c.SetErr(s.ErrOut)
}

// forCommands is a copy of the factory for one set of commands (each set
// has its own flag values).
func (k *Kit) forCommands() *factory {
	f := *k.f
	f.globals = nil
	return &f
}

// RootCmd returns a fresh root command named after the host, with every
// command of authdeck but DevServer and Demo, and the extra ones given
// (authdeck's binary adds DevServer and Demo). Run it with Execute.
func (k *Kit) RootCmd(extra ...Command) *cobra.Command {
	return buildRoot(k.forCommands(), extra...)
}

// Execute runs root (the host's root command, or RootCmd) and returns the
// exit code: 0 ok, 1 error, 2 cancelled, 4 not logged in. root reads and
// writes the host's Stdin, Stdout and Stderr (Execute sets them, so that
// help and usage of the host's own commands go there too). Errors not yet
// printed by a Kit command are printed on the host's Stderr. It never exits
// the process.
func (k *Kit) Execute(ctx context.Context, root *cobra.Command) int {
	root.SilenceErrors, root.SilenceUsage = true, true
	setStreams(root, k.f.IO)
	return execute(ctx, root, k.f)
}

// RunTUI runs the full-screen program on the host's streams (Stdin and
// Stdout, which must be a terminal) until the user quits, with the host's
// Title and Theme. start is the screen it opens on: tui.ScreenAccounts (the
// default when omitted), the profiles and servers; or tui.ScreenLogin, a
// login to the host's DefaultServer (else the active profile's server, else
// the only one configured), which ends when the login does. It returns
// ErrCancel when the user left a login before it succeeded.
func (k *Kit) RunTUI(ctx context.Context, start ...tui.Screen) error {
	screen := tui.ScreenAccounts
	if len(start) > 0 {
		screen = start[0]
	}
	if len(start) > 1 {
		return errors.New("RunTUI takes at most one start screen")
	}
	if !k.f.IO.CanPrompt() {
		return errors.New("the account manager needs a terminal; use the login, status and profiles commands instead")
	}
	return k.f.runTUI(ctx, screen)
}

// runAccounts runs the TUI's accounts screen with the host's title.
func (f *factory) runAccounts(ctx context.Context) error {
	return f.runTUI(ctx, tui.ScreenAccounts)
}

// runTUI runs the TUI on screen with the host's title, theme, streams and
// environment.
func (f *factory) runTUI(ctx context.Context, screen tui.Screen) error {
	m, err := f.Profiles()
	if err != nil {
		return err
	}
	if err := f.ensureDefaultServer(ctx, m); err != nil {
		return err
	}
	opt := tui.Options{Start: screen, Title: f.Host.Title, Theme: f.Host.Theme, OpenURL: f.browserOrNil(),
		Input: f.IO.In, Output: f.IO.Out, Getenv: f.Getenv}
	switch screen {
	case tui.ScreenAccounts:
	case tui.ScreenLogin:
		if opt.Server, err = f.tuiLoginServer(ctx, m); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown start screen %d", screen)
	}
	res, err := f.RunTUI(ctx, m, opt)
	if err != nil {
		return err // a cancelled login is profiles.ErrCancelled already
	}
	if res.Cancelled {
		return ErrCancel
	}
	return nil
}

// tuiLoginServer is the server RunTUI(ctx, tui.ScreenLogin) logs in to: the
// host's default server, else the active profile's, else the only one.
func (f *factory) tuiLoginServer(ctx context.Context, m *profiles.Manager) (profiles.Server, error) {
	cfg, err := m.Load(ctx)
	if err != nil {
		return profiles.Server{}, err
	}
	if d := f.Host.DefaultServer; d != nil {
		if s, ok := cfg.Server(d.Name); ok {
			return s, nil
		}
	}
	if p, ok := cfg.Profile(cfg.Active); ok && cfg.Active != "" {
		if s, ok := cfg.Server(p.Server); ok {
			return s, nil
		}
	}
	if len(cfg.Servers) == 1 {
		return cfg.Servers[0], nil
	}
	return profiles.Server{}, fmt.Errorf("no server to log in to: give the host a DefaultServer, or open the accounts screen (tui.ScreenAccounts) and choose one (%d servers configured)", len(cfg.Servers))
}

// hostTUI runs the TUI through run with what every screen of the host
// shares filled in where the caller left it empty: the title, the theme,
// the streams and the environment. The login and demo commands build
// their own tui.Options; this keeps them on the host's streams.
func hostTUI(h Host, ios *ioStreams, run func(context.Context, *profiles.Manager, tui.Options) (tui.Result, error)) func(context.Context, *profiles.Manager, tui.Options) (tui.Result, error) {
	return func(ctx context.Context, m *profiles.Manager, opt tui.Options) (tui.Result, error) {
		if opt.Title == "" {
			opt.Title = h.Title
		}
		if opt.Theme == (tui.Theme{}) {
			opt.Theme = h.Theme
		}
		if opt.Hide == nil {
			opt.Hide = h.HideActions
		}
		if opt.Input == nil {
			opt.Input = ios.In
		}
		if opt.Output == nil {
			opt.Output = ios.Out
		}
		if opt.Getenv == nil {
			opt.Getenv = h.Getenv
		}
		return run(ctx, m, opt)
	}
}

// ensureDefaultServer adds the host's default server to the configuration
// when no server of its name is there.
func (f *factory) ensureDefaultServer(ctx context.Context, m *profiles.Manager) error {
	s := f.Host.DefaultServer
	if s == nil {
		return nil
	}
	cfg, err := m.Load(ctx)
	if err != nil {
		return err
	}
	if _, ok := cfg.Server(s.Name); ok {
		return nil
	}
	if _, err := m.AddServer(ctx, *s); err != nil {
		return fmt.Errorf("adding the default server: %w", err)
	}
	return nil
}

// hookLogin makes login use the host's default server when no --server is
// given, adding it to the configuration first.
func (f *factory) hookLogin(c *cobra.Command) {
	if f.Host.DefaultServer == nil || c.Flags().Lookup("server") == nil {
		return
	}
	prev := c.PreRunE
	c.PreRunE = func(c *cobra.Command, args []string) error {
		if prev != nil {
			if err := prev(c, args); err != nil {
				return err
			}
		}
		if c.Flags().Changed("server") {
			return nil
		}
		m, err := f.Profiles()
		if err != nil {
			return err
		}
		if err := f.ensureDefaultServer(c.Context(), m); err != nil {
			return err
		}
		return c.Flags().Set("server", f.Host.DefaultServer.Name)
	}
}

// reportedError is an error already printed by a Kit command.
type reportedError struct{ err error }

// Error returns the underlying error's text.
func (e *reportedError) Error() string { return e.err.Error() }

// Unwrap returns the underlying error and errSilent.
func (e *reportedError) Unwrap() []error { return []error{e.err, errSilent} }

// selfReporting makes c and its subcommands print their own errors (flag,
// argument and run errors) on the host's stderr, since the host's root
// command may not know how.
func selfReporting(f *factory, c *cobra.Command) {
	report := func(c *cobra.Command, err error) error {
		if err == nil || errors.Is(err, errSilent) {
			return err
		}
		if c.Context() != nil && c.Context().Err() != nil {
			err = fmt.Errorf("%w", context.Canceled)
		}
		printError(f, c, err)
		return &reportedError{err: err}
	}
	c.SilenceErrors, c.SilenceUsage = true, true
	c.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return report(c, &flagError{Err: err}) })
	if args := c.Args; args != nil {
		c.Args = func(c *cobra.Command, a []string) error {
			if err := args(c, a); err != nil {
				return report(c, &flagError{Err: err})
			}
			return nil
		}
	}
	if pre := c.PreRunE; pre != nil {
		c.PreRunE = func(c *cobra.Command, a []string) error { return report(c, pre(c, a)) }
	}
	if run := c.RunE; run != nil {
		c.RunE = func(c *cobra.Command, a []string) error { return report(c, run(c, a)) }
	}
	for _, sub := range c.Commands() {
		selfReporting(f, sub)
	}
}

// profileFlagUsage is the help of --profile for host h.
func profileFlagUsage(h Host) string {
	if h.EnvProfile == "" {
		return "use profile `NAME`"
	}
	return "use profile `NAME` (env " + h.EnvProfile + ")"
}

// tokenFileFlagUsage is the help of --token-file.
const tokenFileFlagUsage = "read the token from `PATH` (plain text, or JSON with a \"token\" key)"

// envSource names the token variable in a list of token sources ("" when
// it is off).
func envSource(name string) string {
	if name == "" {
		return ""
	}
	return name + ", "
}
