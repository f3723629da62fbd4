package auth

// Browser sign-in: the authorization code grant (RFC 6749 §4.1) with PKCE
// (RFC 7636, S256) and a loopback redirect on an ephemeral port (RFC 8252
// §7.3), for servers that offer no device flow.

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/authdeck/authdeck/internal/textsafe"
)

// SupportsDevice reports whether the server can run the device flow
// (RFC 8628): it has a device authorization endpoint and a token endpoint.
func (e Endpoints) SupportsDevice() bool { return e.DeviceAuthURL != "" && e.TokenURL != "" }

// SupportsWeb reports whether the server can run the browser sign-in
// (authorization code with PKCE): it has an authorization endpoint and a
// token endpoint. Callers pick the browser sign-in with
// SignInWithBrowser.
func (e Endpoints) SupportsWeb() bool { return e.AuthURL != "" && e.TokenURL != "" }

// SignInWithBrowser is the one rule for choosing between the browser
// sign-in and the device flow: the browser when asked for (login --web),
// or when the server cannot do the device flow but can do the browser
// sign-in. Over SSH the device flow is therefore kept whenever the server
// has it. Whether asking is possible at all is SupportsWeb.
func (e Endpoints) SignInWithBrowser(asked bool) bool {
	return asked || (!e.SupportsDevice() && e.SupportsWeb())
}

// WebOffersPaste is the one rule for when a browser sign-in offers to
// finish with the address the browser ended on, pasted by the user: when
// the session is remote (SSH: a browser opened here is not the user's) or
// no browser can be opened here (the user opens the address in one of
// their choosing, which may run on another machine). In both cases the
// browser may not reach the loopback listener (RFC 8252 §7.3).
func WebOffersPaste(remote, canOpenBrowser bool) bool { return remote || !canOpenBrowser }

// DefaultWebTimeout ends a browser sign-in when WebOptions.Timeout is zero.
const DefaultWebTimeout = 10 * time.Minute

// WebCallbackPath is the path of the loopback redirect URI.
const WebCallbackPath = "/callback"

// Errors that end a browser sign-in. Compare with errors.Is. A denial at the
// server comes back as ErrAccessDenied (wrapping the *OAuthError).
var (
	// ErrWebTimeout: no answer reached the loopback listener in time.
	ErrWebTimeout = errors.New("the browser sign-in timed out: the browser never came back; start the sign-in again")
	// ErrWebClosed: the flow was closed (WebFlow.Close) before it finished.
	ErrWebClosed = errors.New("the browser sign-in was closed before it finished")
	// ErrWebStateMismatch: a pasted redirect URL belongs to another sign-in.
	// The flow goes on; the callback listener still waits.
	ErrWebStateMismatch = errors.New("that address belongs to a different sign-in (its state does not match)")
)

// WebOptions configure StartWeb.
type WebOptions struct {
	// Scopes requested; nil means the Client's Scopes.
	Scopes []string
	// Prompt is the OpenID Connect "prompt" parameter. Empty means
	// "consent" when offline_access is requested (OpenID Connect Core §11
	// requires it, and providers drop offline_access without it), and no
	// prompt otherwise.
	Prompt string
	// LoginHint, when set, is sent as login_hint.
	LoginHint string
	// Params are extra authorization request parameters, such as Google's
	// access_type=offline. They may not replace a parameter StartWeb sets
	// itself (state, nonce, PKCE, redirect_uri, client_id, ...).
	Params url.Values
	// Timeout ends the flow when no answer arrived in time; zero means
	// DefaultWebTimeout.
	Timeout time.Duration
	// AppName is shown on the pages served to the browser; empty shows none.
	AppName string
	// OnIgnored, when set, is told about each request to the listener that
	// was answered with an error page and otherwise ignored (the flow goes
	// on): a callback with a wrong or missing state, a second callback, a
	// wrong Host header or method. reason is one short sentence without
	// any value from the request (no code, no state). It is called from the
	// listener's goroutine before the error page is sent, so it must not
	// block for long.
	OnIgnored func(reason string)

	// listen replaces net.Listen in tests.
	listen func(network, address string) (net.Listener, error)
}

