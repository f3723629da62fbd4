package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
	"github.com/spf13/cobra"
)

// maxAPIRequestBody caps the request body api reads from a file or stdin
// (it is kept in memory so the request can be sent again after a refresh).
const maxAPIRequestBody = 64 << 20

// apiOptions are the inputs of `authdeck api`.
type apiOptions struct {
	IO       *ioStreams
	Profiles func() (*profiles.Manager, error)
	Cwd      func() (string, error)
	AppName  string
	// HTTP sends the request; nil means a client with Timeout.
	HTTP *http.Client

	Profile   string
	TokenFile string
	Method    string
	Headers   []string
	Data      string
	DataSet   bool
	URL       string
	MinTTL    time.Duration
	Timeout   time.Duration
	Include   bool
	// AllowHosts are extra origins (--allow-host HOST[:PORT]) the token
	// may be sent to on this call, besides the server's own.
	AllowHosts []string
}

// newCmdAPI builds `authdeck api`. runF replaces apiRun in tests.
func newCmdAPI(f *factory, runF func(*apiOptions) error) *cobra.Command {
	opts := &apiOptions{IO: f.IO, Profiles: f.Profiles, Cwd: f.Cwd, AppName: f.AppName}
	c := &cobra.Command{
		Use:   "api URL",
		Short: "Send an HTTP request with the profile's token as a Bearer token",
		Long: `Send an HTTP request to URL with "Authorization: Bearer TOKEN", the token of
the chosen profile (refreshed first when it expires within --min-ttl). When the
server answers 401 Unauthorized, the token is refreshed once and the request
sent once more.

The response body goes to stdout unchanged. The exit code is 0 for a 2xx
status and 1 for any other status or failure (the status is then printed on
stderr).

--data takes the body itself, @FILE for a file's content, or @- for stdin.
With --data the method defaults to POST, and the Content-Type to
application/json when the body is valid JSON, else
application/x-www-form-urlencoded (override both with -X and -H).

The token is sent only to the origins (scheme, host and port) of the
profile's server: its issuer's, its userinfo endpoint's, and those listed with
` + "`servers add --api-host`" + `. Any other URL is refused unless --allow-host
names its origin for this call; only then, or for the server's own origins,
does a 401 answer lead to a refresh. A token from --token-file or the
environment with no profile chosen belongs to the only configured server;
with several, it needs --profile (to name its server) or --allow-host.

Plain http:// is refused except to loopback addresses, so the token never
crosses a network in clear. Redirects are followed only over https (or within
loopback), and once a redirect leaves the request's origin the token is not
sent again, not even back on the first origin.`,
		Example: `  ` + f.AppName + ` api https://api.example.com/v1/me
  ` + f.AppName + ` api --profile work -X PATCH -H 'Accept: application/json' -d '{"name":"x"}' https://api.example.com/v1/items/7
  ` + f.AppName + ` api -d @body.json https://api.example.com/v1/items
  ` + f.AppName + ` api --allow-host files.example.net https://files.example.net/v2/me
  echo 'q=1' | ` + f.AppName + ` api -d @- https://api.example.com/search`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			g := f.Globals()
			opts.Profile, opts.TokenFile = g.Profile, g.TokenFile
			opts.URL = args[0]
			opts.DataSet = c.Flags().Changed("data")
			if opts.MinTTL < 0 {
				return flagErrorf("--min-ttl must not be negative")
			}
			if opts.Timeout <= 0 {
				return flagErrorf("--timeout must be positive")
			}
			for _, h := range opts.AllowHosts {
				if _, err := profiles.ParseOrigin(h); err != nil {
					return flagErrorf("--allow-host %v", textsafe.Clean(err.Error()))
				}
			}
			if !c.Flags().Changed("min-ttl") {
				opts.MinTTL = 0 // profiles' default: 5m, at most half the token's life
			} else if opts.MinTTL == 0 {
				opts.MinTTL = profiles.NoMinTTL // an explicit 0 means no margin, as for token
			}
			if runF != nil {
				return runF(opts)
			}
			return apiRun(c.Context(), opts)
		},
	}
	c.Flags().StringVarP(&opts.Method, "method", "X", "", "HTTP `METHOD` (default GET, or POST with --data)")
	c.Flags().StringArrayVarP(&opts.Headers, "header", "H", nil, "add a request header `'KEY: VALUE'` (repeatable)")
	c.Flags().StringVarP(&opts.Data, "data", "d", "", "request body: `DATA`, @FILE, or @- for stdin")
	c.Flags().BoolVarP(&opts.Include, "include", "i", false, "print the status line and response headers on stderr")
	c.Flags().DurationVar(&opts.MinTTL, "min-ttl", defaultMinTTL, "refresh first when the token expires within `DURATION`")
	c.Flags().DurationVar(&opts.Timeout, "timeout", 60*time.Second, "give up on the request after `DURATION`")
	c.Flags().StringArrayVar(&opts.AllowHosts, "allow-host", nil, "also send the token to `HOST[:PORT]` (https; http://HOST:PORT on loopback) on this call (repeatable)")
	return c
}

