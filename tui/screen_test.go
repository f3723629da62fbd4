package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// fakeScreen is a screen the root knows nothing about: it records what
// reaches it through the screen interface.
type fakeScreen struct {
	keys   *keyMap
	w, h   int
	got    []string
	typing bool
	hello  key.Binding
}

func (f fakeScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok {
		f.got = append(f.got, k.String())
		if k.Type == tea.KeyEsc {
			return f, emit(backMsg{})
		}
	}
	return f, nil
}

func (f fakeScreen) View() string {
	return "fake screen " + strings.Join(f.got, ",")
}

func (f fakeScreen) SetSize(w, h int) screen { f.w, f.h = w, h; return f }

func (f fakeScreen) SyncKeys(k *keyMap) screen {
	f.hello.SetEnabled(!f.typing)
	f.keys = k
	return f
}

func (f fakeScreen) Keys() help.KeyMap {
	return helpGroups{{f.hello}, {f.keys.Help, f.keys.Quit}}
}

func (f fakeScreen) Title() string { return "Fake" }
func (f fakeScreen) Typing() bool  { return f.typing }

// A screen is added through the screen interface alone: registered, it
// gets its size, keys, help line, title and view from the root, and its
// messages go up to the root, with no edit of app.go.
func TestRegisteredScreenNeedsNoRootEdits(t *testing.T) {
	const scrFake screenID = 100
	fx := newFixture(2)
	m := startModel(t, fx, Options{}, 80, 24)
	fake := fakeScreen{hello: key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "say hello"))}
	m = m.register(scrFake, fake)
	m.active = scrFake
	m0 := m

	m, _ = send(m, tea.WindowSizeMsg{Width: 100, Height: 30})
	got := m.get(scrFake).(fakeScreen)
	if w, h := m.contentSize(); got.w != w || got.h != h || w == 0 {
		t.Fatalf("size: got %dx%d, want the content area %dx%d", got.w, got.h, w, h)
	}
	m, _ = send(m, press("x"))
	v := m.View()
	for _, want := range []string{"authdeck · Fake", "fake screen x", "h say hello", "q quit"} {
		if !strings.Contains(v, want) {
			t.Fatalf("view lacks %q:\n%s", want, v)
		}
	}
	// A typing screen gets q as text, and its bindings follow its state.
	fake = m.get(scrFake).(fakeScreen)
	fake.typing = true
	m = m.register(scrFake, fake)
	m, cmd := send(m, press("q"))
	if cmd != nil || m.quitting || !strings.Contains(m.View(), "fake screen x,q") {
		t.Fatalf("q did not go to the typing screen:\n%s", m.View())
	}
	if strings.Contains(m.View(), "say hello") {
		t.Fatalf("a disabled binding is in the help:\n%s", m.View())
	}
	// Its messages go up: esc asks the root to go back to the accounts.
	m, _ = settle(t, m, press("esc"))
	if m.active != scrAccounts || !strings.Contains(m.View(), "authdeck · Accounts") {
		t.Fatalf("back from the fake screen: active %d\n%s", m.active, m.View())
	}
	// An earlier model value keeps its own screen (copy on write).
	if before := m0.get(scrFake).View(); before != "fake screen " {
		t.Fatalf("an earlier value changed: %q", before)
	}
}