// WebFlow is one browser sign-in in progress: a loopback listener waiting
// for the authorization server to send the browser back. Open AuthURL in a
// browser, then call Wait (or CompleteFromURL with the address the browser
// ended on, when it runs on another machine). The flow ends at the first of:
// a callback carrying the right state (success or a server error), the
// StartWeb context or a Wait/CompleteFromURL context ending, the timeout,
// or Close; the listener is closed then. Methods are safe for concurrent use.
//
// A callback with a wrong or missing state is answered with a 400 page and
// otherwise ignored: the flow keeps waiting. Any web page can send the
// browser to 127.0.0.1, so such a request must not be able to end (or
// deny) the user's sign-in.
type WebFlow struct {
	app      string
	ignored  func(reason string)
	c        Client        // a copy: later changes to the caller's Client do not apply
	cfg      oauth2.Config // builds the authorization URL
	verifier string
	state    string
	nonce    string
	authURL  string
	host     string // host:port the browser addresses (Host header)
	deadline time.Time

	srv      *http.Server
	ln       net.Listener
	timer    *time.Timer   // the flow's timeout; stopped once a callback is claimed
	claimed  chan webClaim // capacity 1: the callback that passed the state check
	pageDone chan struct{} // closed when the claimed HTTP callback's page is written
	done     chan struct{} // closed when the flow has ended
	closed   chan struct{} // closed when the listener and connections are closed
	stops    []func() bool

	mu        sync.Mutex
	isClaimed bool
	httpClaim bool
	ended     bool
	tok       *oauth2.Token
	err       error
	account   string
}

// webClaim is the one callback whose state matched.
type webClaim struct {
	code string
	err  error // an error from the server, or a malformed answer
}

// StartWeb starts a browser sign-in: it binds a listener on 127.0.0.1 (or
// [::1] when 127.0.0.1 is unavailable) on an ephemeral port, never on any
// other address, draws a random state, nonce and PKCE verifier, and builds
// the authorization URL. ctx bounds the whole flow: when it ends, so does
// the flow. The caller opens AuthURL in a browser (or prints it) and calls
// Wait; always Close the flow when done with it.
func (c *Client) StartWeb(ctx context.Context, opt WebOptions) (*WebFlow, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := c.checkWeb(opt); err != nil {
		return nil, err
	}
	ln, err := webListen(opt.listen)
	if err != nil {
		return nil, err
	}

	scopes := opt.Scopes
	if scopes == nil {
		scopes = c.Scopes
	}
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = DefaultWebTimeout
	}
	f := &WebFlow{
		app:     opt.AppName,
		ignored: opt.OnIgnored,
		cfg: oauth2.Config{
			ClientID:    c.ClientID,
			Endpoint:    c.Endpoints.OAuth2(),
			RedirectURL: "http://" + ln.Addr().String() + WebCallbackPath,
			Scopes:      scopes,
		},
		c:        *c,
		verifier: oauth2.GenerateVerifier(),
		state:    rand.Text(),
		nonce:    rand.Text(),
		host:     ln.Addr().String(),
		ln:       ln,
		deadline: time.Now().Add(timeout),
		claimed:  make(chan webClaim, 1),
		pageDone: make(chan struct{}),
		done:     make(chan struct{}),
		closed:   make(chan struct{}),
	}
	f.authURL = c.withAuthorizationParams(f.cfg.AuthCodeURL(f.state, f.authCodeOptions(opt)...))
	f.serve(ctx, timeout)
	return f, nil
}

// checkWeb refuses a browser sign-in the client cannot make: no client
// ID, no (or no good) authorization and token endpoints, or extra
// parameters that StartWeb sets itself.
func (c *Client) checkWeb(opt WebOptions) error {
	if c.ClientID == "" {
		return errors.New("browser sign-in needs a client ID: set the server's client ID")
	}
	if !c.Endpoints.SupportsWeb() {
		return errors.New("this server has no authorization endpoint or no token endpoint, so the browser sign-in is not possible; use the device flow, or configure the server's authorization and token URLs")
	}
	for _, u := range []struct{ what, url string }{
		{"authorization endpoint", c.Endpoints.AuthURL},
		{"token endpoint", c.Endpoints.TokenURL},
	} {
		if err := CheckURL(u.url); err != nil {
			return fmt.Errorf("%s %q: %w", u.what, textsafe.Clean(u.url), err)
		}
	}
	// The authorization request parameters StartWeb sets itself.
	reserved := []string{"response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
		"code_challenge", "code_challenge_method", "prompt", "login_hint"}
	for k := range opt.Params {
		if slices.Contains(reserved, k) {
			return fmt.Errorf("extra authorization parameter %q is set by the browser sign-in itself; remove it", textsafe.Clean(k))
		}
	}
	return nil
}

