// Package authtest is a fake OAuth 2.0 / OpenID Connect authorization server
// for tests, built on net/http/httptest. It speaks discovery (RFC 8414 and
// OpenID), the device flow (RFC 8628) in the dialects of real providers,
// refresh with rotation, revocation (RFC 7009), introspection (RFC 7662) and
// userinfo, and records every request so tests can assert what the client
// sent and when.
//
// Typical use:
//
//	srv := authtest.NewServer(t, authtest.Options{Interval: 50 * time.Millisecond})
//	c := srv.Client() // an *auth.Client configured for srv
//	dc, _ := c.StartDevice(ctx)
//	srv.Script(authtest.Pending(), authtest.SlowDown(0)) // the next two polls
//	srv.Approve()                                       // then tokens
//	tok, err := c.WaitDevice(ctx, dc, nil)
//	if n := srv.TooFast(); n > 0 { t.Errorf("%d polls came too early", n) }
//
// Each device-code poll consumes the next scripted Outcome; when the script is
// empty the poll is answered from the server's state: pending until Approve
// or Deny, expired_token once the code's lifetime (Options.DeviceCodeTTL) has
// passed, invalid_grant once the code was exchanged. Inject queues outcomes
// for other endpoints (for example a 503 from /revoke).
package authtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/authdeck/authdeck/auth"
)

// Dialect selects how the server words its answers, after a real provider.
type Dialect string

// Dialects.
const (
	// Standard follows RFC 8628 to the letter (400 for every error).
	Standard Dialect = "standard"
	// GitHub answers errors with HTTP 200, form-encoded unless the client
	// sends Accept: application/json, token_type "bearer", no refresh token
	// and no id_token; userinfo is GitHub's /user (login and a numeric id,
	// no sub); there is no revocation endpoint and no metadata.
	GitHub Dialect = "github"
	// Google sends verification_url (not _uri), 428 for pending and 403 for
	// slow_down and access_denied. Set Options.ClientSecret as Google wants
	// one.
	Google Dialect = "google"
	// Entra (Microsoft) sends a message field, numbers as strings ("900"),
	// authorization_declined for a denial, and a verification page on
	// another host.
	Entra Dialect = "entra"
	// Auth0 answers 403 for pending, denial and expiry, and 429 for slow_down.
	Auth0 Dialect = "auth0"
	// WorkOS sends no expires_in, neither with device codes nor with
	// tokens: the device code and the access token are JWTs whose exp is
	// the expiry. Its verification page is on another host (localhost
	// instead of 127.0.0.1, so it is still reachable).
	WorkOS Dialect = "workos"
)

// Metadata selects which discovery documents the server publishes.
type Metadata int

// Metadata modes.
const (
	// MetadataBoth publishes RFC 8414 and OpenID metadata (the default).
	MetadataBoth Metadata = iota
	// MetadataOIDCOnly publishes only /.well-known/openid-configuration.
	MetadataOIDCOnly
	// MetadataNone publishes no metadata (GitHub).
	MetadataNone
)

// DefaultScopes are the scopes the server grants when a client asks for none.
const DefaultScopes = "openid profile email offline_access"

