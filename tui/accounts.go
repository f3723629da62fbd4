package tui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/authdeck/authdeck/profiles"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// action is something the accounts screen asks the profiles service to do.
type action int

const (
	actionUse action = iota + 1
	actionLogout
	actionRevoke
	actionRemoveProfile
	actionRemoveServer
)

// Tabs of the accounts screen.
const (
	tabProfiles = 0
	tabServers  = 1
)

// expiringWithin is when a valid token is shown as expiring.
const expiringWithin = 5 * time.Minute

// profileRow is a profile with its display strings cleaned once at load.
type profileRow struct {
	st                             profiles.Status
	name, server, account, storage string
	note                           string // Status.Note, cleaned
	// check is what the server said of the login when c was last pressed
	// (State "" before); checking is true while it is being asked.
	check    profiles.CheckResult
	checking bool
	hay      string // lower-case text the filter matches
	readOnly bool
}

// serverRow is a server with its display strings cleaned once at load.
type serverRow struct {
	srv                                  profiles.Server
	name, where, clientID, scopes, count string
	hay                                  string
}

// Requests from the accounts screen to the root.
type (
	startLoginMsg  struct{ server profiles.Server }
	showWhoamiMsg  struct{ profile, note string }
	showTokenMsg   struct{ profile string }
	showAddFormMsg struct{}
	startCheckMsg  struct{ gen int }
	confirmMsg     struct{ req confirmRequest }
)

// accountsModel is the home screen: profiles and servers tables.
type accountsModel struct {
	common
	gen      int
	loading  bool
	loaded   bool
	loadErr  error
	now      time.Time
	tab      int
	profiles []profileRow
	servers  []serverRow
	byName   map[string]profiles.Server
	// visible holds indices into the current tab's rows that pass the filter.
	visible   []int
	cursor    int
	offset    int
	filter    textinput.Model
	filtering bool
	// selectServer is a server to put the cursor on once it is loaded (the
	// one just added).
	selectServer string
	// checks are the last check's results by profile name, kept across
	// reloads until the next check; checkGen numbers the checks.
	checks   map[string]profiles.CheckResult
	checking bool
	checkGen int
}

func newAccounts(c common) accountsModel {
	ti := textinput.New()
	ti.Prompt = "/ "
	ti.Placeholder = "filter"
	ti.CharLimit = 100
	return accountsModel{common: c, filter: ti, loading: true}
}

func (m *accountsModel) setSize(w, h int) {
	m.width, m.height = w, h
	m.filter.Width = max(10, w-4)
	m.clampScroll()
}

// listHeight is how many table rows fit.
func (m accountsModel) listHeight() int {
	// tabs line, blank, header + rule, footer line.
	return max(1, m.height-5)
}

func (m accountsModel) count() int {
	if m.tab == tabServers {
		return len(m.servers)
	}
	return len(m.profiles)
}

func (m *accountsModel) refilter() {
	q := strings.ToLower(strings.TrimSpace(m.filter.Value()))
	m.visible = m.visible[:0]
	n := m.count()
	for i := 0; i < n; i++ {
		var hay string
		if m.tab == tabServers {
			hay = m.servers[i].hay
		} else {
			hay = m.profiles[i].hay
		}
		if q == "" || strings.Contains(hay, q) {
			m.visible = append(m.visible, i)
		}
	}
	m.clampScroll()
}

func (m *accountsModel) clampScroll() {
	if m.cursor >= len(m.visible) {
		m.cursor = len(m.visible) - 1
	}
	if m.cursor < 0 {
		m.cursor = 0
	}
	h := m.listHeight()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+h {
		m.offset = m.cursor - h + 1
	}
	if m.offset > max(0, len(m.visible)-h) {
		m.offset = max(0, len(m.visible)-h)
	}
}

// selectedProfile returns the profile under the cursor, if any.
func (m accountsModel) selectedProfile() (profileRow, bool) {
	if m.tab != tabProfiles || len(m.visible) == 0 {
		return profileRow{}, false
	}
	return m.profiles[m.visible[m.cursor]], true
}

