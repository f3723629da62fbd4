package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/authdeck/authdeck/internal/secretfile"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
	"github.com/authdeck/authdeck/tui"
	"github.com/spf13/cobra"
	"golang.org/x/oauth2"
	"golang.org/x/term"
)

// loginOptions are the inputs of `authdeck login`.
type loginOptions struct {
	IO             *ioStreams
	AppName        string
	Profiles       func() (*profiles.Manager, error)
	RunTUI         func(context.Context, *profiles.Manager, tui.Options) (tui.Result, error)
	Browser        func(string) error
	CanOpenBrowser func() bool
	Getenv         func(string) string

	Server           string
	ClientID         string
	ClientSecret     string
	ClientSecretFile string
	Scopes           []string
	Profile          string
	NoBrowser        bool
	WithToken        bool
	// SecretEnv names the env var carrying a client secret ("" = none).
	SecretEnv string
	FromFile  string
	Key       string
	Insecure  bool
	JSON      bool
	NoTUI     bool
	Web       bool

	// Non-interactive sign-in (login_noninteractive.go) and extra
	// parameters.
	ClientCredentials bool
	ClientSecretEnv   string
	TokenExchange     bool
	SubjectTokenFile  string
	SubjectTokenEnv   string
	SubjectTokenType  string
	Params            []string
	Audience          string

	savedProfile string // the profile the login was saved as
}

