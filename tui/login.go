package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/profiles"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"rsc.io/qr"
)

type loginState int

const (
	loginIdle     loginState = iota
	loginStarting            // asking for a device code
	loginWaiting             // polling
	loginSaving              // approved; reading identity and saving
	loginDone
	loginFailed
)

// failKind says why a login stopped.
type failKind int

const (
	failError failKind = iota
	failDenied
	failExpired
)

// loginCancelledMsg tells the root the user left the login screen before it
// succeeded; loginFinishedMsg that they left it after success.
type (
	loginCancelledMsg struct{}
	loginFinishedMsg  struct{}
)

// loginModel is the live login screen: the device flow, or the browser
// sign-in (authorization code with PKCE on a loopback redirect).
type loginModel struct {
	common
	deps   deps
	server profiles.Server
	save   profiles.SaveOptions
	flow   deviceFlow
	// noBrowser: do not open the browser by itself when the code arrives.
	noBrowser bool

	gen    int
	parent context.Context
	ctx    context.Context
	cancel context.CancelFunc
	state  loginState
	now    time.Time

	// The attempt's own state: the device flow's, or the browser
	// sign-in's (see weblogin.go). start resets both.
	deviceLogin
	webLogin

	fail    failKind
	failErr error

	profile profiles.Profile
	info    profiles.SaveInfo
	id      *auth.Identity

	notice string

	// storageNote replaces the plain-file warning (Options.StorageNote).
	storageNote string
	// intro is shown above the login until it succeeds (Options.Intro).
	intro string

	appName string // shown on the pages served to the browser
	wantWeb bool   // asked for the browser sign-in (Options.Web)
	web     bool   // this attempt is the browser sign-in

	spinner  spinner.Model
	progress progress.Model
}

// deviceLogin is the state of a device flow attempt.
type deviceLogin struct {
	// retry says the device code request is being retried ("" until then).
	retry    string
	code     auth.DeviceCode
	interval time.Duration
	polls    int
	last     string // last answer, in words
	lastBad  bool   // last answer was an error being retried
	streak   int    // consecutive transient errors
	nextPoll time.Time
}

// webLogin is the state of a browser sign-in attempt.
type webLogin struct {
	webFlow  webFlow
	webURL   string // the authorization URL, cleaned for the screen
	webStart time.Time
	webQR    *qr.Code
	urlOnly  bool // show the address alone (to select it with the mouse)
	paste    textinput.Model
	pasteErr string
	pasting  bool // a pasted address is being checked
}

func newLogin(c common, d deps) loginModel {
	sp := spinner.New(spinner.WithSpinner(spinner.Line))
	// bubbles/progress takes its colour profile from the process's stdout
	// and environment, not lipgloss: give it the program's (Ascii under
	// NO_COLOR).
	prof := lipgloss.ColorProfile()
	if d.Renderer != nil {
		prof = d.Renderer.ColorProfile()
	}
	pr := progress.New(progress.WithSolidFill(string(lipgloss.Color("7"))), progress.WithoutPercentage(), progress.WithFillCharacters('█', '░'), progress.WithColorProfile(prof))
	return loginModel{common: c, deps: d, spinner: sp, progress: pr, webLogin: webLogin{paste: newPasteInput()}, cancel: func() {}}
}

func (m *loginModel) setSize(w, h int) {
	m.width, m.height = w, h
	m.progress.Width = max(10, min(40, w-16))
	m.sizePaste()
}

