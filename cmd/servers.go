package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
	"github.com/spf13/cobra"
)

// serversListOptions are the inputs of `authdeck servers list`.
type serversListOptions struct {
	IO       *ioStreams
	AppName  string
	Profiles func() (*profiles.Manager, error)

	JSON bool
}

// serversAddOptions are the inputs of `authdeck servers add`.
type serversAddOptions struct {
	IO        *ioStreams
	Profiles  func() (*profiles.Manager, error)
	Getenv    func(string) string
	SecretEnv string

	Name             string
	Issuer           string
	AuthURL          string
	DeviceURL        string
	TokenURL         string
	RevokeURL        string
	UserInfoURL      string
	ClientID         string
	ClientSecret     string
	ClientSecretFile string
	Scopes           []string
	Params           []string
	EnvVar           string
	KubeToken        string
	GitUsername      string
	Preset           string
	Tenant           string
	Domain           string
	APIHosts         []string
	// Force lets add replace a server of the same name.
	Force bool
}

// serversRmOptions are the inputs of `authdeck servers rm`.
type serversRmOptions struct {
	IO       *ioStreams
	Profiles func() (*profiles.Manager, error)

	Name string
}

// serversCmd builds `authdeck servers` with list, add and rm.
func serversCmd(f *factory) *cobra.Command {
	return newCmdServers(f)
}

func newCmdServers(f *factory) *cobra.Command {
	c := &cobra.Command{Use: "servers", Short: "List, add and remove authorization servers", Args: cobra.NoArgs}
	c.AddCommand(newCmdServersList(f, nil), newCmdServersAdd(f, nil), newCmdServersRm(f, nil))
	return c
}

func newCmdServersList(f *factory, runF func(*serversListOptions) error) *cobra.Command {
	lo := &serversListOptions{IO: f.IO, AppName: f.AppName, Profiles: f.Profiles}
	list := &cobra.Command{Use: "list", Aliases: []string{"ls"}, Short: "List servers (client secrets masked)", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(lo)
			}
			return serversListRun(c.Context(), lo)
		}}
	list.Flags().BoolVar(&lo.JSON, "json", false, "print a JSON document")
	return list
}