// selectedServer returns the server under the cursor (servers tab) or the
// selected profile's server (profiles tab).
func (m accountsModel) selectedServer() (profiles.Server, bool) {
	if len(m.visible) == 0 {
		if len(m.servers) == 1 {
			return m.servers[0].srv, true
		}
		return profiles.Server{}, false
	}
	if m.tab == tabServers {
		return m.servers[m.visible[m.cursor]].srv, true
	}
	s, ok := m.byName[m.profiles[m.visible[m.cursor]].st.Server]
	return s, ok
}

// showServers switches to the servers tab with no filter, keeping the
// cursor on server name once it appears (it may not be loaded yet).
func (m *accountsModel) showServers(name string) {
	m.tab = tabServers
	m.filtering = false
	m.filter.Blur()
	m.filter.SetValue("")
	m.cursor, m.offset = 0, 0
	m.selectServer = name
	m.refilter()
	m.cursorToServer()
}

// cursorToServer moves the cursor to the server named selectServer, if it
// is loaded, and then forgets the name.
func (m *accountsModel) cursorToServer() {
	if m.tab != tabServers || m.selectServer == "" {
		return
	}
	for i, idx := range m.visible {
		if m.servers[idx].srv.Name == m.selectServer {
			m.cursor = i
			m.selectServer = ""
			m.clampScroll()
			return
		}
	}
}

func (m accountsModel) setLoaded(msg profilesLoadedMsg) accountsModel {
	m.loading = false
	m.now = msg.at
	if msg.err != nil {
		m.loadErr = msg.err
		return m
	}
	m.loadErr = nil
	m.loaded = true
	var keep string
	if r, ok := m.selectedProfile(); ok {
		keep = r.st.Name
	}
	if m.tab == tabServers && len(m.visible) > 0 && m.selectServer == "" {
		m.selectServer = m.servers[m.visible[m.cursor]].srv.Name
	}
	m.byName = map[string]profiles.Server{}
	counts := map[string]int{}
	m.profiles = make([]profileRow, 0, len(msg.statuses))
	for _, st := range msg.statuses {
		counts[st.Server]++
		storage := m.storageName(st.Storage)
		switch {
		case st.Source.ReadOnly():
			storage = string(st.Source)
		case storage == "":
			storage = "-"
		}
		r := profileRow{
			st:       st,
			name:     clean(st.Name),
			server:   clean(st.Server),
			account:  clean(st.Account),
			storage:  clean(storage),
			note:     clean(st.Note),
			readOnly: st.Source.ReadOnly(),
		}
		r.hay = strings.ToLower(r.name + "\x00" + r.server + "\x00" + r.account + "\x00" + r.storage)
		r.check, r.checking = m.checks[st.Name], m.checking
		m.profiles = append(m.profiles, r)
	}
	m.servers = m.servers[:0]
	if msg.cfg != nil {
		for _, s := range msg.cfg.Servers {
			m.byName[s.Name] = s
			where := s.Issuer
			if where == "" {
				where = s.DeviceAuthURL
			}
			r := serverRow{
				srv:      s,
				name:     clean(s.Name),
				where:    clean(where),
				clientID: clean(s.ClientID),
				scopes:   clean(strings.Join(s.Scopes, " ")),
				count:    strconv.Itoa(counts[s.Name]),
			}
			r.hay = strings.ToLower(r.name + "\x00" + r.where + "\x00" + r.clientID + "\x00" + r.scopes)
			m.servers = append(m.servers, r)
		}
	}
	m.visible = make([]int, 0, m.count())
	m.refilter()
	if keep != "" {
		for i, idx := range m.visible {
			if m.tab == tabProfiles && m.profiles[idx].st.Name == keep {
				m.cursor = i
			}
		}
		m.clampScroll()
	}
	m.cursorToServer()
	return m
}