// authCodeOptions are the authorization request's parameters beyond
// those of f.cfg: PKCE, the nonce (dropped from f without openid),
// prompt, login_hint and opt's extra parameters.
func (f *WebFlow) authCodeOptions(opt WebOptions) []oauth2.AuthCodeOption {
	scopes := f.cfg.Scopes
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.verifier)}
	if slices.Contains(scopes, "openid") {
		// A nonce only with openid: OpenID Connect servers refuse a
		// nonce without it, and plain OAuth has no ID token to carry it.
		opts = append(opts, oauth2.SetAuthURLParam("nonce", f.nonce))
	} else {
		f.nonce = ""
	}
	prompt := opt.Prompt
	if prompt == "" && slices.Contains(scopes, "offline_access") {
		prompt = "consent"
	}
	if prompt != "" {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", prompt))
	}
	if opt.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", opt.LoginHint))
	}
	for k, vs := range opt.Params {
		for _, v := range vs {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	return opts
}

// serve starts the loopback server on f.ln and ends the flow after
// timeout or when ctx ends.
func (f *WebFlow) serve(ctx context.Context, timeout time.Duration) {
	f.srv = &http.Server{
		Handler:           http.HandlerFunc(f.serveHTTP),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    64 << 10,
		// auth does no terminal I/O: the server must not log to stderr.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go func() { _ = f.srv.Serve(f.ln) }()

	f.mu.Lock()
	// Under the lock: claim reads f.timer.
	f.timer = time.AfterFunc(timeout, func() { f.end(nil, ErrWebTimeout) })
	f.stops = append(f.stops, f.timer.Stop, context.AfterFunc(ctx, func() {
		f.end(nil, fmt.Errorf("browser sign-in cancelled: %w", context.Cause(ctx)))
	}))
	f.mu.Unlock()
}

// webListen binds the loopback listener: 127.0.0.1 first, [::1] when IPv4
// loopback is unavailable, and nothing else.
func webListen(listen func(network, address string) (net.Listener, error)) (net.Listener, error) {
	if listen == nil {
		listen = net.Listen
	}
	ln, err4 := listen("tcp4", "127.0.0.1:0")
	if err4 != nil {
		var err6 error
		ln, err6 = listen("tcp6", "[::1]:0")
		if err6 != nil {
			return nil, fmt.Errorf("cannot listen on the loopback interface for the browser's answer (127.0.0.1: %v; [::1]: %v)", err4, err6)
		}
	}
	if a, ok := ln.Addr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
		_ = ln.Close()
		return nil, fmt.Errorf("the browser sign-in listener bound %s, which is not loopback; refusing to use it", ln.Addr())
	}
	return ln, nil
}

// AuthURL is the authorization URL to open in the browser.
func (f *WebFlow) AuthURL() string { return f.authURL }

// RedirectURL is the loopback redirect URI, http://127.0.0.1:PORT/callback.
// The address the browser is sent back to starts with it; over SSH, tell
// the user to paste that address (see CompleteFromURL).
func (f *WebFlow) RedirectURL() string { return f.cfg.RedirectURL }

// Deadline is when the flow times out.
func (f *WebFlow) Deadline() time.Time { return f.deadline }

// Done is closed when the flow has ended.
func (f *WebFlow) Done() <-chan struct{} { return f.done }

// Wait waits for the browser to come back, exchanges the authorization code
// (with the PKCE verifier, and the client secret when set) at the token
// endpoint, and returns the token. When ctx ends first, the flow ends. The
// listener is closed when Wait returns. Calling Wait again returns the same
// result.
func (f *WebFlow) Wait(ctx context.Context) (*oauth2.Token, error) {
	f.await(ctx)
	<-f.closed
	return f.result()
}

// CompleteFromURL finishes the flow with the address the browser was sent
// back to (http://127.0.0.1:PORT/callback?code=...&state=...), pasted by
// the user when the browser runs on another machine (SSH) and could not
// reach the listener. A URL with the wrong state returns
// ErrWebStateMismatch and leaves the flow running; anything else ends it.
// When the listener already received the answer, it returns that result.
func (f *WebFlow) CompleteFromURL(ctx context.Context, redirected string) (*oauth2.Token, error) {
	q, err := f.parsePasted(redirected)
	if err != nil {
		return nil, err
	}
	if !f.stateMatches(q.Get("state")) {
		return nil, fmt.Errorf("%w: paste the address shown after this sign-in; it starts with %s", ErrWebStateMismatch, f.RedirectURL())
	}
	if f.claim(false) {
		f.finish(ctx, f.interpret(q))
	} else {
		f.await(ctx)
	}
	<-f.closed
	return f.result()
}

// Close ends the flow if it is still running (Wait then returns
// ErrWebClosed) and closes the listener. It is safe to call more than once.
func (f *WebFlow) Close() error {
	f.end(nil, ErrWebClosed)
	<-f.closed
	return nil
}

// parsePasted reads the query of a pasted redirect address.
func (f *WebFlow) parsePasted(s string) (url.Values, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("that is not the address the browser was sent back to: copy the whole address from the browser's address bar; it starts with %s and contains code= (or error=) and state=", f.RedirectURL())
	u, err := url.Parse(s)
	if err != nil {
		return nil, bad
	}
	q := u.Query()
	if u.RawQuery == "" && !strings.Contains(s, "://") {
		// Only the query was pasted.
		if q, err = url.ParseQuery(strings.TrimPrefix(s, "?")); err != nil {
			return nil, bad
		}
	}
	if !q.Has("state") || (!q.Has("code") && !q.Has("error")) {
		return nil, bad
	}
	return q, nil
}

// stateMatches compares a callback's state with ours in constant time.
func (f *WebFlow) stateMatches(got string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(f.state)) == 1
}