// Options configure a Server. The zero value is a standard server with a 5s
// interval, 10 minute device codes, 1 hour access tokens and rotating refresh
// tokens.
type Options struct {
	Dialect Dialect // default Standard
	// ClientID the server accepts; default "authdeck-test".
	ClientID string
	// ClientSecret, when set, is required (client_secret_post) at device
	// authorization, token, revocation and introspection.
	ClientSecret string
	// User is the login of the approving user; default "alice". Its subject
	// is "sub-" + User.
	User string
	// Claims are added to (or replace) the userinfo and ID-token claims.
	Claims map[string]any
	// Interval is the polling interval sent with device codes (default 5s).
	// Sub-second intervals are sent as fractions of a second, which
	// auth.Client accepts; real servers send whole seconds.
	Interval time.Duration
	// NoInterval omits interval from device authorization answers.
	NoInterval bool
	// DeviceCodeTTL is the device code lifetime (default 10m).
	DeviceCodeTTL time.Duration
	// AccessTTL is the access token lifetime (default 1h).
	AccessTTL time.Duration
	// NoRefreshToken: never issue refresh tokens.
	NoRefreshToken bool
	// KeepRefreshToken: refresh answers carry no refresh_token, the old one
	// stays valid (no rotation). By default refresh tokens rotate, and
	// reusing a rotated one revokes the whole grant (like oidc-provider).
	KeepRefreshToken bool
	// EnforceInterval answers slow_down to polls that come sooner than the
	// interval in force (GitHub does). TooFast counts such polls either way.
	EnforceInterval bool
	// FormEncoded answers device and token requests form-encoded whatever
	// the Accept header says.
	FormEncoded bool
	// NoRevocation, NoIntrospection and NoUserInfo leave those endpoints out
	// of Endpoints and the metadata (their handlers still answer).
	NoRevocation, NoIntrospection, NoUserInfo bool
	// Metadata selects the discovery documents published.
	Metadata Metadata
	// IssuerPath is appended to URL to make the issuer ("/tenant"); the
	// RFC 8414 document is then served at
	// /.well-known/oauth-authorization-server/tenant and the OpenID one at
	// /tenant/.well-known/openid-configuration.
	IssuerPath string
	// IssuerOverride is the issuer the metadata claims (for mismatch tests).
	IssuerOverride string
	// IDTokens selects how ID tokens are signed (default: ES256 with the
	// key published at PathJWKS).
	IDTokens IDTokenMode
	// ScopesSupported replaces the metadata's scopes_supported (default
	// DefaultScopes); a list without openid makes a plain OAuth server's
	// RFC 8414 metadata.
	ScopesSupported []string
	// VerificationURIComplete, when set, replaces the
	// verification_uri_complete of device authorization answers (a
	// hostile server's pre-filled address on another host).
	VerificationURIComplete string
	// Now is the server's clock, used for expiry and request times (share
	// it with the client's fake clock). Default time.Now.
	Now func() time.Time
}

// Request is one request the server received.
type Request struct {
	Method string
	Path   string
	Time   time.Time   // by Options.Now
	Form   url.Values  // POST form, or the query of a GET
	Header http.Header // a copy
}

// GrantType returns the request's grant_type form value.
func (r Request) GrantType() string { return r.Form.Get("grant_type") }

// Endpoint paths.
const (
	PathDevice      = "/device_authorization"
	PathToken       = "/token"
	PathRevoke      = "/revoke"
	PathUserInfo    = "/userinfo"
	PathIntrospect  = "/introspect"
	PathDevicePage  = "/device"
	PathAuthorize   = "/authorize"
	PathJWKS        = "/jwks"
	deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"
)

// Server is a running fake authorization server. It is safe for concurrent
// use. It is closed when the test ends.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL string

	srv  *httptest.Server
	opts Options
	jwt  *Signer

	mu       sync.Mutex
	script   []Outcome
	inject   map[string][]Outcome
	decision Kind // 0 (pending), KindGranted or KindDenied
	codes    map[string]*deviceGrant
	access   map[string]*accessInfo
	refresh  map[string]*refreshInfo
	requests []Request
	tooFast  int
	seq      int
}

type deviceGrant struct {
	userCode  string
	scope     string
	expires   time.Time
	last      time.Time // issuance or the previous poll
	interval  time.Duration
	exchanged bool
}

type accessInfo struct {
	family  string
	sub     string
	scope   string
	expires time.Time
	revoked bool
}

type refreshInfo struct {
	family  string
	scope   string
	used    bool
	revoked bool
}

