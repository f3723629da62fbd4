package tui

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/profiles"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// Fields of the add-server form.
const (
	fieldName = iota
	fieldIssuer
	fieldDevice
	fieldToken
	fieldRevoke
	fieldClientID
	fieldScopes
	fieldCount
)

// serverSavedMsg tells the root the form saved a server.
type serverSavedMsg struct{ server profiles.Server }

// formModel is the add-server form.
type formModel struct {
	common
	inputs []textinput.Model
	focus  int
	errs   map[int]string
	err    error
	saving bool
	gen    int
	// saveCmd saves a server (addServerCmd, given by the root).
	saveCmd func(profiles.Server, int) tea.Cmd
}

func newForm(c common) formModel {
	m := formModel{common: c}
	m.reset()
	return m
}

func (m *formModel) reset() {
	labels := []struct{ ph string }{
		{"e.g. work"},
		{"https://id.example.com (discovers the endpoints)"},
		{"only without an issuer"},
		{"only without an issuer"},
		{"optional"},
		{"required"},
		{"optional; empty: the server's default scopes"},
	}
	m.inputs = make([]textinput.Model, fieldCount)
	for i := range m.inputs {
		ti := textinput.New()
		ti.Prompt = ""
		ti.Placeholder = labels[i].ph
		ti.CharLimit = 2048
		ti.Width = max(10, m.width-20)
		m.inputs[i] = ti
	}
	m.focus = 0
	m.inputs[0].Focus()
	m.errs, m.err, m.saving = nil, nil, false
	m.gen++
}

func (m *formModel) setSize(w, h int) {
	m.width, m.height = w, h
	for i := range m.inputs {
		m.inputs[i].Width = max(10, w-20)
	}
}

func fieldLabel(i int) string {
	return [...]string{"Name", "Issuer URL", "Device URL", "Token URL", "Revoke URL", "Client ID", "Scopes"}[i]
}

