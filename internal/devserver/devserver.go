// Package devserver is a small, standards-conformant OAuth 2.0 / OpenID
// Connect authorization server for local use, in the spirit of
// `vault server -dev`: authdeck's `dev-server` and `demo` commands run it, and
// people who build command-line tools on authdeck's packages can run it in
// their tests.
//
// It serves, on loopback only:
//   - RFC 8414 metadata and OpenID Connect discovery,
//   - device authorization (RFC 8628) with slow_down enforced,
//   - the token endpoint (authorization_code, device_code and refresh_token
//     grants; refresh tokens rotate and reusing a spent one revokes the
//     whole grant; reusing an authorization code revokes what it produced),
//   - revocation (RFC 7009), introspection (RFC 7662), userinfo and JWKS
//     (ID tokens are ES256, signed with a key made at start-up),
//   - a verification page at /device where a person enters the user code,
//     picks a demo user and approves or denies,
//   - the authorization endpoint /authorize: the authorization code grant
//     with PKCE (S256 only; RFC 7636) for the client's loopback redirect URIs
//     http://127.0.0.1:PORT/callback and http://[::1]:PORT/callback, any port
//     (RFC 8252 §7.3), with a consent page to pick a demo user and approve
//     or deny; the answer carries iss (RFC 9207) and the ID token the nonce.
//
// All state is in memory; tokens are opaque random strings.
package devserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/authdeck/authdeck/auth"
)

// Defaults used when an Options field is zero.
const (
	DefaultAddr       = "127.0.0.1:0"
	DefaultClientID   = "authdeck-demo"
	DefaultInterval   = 5 * time.Second
	DefaultCodeTTL    = 10 * time.Minute
	DefaultAccessTTL  = time.Hour
	DefaultRefreshTTL = 30 * 24 * time.Hour
)

// DefaultScopes are granted when a client asks for none, and are the scopes
// the server supports.
var DefaultScopes = []string{"openid", "profile", "email", "offline_access"}

// MaxWrongCodes is how many wrong user codes one browser session may send
// with the verification form before the page refuses that session for
// LockoutPeriod. Only the page's own form counts: a POST with the session's
// CSRF token, which another site cannot read. Code links
// (/device?user_code=, which any site can make a browser open, with or
// without its cookie) and forms without the token never count, so they
// cannot lock anybody out.
const MaxWrongCodes = 5

// LockoutPeriod is how long a browser session that entered MaxWrongCodes
// wrong codes is refused.
const LockoutPeriod = 5 * time.Minute

// MaxWrongCodesPerMinute caps wrong user codes sent with the form across
// all sessions, so that starting fresh sessions (which is free) does not
// get around MaxWrongCodes; past it the form refuses every code until the
// minute is over. One session can spend at most MaxWrongCodes of it per
// LockoutPeriod. Only a client that can read the page (a local program, not
// another web site) can spend it at all.
//
// Codes are 8 letters from a 20-letter alphabet: 20^8 ≈ 2.6·10^10. With
// this cap and as many code-link lookups (maxLinkMissesPerMinute), at most
// 60 codes a minute are tried, about 600 in a code's default 10-minute life
// (twice that across a window boundary): a chance of about 5·10^-8 of hitting
// one pending code.
const MaxWrongCodesPerMinute = 30

// User is a demo account a person can sign in as on the verification page.
type User struct {
	Login string `json:"login" toml:"login"`
	Name  string `json:"name,omitempty" toml:"name"`
	Email string `json:"email,omitempty" toml:"email"`
}

// DemoUsers returns the users a server has when Options.Users is empty.
func DemoUsers() []User {
	return []User{
		{Login: "alice", Name: "Alice Liddell", Email: "alice@example.com"},
		{Login: "bob", Name: "Bob Builder", Email: "bob@example.com"},
	}
}

// Options configure Start. Zero values take the defaults above.
type Options struct {
	// Addr is the loopback address to listen on ("127.0.0.1:0", "[::1]:8080",
	// "localhost:9000"). Any other host is refused.
	Addr string
	// Interval is the polling interval announced to device clients (whole
	// seconds, at least 1 s). Polls faster than it answer slow_down.
	Interval time.Duration
	// CodeTTL is the lifetime of a device code (whole seconds).
	CodeTTL time.Duration
	// AccessTTL is the lifetime of access and ID tokens (whole seconds).
	AccessTTL time.Duration
	// RefreshTTL is the lifetime of a refresh token (whole seconds).
	RefreshTTL time.Duration
	// Users a person can sign in as; empty means DemoUsers().
	Users []User
	// ClientID is the one public client the server knows.
	ClientID string
	// AutoApprove, when positive, approves every new device code as the
	// first user after this delay (a hands-off demo), and every valid
	// authorization request at once as the first user: /authorize then
	// shows no consent page and redirects straight back with a code. Zero
	// turns it off.
	AutoApprove time.Duration
	// Logger receives one line per event (never a token); nil discards.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now. A test seam: every
	// expiry and the slow_down check use it.
	Now func() time.Time
}

// Server is a running authorization server. Its methods are safe for
// concurrent use.
type Server struct {
	opt     Options
	issuer  string
	host    string // host:port the listener answers on, for Host checks
	log     *slog.Logger
	handler http.Handler
	ln      net.Listener
	hs      *http.Server
	key     *ecdsa.PrivateKey
	kid     string
	// sessionKey signs session cookies and derives their CSRF tokens.
	sessionKey []byte

	stopOnce sync.Once
	done     chan struct{}

	mu       sync.Mutex
	serveErr error
	state    state
}