// NewServer starts a server on 127.0.0.1 and closes it at t.Cleanup.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Dialect == "" {
		opts.Dialect = Standard
	}
	if opts.ClientID == "" {
		opts.ClientID = "authdeck-test"
	}
	if opts.User == "" {
		opts.User = "alice"
	}
	if opts.Interval <= 0 {
		opts.Interval = 5 * time.Second
	}
	if opts.DeviceCodeTTL <= 0 {
		opts.DeviceCodeTTL = 10 * time.Minute
	}
	if opts.AccessTTL == 0 {
		opts.AccessTTL = time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Dialect == GitHub {
		opts.NoRefreshToken = true
		opts.NoRevocation = true
		opts.NoIntrospection = true
		opts.Metadata = MetadataNone
	}
	s := &Server{
		opts:    opts,
		jwt:     NewSigner(),
		inject:  map[string][]Outcome{},
		codes:   map[string]*deviceGrant{},
		access:  map[string]*accessInfo{},
		refresh: map[string]*refreshInfo{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// HTTPClient returns an HTTP client for the server (with its own connection
// pool, closed with the server).
func (s *Server) HTTPClient() *http.Client { return s.srv.Client() }

// Issuer is the issuer URL (URL + Options.IssuerPath).
func (s *Server) Issuer() string { return s.URL + s.opts.IssuerPath }

// Endpoints returns the server's endpoints as auth.Client wants them.
func (s *Server) Endpoints() auth.Endpoints {
	e := auth.Endpoints{
		AuthURL:          s.URL + PathAuthorize,
		DeviceAuthURL:    s.URL + PathDevice,
		TokenURL:         s.URL + PathToken,
		RevocationURL:    s.URL + PathRevoke,
		UserInfoURL:      s.URL + PathUserInfo,
		IntrospectionURL: s.URL + PathIntrospect,
	}
	if s.opts.Metadata != MetadataNone {
		e.Issuer = s.Issuer()
	}
	if s.opts.Dialect == GitHub {
		e.UserInfoURL = s.URL + "/user"
	}
	if s.opts.NoRevocation {
		e.RevocationURL = ""
	}
	if s.opts.NoIntrospection {
		e.IntrospectionURL = ""
	}
	if s.opts.NoUserInfo {
		e.UserInfoURL = ""
	}
	return e
}

// Client returns an auth.Client configured for the server: its client ID
// and secret, DefaultScopes, its endpoints, its HTTP client and its clock.
func (s *Server) Client() *auth.Client {
	return &auth.Client{
		HTTP:         s.HTTPClient(),
		ClientID:     s.opts.ClientID,
		ClientSecret: s.opts.ClientSecret,
		Scopes:       strings.Fields(DefaultScopes),
		Endpoints:    s.Endpoints(),
		Now:          s.opts.Now,
	}
}

// Script queues outcomes for the next device-code polls, after any already
// queued.
func (s *Server) Script(outcomes ...Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, outcomes...)
}

// Inject queues outcomes for the next requests to path (PathToken for
// refresh, PathRevoke, PathUserInfo, ...), taking precedence over Script.
// Only failure outcomes (ServerError, RateLimited, HTMLPage, Drop, Stall,
// Raw) make sense there.
func (s *Server) Inject(path string, outcomes ...Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inject[path] = append(s.inject[path], outcomes...)
}

// Approve makes the user approve: once the script is used up, polls get
// tokens.
func (s *Server) Approve() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.decision = KindGranted
}

// Deny makes the user decline: once the script is used up, polls get
// access_denied.
func (s *Server) Deny() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.decision = KindDenied
}

// IssueToken registers and returns a token for Options.User as if a login
// had just completed: an access token living ttl (Options.AccessTTL when 0;
// a negative ttl gives an already expired token), a refresh token (unless
// Options.NoRefreshToken) and an id_token extra.
func (s *Server) IssueToken(ttl time.Duration) *oauth2.Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ttl == 0 {
		ttl = s.opts.AccessTTL
	}
	body := s.issueLocked(s.newID("fam"), DefaultScopes, "", ttl)
	t := &oauth2.Token{
		AccessToken:  body["access_token"].(string),
		TokenType:    "Bearer",
		Expiry:       s.opts.Now().Add(ttl),
		RefreshToken: stringOr(body["refresh_token"]),
	}
	return t.WithExtra(body)
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many requests reached path.
func (s *Server) Count(path string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}

