package devserver

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/authdeck/authdeck/internal/bigcode"
)

// sessionCookiePrefix starts the name of the verification page's session
// cookie. It carries only a random session id; the CSRF token lives
// server-side and in the form. The full name ends in the server's port
// (see Server.sessionCookie).
const sessionCookiePrefix = "authdeck_dev_session_"

// pageCSS is the only style of the verification page. It is inline, and the
// Content-Security-Policy allows exactly this text by its hash.
const pageCSS = `
:root{color-scheme:light dark;--bg:#f4f5f7;--fg:#1b1f24;--muted:#58616d;--card:#fff;--line:#d3d8df;--accent:#3451c7;--ok:#1d7336;--bad:#b42318;--on:#fff}
@media (prefers-color-scheme:dark){:root{--bg:#101317;--fg:#e7eaef;--muted:#9ba5b3;--card:#181d24;--line:#343c48;--accent:#9aaeff;--ok:#62d68e;--bad:#ff8078;--on:#0b0d10}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
main{max-width:41rem;margin:2.5rem auto;padding:2rem 2.25rem;background:var(--card);border:1px solid var(--line);border-radius:14px}
.brand{margin:0 0 1.25rem;font:600 .85rem/1 ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;color:var(--muted);letter-spacing:.06em;text-transform:uppercase}
h1{font-size:1.55rem;line-height:1.25;margin:0 0 .75rem}
p{margin:.5rem 0}
.code{margin:1.5rem 0;text-align:center}
.glyphs{display:flex;flex-wrap:wrap;justify-content:center;align-items:center;gap:var(--px) calc(var(--px)*2);padding:calc(var(--px)*2);background:var(--bg);border:1px solid var(--line);border-radius:9px;--px:clamp(.3rem,1.25vw,.55rem)}
.group{display:flex;gap:var(--px)}
.glyph{display:grid;grid-template-columns:repeat(5,var(--px));grid-template-rows:repeat(5,var(--px))}
.glyph i{display:block}
.glyph i.on{background:var(--fg)}
.sep i.on{background:var(--muted)}
.plain{display:block;margin-top:.6rem;font:700 1.35rem/1.2 ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;letter-spacing:.12em}
@media (forced-colors:active){.glyph i.on{background:CanvasText;forced-color-adjust:none}}
label{font-weight:600}
.code-input{display:block;width:100%;margin:.5rem 0 .25rem;padding:.35em .4em;font:700 clamp(1.9rem,7.5vw,3rem)/1.2 ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;letter-spacing:.18em;text-transform:uppercase;text-align:center;border:3px solid var(--line);border-radius:9px;background:var(--bg);color:var(--fg)}
.code-input::placeholder{color:var(--line)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.hint{color:var(--muted);font-size:.92rem;margin:.25rem 0 1.25rem}
fieldset{border:1px solid var(--line);border-radius:9px;margin:1.25rem 0;padding:.6rem 1rem .8rem}
legend{font-weight:600;padding:0 .35rem}
.user{display:flex;align-items:center;gap:.6rem;padding:.3rem 0}
.user input{width:1.15rem;height:1.15rem;margin:0}
.user label{font-weight:400;flex:1}
.login{font-family:ui-monospace,"DejaVu Sans Mono",monospace;color:var(--muted)}
.email{display:block;color:var(--muted);font-size:.9rem}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.25rem}
button{font:inherit;font-weight:600;padding:.6rem 1.5rem;border-radius:9px;border:2px solid transparent;cursor:pointer}
.primary{background:var(--accent);color:var(--on)}
.approve{background:var(--ok);color:var(--on)}
.deny{background:transparent;color:var(--bad);border-color:var(--bad)}
.error{border-left:4px solid var(--bad);padding:.5rem .8rem;margin:1rem 0;background:var(--bg)}
.ok h1{color:var(--ok)}
.bad h1{color:var(--bad)}
.meta{color:var(--muted);font-size:.92rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem 1rem;margin:1rem 0}
dt{color:var(--muted)}
dd{margin:0;font-family:ui-monospace,"DejaVu Sans Mono",monospace}
a{color:var(--accent)}
.scopes{list-style:none;margin:1rem 0;padding:0;border:1px solid var(--line);border-radius:9px}
.scopes li{display:flex;flex-wrap:wrap;align-items:baseline;gap:.15rem 1rem;padding:.55rem 1rem;border-top:1px solid var(--line)}
.scopes li:first-child{border-top:0}
.scope{flex:0 0 9.5rem;font:600 .95rem ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
.sdesc{flex:1 1 14rem}
.app{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
.vh{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
`

