package profiles

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/secretfile"
	"golang.org/x/oauth2"
)

// expiryDelta: a token this close to its expiry counts as expired (clock
// skew, time in flight), as in x/oauth2.
const expiryDelta = 10 * time.Second

// NoMinTTL, as TokenOptions.MinTTL, asks for no margin at all: the stored
// token is refreshed only once it has expired (an explicit `--min-ttl 0`;
// a zero MinTTL means the default).
const NoMinTTL time.Duration = -1

// TokenOptions tune Token.
type TokenOptions struct {
	// MinTTL: refresh first when the token expires within it.
	//
	// Zero means the default: DefaultMinTTL, capped at half the token's
	// lifetime as issued (expiry minus the time it was obtained), so a
	// server whose tokens live no longer than the default (a 5-minute
	// Keycloak token) does not get a refresh on every call: such a token
	// is refreshed once half its life has passed, and a token refreshed a
	// moment ago counts as fresh. Secrets saved before the obtained time
	// was kept are not capped.
	//
	// Any other value is the caller's explicit choice and is honoured as
	// given: a MinTTL longer than the token's whole life refreshes on every
	// call, as asked. NoMinTTL (any negative value) means no margin.
	MinTTL time.Duration
	// TokenFile overrides everything (--token-file): plain text, or JSON
	// or TOML with a "token" key.
	TokenFile string
	// Rejected is an access token a server has just refused (HTTP 401):
	// the stored token is refreshed whatever its expiry says, unless it is
	// already another one (refreshed meanwhile by another process).
	Rejected string
	// WantIDToken, when set and true for the profile's server, asks for
	// the profile's ID token too (TokenResult.IDToken): the stored one when
	// it is still good for the margin MinTTL asks (its own exp claim
	// decides), else a refresh's. A refresh that gives no new ID token
	// keeps the previous one; if that has expired, or the server never
	// gave one, Token fails saying so. Overrides (token file, environment)
	// carry no ID token and are returned as they are.
	WantIDToken func(Server) bool
	// Cwd is where the directory file is looked for. With an empty profile
	// argument, the profile is chosen as Select does (App.EnvProfile, the
	// directory file found from Cwd when set, the active profile) over the
	// same read of the config.
	Cwd string

	// capMinTTL caps a non-default MinTTL at half the token's lifetime
	// too (TokenSource, whose margin is a default, not a person's choice).
	capMinTTL bool
}

// margin is the refresh margin opt asks for, and whether it is capped at
// half the token's lifetime.
func (opt TokenOptions) margin() (time.Duration, bool) {
	switch {
	case opt.MinTTL == 0:
		return DefaultMinTTL, true
	case opt.MinTTL < 0:
		return 0, false
	}
	return opt.MinTTL, opt.capMinTTL
}

// TokenResult is a usable token and where it came from.
type TokenResult struct {
	// Token is the access token to use (never nil). A token from a file or
	// environment variable has only AccessToken and TokenType "Bearer":
	// no refresh token and a zero (unknown) expiry.
	Token *oauth2.Token
	// Profile is the name of the profile the token is for. With a token
	// file it is the profile Token was given, possibly ""; a token from an
	// environment variable has "" when no profile was named or selected.
	Profile string
	// Source is where the token came from.
	Source Source
	// SourceDetail is the token file's path, the environment variable's
	// name, or credentials.json's path for SourceFile; "" for
	// SourceKeyring.
	SourceDetail string
	// Refreshed is true when this call refreshed the token (and saved the
	// new one).
	Refreshed bool
	// Warning is Selection.Warning when the profile was chosen here (an
	// ignored directory file): one line to show on stderr. When Token
	// fails instead, the error ends with it.
	Warning string
	// FallbackReason is set when a refreshed token could not be saved in
	// the keyring and went to the credentials file (SourceDetail): the
	// keyring's error. Tell the user, as after a login that fell back.
	FallbackReason string
	// IDToken is the profile's ID token, good for at least a few seconds,
	// and IDTokenExpiry its exp; set only when TokenOptions.WantIDToken
	// asked for it. It is a secret, like Token.
	IDToken       string
	IDTokenExpiry time.Time
	// RefreshErr is set when the token was due for a refresh (it expires
	// within MinTTL) and the refresh failed for a reason that may pass (the
	// server down or slow, an HTTP 5xx): Token is then the current one,
	// still good until its Expiry. Tell the user: it may run out sooner
	// than they asked for.
	RefreshErr error
}