// update handles keys and ticks while the screen is active.
func (m accountsModel) update(msg tea.Msg) (accountsModel, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		if m.filtering {
			var cmd tea.Cmd
			m.filter, cmd = m.filter.Update(msg)
			return m, cmd
		}
		return m, nil
	}
	k := m.keys.Accounts
	if m.filtering {
		f := m.keys.Filter
		switch {
		case key.Matches(km, f.Cancel):
			m.filtering = false
			m.filter.Blur()
			m.filter.SetValue("")
			m.refilter()
			return m, nil
		case key.Matches(km, f.Apply):
			m.filtering = false
			m.filter.Blur()
			return m, nil
		case key.Matches(km, f.Up):
			m.move(-1)
			return m, nil
		case key.Matches(km, f.Down):
			m.move(1)
			return m, nil
		}
		before := m.filter.Value()
		var cmd tea.Cmd
		m.filter, cmd = m.filter.Update(km)
		if m.filter.Value() != before {
			m.cursor, m.offset = 0, 0
			m.refilter()
		}
		return m, cmd
	}
	switch {
	case key.Matches(km, k.Up):
		m.move(-1)
	case key.Matches(km, k.Down):
		m.move(1)
	case key.Matches(km, k.PageUp):
		m.move(-m.listHeight())
	case key.Matches(km, k.PageDown):
		m.move(m.listHeight())
	case key.Matches(km, k.Tab):
		m.tab = 1 - m.tab
		m.cursor, m.offset = 0, 0
		m.refilter()
	case key.Matches(km, k.Filter):
		m.filtering = true
		return m, m.filter.Focus()
	case key.Matches(km, k.ClearFilter) && k.ClearFilter.Enabled():
		m.filter.SetValue("")
		m.refilter()
	case key.Matches(km, k.Use) && k.Use.Enabled():
		r, _ := m.selectedProfile()
		return m, emit(confirmedActionMsg{action: actionUse, target: r.st.Name})
	case key.Matches(km, k.Login) && k.Login.Enabled():
		s, ok := m.selectedServer()
		if !ok {
			return m, emit(showAddFormMsg{})
		}
		return m, emit(startLoginMsg{server: s})
	case key.Matches(km, k.Check) && k.Check.Enabled():
		m.checkGen++
		m.checking = true
		for i := range m.profiles {
			m.profiles[i].checking = true
		}
		return m, emit(startCheckMsg{gen: m.checkGen})
	case key.Matches(km, k.Whoami) && k.Whoami.Enabled():
		r, _ := m.selectedProfile()
		return m, emit(showWhoamiMsg{profile: r.st.Name, note: r.note})
	case key.Matches(km, k.Token) && k.Token.Enabled():
		r, _ := m.selectedProfile()
		return m, emit(showTokenMsg{profile: r.st.Name})
	case key.Matches(km, k.Logout) && k.Logout.Enabled():
		r, _ := m.selectedProfile()
		return m, emit(confirmMsg{req: logoutRequest(r, m.keys.Accounts.Revoke.Enabled(), m.storeWhere())})
	case key.Matches(km, k.Revoke) && k.Revoke.Enabled():
		r, _ := m.selectedProfile()
		return m, emit(confirmMsg{req: revokeRequest(r, m.byName[r.st.Server])})
	case key.Matches(km, k.Add):
		return m, emit(showAddFormMsg{})
	case key.Matches(km, k.Remove) && k.Remove.Enabled():
		if m.tab == tabServers {
			s := m.servers[m.visible[m.cursor]]
			return m, emit(confirmMsg{req: removeServerRequest(s)})
		}
		r, _ := m.selectedProfile()
		return m, emit(confirmMsg{req: removeProfileRequest(r, m.keys.Accounts.Revoke.Enabled())})
	}
	return m, nil
}

// whyNot says why a key that does nothing on the selected profile does
// nothing (whoami and token on a signed-out profile); "" otherwise.
func (m accountsModel) whyNot(msg tea.KeyMsg) string {
	if m.filtering {
		return ""
	}
	r, ok := m.selectedProfile()
	if !ok || r.st.State != profiles.StateSignedOut {
		return ""
	}
	k := defaultKeyMap().Accounts
	for _, b := range []key.Binding{k.Whoami, k.Token} {
		for _, s := range b.Keys() {
			if s == msg.String() {
				return r.name + " is signed out: press l to log in first."
			}
		}
	}
	return ""
}

