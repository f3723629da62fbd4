package devserver

// The authorization endpoint (RFC 6749 §4.1, OpenID Connect Core §3.1): the
// authorization code grant with PKCE (RFC 7636, S256 only) for the public
// client on a loopback redirect URI (RFC 8252 §7.3), its consent page, and
// the code's redemption at the token endpoint.

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authdeck/authdeck/auth"
)

// AuthCodeTTL is how long an authorization code can be redeemed (RFC 6749
// §4.1.2 recommends at most ten minutes).
const AuthCodeTTL = time.Minute

// Limits on authorization request parameters the server stores.
const (
	maxNonceLen = 512
	maxStateLen = 2048
)

// grantAuthorizationCode is the grant_type of a code redemption.
const grantAuthorizationCode = "authorization_code"

// authRequest is an authorization request waiting on the consent page.
type authRequest struct {
	id          string
	session     *session // the browser that was shown the consent page
	clientID    string
	redirectURI string
	state       string
	nonce       string
	challenge   string // S256 code challenge
	scope       []string
	expires     time.Time
	decided     bool
}

// authCode is an issued authorization code.
type authCode struct {
	clientID    string
	redirectURI string
	challenge   string
	nonce       string
	login       string
	scope       []string
	authTime    time.Time
	expires     time.Time
	used        bool
	grant       *grant // once redeemed
}

// AuthorizeURL is the authorization endpoint.
func (s *Server) AuthorizeURL() string { return s.issuer + "/authorize" }

// RedirectURIs are the redirect URIs registered for the client. They are
// loopback addresses, so any port matches (RFC 8252 §7.3): the client
// chooses one when it binds its listener.
func (s *Server) RedirectURIs() []string {
	return []string{"http://127.0.0.1" + auth.WebCallbackPath, "http://[::1]" + auth.WebCallbackPath}
}

// redirectAllowed reports whether raw is one of RedirectURIs on some port:
// scheme, host and path match exactly; no user info, query or fragment.
func (s *Server) redirectAllowed(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.User != nil || u.RawQuery != "" || u.ForceQuery || strings.Contains(raw, "#") || u.Opaque != "" {
		return false
	}
	host := u.Host
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return false
		}
		host = strings.TrimSuffix(host, ":"+p)
	}
	for _, r := range s.RedirectURIs() {
		ru, _ := url.Parse(r)
		// Host comparison keeps the brackets of [::1].
		if host == ru.Host && u.EscapedPath() == ru.Path {
			return true
		}
	}
	return false
}

// authorizeParams reads the authorization request: the query of a GET, or
// the form of a POST (OpenID Connect Core §3.1.2.1).
func authorizeParams(w http.ResponseWriter, r *http.Request) (url.Values, string) {
	if r.Method == http.MethodGet {
		return r.URL.Query(), ""
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		return nil, "A POST to the authorization endpoint must be a form (application/x-www-form-urlencoded)."
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, "The request was malformed or too large."
	}
	return r.PostForm, ""
}

// badAuthorizeRequest shows an error page without redirecting: the client
// or redirect URI could not be trusted (RFC 6749 §4.1.2.1).
func (s *Server) badAuthorizeRequest(w http.ResponseWriter, why string) {
	s.log.Warn("authorization request refused", "reason", why)
	s.render(w, http.StatusBadRequest, &page{Kind: "error", Tone: "bad", Title: "Invalid sign-in request", Heading: "This sign-in request is not valid",
		Lines: []string{why, "Nothing was signed in, and your browser was not sent anywhere. Tell the application's developers, or start the sign-in again."}})
}

// redirectBack sends the browser back to the client with params, state
// and iss (RFC 9207).
func (s *Server) redirectBack(w http.ResponseWriter, r *http.Request, redirectURI, state string, params url.Values) {
	if state != "" {
		params.Set("state", state)
	}
	params.Set("iss", s.issuer)
	u, _ := url.Parse(redirectURI) // checked by redirectAllowed
	u.RawQuery = params.Encode()
	w.Header().Set("Location", u.String())
	w.WriteHeader(http.StatusSeeOther)
}

// redirectError sends an authorization error back to the client (RFC 6749
// §4.1.2.1).
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, redirectURI, state, code, desc string) {
	s.log.Info("authorization request answered with an error", "error", code)
	s.redirectBack(w, r, redirectURI, state, url.Values{"error": {code}, "error_description": {desc}})
}

