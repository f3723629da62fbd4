package tui

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/profiles"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// addServerThroughForm opens the form, fills it and saves it.
func addServerThroughForm(t *testing.T, m model, name string) model {
	t.Helper()
	m, _ = settle(t, m, press("n"))
	if m.active != scrForm {
		t.Fatal("n did not open the form")
	}
	fill := []string{name, "https://id.example.com", "", "", "", "cli-1", "openid"}
	for i, v := range fill {
		m.form.inputs[i].SetValue(v)
	}
	m, seen := settle(t, m, press("ctrl+s"))
	if _, ok := hasMsg[serverSavedMsg](seen); !ok {
		t.Fatalf("no serverSavedMsg; form err %v errs %v", m.form.err, m.form.errs)
	}
	return m
}

// Adding a server from the profiles tab, with the cursor below the number
// of servers, switched to the servers tab with profile indices left in
// visible: the next syncKeys or View indexed past the servers.
func TestAddServerFromDeepProfileDoesNotCrash(t *testing.T) {
	fx := newFixture(3)
	fx.ps.cfg.Servers = []profiles.Server{testServer()}
	m := startModel(t, fx, Options{}, 80, 24)
	m, _ = send(m, press("down"))
	m, _ = send(m, press("down"))
	if r, _ := m.accounts.selectedProfile(); r.st.Name != "user002" {
		t.Fatalf("cursor on %q, want user002", r.st.Name)
	}
	m = addServerThroughForm(t, m, "zeta")
	if m.accounts.tab != tabServers {
		t.Fatal("not on the servers tab after adding a server")
	}
	if v := m.View(); !strings.Contains(v, "zeta") {
		t.Fatalf("servers tab lacks the new server:\n%s", v)
	}
}

// "Press l to log in to it" logs in to the server just added, not to the
// first one.
func TestAfterAddServerLoginGoesToIt(t *testing.T) {
	fx := newFixture(1)
	m := startModel(t, fx, Options{}, 80, 24)
	// A filter that hides the new server must not hide it after the save.
	m, _ = send(m, press("/"))
	m, _ = send(m, press("u"))
	m, _ = send(m, press("enter"))
	m = addServerThroughForm(t, m, "zeta")
	if !strings.Contains(m.status, "Press l to log in to it") {
		t.Fatalf("status %q", m.status)
	}
	s, ok := m.accounts.selectedServer()
	if !ok || s.Name != "zeta" {
		t.Fatalf("selected server %q (%v), want zeta", s.Name, ok)
	}
	m, _ = settle(t, m, press("l"))
	if m.active != scrLogin || m.login.server.Name != "zeta" {
		t.Fatalf("l logs in to %q (screen %v), want zeta", m.login.server.Name, m.active)
	}
}

func TestTokenStateMissingAndUnreadable(t *testing.T) {
	cases := []struct {
		state profiles.TokenState
		want  string
	}{
		{profiles.StateMissing, "✗ missing"},
		{profiles.StateUnreadable, "✗ unreadable"},
	}
	for _, c := range cases {
		st := profiles.Status{State: c.state, Expiry: t0.Add(time.Hour)}
		if got := tokenState(st, t0); got != c.want {
			t.Errorf("tokenState(%s) = %q, want %q", c.state, got, c.want)
		}
	}
}

func TestMissingSecretShowsStateAndNote(t *testing.T) {
	fx := newFixture(2)
	note := "the keyring has no secret for this profile; run `authdeck login --profile user000`\x1b[2J"
	fx.ps.statuses[0].State = profiles.StateMissing
	fx.ps.statuses[0].Note = note
	m := startModel(t, fx, Options{}, 100, 24)
	v := m.View()
	if !strings.Contains(v, "✗ missing") || strings.Contains(v, "✓ valid 0s") {
		t.Fatalf("accounts view:\n%s", v)
	}
	if !strings.Contains(v, "the keyring has no secret") || strings.Contains(v, "\x1b[2J") {
		t.Fatalf("the selected profile's note is not shown (cleaned):\n%s", v)
	}
	fx.ps.errs = map[string]error{"WhoAmI": profiles.ErrNotLoggedIn}
	m, _ = settle(t, m, press("w"))
	v = strings.Join(strings.Fields(m.View()), " ")
	if !strings.Contains(v, "the keyring has no secret for this profile") {
		t.Fatalf("whoami lacks the note:\n%s", m.View())
	}
}

func TestRevokeHostCleaned(t *testing.T) {
	for _, host := range []string{"evil\u009b31m.example", "evil\u202egoogle.com"} {
		fx := newFixture(1)
		srv := testServer()
		srv.RevocationURL = "https://" + host + "/revoke"
		fx.ps.cfg.Servers[0] = srv
		m := startModel(t, fx, Options{}, 100, 24)
		m, _ = settle(t, m, press("r"))
		if m.confirm == nil {
			t.Fatal("r did not ask")
		}
		v := m.View()
		if strings.ContainsAny(v, "\u009b\u202e") {
			t.Fatalf("control character from the revocation URL reached the screen: %q", v)
		}
		if !strings.Contains(v, "evil") {
			t.Fatalf("host not named:\n%s", v)
		}
	}
}

