package tui

import (
	"fmt"
	"strings"

	"github.com/authdeck/authdeck/profiles"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// confirmRequest describes a destructive action and exactly what it does.
type confirmRequest struct {
	action action
	target string
	title  string
	body   []string
	yes    string // what "y" does, e.g. "revoke"
}

// confirmedActionMsg asks the root to perform an action (after a "yes", or
// directly for harmless ones such as use).
type confirmedActionMsg struct {
	action action
	target string
}

// confirmModel is a modal yes/no question whose default is No.
type confirmModel struct {
	common
	req confirmRequest
}

// update returns done=true when the dialog is answered; cmd performs the
// action when the answer was yes.
func (m confirmModel) update(msg tea.KeyMsg) (done bool, cmd tea.Cmd) {
	switch {
	case key.Matches(msg, m.keys.Confirm.Yes):
		return true, emit(confirmedActionMsg{action: m.req.action, target: m.req.target})
	case key.Matches(msg, m.keys.Confirm.No):
		return true, nil
	}
	return false, nil
}

func (m confirmModel) view() string {
	s := m.styles
	w := max(20, min(m.width, 72)-4)
	var b strings.Builder
	b.WriteString(s.Warning.Bold(true).Render("! " + m.req.title))
	b.WriteString("\n\n")
	for _, para := range m.req.body {
		b.WriteString(wrapWords(para, w))
		b.WriteString("\n")
	}
	b.WriteString("\n")
	b.WriteString(s.Bold.Render(fmt.Sprintf("y = yes, %s", m.req.yes)) + "   " + "n / enter / esc = no (default)")
	return s.Dialog.Width(w + 2).Render(b.String())
}

// wrapWords wraps text at spaces to w cells.
func wrapWords(text string, w int) string {
	var lines []string
	var cur string
	for _, word := range strings.Fields(text) {
		for _, part := range wrapHard(word, w) {
			switch {
			case cur == "":
				cur = part
			case len([]rune(cur))+1+len([]rune(part)) <= w:
				cur += " " + part
			default:
				lines = append(lines, cur)
				cur = part
			}
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return strings.Join(lines, "\n")
}

func logoutRequest(r profileRow, canRevoke bool, keyring string) confirmRequest {
	where := keyring
	if r.st.Storage == profiles.StorageFile {
		where = "the credentials file"
	}
	notTold := "The server is not told: the tokens stay valid there until they expire."
	if canRevoke {
		notTold += " Use r (revoke) to invalidate them at the server."
	}
	return confirmRequest{
		action: actionLogout, target: r.st.Name, yes: "log out",
		title: fmt.Sprintf("Log out of profile %q?", r.name),
		body: []string{
			fmt.Sprintf("This forgets the tokens of %s on %s stored in %s on this computer. The profile stays, signed out.", nameAndAccount(r), r.server, where),
			notTold,
		},
	}
}

// nameAndAccount names a profile with its account in brackets, unless the
// account is the profile's name (or unknown): "work (alice@example.com)",
// "alice".
func nameAndAccount(r profileRow) string {
	if r.account == "" || r.account == r.name {
		return r.name
	}
	return r.name + " (" + r.account + ")"
}

func revokeRequest(r profileRow, srv profiles.Server) confirmRequest {
	// The host comes from the configuration (or the server's discovery
	// document): url.Parse keeps C1 controls and bidi overrides in it.
	host := clean(hostOf(srv.RevocationURL))
	if host == "" {
		host = clean(hostOf(srv.Issuer))
	}
	body := []string{
		fmt.Sprintf("This asks %s to invalidate the refresh and access tokens of %s, then forgets them on this computer.", orDefault(host, "the server"), nameAndAccount(r)),
		"Anything else using these tokens stops working. The profile stays, signed out.",
	}
	// The endpoints were discovered when the server was added: with no
	// revocation URL, profiles.Manager.Revoke refuses.
	if srv.RevocationURL == "" {
		body = append(body, "This server has no revocation endpoint: the revoke will fail and nothing will be forgotten; use o (log out) instead.")
	}
	return confirmRequest{
		action: actionRevoke, target: r.st.Name, yes: "revoke",
		title: fmt.Sprintf("Revoke profile %q at the server?", r.name),
		body:  body,
	}
}

func removeProfileRequest(r profileRow, canRevoke bool) confirmRequest {
	notRevoked := "The tokens are not revoked at the server."
	if canRevoke {
		notRevoked = "The tokens are not revoked at the server; revoke first (r) if you want them invalidated."
	}
	return confirmRequest{
		action: actionRemoveProfile, target: r.st.Name, yes: "remove",
		title: fmt.Sprintf("Remove profile %q?", r.name),
		body: []string{
			fmt.Sprintf("This deletes the profile %s and its stored tokens from this computer.", r.name),
			notRevoked,
		},
	}
}

func removeServerRequest(r serverRow) confirmRequest {
	body := []string{fmt.Sprintf("This deletes the server %s (%s) from the configuration.", r.name, r.where)}
	if r.count != "0" {
		body = append(body, fmt.Sprintf("It still has %s profile(s): the removal will be refused until they are removed.", r.count))
	}
	return confirmRequest{
		action: actionRemoveServer, target: r.srv.Name, yes: "remove",
		title: fmt.Sprintf("Remove server %q?", r.name),
		body:  body,
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
