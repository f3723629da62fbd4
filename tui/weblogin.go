package tui

// The browser sign-in on the login screen: the authorization code grant
// with PKCE and a loopback redirect (auth.Client.StartWeb), for servers
// without a device flow or when asked (login --web). The flow itself runs
// in commands (startWebCmd, waitWebCmd, completeWebCmd, closeWebCmd); this
// file holds its state changes and views.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/profiles"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"golang.org/x/oauth2"
)

// newPasteInput is the field for the address the browser ended on. The
// address carries the authorization code, so it is masked like a password.
func newPasteInput() textinput.Model {
	ti := textinput.New()
	ti.Prompt = "> "
	ti.Placeholder = "http://127.0.0.1:…/callback?code=…&state=…"
	ti.EchoMode = textinput.EchoPassword
	ti.EchoCharacter = '•'
	ti.CharLimit = 64 << 10
	return ti
}

// updateWeb handles the browser sign-in's messages.
func (m loginModel) updateWeb(msg tea.Msg) (loginModel, tea.Cmd) {
	switch msg := msg.(type) {
	case webStartedMsg:
		return m.onWebStarted(msg)
	case webDoneMsg:
		if msg.gen != m.gen || m.state != loginWaiting {
			return m, nil
		}
		return m.onWebResult(msg.tok, msg.err)
	case webPastedMsg:
		return m.onWebPasted(msg)
	case webIgnoredMsg:
		return m.onWebIgnored(msg)
	}
	return m, nil
}

// onWebStarted takes the started flow: the listener is bound and the
// authorization URL built. A flow nobody waits for any more is closed.
func (m loginModel) onWebStarted(msg webStartedMsg) (loginModel, tea.Cmd) {
	if msg.gen != m.gen || m.state != loginStarting || !m.web {
		return m, closeWebCmd(msg.flow, nil)
	}
	m.now = msg.at
	if msg.err != nil {
		return m.failed(failError, fmt.Errorf("could not start the browser sign-in: %w", msg.err)), nil
	}
	f := msg.flow
	m.webFlow = f
	m.webURL = clean(f.AuthURL())
	m.webStart = msg.at
	m.webQR = nil
	if c, err := qrMatrix(m.webURL); err == nil {
		m.webQR = c
	}
	m.state = loginWaiting
	m.sizePaste()
	cmds := []tea.Cmd{waitWebNoticeCmd(m.ctx, f, m.gen), clockCmd(m.deps.Tick, m.gen)}
	if m.webCanOpen() {
		cmds = append(cmds, openURLCmd(m.deps.OpenURL, f.AuthURL()))
	}
	return m, tea.Batch(cmds...)
}

// webCanOpen reports whether the browser sign-in opens a browser here:
// not over SSH (it would open on the wrong machine), not with --no-browser,
// and only when there is a way to open one.
func (m loginModel) webCanOpen() bool {
	return !m.noBrowser && !m.deps.Remote && m.deps.OpenURL != nil
}

// webPaste reports whether the browser sign-in offers to paste the address
// the browser ended on: the rule cmd's plain login uses too.
func (m loginModel) webPaste() bool { return auth.WebOffersPaste(m.deps.Remote, m.webCanOpen()) }

// webDeviceHint reports whether to say the device flow would avoid the
// paste: the browser sign-in was asked for (--web) over SSH, and the server
// has the device flow.
func (m loginModel) webDeviceHint() bool {
	return m.deps.Remote && m.wantWeb && m.server.SupportsDevice()
}

// webIgnoredMsg reports a request the browser sign-in's listener answered
// with an error page and ignored (auth.WebOptions.OnIgnored).
type webIgnoredMsg struct {
	gen    int
	reason string
}

// noticeFlow is a browser sign-in that also reports the requests its
// listener ignored, on ignored.
type noticeFlow struct {
	webFlow
	ignored chan string
}

