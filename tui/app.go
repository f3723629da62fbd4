package tui

import (
	"context"
	"strings"
	"time"

	"github.com/authdeck/authdeck/profiles"
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

type screenID int

const (
	scrAccounts screenID = iota
	scrLogin
	scrWhoami
	scrToken
	scrForm
)

// accountsClockMsg refreshes the accounts screen's "time left" column.
type accountsClockMsg struct{ at time.Time }

// accountsClockEvery is how often the accounts screen's times refresh.
const accountsClockEvery = 15 * time.Second

// model is the root of the program: it routes messages, lays out the
// header, the active screen, a status line and the help footer, and owns
// the global keys. It implements tea.model and help.KeyMap.
type model struct {
	ctx  context.Context
	deps deps
	opt  Options
	c    common

	help     help.Model
	fullHelp bool
	ready    bool
	width    int
	height   int

	active  screenID
	confirm *confirmModel
	status  string

	screens

	initCmd  tea.Cmd
	result   Result
	quitting bool
}

// newModel builds the program's root model. It does no I/O: profiles load in a
// command started by Init. dark says whether the terminal background is
// dark (it decides how the QR code is drawn).
func newModel(ctx context.Context, d deps, opt Options, dark bool) model {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Tick == nil {
		d.Tick = tea.Tick
	}
	c := common{styles: defaultStyles(d.Renderer, opt.Theme), keys: defaultKeyMap(), dark: dark, secretsName: d.SecretsName}
	m := model{ctx: ctx, deps: d, opt: opt, c: c, help: help.New()}
	m.help.Styles = helpStyles(d.Renderer)
	m.accounts = newAccounts(c)
	m.login = newLogin(c, d)
	m.login.appName = orDefault(opt.Title, "authdeck")
	m.login.storageNote = opt.StorageNote
	m.login.intro = opt.Intro
	m.whoami = whoamiModel{common: c}
	m.token = tokenModel{common: c, copyFn: d.Copy}
	m.form = newForm(c)
	m.form.saveCmd = func(s profiles.Server, gen int) tea.Cmd { return addServerCmd(ctx, d.Profiles, s, gen) }
	m.accounts.gen = 1
	m.accounts.now = d.Now()
	cmds := []tea.Cmd{m.loadCmd(), m.accountsClock()}
	if opt.Start == ScreenLogin {
		var cmd tea.Cmd
		m.active = scrLogin
		m.login, cmd = m.login.start(ctx, opt.Server, opt.Save, opt.NoBrowser, opt.Web)
		cmds = append(cmds, cmd)
	}
	m.initCmd = tea.Batch(cmds...)
	m.syncKeys()
	return m
}

// Init starts loading the profiles (and the login, when started on it).
func (m model) Init() tea.Cmd { return m.initCmd }

// Result is how the program ended, read by Run from the final model.
func (m model) Result() Result { return m.result }

func (m model) loadCmd() tea.Cmd {
	return loadProfilesCmd(m.ctx, m.deps.Profiles, m.deps.Now, m.accounts.gen)
}

func (m model) accountsClock() tea.Cmd {
	return m.deps.Tick(accountsClockEvery, func(t time.Time) tea.Msg { return accountsClockMsg{at: t} })
}

// reload starts a fresh load of the profiles; older loads are dropped.
func (m *model) reload() tea.Cmd {
	m.accounts.gen++
	m.accounts.loading = true
	return m.loadCmd()
}

// Update routes msg: global keys first, then the screen that owns it.
func (m model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := m.update(msg)
	m.syncKeys()
	return m, cmd
}

func (m model) update(msg tea.Msg) (model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height, m.ready = msg.Width, msg.Height, true
		m.layout()
		return m, nil
	case tea.KeyMsg:
		return m.onKey(msg)

	// Accounts.
	case profilesLoadedMsg:
		if msg.gen != m.accounts.gen {
			return m, nil
		}
		m.accounts = m.accounts.setLoaded(msg)
		return m, nil
	case startCheckMsg:
		m.status = "Asking each server whether its login is still valid…"
		return m, checkCmd(m.ctx, m.deps.Profiles, msg.gen)
	case checkedMsg:
		if msg.gen != m.accounts.checkGen {
			return m, nil
		}
		m.accounts = m.accounts.setChecked(msg)
		m.status = checkSummary(msg.results)
		if msg.err != nil {
			m.status = "✗ Check failed: " + clean(msg.err.Error())
		}
		return m, nil
	case accountsClockMsg:
		m.accounts.now = msg.at
		return m, m.accountsClock()
	case confirmMsg:
		m.confirm = &confirmModel{common: m.c, req: msg.req}
		m.confirm.width, m.confirm.height = m.contentSize()
		return m, nil
	case confirmedActionMsg:
		m.status = actionProgress(msg.action, msg.target)
		return m, actionCmd(m.ctx, m.deps.Profiles, msg.action, msg.target)
	case actionDoneMsg:
		m.status = actionResult(msg)
		return m, m.reload()
	case startLoginMsg:
		save := profiles.SaveOptions{Insecure: m.opt.Save.Insecure}
		m.active = scrLogin
		var cmd tea.Cmd
		m.login, cmd = m.login.start(m.ctx, msg.server, save, m.opt.NoBrowser, false)
		m.status = ""
		return m, cmd
	case showWhoamiMsg:
		m.active = scrWhoami
		m.whoami = m.whoami.show(msg.profile, msg.note)
		return m, whoamiCmd(m.ctx, m.deps.Profiles, m.deps.Now, msg.profile, m.whoami.gen)
	case showTokenMsg:
		m.active = scrToken
		m.token = m.token.show(msg.profile)
		return m, tokenCmd(m.ctx, m.deps.Profiles, m.deps.Now, msg.profile, m.token.gen)
	case showAddFormMsg:
		m.form.reset()
		m.active = scrForm
		m.status = ""
		return m, m.form.inputs[0].Focus()
	case backMsg:
		m.active = scrAccounts
		return m, m.reload()
	case serverSavedMsg:
		m.active = scrAccounts
		m.accounts.showServers(msg.server.Name)
		m.status = "✓ Added server " + clean(msg.server.Name) + ". Press l to log in to it."
		return m, m.reload()

	// Login.
	case loginCancelledMsg:
		if m.opt.Start == ScreenLogin && m.result.LoggedIn == nil {
			return m.quit()
		}
		m.active = scrAccounts
		m.status = "Login cancelled."
		return m, m.reload()
	case loginFinishedMsg:
		m.active = scrAccounts
		return m, m.reload()
	case deviceCodeMsg, startRetryMsg, pollDueMsg, pollResultMsg, clockMsg, spinner.TickMsg, openedMsg,
		webStartedMsg, webDoneMsg, webPastedMsg, webIgnoredMsg:
		var cmd tea.Cmd
		m.login, cmd = m.login.update(msg)
		return m, cmd
	case loginSavedMsg:
		var cmd tea.Cmd
		m.login, cmd = m.login.update(msg)
		if m.login.state == loginDone {
			p := m.login.profile
			m.result.LoggedIn = &p
			return m, tea.Batch(cmd, m.reload())
		}
		return m, cmd

	// Other screens' results.
	case whoamiLoadedMsg:
		var cmd tea.Cmd
		m.whoami, cmd = m.whoami.update(msg)
		return m, cmd
	case tokenLoadedMsg:
		var cmd tea.Cmd
		m.token, cmd = m.token.update(msg)
		return m, cmd
	case serverAddedMsg:
		var cmd tea.Cmd
		m.form, cmd = m.form.update(msg, m.form.saveCmd)
		return m, cmd
	case copiedMsg:
		var cmd tea.Cmd
		if m.active == scrToken {
			m.token, cmd = m.token.update(msg)
		} else {
			m.login, cmd = m.login.update(msg)
		}
		return m, cmd
	}
	return m.updateActive(msg)
}