// envToken is the environment override for srv's profiles: the server's
// env var, then App.EnvToken.
func (m *Manager) envToken(srv Server) (Source, string, string) {
	if srv.EnvVar != "" {
		if v := strings.TrimSpace(m.getenv(srv.EnvVar)); v != "" {
			return SourceServerEnv, srv.EnvVar, v
		}
	}
	if m.app.EnvToken != "" {
		if v := strings.TrimSpace(m.getenv(m.app.EnvToken)); v != "" {
			return SourceEnv, m.app.EnvToken, v
		}
	}
	return "", "", ""
}

func external(v string) *oauth2.Token { return &oauth2.Token{AccessToken: v, TokenType: "Bearer"} }

// Token returns a profile's access token (the active profile when profile
// is empty), honouring the overrides (token file > server env var >
// App.EnvToken > stored) and refreshing a stored token when it expires
// within MinTTL.
//
// A stored token that is still good costs one config read and one secret
// read: no lock, no network. Otherwise Token takes the profile's lock file,
// reads the secret again (another process may have refreshed it meanwhile),
// refreshes only if that is still needed, and saves the new tokens before
// releasing the lock, so concurrent processes send one refresh request
// between them and the newest refresh token is the one kept.
//
// A refresh request, once sent, is finished and its tokens saved even if
// ctx is cancelled meanwhile (the server may already have spent the old
// refresh token), within bounds of its own; Token then returns an error
// wrapping ctx's cause (context.Canceled), not the token.
//
// Errors wrap ErrNotLoggedIn when there is no usable login: no profile, a
// signed-out profile, an expired token without a refresh token, or a
// refresh token the server rejects (invalid_grant: the login expired or was
// revoked).
func (m *Manager) Token(ctx context.Context, profile string, opt TokenOptions) (*TokenResult, error) {
	warning := ""
	res, err := m.token(ctx, profile, opt, &warning)
	switch {
	case warning == "":
	case err != nil:
		err = fmt.Errorf("%w; %s", err, warning)
	case res != nil:
		res.Warning = warning
	}
	return res, err
}

// token is Token; *warning gets the selection's warning.
func (m *Manager) token(ctx context.Context, profile string, opt TokenOptions, warning *string) (*TokenResult, error) {
	if opt.TokenFile != "" {
		v, err := readTokenFile(opt.TokenFile)
		if err != nil {
			return nil, err
		}
		return &TokenResult{Token: external(v), Profile: profile, Source: SourceTokenFile, SourceDetail: opt.TokenFile}, nil
	}
	cfg, err := m.Load(ctx)
	if err != nil {
		return nil, err
	}
	name := profile
	if name == "" {
		sel, err := m.selectIn(cfg, "", opt.Cwd)
		*warning = sel.Warning
		if err != nil && !errors.Is(err, ErrNotLoggedIn) {
			return nil, err
		}
		name = sel.Name // "" when nothing is chosen: the environment may still serve
	}
	var p Profile
	var srv Server
	if name != "" {
		if p, srv, err = lookup(cfg, name); err != nil {
			if profile == "" {
				// A stale `active` entry: the environment may still serve.
				name = ""
			} else {
				return nil, err
			}
		}
	}
	if src, detail, v := m.envToken(srv); src != "" {
		return &TokenResult{Token: external(v), Profile: name, Source: src, SourceDetail: detail}, nil
	}
	if name == "" {
		return nil, &NotLoggedInError{Reason: "no profile is active"}
	}
	if !p.SignedIn() {
		return nil, &NotLoggedInError{Profile: name, Reason: "is signed out"}
	}
	minTTL, capped := opt.margin()
	wantID := opt.WantIDToken != nil && opt.WantIDToken(srv)
	if wantID && p.Grant == GrantClientCredentials {
		return nil, fmt.Errorf("profile %q uses the client credentials grant, which gives no ID token; set kube_token = %q on server %q (or leave it out)", name, KubeAccessToken, srv.Name)
	}
	res, err := m.storedToken(ctx, p, srv, minTTL, capped, opt.Rejected, wantID)
	if err != nil {
		return nil, err
	}
	if !wantID {
		res.IDToken = ""
		return res, nil
	}
	if res.IDToken == "" {
		return nil, fmt.Errorf("profile %q has no ID token: server %q gave none (is openid among its scopes?); add the openid scope and run `%s login --profile %s`, or set kube_token = %q on the server", name, srv.Name, m.name(), name, KubeAccessToken)
	}
	if !m.idFresh(&Secret{IDToken: res.IDToken}, expiryDelta, true) {
		_, exp, _ := auth.IDTokenTimes(res.IDToken)
		return nil, &NotLoggedInError{Profile: name, Reason: fmt.Sprintf("has no fresh ID token: it expired at %s and no refresh gave a new one (server %q gives ID tokens only at login; kube_token = %q on the server avoids this)", exp.Format(time.RFC3339), srv.Name, KubeAccessToken)}
	}
	_, res.IDTokenExpiry, _ = auth.IDTokenTimes(res.IDToken)
	return res, nil
}