// Start validates opt, listens on its loopback address and serves until ctx
// is done or Close is called.
func Start(ctx context.Context, opt Options) (*Server, error) {
	opt, err := normalize(opt)
	if err != nil {
		return nil, err
	}
	ln, err := listenLoopback(opt.Addr)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("devserver: making the signing key: %w", err)
	}
	s := &Server{
		opt:    opt,
		issuer: "http://" + ln.Addr().String(),
		host:   ln.Addr().String(),
		log:    opt.Logger,
		ln:     ln,
		key:    key,
		kid:    randomToken("k", 9),
		done:   make(chan struct{}),
		state:  newState(),
	}
	s.sessionKey = make([]byte, 32)
	rand.Read(s.sessionKey) // never fails (crypto/rand)
	s.handler = s.routes()
	s.hs = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(opt.Logger.Handler(), slog.LevelWarn),
	}
	go func() {
		err := s.hs.Serve(ln)
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.mu.Lock()
			s.serveErr = err
			s.mu.Unlock()
		}
		s.stop()
	}()
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.done:
		}
	}()
	s.log.Info("dev server started", "issuer", s.issuer, "client_id", opt.ClientID)
	return s, nil
}

// Issuer is the server's issuer URL, "http://127.0.0.1:PORT".
func (s *Server) Issuer() string { return s.issuer }

// ClientID is the public client's id.
func (s *Server) ClientID() string { return s.opt.ClientID }

// DeviceURL is the verification page (the verification_uri).
func (s *Server) DeviceURL() string { return s.issuer + "/device" }

// Scopes are the scopes the server supports (and grants by default).
func (s *Server) Scopes() []string { return append([]string(nil), DefaultScopes...) }

// Users are the accounts a person can sign in as.
func (s *Server) Users() []User { return append([]User(nil), s.opt.Users...) }

// Endpoints are the server's endpoints in auth's form, as discovery would
// find them.
func (s *Server) Endpoints() auth.Endpoints {
	return auth.Endpoints{
		Issuer:           s.issuer,
		AuthURL:          s.AuthorizeURL(),
		DeviceAuthURL:    s.issuer + "/oauth/device_authorization",
		TokenURL:         s.issuer + "/oauth/token",
		RevocationURL:    s.issuer + "/oauth/revoke",
		IntrospectionURL: s.issuer + "/oauth/introspect",
		UserInfoURL:      s.issuer + "/userinfo",
	}
}

// Handler serves the server's routes (for tests with httptest; requests must
// carry the server's Host, as a browser would).
func (s *Server) Handler() http.Handler { return s.handler }

// Done is closed once the server has stopped.
func (s *Server) Done() <-chan struct{} { return s.done }

// Wait blocks until the server stops and returns why, if it was not asked to.
func (s *Server) Wait() error {
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.serveErr
}

// Close stops the server at once, dropping open connections and pending
// auto-approvals. It is safe to call more than once.
func (s *Server) Close() error {
	s.stop()
	return nil
}

func (s *Server) stop() {
	s.stopOnce.Do(func() {
		s.hs.Close()
		s.mu.Lock()
		s.state.closed = true
		for t := range s.state.timers {
			t.Stop()
		}
		s.state.timers = nil
		s.mu.Unlock()
		close(s.done)
		s.log.Info("dev server stopped")
	})
}

func (s *Server) now() time.Time { return s.opt.Now() }

func normalize(opt Options) (Options, error) {
	if opt.Addr == "" {
		opt.Addr = DefaultAddr
	}
	if opt.ClientID == "" {
		opt.ClientID = DefaultClientID
	}
	if strings.ContainsFunc(opt.ClientID, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return opt, fmt.Errorf("devserver: client id %q must be printable ASCII without spaces", opt.ClientID)
	}
	durs := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"interval", &opt.Interval, DefaultInterval},
		{"code TTL", &opt.CodeTTL, DefaultCodeTTL},
		{"access-token TTL", &opt.AccessTTL, DefaultAccessTTL},
		{"refresh-token TTL", &opt.RefreshTTL, DefaultRefreshTTL},
	}
	for _, d := range durs {
		switch {
		case *d.v < 0:
			return opt, fmt.Errorf("devserver: the %s must not be negative (got %s)", d.name, *d.v)
		case *d.v == 0:
			*d.v = d.def
		}
		// The wire carries whole seconds: round up so what is announced is
		// what is enforced.
		*d.v = (*d.v + time.Second - 1).Truncate(time.Second)
	}
	if opt.AutoApprove < 0 {
		return opt, fmt.Errorf("devserver: the auto-approve delay must not be negative (got %s)", opt.AutoApprove)
	}
	if len(opt.Users) == 0 {
		opt.Users = DemoUsers()
	} else {
		opt.Users = append([]User(nil), opt.Users...)
		if err := validateUsers(opt.Users); err != nil {
			return opt, fmt.Errorf("devserver: %w", err)
		}
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return opt, nil
}

// listenLoopback listens on addr after checking that its host is loopback.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("devserver: address %q is not host:port (try 127.0.0.1:0): %v", addr, err)
	}
	if !isLoopbackHost(host) {
		return nil, fmt.Errorf("devserver: refusing to listen on %q: the dev server serves loopback only (use 127.0.0.1, [::1] or localhost)", addr)
	}
	if strings.EqualFold(host, "localhost") {
		// Bind one concrete address so the issuer is stable.
		_, port, _ := net.SplitHostPort(addr)
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	return ln, nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