// apiRequest is a validated request, ready to be sent (again).
type apiRequest struct {
	method  string
	url     *url.URL
	header  http.Header
	body    []byte
	hasBody bool
}

func apiRun(ctx context.Context, o *apiOptions) error {
	req, err := buildAPIRequest(o)
	if err != nil {
		return err
	}
	m, err := o.Profiles()
	if err != nil {
		return err
	}
	// One read of the config chooses the profile (flag, env, directory
	// file, active) and finds its token; a token file belongs to the
	// profile named, if any.
	cwd, _ := o.Cwd()
	topt := profiles.TokenOptions{MinTTL: o.MinTTL, TokenFile: o.TokenFile, Cwd: cwd}
	tr, err := m.Token(ctx, o.Profile, topt)
	if err != nil {
		return err
	}
	if tr == nil || tr.Token == nil || tr.Token.AccessToken == "" {
		return noTokenError(o.Profile, tr)
	}
	selectionWarning(o.IO.ErrOut, o.IO.Warn, tr.Warning)
	if err := checkAPIOrigin(ctx, m, o, tr, req.url); err != nil {
		return err
	}

	hc := o.HTTP
	if hc == nil {
		hc = &http.Client{Transport: managerTransport(m)} // the proxy from the host's environment
	}
	client := *hc
	client.CheckRedirect = checkAPIRedirect
	if client.Timeout == 0 || client.Timeout > o.Timeout {
		client.Timeout = o.Timeout
	}

	resp, err := sendAPI(ctx, &client, req, tr.Token.AccessToken)
	if err != nil {
		return err
	}
	retried := false
	// A 401 leads to a refresh only when it answers the token: not from
	// where a redirect to another origin led, which got no token.
	if resp.StatusCode == http.StatusUnauthorized && sentToken(resp) && !tr.Source.ReadOnly() {
		next, rerr := m.RefreshRejected(ctx, tr, topt)
		var nr *profiles.NoRefreshError
		switch {
		case errors.As(rerr, &nr):
			// the 401 is reported below
		case rerr != nil:
			drainClose(resp)
			return fmt.Errorf("the server refused the token (401) and refreshing it failed: %w", rerr)
		default:
			drainClose(resp)
			if resp, err = sendAPI(ctx, &client, req, next.Token.AccessToken); err != nil {
				return err
			}
			retried = true
		}
	}
	defer resp.Body.Close()
	if o.Include {
		fmt.Fprintf(o.IO.ErrOut, "%s %s\n", resp.Proto, textsafe.Clean(resp.Status))
		_ = resp.Header.Write(&cleanWriter{w: o.IO.ErrOut})
		fmt.Fprintln(o.IO.ErrOut)
	}
	if _, err := io.Copy(o.IO.Out, resp.Body); err != nil {
		return fmt.Errorf("reading the response of %s: %w", redactURL(req.url), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := fmt.Sprintf("%s: HTTP %s from %s", o.AppName, textsafe.Clean(resp.Status), redactURL(req.url))
		if resp.StatusCode == http.StatusUnauthorized {
			switch {
			case !sentToken(resp):
				msg += " (from where a redirect to another origin led; the token was not sent there)"
			case tr.Source.ReadOnly():
				msg += fmt.Sprintf(" (the token comes from %s %s, which %s does not refresh)", tr.Source, textsafe.Clean(tr.SourceDetail), o.AppName)
			case retried:
				msg += " (even after a refresh; the token may lack a scope, or the login was revoked: try `" + o.AppName + " login`)"
			default:
				msg += " (the token could not be refreshed: there is no refresh token; try `" + o.AppName + " login`)"
			}
		}
		fmt.Fprintln(o.IO.ErrOut, msg)
		return errSilent
	}
	return nil
}

// buildAPIRequest validates the options and reads the body.
func buildAPIRequest(o *apiOptions) (*apiRequest, error) {
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, flagErrorf("%q is not an absolute http(s) URL, such as https://api.example.com/v1/me", textsafe.Clean(o.URL))
	}
	if u.User != nil {
		return nil, flagErrorf("the URL must not contain a user or password; the token is the credential")
	}
	if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		return nil, flagErrorf("refusing to send a token over plain http to %s; use https (http is allowed only for loopback addresses)", textsafe.Clean(u.Host))
	}
	r := &apiRequest{url: u, header: http.Header{}}
	for _, h := range o.Headers {
		k, v, ok := strings.Cut(h, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || strings.ContainsAny(k, " \t\r\n") || strings.ContainsAny(v, "\r\n") {
			return nil, flagErrorf("header %q is not of the form 'KEY: VALUE'", textsafe.Clean(h))
		}
		if strings.EqualFold(k, "Authorization") {
			return nil, flagErrorf("-H Authorization is not allowed: %s sets it from the profile's token (use curl for other credentials)", o.AppName)
		}
		r.header.Add(k, v)
	}
	if o.DataSet {
		r.hasBody = true
		switch {
		case o.Data == "@-":
			r.body, err = readCappedAPI(o.IO.In, "stdin")
		case strings.HasPrefix(o.Data, "@"):
			var f *os.File
			if f, err = os.Open(o.Data[1:]); err != nil {
				return nil, fmt.Errorf("reading --data: %w", err)
			}
			r.body, err = readCappedAPI(f, o.Data[1:])
			f.Close()
		default:
			r.body = []byte(o.Data)
		}
		if err != nil {
			return nil, err
		}
		if r.header.Get("Content-Type") == "" {
			if json.Valid(r.body) {
				r.header.Set("Content-Type", "application/json")
			} else {
				r.header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
		}
	}
	r.method = strings.ToUpper(strings.TrimSpace(o.Method))
	if r.method == "" {
		r.method = http.MethodGet
		if r.hasBody {
			r.method = http.MethodPost
		}
	}
	for _, c := range r.method {
		if c < 'A' || c > 'Z' {
			return nil, flagErrorf("-X %q is not an HTTP method (letters only, such as GET or POST)", textsafe.Clean(o.Method))
		}
	}
	return r, nil
}

func readCappedAPI(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxAPIRequestBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading --data from %s: %w", name, err)
	}
	if len(data) > maxAPIRequestBody {
		return nil, fmt.Errorf("--data from %s is larger than %d MiB", name, maxAPIRequestBody>>20)
	}
	return data, nil
}