// Polls returns the device-code token requests received so far.
func (s *Server) Polls() []Request { return s.grants(deviceGrantType) }

// RefreshCount returns how many refresh_token grant requests were received.
func (s *Server) RefreshCount() int { return len(s.grants("refresh_token")) }

func (s *Server) grants(gt string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Path == PathToken && r.GrantType() == gt {
			out = append(out, r)
		}
	}
	return out
}

// TooFast returns how many device-code polls came sooner than the interval
// in force after the code's issuance or the previous poll (by Options.Now).
func (s *Server) TooFast() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tooFast
}

// Active reports whether token is a live access or refresh token.
func (s *Server) Active(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.access[token]; ok {
		return !a.revoked && s.opts.Now().Before(a.expires)
	}
	if r, ok := s.refresh[token]; ok {
		return !r.revoked && !r.used
	}
	return false
}

// ExpireDeviceCodes makes every device code issued so far expire now.
func (s *Server) ExpireDeviceCodes() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.codes {
		g.expires = s.opts.Now()
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	form := r.URL.Query()
	if r.Method == http.MethodPost {
		if f, err := url.ParseQuery(string(body)); err == nil {
			form = f
		}
	}
	s.mu.Lock()
	now := s.opts.Now()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Time: now, Form: form, Header: r.Header.Clone()})
	var injected *Outcome
	if q := s.inject[r.URL.Path]; len(q) > 0 {
		injected = &q[0]
		s.inject[r.URL.Path] = q[1:]
	}
	s.mu.Unlock()

	if injected != nil && s.failure(w, r, *injected) {
		return
	}
	p := r.URL.Path
	switch {
	case p == "/.well-known/oauth-authorization-server"+s.opts.IssuerPath && s.opts.Metadata == MetadataBoth,
		p == s.opts.IssuerPath+"/.well-known/openid-configuration" && s.opts.Metadata != MetadataNone:
		s.metadata(w)
	case p == PathJWKS && r.Method == http.MethodGet:
		writeJSON(w, 200, s.jwt.JWKS())
	case p == PathDevice && r.Method == http.MethodPost:
		s.deviceAuthorization(w, r, form)
	case p == PathToken && r.Method == http.MethodPost:
		s.token(w, r, form)
	case p == PathRevoke && r.Method == http.MethodPost:
		s.revoke(w, r, form)
	case p == PathIntrospect && r.Method == http.MethodPost:
		s.introspect(w, r, form)
	case (p == PathUserInfo || p == "/user") && r.Method == http.MethodGet:
		s.userinfo(w, r)
	case p == PathDevicePage:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><title>Device</title><p>Enter your code.</p>")
	default:
		http.NotFound(w, r)
	}
}

// failure writes a failure outcome and reports whether it did. Stall waits
// and returns false so the request is then served normally.
func (s *Server) failure(w http.ResponseWriter, r *http.Request, o Outcome) bool {
	for k, v := range o.Header {
		w.Header()[k] = v
	}
	switch o.Kind {
	case KindServerError:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(o.Status)
		io.WriteString(w, "internal server error\n")
	case KindRateLimited:
		if o.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((o.RetryAfter+time.Second-1)/time.Second)))
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, "Too Many Requests\n")
	case KindHTMLPage:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(o.Status)
		fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><title>%d Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>\n", o.Status)
	case KindDrop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	case KindStall:
		t := time.NewTimer(o.Delay)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return true
		case <-t.C:
		}
		return false
	case KindTruncated, KindCutOff:
		head := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		if o.Kind == KindTruncated {
			head += "Content-Length: 500\r\n"
		}
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic(http.ErrAbortHandler)
		}
		conn, buf, err := hj.Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		buf.WriteString(head + "Connection: close\r\n\r\n" + `{"access_token":"cut-off`)
		buf.Flush()
		conn.Close()
	case KindRaw:
		if o.ContentType != "" {
			w.Header().Set("Content-Type", o.ContentType)
		}
		w.WriteHeader(o.Status)
		io.WriteString(w, o.Body)
	default:
		return false
	}
	return true
}