func newCmdServersAdd(f *factory, runF func(*serversAddOptions) error) *cobra.Command {
	ao := &serversAddOptions{IO: f.IO, SecretEnv: f.Host.EnvClientSecret, Profiles: f.Profiles, Getenv: f.Getenv}
	add := &cobra.Command{
		Use:   "add NAME (--issuer URL | [--device-url URL] [--auth-url URL] --token-url URL) --client-id ID",
		Short: "Add a server (or replace one, with --force)",
		Long: `Add a server by its issuer (its endpoints are discovered from RFC 8414 or
OpenID metadata), or by explicit endpoints for providers that publish none:
the token endpoint and a device authorization endpoint (device flow), an
authorization endpoint (browser sign-in, login --web), or both.

The client secret, for providers that want one from installed apps, is best
given with ` + secretHint(f.Host.EnvClientSecret) + `: process arguments
are visible to other users of the machine.

api and the Kit's HTTP client send a profile's token only to its server's
origins: the issuer's, the userinfo endpoint's, and each --api-host
(HOST[:PORT] for https, http://HOST:PORT for a loopback host).

A server of the same name is only replaced with --force; its profiles keep
their tokens, which were issued to the old client id.`,
		Example: `  ` + f.AppName + ` servers add dev --issuer https://id.example.com --client-id my-cli
  ` + f.AppName + ` servers add gh --device-url https://github.com/login/device/code \
      --token-url https://github.com/login/oauth/access_token --client-id Iv1.abc --scopes repo
  ` + f.AppName + ` servers add web --auth-url https://id.example.com/authorize \
      --token-url https://id.example.com/token --client-id my-cli
  ` + f.AppName + ` servers add entra --preset microsoft --tenant contoso.onmicrosoft.com --client-id 0000-1111
  ` + f.AppName + ` servers add acme --preset okta --domain acme.okta.com --client-id 0oa1b2c3
  ` + f.AppName + ` servers add api --preset auth0 --domain acme.eu.auth0.com --client-id abc \
      --param audience=https://api.acme.example
  ` + f.AppName + ` servers add dev --issuer https://id.example.com --client-id my-cli --api-host api.example.com`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ao.Name = args[0]
			if err := validateAdd(ao); err != nil {
				return err
			}
			if runF != nil {
				return runF(ao)
			}
			return serversAddRun(c.Context(), ao)
		},
	}
	fl := add.Flags()
	fl.StringVar(&ao.Issuer, "issuer", "", "issuer `URL` (endpoints are discovered)")
	fl.StringVar(&ao.DeviceURL, "device-url", "", "device authorization endpoint `URL`")
	fl.StringVar(&ao.AuthURL, "auth-url", "", "authorization endpoint `URL` (for the browser sign-in, login --web)")
	fl.StringVar(&ao.TokenURL, "token-url", "", "token endpoint `URL`")
	fl.StringVar(&ao.RevokeURL, "revoke-url", "", "revocation endpoint `URL` (RFC 7009)")
	fl.StringVar(&ao.UserInfoURL, "userinfo-url", "", "userinfo endpoint `URL`")
	fl.StringVar(&ao.ClientID, "client-id", "", "OAuth client `ID` of this application at the server")
	fl.StringVar(&ao.ClientSecret, "client-secret", "", "client `SECRET` (prefer "+secretHint(f.Host.EnvClientSecret)+")")
	fl.StringVar(&ao.ClientSecretFile, "client-secret-file", "", "read the client secret from `PATH`")
	fl.StringSliceVar(&ao.Scopes, "scopes", nil, "scopes to request, comma-separated")
	fl.StringArrayVar(&ao.Params, "param", nil, "extra request parameter `KEY=VALUE` sent to this server: audience, prompt, login_hint, acr_values, resource... (repeatable)")
	fl.StringVar(&ao.EnvVar, "env-var", "", "env var `NAME` whose value overrides this server's stored tokens")
	fl.StringVar(&ao.KubeToken, "kube-token", "", "the `TOKEN` kubectl's credential helper sends: access_token (default) or id_token")
	fl.StringVar(&ao.GitUsername, "git-username", "", "the `USER` name git's credential helper answers beside the token (default x-access-token for GitHub, else oauth2)")
	fl.StringVar(&ao.Preset, "preset", "", "fill in the endpoints of a known `PROVIDER`: "+strings.Join(profiles.PresetNames(), ", "))
	fl.StringVar(&ao.Tenant, "tenant", "", "with --preset: the Microsoft tenant, Keycloak realm or Okta authorization server")
	fl.BoolVar(&ao.Force, "force", false, "replace a server of the same name")
	fl.StringArrayVar(&ao.APIHosts, "api-host", nil, "also send this server's tokens to `HOST[:PORT]` (https; http://HOST:PORT on loopback) (repeatable)")
	fl.StringVar(&ao.Domain, "domain", "", "with --preset: the tenant `HOST` of Auth0, Okta, Keycloak (or GitHub Enterprise, WorkOS AuthKit)")
	return add
}

func newCmdServersRm(f *factory, runF func(*serversRmOptions) error) *cobra.Command {
	ro := &serversRmOptions{IO: f.IO, Profiles: f.Profiles}
	return &cobra.Command{Use: "rm NAME", Aliases: []string{"remove"}, Short: "Remove a server (refused while profiles use it)", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ro.Name = args[0]
			if runF != nil {
				return runF(ro)
			}
			return serversRmRun(c.Context(), ro)
		}}
}

func validateAdd(o *serversAddOptions) error {
	if strings.TrimSpace(o.Name) == "" {
		return flagErrorf("the server needs a name")
	}
	if o.ClientID == "" {
		return flagErrorf("--client-id is required")
	}
	for _, h := range o.APIHosts {
		if _, err := profiles.ParseOrigin(h); err != nil {
			return flagErrorf("--api-host %s", textsafe.Clean(err.Error()))
		}
	}
	switch o.KubeToken {
	case "", profiles.KubeAccessToken, profiles.KubeIDToken:
	default:
		return flagErrorf("--kube-token %q: use %s or %s", textsafe.Clean(o.KubeToken), profiles.KubeAccessToken, profiles.KubeIDToken)
	}
	explicit := o.DeviceURL != "" || o.TokenURL != "" || o.AuthURL != ""
	if o.Preset != "" {
		if o.Issuer != "" || explicit || o.RevokeURL != "" || o.UserInfoURL != "" {
			return flagErrorf("--preset fills in the endpoints; drop --issuer and the --*-url flags, or drop --preset")
		}
		return nil
	}
	if o.Tenant != "" || o.Domain != "" {
		return flagErrorf("--tenant and --domain go with --preset")
	}
	switch {
	case o.Issuer != "" && explicit:
		return flagErrorf("give either --issuer or explicit endpoints (--token-url with --device-url and/or --auth-url), not both")
	case o.Issuer == "" && !explicit:
		return flagErrorf("give --issuer URL, or --token-url URL with --device-url URL and/or --auth-url URL")
	case explicit && o.TokenURL == "":
		return flagErrorf("--token-url is required with --device-url or --auth-url")
	case explicit && o.DeviceURL == "" && o.AuthURL == "":
		return flagErrorf("--token-url needs --device-url (device flow) and/or --auth-url (browser sign-in)")
	}
	return nil
}