func TestRevokeWarnsWithoutRevocationURL(t *testing.T) {
	fx := newFixture(1)
	srv := testServer()
	srv.RevocationURL = "" // discovery found none, issuer still set
	fx.ps.cfg.Servers[0] = srv
	m := startModel(t, fx, Options{}, 100, 30)
	m, _ = settle(t, m, press("r"))
	v := strings.Join(strings.Fields(m.View()), " ")
	if !strings.Contains(v, "no revocation endpoint") {
		t.Fatalf("no warning:\n%s", m.View())
	}
}

// The host of the verification page is marked without style too: a line
// of its own, or the mismatch warning naming it.
func TestLoginHostMarkedWithoutColour(t *testing.T) {
	fx := newFixture(0)
	m := startModel(t, fx, Options{Start: ScreenLogin, Server: testServer()}, 100, 30)
	if v := m.View(); !strings.Contains(v, "Host: 127.0.0.1") || strings.Contains(v, "\x1b") {
		t.Fatalf("no plain host marker:\n%s", v)
	}
	fx = newFixture(0)
	fx.flow.code.VerificationURI = "https://auth.other.example/activate"
	fx.flow.code.VerificationURIComplete = ""
	m = startModel(t, fx, Options{Start: ScreenLogin, Server: testServer()}, 100, 30)
	if v := strings.Join(strings.Fields(m.View()), " "); !strings.Contains(v, "The page is on auth.other.example, not on 127.0.0.1") {
		t.Fatalf("no plain host warning:\n%s", m.View())
	}
}

// With a colour profile, the host gets its emphasis styles.
func TestLoginHostStyledInTrueColor(t *testing.T) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	r.SetHasDarkBackground(true)
	fx := newFixture(0)
	c := common{styles: defaultStyles(r, Theme{}), keys: defaultKeyMap(), dark: true}
	lm := newLogin(c, fx.deps)
	got := lm.emphasiseHost("https://auth.example/device")
	// Bold (1) and underline (4) on the host only.
	if !strings.Contains(got, "\x1b[1;4") || !strings.HasPrefix(got, "https://\x1b[") || !strings.HasSuffix(got, "\x1b[0m/device") {
		t.Fatalf("emphasised = %q", got)
	}
	if plain := stripANSI(got); plain != "https://auth.example/device" {
		t.Fatalf("text = %q", plain)
	}
	if line := lm.hostLine("https://auth.example/device"); stripANSI(line) != "Host: auth.example" || !strings.Contains(line, "\x1b[1;4") {
		t.Fatalf("host line = %q", line)
	}
}

// Every key the form handles is a key.Binding shown in help.
func TestFormEnterIsABinding(t *testing.T) {
	fx := newFixture(0)
	m := startModel(t, fx, Options{}, 120, 24)
	m, _ = settle(t, m, press("n"))
	h := m.helpView()
	if !strings.Contains(h, "enter") {
		t.Fatalf("form help lacks enter: %s", h)
	}
	m, _ = send(m, press("enter"))
	if m.form.focus != 1 {
		t.Fatalf("enter moved focus to %d, want 1", m.form.focus)
	}
	k := m.c.keys.Form
	if !key.Matches(press("enter"), k.NextOrSave) {
		t.Fatal("enter is not the NextOrSave binding")
	}
	m.form.focus = fieldCount - 1
	m.syncKeys()
	if got := m.c.keys.Form.NextOrSave.Help().Desc; got != "save" {
		t.Fatalf("enter on the last field says %q, want save", got)
	}
}

func TestQRHiddenWording(t *testing.T) {
	fx := newFixture(0)
	m := startModel(t, fx, Options{Start: ScreenLogin, Server: testServer()}, 100, 30)
	m.login.setSize(70, 24)
	v := m.login.view()
	if strings.Contains(v, "more room") {
		t.Fatalf("the QR's size is not the extra room needed:\n%s", v)
	}
	if !strings.Contains(v, "QR code hidden") {
		t.Fatalf("no QR note at 60x20:\n%s", v)
	}
}

// control characters in the device code's strings never reach the screen.
func TestDeviceCodeControlCharactersCleaned(t *testing.T) {
	fx := newFixture(0)
	fx.flow.code.UserCode = "BCDF\x1b[2J-GHSZ"
	fx.flow.code.VerificationURI = "http://127.0.0.1:4444/dev\u009bice"
	fx.flow.code.VerificationURIComplete = ""
	fx.flow.code.Message = "Go \x1b]0;pwned\x07to the page\u202e"
	m := startModel(t, fx, Options{Start: ScreenLogin, Server: testServer()}, 120, 40)
	v := m.View()
	if strings.ContainsAny(v, "\x07\u009b\u202e") || strings.Contains(v, "\x1b[2J") || strings.Contains(v, "\x1b]0") {
		t.Fatalf("control characters reached the screen: %q", v)
	}
	for _, want := range []string{"BCDF", "GHSZ", "to the page", "127.0.0.1:4444/dev"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
}

// stripANSI removes SGR sequences.
func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var _ = auth.ErrAccessDenied
var _ tea.Msg