func (s *Server) metadata(w http.ResponseWriter) {
	e := s.Endpoints()
	iss := s.Issuer()
	if s.opts.IssuerOverride != "" {
		iss = s.opts.IssuerOverride
	}
	m := map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                e.AuthURL,
		"device_authorization_endpoint":         e.DeviceAuthURL,
		"token_endpoint":                        e.TokenURL,
		"grant_types_supported":                 []string{"authorization_code", "refresh_token", deviceGrantType},
		"scopes_supported":                      strings.Fields(DefaultScopes),
		"jwks_uri":                              s.URL + PathJWKS,
		"id_token_signing_alg_values_supported": []string{"ES256"},
	}
	if s.opts.ScopesSupported != nil {
		m["scopes_supported"] = s.opts.ScopesSupported
	}
	for k, v := range map[string]string{
		"revocation_endpoint":    e.RevocationURL,
		"userinfo_endpoint":      e.UserInfoURL,
		"introspection_endpoint": e.IntrospectionURL,
	} {
		if v != "" {
			m[k] = v
		}
	}
	writeJSON(w, 200, m)
}

// clientOK checks client authentication and writes invalid_client if it
// fails.
func (s *Server) clientOK(w http.ResponseWriter, r *http.Request, form url.Values) bool {
	id := form.Get("client_id")
	secret := form.Get("client_secret")
	if bid, bsec, ok := r.BasicAuth(); ok {
		id, secret = bid, bsec
	}
	if id != s.opts.ClientID || (s.opts.ClientSecret != "" && secret != s.opts.ClientSecret) {
		s.oauthError(w, r, 401, "invalid_client", "client authentication failed", nil)
		return false
	}
	return true
}

func (s *Server) deviceAuthorization(w http.ResponseWriter, r *http.Request, form url.Values) {
	if !s.clientOK(w, r, form) {
		return
	}
	s.mu.Lock()
	now := s.opts.Now()
	scope := form.Get("scope")
	if scope == "" {
		scope = DefaultScopes
	}
	g := &deviceGrant{
		userCode: userCode(),
		scope:    scope,
		expires:  now.Add(s.opts.DeviceCodeTTL),
		last:     now,
		interval: s.opts.Interval,
	}
	var code string
	if s.opts.Dialect == WorkOS {
		code = fakeJWT(map[string]any{"exp": g.expires.Unix(), "jti": s.newID("dc")})
	} else {
		code = s.newID("dc")
	}
	s.codes[code] = g
	s.mu.Unlock()

	page := s.URL + PathDevicePage
	m := map[string]any{
		"device_code":               code,
		"user_code":                 g.userCode,
		"verification_uri":          page,
		"verification_uri_complete": page + "?user_code=" + g.userCode,
		"expires_in":                int(s.opts.DeviceCodeTTL.Round(time.Second) / time.Second),
	}
	if !s.opts.NoInterval {
		m["interval"] = seconds(s.opts.Interval)
	}
	switch s.opts.Dialect {
	case Google:
		m["verification_url"] = page
		delete(m, "verification_uri")
		delete(m, "verification_uri_complete")
	case Entra:
		m["verification_uri"] = "https://microsoft.example/devicelogin"
		delete(m, "verification_uri_complete")
		m["message"] = "To sign in, use a web browser to open the page https://microsoft.example/devicelogin and enter the code " + g.userCode + " to authenticate."
		m["expires_in"] = fmt.Sprint(m["expires_in"])
		if iv, ok := m["interval"]; ok {
			m["interval"] = fmt.Sprint(iv)
		}
	case WorkOS:
		delete(m, "expires_in")
		other := strings.Replace(s.URL, "127.0.0.1", "localhost", 1)
		m["verification_uri"] = other + PathDevicePage
		m["verification_uri_complete"] = other + PathDevicePage + "?user_code=" + g.userCode
	case GitHub:
		delete(m, "verification_uri_complete")
	}
	if s.opts.VerificationURIComplete != "" {
		m["verification_uri_complete"] = s.opts.VerificationURIComplete
	}
	s.write(w, r, 200, m)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request, form url.Values) {
	if !s.clientOK(w, r, form) {
		return
	}
	switch form.Get("grant_type") {
	case deviceGrantType:
		s.poll(w, r, form)
	case "refresh_token":
		s.refreshGrant(w, r, form)
	default:
		s.oauthError(w, r, 400, "unsupported_grant_type", "grant type not supported", nil)
	}
}