// idFresh: s has an ID token usable for at least ttl more (by its own exp
// claim), ttl capped at half its lifetime (exp-iat) when capped.
func (m *Manager) idFresh(s *Secret, ttl time.Duration, capped bool) bool {
	if s.IDToken == "" {
		return false
	}
	iat, exp, err := auth.IDTokenTimes(s.IDToken)
	if err != nil {
		return false
	}
	if capped && !iat.IsZero() && exp.After(iat) {
		ttl = capTTL(ttl, exp.Sub(iat))
	}
	return m.now().Add(ttl).Before(exp)
}

// use sets res's tokens from the stored secret s.
func (res *TokenResult) use(s *Secret) *TokenResult {
	res.Token = s.Token()
	res.IDToken = s.IDToken
	return res
}

// fresh: usable for at least ttl more, ttl capped at half the token's
// lifetime when capped (see TokenOptions.MinTTL).
func (m *Manager) fresh(s *Secret, ttl time.Duration, capped bool) bool {
	if s.Expiry.IsZero() {
		return true
	}
	if capped {
		ttl = capTTL(ttl, s.Lifetime())
	}
	return m.now().Add(ttl).Before(s.Expiry)
}

// capTTL is ttl, at most half of lifetime when lifetime is known.
func capTTL(ttl, lifetime time.Duration) time.Duration {
	if lifetime > 0 && ttl > lifetime/2 {
		return lifetime / 2
	}
	return ttl
}

func sourceOf(s Storage) Source {
	if s == StorageFile {
		return SourceFile
	}
	return SourceKeyring
}

func (m *Manager) readSecret(ctx context.Context, p Profile) (*Secret, error) {
	sec, err := m.store(p.Storage).Get(ctx, secretKey(p.ID))
	if errors.Is(err, ErrNotFound) {
		return nil, &NotLoggedInError{Profile: p.Name, Reason: "has no stored secret: it is missing from " + m.where(p.Storage)}
	}
	return sec, err
}