// updateActive forwards msg to the active screen.
func (m model) updateActive(msg tea.Msg) (model, tea.Cmd) {
	s, cmd := m.get(m.active).Update(msg)
	m.set(m.active, s)
	return m, cmd
}

// typing reports whether keys go to a text field (so q and ? are text).
func (m model) typing() bool { return m.get(m.active).Typing() }

// register adds a screen under id (a new one, or in place of one), sized
// and with its keys in sync. Show it by making id active.
func (m model) register(id screenID, s screen) model {
	m.set(id, s)
	m.layout()
	m.syncKeys()
	return m
}

func (m model) onKey(msg tea.KeyMsg) (model, tea.Cmd) {
	k := m.c.keys
	if key.Matches(msg, k.ForceQuit) {
		return m.quit()
	}
	if m.confirm != nil {
		done, cmd := m.confirm.update(msg)
		if done {
			m.confirm = nil
			if cmd == nil {
				m.status = "Nothing was changed."
			}
		}
		return m, cmd
	}
	if !m.typing() {
		switch {
		case key.Matches(msg, k.Help):
			m.fullHelp = !m.fullHelp
			m.layout()
			return m, nil
		case key.Matches(msg, k.Quit):
			return m.quit()
		case m.active == scrAccounts && key.Matches(msg, k.Accounts.Reload):
			m.status = ""
			return m, m.reload()
		}
	}
	if m.active == scrAccounts {
		m.status = ""
		if why := m.accounts.whyNot(msg); why != "" {
			m.status = why
			return m, nil
		}
	}
	return m.updateActive(msg)
}