// newCmdLogin builds `authdeck login`. runF replaces loginRun in tests.
func newCmdLogin(f *factory, runF func(*loginOptions) error) *cobra.Command {
	opts := &loginOptions{
		IO:             f.IO,
		AppName:        f.AppName,
		SecretEnv:      f.Host.EnvClientSecret,
		Profiles:       f.Profiles,
		RunTUI:         f.RunTUI,
		Browser:        f.Browser,
		CanOpenBrowser: f.CanOpenBrowser,
		Getenv:         f.Getenv,
	}
	c := &cobra.Command{
		Use:   "login",
		Short: "Sign in with the device flow (or --web, --with-token)",
		Long: `Sign in to a server with the OAuth 2.0 device flow (RFC 8628).

The user code and the verification URL are shown on stderr, a browser is opened
(unless --no-browser, or there is no display, or you are on SSH) and polling
starts at once. On a terminal the full-screen login screen is used instead,
unless --no-tui or --json.

With --json, one JSON object per line is written to stdout for each event:
  {"event":"code","user_code":...,"verification_uri":...,"expires_at":...,"interval":5,"scopes":[...],"warning":...}
  {"event":"poll","n":1,"result":"pending"|"slow_down"|"transient","interval":5,"next":...}
  {"event":"success","profile":...,"account":...,"storage":...,"insecure_storage":false}
  {"event":"error","error":"...","code":"access_denied"|"expired_token"|"cancelled"|...}
"warning" is there only when an address is not on the server's host; a
verification_uri_complete on another host than the server's and the page's
is left out. Neither the device code nor any token is ever written.

With --web (chosen by itself when the server has no device endpoint but an
authorization endpoint), the browser sign-in runs instead: the authorization
code grant with PKCE and a redirect to a listener on 127.0.0.1. On a
terminal it runs on the same full-screen login screen (the address, a QR
code, time left; over SSH a field to paste the address the browser ended
on). Otherwise the address to open is shown on stderr and opened in a
browser when one can be shown; when the browser runs on another machine
(SSH, --no-browser), paste the address it was sent back to
(http://127.0.0.1:PORT/callback?...) on stdin.
Its --json events are
  {"event":"browser_url","url":...,"redirect_uri":...,"expires_at":...,"scopes":[...],"warning":...}
then "success" or "error" as above. Over SSH the device flow is preferred
when the server has both, unless --web is given.

The client secret, for servers that want one, is best given with
` + secretHint(f.Host.EnvClientSecret) + `:
process arguments are visible to other users of the machine.`,
		Example: `  ` + f.AppName + ` login
  ` + f.AppName + ` login --server dev --no-browser
  ` + f.AppName + ` login --server https://issuer.example.com --client-id my-cli
  ` + f.AppName + ` login --json --no-browser
  ` + f.AppName + ` login --server dev --with-token < token.txt
  ` + f.AppName + ` login --server dev --with-token --from-file ~/.cloudvolume/secrets/cave-secret.json --key token`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Profile = f.Globals().Profile
			if opts.FromFile != "" {
				opts.WithToken = true
			}
			if opts.Key != "" && opts.FromFile == "" {
				err := flagErrorf("--key goes with --from-file")
				if opts.JSON {
					(&eventWriter{w: opts.IO.Out, on: true}).emit(errorEvent(err, opts.AppName))
				}
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return loginRun(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.Server, "server", "", "configured server `NAME`, or an issuer URL (with --client-id)")
	fl.StringVar(&opts.ClientID, "client-id", "", "OAuth client `ID` for an issuer URL")
	fl.StringVar(&opts.ClientSecret, "client-secret", "", "client `SECRET`, for providers that want one (prefer "+secretHint(f.Host.EnvClientSecret)+")")
	fl.StringVar(&opts.ClientSecretFile, "client-secret-file", "", "read the client secret from `PATH`")
	fl.StringSliceVar(&opts.Scopes, "scopes", nil, "scopes to request, comma-separated (default: the server's)")
	fl.BoolVar(&opts.NoBrowser, "no-browser", false, "do not open a browser")
	fl.BoolVar(&opts.WithToken, "with-token", false, "read a token from stdin instead of the device flow")
	fl.StringVar(&opts.FromFile, "from-file", "", "with --with-token: read the token from `FILE` (plain text, JSON or TOML) instead of stdin")
	fl.StringVar(&opts.Key, "key", "", "with --from-file: the `KEY` holding the token in a JSON or TOML file (default \"token\")")
	fl.BoolVar(&opts.Insecure, "insecure-storage", false, "store the token in the plain-text credentials file, not the keyring")
	fl.BoolVar(&opts.JSON, "json", false, "stream events as JSON lines on stdout")
	fl.BoolVar(&opts.NoTUI, "no-tui", false, "plain output even on a terminal")
	fl.BoolVar(&opts.Web, "web", false, "sign in with the browser (authorization code with PKCE) instead of the device flow")
	fl.BoolVar(&opts.ClientCredentials, "client-credentials", false, "sign in as the client itself (client credentials grant), with its secret from --client-secret-file, --client-secret-env or the keyring")
	fl.StringVar(&opts.ClientSecretEnv, "client-secret-env", "", "read the client secret from the environment variable `VAR`")
	fl.BoolVar(&opts.TokenExchange, "token-exchange", false, "trade a CI provider's OIDC token for this server's (RFC 8693 token exchange)")
	fl.StringVar(&opts.SubjectTokenFile, "subject-token-file", "", "with --token-exchange: read the token to trade from `PATH`")
	fl.StringVar(&opts.SubjectTokenEnv, "subject-token-env", "", "with --token-exchange: read the token to trade from the environment variable `VAR`")
	fl.StringVar(&opts.SubjectTokenType, "subject-token-type", "", "with --token-exchange: the token's `TYPE`: jwt (default), id_token, access_token or a urn:ietf:params:oauth:token-type: URI")
	fl.StringArrayVar(&opts.Params, "param", nil, "extra request parameter `KEY=VALUE` for this login: audience, prompt, login_hint, acr_values, resource... (repeatable)")
	fl.StringVar(&opts.Audience, "audience", "", "the API `URI` to get a token for; the same as --param audience=URI")
	return c
}

func hasCommand(root *cobra.Command, name string) bool {
	for _, c := range root.Commands() {
		if c.Name() == name {
			return true
		}
	}
	return false
}

// clientSecret resolves the client secret: flag, then file, then env.
func clientSecret(flag, file, envName string, getenv func(string) string) (string, error) {
	switch {
	case flag != "":
		return flag, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading the client secret: %w", err)
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", fmt.Errorf("the client secret file %s is empty", file)
		}
		return s, nil
	case getenv != nil && envName != "":
		return getenv(envName), nil
	}
	return "", nil
}

// argvSecretNote warns that a secret given as a process argument is visible
// to every user of the machine.
func argvSecretNote(ios *ioStreams, flagValue, envName string) {
	if flagValue != "" {
		fmt.Fprintf(ios.ErrOut, "Note: --client-secret is visible to other users of this machine in the process list; prefer %s.\n", secretHint(envName))
	}
}

// secretHint names the better ways to pass a client secret.
func secretHint(envName string) string {
	if envName == "" {
		return "--client-secret-file"
	}
	return "--client-secret-file or " + envName
}

func looksLikeURL(s string) bool { return strings.Contains(s, "://") }

// resolveServer picks the server to log in to. created is true when it was
// added to the config for this login (an issuer URL seen for the first
// time), so that a failed login can take it out again.
func resolveServer(ctx context.Context, m *profiles.Manager, o *loginOptions) (s profiles.Server, created bool, err error) {
	secret, err := clientSecret(o.ClientSecret, o.ClientSecretFile, o.SecretEnv, o.Getenv)
	if err != nil {
		return s, false, err
	}
	cfg, err := m.Load(ctx)
	if err != nil {
		return s, false, err
	}
	if looksLikeURL(o.Server) {
		issuer := strings.TrimSpace(o.Server)
		if err := auth.CheckURL(issuer); err != nil {
			return s, false, flagErrorf("--server %s: %v", textsafe.Clean(issuer), err)
		}
		if o.ClientID == "" && !hasIssuer(cfg, issuer) {
			return s, false, flagErrorf("no configured server has the issuer %s; pass --client-id ID (the client id of this application at the provider) to sign in with it%s",
				textsafe.Clean(issuer), suggest(", or add it first with ", cmdq(m, "servers add", "NAME --issuer URL --client-id ID")))
		}
		s, err = m.ServerForURL(ctx, issuer, o.ClientID, secret, o.Scopes)
		if err != nil {
			return s, false, err
		}
		_, existed := cfg.Server(s.Name)
		created = !existed
	} else {
		switch {
		case o.Server != "":
			var found bool
			if s, found = cfg.Server(o.Server); !found {
				return s, false, flagErrorf("no server named %q (configured: %s); %spass an issuer URL to --server with --client-id",
					textsafe.Clean(o.Server), serverNames(cfg), suggest("add it with ", cmdq(m, "servers add", ""))+orComma(m, "servers add"))
			}
		case len(cfg.Servers) == 1:
			s = cfg.Servers[0]
		case len(cfg.Servers) == 0:
			hint := "no server is configured" + suggest("; ", suggest("add one with ", cmdq(m, "servers add", "NAME --issuer URL --client-id ID")),
				suggest("run ", cmdq(m, "login", "--server https://issuer --client-id ID")), suggest("try ", cmdq(m, "demo", "")))
			return s, false, flagErrorf("%s", hint)
		default:
			return s, false, flagErrorf("several servers are configured (%s); choose one with --server NAME", serverNames(cfg))
		}
		name := textsafe.Clean(s.Name)
		if o.ClientID != "" && o.ClientID != s.ClientID {
			return s, false, flagErrorf("server %q is configured with another client id; drop --client-id, %sor pass an issuer URL to --server", name, suggest("change it with ", cmdq(m, "servers add", name+" --force ..."))+orComma(m, "servers add"))
		}
		if secret != "" {
			have, err := m.ClientSecret(ctx, s) // kept in the secret store
			if err != nil && s.HasClientSecret() {
				return s, false, err
			}
			if secret == have {
				s.ClientSecret = secret
			}
		}
		if secret != "" && secret != s.ClientSecret {
			return s, false, flagErrorf("server %q is configured with another client secret; drop the client secret%s", name, suggest(", or change it with ", cmdq(m, "servers add", name+" --force ...")))
		}
	}
	if s, err = discoverIfNeeded(ctx, m, s); err != nil {
		if created {
			forgetServer(ctx, m, s.Name)
		}
		return s, false, err
	}
	if len(o.Scopes) > 0 {
		s.Scopes = o.Scopes
	}
	return s, created, nil
}

// discoverIfNeeded completes a server written by hand in config.toml with
// just an issuer and a client id: its endpoints are discovered and saved.
func discoverIfNeeded(ctx context.Context, m *profiles.Manager, s profiles.Server) (profiles.Server, error) {
	if s.Issuer == "" || s.TokenURL != "" {
		return s, nil
	}
	got, err := m.AddServer(ctx, s)
	if err != nil {
		return s, err // AddServer names the server and what it was discovering
	}
	return got, nil
}

// hasIssuer reports whether a configured server has this issuer.
func hasIssuer(cfg *profiles.Config, issuer string) bool {
	norm := strings.TrimRight(issuer, "/")
	for _, s := range cfg.Servers {
		if s.Issuer != "" && strings.TrimRight(s.Issuer, "/") == norm {
			return true
		}
	}
	return false
}

// forgetServer removes a server this login added, when the login did not
// succeed. It runs even when ctx was cancelled (Ctrl-C).
func forgetServer(ctx context.Context, m *profiles.Manager, name string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = m.RemoveServer(ctx, name)
}

func serverNames(cfg *profiles.Config) string {
	if len(cfg.Servers) == 0 {
		return "none"
	}
	names := make([]string, len(cfg.Servers))
	for i, s := range cfg.Servers {
		names[i] = textsafe.Clean(s.Name)
	}
	return strings.Join(names, ", ")
}

func loginRun(ctx context.Context, o *loginOptions) error {
	ev := &eventWriter{w: o.IO.Out, on: o.JSON}
	err := runLogin(ctx, o, ev)
	if err != nil && o.JSON {
		// Every failure of login --json ends with exactly one error event.
		ev.emit(errorEvent(err, o.AppName))
	}
	return err
}

func runLogin(ctx context.Context, o *loginOptions, ev *eventWriter) (err error) {
	if o.ClientCredentials || o.TokenExchange || o.SubjectTokenFile != "" || o.SubjectTokenEnv != "" || o.SubjectTokenType != "" {
		return nonInteractiveLogin(ctx, o, ev)
	}
	if o.ClientSecretEnv != "" {
		o.SecretEnv = o.ClientSecretEnv
	}
	argvSecretNote(o.IO, o.ClientSecret, o.SecretEnv)
	m, err := o.Profiles()
	if err != nil {
		return err
	}
	s, created, err := resolveServer(ctx, m, o)
	if err != nil {
		return err
	}
	if created {
		// A server added for this login stays only if the login succeeds.
		defer func() {
			if err != nil {
				forgetServer(ctx, m, s.Name)
			}
		}()
	}
	if err := applyLoginParams(ctx, m, &s, created, o); err != nil {
		return err
	}
	save := profiles.SaveOptions{Profile: o.Profile, Insecure: o.Insecure}
	if o.WithToken {
		if o.Web {
			return flagErrorf("--web and --with-token do not go together")
		}
		return loginWithToken(ctx, o, m, s, save, ev)
	}
	web, err := useWeb(o, s)
	if err != nil {
		return err
	}
	if o.IO.CanPrompt() && !o.NoTUI && !o.JSON {
		// The login screen runs both flows: the device flow, or the
		// browser sign-in when asked or the server has no device flow.
		opener := o.Browser
		if o.CanOpenBrowser == nil || !o.CanOpenBrowser() {
			opener = nil
		}
		res, err := o.RunTUI(ctx, m, tui.Options{Start: tui.ScreenLogin, Server: s, Save: save, NoBrowser: o.NoBrowser, OpenURL: opener, Web: web})
		if err != nil {
			return err
		}
		if res.Cancelled || res.LoggedIn == nil {
			return ErrCancel
		}
		return nil
	}
	if web {
		return webLogin(ctx, o, m, s, save, ev)
	}
	return deviceLogin(ctx, o, m, s, save, ev)
}

func clientFor(m *profiles.Manager, s profiles.Server) *auth.Client {
	c := *m.Client(s)
	c.Scopes = s.Scopes
	return &c
}

func deviceLogin(ctx context.Context, o *loginOptions, m *profiles.Manager, s profiles.Server, save profiles.SaveOptions, ev *eventWriter) error {
	c := clientFor(m, s)
	dc, err := c.StartDeviceNotify(ctx, func(r auth.Retry) { fmt.Fprintln(o.IO.ErrOut, retryNote(r)) })
	if err != nil {
		return fmt.Errorf("server %q: %w", textsafe.Clean(s.Name), err)
	}
	pages := dc.Pages(s.Endpoints)
	showCode(o, s, dc, pages, ev)

	if !o.NoBrowser && o.Browser != nil && o.CanOpenBrowser != nil && o.CanOpenBrowser() {
		target := pages.Open
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := o.Browser(target); err != nil {
				fmt.Fprintf(o.IO.ErrOut, "Could not open a browser (%s); open the URL above yourself.\n", textsafe.Clean(err.Error()))
			}
		}()
		// Polling does not wait for the browser; the return does, briefly
		// (some openers only return when the browser window closes).
		defer func() {
			select {
			case <-done:
			case <-time.After(time.Second):
			}
		}()
	}

	status := &pollStatus{io: o.IO, json: o.JSON}
	tok, err := c.WaitDevice(ctx, dc, func(a auth.Attempt) {
		if o.JSON {
			if e, ok := pollEvent(a); ok {
				ev.emit(e)
			}
			return
		}
		status.show(a)
	})
	status.done()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("login: %w", context.Canceled)
		}
		return err
	}

	id, warn := identify(ctx, c, s, tok)
	if warn != nil {
		fmt.Fprintf(o.IO.ErrOut, "%s could not read the account's identity (%s); saving the login anyway.\n", o.IO.Warn("Warning:"), textsafe.Clean(warn.Error()))
	}
	return saveAndReport(ctx, o, m, s, tok, id, save, ev)
}