// profilesOf names the profiles of server, cleaned for the terminal.
func profilesOf(cfg *profiles.Config, server string) []string {
	var out []string
	for _, p := range cfg.Profiles {
		if p.Server == server {
			out = append(out, textsafe.Clean(p.Name))
		}
	}
	return out
}

// serversJSON is the stable --json document of `servers list` (version 1).
// Client secrets are masked.
type serversJSON struct {
	Version int               `json:"version"`
	Servers []serversJSONItem `json:"servers"`
}

// serversJSONItem is one server in serversJSON.
type serversJSONItem struct {
	Name             string   `json:"name"`
	Issuer           string   `json:"issuer,omitempty"`
	AuthURL          string   `json:"authorization_endpoint,omitempty"`
	DeviceAuthURL    string   `json:"device_authorization_endpoint,omitempty"`
	TokenURL         string   `json:"token_endpoint,omitempty"`
	RevocationURL    string   `json:"revocation_endpoint,omitempty"`
	UserInfoURL      string   `json:"userinfo_endpoint,omitempty"`
	IntrospectionURL string   `json:"introspection_endpoint,omitempty"`
	ClientID         string   `json:"client_id"`
	ClientSecret     string   `json:"client_secret,omitempty"` // "********" when set
	Scopes           []string `json:"scopes,omitempty"`
	Params           []string `json:"params,omitempty"`
	EnvVar           string   `json:"env_var,omitempty"`
	APIHosts         []string `json:"api_hosts,omitempty"`
	KubeToken        string   `json:"kube_token,omitempty"`
	GitUsername      string   `json:"git_username,omitempty"`
	Profiles         int      `json:"profiles"`
}

const secretMask = "********"

// serversAddRun adds (or, with --force, replaces) a server and says what
// the user should know about it.
func serversAddRun(ctx context.Context, o *serversAddOptions) error {
	m, err := o.Profiles()
	if err != nil {
		return err
	}
	argvSecretNote(o.IO, o.ClientSecret, o.SecretEnv)
	secret, err := clientSecret(o.ClientSecret, o.ClientSecretFile, o.SecretEnv, o.Getenv)
	if err != nil {
		return err
	}
	if _, err := auth.ParseParams(o.Params); err != nil {
		return flagErrorf("--param: %v", err)
	}
	s, err := o.server(secret)
	if err != nil {
		return err
	}
	cfg, err := m.Load(ctx)
	if err != nil {
		return err
	}
	old, exists := cfg.Server(s.Name)
	users := profilesOf(cfg, s.Name)
	if exists && !o.Force {
		used := ""
		if len(users) > 0 {
			used = ", used by profile(s) " + strings.Join(users, ", ")
		}
		return flagErrorf("a server named %q already exists (client id %s%s); pass --force to replace it, or choose another name",
			textsafe.Clean(s.Name), textsafe.Clean(old.ClientID), used)
	}
	got, err := m.AddServer(ctx, s)
	if err != nil {
		return err
	}
	verb := "Added"
	if exists {
		verb = "Replaced"
	}
	fmt.Fprintf(o.IO.ErrOut, "%s server %s (device endpoint %s)\n", verb, textsafe.Clean(got.Name), textsafe.Clean(dash(got.DeviceAuthURL)))
	if got.ClientSecretStorage == profiles.StorageFile {
		fmt.Fprintf(o.IO.ErrOut, "%s the client secret is stored in plain text in %s (readable by you only).\n", o.IO.Warn("Note:"), textsafe.Clean(m.CredentialsPath()))
	}
	if exists && old.ClientID != got.ClientID && len(users) > 0 {
		fmt.Fprintf(o.IO.ErrOut, "Note: the client id changed; the tokens of %s were issued to the old one, so log in again if the server refuses them.\n", strings.Join(users, ", "))
	}
	switch {
	case got.DeviceAuthURL == "" && got.SupportsWeb():
		fmt.Fprintln(o.IO.ErrOut, "Note: the server has no device authorization endpoint; `login` signs in with the browser (--web).")
	case got.DeviceAuthURL == "":
		fmt.Fprintln(o.IO.ErrOut, "Note: the server has no device authorization endpoint; use `login --with-token`.")
	}
	return nil
}