func (m *Manager) storedToken(ctx context.Context, p Profile, srv Server, minTTL time.Duration, capped bool, rejected string, wantID bool) (*TokenResult, error) {
	// usable: s's access token (and its ID token, when wanted) are good
	// for ttl more.
	usable := func(s *Secret, ttl time.Duration, capped bool) bool {
		return m.fresh(s, ttl, capped) && (!wantID || m.idFresh(s, ttl, capped))
	}
	res := &TokenResult{Profile: p.Name}
	m.setSource(res, p)
	sec, err := m.readSecret(ctx, p)
	if err != nil {
		return nil, err
	}
	if rejected == "" && usable(sec, minTTL, capped) || rejected != "" && sec.AccessToken != rejected && usable(sec, expiryDelta, true) {
		return res.use(sec), nil
	}

	// Slow path: refresh under the profile's lock.
	unlock, err := m.lockProfile(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	p, cur, err := m.rereadLocked(ctx, p, res)
	if err != nil {
		return nil, err
	}
	seen := sec.AccessToken
	if rejected != "" {
		seen = rejected
	}
	if rejected == "" && usable(cur, minTTL, capped) || cur.AccessToken != seen && usable(cur, expiryDelta, true) {
		// Another process refreshed while we waited for the lock.
		return res.use(cur), nil
	}
	return m.renewLocked(ctx, p, srv, cur, res, rejected, usable)
}

// setSource records in res where p's secret is stored.
func (m *Manager) setSource(res *TokenResult, p Profile) {
	res.Source, res.SourceDetail = sourceOf(p.Storage), ""
	if p.Storage == StorageFile {
		res.SourceDetail = m.files.Path()
	}
}

// rereadLocked reads p's secret again once its lock is held: the secret
// may have moved while we waited (a refresh whose keyring save fell back
// to the file), so it is read where the config now says. It returns p as
// the config now has it.
func (m *Manager) rereadLocked(ctx context.Context, p Profile, res *TokenResult) (Profile, *Secret, error) {
	if cfg, err := m.Load(ctx); err == nil {
		for _, q := range cfg.Profiles {
			if q.ID == p.ID {
				p = q
			}
		}
	}
	m.setSource(res, p)
	cur, err := m.readSecret(ctx, p)
	return p, cur, err
}

// renewLocked gets p a new token, with its profile lock held: by
// reacquiring it (client credentials) or with the refresh token cur
// holds.
func (m *Manager) renewLocked(ctx context.Context, p Profile, srv Server, cur *Secret, res *TokenResult, rejected string, usable func(*Secret, time.Duration, bool) bool) (*TokenResult, error) {
	if p.Grant == GrantClientCredentials {
		return m.reacquire(ctx, p, srv, cur, res)
	}
	if cur.RefreshToken == "" {
		if m.fresh(cur, expiryDelta, true) {
			return res.use(cur), nil // expiring soon, but nothing to refresh with
		}
		return nil, &NotLoggedInError{Profile: p.Name, Reason: "cannot be refreshed: its token has expired and the server gave no refresh token"}
	}
	if srv.Name == "" {
		return nil, fmt.Errorf("profile %q refers to server %q, which is not configured; add it back or log in again", p.Name, p.Server)
	}
	if err := ctx.Err(); err != nil {
		return nil, err // not sent: nothing is spent
	}
	// From here the request may reach the server, which (rotating refresh
	// tokens) spends the old one on receipt: losing the answer would sign
	// the user out, and sending the old token again would make the server
	// revoke the whole login. So the exchange and the save are finished
	// even when ctx is cancelled (Ctrl-C, SIGTERM), each bounded by its
	// own timeout, and the cancellation is reported afterwards.
	xctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshExchangeTimeout)
	defer cancel()
	res, err := m.refreshAndSave(xctx, res, p, srv, cur, rejected, usable)
	if ctx.Err() != nil {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("the token of profile %q was refreshed and saved, but the call was cancelled: %w", p.Name, context.Cause(ctx))
	}
	return res, err
}

// Bounds on finishing a refresh that was sent, whatever the caller's
// context (see storedToken): the exchange (the request has its own
// Client timeout too), then the save of the new tokens, which starts
// with a fresh bound so a slow answer does not leave it no time.
const (
	refreshExchangeTimeout = auth.DefaultTimeout
	refreshSaveTimeout     = 20 * time.Second
)