// start begins a new login attempt under a new generation, cancelling any
// earlier one. web asks for the browser sign-in; it is also chosen when the
// server has no device flow but an authorization endpoint.
func (m loginModel) start(parent context.Context, server profiles.Server, save profiles.SaveOptions, noBrowser, web bool) (loginModel, tea.Cmd) {
	m.cancel()
	old := m.webFlow
	m.gen++
	m.wantWeb = web
	m.web = server.SignInWithBrowser(web)
	paste := m.paste
	paste.Reset()
	paste.Blur()
	m.webLogin = webLogin{paste: paste}
	m.deviceLogin = deviceLogin{}
	m.parent = parent
	m.ctx, m.cancel = context.WithCancel(parent)
	m.server, m.save, m.noBrowser = server, save, noBrowser
	m.flow = nil
	if m.deps.Flow != nil {
		m.flow = m.deps.Flow(server)
	}
	m.state = loginStarting
	m.failErr, m.notice, m.id = nil, "", nil
	first := startDeviceCmd(m.ctx, m.flow, m.deps.Now, m.gen)
	if m.web {
		first = startWebCmd(m.ctx, withIgnored(m.deps.StartWeb), server, auth.WebOptions{AppName: m.appName}, m.deps.Now, m.gen)
	}
	return m, tea.Batch(closeWebCmd(old, nil), first, m.spinner.Tick)
}

// stop cancels the attempt: its context ends (which ends a browser sign-in
// too; closeWebCmd waits for its listener to close) and every result still
// in flight is dropped by the new generation.
func (m loginModel) stop() loginModel {
	m.cancel()
	m.gen++
	if m.state != loginDone && m.state != loginFailed {
		m.state = loginIdle
	}
	return m
}

func (m loginModel) active() bool {
	return m.state == loginStarting || m.state == loginWaiting || m.state == loginSaving
}

func (m loginModel) failed(kind failKind, err error) loginModel {
	m.cancel()
	m.state = loginFailed
	m.fail, m.failErr = kind, err
	return m
}

// update handles the login's own messages (routed here whatever screen is
// active) and keys while the screen is active.
func (m loginModel) update(msg tea.Msg) (loginModel, tea.Cmd) {
	switch msg.(type) {
	case startRetryMsg, deviceCodeMsg, pollDueMsg, pollResultMsg:
		return m.updateDevice(msg)
	case webStartedMsg, webDoneMsg, webPastedMsg, webIgnoredMsg:
		return m.updateWeb(msg)
	}
	switch msg := msg.(type) {
	case loginSavedMsg:
		if msg.gen != m.gen || m.state != loginSaving {
			return m, nil
		}
		if msg.err != nil {
			return m.failed(failError, fmt.Errorf("approved, but saving the login failed: %w", msg.err)), nil
		}
		m.cancel()
		m.state = loginDone
		m.profile, m.info, m.id = msg.profile, msg.info, msg.id
		return m, nil
	case clockMsg:
		if msg.gen != m.gen || !m.active() {
			return m, nil
		}
		m.now = msg.at
		if m.state == loginWaiting && !m.web && m.expired(msg.at) {
			return m.failed(failExpired, auth.ErrExpiredToken), nil
		}
		return m, clockCmd(m.deps.Tick, m.gen)
	case spinner.TickMsg:
		if !m.active() {
			return m, nil
		}
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		return m, cmd
	case copiedMsg:
		if msg.err != nil {
			m.notice = "✗ could not copy: " + clean(msg.err.Error())
		} else {
			m.notice = "✓ copied the " + msg.what + " to " + orDefault(msg.via, "the clipboard")
		}
		return m, nil
	case openedMsg:
		if msg.err != nil {
			m.notice = "✗ could not open a browser (" + clean(msg.err.Error()) + "): open the URL yourself"
		} else {
			m.notice = "✓ opened the browser"
		}
		return m, nil
	case tea.KeyMsg:
		return m.onKey(msg)
	}
	if m.paste.Focused() {
		var cmd tea.Cmd
		m.paste, cmd = m.paste.Update(msg) // cursor blinks
		return m, cmd
	}
	return m, nil
}