// claim marks the flow's one genuine callback; it fails when a callback was
// already claimed or the flow has ended.
func (f *WebFlow) claim(viaHTTP bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.isClaimed || f.ended {
		return false
	}
	f.isClaimed, f.httpClaim = true, viaHTTP
	// The answer is in: the code exchange that follows is bounded by its own
	// context and request timeout, and must not be cut short by the flow's
	// timeout (the tokens it brings would be lost).
	if f.timer != nil {
		f.timer.Stop()
	}
	return true
}

// interpret reads a callback whose state matched.
func (f *WebFlow) interpret(q url.Values) webClaim {
	if e := q.Get("error"); e != "" {
		oe := &OAuthError{Code: textsafe.Clean(e), Description: textsafe.Clean(q.Get("error_description"))}
		if oe.Code == "access_denied" {
			return webClaim{err: fmt.Errorf("%w: %w", ErrAccessDenied, oe)}
		}
		return webClaim{err: fmt.Errorf("the server refused the sign-in: %w", oe)}
	}
	// RFC 9207: a server that names itself in the answer must be ours
	// (defends against mix-up between servers).
	if iss := q.Get("iss"); iss != "" && f.c.Endpoints.Issuer != "" && iss != f.c.Endpoints.Issuer {
		return webClaim{err: fmt.Errorf("the answer came from issuer %q, not %q; the sign-in was stopped", textsafe.Clean(iss), textsafe.Clean(f.c.Endpoints.Issuer))}
	}
	code := q.Get("code")
	if code == "" {
		return webClaim{err: errors.New("the server sent the browser back without an authorization code (no code= and no error=); start the sign-in again")}
	}
	return webClaim{code: code}
}