// identify reads who the token belongs to: userinfo, else the ID token's
// claims. The error is only a warning: the login itself succeeded.
func identify(ctx context.Context, c *auth.Client, s profiles.Server, tok *oauth2.Token) (*auth.Identity, error) {
	var uerr error
	if s.UserInfoURL != "" {
		id, err := c.UserInfo(ctx, tok.AccessToken)
		if err == nil && id != nil {
			return id, nil
		}
		uerr = err
	}
	if raw := auth.IDToken(tok); raw != "" {
		id, err := auth.IdentityFromIDToken(raw)
		if err == nil && id != nil {
			return id, nil
		}
		if uerr == nil {
			uerr = err
		}
	}
	return &auth.Identity{}, uerr
}

func saveAndReport(ctx context.Context, o *loginOptions, m *profiles.Manager, s profiles.Server, tok *oauth2.Token, id *auth.Identity, save profiles.SaveOptions, ev *eventWriter) error {
	if save.Profile == "" && id.Display() == "" {
		save.Profile = s.Name // no account name to go by
	}
	if err := checkSameAccount(ctx, m, o.AppName, s, id, save.Profile); err != nil {
		return err
	}
	p, info, err := m.SaveLogin(ctx, s.Name, tok, id, save)
	if err != nil {
		return fmt.Errorf("saving the login: %w", err)
	}
	o.savedProfile = p.Name
	account := textsafe.Clean(p.Account())
	if account == "" {
		account = "an unnamed account"
	}
	if o.JSON {
		ev.emit(successEvent{
			Event: "success", Profile: p.Name, Server: s.Name, Account: textsafe.Clean(p.Account()),
			Storage: m.App().StorageName(info.Storage), InsecureStorage: info.InsecureStorage,
			CredentialsPath: info.Path, FallbackReason: info.FallbackReason,
		})
	} else {
		fmt.Fprintf(o.IO.ErrOut, "%sLogged in to %s as %s (profile %s)\n", o.IO.SuccessMark(), textsafe.Clean(s.Name), o.IO.Bold(account), textsafe.Clean(p.Name))
	}
	reportStorage(o.IO, m.App(), info)
	return nil
}