// updateDevice handles the device flow's messages.
func (m loginModel) updateDevice(msg tea.Msg) (loginModel, tea.Cmd) {
	switch msg := msg.(type) {
	case startRetryMsg:
		if msg.gen != m.gen || m.state != loginStarting {
			return m, nil
		}
		m.retry = clean(msg.retry.String()) + "…"
		return m, waitStartCmd(msg.ch)
	case deviceCodeMsg:
		if msg.gen != m.gen || m.state != loginStarting {
			return m, nil
		}
		m.now = msg.at
		if msg.err != nil {
			return m.failed(failError, fmt.Errorf("could not get a code: %w", msg.err)), nil
		}
		m.code = *msg.code
		m.interval = m.code.Interval
		if m.interval <= 0 {
			m.interval = 5 * time.Second
		}
		issued := m.code.IssuedAt
		if issued.IsZero() {
			issued = msg.at
			m.code.IssuedAt = issued
		}
		m.nextPoll = issued.Add(m.interval)
		m.state = loginWaiting
		m.last = "none yet (no poll made)"
		cmds := []tea.Cmd{schedulePoll(m.deps.Tick, m.deps.Now, m.gen, m.nextPoll.Sub(msg.at)), clockCmd(m.deps.Tick, m.gen)}
		if !m.noBrowser && m.deps.OpenURL != nil {
			cmds = append(cmds, openURLCmd(m.deps.OpenURL, m.browserURL()))
		}
		return m, tea.Batch(cmds...)
	case pollDueMsg:
		if msg.gen != m.gen || m.state != loginWaiting {
			return m, nil
		}
		if m.expired(msg.at) {
			return m.failed(failExpired, auth.ErrExpiredToken), nil
		}
		return m, pollCmd(m.ctx, m.flow, m.code, m.deps.Now, m.gen)
	case pollResultMsg:
		if msg.gen != m.gen || m.state != loginWaiting {
			return m, nil
		}
		return m.onPoll(msg)
	}
	return m, nil
}

func (m loginModel) expired(now time.Time) bool {
	return !m.code.ExpiresAt.IsZero() && !now.Before(m.code.ExpiresAt)
}

func (m loginModel) onPoll(msg pollResultMsg) (loginModel, tea.Cmd) {
	m.polls++
	m.now = msg.at
	if msg.err == nil && msg.tok != nil {
		m.state = loginSaving
		m.last = "approved"
		m.lastBad = false
		return m, saveLoginCmd(m.ctx, m.deps.Profiles, m.flow, m.server.Name, msg.tok, m.save, m.gen)
	}
	var (
		slow      *auth.SlowDownError
		transient *auth.TransientError
	)
	delay := m.interval
	switch {
	case msg.err == nil:
		return m.failed(failError, errors.New("the server answered without a token")), nil
	case errors.Is(msg.err, auth.ErrAuthorizationPending):
		m.streak, m.lastBad = 0, false
		m.last = "pending: not approved yet"
	case errors.As(msg.err, &slow):
		m.streak, m.lastBad = 0, false
		m.interval = max(slow.Interval, msg.interval, m.interval)
		delay = m.interval
		m.last = "slow_down: the server asked to poll less often; now every " + human(m.interval)
	case errors.As(msg.err, &transient):
		m.streak++
		m.lastBad = true
		delay = m.interval << min(m.streak-1, 4)
		delay = max(min(delay, auth.BackoffCap(m.interval)), transient.RetryAfter)
		m.last = "temporary error, retrying in " + human(delay) + ": " + clean(transient.Error())
	case errors.Is(msg.err, auth.ErrAccessDenied):
		return m.failed(failDenied, msg.err), nil
	case errors.Is(msg.err, auth.ErrExpiredToken):
		return m.failed(failExpired, msg.err), nil
	case errors.Is(msg.err, context.Canceled):
		return m, nil
	default:
		return m.failed(failError, msg.err), nil
	}
	m.nextPoll = msg.at.Add(delay)
	if !m.code.ExpiresAt.IsZero() && m.nextPoll.After(m.code.ExpiresAt) {
		m.nextPoll = m.code.ExpiresAt
	}
	return m, schedulePoll(m.deps.Tick, m.deps.Now, m.gen, m.nextPoll.Sub(msg.at))
}