// await handles the claimed callback, if one arrives, until the flow ends.
func (f *WebFlow) await(ctx context.Context) {
	select {
	case c := <-f.claimed:
		f.finish(ctx, c)
	case <-f.done:
	case <-ctx.Done():
		f.end(nil, fmt.Errorf("browser sign-in cancelled: %w", context.Cause(ctx)))
	}
}

// finish exchanges a claimed callback's code and ends the flow.
func (f *WebFlow) finish(ctx context.Context, c webClaim) {
	if c.err != nil {
		f.end(nil, c.err)
		return
	}
	tok, account, err := f.exchange(ctx, c.code)
	f.mu.Lock()
	f.account = account
	f.mu.Unlock()
	f.end(tok, err)
}

// exchange redeems the code at the token endpoint (with the PKCE verifier;
// postForm adds client_id and, when set, client_secret) and checks the ID
// token.
func (f *WebFlow) exchange(ctx context.Context, code string) (*oauth2.Token, string, error) {
	r, err := f.c.postForm(ctx, f.c.Endpoints.TokenURL, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {f.cfg.RedirectURL},
		"code_verifier": {f.verifier},
	})
	if err != nil {
		return nil, "", fmt.Errorf("exchanging the authorization code: %w", err)
	}
	tok, err := f.c.parseTokenResponse(r)
	if err != nil {
		return nil, "", fmt.Errorf("exchanging the authorization code: %w", err)
	}
	account, err := f.checkIDToken(ctx, tok)
	if err != nil {
		return nil, "", err
	}
	return tok, account, nil
}

// checkIDToken verifies the ID token that came with tok, if any
// (VerifyIDToken: signature against the issuer's keys, issuer, audience,
// expiry, and this sign-in's nonce when one was sent), and returns a
// display name from its claims.
func (f *WebFlow) checkIDToken(ctx context.Context, tok *oauth2.Token) (string, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		// An OpenID Connect server answers an openid request with an ID
		// token (Core §3.1.3.3); without one the nonce cannot be checked.
		// A server that did not grant openid (it says so in "scope") is a
		// plain OAuth server, and there is no ID token to check.
		granted, _ := tok.Extra("scope").(string)
		// Without an issuer the token endpoint's ID token is dropped
		// unverified (tokenFromFields); PKCE still ties the code to this
		// sign-in.
		if f.c.Endpoints.Issuer != "" && slices.Contains(f.cfg.Scopes, "openid") && (granted == "" || slices.Contains(strings.Fields(granted), "openid")) {
			return "", errors.New("the server sent no ID token although the sign-in asked for openid, so the answer cannot be tied to this sign-in (nonce); the sign-in was stopped. Remove openid from the server's scopes if it is not an OpenID Connect server")
		}
		return "", nil
	}
	claims, err := f.c.VerifyIDToken(ctx, raw, f.nonce)
	if err != nil {
		return "", err
	}
	id, err := identityFromClaims(claims)
	if err != nil {
		return "", nil // a display name is optional
	}
	return id.Display(), nil
}

// end records the flow's result (the first call wins), then closes the
// listener once the claimed callback's page has been written.
func (f *WebFlow) end(tok *oauth2.Token, err error) {
	f.mu.Lock()
	if f.ended {
		f.mu.Unlock()
		return
	}
	f.ended = true
	f.tok, f.err = tok, err
	httpClaim := f.httpClaim
	stops := f.stops
	f.mu.Unlock()
	close(f.done)
	for _, stop := range stops {
		stop()
	}
	if httpClaim {
		// Let the browser get its page before the connection goes.
		t := time.NewTimer(5 * time.Second)
		select {
		case <-f.pageDone:
		case <-t.C:
		}
		t.Stop()
	}
	_ = f.srv.Close()
	// Serve may not have started (the flow can end at once): close the
	// listener itself too, so nothing accepts after Wait returns.
	_ = f.ln.Close()
	close(f.closed)
}

// result returns what the flow ended with.
func (f *WebFlow) result() (*oauth2.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tok, f.err
}