// checkSameAccount refuses to save a login into an existing, signed-in
// profile of another account: that would silently replace its tokens, the
// refresh token included. A re-login of the same account is fine.
func checkSameAccount(ctx context.Context, m *profiles.Manager, app string, s profiles.Server, id *auth.Identity, profile string) error {
	if profile == "" {
		return nil
	}
	cfg, err := m.Load(ctx)
	if err != nil {
		return err
	}
	p, ok := cfg.Profile(profile)
	if !ok || !p.SignedIn() || p.Server != s.Name || sameAccount(p, id) {
		return nil
	}
	name := textsafe.Clean(p.Name)
	return fmt.Errorf("profile %s is signed in as %s, but you just signed in as %s; nothing was saved and %s's tokens are kept. Sign in to another profile with --profile NAME%s",
		name, textsafe.Clean(p.Account()), textsafe.Clean(id.Display()), name, suggest(", or first run ", cmdq(m, "logout", name), cmdq(m, "profiles rm", name)))
}

// sameAccount reports whether id may be the account of p: the subjects
// match, or, without subjects, the user names or emails do. When either
// side is unknown there is nothing to tell them apart.
func sameAccount(p profiles.Profile, id *auth.Identity) bool {
	if id == nil {
		return true
	}
	for _, f := range [][2]string{{p.Subject, id.Subject}, {p.Username, id.Username}, {p.Email, id.Email}} {
		if f[0] != "" && f[1] != "" {
			return f[0] == textsafe.Clean(f[1])
		}
	}
	return true
}

