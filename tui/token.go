package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/authdeck/authdeck/profiles"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// tokenModel shows a profile's access token, masked until the user asks.
type tokenModel struct {
	common
	gen      int
	profile  string
	loading  bool
	err      error
	res      *profiles.TokenResult
	revealed bool
	notice   string
	now      time.Time
	copyFn   func(string) (string, error)
}

func (m *tokenModel) setSize(w, h int) { m.width, m.height = w, h }

func (m tokenModel) show(profile string) tokenModel {
	m.gen++
	m.profile = profile
	m.loading, m.err, m.res, m.revealed, m.notice = true, nil, nil, false, ""
	return m
}

// clear forgets the token held in memory.
func (m tokenModel) clear() tokenModel {
	m.gen++
	m.res, m.revealed = nil, false
	return m
}

func (m tokenModel) update(msg tea.Msg) (tokenModel, tea.Cmd) {
	switch msg := msg.(type) {
	case tokenLoadedMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		m.loading = false
		m.res, m.err, m.now = msg.res, msg.err, msg.at
	case copiedMsg:
		if msg.err != nil {
			m.notice = "✗ could not copy: " + clean(msg.err.Error())
		} else {
			m.notice = "✓ copied the " + msg.what + " to " + orDefault(msg.via, "the clipboard")
		}
	case tea.KeyMsg:
		k := m.keys.Token
		switch {
		case key.Matches(msg, k.Back):
			return m.clear(), emit(backMsg{})
		case key.Matches(msg, k.Reveal) && k.Reveal.Enabled():
			m.revealed = !m.revealed
		case key.Matches(msg, k.Copy) && k.Copy.Enabled():
			return m, copyCmd(m.copyFn, m.res.Token.AccessToken, "token")
		}
	}
	return m, nil
}

func (m tokenModel) updateKeys(k *tokenKeys) {
	has := m.res != nil && m.res.Token != nil && m.res.Token.AccessToken != ""
	k.Reveal.SetEnabled(has)
	k.Copy.SetEnabled(has)
	k.Back.SetEnabled(true)
	if m.revealed {
		k.Reveal.SetHelp("v", "hide")
	} else {
		k.Reveal.SetHelp("v", "reveal")
	}
}

func (m tokenModel) view() string {
	s := m.styles
	var b strings.Builder
	b.WriteString(s.Bold.Render("Access token of " + clean(m.profile)))
	b.WriteString("\n\n")
	switch {
	case m.loading:
		b.WriteString(s.Faint.Render("Reading the token (refreshing it if it is about to expire)…"))
		return b.String()
	case m.err != nil:
		b.WriteString(s.Error.Render("✗ Could not read the token:") + "\n")
		b.WriteString(strings.Join(wrapHard(clean(m.err.Error()), m.width), "\n"))
		return b.String()
	case m.res == nil || m.res.Token == nil:
		return b.String()
	}
	t := m.res.Token
	if m.revealed {
		lines := wrapHard(clean(t.AccessToken), m.width)
		if room := m.height - 8; room > 0 && len(lines) > room {
			lines = append(lines[:room-1], s.Faint.Render(fmt.Sprintf("… %d more line(s); use c to copy it whole", len(lines)-room+1)))
		}
		b.WriteString(strings.Join(lines, "\n"))
	} else {
		b.WriteString(strings.Repeat("•", min(24, m.width)) + s.Faint.Render(fmt.Sprintf("  hidden (%d characters)", len(t.AccessToken))))
	}
	b.WriteString("\n\n")
	src := m.sourceName(m.res.Source)
	if m.res.SourceDetail != "" {
		src += " (" + clean(m.res.SourceDetail) + ")"
	}
	b.WriteString("Source:  " + src + "\n")
	if !t.Expiry.IsZero() {
		b.WriteString(fmt.Sprintf("Expires: in %s\n", human(t.Expiry.Sub(m.now))))
	}
	if m.res.Refreshed {
		b.WriteString(s.Faint.Render("It was refreshed just now.") + "\n")
	}
	if m.notice != "" {
		b.WriteString(m.notice + "\n")
	}
	return b.String()
}