// handleAuthorize validates an authorization request and shows the consent
// page (or, with Options.AutoApprove, approves it at once as the first user).
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q, bad := authorizeParams(w, r)
	if bad == "" {
		// The client and its redirect URI first: until both are known
		// good, errors are shown here, never redirected (an open
		// redirector).
		bad = s.checkClient(q)
	}
	if bad != "" {
		s.badAuthorizeRequest(w, bad)
		return
	}
	clientID, redirectURI := q.Get("client_id"), q.Get("redirect_uri")
	state := q.Get("state")
	fail := func(oe *oauthError) { s.redirectError(w, r, redirectURI, state, oe.Code, oe.Description) }
	for k, v := range q {
		if len(v) > 1 {
			fail(invalidRequest(fmt.Sprintf("parameter %q was sent more than once", k)))
			return
		}
	}
	if len(state) > maxStateLen {
		// Not echoed: it is the oversized part.
		s.redirectError(w, r, redirectURI, "", "invalid_request", fmt.Sprintf("state is longer than %d characters", maxStateLen))
		return
	}
	ar, oe := s.authRequest(q)
	if oe != nil {
		fail(oe)
		return
	}
	if s.opt.AutoApprove > 0 {
		// A hands-off demo: no page, approved as the first user at once.
		login := s.opt.Users[0].Login
		code, oe := s.issueCode(ar, login)
		if oe != nil {
			fail(oe)
			return
		}
		s.log.Info("authorization auto-approved", "client_id", clientID, "login", login)
		s.redirectBack(w, r, redirectURI, state, url.Values{"code": {code}})
		return
	}
	se := s.session(w, r)
	if oe := s.addRequest(ar, se); oe != nil {
		fail(oe)
		return
	}
	s.log.Info("consent page shown", "client_id", clientID, "scope", strings.Join(ar.scope, " "))
	s.render(w, http.StatusOK, s.consentPage(ar, "", ""))
}

// checkClient checks the client_id and redirect_uri of an authorization
// request, and says what is wrong with them ("" when nothing is).
func (s *Server) checkClient(q url.Values) string {
	for _, k := range []string{"client_id", "redirect_uri"} {
		if len(q[k]) > 1 {
			return fmt.Sprintf("The parameter %s was sent more than once.", k)
		}
	}
	clientID, redirectURI := q.Get("client_id"), q.Get("redirect_uri")
	switch {
	case clientID == "":
		return "The request names no application (client_id is missing)."
	case clientID != s.opt.ClientID:
		return fmt.Sprintf("The application %q is not known to this server (its client is %q).", clientID, s.opt.ClientID)
	case redirectURI == "":
		return "The request does not say where to send the browser back (redirect_uri is missing)."
	case !s.redirectAllowed(redirectURI):
		return fmt.Sprintf("The address to send the browser back to, %q, is not registered for %s: it must be %s on any port.",
			redirectURI, clientID, strings.Join(s.RedirectURIs(), " or "))
	}
	return ""
}

// invalidRequest is an invalid_request error saying desc.
func invalidRequest(desc string) *oauthError {
	return &oauthError{Code: "invalid_request", Description: desc}
}

// authRequest checks the rest of an authorization request whose client,
// redirect URI and state are good, and returns it, or the error to send
// back to the client.
func (s *Server) authRequest(q url.Values) (*authRequest, *oauthError) {
	if oe := checkResponseType(q); oe != nil {
		return nil, oe
	}
	challenge, oe := pkceChallenge(q)
	if oe != nil {
		return nil, oe
	}
	scope, oe := parseScope(q.Get("scope"))
	if oe != nil {
		return nil, oe
	}
	nonce := q.Get("nonce")
	if len(nonce) > maxNonceLen {
		return nil, invalidRequest(fmt.Sprintf("nonce is longer than %d characters", maxNonceLen))
	}
	prompt := strings.Fields(q.Get("prompt"))
	if slices.Contains(prompt, "none") {
		if len(prompt) > 1 {
			return nil, invalidRequest("prompt=none cannot be combined with other prompt values")
		}
		if s.opt.AutoApprove <= 0 {
			return nil, &oauthError{Code: "login_required", Description: "prompt=none: this server always asks the person in the browser"}
		}
	}
	return &authRequest{
		clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), state: q.Get("state"),
		nonce: nonce, challenge: challenge, scope: scope,
	}, nil
}

// checkResponseType accepts only the authorization code, in the query.
func checkResponseType(q url.Values) *oauthError {
	switch rt := q.Get("response_type"); {
	case q.Has("request"):
		return &oauthError{Code: "request_not_supported", Description: "request objects are not supported; send the parameters in the query"}
	case q.Has("request_uri"):
		return &oauthError{Code: "request_uri_not_supported", Description: "request_uri is not supported; send the parameters in the query"}
	case rt == "":
		return invalidRequest("response_type is missing; use response_type=code")
	case rt != "code":
		return &oauthError{Code: "unsupported_response_type", Description: fmt.Sprintf("response_type %q is not supported; use code (the authorization code grant with PKCE)", rt)}
	}
	if rm := q.Get("response_mode"); rm != "" && rm != "query" {
		return invalidRequest(fmt.Sprintf("response_mode %q is not supported; use query", rm))
	}
	return nil
}