// reportStorage says, loudly, when a secret went to the plain-text file.
func reportStorage(io *ioStreams, app profiles.App, info profiles.SaveInfo) {
	if info.Note != "" {
		fmt.Fprintf(io.ErrOut, "%s %s\n", io.Warn("WARNING:"), textsafe.Clean(info.Note))
	}
	if !info.InsecureStorage {
		return
	}
	where := textsafe.Clean(info.Path)
	if where == "" {
		where = "the credentials file"
	}
	if info.FallbackReason != "" {
		failed := "no keyring answered"
		if name := app.StorageName(profiles.StorageKeyring); name != "keyring" {
			failed = "the " + name + " did not answer"
		}
		fmt.Fprintf(io.ErrOut, "%s %s (%s), so the token is stored in PLAIN TEXT in %s (readable by you only).\n",
			io.Warn("WARNING:"), failed, textsafe.Clean(info.FallbackReason), where)
		return
	}
	fmt.Fprintf(io.ErrOut, "%s the token is stored in plain text in %s (readable by you only), as asked.\n", io.Warn("Note:"), where)
}

func loginWithToken(ctx context.Context, o *loginOptions, m *profiles.Manager, s profiles.Server, save profiles.SaveOptions, ev *eventWriter) error {
	var raw string
	var err error
	if o.FromFile != "" {
		raw, _, err = secretfile.Read(o.FromFile, o.Key)
	} else {
		raw, err = readToken(o.IO)
	}
	if err != nil {
		return err
	}
	tok := &oauth2.Token{AccessToken: raw, TokenType: "Bearer"}
	id := &auth.Identity{}
	if s.UserInfoURL != "" {
		c := clientFor(m, s)
		got, err := c.UserInfo(ctx, raw)
		if err != nil {
			return fmt.Errorf("the token was not accepted by %s (userinfo): %w", textsafe.Clean(s.Name), err)
		}
		id = got
	} else {
		fmt.Fprintf(o.IO.ErrOut, "%s has no userinfo endpoint, so the token could not be checked.\n", textsafe.Clean(s.Name))
	}
	return saveAndReport(ctx, o, m, s, tok, id, save, ev)
}

