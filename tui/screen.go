package tui

import (
	"maps"
	"slices"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// screen is what the root needs from a screen: it routes messages and keys
// to the active one, sizes them all, renders the active one and its help.
// Every screen is a concrete value type; its methods return its own
// updated value as a screen (STYLE §1.1: no tea.Model, no pointers shared
// between model values). Adding a screen means implementing this and
// registering it (model.register); the root's routing, layout, key sync,
// help, title and view go through this interface only.
type screen interface {
	// Update handles a key (when the screen is active) or a message the
	// root did not route elsewhere.
	Update(tea.Msg) (screen, tea.Cmd)
	// View renders the screen's body at its size.
	View() string
	// SetSize gives the screen the content area.
	SetSize(w, h int) screen
	// SyncKeys enables, in k, the screen's bindings that work now, and
	// keeps k as its key map. Every screen gets the same fresh copy and
	// writes only its own group.
	SyncKeys(k *keyMap) screen
	// Keys is the screen's help: its bindings, then the global ones.
	Keys() help.KeyMap
	// Title follows the program's name in the header.
	Title() string
	// Typing reports whether keys go to a text field (q and ? are text).
	Typing() bool
}

// helpGroups is a fixed help.KeyMap: the short help is every group in a row.
type helpGroups [][]key.Binding

func (g helpGroups) ShortHelp() []key.Binding  { return slices.Concat(g...) }
func (g helpGroups) FullHelp() [][]key.Binding { return g }

// screens holds the root's screens. The built-in ones are concrete fields
// (the root and the tests reach their state without type assertions);
// others are registered by id in more. get and set are the only places
// that name the built-in screens.
type screens struct {
	accounts accountsModel
	login    loginModel
	whoami   whoamiModel
	token    tokenModel
	form     formModel

	// more holds registered screens. It is copied on write, so a model
	// value returned by an earlier Update keeps its screens.
	more map[screenID]screen
}

// builtinScreens are the ids of the screens held in fields.
var builtinScreens = [...]screenID{scrAccounts, scrLogin, scrWhoami, scrToken, scrForm}

func (s *screens) get(id screenID) screen {
	switch id {
	case scrAccounts:
		return s.accounts
	case scrLogin:
		return s.login
	case scrWhoami:
		return s.whoami
	case scrToken:
		return s.token
	case scrForm:
		return s.form
	}
	return s.more[id]
}

// set stores a screen's new value. A built-in screen's methods return its
// own type, so the assertions hold.
func (s *screens) set(id screenID, sc screen) {
	switch id {
	case scrAccounts:
		s.accounts = sc.(accountsModel)
	case scrLogin:
		s.login = sc.(loginModel)
	case scrWhoami:
		s.whoami = sc.(whoamiModel)
	case scrToken:
		s.token = sc.(tokenModel)
	case scrForm:
		s.form = sc.(formModel)
	default:
		s.more = maps.Clone(s.more)
		if s.more == nil {
			s.more = map[screenID]screen{}
		}
		s.more[id] = sc
	}
}

// ids lists every screen, built-in ones first.
func (s *screens) ids() []screenID {
	out := builtinScreens[:]
	return append(slices.Clone(out), slices.Sorted(maps.Keys(s.more))...)
}

// Accounts.

func (m accountsModel) Update(msg tea.Msg) (screen, tea.Cmd) { return m.update(msg) }
func (m accountsModel) View() string                         { return m.view() }
func (m accountsModel) SetSize(w, h int) screen              { m.setSize(w, h); return m }
func (m accountsModel) Title() string                        { return "Accounts" }
func (m accountsModel) Typing() bool                         { return m.filtering }

func (m accountsModel) SyncKeys(k *keyMap) screen {
	m.updateKeys(&k.Accounts, &k.Filter)
	m.keys = k
	return m
}

func (m accountsModel) Keys() help.KeyMap {
	k := m.keys
	a, f := k.Accounts, k.Filter
	if m.filtering {
		return helpGroups{{f.Apply, f.Cancel, f.Up, f.Down}, {k.ForceQuit}}
	}
	return helpGroups{
		{a.Use, a.Login, a.Whoami, a.Token, a.Logout, a.Revoke},
		{a.Add, a.Remove, a.Filter, a.ClearFilter, a.Tab, a.Reload, a.Check},
		{a.Up, a.Down, a.PageUp, a.PageDown},
		{k.Help, k.Quit},
	}
}

// Login.

func (m loginModel) Update(msg tea.Msg) (screen, tea.Cmd) { return m.update(msg) }
func (m loginModel) Typing() bool                         { return m.pasteFocused() }

// SetSize leaves room for the intro above the login (Options.Intro).
func (m loginModel) SetSize(w, h int) screen {
	m.setSize(w, max(1, h-lipgloss.Height(m.introView(w))))
	return m
}

// View shows the intro above the login until it succeeds.
func (m loginModel) View() string {
	body := m.view()
	if in := m.introView(m.width); in != "" && m.state != loginDone {
		body = m.styles.Status.Render(in) + "\n" + body
	}
	return body
}

// introView is Options.Intro wrapped to w; "" when there is none.
func (m loginModel) introView(w int) string {
	if m.intro == "" {
		return ""
	}
	return wrapWords(clean(m.intro), w)
}

func (m loginModel) Title() string {
	srv := clean(m.server.Name)
	if h := m.serverHost(); h != "" && h != srv {
		srv += " (" + clean(h) + ")"
	}
	return "Log in to " + srv
}

func (m loginModel) SyncKeys(k *keyMap) screen {
	m.updateKeys(&k.Login)
	m.keys = k
	return m
}

func (m loginModel) Keys() help.KeyMap {
	k := m.keys
	l := k.Login
	if m.pasteFocused() {
		return helpGroups{{l.Submit, l.StopTyping}, {k.ForceQuit}}
	}
	return helpGroups{{l.Continue, l.Open, l.Copy, l.ShowURL, l.Paste, l.Retry, l.Cancel}, {k.Help, k.Quit}}
}

// Who am I.

func (m whoamiModel) Update(msg tea.Msg) (screen, tea.Cmd) { return m.update(msg) }
func (m whoamiModel) View() string                         { return m.view() }
func (m whoamiModel) SetSize(w, h int) screen              { m.setSize(w, h); return m }
func (m whoamiModel) Title() string                        { return "Who am I" }
func (m whoamiModel) Typing() bool                         { return false }

func (m whoamiModel) SyncKeys(k *keyMap) screen {
	m.updateKeys(&k.Whoami)
	m.keys = k
	return m
}

func (m whoamiModel) Keys() help.KeyMap {
	k := m.keys
	w := k.Whoami
	return helpGroups{{w.Back, w.Up, w.Down}, {k.Help, k.Quit}}
}

// Token.

func (m tokenModel) Update(msg tea.Msg) (screen, tea.Cmd) { return m.update(msg) }
func (m tokenModel) View() string                         { return m.view() }
func (m tokenModel) SetSize(w, h int) screen              { m.setSize(w, h); return m }
func (m tokenModel) Title() string                        { return "Token" }
func (m tokenModel) Typing() bool                         { return false }

func (m tokenModel) SyncKeys(k *keyMap) screen {
	m.updateKeys(&k.Token)
	m.keys = k
	return m
}

func (m tokenModel) Keys() help.KeyMap {
	k := m.keys
	t := k.Token
	return helpGroups{{t.Reveal, t.Copy, t.Back}, {k.Help, k.Quit}}
}

// Add server.

func (m formModel) Update(msg tea.Msg) (screen, tea.Cmd) { return m.update(msg, m.saveCmd) }
func (m formModel) View() string                         { return m.view() }
func (m formModel) SetSize(w, h int) screen              { m.setSize(w, h); return m }
func (m formModel) Title() string                        { return "Add server" }
func (m formModel) Typing() bool                         { return true }

func (m formModel) SyncKeys(k *keyMap) screen {
	m.updateKeys(&k.Form)
	m.keys = k
	return m
}

func (m formModel) Keys() help.KeyMap {
	k := m.keys
	f := k.Form
	return helpGroups{{f.NextOrSave, f.Submit, f.Next, f.Prev, f.Cancel}, {k.ForceQuit}}
}