func (m *accountsModel) move(d int) {
	m.cursor += d
	m.clampScroll()
}

// updateKeys enables exactly the bindings that work now.
func (m accountsModel) updateKeys(k *accountKeys, f *filterKeys) {
	prof, hasProf := m.selectedProfile()
	signedIn := hasProf && prof.st.State != profiles.StateSignedOut
	nav := !m.filtering && len(m.visible) > 0
	k.Up.SetEnabled(nav)
	k.Down.SetEnabled(nav)
	k.PageUp.SetEnabled(nav && len(m.visible) > m.listHeight())
	k.PageDown.SetEnabled(nav && len(m.visible) > m.listHeight())
	k.Tab.SetEnabled(!m.filtering && m.loaded)
	k.Filter.SetEnabled(!m.filtering && m.loaded && m.count() > 0)
	k.ClearFilter.SetEnabled(!m.filtering && m.filter.Value() != "")
	k.Use.SetEnabled(!m.filtering && hasProf && !prof.st.Active)
	_, hasServer := m.selectedServer()
	k.Login.SetEnabled(!m.filtering && m.loaded && (hasServer || len(m.servers) == 0))
	k.Whoami.SetEnabled(!m.filtering && signedIn)
	k.Token.SetEnabled(!m.filtering && signedIn)
	k.Logout.SetEnabled(!m.filtering && signedIn && !prof.readOnly)
	k.Revoke.SetEnabled(!m.filtering && signedIn && !prof.readOnly)
	k.Add.SetEnabled(!m.filtering && m.loaded)
	k.Remove.SetEnabled(!m.filtering && len(m.visible) > 0 && (m.tab == tabServers || !prof.readOnly))
	k.Reload.SetEnabled(!m.filtering)
	k.Check.SetEnabled(!m.filtering && m.tab == tabProfiles && len(m.profiles) > 0 && !m.checking)
	f.Apply.SetEnabled(m.filtering)
	f.Cancel.SetEnabled(m.filtering)
	f.Up.SetEnabled(m.filtering && len(m.visible) > 0)
	f.Down.SetEnabled(m.filtering && len(m.visible) > 0)
}

// setChecked records a check's results on the rows.
func (m accountsModel) setChecked(msg checkedMsg) accountsModel {
	if msg.gen != m.checkGen {
		return m
	}
	m.checking = false
	m.checks = map[string]profiles.CheckResult{}
	for _, c := range msg.results {
		m.checks[c.Name] = c
	}
	for i := range m.profiles {
		m.profiles[i].check, m.profiles[i].checking = m.checks[m.profiles[i].st.Name], false
	}
	return m
}

// rowState is a row's token cell: what the server said when it was
// checked (c), else what the config knows (tokenState).
func (m accountsModel) rowState(r profileRow) string {
	if r.checking && r.st.State != profiles.StateSignedOut {
		return "… checking"
	}
	switch r.check.State {
	case profiles.CheckValid:
		return "✓ valid (checked)"
	case profiles.CheckRevoked:
		return "✗ revoked"
	case profiles.CheckUnreachable:
		return "! unreachable"
	case profiles.CheckError:
		return "✗ check failed"
	}
	return tokenState(r.st, m.now)
}

// tokenState renders what the config knows of a token in words and a
// symbol: when it expires, computed from now (not whether the server
// still honours it: that takes a check, c).
func tokenState(st profiles.Status, now time.Time) string {
	switch st.State {
	case profiles.StateSignedOut:
		return "- signed out"
	case profiles.StateExternal:
		return "~ external"
	case profiles.StateMissing:
		// The profile says signed in but its secret is gone.
		return "✗ missing"
	case profiles.StateUnreadable:
		return "✗ unreadable"
	}
	if st.Expiry.IsZero() {
		if st.State == profiles.StateExpired {
			return "✗ expired"
		}
		return "✓ no expiry"
	}
	left := st.Expiry.Sub(now)
	switch {
	case left <= 0 && st.HasRefresh:
		return "↻ refreshable"
	case left <= 0:
		return "✗ expired"
	case left < expiringWithin:
		return "! expires in " + humanShort(left)
	}
	return "✓ expires in " + humanShort(left)
}

