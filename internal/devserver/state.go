package devserver

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The unambiguous alphabet of user codes (RFC 8628 §6.1): consonants only, so
// no vowels make words and nothing looks like a digit.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// userCodeLen is the number of characters in a user code (shown XXXX-XXXX).
const userCodeLen = 8

// Limits that keep a long-running server's memory bounded.
const (
	maxLiveCodes   = 1000
	maxSessions    = 1000 // sessions whose wrong codes are remembered
	sessionTTL     = time.Hour
	keepDeadCodes  = 10 * time.Minute // an expired or used code is still recognised this long
	pollGraceRatio = 4                // a poll up to interval/4 early is not "too fast"
	sweepEvery     = 10 * time.Second
)

type codeStatus int

const (
	codePending codeStatus = iota
	codeApproved
	codeDenied
	codeExchanged
)

// deviceCode is one device authorization request.
type deviceCode struct {
	device   string // secret, given to the client only
	user     string // normalised user code, 8 letters
	clientID string
	scope    []string
	issued   time.Time
	expires  time.Time
	interval time.Duration
	lastPoll time.Time // issuance, then each token request
	status   codeStatus
	login    string // who approved or denied
	grant    *grant // once exchanged
}

// grant is what one approval produced: every access and refresh token that
// descends from it. Revoking it invalidates them all.
type grant struct {
	id       string
	login    string
	clientID string
	scope    []string
	authTime time.Time
	nonce    string // the authorization request's nonce, echoed in ID tokens
	revoked  bool
}

type tokenKind string

const (
	kindAccess  tokenKind = "access_token"
	kindRefresh tokenKind = "refresh_token"
)

type token struct {
	kind    tokenKind
	grant   *grant
	issued  time.Time
	expires time.Time
	spent   bool // refresh tokens: already exchanged (rotation)
}

// session is one browser on the verification and consent pages. It lives
// only in its cookie (see Server.session): the server keeps nothing per
// session, so requests that make sessions cost it no memory.
type session struct {
	id      string // the cookie's value
	csrf    string // derived from id with the server's key
	created time.Time
}

// guesses are one session's wrong codes on the verification page.
type guesses struct {
	wrong int
	last  time.Time
}

// window counts events in a fixed one-minute window.
type window struct {
	since time.Time
	n     int
}

// full reports whether max events happened in the current window.
func (w *window) full(now time.Time, max int) bool {
	return now.Sub(w.since) <= time.Minute && w.n >= max
}

// add counts one event, starting a new window when the last one is over.
func (w *window) add(now time.Time) {
	if now.Sub(w.since) > time.Minute {
		w.since, w.n = now, 0
	}
	w.n++
}

type state struct {
	closed    bool
	timers    map[*time.Timer]struct{}
	codes     map[string]*deviceCode // by device code
	userCodes map[string]*deviceCode // by normalised user code
	tokens    map[string]*token
	guesses   map[string]*guesses     // by session id: sessions that entered wrong codes
	requests  map[string]*authRequest // consent pages waiting for a decision, by id
	authCodes map[string]*authCode    // authorization codes, by code
	lastSweep time.Time
	// Server-wide windows: wrong codes sent with the form, and code links
	// (?user_code=) that were looked up and named no pending code.
	wrong    window
	linkMiss window
}

func newState() state {
	return state{
		timers:    map[*time.Timer]struct{}{},
		codes:     map[string]*deviceCode{},
		userCodes: map[string]*deviceCode{},
		tokens:    map[string]*token{},
		guesses:   map[string]*guesses{},
		requests:  map[string]*authRequest{},
		authCodes: map[string]*authCode{},
	}
}

// oauthError is an RFC 6749 §5.2 error response.
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	status      int
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func errInvalidRequest(desc string) *oauthError {
	return &oauthError{"invalid_request", desc, http.StatusBadRequest}
}

func errInvalidGrant(desc string) *oauthError {
	return &oauthError{"invalid_grant", desc, http.StatusBadRequest}
}