// server is the server o describes, from a preset or from its flags.
func (o *serversAddOptions) server(secret string) (profiles.Server, error) {
	if o.Preset == "" {
		return profiles.Server{
			Name: o.Name,
			Endpoints: auth.Endpoints{
				Issuer: o.Issuer, AuthURL: o.AuthURL, DeviceAuthURL: o.DeviceURL, TokenURL: o.TokenURL,
				RevocationURL: o.RevokeURL, UserInfoURL: o.UserInfoURL,
			},
			ClientID: o.ClientID, ClientSecret: secret, Scopes: o.Scopes, EnvVar: o.EnvVar,
			Params: o.Params, KubeToken: o.KubeToken, GitUsername: o.GitUsername,
			APIHosts: o.APIHosts,
		}, nil
	}
	s, err := profiles.Preset(o.Preset, profiles.PresetOptions{
		Name: o.Name, ClientID: o.ClientID, ClientSecret: secret,
		Tenant: o.Tenant, Domain: o.Domain, Scopes: o.Scopes,
	})
	if err != nil {
		return profiles.Server{}, flagErrorf("%v", err)
	}
	s.EnvVar = o.EnvVar
	s.Params = o.Params
	s.APIHosts = o.APIHosts
	s.KubeToken, s.GitUsername = o.KubeToken, o.GitUsername
	return s, nil
}

// serversRmRun removes a server.
func serversRmRun(ctx context.Context, o *serversRmOptions) error {
	m, err := o.Profiles()
	if err != nil {
		return err
	}
	if err := m.RemoveServer(ctx, o.Name); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "Removed server %s\n", textsafe.Clean(o.Name))
	return nil
}

// serversListRun prints the servers as a table or a JSON document.
func serversListRun(ctx context.Context, o *serversListOptions) error {
	m, err := o.Profiles()
	if err != nil {
		return err
	}
	cfg, err := m.Load(ctx)
	if err != nil {
		return err
	}
	doc := serversDoc(cfg)
	if o.JSON {
		return writeJSON(o.IO, doc)
	}
	if len(doc.Servers) == 0 {
		fmt.Fprintf(o.IO.ErrOut, "No servers yet; add one with `%s servers add NAME --issuer URL --client-id ID`.\n", o.AppName)
		return nil
	}
	tty := o.IO.IsStdoutTTY()
	t := newTable(o.IO.Out, tty)
	if tty {
		t.row("NAME", "ISSUER / DEVICE ENDPOINT", "CLIENT ID", "SCOPES", "PROFILES")
	}
	for _, s := range doc.Servers {
		where := s.Issuer
		if where == "" {
			where = s.DeviceAuthURL
		}
		if where == "" {
			where = s.AuthURL
		}
		t.row(s.Name, where, s.ClientID, strings.Join(s.Scopes, ","), fmt.Sprint(s.Profiles))
	}
	return t.flush()
}

// serversDoc is the servers of cfg, secrets masked and strings cleaned.
func serversDoc(cfg *profiles.Config) serversJSON {
	doc := serversJSON{Version: 1, Servers: []serversJSONItem{}}
	for _, s := range cfg.Servers {
		it := serversJSONItem{
			Name: s.Name, Issuer: s.Issuer, AuthURL: s.AuthURL, DeviceAuthURL: s.DeviceAuthURL, TokenURL: s.TokenURL,
			RevocationURL: s.RevocationURL, UserInfoURL: s.UserInfoURL, IntrospectionURL: s.IntrospectionURL,
			ClientID: s.ClientID, Scopes: s.Scopes, Params: s.Params, EnvVar: s.EnvVar,
			KubeToken: s.KubeToken, GitUsername: s.GitUsername,
		}
		for _, h := range s.APIHosts {
			it.APIHosts = append(it.APIHosts, textsafe.Clean(h))
		}
		if s.HasClientSecret() {
			it.ClientSecret = secretMask
		}
		for _, p := range cfg.Profiles {
			if p.Server == s.Name {
				it.Profiles++
			}
		}
		for _, p := range []*string{&it.Name, &it.Issuer, &it.AuthURL, &it.DeviceAuthURL, &it.TokenURL, &it.RevocationURL, &it.UserInfoURL, &it.IntrospectionURL, &it.ClientID, &it.EnvVar, &it.GitUsername} {
			*p = textsafe.Clean(*p)
		}
		doc.Servers = append(doc.Servers, it)
	}
	return doc
}