// withIgnored wraps a StartWeb so that the flows it starts report ignored
// requests (a forged callback, a second one) to the login screen.
func withIgnored(start func(context.Context, profiles.Server, auth.WebOptions) (webFlow, error)) func(context.Context, profiles.Server, auth.WebOptions) (webFlow, error) {
	if start == nil {
		return nil
	}
	return func(ctx context.Context, s profiles.Server, opt auth.WebOptions) (webFlow, error) {
		ch := make(chan string, 16)
		prev := opt.OnIgnored
		opt.OnIgnored = func(reason string) {
			if prev != nil {
				prev(reason)
			}
			select {
			case ch <- reason:
			default: // a flood: the notice on screen already says it
			}
		}
		f, err := start(ctx, s, opt)
		if err != nil {
			return nil, err
		}
		return &noticeFlow{webFlow: f, ignored: ch}, nil
	}
}

// waitWebNoticeCmd is waitWebCmd that also returns, with a webIgnoredMsg,
// when the listener ignored a request; onWebIgnored then waits again (Wait
// may be called again and returns the same result).
func waitWebNoticeCmd(ctx context.Context, f webFlow, gen int) tea.Cmd {
	nf, ok := f.(*noticeFlow)
	if !ok {
		return waitWebCmd(ctx, f, gen)
	}
	return func() tea.Msg {
		done := make(chan webDoneMsg, 1)
		go func() {
			tok, err := nf.Wait(ctx)
			done <- webDoneMsg{gen: gen, tok: tok, err: err}
		}()
		select {
		case d := <-done:
			return d
		case r := <-nf.ignored:
			return webIgnoredMsg{gen: gen, reason: r}
		}
	}
}

// onWebIgnored shows an ignored request as the screen's notice; the flow
// goes on, and is waited for again.
func (m loginModel) onWebIgnored(msg webIgnoredMsg) (loginModel, tea.Cmd) {
	if msg.gen != m.gen || !m.web || m.state != loginWaiting || m.webFlow == nil {
		return m, nil
	}
	m.notice = "! Ignored " + clean(msg.reason) + "; still waiting."
	return m, waitWebNoticeCmd(m.ctx, m.webFlow, m.gen)
}

// onWebResult handles how the flow ended (or a pasted address's token).
func (m loginModel) onWebResult(tok *oauth2.Token, err error) (loginModel, tea.Cmd) {
	switch {
	case err == nil && tok != nil:
		m.state = loginSaving
		m.paste.Blur()
		return m, saveLoginCmd(m.ctx, m.deps.Profiles, m.flow, m.server.Name, tok, m.save, m.gen)
	case err == nil:
		return m.failed(failError, errors.New("the server answered without a token")), nil
	case errors.Is(err, auth.ErrAccessDenied):
		return m.failed(failDenied, err), nil
	case errors.Is(err, auth.ErrWebTimeout):
		return m.failed(failExpired, err), nil
	case errors.Is(err, auth.ErrWebClosed), errors.Is(err, context.Canceled):
		m = m.stop()
		return m, emit(loginCancelledMsg{})
	}
	return m.failed(failError, err), nil
}

// onWebPasted handles a pasted address: a token finishes the login; an
// error is shown and the flow goes on (when the error ended the flow, its
// webDoneMsg follows and fails the login).
func (m loginModel) onWebPasted(msg webPastedMsg) (loginModel, tea.Cmd) {
	if msg.gen != m.gen || m.state != loginWaiting {
		return m, nil
	}
	m.pasting = false
	if msg.err == nil {
		return m.onWebResult(msg.tok, nil)
	}
	if errors.Is(msg.err, auth.ErrWebStateMismatch) {
		m.pasteErr = "✗ That address belongs to a different sign-in (its state does not match). Paste the address this sign-in ended on."
	} else {
		m.pasteErr = "✗ " + clean(msg.err.Error())
	}
	m.paste.Reset()
	return m, nil
}