// readToken reads a token from stdin: the whole input when piped, one hidden
// line on a terminal.
func readToken(ios *ioStreams) (string, error) {
	var raw string
	if f, ok := ios.In.(*os.File); ok && ios.IsStdinTTY() {
		fmt.Fprint(ios.ErrOut, "Paste the token, then press Enter: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(ios.ErrOut)
		if err != nil {
			return "", fmt.Errorf("reading the token: %w", err)
		}
		raw = string(b)
	} else {
		b, err := io.ReadAll(io.LimitReader(ios.In, 64<<10+1))
		if err != nil {
			return "", fmt.Errorf("reading the token from stdin: %w", err)
		}
		if len(b) > 64<<10 {
			return "", errors.New("the token on stdin is larger than 64 KiB; is it the right input?")
		}
		raw = string(b)
	}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", flagErrorf("no token on stdin; pipe it in, e.g. `login --with-token < token.txt`")
	}
	if strings.ContainsAny(raw, " \t\r\n") {
		return "", errors.New("the input on stdin has more than one line or word; give just the token")
	}
	return raw, nil
}

// showCode prints the user code and where to enter it, on stderr (and as a
// JSON event on stdout with --json), with the host rule's warning when an
// address is not on the server's host (auth.DeviceCode.Pages).
func showCode(o *loginOptions, s profiles.Server, dc *auth.DeviceCode, pages auth.VerificationPages, ev *eventWriter) {
	code := textsafe.Clean(dc.UserCode)
	uri := textsafe.Clean(dc.VerificationURI)
	complete := textsafe.Clean(pages.Complete)
	warning := pages.Warning
	if o.JSON {
		ev.emit(codeEvent{
			Event: "code", Server: s.Name, UserCode: code, VerificationURI: uri,
			VerificationURIComplete: complete, Message: textsafe.Clean(dc.Message),
			ExpiresAt: dc.ExpiresAt.UTC().Format(time.RFC3339), Interval: dc.Interval.Seconds(),
			Scopes: cleanScopes(s.Scopes), Warning: warning,
		})
		if warning != "" {
			fmt.Fprintf(o.IO.ErrOut, "%s %s\n", o.IO.Warn("WARNING:"), warning)
		}
		return
	}
	w := o.IO.ErrOut
	if warning != "" {
		fmt.Fprintf(w, "%s %s\n\n", o.IO.Warn("WARNING:"), warning)
	}
	fmt.Fprintf(w, "First copy your one-time code: %s\n", o.IO.Bold(code))
	fmt.Fprintf(w, "Then open: %s\n", uri)
	if complete != "" && complete != uri {
		fmt.Fprintf(w, "(or open %s, which fills in the code)\n", complete)
	}
	fmt.Fprintln(w, scopesLine(s.Scopes))
	if !dc.ExpiresAt.IsZero() {
		fmt.Fprintf(w, "The code expires at %s. Waiting for approval...\n", dc.ExpiresAt.Local().Format("15:04:05"))
	} else {
		fmt.Fprintln(w, "Waiting for approval...")
	}
}

