package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/secretfile"
	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
	"github.com/authdeck/authdeck/tui"
	"github.com/spf13/cobra"
	"golang.org/x/oauth2"
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

// resolveServer picks the server to log in to (profiles.ResolveLoginServer)
// and words its problems with this host's flags and commands. cleanup
// takes out a server added for this login when the login fails.
func resolveServer(ctx context.Context, m *profiles.Manager, o *loginOptions, params []string) (profiles.Server, bool, func(), error) {
	secret, err := clientSecret(o.ClientSecret, o.ClientSecretFile, o.SecretEnv, o.Getenv)
	if err != nil {
		return profiles.Server{}, false, func() {}, err
	}
	s, added, cleanup, err := m.ResolveLoginServer(ctx, profiles.LoginTarget{Server: o.Server, ClientID: o.ClientID, ClientSecret: secret, Scopes: o.Scopes, Params: params})
	return s, added, cleanup, loginServerHint(m, err)
}

// loginServerHint adds to a *profiles.LoginServerError the flags and
// commands that fix it.
func loginServerHint(m *profiles.Manager, err error) error {
	var e *profiles.LoginServerError
	if !errors.As(err, &e) {
		return err
	}
	name := e.Server
	switch e.Problem {
	case profiles.BadParams:
		return flagErrorf("--param: %w", e.Err)
	case profiles.BadIssuerURL:
		return &flagError{Err: fmt.Errorf("--server %w", e)}
	case profiles.UnknownIssuer:
		return flagErrorf("%w; pass --client-id ID (the client id of this application at the provider) to sign in with it%s",
			e, suggest(", or add it first with ", cmdq(m, "servers add", "NAME --issuer URL --client-id ID")))
	case profiles.UnknownServer:
		return flagErrorf("%w; %spass an issuer URL to --server with --client-id", e, suggest("add it with ", cmdq(m, "servers add", ""))+orComma(m, "servers add"))
	case profiles.NoServers:
		return flagErrorf("%w%s", e, suggest("; ", suggest("add one with ", cmdq(m, "servers add", "NAME --issuer URL --client-id ID")),
			suggest("run ", cmdq(m, "login", "--server https://issuer --client-id ID")), suggest("try ", cmdq(m, "demo", ""))))
	case profiles.SeveralServers:
		return flagErrorf("%w; choose one with --server NAME", e)
	case profiles.OtherClientID:
		return flagErrorf("%w; drop --client-id, %sor pass an issuer URL to --server", e, suggest("change it with ", cmdq(m, "servers add", name+" --force ..."))+orComma(m, "servers add"))
	case profiles.OtherClientSecret:
		return flagErrorf("%w; drop the client secret%s", e, suggest(", or change it with ", cmdq(m, "servers add", name+" --force ...")))
	}
	return err
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
	params, err := loginParams(o)
	if err != nil {
		return err
	}
	s, _, cleanup, err := resolveServer(ctx, m, o, params)
	if err != nil {
		return err
	}
	// A server added for this login stays only if the login succeeds.
	defer func() {
		if err != nil {
			cleanup()
		}
	}()
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

	id, warn := profiles.Identify(ctx, c, tok)
	if warn != nil {
		fmt.Fprintf(o.IO.ErrOut, "%s could not read the account's identity (%s); saving the login anyway.\n", o.IO.Warn("Warning:"), textsafe.Clean(warn.Error()))
	}
	return saveAndReport(ctx, o, m, s, tok, id, save, ev)
}

func saveAndReport(ctx context.Context, o *loginOptions, m *profiles.Manager, s profiles.Server, tok *oauth2.Token, id *auth.Identity, save profiles.SaveOptions, ev *eventWriter) error {
	if save.Profile == "" && id.Display() == "" {
		save.Profile = s.Name // no account name to go by
	}
	p, info, err := m.SaveLogin(ctx, s.Name, tok, id, save)
	var am *profiles.AccountMismatchError
	if errors.As(err, &am) {
		name := textsafe.Clean(am.Profile)
		return fmt.Errorf("%w. Sign in to another profile with --profile NAME%s", err, suggest(", or first run ", cmdq(m, "logout", name), cmdq(m, "profiles rm", name)))
	}
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