// refreshAndSave redeems cur's refresh token at srv and saves the new
// tokens where p's secret lives, recording the expiry in the config. ctx
// is not the caller's: see storedToken. The caller holds p's lock.
// usable says whether cur may still serve when the refresh fails; rejected
// is an access token the caller saw refused, never handed back then.
func (m *Manager) refreshAndSave(ctx context.Context, res *TokenResult, p Profile, srv Server, cur *Secret, rejected string, usable func(*Secret, time.Duration, bool) bool) (*TokenResult, error) {
	sent := m.now()
	tok, err := m.Client(srv).Refresh(ctx, cur.RefreshToken)
	if err != nil {
		var oe *auth.OAuthError
		if errors.As(err, &oe) && oe.Code == "invalid_grant" {
			return nil, &NotLoggedInError{Profile: p.Name, Reason: "cannot be refreshed: the login has expired or was revoked (the server refused the refresh token: " + oe.Error() + ")"}
		}
		if cur.AccessToken != rejected && usable(cur, expiryDelta, true) {
			m.log.Warn("refresh failed; using the current token until it expires", "profile", p.Name, "err", err)
			res.RefreshErr = err
			return res.use(cur), nil
		}
		return nil, fmt.Errorf("refreshing the token of profile %q: %w", p.Name, err)
	}
	next := SecretFromToken(tok)
	next.Obtained = sent.UTC()
	if next.RefreshToken == "" {
		next.RefreshToken = cur.RefreshToken
	}
	if next.IDToken == "" {
		next.IDToken = cur.IDToken // most servers send one only at login
	}
	return m.keepRefreshed(ctx, p, res, tok, next)
}

// keepRefreshed saves a new token of p (refreshed, or obtained anew for a
// client credentials profile) as next, records its expiry in the config,
// and fills res. The save gets its own bound, detached from ctx, so a
// token the server has issued is never dropped half-saved. The caller
// holds p's lock.
func (m *Manager) keepRefreshed(ctx context.Context, p Profile, res *TokenResult, tok *oauth2.Token, next *Secret) (*TokenResult, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshSaveTimeout)
	defer cancel()
	storage, fallback, err := m.saveRefreshed(ctx, p, next)
	if err != nil {
		return nil, err
	}
	if err := m.Update(ctx, func(cfg *Config) error {
		for i := range cfg.Profiles {
			if cfg.Profiles[i].ID == p.ID {
				cfg.Profiles[i].TokenExpiry = next.Expiry
				cfg.Profiles[i].TokenObtained = next.Obtained
				cfg.Profiles[i].HasRefresh = next.RefreshToken != ""
				if fallback != "" {
					cfg.Profiles[i].Storage = storage
					cfg.Profiles[i].StorageFallback = fallback
				}
			}
		}
		return nil
	}); err != nil {
		if fallback != "" {
			m.log.Error("the refreshed token was saved in the credentials file, but the config could not be updated to say so; the next call may use the old token from the keyring", "profile", p.Name, "path", m.files.Path(), "err", err)
		} else {
			m.log.Warn("could not record the new token expiry in the config", "profile", p.Name, "err", err)
		}
	}
	res.Source = sourceOf(storage)
	if storage == StorageFile {
		res.SourceDetail = m.files.Path()
	}
	res.FallbackReason = fallback
	m.log.Debug("token refreshed", "profile", p.Name, "expires", next.Expiry)
	res.Token = tok
	res.IDToken = next.IDToken
	if res.Token.RefreshToken == "" {
		res.Token.RefreshToken = next.RefreshToken
	}
	res.Refreshed = true
	return res, nil
}