// validateServer checks the form's values and builds the server. errs maps
// a field to what is wrong with it.
func validateServer(v []string) (profiles.Server, map[int]string) {
	errs := map[int]string{}
	for i := range v {
		v[i] = strings.TrimSpace(v[i])
	}
	if v[fieldName] == "" {
		errs[fieldName] = "give the server a name"
	} else if !regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`).MatchString(v[fieldName]) {
		errs[fieldName] = "use letters, digits, '.', '_' or '-' (no spaces)"
	}
	checkURL := func(f int, required bool) {
		if v[f] == "" {
			if required {
				errs[f] = "required when there is no issuer URL"
			}
			return
		}
		if err := checkServerURL(v[f]); err != nil {
			errs[f] = err.Error()
		}
	}
	if v[fieldIssuer] != "" {
		checkURL(fieldIssuer, true)
		checkURL(fieldDevice, false)
		checkURL(fieldToken, false)
	} else {
		if v[fieldDevice] == "" && v[fieldToken] == "" {
			errs[fieldIssuer] = "give an issuer URL, or both a device URL and a token URL"
		}
		checkURL(fieldDevice, true)
		checkURL(fieldToken, true)
	}
	checkURL(fieldRevoke, false)
	if v[fieldClientID] == "" {
		errs[fieldClientID] = "required: the client ID registered for this app at the server"
	} else if strings.ContainsAny(v[fieldClientID], " \t") {
		errs[fieldClientID] = "a client ID has no spaces"
	}
	scopes := strings.FieldsFunc(v[fieldScopes], func(r rune) bool { return r == ' ' || r == ',' })
	s := profiles.Server{
		Name:     v[fieldName],
		ClientID: v[fieldClientID],
		Scopes:   scopes,
		Endpoints: auth.Endpoints{
			Issuer:        strings.TrimRight(v[fieldIssuer], "/"),
			DeviceAuthURL: v[fieldDevice],
			TokenURL:      v[fieldToken],
			RevocationURL: v[fieldRevoke],
		},
	}
	if len(errs) == 0 {
		errs = nil
	}
	return s, errs
}

// checkServerURL accepts absolute https URLs, and http only on loopback.
func checkServerURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("not an absolute URL (https://host/...)")
	}
	if u.Scheme == "http" {
		h := u.Hostname()
		ip := net.ParseIP(h)
		if h != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return errors.New("plain http is only allowed on loopback; use https")
		}
	}
	if u.User != nil {
		return errors.New("credentials in the URL are not allowed")
	}
	return nil
}

func (m formModel) values() []string {
	v := make([]string, len(m.inputs))
	for i, in := range m.inputs {
		v[i] = in.Value()
	}
	return v
}

func (m formModel) update(msg tea.Msg, saveCmd func(profiles.Server, int) tea.Cmd) (formModel, tea.Cmd) {
	switch msg := msg.(type) {
	case serverAddedMsg:
		if msg.gen != m.gen || !m.saving {
			return m, nil
		}
		m.saving = false
		if msg.err != nil {
			m.err = msg.err
			return m, nil
		}
		return m, emit(serverSavedMsg{server: msg.server})
	case tea.KeyMsg:
		if m.saving {
			if key.Matches(msg, m.keys.Form.Cancel) {
				m.gen++ // drop the save's answer
				m.saving = false
				return m, emit(backMsg{})
			}
			return m, nil
		}
		k := m.keys.Form
		switch {
		case key.Matches(msg, k.Cancel):
			return m, emit(backMsg{})
		case key.Matches(msg, k.Next):
			return m, m.setFocus(m.focus + 1)
		case key.Matches(msg, k.Prev):
			return m, m.setFocus(m.focus - 1)
		case key.Matches(msg, k.Submit) || (key.Matches(msg, k.NextOrSave) && m.focus == fieldCount-1):
			s, errs := validateServer(m.values())
			m.errs, m.err = errs, nil
			if errs != nil {
				for i := 0; i < fieldCount; i++ {
					if _, bad := errs[i]; bad {
						return m, m.setFocus(i)
					}
				}
			}
			m.saving = true
			m.gen++
			return m, saveCmd(s, m.gen)
		case key.Matches(msg, k.NextOrSave):
			return m, m.setFocus(m.focus + 1)
		}
	}
	var cmd tea.Cmd
	m.inputs[m.focus], cmd = m.inputs[m.focus].Update(msg)
	return m, cmd
}

func (m *formModel) setFocus(i int) tea.Cmd {
	i = (i + fieldCount) % fieldCount
	m.inputs[m.focus].Blur()
	m.focus = i
	return m.inputs[i].Focus()
}

func (m formModel) updateKeys(k *formKeys) {
	k.Next.SetEnabled(!m.saving)
	k.Prev.SetEnabled(!m.saving)
	k.Submit.SetEnabled(!m.saving)
	k.Cancel.SetEnabled(true)
	k.NextOrSave.SetEnabled(!m.saving)
	if m.focus == fieldCount-1 {
		k.NextOrSave.SetHelp("enter", "save")
	} else {
		k.NextOrSave.SetHelp("enter", "next field")
	}
}

func (m formModel) view() string {
	s := m.styles
	var b strings.Builder
	b.WriteString(s.Bold.Render("Add a server") + "\n")
	b.WriteString(s.Faint.Render(trunc("An issuer URL is enough for servers that publish metadata.", m.width)) + "\n\n")
	for i, in := range m.inputs {
		mark := "  "
		if i == m.focus {
			mark = "> "
		}
		b.WriteString(mark + s.FieldLabel.Render(cell(fieldLabel(i), 11)) + " " + in.View() + "\n")
		if e, ok := m.errs[i]; ok {
			b.WriteString(s.Error.Render(trunc("  ✗ "+e, m.width)) + "\n")
		}
	}
	b.WriteString("\n")
	switch {
	case m.saving:
		b.WriteString(s.Faint.Render("Saving (discovering the endpoints when an issuer is given)…"))
	case m.err != nil:
		b.WriteString(s.Error.Render(wrapWords("✗ Not saved: "+clean(m.err.Error()), m.width)))
	default:
		b.WriteString(s.Faint.Render(fmt.Sprintf("ctrl+s (or enter on %s) saves.", fieldLabel(fieldCount-1))))
	}
	return b.String()
}