func (m loginModel) onKey(msg tea.KeyMsg) (loginModel, tea.Cmd) {
	k := m.keys.Login
	if m.web && m.state == loginWaiting {
		if done, m2, cmd := m.onWebKey(msg); done {
			return m2, cmd
		}
	}
	switch {
	case key.Matches(msg, k.Cancel) && k.Cancel.Enabled():
		done := m.state == loginDone
		flow := m.webFlow
		m = m.stop()
		var then tea.Msg = loginCancelledMsg{}
		if done {
			then = loginFinishedMsg{}
		}
		// The browser sign-in's listener is closed before the screen goes.
		return m, closeWebCmd(flow, then)
	case key.Matches(msg, k.Continue) && k.Continue.Enabled():
		return m, emit(loginFinishedMsg{})
	case key.Matches(msg, k.Open) && k.Open.Enabled():
		return m, openURLCmd(m.deps.OpenURL, m.browserURL())
	case key.Matches(msg, k.Copy) && k.Copy.Enabled():
		if m.web {
			return m, copyCmd(m.deps.Copy, m.browserURL(), "sign-in address")
		}
		return m, copyCmd(m.deps.Copy, m.code.UserCode, "code")
	case key.Matches(msg, k.Retry) && k.Retry.Enabled():
		return m.start(m.parent, m.server, m.save, m.noBrowser, m.wantWeb)
	}
	return m, nil
}

func (m loginModel) updateKeys(k *loginKeys) {
	waiting := m.state == loginWaiting
	typing := m.paste.Focused()
	k.Open.SetEnabled(waiting && !typing && !(m.web && m.deps.Remote))
	k.Copy.SetEnabled(waiting && !typing)
	if m.web {
		k.Copy.SetHelp("c", "copy URL")
	} else {
		k.Copy.SetHelp("c", "copy code")
	}
	k.ShowURL.SetEnabled(m.web && waiting && !typing)
	if m.urlOnly {
		k.ShowURL.SetHelp("u", "back")
	} else {
		k.ShowURL.SetHelp("u", "URL only")
	}
	k.Paste.SetEnabled(m.web && waiting && m.webPaste() && !typing)
	k.Submit.SetEnabled(typing)
	k.StopTyping.SetEnabled(typing)
	k.Retry.SetEnabled(m.state == loginFailed)
	k.Cancel.SetEnabled(m.state != loginIdle && !typing)
	k.Continue.SetEnabled(m.state == loginDone)
	if m.state == loginDone || m.state == loginFailed {
		k.Cancel.SetHelp("esc", "back")
	} else {
		k.Cancel.SetHelp("esc", "cancel")
	}
}

// browserURL is the page to open and to encode in the QR code: the
// complete URI when the server sent one that passes the host rule
// (auth.DeviceCode.Pages), else the verification URI.
func (m loginModel) browserURL() string {
	if m.web {
		if m.webFlow == nil {
			return ""
		}
		return m.webFlow.AuthURL()
	}
	return m.code.Pages(m.server.Endpoints).Open
}

// serverHost is the host of the server being logged in to.
func (m loginModel) serverHost() string {
	for _, u := range []string{m.server.Issuer, m.server.DeviceAuthURL, m.server.AuthURL, m.server.TokenURL} {
		if h := hostOf(u); h != "" {
			return h
		}
	}
	return ""
}

// emphasiseHost renders a URL with its host in the Host style.
func (m loginModel) emphasiseHost(raw string) string {
	h := hostOf(raw)
	i := strings.Index(raw, h)
	if h == "" || i < 0 {
		return raw
	}
	return raw[:i] + m.styles.Host.Render(h) + raw[i+len(h):]
}