// serveHTTP answers the browser.
func (f *WebFlow) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Host != f.host:
		f.ignore("a request addressed to another host name (another site may be probing this computer)")
		writeWebPage(w, f.app, webPage{Status: http.StatusMisdirectedRequest, Title: "Wrong address",
			Lines: []string{"This listener only answers at " + f.host + "."}}, false)
		return
	case r.URL.Path != WebCallbackPath:
		// Not reported: browsers ask for /favicon.ico on their own.
		writeWebPage(w, f.app, webPage{Status: http.StatusNotFound, Title: "Not found",
			Lines: []string{"Nothing is served here. This listener only waits for the sign-in's answer."}}, false)
		return
	case r.Method != http.MethodGet:
		f.ignore("a callback sent with " + methodName(r.Method) + " instead of GET")
		w.Header().Set("Allow", http.MethodGet)
		writeWebPage(w, f.app, webPage{Status: http.StatusMethodNotAllowed, Title: "Method not allowed",
			Lines: []string{"The sign-in's answer arrives as a GET request."}}, false)
		return
	}
	q := r.URL.Query()
	if !f.stateMatches(q.Get("state")) {
		if q.Has("state") {
			f.ignore("a callback with the wrong state (not from this sign-in; possibly forged)")
		} else {
			f.ignore("a callback without a state (not from this sign-in; possibly forged)")
		}
		writeWebPage(w, f.app, webPage{Status: http.StatusBadRequest, Title: "Not the sign-in in progress",
			Lines: []string{
				"This answer does not belong to the sign-in that is waiting (its state does not match), so it was ignored.",
				"If you started a sign-in, finish it in the tab it opened, or start it again from the terminal.",
			}}, false)
		return
	}
	if !f.claim(true) {
		f.ignore("a second callback after the sign-in's answer (a reload or a replay)")
		writeWebPage(w, f.app, webPage{Status: http.StatusConflict, Title: "Already answered",
			Lines: []string{"This sign-in has already received its answer. You can close this tab."}}, true)
		return
	}
	defer close(f.pageDone)
	f.claimed <- f.interpret(q) // capacity 1 and claimed once: never blocks
	select {
	case <-f.done:
	case <-r.Context().Done():
		return
	}
	tok, err := f.result()
	f.mu.Lock()
	account := f.account
	f.mu.Unlock()
	writeWebPage(w, f.app, webResultPage(tok, account, err), true)
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
}

// ignore reports an ignored request to WebOptions.OnIgnored.
func (f *WebFlow) ignore(reason string) {
	if f.ignored != nil {
		f.ignored(reason)
	}
}

// methodName is an HTTP method fit to show: the standard ones by name,
// anything else as "another method".
func methodName(m string) string {
	switch m {
	case http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "another method"
}

// webResultPage is the page for the flow's result.
func webResultPage(tok *oauth2.Token, account string, err error) webPage {
	if err == nil && tok != nil {
		lines := []string{"You are signed in."}
		if account != "" {
			lines = []string{"You are signed in as " + account + "."}
		}
		return webPage{Status: http.StatusOK, OK: true, Title: "Signed in",
			Lines: append(lines, "You can close this tab and go back to the terminal.")}
	}
	var oe *OAuthError
	switch {
	case errors.Is(err, ErrAccessDenied):
		p := webPage{Status: http.StatusForbidden, Title: "Sign-in declined",
			Lines: []string{"The sign-in was declined, so nothing was signed in.", "You can close this tab; start the sign-in again from the terminal if that was a mistake."}}
		if errors.As(err, &oe) && oe.Description != "" {
			p.Detail = oe.Description
		}
		return p
	case errors.Is(err, ErrWebTimeout), errors.Is(err, ErrWebClosed), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return webPage{Status: http.StatusServiceUnavailable, Title: "Sign-in no longer waiting",
			Lines: []string{"The terminal stopped waiting for this sign-in (it was cancelled or timed out).", "Start the sign-in again from the terminal."}}
	}
	p := webPage{Status: http.StatusBadGateway, Title: "Sign-in failed",
		Lines: []string{"The sign-in did not complete. The terminal shows the details.", "You can close this tab and start the sign-in again."}}
	if errors.As(err, &oe) {
		p.Detail = oe.Code
		if oe.Description != "" {
			p.Detail += ": " + oe.Description
		}
	} else if err != nil {
		p.Detail = err.Error()
	}
	return p
}