// scopesLine says which scopes the login requests.
func scopesLine(scopes []string) string {
	if len(scopes) == 0 {
		return "Scopes: none requested (the server's default)"
	}
	return "Scopes: " + strings.Join(cleanScopes(scopes), " ")
}

// cleanScopes are scopes fit for the terminal and --json.
func cleanScopes(scopes []string) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = textsafe.Clean(s)
	}
	return out
}

// pollStatus shows poll progress on stderr: one updating line on a
// terminal, only the notable events (slow_down, retries) otherwise.
type pollStatus struct {
	io    *ioStreams
	json  bool
	shown bool
}

func (p *pollStatus) show(a auth.Attempt) {
	var sd *auth.SlowDownError
	var te *auth.TransientError
	note := ""
	switch {
	case errors.As(a.Err, &sd):
		note = fmt.Sprintf("the server asked to slow down; now polling every %s", a.Interval.Round(time.Second))
	case errors.As(a.Err, &te):
		note = fmt.Sprintf("temporary failure (%s); retrying", textsafe.Clean(te.Err.Error()))
	}
	if p.io.IsStderrTTY() {
		line := fmt.Sprintf("Checked %d time(s): %s", a.N, pollResult(a.Err))
		if note != "" {
			line += " - " + note
		}
		fmt.Fprintf(p.io.ErrOut, "\r\x1b[K%s", line)
		p.shown = true
		return
	}
	if note != "" {
		fmt.Fprintln(p.io.ErrOut, note)
	}
}