func (s *Server) poll(w http.ResponseWriter, r *http.Request, form url.Values) {
	s.mu.Lock()
	now := s.opts.Now()
	g := s.codes[form.Get("device_code")]
	if g == nil {
		s.mu.Unlock()
		s.oauthError(w, r, 400, "invalid_grant", "unknown device code", nil)
		return
	}
	early := now.Sub(g.last) < g.interval
	if early {
		s.tooFast++
	}
	g.last = now
	var o Outcome
	switch {
	case len(s.script) > 0:
		o = s.script[0]
		s.script = s.script[1:]
	case g.exchanged:
		s.mu.Unlock()
		s.oauthError(w, r, 400, "invalid_grant", "device code already used", nil)
		return
	case !now.Before(g.expires):
		o = Expired()
	case early && s.opts.EnforceInterval:
		o = SlowDown(0)
	case s.decision == KindGranted:
		o = Granted()
	case s.decision == KindDenied:
		o = Denied()
	default:
		o = Pending()
	}
	if o.Kind == KindSlowDown {
		g.interval = max(g.interval+5*time.Second, o.Interval)
	}
	var body map[string]any
	if o.Kind == KindGranted {
		g.exchanged = true
		body = s.issueLocked(s.newID("fam"), g.scope, "", s.opts.AccessTTL)
	}
	s.mu.Unlock()

	if s.failure(w, r, o) {
		return
	}
	switch o.Kind {
	case KindGranted:
		s.write(w, r, 200, body)
	case KindSlowDown:
		var extra map[string]any
		if o.Interval > 0 {
			extra = map[string]any{"interval": seconds(o.Interval)}
		}
		s.oauthError(w, r, s.status(o.Kind), "slow_down", "polling too fast", extra)
	case KindDenied:
		code := "access_denied"
		if s.opts.Dialect == Entra {
			code = "authorization_declined"
		}
		s.oauthError(w, r, s.status(o.Kind), code, "the user declined", nil)
	case KindExpired:
		s.oauthError(w, r, s.status(o.Kind), "expired_token", "the device code expired", nil)
	default: // Pending, and Stall once it is over
		s.oauthError(w, r, s.status(KindPending), "authorization_pending", "waiting for the user", nil)
	}
}

// status is the HTTP status the dialect uses for a device-flow error.
func (s *Server) status(k Kind) int {
	switch s.opts.Dialect {
	case GitHub:
		return 200
	case Google:
		switch k {
		case KindPending:
			return 428
		case KindSlowDown, KindDenied:
			return 403
		}
	case Auth0:
		if k == KindSlowDown {
			return 429
		}
		return 403
	}
	return 400
}