// quit stops any login (no poll continues) and forgets a shown token.
func (m model) quit() (model, tea.Cmd) {
	m.login = m.login.stop()
	m.token = m.token.clear()
	m.quitting = true
	if m.opt.Start == ScreenLogin && m.result.LoggedIn == nil && m.login.state != loginFailed {
		m.result.Cancelled = true
	}
	return m, tea.Quit
}

func actionProgress(a action, name string) string {
	name = clean(name)
	switch a {
	case actionUse:
		return "Switching to " + name + "…"
	case actionLogout:
		return "Logging out of " + name + "…"
	case actionRevoke:
		return "Revoking " + name + " at the server…"
	case actionRemoveProfile:
		return "Removing profile " + name + "…"
	case actionRemoveServer:
		return "Removing server " + name + "…"
	}
	return ""
}

func actionResult(msg actionDoneMsg) string {
	name := clean(msg.profile)
	if msg.err != nil {
		verb := map[action]string{actionUse: "switch to", actionLogout: "log out of", actionRevoke: "revoke",
			actionRemoveProfile: "remove profile", actionRemoveServer: "remove server"}[msg.action]
		return "✗ Could not " + verb + " " + name + ": " + clean(msg.err.Error())
	}
	switch msg.action {
	case actionUse:
		return "✓ Now using " + name + "."
	case actionLogout:
		return "✓ Signed out of " + name + ": its tokens are forgotten on this computer."
	case actionRevoke:
		return "✓ Signed out of " + name + ": its tokens were revoked at the server and forgotten on this computer."
	case actionRemoveProfile:
		return "✓ Removed profile " + name + "."
	case actionRemoveServer:
		return "✓ Removed server " + name + "."
	}
	return ""
}

// contentSize is the size left for the active screen.
func (m model) contentSize() (int, int) {
	w := max(1, m.width-m.c.styles.App.GetHorizontalFrameSize())
	helpH := lipgloss.Height(m.helpView())
	// header, blank line, status line, help.
	h := max(1, m.height-3-helpH)
	return w, h
}

// layout resizes every screen (not only the active one).
func (m *model) layout() {
	m.help.Width = max(1, m.width-m.c.styles.App.GetHorizontalFrameSize())
	m.help.ShowAll = m.fullHelp
	w, h := m.contentSize()
	for _, id := range m.ids() {
		m.set(id, m.get(id).SetSize(w, h))
	}
	if m.confirm != nil {
		m.confirm.width, m.confirm.height = w, h
	}
}

// syncKeys enables exactly the bindings that work now. It derives them
// from the state into a fresh copy of the key map and hands every screen
// the copy: a model returned by an earlier Update keeps its own key map,
// which nothing mutates afterwards (no key map shared between model
// values is ever written).
func (m *model) syncKeys() {
	k := *m.c.keys
	typing := m.typing()
	k.Help.SetEnabled(!typing && m.confirm == nil)
	k.Quit.SetEnabled(!typing && m.confirm == nil)
	if m.fullHelp {
		k.Help.SetHelp("?", "close help")
	}
	kp := &k
	m.c.keys = kp
	for _, id := range m.ids() {
		m.set(id, m.get(id).SyncKeys(kp))
	}
	// After the screens: what the host does not offer stays off.
	kp.Accounts.hide(m.opt.Hide)
}