// pageCSSHash is the CSP source of pageCSS. It and the template are built
// on first use: package initialisation runs on every start of the binary
// (`authdeck token` included), not only the dev server.
// Neither is a package variable with an initialiser: a package without
// initialisation is left out of a binary that links none of its code (a
// host that embeds authdeck without the dev-server and demo commands).
func pageCSSHash() string {
	sum := sha256.Sum256([]byte(pageCSS))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// pageCSP is the pages' Content-Security-Policy. formTarget, when set, is
// one more origin a form may be sent to: browsers apply form-action to the
// redirects that follow a form's submission, and the consent form's answer
// redirects to the application's loopback address.
func pageCSP(formTarget string) string {
	fa := "'self'"
	if formTarget != "" {
		fa += " " + formTarget
	}
	return "default-src 'none'; style-src " + pageCSSHash() + "; form-action " + fa + "; frame-ancestors 'none'; base-uri 'none'"
}

var pageTemplateOnce struct {
	sync.Once
	t *template.Template
}

// pageTemplate is the pages' template, parsed on first use.
func pageTemplate() *template.Template {
	pageTemplateOnce.Do(func() { pageTemplateOnce.t = template.Must(template.New("page").Parse(pageHTML)) })
	return pageTemplateOnce.t
}

const pageHTML = (`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}} · authdeck dev server</title>
<style>` + pageCSS + `</style>
</head>
<body>
<main class="{{.Tone}}" data-page="{{.Kind}}">
<p class="brand">authdeck · dev server</p>
{{- define "glyph"}}<span class="glyph"{{with .Char}} data-char="{{.}}"{{end}}>{{range .Cells}}<i{{if .}} class="on"{{end}}></i>{{end}}</span>{{end}}
{{- define "code"}}
<p class="code"><span class="vh">Code: {{.Code}}</span>
<span class="glyphs" aria-hidden="true">
{{- range $i, $g := .Groups}}{{if $i}}<span class="sep">{{template "glyph" $.Sep}}</span>{{end}}<span class="group">{{range $g}}{{template "glyph" .}}{{end}}</span>{{end -}}
</span>
<span class="plain" aria-hidden="true">{{.Code}}</span>
</p>
{{- end}}
{{- if eq .Kind "entry"}}
<h1>Connect a device</h1>
<p>Enter the code your terminal shows.</p>
{{- with .Error}}
<p class="error" role="alert" id="code-error">{{.}}</p>
{{- end}}
<form method="post" action="/device">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="user_code">Code</label>
<input id="user_code" name="user_code" class="code-input" type="text" value="{{.Input}}" required maxlength="20" autocomplete="off" autocapitalize="characters" autocorrect="off" spellcheck="false" placeholder="XXXX-XXXX" autofocus aria-describedby="code-help{{if .Error}} code-error{{end}}">
<p id="code-help" class="hint">Eight letters. Upper or lower case; the dash and spaces are optional.</p>
<button type="submit" name="action" value="continue" class="primary">Continue</button>
</form>
{{- else if eq .Kind "confirm"}}
<h1>Does your terminal show this code?</h1>
{{template "code" .}}
<p>Approve only if it matches the code in your terminal exactly.</p>
<dl><dt>Application</dt><dd>{{.ClientID}}</dd><dt>Access</dt><dd>{{.Scope}}</dd></dl>
{{- with .Error}}
<p class="error" role="alert">{{.}}</p>
{{- end}}
<form method="post" action="/device">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="hidden" name="user_code" value="{{.Code}}">
<fieldset>
<legend>Sign in as</legend>
{{- range .Users}}
<div class="user"><input type="radio" id="user-{{.Login}}" name="user" value="{{.Login}}" required{{if .Checked}} checked{{end}}><label for="user-{{.Login}}">{{if .Name}}{{.Name}} {{end}}<span class="login">{{.Login}}</span>{{with .Email}}<span class="email">{{.}}</span>{{end}}</label></div>
{{- end}}
</fieldset>
<div class="actions">
<button type="submit" name="action" value="approve" class="approve">Approve</button>
<button type="submit" name="action" value="deny" class="deny" formnovalidate>Deny</button>
</div>
</form>
{{- else if eq .Kind "consent"}}
<h1>Sign in to <span class="app">{{.ClientID}}</span>?</h1>
<p>The application <strong class="app">{{.ClientID}}</strong> asks to sign you in. It will be able to:</p>
<ul class="scopes" aria-label="Access requested">
{{- range .Scopes}}
<li><span class="scope">{{.Name}}</span> <span class="sdesc">{{.Desc}}</span></li>
{{- end}}
</ul>
<p class="meta">After you answer, your browser goes back to <span class="app">{{.RedirectTo}}</span>. Approve only if you started this sign-in yourself.</p>
{{- with .Error}}
<p class="error" role="alert">{{.}}</p>
{{- end}}
<form method="post" action="/authorize/decision">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="hidden" name="request" value="{{.Request}}">
<fieldset>
<legend>Sign in as</legend>
{{- range .Users}}
<div class="user"><input type="radio" id="user-{{.Login}}" name="user" value="{{.Login}}" required{{if .Checked}} checked{{end}}><label for="user-{{.Login}}">{{if .Name}}{{.Name}} {{end}}<span class="login">{{.Login}}</span>{{with .Email}}<span class="email">{{.}}</span>{{end}}</label></div>
{{- end}}
</fieldset>
<div class="actions">
<button type="submit" name="action" value="approve" class="approve">Approve</button>
<button type="submit" name="action" value="deny" class="deny" formnovalidate>Deny</button>
</div>
</form>
{{- else}}
<h1>{{.Heading}}</h1>
{{- if .Code}}{{template "code" .}}{{end}}
{{- range .Lines}}
<p>{{.}}</p>
{{- end}}
{{- if .Again}}
<p class="meta"><a href="/device">Enter another code</a></p>
{{- else if .Restart}}
<p class="meta">Start the sign-in again from your application (in the terminal).</p>
{{- end}}
{{- end}}
</main>
</body>
</html>
`)

type pageUser struct {
	User
	Checked bool
}

// page is what one rendering of the verification page shows.
type page struct {
	Kind     string // entry, confirm, approved, denied, expired, used, locked, forbidden, error, consent
	Tone     string // "", "ok" or "bad"
	Title    string
	Heading  string
	Lines    []string
	Error    string
	Input    string
	Code     string    // XXXX-XXXX
	Groups   [][]glyph // Code in the terminal's big font, group by group
	Sep      glyph     // the dash drawn between groups
	CSRF     string
	ClientID string
	Scope    string
	Users    []pageUser
	Again    bool
	// The consent page (Kind "consent") and its outcomes.
	Request    string      // the pending authorization request's id
	Scopes     []scopeLine // what the application asks for
	RedirectTo string      // where the browser goes after the answer
	Restart    bool        // tell the person to start the sign-in again
	formTarget string      // an extra form-action origin (see pageCSP)
}

// glyph is one character of the code in the terminal's big font
// (internal/bigcode): Cells are its 5x5 cells, row by row.
type glyph struct {
	Char  string
	Cells []bool
}

// scopeLine is one requested scope on the consent page.
type scopeLine struct{ Name, Desc string }

// setCode sets the code the page shows, drawn in the same 5x5 font as the
// terminal draws it (so the two can be compared cell by cell).
func (p *page) setCode(code string) {
	p.Code = formatUserCode(code)
	p.Groups = nil
	p.Sep = glyph{Cells: bigcode.Cells('-')}
	for _, g := range strings.Split(p.Code, "-") {
		var gl []glyph
		for _, r := range g {
			gl = append(gl, glyph{Char: string(r), Cells: bigcode.Cells(r)})
		}
		p.Groups = append(p.Groups, gl)
	}
}

func (s *Server) render(w http.ResponseWriter, status int, p *page) {
	var buf bytes.Buffer
	if err := pageTemplate().Execute(&buf, p); err != nil {
		s.log.Error("rendering the verification page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP(p.formTarget))
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	// same-origin, not no-referrer: with no-referrer browsers send
	// "Origin: null" on the form's own POST.
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// session returns the browser's session, making one (and setting its
// cookie) when there is none. A session is its cookie alone: a random id,
// the time it was made and a MAC with the server's key; its CSRF token is
// derived from the cookie with the same key. The server keeps nothing per
// session, so requests without the cookie (any site can make a browser send
// them) cannot fill its memory or push out a person's session.
func (s *Server) session(w http.ResponseWriter, r *http.Request) *session {
	if se := s.existingSession(r); se != nil {
		return se
	}
	now := s.now()
	base := randomToken("", 18) + "." + strconv.FormatInt(now.Unix(), 10)
	se := s.sessionOf(base+"."+s.mac("session", base), time.Unix(now.Unix(), 0))
	http.SetCookie(w, &http.Cookie{
		Name:     s.sessionCookie(),
		Value:    se.id,
		Path:     "/", // the verification page and the consent page
		MaxAge:   int(sessionTTL / time.Second),
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
	return se
}

func (s *Server) sessionOf(id string, created time.Time) *session {
	return &session{id: id, csrf: s.mac("csrf", id), created: created}
}

// mac is HMAC-SHA256 of msg for purpose under the server's session key, in
// base64url.
func (s *Server) mac(purpose, msg string) string {
	m := hmac.New(sha256.New, s.sessionKey)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sessionCookie is this server's session cookie name. Browsers keep
// cookies per host, not per port, so two dev servers on 127.0.0.1 (a demo
// and a dev-server, say) would overwrite each other's cookie under one
// name, and the first one's form would then be refused. The port in the
// name keeps them apart.
func (s *Server) sessionCookie() string {
	_, port, err := net.SplitHostPort(s.host)
	if err != nil || port == "" {
		port = "0"
	}
	return sessionCookiePrefix + port
}

// existingSession returns the browser's session or nil; it never makes one.
// A cookie this server did not make, or made more than sessionTTL ago, is
// no session.
func (s *Server) existingSession(r *http.Request) *session {
	c, err := r.Cookie(s.sessionCookie())
	if err != nil {
		return nil
	}
	i := strings.LastIndexByte(c.Value, '.')
	if i < 0 {
		return nil
	}
	base, sig := c.Value[:i], c.Value[i+1:]
	if !hmac.Equal([]byte(sig), []byte(s.mac("session", base))) {
		return nil
	}
	sec, err := strconv.ParseInt(base[strings.LastIndexByte(base, '.')+1:], 10, 64)
	if err != nil {
		return nil
	}
	created := time.Unix(sec, 0)
	if !s.now().Before(created.Add(sessionTTL)) {
		return nil
	}
	return s.sessionOf(c.Value, created)
}

func (s *Server) userOptions(selected string) []pageUser {
	out := make([]pageUser, len(s.opt.Users))
	for i, u := range s.opt.Users {
		out[i] = pageUser{User: u, Checked: u.Login == selected || (selected == "" && i == 0)}
	}
	return out
}

// entryPage is the code-entry form.
func (s *Server) entryPage(se *session, input, errMsg string) *page {
	return &page{Kind: "entry", Title: "Enter your code", Input: input, Error: errMsg, CSRF: se.csrf}
}

func (s *Server) confirmPage(se *session, dc *deviceCode, selected, errMsg string) *page {
	p := &page{Kind: "confirm", Title: "Confirm " + formatUserCode(dc.user), CSRF: se.csrf,
		ClientID: dc.clientID, Scope: strings.Join(dc.scope, " "), Users: s.userOptions(selected), Error: errMsg}
	p.setCode(dc.user)
	return p
}

// checkCode looks up a code that the session's own form sent (a POST with
// its CSRF token), counting a wrong code against the session and the
// server. It returns the pending code, or the page and status to show.
func (s *Server) checkCode(se *session, input string) (*deviceCode, *page, int) {
	return s.lookupCode(se, input, true)
}

// checkLink looks up the code of a code link (/device?user_code=): any site
// can make a browser open one, with or without its cookie, so a wrong code
// in it counts against nobody. Links that name no pending code are looked
// up at most maxLinkMissesPerMinute times a minute; past that the code is
// only put in the form, for the person to send.
func (s *Server) checkLink(se *session, input string) (*deviceCode, *page, int) {
	return s.lookupCode(se, input, false)
}

// maxLinkMissesPerMinute caps code links looked up that name no pending
// code, across the server (see MaxWrongCodesPerMinute for the arithmetic).
const maxLinkMissesPerMinute = 30

func (s *Server) lookupCode(se *session, input string, fromForm bool) (*deviceCode, *page, int) {
	now := s.now()
	s.mu.Lock()
	if p := s.lockedLocked(se, now); p != nil {
		s.mu.Unlock()
		return nil, p, http.StatusTooManyRequests
	}
	code, ok := normalizeUserCode(input)
	if ok && !fromForm && s.state.linkMiss.full(now, maxLinkMissesPerMinute) {
		s.mu.Unlock()
		return nil, s.entryPage(se, input, ""), http.StatusOK
	}
	var dc *deviceCode
	res := lookupUnknown
	if ok {
		dc, res = s.lookupLocked(code, now)
	}
	left := -1
	if res == lookupUnknown {
		switch {
		case fromForm:
			g := s.guessesLocked(se.id, now)
			g.wrong++
			g.last = now
			left = MaxWrongCodes - g.wrong
			s.state.wrong.add(now)
		case ok:
			s.state.linkMiss.add(now)
		}
	}
	s.mu.Unlock()

	switch res {
	case lookupOK:
		return dc, nil, http.StatusOK
	case lookupExpired:
		p := &page{Kind: "expired", Tone: "bad", Title: "Code expired", Heading: "This code has expired",
			Lines: []string{"Codes are valid for a few minutes only. Start the sign-in again in your terminal to get a new code."}, Again: true}
		p.setCode(code)
		return nil, p, http.StatusGone
	case lookupUsed:
		p := &page{Kind: "used", Tone: "bad", Title: "Code already used", Heading: "This code was already used",
			Lines: []string{"Each code can be approved or denied once. If you did not do that, start the sign-in again in your terminal."}, Again: true}
		p.setCode(code)
		return nil, p, http.StatusConflict
	}
	var msg string
	if ok {
		msg = "No sign-in is waiting for the code " + formatUserCode(code) + ". Check the code in your terminal and type it again."
	} else {
		msg = "That is not a code: codes are eight letters, like BCDF-GHJK (only the letters " + userCodeAlphabet + " are used)."
	}
	if fromForm {
		if left <= 0 {
			return nil, s.lockedPage(), http.StatusTooManyRequests
		}
		msg += fmt.Sprintf(" %d attempt%s left.", left, plural(left))
	}
	return nil, s.entryPage(se, input, msg), http.StatusBadRequest
}

// guessesLocked returns the record of the session's wrong codes, making
// one. Records go once their lockout is over (sweepLocked); at most
// maxSessions are kept, which the server-wide cap on wrong codes keeps far
// off (MaxWrongCodesPerMinute times the minutes of LockoutPeriod), so
// dropping the oldest when full never helps anybody past that cap. s.mu is
// held.
func (s *Server) guessesLocked(id string, now time.Time) *guesses {
	if g := s.state.guesses[id]; g != nil {
		return g
	}
	if len(s.state.guesses) >= maxSessions {
		s.sweepLocked(now)
		for len(s.state.guesses) >= maxSessions {
			var oldest string
			for k, g := range s.state.guesses {
				if oldest == "" || g.last.Before(s.state.guesses[oldest].last) {
					oldest = k
				}
			}
			delete(s.state.guesses, oldest)
		}
	}
	g := &guesses{}
	s.state.guesses[id] = g
	return g
}

// lockedLocked returns the "too many attempts" page when se, or the server
// as a whole, has had too many wrong codes sent with the form. s.mu is held.
func (s *Server) lockedLocked(se *session, now time.Time) *page {
	if g := s.state.guesses[se.id]; g != nil && g.wrong >= MaxWrongCodes {
		if now.Sub(g.last) < LockoutPeriod {
			return s.lockedPage()
		}
		delete(s.state.guesses, se.id)
	}
	if s.state.wrong.full(now, MaxWrongCodesPerMinute) {
		return s.lockedPage()
	}
	return nil
}

func (s *Server) lockedPage() *page {
	return &page{Kind: "locked", Tone: "bad", Title: "Too many attempts", Heading: "Too many wrong codes",
		Lines: []string{
			fmt.Sprintf("To protect pending sign-ins, this page accepts %d wrong codes per browser, then pauses for %d minutes.", MaxWrongCodes, int(LockoutPeriod/time.Minute)),
			"Check the code in your terminal, wait, and try again.",
		}}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// handleDevicePage shows the code-entry form, or the confirmation for a
// code that arrives in the query (verification_uri_complete).
func (s *Server) handleDevicePage(w http.ResponseWriter, r *http.Request) {
	se := s.session(w, r)
	input := r.URL.Query().Get("user_code")
	if input == "" {
		s.render(w, http.StatusOK, s.entryPage(se, "", ""))
		return
	}
	dc, p, status := s.checkLink(se, input)
	if dc != nil {
		s.render(w, http.StatusOK, s.confirmPage(se, dc, "", ""))
		return
	}
	s.render(w, status, p)
}

// forbidden is the page for a form that fails the CSRF checks.
func (s *Server) forbidden(w http.ResponseWriter, why string) {
	s.log.Warn("verification form refused", "reason", why)
	s.render(w, http.StatusForbidden, &page{Kind: "forbidden", Tone: "bad", Title: "Form refused", Heading: "This form could not be accepted",
		Lines: []string{
			"It was not sent from this page in this browser, or the page is too old (" + why + ").",
			"Nothing was approved or denied. Open the page again and submit the form from there.",
		}, Again: true})
}

// sameOrigin checks the browser's Fetch Metadata and Origin, when present.
func (s *Server) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Scheme == "http" && s.hostAllowed(u.Host)
}

// handleDeviceForm handles the form's three actions: continue (look the
// code up), approve and deny.
func (s *Server) handleDeviceForm(w http.ResponseWriter, r *http.Request) {
	if !s.sameOrigin(r) {
		s.forbidden(w, "it came from another site")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.render(w, http.StatusBadRequest, &page{Kind: "error", Tone: "bad", Title: "Bad request", Heading: "The form could not be read",
			Lines: []string{"The request was malformed or too large."}, Again: true})
		return
	}
	se := s.existingSession(r)
	if se == nil {
		s.forbidden(w, "no session cookie")
		return
	}
	sent := r.PostForm.Get("csrf")
	if sent == "" {
		s.forbidden(w, "the form's security token is missing")
		return
	}
	if subtle.ConstantTimeCompare([]byte(sent), []byte(se.csrf)) != 1 {
		s.forbidden(w, "the form's security token does not match")
		return
	}

	input := r.PostForm.Get("user_code")
	if strings.TrimSpace(input) == "" {
		s.render(w, http.StatusBadRequest, s.entryPage(se, "", "Type the code your terminal shows."))
		return
	}
	dc, p, status := s.checkCode(se, input)
	if dc == nil {
		s.render(w, status, p)
		return
	}
	switch action := r.PostForm.Get("action"); action {
	case "continue", "":
		s.render(w, http.StatusOK, s.confirmPage(se, dc, "", ""))
	case "approve":
		login := r.PostForm.Get("user")
		u := s.user(login)
		if u == nil {
			s.render(w, http.StatusBadRequest, s.confirmPage(se, dc, "", "Choose who to sign in as."))
			return
		}
		if err := s.Approve(dc.user, login); err != nil {
			s.decisionFailed(w, se, dc.user, err)
			return
		}
		s.log.Info("approved", "user_code", formatUserCode(dc.user), "login", login)
		who := u.Login
		if u.Name != "" {
			who = u.Name + " (" + u.Login + ")"
		}
		p := &page{Kind: "approved", Tone: "ok", Title: "Approved", Heading: "Approved",
			Lines: []string{"You signed in to " + dc.clientID + " as " + who + ".", "You can close this page and go back to your terminal."}}
		p.setCode(dc.user)
		s.render(w, http.StatusOK, p)
	case "deny":
		if err := s.Deny(dc.user); err != nil {
			s.decisionFailed(w, se, dc.user, err)
			return
		}
		s.log.Info("denied", "user_code", formatUserCode(dc.user))
		p := &page{Kind: "denied", Tone: "bad", Title: "Denied", Heading: "Request denied",
			Lines: []string{"Nobody was signed in. The terminal will report that the request was declined.", "You can close this page."}}
		p.setCode(dc.user)
		s.render(w, http.StatusOK, p)
	default:
		s.render(w, http.StatusBadRequest, s.confirmPage(se, dc, "", "Choose Approve or Deny."))
	}
}

// decisionFailed shows why a code that was pending a moment ago could not
// be decided (it expired or was decided in another tab meanwhile).
func (s *Server) decisionFailed(w http.ResponseWriter, se *session, code string, err error) {
	_, p, status := s.checkCode(se, code)
	if p == nil {
		p = &page{Kind: "error", Tone: "bad", Title: "Not recorded", Heading: "Your choice was not recorded", Lines: []string{err.Error()}, Again: true}
		status = http.StatusConflict
	}
	s.render(w, status, p)
}