func (s *Server) refreshGrant(w http.ResponseWriter, r *http.Request, form url.Values) {
	s.mu.Lock()
	rt := s.refresh[form.Get("refresh_token")]
	switch {
	case rt == nil || rt.revoked:
		s.mu.Unlock()
		s.oauthError(w, r, 400, "invalid_grant", "refresh token invalid or revoked", nil)
		return
	case rt.used:
		s.revokeFamilyLocked(rt.family) // reuse of a rotated token
		s.mu.Unlock()
		s.oauthError(w, r, 400, "invalid_grant", "refresh token already used", nil)
		return
	}
	keep := ""
	if s.opts.KeepRefreshToken {
		keep = form.Get("refresh_token")
	} else {
		rt.used = true
	}
	body := s.issueLocked(rt.family, rt.scope, keep, s.opts.AccessTTL)
	s.mu.Unlock()
	s.write(w, r, 200, body)
}

// issueLocked mints tokens for a grant family. keepRefresh, when set, is the
// refresh token that stays valid (and is not sent back).
func (s *Server) issueLocked(family, scope, keepRefresh string, ttl time.Duration) map[string]any {
	now := s.opts.Now()
	at := s.newID("at")
	if s.opts.Dialect == WorkOS {
		// WorkOS access tokens are JWTs whose exp is the only expiry
		// the client gets (no expires_in).
		at = fakeJWT(map[string]any{"exp": now.Add(ttl).Unix(), "jti": at, "sub": "sub-" + s.opts.User})
	}
	sub := "sub-" + s.opts.User
	s.access[at] = &accessInfo{family: family, sub: sub, scope: scope, expires: now.Add(ttl)}
	body := map[string]any{
		"access_token": at,
		"token_type":   "Bearer",
		"expires_in":   int(ttl.Round(time.Second) / time.Second),
		"scope":        scope,
	}
	if !s.opts.NoRefreshToken && keepRefresh == "" && strings.Contains(" "+scope+" ", " offline_access ") {
		rt := s.newID("rt")
		s.refresh[rt] = &refreshInfo{family: family, scope: scope}
		body["refresh_token"] = rt
	}
	if strings.Contains(" "+scope+" ", " openid ") && s.opts.Dialect != GitHub {
		claims := s.claims()
		claims["iss"] = s.Issuer()
		claims["aud"] = s.opts.ClientID
		claims["iat"] = now.Unix()
		claims["exp"] = now.Add(time.Hour).Unix()
		body["id_token"] = s.jwt.IDToken(s.opts.IDTokens, claims)
	}
	switch s.opts.Dialect {
	case GitHub:
		body["token_type"] = "bearer"
		delete(body, "expires_in")
	case Entra:
		body["expires_in"] = fmt.Sprint(body["expires_in"])
	case WorkOS:
		delete(body, "expires_in")
	}
	return body
}

func (s *Server) revokeFamilyLocked(family string) {
	for _, a := range s.access {
		if a.family == family {
			a.revoked = true
		}
	}
	for _, r := range s.refresh {
		if r.family == family {
			r.revoked = true
		}
	}
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request, form url.Values) {
	if !s.clientOK(w, r, form) {
		return
	}
	tok := form.Get("token")
	s.mu.Lock()
	if a, ok := s.access[tok]; ok {
		a.revoked = true
	}
	if rt, ok := s.refresh[tok]; ok {
		s.revokeFamilyLocked(rt.family)
	}
	s.mu.Unlock()
	w.WriteHeader(200) // RFC 7009 §2.2: also for unknown tokens
}

func (s *Server) introspect(w http.ResponseWriter, r *http.Request, form url.Values) {
	if !s.clientOK(w, r, form) {
		return
	}
	tok := form.Get("token")
	s.mu.Lock()
	now := s.opts.Now()
	m := map[string]any{"active": false}
	if a, ok := s.access[tok]; ok && !a.revoked && now.Before(a.expires) {
		m = map[string]any{"active": true, "scope": a.scope, "client_id": s.opts.ClientID, "sub": a.sub,
			"token_type": "Bearer", "exp": a.expires.Unix()}
	} else if rt, ok := s.refresh[tok]; ok && !rt.revoked && !rt.used {
		m = map[string]any{"active": true, "scope": rt.scope, "client_id": s.opts.ClientID, "sub": "sub-" + s.opts.User,
			"token_type": "refresh_token"}
	}
	s.mu.Unlock()
	writeJSON(w, 200, m)
}