// randomToken returns prefix + n random bytes in base64url.
func randomToken(prefix string, n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// randomUserCode draws userCodeLen letters uniformly from the alphabet.
func randomUserCode() string {
	const n = len(userCodeAlphabet) // 20; 256 - 256%20 = 240 avoids bias
	out := make([]byte, 0, userCodeLen)
	var buf [16]byte
	for len(out) < userCodeLen {
		rand.Read(buf[:])
		for _, b := range buf {
			if int(b) < 256-256%n && len(out) < userCodeLen {
				out = append(out, userCodeAlphabet[int(b)%n])
			}
		}
	}
	return string(out)
}

// normalizeUserCode turns what a person typed into the stored form: case
// folded, dashes and spaces dropped. ok is false when what remains cannot be
// a code at all.
func normalizeUserCode(in string) (code string, ok bool) {
	var b strings.Builder
	for _, r := range in {
		switch {
		case r == '-' || r == ' ' || r == '\t' || r == '\u2010' || r == '\u2011' || r == '\u2013' || r == '\u2212':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		if !strings.ContainsRune(userCodeAlphabet, r) {
			return "", false
		}
		b.WriteRune(r)
		if b.Len() > userCodeLen {
			return "", false
		}
	}
	if b.Len() != userCodeLen {
		return "", false
	}
	return b.String(), true
}

// formatUserCode shows a normalised code as XXXX-XXXX.
func formatUserCode(code string) string {
	if len(code) != userCodeLen {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// parseScope checks a requested scope string. Empty means DefaultScopes.
func parseScope(raw string) ([]string, *oauthError) {
	fields := strings.Fields(raw)
	if len(fields) == 0 {
		return slices.Clone(DefaultScopes), nil
	}
	var out []string
	for _, f := range fields {
		if !slices.Contains(DefaultScopes, f) {
			return nil, &oauthError{"invalid_scope", fmt.Sprintf("scope %q is not supported; use some of %q", f, strings.Join(DefaultScopes, " ")), http.StatusBadRequest}
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// sweepLocked forgets expired codes, tokens, requests and the wrong codes
// of sessions whose lockout is over. s.mu is held.
func (s *Server) sweepLocked(now time.Time) {
	st := &s.state
	if now.Sub(st.lastSweep) < sweepEvery && now.After(st.lastSweep) {
		return
	}
	st.lastSweep = now
	for k, dc := range st.codes {
		if now.After(dc.expires.Add(keepDeadCodes)) {
			delete(st.codes, k)
			if st.userCodes[dc.user] == dc {
				delete(st.userCodes, dc.user)
			}
		}
	}
	for k, t := range st.tokens {
		if now.After(t.expires) || t.grant.revoked {
			delete(st.tokens, k)
		}
	}
	for k, g := range st.guesses {
		if now.Sub(g.last) >= LockoutPeriod {
			delete(st.guesses, k)
		}
	}
	for k, ar := range st.requests {
		if now.After(ar.expires.Add(keepDeadCodes)) {
			delete(st.requests, k)
		}
	}
	for k, ac := range st.authCodes {
		if now.After(ac.expires.Add(keepDeadCodes)) {
			delete(st.authCodes, k)
		}
	}
}

// newDeviceCode registers a device authorization request.
func (s *Server) newDeviceCode(clientID string, scope []string) (*deviceCode, *oauthError) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
	live := 0
	for _, dc := range s.state.codes {
		if dc.status == codePending && now.Before(dc.expires) {
			live++
		}
	}
	if live >= maxLiveCodes {
		return nil, &oauthError{"temporarily_unavailable", "too many device codes are waiting for approval; try again later", http.StatusServiceUnavailable}
	}
	var user string
	for {
		user = randomUserCode()
		if _, taken := s.state.userCodes[user]; !taken {
			break
		}
	}
	dc := &deviceCode{
		device:   randomToken("dc_", 32),
		user:     user,
		clientID: clientID,
		scope:    scope,
		issued:   now,
		expires:  now.Add(s.opt.CodeTTL),
		interval: s.opt.Interval,
		lastPoll: now,
	}
	s.state.codes[dc.device] = dc
	s.state.userCodes[user] = dc
	if s.opt.AutoApprove > 0 && !s.state.closed {
		var t *time.Timer
		t = time.AfterFunc(s.opt.AutoApprove, func() {
			s.mu.Lock()
			delete(s.state.timers, t)
			s.mu.Unlock()
			if err := s.Approve(formatUserCode(user), s.opt.Users[0].Login); err == nil {
				s.log.Info("auto-approved", "user_code", formatUserCode(user), "login", s.opt.Users[0].Login)
			}
		})
		s.state.timers[t] = struct{}{}
	}
	return dc, nil
}

// tokenSet is a successful token response (RFC 6749 §5.1).
type tokenSet struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
	IDToken      string `json:"id_token,omitempty"`
}

// issueLocked mints an access and a refresh token for g. s.mu is held.
func (s *Server) issueLocked(g *grant, now time.Time) *tokenSet {
	at := randomToken("ada_", 32)
	rt := randomToken("adr_", 32)
	s.state.tokens[at] = &token{kind: kindAccess, grant: g, issued: now, expires: now.Add(s.opt.AccessTTL)}
	s.state.tokens[rt] = &token{kind: kindRefresh, grant: g, issued: now, expires: now.Add(s.opt.RefreshTTL)}
	ts := &tokenSet{
		AccessToken:  at,
		TokenType:    "Bearer",
		ExpiresIn:    int64(s.opt.AccessTTL / time.Second),
		RefreshToken: rt,
		Scope:        strings.Join(g.scope, " "),
	}
	if slices.Contains(g.scope, "openid") {
		ts.IDToken = s.idToken(g, now)
	}
	return ts
}

// revokeGrantLocked invalidates every token of g. s.mu is held.
func (s *Server) revokeGrantLocked(g *grant) {
	g.revoked = true
	for k, t := range s.state.tokens {
		if t.grant == g {
			delete(s.state.tokens, k)
		}
	}
}

// pollDevice answers one device access token request (RFC 8628 §3.4–3.5).
func (s *Server) pollDevice(clientID, device string) (*tokenSet, *oauthError) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	dc := s.state.codes[device]
	if dc == nil || dc.clientID != clientID {
		return nil, errInvalidGrant("unknown device code")
	}
	switch {
	case dc.status == codeExchanged:
		// Like a reused authorization code (RFC 6749 §4.1.2): refuse and
		// revoke what it produced.
		if dc.grant != nil && !dc.grant.revoked {
			s.revokeGrantLocked(dc.grant)
			s.log.Warn("device code used twice; its grant was revoked", "client_id", clientID)
		}
		return nil, errInvalidGrant("this device code was already exchanged; the tokens it produced are now revoked")
	case dc.status == codeDenied:
		return nil, &oauthError{"access_denied", "the request was denied in the browser", http.StatusBadRequest}
	case !now.Before(dc.expires):
		return nil, &oauthError{"expired_token", "the device code expired before it was approved; start again", http.StatusBadRequest}
	}
	early := now.Sub(dc.lastPoll) < dc.interval-dc.interval/pollGraceRatio
	dc.lastPoll = now
	if dc.status == codePending {
		if early {
			dc.interval += 5 * time.Second
			return nil, &oauthError{"slow_down", fmt.Sprintf("polling too fast; wait at least %d seconds between requests", dc.interval/time.Second), http.StatusBadRequest}
		}
		return nil, &oauthError{"authorization_pending", "waiting for the user to approve in the browser", http.StatusBadRequest}
	}
	g := &grant{id: randomToken("g_", 12), login: dc.login, clientID: dc.clientID, scope: dc.scope, authTime: now}
	dc.status = codeExchanged
	dc.grant = g
	return s.issueLocked(g, now), nil
}

// refresh answers a refresh_token grant (RFC 6749 §6) with rotation.
func (s *Server) refresh(clientID, rt, rawScope string) (*tokenSet, *oauthError) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.state.tokens[rt]
	if t == nil || t.kind != kindRefresh || t.grant.clientID != clientID || t.grant.revoked || !now.Before(t.expires) {
		return nil, errInvalidGrant("the refresh token is invalid, expired or revoked; sign in again")
	}
	if t.spent {
		s.revokeGrantLocked(t.grant)
		s.log.Warn("spent refresh token reused; grant revoked", "client_id", clientID, "login", t.grant.login)
		return nil, errInvalidGrant("this refresh token was already used; the whole sign-in is now revoked (sign in again)")
	}
	if rawScope != "" {
		want, oe := parseScope(rawScope)
		if oe != nil {
			return nil, oe
		}
		for _, sc := range want {
			if !slices.Contains(t.grant.scope, sc) {
				return nil, &oauthError{"invalid_scope", fmt.Sprintf("scope %q was not granted", sc), http.StatusBadRequest}
			}
		}
	}
	t.spent = true
	return s.issueLocked(t.grant, now), nil
}

// lookupResult is what the verification page learns about a typed code.
type lookupResult int

const (
	lookupOK lookupResult = iota
	lookupUnknown
	lookupExpired
	lookupUsed
)

// lookupLocked finds a pending code. code is normalised; s.mu is held.
func (s *Server) lookupLocked(code string, now time.Time) (*deviceCode, lookupResult) {
	dc := s.state.userCodes[code]
	switch {
	case dc == nil:
		return nil, lookupUnknown
	case dc.status != codePending:
		return dc, lookupUsed
	case !now.Before(dc.expires):
		return dc, lookupExpired
	}
	return dc, lookupOK
}

// DecisionError says why Approve or Deny could not record a decision.
type DecisionError struct {
	// Reason is "unknown", "expired", "used" or "user".
	Reason string
	// Msg says what is wrong, for a person.
	Msg string
}

func (e *DecisionError) Error() string { return "devserver: " + e.Msg }

// Approve approves the pending device request with userCode (any case, dash
// optional) as the user with login, as the verification page does.
func (s *Server) Approve(userCode, login string) error { return s.decide(userCode, login, true) }

// Deny denies the pending device request with userCode.
func (s *Server) Deny(userCode string) error { return s.decide(userCode, "", false) }

func (s *Server) decide(userCode, login string, approve bool) error {
	code, ok := normalizeUserCode(userCode)
	if !ok {
		return &DecisionError{"unknown", fmt.Sprintf("%q is not a user code of the form XXXX-XXXX", userCode)}
	}
	if approve && s.user(login) == nil {
		return &DecisionError{"user", fmt.Sprintf("there is no user %q", login)}
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	dc, res := s.lookupLocked(code, now)
	switch res {
	case lookupUnknown:
		return &DecisionError{"unknown", "no request has the code " + formatUserCode(code)}
	case lookupExpired:
		return &DecisionError{"expired", "the code " + formatUserCode(code) + " has expired"}
	case lookupUsed:
		return &DecisionError{"used", "the code " + formatUserCode(code) + " was already used"}
	}
	if approve {
		dc.status = codeApproved
		dc.login = login
	} else {
		dc.status = codeDenied
	}
	return nil
}

func (s *Server) user(login string) *User {
	for i := range s.opt.Users {
		if s.opt.Users[i].Login == login {
			return &s.opt.Users[i]
		}
	}
	return nil
}

// activeToken returns a live token (any kind) of clientID, or nil.
func (s *Server) activeToken(raw string) *token {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.state.tokens[raw]
	if t == nil || t.grant.revoked || !now.Before(t.expires) || t.spent {
		return nil
	}
	cp := *t
	g := *t.grant
	cp.grant = &g
	return &cp
}

// revoke implements RFC 7009: revoking a refresh token revokes its grant;
// revoking an access token revokes that token only. Unknown tokens are fine.
func (s *Server) revoke(clientID, raw string) *oauthError {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.state.tokens[raw]
	if t == nil {
		return nil
	}
	if t.grant.clientID != clientID {
		return &oauthError{"unauthorized_client", "the token was not issued to this client", http.StatusBadRequest}
	}
	if t.kind == kindRefresh {
		s.revokeGrantLocked(t.grant)
	} else {
		delete(s.state.tokens, raw)
	}
	return nil
}