// sendAPI sends r with token. Transport errors never carry the token (it is
// only in a header).
func sendAPI(ctx context.Context, hc *http.Client, r *apiRequest, token string) (*http.Response, error) {
	var body io.Reader
	if r.hasBody {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url.String(), body)
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	req.Header = r.header.Clone()
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.method, redactURL(r.url), unwrapURLError(err))
	}
	return resp, nil
}

// checkAPIRedirect follows at most 10 redirects, never from https to
// http, and never to plain http off loopback.
func checkAPIRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Scheme == "http" && !loopbackHost(req.URL.Hostname()) {
		return fmt.Errorf("refusing to follow a redirect to plain http (%s)", textsafe.Clean(req.URL.Host))
	}
	if req.URL.Scheme != "https" && via[0].URL.Scheme == "https" {
		return errors.New("refusing to follow a redirect from https to http")
	}
	auth.StripCrossOriginAuth(req, via)
	return nil
}

// sentToken reports whether the request that resp answers carried the
// token (CheckRedirect strips it once a redirect leaves the origin).
func sentToken(resp *http.Response) bool {
	return resp.Request == nil || resp.Request.Header.Get("Authorization") != ""
}

// checkAPIOrigin refuses to send tr's token to u unless u's origin is one
// of its server's (Server.Origins) or given with --allow-host.
func checkAPIOrigin(ctx context.Context, m *profiles.Manager, o *apiOptions, tr *profiles.TokenResult, u *url.URL) error {
	want := profiles.OriginOf(u)
	for _, h := range o.AllowHosts {
		if got, err := profiles.ParseOrigin(h); err == nil && got == want {
			return nil
		}
	}
	srv, err := tokenServer(ctx, m, tr)
	if err != nil {
		return err
	}
	if srv.AllowsOrigin(u) {
		return nil
	}
	return originRefused(o.AppName, m, tr, srv, want, true)
}