// hostLine names the host of a URL on a line of its own, so it stands out
// without colour or style too (NO_COLOR, monochrome terminals), where
// emphasiseHost's bold and underline vanish.
func (m loginModel) hostLine(raw string) string {
	h := hostOf(raw)
	if h == "" {
		return ""
	}
	return "Host: " + m.styles.Host.Render(h)
}

func (m loginModel) view() string {
	s := m.styles
	switch m.state {
	case loginIdle:
		return s.Faint.Render("No login in progress.")
	case loginStarting:
		if m.web {
			return m.spinner.View() + " Starting the browser sign-in…"
		}
		if m.retry != "" {
			return m.spinner.View() + " Asking the server for a code…\n" + s.Faint.Render(m.retry)
		}
		return m.spinner.View() + " Asking the server for a code…"
	case loginDone:
		return m.doneView()
	case loginFailed:
		return m.failedView()
	}
	if m.web {
		return m.webWaitingView()
	}
	return m.waitingView()
}

// waitingText is the waiting screen's text: the code (in big glyphs when
// they fit m.height), the page, the status. waitingView lays it out with
// the QR code.
func (m loginModel) waitingText() string {
	s := m.styles
	code := clean(m.code.UserCode)
	tw := m.width
	var info []string
	info = append(info, "Code: "+s.Code.Render(code))
	if notes := lookAlikes(code); len(notes) > 0 {
		note := "Look-alikes: " + strings.Join(notes, "; ")
		if lipgloss.Width(note) > tw {
			note = "Look-alikes: " + lookAlikesShort(code)
		}
		info = append(info, s.Faint.Render(wrapWords(note, tw)))
	}
	uri := clean(m.code.VerificationURI)
	info = append(info, "", "Page: "+m.emphasiseHost(trunc(uri, max(10, tw-6))))
	if w := m.code.Pages(m.server.Endpoints).Warning; w != "" {
		// The warning names the hosts in words.
		info = append(info, s.Warning.Render(wrapWords("! "+capitalise(clean(w)), tw)))
	} else if hl := m.hostLine(uri); hl != "" {
		info = append(info, trunc(hl, tw))
	}
	info = append(info, s.Faint.Render(wrapWords(m.scopesText(), tw)))
	if msg := clean(m.code.Message); msg != "" {
		info = append(info, s.Faint.Render(wrapWords("Server says: "+msg, tw)))
	}
	info = append(info, "")
	info = append(info, m.statusLines(tw)...)
	if m.notice != "" {
		info = append(info, wrapWords(m.notice, tw))
	}
	left := []string{"Enter this code on the verification page:"}
	// The big glyphs when they fit, with a blank line below them when
	// there is room for it.
	if big, ok := renderBigCode(code, tw); ok {
		lines := strings.Count(strings.Join(info, "\n"), "\n") + 1
		gh := lipgloss.Height(big)
		switch {
		case 1+gh+1+lines <= m.height:
			left = append(left, s.Code.Render(big), "")
		case 1+gh+lines <= m.height:
			left = append(left, s.Code.Render(big))
		case 1+gh+lines-2 <= m.height:
			// Drop the spacer lines of info rather than the glyphs.
			var dense []string
			for _, l := range info {
				if l != "" {
					dense = append(dense, l)
				}
			}
			left = append(left, s.Code.Render(big))
			info = dense
		}
	}
	left = append(left, info...)
	return strings.Join(left, "\n")
}