// onWebKey handles the keys of the waiting browser sign-in that the device
// flow does not have; done is false for keys left to onKey.
func (m loginModel) onWebKey(msg tea.KeyMsg) (bool, loginModel, tea.Cmd) {
	k := m.keys.Login
	if m.paste.Focused() {
		switch {
		case key.Matches(msg, k.Submit):
			v := strings.TrimSpace(m.paste.Value())
			if v == "" || m.pasting {
				return true, m, nil
			}
			m.pasting, m.pasteErr = true, ""
			return true, m, completeWebCmd(m.ctx, m.webFlow, v, m.gen)
		case key.Matches(msg, k.StopTyping):
			m.paste.Blur()
			return true, m, nil
		}
		var cmd tea.Cmd
		m.paste, cmd = m.paste.Update(msg)
		return true, m, cmd
	}
	switch {
	case m.webPaste() && (msg.Paste || (msg.Type == tea.KeyRunes && len(msg.Runes) > 1)):
		// A paste anywhere on the screen goes to the field (several
		// characters in one read are a paste in a terminal without
		// bracketed paste).
		cmd := m.paste.Focus()
		var cmd2 tea.Cmd
		m.paste, cmd2 = m.paste.Update(msg)
		return true, m, tea.Batch(cmd, cmd2)
	case key.Matches(msg, k.Paste) && k.Paste.Enabled():
		m.urlOnly = false
		return true, m, m.paste.Focus()
	case key.Matches(msg, k.ShowURL) && k.ShowURL.Enabled():
		m.urlOnly = !m.urlOnly
		return true, m, nil
	}
	return false, m, nil
}

// pasteFocused reports whether keys go to the paste field.
func (m loginModel) pasteFocused() bool { return m.paste.Focused() }

// webURLLines is the authorization URL hard-wrapped to w cells, with the
// host emphasised where it appears in the first line.
func (m loginModel) webURLLines(w int) []string {
	lines := wrapHard(m.webURL, max(10, w))
	if len(lines) == 0 {
		return nil
	}
	if h := hostOf(m.webURL); h != "" {
		if i := strings.Index(lines[0], h); i >= 0 {
			lines[0] = lines[0][:i] + m.styles.Host.Render(h) + lines[0][i+len(h):]
		}
	}
	return lines
}

// qrMinText is the narrowest text column worth keeping beside a QR code.
const qrMinText = 40

// webTextWidth is the width of the waiting view's text: beside the QR code
// when both fit, else the whole width.
func (m loginModel) webTextWidth() int {
	if m.webQR != nil {
		qw, qh := qrSize(m.webQR)
		if m.width-qw-2 >= qrMinText && qh <= m.height {
			return min(m.width-qw-2, 80)
		}
	}
	return m.width
}

// sizePaste fits the paste field to the text column.
func (m *loginModel) sizePaste() {
	m.paste.Width = max(10, m.webTextWidth()-4)
}