// tokenServer is the server of tr's profile. A token from a file or an
// environment variable with no profile chosen belongs to the only
// configured server, as for whoami; with several (or none) it belongs to
// none, and the zero Server is returned.
func tokenServer(ctx context.Context, m *profiles.Manager, tr *profiles.TokenResult) (profiles.Server, error) {
	cfg, err := m.Load(ctx)
	if err != nil {
		return profiles.Server{}, err
	}
	var srv profiles.Server
	if p, ok := cfg.Profile(tr.Profile); ok && tr.Profile != "" {
		srv, _ = cfg.Server(p.Server)
	} else if tr.Profile == "" && tr.Source.ReadOnly() && len(cfg.Servers) == 1 {
		srv = cfg.Servers[0]
	}
	return srv, nil
}

// originRefused says that tr's token is not sent to origin, and what to
// do: --allow-host (for api, allowFlag) or the server's api_hosts.
func originRefused(app string, m *profiles.Manager, tr *profiles.TokenResult, srv profiles.Server, origin profiles.Origin, allowFlag bool) error {
	host := textsafe.Clean(origin.Flag())
	if srv.Name == "" {
		from := "the token"
		if tr.Source.ReadOnly() {
			from = fmt.Sprintf("the token from %s %s", tr.Source, textsafe.Clean(tr.SourceDetail))
		}
		fix := "choose the profile of its server"
		if allowFlag {
			fix = fmt.Sprintf("name its profile with --profile, or pass --allow-host %s if you trust %s with it", host, host)
		}
		return fmt.Errorf("%s belongs to no profile, and with several servers configured (or none) %s does not know which hosts may receive it; %s", from, app, fix)
	}
	var have []string
	for _, h := range srv.Origins() {
		have = append(have, h.Flag())
	}
	list := "none"
	if len(have) > 0 {
		list = strings.Join(have, ", ")
	}
	var fix []string
	if allowFlag {
		fix = append(fix, fmt.Sprintf("pass --allow-host %s if you trust it", host))
	}
	if add := cmdq(m, "servers add", textsafe.Clean(srv.Name)+" --force ... --api-host "+host); add != "" {
		fix = append(fix, "add it to the server with "+add)
	} else {
		fix = append(fix, "add it to the server's API hosts (api_hosts in the configuration, profiles.Server.APIHosts)")
	}
	return fmt.Errorf("refusing to send the token of profile %s to %s: it is not one of server %s's hosts (%s)%s",
		textsafe.Clean(tr.Profile), host, textsafe.Clean(srv.Name), textsafe.Clean(list), suggest("; ", fix...))
}

// unwrapURLError drops *url.Error's quoting of the whole URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redactURL is u for messages: no query (it may hold secrets), no control
// characters.
func redactURL(u *url.URL) string {
	c := *u
	c.RawQuery, c.Fragment, c.User = "", "", nil
	return textsafe.Clean(c.String())
}

// loopbackHost reports whether host is localhost or a loopback address.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// drainClose reads a little of an unused body (so the connection can be
// reused) and closes it.
func drainClose(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// cleanWriter strips control characters (except newlines) from what a
// server sent before it reaches a terminal.
type cleanWriter struct{ w io.Writer }

func (c *cleanWriter) Write(p []byte) (int, error) {
	lines := strings.Split(string(p), "\n")
	for i, l := range lines {
		lines[i] = textsafe.Clean(strings.TrimSuffix(l, "\r"))
	}
	if _, err := io.WriteString(c.w, strings.Join(lines, "\n")); err != nil {
		return 0, err
	}
	return len(p), nil
}