// ShortHelp implements help.KeyMap: the active screen's keys, then global.
func (m model) ShortHelp() []key.Binding {
	var out []key.Binding
	for _, g := range m.FullHelp() {
		out = append(out, g...)
	}
	return out
}

// FullHelp implements help.KeyMap.
func (m model) FullHelp() [][]key.Binding {
	if m.confirm != nil {
		k := m.c.keys
		return [][]key.Binding{{k.Confirm.Yes, k.Confirm.No}}
	}
	return m.get(m.active).Keys().FullHelp()
}

func (m model) helpView() string {
	if m.fullHelp {
		return m.help.FullHelpView(m.FullHelp())
	}
	// help.ShortHelpView overflows when not even its ellipsis fits, so fit
	// the enabled bindings here, keeping room for "…" and for the global
	// keys (? and q), which always show. Short labels, and then a tighter
	// separator, come before hiding a key (gh, lazygit, k9s keep every
	// action visible).
	v, n := m.shortHelp(false, m.help.ShortSeparator)
	for _, alt := range []struct {
		short bool
		sep   string
	}{{true, m.help.ShortSeparator}, {true, "  "}} {
		if v2, n2 := m.shortHelp(alt.short, alt.sep); n2 > n {
			v, n = v2, n2
		}
	}
	return v
}

// shortLabels are the footer's short words for long key descriptions.
var shortLabels = map[string]string{
	"log in": "login", "log out": "logout", "more keys": "more", "close help": "close",
	"add server": "add", "profiles/servers": "switch", "clear filter": "clear",
	"open browser": "open", "copy code": "copy", "copy URL": "copy", "paste address": "paste",
	"apply filter": "apply", "page up": "pgup", "page down": "pgdn", "scroll up": "up",
	"scroll down": "down", "copy token": "copy", "next field": "next", "previous": "prev",
	"finish with it": "finish", "stop typing": "stop",
}

// shortHelp renders the one-line footer, with short labels when short is
// set, and says how many keys it shows.
func (m model) shortHelp(short bool, sep string) (string, int) {
	k := m.c.keys
	label := func(b key.Binding) key.Binding {
		if d, ok := shortLabels[b.Help().Desc]; ok && short {
			b.SetHelp(b.Help().Key, d)
		}
		return b
	}
	width := func(b key.Binding) int {
		return lipgloss.Width(b.Help().Key) + 1 + lipgloss.Width(b.Help().Desc) + lipgloss.Width(sep)
	}
	hm := m.help
	hm.ShortSeparator = sep
	var global []key.Binding
	room := hm.Width - 2
	for _, b := range []key.Binding{k.Help, k.Quit} {
		if b.Enabled() {
			b = label(b)
			global = append(global, b)
			room -= width(b)
		}
	}
	var fit []key.Binding
	total, cut := 0, false
	for _, b := range m.ShortHelp() {
		if !b.Enabled() || b.Help() == k.Help.Help() || b.Help() == k.Quit.Help() {
			continue
		}
		b = label(b)
		if total+width(b) > room {
			cut = true
			break
		}
		total += width(b)
		fit = append(fit, b)
	}
	v := hm.ShortHelpView(fit)
	if cut {
		v += " " + hm.Styles.Ellipsis.Render(hm.Ellipsis)
	}
	if g := hm.ShortHelpView(global); g != "" {
		if v != "" {
			v += hm.Styles.ShortSeparator.Render(sep)
		}
		v += g
	}
	return v, len(fit)
}

func (m model) title() string {
	return orDefault(m.opt.Title, "authdeck") + " · " + m.get(m.active).Title()
}

// View renders the whole screen. It only reads the model.
func (m model) View() string {
	if m.quitting {
		return ""
	}
	if !m.ready {
		return "authdeck: starting…"
	}
	s := m.c.styles
	w, h := m.contentSize()
	var body string
	if m.confirm != nil {
		body = m.confirm.view()
	} else {
		body = m.get(m.active).View()
	}
	body = fitLines(body, w, h)
	if n := lipgloss.Height(body); n < h {
		body += strings.Repeat("\n", h-n)
	}
	status := m.status
	st := s.Status
	if strings.HasPrefix(status, "✗") {
		st = s.Error
	}
	out := s.Title.Render(trunc(m.title(), w)) + "\n\n" + body + "\n" + st.Render(trunc(status, w)) + "\n" + m.helpView()
	return s.App.Render(out)
}