func (m accountsModel) stateStyle(s string) lipgloss.Style {
	switch {
	case strings.HasPrefix(s, "✓"):
		return m.styles.Success
	case strings.HasPrefix(s, "✗"):
		return m.styles.Error
	case strings.HasPrefix(s, "!"), strings.HasPrefix(s, "↻"):
		return m.styles.Warning
	case strings.HasPrefix(s, "-"), strings.HasPrefix(s, "~"):
		return m.styles.Faint
	}
	return lipgloss.NewStyle()
}

func (m accountsModel) view() string {
	s := m.styles
	var b strings.Builder
	// Tabs line.
	pt := fmt.Sprintf("Profiles (%d)", len(m.profiles))
	st := fmt.Sprintf("Servers (%d)", len(m.servers))
	if m.tab == tabProfiles {
		pt, st = s.TabActive.Render("["+pt+"]"), s.Tab.Render(" "+st+" ")
	} else {
		pt, st = s.Tab.Render(" "+pt+" "), s.TabActive.Render("["+st+"]")
	}
	b.WriteString(pt + " " + st)
	b.WriteString("\n")
	if m.filtering {
		b.WriteString(m.filter.View())
	} else if v := m.filter.Value(); v != "" {
		b.WriteString(s.Faint.Render(trunc(fmt.Sprintf("filter: %q  (%d of %d)", v, len(m.visible), m.count()), m.width)))
	}
	b.WriteString("\n")
	switch {
	case !m.loaded && m.loadErr == nil:
		b.WriteString(s.Faint.Render("Loading profiles…"))
		return b.String()
	case m.loadErr != nil:
		b.WriteString(s.Error.Render("✗ Could not load profiles:") + "\n")
		for _, l := range wrapHard(clean(m.loadErr.Error()), m.width) {
			b.WriteString(l + "\n")
		}
		b.WriteString(s.Faint.Render("Press ctrl+r to try again."))
		return b.String()
	}
	if m.tab == tabProfiles {
		b.WriteString(m.profilesTable())
	} else {
		b.WriteString(m.serversTable())
	}
	return b.String()
}

// columns splits w cells among flexible columns by weight, after fixed ones.
func columns(w int, fixed []int, weights []int) []int {
	rest := w
	for _, f := range fixed {
		rest -= f + 1
	}
	tot := 0
	for _, x := range weights {
		tot += x
	}
	out := make([]int, len(weights))
	used := 0
	for i, x := range weights {
		out[i] = max(4, (rest-len(weights))*x/tot)
		used += out[i]
	}
	if extra := rest - len(weights) - used; extra > 0 {
		out[len(out)-1] += extra
	}
	return out
}

func (m accountsModel) profilesTable() string {
	s := m.styles
	if len(m.profiles) == 0 {
		msg := "No profiles yet. Press l to log in"
		if len(m.servers) == 0 {
			msg = "No servers or profiles yet. Press n to add a server, then l to log in."
		} else {
			msg += " to a server."
		}
		return s.Faint.Render(strings.Join(wrapHard(msg, m.width), "\n"))
	}
	const markW, storW, stateW = 2, 8, 17
	flex := columns(m.width, []int{markW, storW, stateW}, []int{3, 3, 4})
	nameW, srvW, accW := flex[0], flex[1], flex[2]
	head := "  " + " " + cell("PROFILE", nameW) + " " + cell("SERVER", srvW) + " " + cell("ACCOUNT", accW) + " " + cell("STORAGE", storW) + " " + "TOKEN"
	var b strings.Builder
	b.WriteString(s.TableHead.Render(cell(head, m.width)))
	b.WriteString("\n")
	h := m.listHeight()
	if len(m.visible) == 0 {
		b.WriteString(s.Faint.Render("No profile matches the filter."))
	}
	for i := m.offset; i < len(m.visible) && i < m.offset+h; i++ {
		r := m.profiles[m.visible[i]]
		cur, act := " ", " "
		if i == m.cursor {
			cur = ">"
		}
		if r.st.Active {
			act = "●"
		}
		state := m.rowState(r)
		line := cur + act + " " + cell(r.name, nameW) + " " + cell(r.server, srvW) + " " + cell(r.account, accW) + " " + cell(r.storage, storW) + " "
		if i == m.cursor {
			b.WriteString(s.Selected.Render(line + cell(state, stateW)))
		} else {
			b.WriteString(line + m.stateStyle(state).Render(cell(state, stateW)))
		}
		b.WriteString("\n")
	}
	b.WriteString(s.Faint.Render(m.footerLine()))
	return b.String()
}