func (m loginModel) statusLines(tw int) []string {
	s := m.styles
	next := m.nextPoll.Sub(m.now)
	if next < 0 {
		next = 0
	}
	var lines []string
	head := fmt.Sprintf("%s Waiting for approval · %d poll(s) · next in %s · every %s", m.spinner.View(), m.polls, human(next), human(m.interval))
	if m.state == loginSaving {
		head = m.spinner.View() + " Approved. Saving the login…"
	}
	lines = append(lines, wrapAt(head, " · ", tw))
	last := "Last answer: " + m.last
	if m.lastBad {
		lines = append(lines, s.Warning.Render(trunc("! "+last, tw)))
	} else {
		lines = append(lines, s.Faint.Render(trunc(last, tw)))
	}
	if !m.code.ExpiresAt.IsZero() {
		total := m.code.ExpiresAt.Sub(m.code.IssuedAt)
		left := m.code.ExpiresAt.Sub(m.now)
		frac := 0.0
		if total > 0 && left > 0 {
			frac = float64(left) / float64(total)
		}
		lines = append(lines, m.progress.ViewAs(frac)+" "+human(max(left, 0))+" left")
	}
	return lines
}

func (m loginModel) doneView() string {
	s := m.styles
	var b strings.Builder
	who := clean(m.profile.Account())
	if m.id != nil {
		who = clean(m.id.Display())
		if m.id.Email != "" && m.id.Email != m.id.Display() {
			who += " <" + clean(m.id.Email) + ">"
		}
	}
	b.WriteString(s.Success.Bold(true).Render("✓ Logged in as " + orDefault(who, "(unknown account)")))
	b.WriteString("\n\n")
	b.WriteString(fmt.Sprintf("Profile: %s on %s\n", clean(m.profile.Name), clean(m.server.Name)))
	if len(m.profile.Scopes) > 0 {
		b.WriteString(wrapWords("Scopes: "+clean(strings.Join(m.profile.Scopes, " ")), m.width) + "\n")
	}
	if m.info.InsecureStorage && m.storageNote != "" && m.info.FallbackReason == "" {
		b.WriteString(s.Faint.Render(wrapWords(m.storageNote, m.width)) + "\n")
	} else if m.info.InsecureStorage {
		why := "you asked for file storage"
		if m.info.FallbackReason != "" {
			why = "no keyring was available: " + clean(m.info.FallbackReason)
			if m.secretsName != "" && m.secretsName != "keyring" {
				why = m.storeWhere() + " was not available: " + clean(m.info.FallbackReason)
			}
		}
		msg := fmt.Sprintf("WARNING: the secret was saved in a PLAIN FILE, not %s: %s (%s). Anyone who can read that file can use this account.", m.storeWhere(), orDefault(clean(m.info.Path), "credentials.json"), why)
		b.WriteString("\n" + s.Loud.Render(wrapWords(msg, max(20, m.width-4))) + "\n")
	} else {
		b.WriteString("Secret saved in: " + orDefault(m.storageName(m.info.Storage), m.storageName(profiles.StorageKeyring)) + "\n")
	}
	return b.String()
}

func (m loginModel) failedView() string {
	s := m.styles
	var head, detail string
	if m.web {
		return m.webFailedView()
	}
	switch m.fail {
	case failDenied:
		head = "✗ Access denied"
		detail = "The request was declined in the browser. Nothing was saved."
	case failExpired:
		head = "✗ The code expired"
		detail = "It was not approved in time. Nothing was saved."
	default:
		head = "✗ Login failed"
		if m.failErr != nil {
			detail = clean(m.failErr.Error())
		}
	}
	var b strings.Builder
	b.WriteString(s.Error.Bold(true).Render(head) + "\n")
	b.WriteString(wrapWords(detail, m.width) + "\n\n")
	b.WriteString(fmt.Sprintf("After %d poll(s). Press r to try again with a new code, esc to go back.", m.polls))
	return b.String()
}

// capitalise upper-cases the first letter of an ASCII sentence (the
// host-rule warnings of package auth start in lower case).
func capitalise(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// scopesText says which scopes the login requests.
func (m loginModel) scopesText() string {
	if len(m.server.Scopes) == 0 {
		return "Scopes: none requested (the server's default)"
	}
	return "Scopes: " + clean(strings.Join(m.server.Scopes, " "))
}