// saveRefreshed stores a refreshed secret where p's secret lives. When
// that is the keyring and it fails (a timeout, a locked collection), the
// secret goes to the credentials file instead, as a login's would: with
// rotation the old refresh token is spent, so losing the new one would
// sign the user out (or, if the old one were reused, revoke the login).
// It returns the storage used and, after a fallback, the keyring's error.
// The caller holds p's lock.
func (m *Manager) saveRefreshed(ctx context.Context, p Profile, next *Secret) (Storage, string, error) {
	key := secretKey(p.ID)
	kerr := m.store(p.Storage).Set(ctx, key, next)
	if kerr == nil {
		return p.Storage, "", nil
	}
	if p.Storage != StorageKeyring || ctx.Err() != nil {
		return "", "", fmt.Errorf("the token of profile %q was refreshed but the new one could not be saved in %s (%w); if the next call fails, run `%s login --profile %s` again", p.Name, m.where(p.Storage), kerr, m.name(), p.Name)
	}
	m.log.Warn("keyring unusable after a refresh; saving the new tokens in the credentials file", "profile", p.Name, "path", m.files.Path(), "err", kerr)
	if err := m.files.Set(ctx, key, next); err != nil {
		return "", "", fmt.Errorf("the token of profile %q was refreshed but the new one could not be saved: %s failed (%v) and so did the credentials file (%w); run `%s login --profile %s` again", p.Name, m.where(StorageKeyring), kerr, err, m.name(), p.Name)
	}
	// The keyring's copy (now holding a spent refresh token) is left: the
	// keyring is not answering, and the config no longer points there.
	return StorageFile, kerr.Error(), nil
}

// RefreshRejected is what to do after a server answered HTTP 401 to r's
// access token (r from Token): the profile's token is refreshed once,
// whatever its expiry says (TokenOptions.Rejected), and the new one
// returned, for the caller to send its request once more. opt is the
// caller's TokenOptions (Rejected is set here).
//
// Errors: *ReadOnlyError for a token from a file or an environment
// variable, which cannot be refreshed; *NoRefreshError (wrapping
// ErrNotLoggedIn) when there is no refresh token; otherwise Token's
// errors, which wrap ErrNotLoggedIn when the server refuses the refresh
// token (the login expired or was revoked).
func (m *Manager) RefreshRejected(ctx context.Context, r *TokenResult, opt TokenOptions) (*TokenResult, error) {
	if r.Source.ReadOnly() {
		return nil, &ReadOnlyError{Source: r.Source, Detail: r.SourceDetail}
	}
	opt.TokenFile = ""
	opt.Rejected = r.Token.AccessToken
	next, err := m.Token(ctx, r.Profile, opt)
	if err != nil {
		return nil, err
	}
	if next.Token == nil || next.Token.AccessToken == "" || next.Token.AccessToken == r.Token.AccessToken {
		// (Token gives the refused token back only when it has nothing
		// to refresh it with.)
		return nil, &NoRefreshError{Profile: r.Profile}
	}
	return next, nil
}

// readTokenFile reads a --token-file: a plain-text file, or JSON or TOML
// with a "token" key (secretfile.ReadToken).
func readTokenFile(path string) (string, error) {
	v, err := secretfile.ReadToken(path)
	var pe *secretfile.ParseError
	if err != nil && !errors.As(err, &pe) {
		return "", fmt.Errorf("cannot read the token file: %w", err)
	}
	return v, err
}

// TokenSource is an oauth2.TokenSource over Token, for HTTP clients
// (oauth2.NewClient). It keeps the last token in memory while it is good
// for more than minTTL, so a client does not read the keyring per request.
// minTTL is a margin, not a person's choice: zero means DefaultMinTTL, and
// either way it is capped at half the token's lifetime as the default
// MinTTL of Token is, so short-lived tokens are not refreshed per request.
func (m *Manager) TokenSource(ctx context.Context, profile string, minTTL time.Duration) oauth2.TokenSource {
	if minTTL == 0 {
		minTTL = DefaultMinTTL
	}
	return &tokenSource{m: m, ctx: ctx, profile: profile, minTTL: minTTL}
}

type tokenSource struct {
	m       *Manager
	ctx     context.Context
	profile string
	minTTL  time.Duration

	mu   sync.Mutex
	last *oauth2.Token
}

// Token implements oauth2.TokenSource.
func (s *tokenSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last != nil && (s.last.Expiry.IsZero() || s.m.now().Add(s.minTTL).Before(s.last.Expiry)) {
		t := *s.last
		return &t, nil
	}
	r, err := s.m.Token(s.ctx, s.profile, TokenOptions{MinTTL: s.minTTL, capMinTTL: true})
	if err != nil {
		return nil, err
	}
	s.last = r.Token
	t := *r.Token
	return &t, nil
}