func (m loginModel) webWaitingView() string {
	s := m.styles
	if m.urlOnly {
		// The address alone, to select with the mouse: nothing else on its
		// lines.
		out := []string{"Sign-in address (press u to go back):", ""}
		return strings.Join(append(out, wrapHard(m.webURL, max(10, m.width))...), "\n")
	}
	tw := m.webTextWidth()
	qw, qh := 0, 0
	if m.webQR != nil {
		qw, qh = qrSize(m.webQR)
	}
	var lines []string
	head := m.spinner.View() + " Waiting for the browser…"
	if m.state == loginSaving {
		head = m.spinner.View() + " Signed in. Saving the login…"
	}
	lines = append(lines, trunc(head, tw), "")
	if m.deps.Remote {
		lines = append(lines, wrapWords("Open this address in a browser on your own computer and sign in:", tw))
	} else {
		lines = append(lines, wrapWords("Sign in on this page in your browser:", tw))
	}
	lines = append(lines, m.webURLLines(tw)...)
	if w := m.server.SignInPageWarning(m.webURL); w != "" {
		lines = append(lines, s.Warning.Render(wrapWords("! "+capitalise(clean(w)), tw)))
	} else if hl := m.hostLine(m.webURL); hl != "" {
		// The host in words too: the emphasis above is style only.
		lines = append(lines, trunc(hl, tw))
	}
	lines = append(lines, s.Faint.Render(wrapWords(m.scopesText(), tw)))
	lines = append(lines, "")
	if dl := m.webDeadline(); !dl.IsZero() {
		total := dl.Sub(m.webStart)
		left := dl.Sub(m.now)
		frac := 0.0
		if total > 0 && left > 0 {
			frac = float64(left) / float64(total)
		}
		// The bar fits the text column, so beside a QR code the line does
		// not push the code off the right edge.
		bar := m.progress
		bar.Width = max(10, min(bar.Width, tw-len(" 10m00s left")))
		lines = append(lines, bar.ViewAs(frac)+" "+human(max(left, 0))+" left")
	}
	redirect := ""
	if m.webFlow != nil {
		redirect = clean(m.webFlow.RedirectURL())
	}
	if m.webPaste() {
		if m.deps.Remote {
			lines = append(lines, "", wrapWords("Over SSH the browser cannot reach this machine: it ends on an address starting with "+redirect+" that does not load. Copy that whole address and paste it here (p), then press enter.", tw))
		} else {
			lines = append(lines, "", wrapWords("If the browser runs on another machine, it ends on an address starting with "+redirect+" that does not load. Copy that whole address and paste it here (p), then press enter.", tw))
		}
		if m.webDeviceHint() {
			lines = append(lines, wrapWords("Or press esc and run without --web to use the device flow, which needs no address pasted back.", tw))
		}
		lines = append(lines, m.paste.View())
		if m.pasting {
			lines = append(lines, s.Faint.Render("Checking the address…"))
		}
		if m.pasteErr != "" {
			lines = append(lines, s.Error.Render(wrapWords(m.pasteErr, tw)))
		}
	} else {
		lines = append(lines, s.Faint.Render(wrapWords("When you are done, the browser comes back to "+redirect+" on this computer.", tw)))
	}
	if m.notice != "" {
		lines = append(lines, wrapWords(m.notice, tw))
	}
	body := strings.Join(lines, "\n")
	if lipgloss.Height(body) > m.height {
		// Short terminal: drop the spacing lines before anything else.
		var dense []string
		for _, l := range lines {
			if l != "" {
				dense = append(dense, l)
			}
		}
		body = strings.Join(dense, "\n")
	}
	if m.webQR == nil {
		return body
	}
	qrView := renderQR(m.webQR, m.dark)
	switch {
	case tw < m.width:
		return lipgloss.JoinHorizontal(lipgloss.Top, body, "  ", qrView)
	case lipgloss.Height(body)+1+qh <= m.height && qw <= m.width:
		return body + "\n\n" + qrView
	}
	return body + "\n" + s.Faint.Render(wrapWords(fmt.Sprintf("(QR code hidden: it needs %dx%d cells; enlarge the terminal for a QR code, or press u for the address alone)", qw, qh), m.width))
}

// webDeadline is when the browser sign-in times out.
func (m loginModel) webDeadline() (t time.Time) {
	if m.webFlow != nil {
		t = m.webFlow.Deadline()
	}
	return t
}

func (m loginModel) webFailedView() string {
	s := m.styles
	var head, detail string
	switch m.fail {
	case failDenied:
		head = "✗ Sign-in declined"
		detail = "The sign-in was declined in the browser. Nothing was saved."
	case failExpired:
		head = "✗ The browser sign-in timed out"
		detail = "The browser never came back to this computer in time. Nothing was saved."
	default:
		head = "✗ Login failed"
		if m.failErr != nil {
			detail = clean(m.failErr.Error())
		}
	}
	var b strings.Builder
	b.WriteString(s.Error.Bold(true).Render(head) + "\n")
	b.WriteString(wrapWords(detail, m.width) + "\n\n")
	b.WriteString("Press r to start the browser sign-in again, esc to go back.")
	return b.String()
}
