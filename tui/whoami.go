package tui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/authdeck/authdeck/profiles"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// backMsg asks the root to return to the accounts screen.
type backMsg struct{}

// whoamiModel shows a profile's identity, read fresh from the server.
type whoamiModel struct {
	common
	gen     int
	profile string
	note    string // the profile's status note (cleaned), if any
	loading bool
	err     error
	who     *profiles.WhoAmI
	now     time.Time
	offset  int
}

func (m *whoamiModel) setSize(w, h int) { m.width, m.height = w, h }

// show starts loading a profile's identity under a new generation.
// note is what the profile's status says is wrong with it, if anything.
func (m whoamiModel) show(profile, note string) whoamiModel {
	m.gen++
	m.profile, m.note = profile, note
	m.loading, m.err, m.who, m.offset = true, nil, nil, 0
	return m
}

func (m whoamiModel) update(msg tea.Msg) (whoamiModel, tea.Cmd) {
	switch msg := msg.(type) {
	case whoamiLoadedMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		m.loading = false
		m.who, m.err, m.now = msg.who, msg.err, msg.at
	case tea.KeyMsg:
		k := m.keys.Whoami
		switch {
		case key.Matches(msg, k.Back):
			m.gen++ // drop a load still in flight
			return m, emit(backMsg{})
		case key.Matches(msg, k.Up) && k.Up.Enabled():
			m.offset = max(0, m.offset-1)
		case key.Matches(msg, k.Down) && k.Down.Enabled():
			m.offset = min(m.offset+1, max(0, len(m.lines())-m.height))
		}
	}
	return m, nil
}

func (m whoamiModel) updateKeys(k *whoamiKeys) {
	n := len(m.lines())
	k.Up.SetEnabled(m.offset > 0)
	k.Down.SetEnabled(m.offset < n-m.height)
	k.Back.SetEnabled(true)
}

// lines renders the details, one field per line.
func (m whoamiModel) lines() []string {
	s := m.styles
	if m.loading {
		return []string{s.Faint.Render("Asking the server who " + clean(m.profile) + " is…")}
	}
	var note []string
	if m.note != "" {
		note = append([]string{""}, strings.Split(s.Warning.Render(wrapWords("! "+m.note, m.width)), "\n")...)
	}
	if m.err != nil {
		// The error is what matters: whole words, in full; a note about
		// the storage comes after it, faint, on one line.
		out := []string{s.Error.Render("✗ Could not read the identity of " + clean(m.profile) + ":")}
		out = append(out, strings.Split(wrapWords(clean(m.err.Error()), m.width), "\n")...)
		if m.note != "" {
			out = append(out, "", s.Faint.Render(trunc("Note: "+m.note, m.width)))
		}
		return out
	}
	if m.who == nil {
		return nil
	}
	w := m.who
	lw := 10
	if w.Identity != nil {
		for k := range w.Identity.Claims {
			lw = max(lw, min(len(k), 24, m.width/3))
		}
	}
	row := func(label, v string) string {
		return s.Label.Render(cell(label, lw)) + " " + trunc(clean(v), max(4, m.width-lw-1))
	}
	var out []string
	out = append(out, s.Bold.Render("Profile "+clean(w.Profile.Name)))
	if w.Identity != nil {
		id := w.Identity
		out = append(out, row("Subject", id.Subject))
		if id.Username != "" {
			out = append(out, row("Username", id.Username))
		}
		if id.Email != "" {
			out = append(out, row("Email", id.Email))
		}
		if id.Name != "" {
			out = append(out, row("Name", id.Name))
		}
	}
	out = append(out, row("Scopes", orDefault(strings.Join(w.Scopes, " "), "(none reported)")))
	exp := "unknown"
	if !w.Expiry.IsZero() {
		left := w.Expiry.Sub(m.now)
		if left > 0 {
			exp = fmt.Sprintf("%s (in %s)", w.Expiry.UTC().Format(time.RFC3339), human(left))
		} else {
			exp = fmt.Sprintf("%s (%s ago, expired)", w.Expiry.UTC().Format(time.RFC3339), human(left))
		}
	}
	out = append(out, row("Expires", exp))
	out = append(out, row("Source", orDefault(m.sourceName(w.Source), "-")))
	out = append(out, row("Storage", orDefault(m.storageName(w.Profile.Storage), "-")))
	srv := w.Server.Name
	if w.Server.Issuer != "" {
		srv += " (" + w.Server.Issuer + ")"
	}
	out = append(out, row("Server", srv))
	out = append(out, row("Client ID", w.Server.ClientID))
	if w.Identity != nil && len(w.Identity.Claims) > 0 {
		out = append(out, "", s.Bold.Render("Claims"))
		keys := make([]string, 0, len(w.Identity.Claims))
		for k := range w.Identity.Claims {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, row(k, fmt.Sprint(w.Identity.Claims[k])))
		}
	}
	return append(out, note...)
}

func (m whoamiModel) view() string {
	l := m.lines()
	if m.offset < len(l) {
		l = l[m.offset:]
	}
	if len(l) > m.height {
		l = l[:m.height]
	}
	return strings.Join(l, "\n")
}