func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	a := s.access[tok]
	live := ok && a != nil && !a.revoked && s.opts.Now().Before(a.expires)
	s.mu.Unlock()
	if !live {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="token invalid or expired"`)
		writeJSON(w, 401, map[string]any{"error": "invalid_token"})
		return
	}
	claims := s.claims()
	if s.opts.Dialect == GitHub {
		claims = map[string]any{"login": s.opts.User, "id": 1000 + len(s.opts.User), "name": claims["name"], "email": claims["email"]}
		for k, v := range s.opts.Claims {
			claims[k] = v
		}
	}
	writeJSON(w, 200, claims)
}

func (s *Server) claims() map[string]any {
	u := s.opts.User
	m := map[string]any{
		"sub":                "sub-" + u,
		"preferred_username": u,
		"name":               strings.ToUpper(u[:1]) + u[1:],
		"email":              u + "@example.com",
		"email_verified":     true,
	}
	for k, v := range s.opts.Claims {
		m[k] = v
	}
	return m
}

// oauthError writes an OAuth error in the dialect's form.
func (s *Server) oauthError(w http.ResponseWriter, r *http.Request, status int, code, desc string, extra map[string]any) {
	m := map[string]any{"error": code, "error_description": desc}
	if s.opts.Dialect == Entra {
		m["error_codes"] = []int{70016}
		m["timestamp"] = s.opts.Now().UTC().Format("2006-01-02 15:04:05Z")
		m["trace_id"] = "00000000-0000-0000-0000-000000000000"
	}
	if s.opts.Dialect == GitHub {
		m["error_uri"] = "https://docs.github.com/developers/apps/authorizing-oauth-apps#error-codes-for-the-device-flow"
	}
	for k, v := range extra {
		m[k] = v
	}
	s.write(w, r, status, m)
}

// write answers JSON, or form-encoded for GitHub without Accept: JSON (and
// with Options.FormEncoded).
func (s *Server) write(w http.ResponseWriter, r *http.Request, status int, m map[string]any) {
	if s.opts.FormEncoded || (s.opts.Dialect == GitHub && !strings.Contains(r.Header.Get("Accept"), "application/json")) {
		v := url.Values{}
		for k, x := range m {
			v.Set(k, fmt.Sprint(x))
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		w.WriteHeader(status)
		io.WriteString(w, v.Encode())
		return
	}
	writeJSON(w, status, m)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) newID(prefix string) string {
	s.seq++
	b := make([]byte, 12)
	rand.Read(b)
	return fmt.Sprintf("%s%d-%s", prefix, s.seq, hex.EncodeToString(b))
}

func userCode() string {
	const letters = "BCDFGHJKLMNPQRSTVWXZ"
	b := make([]byte, 8)
	rand.Read(b)
	out := make([]byte, 0, 9)
	for i, c := range b {
		if i == 4 {
			out = append(out, '-')
		}
		out = append(out, letters[int(c)%len(letters)])
	}
	return string(out)
}

// seconds renders d as JSON seconds: an integer when whole.
func seconds(d time.Duration) any {
	if d%time.Second == 0 {
		return int(d / time.Second)
	}
	return d.Seconds()
}

// fakeJWT builds an unsigned-looking JWT (alg none) carrying claims: WorkOS's
// device codes and access tokens, which the client only reads.
func fakeJWT(claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "none", "typ": "JWT"}) + "." + enc(claims) + ".c2ln"
}

func stringOr(v any) string {
	s, _ := v.(string)
	return s
}