// pkceChallenge is the request's S256 code challenge; PKCE is required.
func pkceChallenge(q url.Values) (string, *oauthError) {
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge == "":
		return "", invalidRequest("PKCE is required: send code_challenge with code_challenge_method=S256")
	case method == "" || method == "plain":
		// A missing method means plain (RFC 7636 §4.3).
		return "", invalidRequest("code_challenge_method plain is not accepted; use S256")
	case method != "S256":
		return "", invalidRequest(fmt.Sprintf("code_challenge_method %q is not supported; use S256", method))
	case !validS256Challenge(challenge):
		return "", invalidRequest("code_challenge must be the base64url SHA-256 of the code verifier (43 characters)")
	}
	return challenge, nil
}

// validS256Challenge checks the form of an S256 code challenge: base64url
// without padding of 32 bytes.
func validS256Challenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	b, err := b64().DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// validVerifier checks a code verifier's form (RFC 7636 §4.1).
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, c := range v {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~", c)) {
			return false
		}
	}
	return true
}

// addRequest stores a request for the consent page of se.
func (s *Server) addRequest(ar *authRequest, se *session) *oauthError {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
	live := 0
	for _, r := range s.state.requests {
		if !r.decided && now.Before(r.expires) {
			live++
		}
	}
	if live >= maxLiveCodes {
		return &oauthError{"temporarily_unavailable", "too many sign-ins are waiting for consent; try again later", http.StatusServiceUnavailable}
	}
	ar.id = randomToken("ar_", 18)
	ar.session = se
	ar.expires = now.Add(s.opt.CodeTTL)
	s.state.requests[ar.id] = ar
	return nil
}

// issueCode records an approval of ar as login and returns its code.
func (s *Server) issueCode(ar *authRequest, login string) (string, *oauthError) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
	if len(s.state.authCodes) >= maxLiveCodes {
		return "", &oauthError{"temporarily_unavailable", "too many authorization codes are outstanding; try again later", http.StatusServiceUnavailable}
	}
	code := randomToken("ac_", 32)
	s.state.authCodes[code] = &authCode{
		clientID: ar.clientID, redirectURI: ar.redirectURI, challenge: ar.challenge, nonce: ar.nonce,
		login: login, scope: ar.scope, authTime: now, expires: now.Add(AuthCodeTTL),
	}
	return code, nil
}

// scopeDescription says what a supported scope lets the application do
// ("" for another). A function, not a map: see pageCSSHash.
func scopeDescription(scope string) string {
	switch scope {
	case "openid":
		return "confirm who you are"
	case "profile":
		return "see your name and user name"
	case "email":
		return "see your email address"
	case "offline_access":
		return "stay signed in when you are away (refresh tokens)"
	}
	return ""
}

func (s *Server) consentPage(ar *authRequest, selected, errMsg string) *page {
	p := &page{Kind: "consent", Title: "Sign in to " + ar.clientID, ClientID: ar.clientID, CSRF: ar.session.csrf,
		Request: ar.id, Users: s.userOptions(selected), Error: errMsg, RedirectTo: ar.redirectURI,
		formTarget: redirectOrigin(ar.redirectURI)}
	for _, sc := range ar.scope {
		p.Scopes = append(p.Scopes, scopeLine{Name: sc, Desc: scopeDescription(sc)})
	}
	return p
}

