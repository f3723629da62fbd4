package tui

import "github.com/charmbracelet/bubbles/key"

// keyMap holds every binding of the program. Screens enable and disable
// their bindings from state, so help shows only what works now.
type keyMap struct {
	Quit      key.Binding
	ForceQuit key.Binding
	Help      key.Binding

	Accounts accountKeys
	Filter   filterKeys
	Login    loginKeys
	Token    tokenKeys
	Whoami   whoamiKeys
	Confirm  confirmKeys
	Form     formKeys
}

type accountKeys struct {
	Up, Down, PageUp, PageDown, Tab key.Binding
	Filter, ClearFilter             key.Binding
	Use, Login, Whoami, Token       key.Binding
	Logout, Revoke, Add, Remove     key.Binding
	Reload, Check                   key.Binding
}

type filterKeys struct {
	Apply, Cancel, Up, Down key.Binding
}

type loginKeys struct {
	Open, Copy, Retry, Cancel, Continue key.Binding
	// The browser sign-in: the address alone, and pasting the address the
	// browser ended on (over SSH).
	ShowURL, Paste, Submit, StopTyping key.Binding
}

type tokenKeys struct {
	Reveal, Copy, Back key.Binding
}

type whoamiKeys struct {
	Up, Down, Back key.Binding
}

type confirmKeys struct {
	Yes, No key.Binding
}

type formKeys struct {
	Next, Prev, Submit, Cancel key.Binding
	// NextOrSave is enter: the next field, or save on the last one.
	NextOrSave key.Binding
}

func defaultKeyMap() *keyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return &keyMap{
		Quit:      b([]string{"q"}, "q", "quit"),
		ForceQuit: b([]string{"ctrl+c"}, "ctrl+c", "quit"),
		Help:      b([]string{"?"}, "?", "more keys"),
		Accounts: accountKeys{
			Up:          b([]string{"up", "k"}, "↑/k", "up"),
			Down:        b([]string{"down", "j"}, "↓/j", "down"),
			PageUp:      b([]string{"pgup", "ctrl+b"}, "pgup", "page up"),
			PageDown:    b([]string{"pgdown", "ctrl+f"}, "pgdn", "page down"),
			Tab:         b([]string{"tab", "shift+tab"}, "tab", "profiles/servers"),
			Filter:      b([]string{"/"}, "/", "filter"),
			ClearFilter: b([]string{"esc"}, "esc", "clear filter"),
			Use:         b([]string{"enter"}, "enter", "use"),
			Login:       b([]string{"l"}, "l", "log in"),
			Whoami:      b([]string{"w"}, "w", "whoami"),
			Token:       b([]string{"t"}, "t", "token"),
			Logout:      b([]string{"o"}, "o", "log out"),
			Revoke:      b([]string{"r"}, "r", "revoke"),
			Add:         b([]string{"n"}, "n", "add server"),
			Remove:      b([]string{"d"}, "d", "remove"),
			Reload:      b([]string{"ctrl+r"}, "ctrl+r", "reload"),
			Check:       b([]string{"c"}, "c", "check with servers"),
		},
		Filter: filterKeys{
			Apply:  b([]string{"enter"}, "enter", "apply filter"),
			Cancel: b([]string{"esc"}, "esc", "clear filter"),
			Up:     b([]string{"up"}, "↑", "up"),
			Down:   b([]string{"down"}, "↓", "down"),
		},
		Login: loginKeys{
			Open:       b([]string{"enter"}, "enter", "open browser"),
			Copy:       b([]string{"c"}, "c", "copy code"),
			Retry:      b([]string{"r"}, "r", "retry"),
			Cancel:     b([]string{"esc"}, "esc", "cancel"),
			Continue:   b([]string{"enter"}, "enter", "accounts"),
			ShowURL:    b([]string{"u"}, "u", "URL only"),
			Paste:      b([]string{"p"}, "p", "paste address"),
			Submit:     b([]string{"enter"}, "enter", "finish with it"),
			StopTyping: b([]string{"esc"}, "esc", "stop typing"),
		},
		Token: tokenKeys{
			Reveal: b([]string{"v"}, "v", "reveal"),
			Copy:   b([]string{"c"}, "c", "copy token"),
			Back:   b([]string{"esc"}, "esc", "back"),
		},
		Whoami: whoamiKeys{
			Up:   b([]string{"up", "k"}, "↑/k", "scroll up"),
			Down: b([]string{"down", "j"}, "↓/j", "scroll down"),
			Back: b([]string{"esc"}, "esc", "back"),
		},
		Confirm: confirmKeys{
			Yes: b([]string{"y", "Y"}, "y", "yes"),
			No:  b([]string{"n", "N", "esc", "enter"}, "n/enter", "no (default)"),
		},
		Form: formKeys{
			Next:       b([]string{"tab", "down"}, "tab", "next field"),
			Prev:       b([]string{"shift+tab", "up"}, "shift+tab", "previous"),
			Submit:     b([]string{"ctrl+s"}, "ctrl+s", "save"),
			Cancel:     b([]string{"esc"}, "esc", "cancel"),
			NextOrSave: b([]string{"enter"}, "enter", "next field"),
		},
	}
}