func (m accountsModel) footerLine() string {
	active := "none"
	for _, r := range m.profiles {
		if r.st.Active {
			active = r.name
			break
		}
	}
	pos := ""
	if len(m.visible) > 0 {
		pos = fmt.Sprintf("%d/%d", m.cursor+1, len(m.visible))
	}
	if m.tab == tabServers {
		return trunc(pos, m.width)
	}
	// What is wrong with the selected profile, and what to do, when the
	// status says so (missing or unreadable secret, loose file mode).
	if r, ok := m.selectedProfile(); ok && r.note != "" {
		return trunc(fmt.Sprintf("%s  ! %s", pos, r.note), m.width)
	}
	if r, ok := m.selectedProfile(); ok && r.check.Detail != "" && r.check.State != profiles.CheckUnknown {
		return trunc(fmt.Sprintf("%s  %s: %s", pos, r.check.State, clean(r.check.Detail)), m.width)
	}
	if r, ok := m.selectedProfile(); ok && r.st.Fallback != "" {
		return trunc(fmt.Sprintf("%s  ! kept in plain text: %s did not answer when it was saved; l logs in again", pos, m.storeWhere()), m.width)
	}
	return trunc(fmt.Sprintf("%s  ● = active profile (%s)", pos, active), m.width)
}

func (m accountsModel) serversTable() string {
	s := m.styles
	if len(m.servers) == 0 {
		return s.Faint.Render("No servers yet. Press n to add one.")
	}
	const markW, cntW = 2, 8
	flex := columns(m.width, []int{markW, cntW}, []int{2, 6, 2, 2})
	head := "   " + cell("NAME", flex[0]) + " " + cell("ISSUER / DEVICE ENDPOINT", flex[1]) + " " + cell("CLIENT ID", flex[2]) + " " + cell("SCOPES", flex[3]) + " " + "PROFILES"
	var b strings.Builder
	b.WriteString(s.TableHead.Render(cell(head, m.width)))
	b.WriteString("\n")
	h := m.listHeight()
	if len(m.visible) == 0 {
		b.WriteString(s.Faint.Render("No server matches the filter."))
	}
	for i := m.offset; i < len(m.visible) && i < m.offset+h; i++ {
		r := m.servers[m.visible[i]]
		cur := " "
		if i == m.cursor {
			cur = ">"
		}
		line := cur + "  " + cell(r.name, flex[0]) + " " + cell(r.where, flex[1]) + " " + cell(r.clientID, flex[2]) + " " + cell(r.scopes, flex[3]) + " " + cell(r.count, cntW)
		if i == m.cursor {
			line = s.Selected.Render(line)
		}
		b.WriteString(line + "\n")
	}
	b.WriteString(s.Faint.Render(m.footerLine()))
	return b.String()
}

// checkSummary is the status line after a check: how many logins the
// servers called valid, revoked, and so on.
func checkSummary(rs []profiles.CheckResult) string {
	n := map[profiles.CheckState]int{}
	for _, r := range rs {
		n[r.State]++
	}
	var parts []string
	for _, st := range []profiles.CheckState{profiles.CheckValid, profiles.CheckRevoked, profiles.CheckExpired, profiles.CheckUnreachable, profiles.CheckError, profiles.CheckUnknown} {
		if n[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[st], st))
		}
	}
	if len(parts) == 0 {
		return "Checked: no login to check."
	}
	return "Checked with the servers: " + strings.Join(parts, ", ") + "."
}