// redirectOrigin is scheme://host:port of a redirect URI.
func redirectOrigin(redirectURI string) string {
	u, err := url.Parse(redirectURI)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// consentRefused is the page for a consent form that fails the CSRF checks.
func (s *Server) consentRefused(w http.ResponseWriter, why string) {
	s.log.Warn("consent form refused", "reason", why)
	s.render(w, http.StatusForbidden, &page{Kind: "forbidden", Tone: "bad", Title: "Form refused", Heading: "This form could not be accepted",
		Lines: []string{
			"It was not sent from the consent page in this browser, or the page is too old (" + why + ").",
			"Nothing was approved or denied.",
		}, Restart: true})
}

// handleConsent takes the consent form's answer: approve as a user, or deny.
// Either way the browser is sent back to the application.
func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	if !s.sameOrigin(r) {
		s.consentRefused(w, "it came from another site")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.render(w, http.StatusBadRequest, &page{Kind: "error", Tone: "bad", Title: "Bad request", Heading: "The form could not be read",
			Lines: []string{"The request was malformed or too large."}, Restart: true})
		return
	}
	se := s.existingSession(r)
	if se == nil {
		s.consentRefused(w, "no session cookie")
		return
	}
	sent := r.PostForm.Get("csrf")
	if sent == "" {
		s.consentRefused(w, "the form's security token is missing")
		return
	}
	if subtle.ConstantTimeCompare([]byte(sent), []byte(se.csrf)) != 1 {
		s.consentRefused(w, "the form's security token does not match")
		return
	}

	now := s.now()
	s.mu.Lock()
	ar := s.state.requests[r.PostForm.Get("request")]
	var status int
	var p *page
	switch {
	case ar == nil || ar.session.id != se.id:
		status, p = http.StatusBadRequest, &page{Kind: "error", Tone: "bad", Title: "Unknown request", Heading: "This sign-in request is not known",
			Lines: []string{"The server does not know this request (it may have restarted)."}, Restart: true}
	case ar.decided:
		status, p = http.StatusConflict, &page{Kind: "used", Tone: "bad", Title: "Already answered", Heading: "This sign-in was already answered",
			Lines: []string{"Each sign-in request can be approved or denied once."}, Restart: true}
	case !now.Before(ar.expires):
		status, p = http.StatusGone, &page{Kind: "expired", Tone: "bad", Title: "Request expired", Heading: "This sign-in request has expired",
			Lines: []string{fmt.Sprintf("Answer within %d minutes of the page opening.", int(s.opt.CodeTTL/time.Minute))}, Restart: true}
	}
	s.mu.Unlock()
	if p != nil {
		s.render(w, status, p)
		return
	}

	var login string
	switch action := r.PostForm.Get("action"); action {
	case "approve":
		login = r.PostForm.Get("user")
		if s.user(login) == nil {
			s.render(w, http.StatusBadRequest, s.consentPage(ar, "", "Choose who to sign in as."))
			return
		}
	case "deny":
	default:
		s.render(w, http.StatusBadRequest, s.consentPage(ar, "", "Choose Approve or Deny."))
		return
	}
	s.mu.Lock()
	already := ar.decided
	ar.decided = true
	s.mu.Unlock()
	if already { // answered in another tab meanwhile
		s.render(w, http.StatusConflict, &page{Kind: "used", Tone: "bad", Title: "Already answered", Heading: "This sign-in was already answered",
			Lines: []string{"Each sign-in request can be approved or denied once."}, Restart: true})
		return
	}
	if login == "" {
		s.log.Info("authorization denied", "client_id", ar.clientID)
		s.redirectError(w, r, ar.redirectURI, ar.state, "access_denied", "the person denied the sign-in in the browser")
		return
	}
	code, oe := s.issueCode(ar, login)
	if oe != nil {
		s.redirectError(w, r, ar.redirectURI, ar.state, oe.Code, oe.Description)
		return
	}
	s.log.Info("authorization approved", "client_id", ar.clientID, "login", login)
	s.redirectBack(w, r, ar.redirectURI, ar.state, url.Values{"code": {code}})
}

// redeemCode answers an authorization_code grant (RFC 6749 §4.1.3, RFC 7636
// §4.6). A code is spent by its first redemption attempt, successful or
// not; redeeming it again revokes the tokens it produced (RFC 6749 §4.1.2).
func (s *Server) redeemCode(clientID, code, redirectURI, verifier string) (*tokenSet, *oauthError) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ac := s.state.authCodes[code]
	if ac == nil || ac.clientID != clientID {
		return nil, errInvalidGrant("unknown authorization code")
	}
	if ac.used {
		if ac.grant != nil && !ac.grant.revoked {
			s.revokeGrantLocked(ac.grant)
			s.log.Warn("authorization code used twice; its grant was revoked", "client_id", clientID, "login", ac.login)
		}
		return nil, errInvalidGrant("this authorization code was already used; the tokens it produced are now revoked")
	}
	ac.used = true
	if !now.Before(ac.expires) {
		return nil, errInvalidGrant("the authorization code expired; start the sign-in again")
	}
	if redirectURI != ac.redirectURI {
		return nil, errInvalidGrant("redirect_uri differs from the one in the authorization request")
	}
	sum := sha256.Sum256([]byte(verifier))
	if subtle.ConstantTimeCompare([]byte(b64().EncodeToString(sum[:])), []byte(ac.challenge)) != 1 {
		return nil, errInvalidGrant("code_verifier does not match the code_challenge (PKCE)")
	}
	g := &grant{id: randomToken("g_", 12), login: ac.login, clientID: ac.clientID, scope: ac.scope, authTime: ac.authTime, nonce: ac.nonce}
	ac.grant = g
	return s.issueLocked(g, now), nil
}