func (p *pollStatus) done() {
	if p.shown {
		fmt.Fprint(p.io.ErrOut, "\r\x1b[K")
	}
}

func pollResult(err error) string {
	var sd *auth.SlowDownError
	var te *auth.TransientError
	switch {
	case err == nil:
		return "approved"
	case errors.Is(err, auth.ErrAuthorizationPending):
		return "pending"
	case errors.As(err, &sd):
		return "slow_down"
	case errors.As(err, &te):
		return "transient"
	}
	return "error"
}

// The --json event stream of login. Field names are a stable interface.
type codeEvent struct {
	Event                   string   `json:"event"` // "code"
	Server                  string   `json:"server"`
	UserCode                string   `json:"user_code"`
	VerificationURI         string   `json:"verification_uri"`
	VerificationURIComplete string   `json:"verification_uri_complete,omitempty"`
	Message                 string   `json:"message,omitempty"`
	ExpiresAt               string   `json:"expires_at"`
	Interval                float64  `json:"interval"` // seconds
	Scopes                  []string `json:"scopes"`   // requested; [] for the server's default
	Warning                 string   `json:"warning,omitempty"`
}

type pollEventJSON struct {
	Event    string  `json:"event"` // "poll"
	N        int     `json:"n"`
	Result   string  `json:"result"` // pending, slow_down, transient
	Interval float64 `json:"interval"`
	Next     string  `json:"next,omitempty"`
	Error    string  `json:"error,omitempty"`
}

type successEvent struct {
	Event           string `json:"event"` // "success"
	Profile         string `json:"profile"`
	Server          string `json:"server"`
	Account         string `json:"account"`
	Storage         string `json:"storage"`
	InsecureStorage bool   `json:"insecure_storage"`
	CredentialsPath string `json:"credentials_path,omitempty"`
	FallbackReason  string `json:"fallback_reason,omitempty"`
}

type errorEventJSON struct {
	Event string `json:"event"` // "error"
	Error string `json:"error"`
	Code  string `json:"code"`
}

func pollEvent(a auth.Attempt) (pollEventJSON, bool) {
	r := pollResult(a.Err)
	switch r {
	case "pending", "slow_down", "transient":
	default:
		return pollEventJSON{}, false
	}
	e := pollEventJSON{Event: "poll", N: a.N, Result: r, Interval: a.Interval.Seconds()}
	if !a.Next.IsZero() {
		e.Next = a.Next.UTC().Format(time.RFC3339Nano)
	}
	if r == "transient" {
		e.Error = textsafe.Clean(a.Err.Error())
	}
	return e, true
}

func errorEvent(err error, app string) errorEventJSON {
	var oe *auth.OAuthError
	code := "error"
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, ErrCancel):
		code = "cancelled"
	case errors.Is(err, auth.ErrAccessDenied):
		code = "access_denied"
	case errors.Is(err, auth.ErrExpiredToken):
		code = "expired_token"
	case errors.Is(err, auth.ErrWebTimeout):
		code = "timeout"
	case errors.Is(err, profiles.ErrNotLoggedIn):
		code = "not_logged_in"
	case errors.As(err, &oe):
		code = oe.Code
	}
	return errorEventJSON{Event: "error", Error: ErrorMessage(err, app), Code: code}
}

// eventWriter writes one JSON object per line, when on.
type eventWriter struct {
	mu sync.Mutex
	w  io.Writer
	on bool
}

func (e *eventWriter) emit(v any) {
	if !e.on {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	b = append(b, '\n')
	_, _ = e.w.Write(b)
}
