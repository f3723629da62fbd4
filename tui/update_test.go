package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/profiles"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"golang.org/x/oauth2"
	"os"
)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	lipgloss.SetHasDarkBackground(true)
	os.Exit(m.Run())
}

func hasMsg[T any](msgs []tea.Msg) (T, bool) {
	for _, m := range msgs {
		if v, ok := m.(T); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

func TestFirstFrameIsPlaceholderAndInitDoesNoIO(t *testing.T) {
	fx := newFixture(3)
	m := newModel(context.Background(), fx.deps, Options{}, true)
	if got := m.View(); !strings.Contains(got, "starting") {
		t.Fatalf("view before size = %q, want a placeholder", got)
	}
	cmd := m.Init()
	if n := fx.ps.loads.Load(); n != 0 {
		t.Fatalf("New/Init loaded profiles synchronously (%d calls)", n)
	}
	m, _ = send(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	if v := m.View(); !strings.Contains(v, "Loading profiles") {
		t.Fatalf("first sized frame should say loading, got:\n%s", v)
	}
	msgs := run(t, cmd)
	loaded, ok := hasMsg[profilesLoadedMsg](msgs)
	if !ok || len(loaded.statuses) != 3 {
		t.Fatalf("Init's commands gave %#v, want profilesLoadedMsg with 3 profiles", msgs)
	}
	m, _ = send(m, loaded)
	if v := m.View(); !strings.Contains(v, "user002") || strings.Contains(v, "Loading") {
		t.Fatalf("after load:\n%s", v)
	}
}

func TestStaleProfilesLoadDropped(t *testing.T) {
	fx := newFixture(3)
	m := startModel(t, fx, Options{}, 80, 24)
	old := profilesLoadedMsg{gen: m.accounts.gen - 1, statuses: sampleStatuses(50)}
	m, _ = send(m, old)
	if len(m.accounts.profiles) != 3 {
		t.Fatalf("a stale load replaced the list: %d rows", len(m.accounts.profiles))
	}
	m, cmd := send(m, press("ctrl+r"))
	if cmd == nil || !m.accounts.loading {
		t.Fatal("ctrl+r should start a reload")
	}
	m, _ = send(m, profilesLoadedMsg{gen: m.accounts.gen - 1, statuses: sampleStatuses(50)})
	if len(m.accounts.profiles) != 3 {
		t.Fatal("the load superseded by ctrl+r was applied")
	}
}

func TestLoadErrorShownWithRetry(t *testing.T) {
	fx := newFixture(3)
	fx.ps.errs = map[string]error{"Status": &profiles.ParseError{Path: "/x/config.toml", Line: 3, Err: errors.New("bad \x1b[2Jkey")}}
	m := startModel(t, fx, Options{}, 80, 24)
	v := m.View()
	if !strings.Contains(v, "config.toml:3") || strings.Contains(v, "\x1b[2J") || !strings.Contains(v, "ctrl+r") {
		t.Fatalf("load error view:\n%s", v)
	}
}

func TestUseSwitchesActiveProfile(t *testing.T) {
	fx := newFixture(3)
	m := startModel(t, fx, Options{}, 80, 24)
	m, _ = send(m, press("down"))
	if r, _ := m.accounts.selectedProfile(); r.st.Name != "user001" {
		t.Fatalf("cursor on %q", r.st.Name)
	}
	m, seen := settle(t, m, press("enter"))
	if _, ok := hasMsg[actionDoneMsg](seen); !ok {
		t.Fatalf("no actionDoneMsg in %v", seen)
	}
	if got := fx.ps.Calls(); len(got) != 1 || got[0] != "Use user001" {
		t.Fatalf("calls = %q", got)
	}
	if !strings.Contains(m.status, "Now using user001") {
		t.Fatalf("status = %q", m.status)
	}
	if r, _ := m.accounts.selectedProfile(); !r.st.Active || r.st.Name != "user001" {
		t.Fatalf("after reload the selected row is %+v", r.st)
	}
	// Enter on the active profile does nothing (the key is disabled).
	_, cmd := send(m, press("enter"))
	if msgs := run(t, cmd); len(msgs) != 0 {
		t.Fatalf("enter on the active profile gave %v", msgs)
	}
}

func TestLogoutConfirmDefaultsToNo(t *testing.T) {
	fx := newFixture(3)
	m := startModel(t, fx, Options{}, 80, 24)
	m, _ = settle(t, m, press("o"))
	if m.confirm == nil {
		t.Fatal("o did not ask for confirmation")
	}
	v := m.View()
	for _, want := range []string{`Log out of profile "user000"?`, "forgets the tokens", "not told", "no (default)"} {
		if !strings.Contains(strings.Join(strings.Fields(v), " "), want) {
			t.Errorf("confirmation lacks %q:\n%s", want, v)
		}
	}
	m, _ = settle(t, m, press("enter"))
	if m.confirm != nil || len(fx.ps.Calls()) != 0 || !strings.Contains(m.status, "Nothing was changed") {
		t.Fatalf("enter must answer no: confirm=%v calls=%q status=%q", m.confirm, fx.ps.Calls(), m.status)
	}
	m, _ = settle(t, m, press("o"))
	m, _ = settle(t, m, press("y"))
	if got := fx.ps.Calls(); len(got) != 1 || got[0] != "Logout user000" {
		t.Fatalf("calls = %q", got)
	}
	if r, _ := m.accounts.selectedProfile(); r.st.State != profiles.StateSignedOut {
		t.Fatalf("after logout the profile is %v", r.st.State)
	}
	if m.c.keys.Accounts.Logout.Enabled() || m.c.keys.Accounts.Revoke.Enabled() || m.c.keys.Accounts.Whoami.Enabled() {
		t.Fatal("logout/revoke/whoami still enabled on a signed-out profile")
	}
	if strings.Contains(m.helpView(), "log out") {
		t.Fatalf("help shows log out for a signed-out profile: %s", m.helpView())
	}
}

func TestRevokeConfirmSaysServerAndErrorsShown(t *testing.T) {
	fx := newFixture(3)
	fx.ps.errs = map[string]error{"Revoke": errors.New("server said \x1b]0;pwned\x07no")}
	m := startModel(t, fx, Options{}, 80, 24)
	m, _ = settle(t, m, press("r"))
	body := strings.Join(strings.Fields(m.View()), " ")
	if !strings.Contains(body, "asks 127.0.0.1 to invalidate") || !strings.Contains(body, "y = yes, revoke") {
		t.Fatalf("revoke confirmation:\n%s", m.View())
	}
	m, _ = settle(t, m, press("Y"))
	if got := fx.ps.Calls(); len(got) != 1 || got[0] != "Revoke user000" {
		t.Fatalf("calls = %q", got)
	}
	if !strings.HasPrefix(m.status, "✗ Could not revoke user000") || strings.ContainsAny(m.status, "\x1b\x07") {
		t.Fatalf("status = %q", m.status)
	}
}

func TestReadOnlyProfileCannotLogout(t *testing.T) {
	fx := newFixture(1)
	fx.ps.statuses[0].Source = profiles.SourceEnv
	fx.ps.statuses[0].State = profiles.StateExternal
	m := startModel(t, fx, Options{}, 80, 24)
	k := m.c.keys.Accounts
	if k.Logout.Enabled() || k.Revoke.Enabled() || k.Remove.Enabled() || !k.Token.Enabled() {
		t.Fatal("a token from the environment must be read-only here")
	}
	if v := m.View(); !strings.Contains(v, "~ external") || !strings.Contains(v, "env") {
		t.Fatalf("view:\n%s", v)
	}
	_, cmd := send(m, press("o"))
	if msgs := run(t, cmd); len(msgs) != 0 {
		t.Fatalf("o on a read-only profile gave %v", msgs)
	}
}

func TestFilterNarrowsAndClears(t *testing.T) {
	fx := newFixture(120)
	m := startModel(t, fx, Options{}, 80, 24)
	m, _ = send(m, press("/"))
	if !m.accounts.filtering || m.c.keys.Quit.Enabled() {
		t.Fatal("/ should focus the filter and disable q")
	}
	for _, r := range "user01" {
		m, _ = send(m, press(string(r)))
	}
	if n := len(m.accounts.visible); n != 10 {
		t.Fatalf("filter user01 matched %d, want 10", n)
	}
	m, _ = send(m, press("q")) // typed, not quit
	if n := len(m.accounts.visible); n != 0 || m.quitting {
		t.Fatalf("after q: %d visible, quitting %v", n, m.quitting)
	}
	m, _ = send(m, press("backspace"))
	m, _ = send(m, press("enter"))
	if m.accounts.filtering || len(m.accounts.visible) != 10 {
		t.Fatal("enter should keep the filter and leave typing")
	}
	if v := m.View(); !strings.Contains(v, `filter: "user01"  (10 of 120)`) {
		t.Fatalf("view:\n%s", v)
	}
	m, _ = send(m, press("esc"))
	if len(m.accounts.visible) != 120 {
		t.Fatal("esc should clear the filter")
	}
}

func TestScrollKeepsCursorVisible(t *testing.T) {
	fx := newFixture(100)
	m := startModel(t, fx, Options{}, 60, 20)
	for i := 0; i < 30; i++ {
		m, _ = send(m, press("down"))
	}
	if !strings.Contains(m.View(), ">  user030") {
		t.Fatalf("cursor row not visible:\n%s", m.View())
	}
	m, _ = send(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	if !strings.Contains(m.View(), ">  user030") || m.accounts.width != 118 || m.login.width != 118 {
		t.Fatalf("after resize:\n%s", m.View())
	}
}

func TestServersTabAndRemove(t *testing.T) {
	fx := newFixture(2)
	m := startModel(t, fx, Options{}, 80, 24)
	m, _ = send(m, press("tab"))
	v := m.View()
	if !strings.Contains(v, "[Servers (2)]") || !strings.Contains(v, "http://127.0.0.1:4444") || !strings.Contains(v, "https://github.com/login/") {
		t.Fatalf("servers tab:\n%s", v)
	}
	m, _ = settle(t, m, press("d"))
	if m.confirm == nil || !strings.Contains(m.View(), "still has 2 profile(s)") {
		t.Fatalf("remove server confirmation:\n%s", m.View())
	}
	m, _ = settle(t, m, press("y"))
	if got := fx.ps.Calls(); len(got) != 1 || got[0] != "RemoveServer local" {
		t.Fatalf("calls = %q", got)
	}
}

func TestAddServerFormValidatesThenSaves(t *testing.T) {
	fx := newFixture(0)
	m := startModel(t, fx, Options{}, 80, 24)
	if !strings.Contains(m.View(), "Press n to add a server") && !strings.Contains(m.View(), "press l") && !strings.Contains(m.View(), "Press l") {
		t.Fatalf("empty view:\n%s", m.View())
	}
	m, _ = settle(t, m, press("n"))
	if m.active != scrForm {
		t.Fatal("n did not open the form")
	}
	typeIn := func(s string) {
		for _, r := range s {
			m, _ = send(m, press(string(r)))
		}
	}
	typeIn("my server")
	m, _ = send(m, press("tab"))
	typeIn("http://id.example.com")
	m, _ = settle(t, m, press("ctrl+s"))
	v := m.View()
	for _, want := range []string{"no spaces", "plain http is only allowed on loopback", "Client ID", "required"} {
		if !strings.Contains(v, want) {
			t.Errorf("form view lacks %q:\n%s", want, v)
		}
	}
	if len(fx.ps.Calls()) != 0 {
		t.Fatal("an invalid form was saved")
	}
	// q is text in the form.
	if m.quitting || m.c.keys.Quit.Enabled() {
		t.Fatal("q must not quit from the form")
	}
	fill := []string{"work", "https://id.example.com/", "", "", "", "cli-1", "openid,email"}
	for i, v := range fill {
		m.form.inputs[i].SetValue(v)
	}
	m, seen := settle(t, m, press("ctrl+s"))
	if _, ok := hasMsg[serverSavedMsg](seen); !ok {
		t.Fatalf("no serverSavedMsg; form err %v errs %v", m.form.err, m.form.errs)
	}
	if got := fx.ps.Calls(); len(got) != 1 || got[0] != "AddServer work" {
		t.Fatalf("calls = %q", got)
	}
	srv := fx.ps.cfg.Servers[len(fx.ps.cfg.Servers)-1]
	if srv.Issuer != "https://id.example.com" || strings.Join(srv.Scopes, " ") != "openid email" {
		t.Fatalf("saved %+v", srv)
	}
	if m.active != scrAccounts || m.accounts.tab != tabServers || !strings.Contains(m.status, "Added server work") {
		t.Fatalf("after save: screen %v tab %v status %q", m.active, m.accounts.tab, m.status)
	}
}

func TestAddServerErrorStaysOnForm(t *testing.T) {
	fx := newFixture(0)
	fx.ps.errs = map[string]error{"AddServer": errors.New("discovery failed: 404")}
	m := startModel(t, fx, Options{}, 80, 24)
	m, _ = settle(t, m, press("n"))
	for i, v := range []string{"work", "https://id.example.com", "", "", "", "cli-1", ""} {
		m.form.inputs[i].SetValue(v)
	}
	m, _ = settle(t, m, press("ctrl+s"))
	if m.active != scrForm || !strings.Contains(m.View(), "Not saved: discovery failed: 404") {
		t.Fatalf("view:\n%s", m.View())
	}
}

func TestValidateServer(t *testing.T) {
	cases := []struct {
		v    []string
		bad  []int
		name string
	}{
		{[]string{"a", "https://x", "", "", "", "c", ""}, nil, "issuer only"},
		{[]string{"a", "", "https://x/d", "https://x/t", "", "c", ""}, nil, "endpoints"},
		{[]string{"a", "", "https://x/d", "", "", "c", ""}, []int{fieldToken}, "missing token url"},
		{[]string{"a", "", "", "", "", "c", ""}, []int{fieldIssuer, fieldDevice, fieldToken}, "nothing"},
		{[]string{"a", "http://127.0.0.1:8080", "", "", "", "c", ""}, nil, "loopback http"},
		{[]string{"a", "http://evil.example", "", "", "", "c", ""}, []int{fieldIssuer}, "http"},
		{[]string{"a", "https://u:p@x", "", "", "ftp://x", "c d", ""}, []int{fieldIssuer, fieldRevoke, fieldClientID}, "several"},
		{[]string{"", "https://x", "", "", "", "", ""}, []int{fieldName, fieldClientID}, "empty"},
	}
	for _, c := range cases {
		_, errs := validateServer(append([]string(nil), c.v...))
		var got []int
		for i := 0; i < fieldCount; i++ {
			if _, ok := errs[i]; ok {
				got = append(got, i)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(c.bad) {
			t.Errorf("%s: bad fields %v, want %v (%v)", c.name, got, c.bad, errs)
		}
	}
}

func TestWhoamiScreen(t *testing.T) {
	fx := newFixture(2)
	m := startModel(t, fx, Options{}, 80, 24)
	m, _ = settle(t, m, press("w"))
	if m.active != scrWhoami {
		t.Fatal("w did not open whoami")
	}
	v := m.View()
	for _, want := range []string{"alice@example.com", "Alice Red", "openid profile email offline_access", "in 42m00s", "keyring", "http://127.0.0.1:4444", "email_verified"} {
		if !strings.Contains(v, want) {
			t.Errorf("whoami lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "\x1b") {
		t.Error("escape sequence from the server reached the screen")
	}
	// A result for an earlier request is dropped.
	m, _ = send(m, whoamiLoadedMsg{gen: m.whoami.gen - 1, err: errors.New("stale")})
	if strings.Contains(m.View(), "stale") {
		t.Fatal("stale whoami applied")
	}
	m, _ = settle(t, m, press("esc"))
	if m.active != scrAccounts {
		t.Fatal("esc did not go back")
	}
}

func TestTokenMaskedUntilRevealed(t *testing.T) {
	fx := newFixture(2)
	m := startModel(t, fx, Options{}, 80, 24)
	m, _ = settle(t, m, press("t"))
	v := m.View()
	if strings.Contains(v, "SECRET") || !strings.Contains(v, "hidden (20 characters)") {
		t.Fatalf("token not masked:\n%s", v)
	}
	m, _ = send(m, press("v"))
	if !strings.Contains(m.View(), "at-SECRET-0123456789") {
		t.Fatalf("v did not reveal:\n%s", m.View())
	}
	m, _ = settle(t, m, press("c"))
	if len(fx.copies) != 1 || fx.copies[0] != "at-SECRET-0123456789" || !strings.Contains(m.View(), "copied the token") {
		t.Fatalf("copies %q view:\n%s", fx.copies, m.View())
	}
	m, _ = settle(t, m, press("esc"))
	if m.token.res != nil || m.active != scrAccounts {
		t.Fatal("leaving the token screen must forget the token")
	}
}

func TestQuit(t *testing.T) {
	fx := newFixture(1)
	m := startModel(t, fx, Options{}, 80, 24)
	m, cmd := send(m, press("q"))
	if _, ok := hasMsg[tea.QuitMsg](run(t, cmd)); !ok || !m.quitting {
		t.Fatal("q did not quit")
	}
	if res, err := m.finish(); err != nil || res.Cancelled {
		t.Fatalf("finish = %+v, %v", res, err)
	}
}

func TestHelpToggleRelaysOut(t *testing.T) {
	fx := newFixture(40)
	m := startModel(t, fx, Options{}, 80, 24)
	h0 := m.accounts.height
	m, _ = send(m, press("?"))
	if !m.fullHelp || m.accounts.height >= h0 {
		t.Fatalf("full help should shrink the content: %d -> %d", h0, m.accounts.height)
	}
	if v := m.View(); !strings.Contains(v, "page down") || lipgloss.Height(v) != 24 {
		t.Fatalf("full help view (%d lines):\n%s", lipgloss.Height(v), v)
	}
}

// --- login ---

func loginModelAt(t *testing.T, fx *fixture, w, h int) model {
	t.Helper()
	return startModel(t, fx, Options{Start: ScreenLogin, Server: testServer()}, w, h)
}

func TestLoginCodeArrivesAndPolls(t *testing.T) {
	fx := newFixture(0)
	m := loginModelAt(t, fx, 80, 24)
	l := m.login
	if l.state != loginWaiting || l.code.UserCode != "BCDF-GHSZ" || l.interval != 5*time.Second || !l.nextPoll.Equal(t0.Add(5*time.Second)) {
		t.Fatalf("after code: %+v", l)
	}
	if len(fx.opens) != 1 || fx.opens[0] != "http://127.0.0.1:4444/device?user_code=BCDF-GHSZ" {
		t.Fatalf("browser opened %q", fx.opens)
	}
	if fx.flow.polls.Load() != 0 {
		t.Fatal("polled before the interval")
	}
	fx.clock.Add(5 * time.Second)
	m, seen := settle(t, m, pollDueMsg{gen: m.login.gen})
	res, ok := hasMsg[pollResultMsg](seen)
	if !ok || !errors.Is(res.err, auth.ErrAuthorizationPending) || fx.flow.polls.Load() != 1 {
		t.Fatalf("poll: %v", seen)
	}
	if m.login.polls != 1 || !m.login.nextPoll.Equal(t0.Add(10*time.Second)) || !strings.Contains(m.login.last, "pending") {
		t.Fatalf("after pending: polls %d next %v last %q", m.login.polls, m.login.nextPoll, m.login.last)
	}
	v := m.View()
	for _, want := range []string{"1 poll(s)", "next in 5s", "pending", "9m55s left", "Code: BCDF-GHSZ", "B, S, Z are letters", "Page: http://127.0.0.1:4444/device"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	// A clock tick updates the countdown.
	fx.clock.Add(3 * time.Second)
	m, _ = send(m, clockMsg{gen: m.login.gen, at: fx.clock.Now()})
	if !strings.Contains(m.View(), "next in 2s") {
		t.Fatalf("countdown not updated:\n%s", m.View())
	}
	// Copy the code.
	m, _ = settle(t, m, press("c"))
	if len(fx.copies) != 1 || fx.copies[0] != "BCDF-GHSZ" || !strings.Contains(m.View(), "copied the code") {
		t.Fatalf("copy: %q", fx.copies)
	}
	// Enter opens the browser again.
	_, _ = settle(t, m, press("enter"))
	if len(fx.opens) != 2 {
		t.Fatalf("enter opened %q", fx.opens)
	}
}

func TestLoginSlowDownAndTransient(t *testing.T) {
	fx := newFixture(0)
	fx.flow.answers = []pollAnswer{
		{err: &auth.SlowDownError{Interval: 10 * time.Second}},
		{err: &auth.TransientError{Err: errors.New("503 Service Unavailable"), Status: 503}},
		{err: &auth.TransientError{Err: errors.New("429"), Status: 429, RetryAfter: 45 * time.Second}},
		{err: auth.ErrAuthorizationPending},
	}
	m := loginModelAt(t, fx, 80, 24)
	poll := func() {
		t.Helper()
		m, _ = settle(t, m, pollDueMsg{gen: m.login.gen})
	}
	poll()
	if m.login.interval != 10*time.Second || !strings.Contains(m.login.last, "now every 10s") {
		t.Fatalf("slow_down: interval %v last %q", m.login.interval, m.login.last)
	}
	poll()
	if !m.login.lastBad || !m.login.nextPoll.Equal(t0.Add(10*time.Second)) || !strings.Contains(m.View(), "! Last answer: temporary error") {
		t.Fatalf("transient: next %v view:\n%s", m.login.nextPoll.Sub(t0), m.View())
	}
	poll()
	if got := m.login.nextPoll.Sub(t0); got != 45*time.Second {
		t.Fatalf("Retry-After not honoured: next poll in %v", got)
	}
	poll()
	if m.login.lastBad || m.login.streak != 0 || m.login.state != loginWaiting || m.login.polls != 4 {
		t.Fatalf("recovery: %+v", m.login)
	}
}

// TestLoginBackoffCapped: a run of transient failures backs off like
// auth.WaitDevice, up to auth.BackoffCap of the interval and no further.
func TestLoginBackoffCapped(t *testing.T) {
	fx := newFixture(0)
	fx.flow.answers = nil
	for range 6 {
		fx.flow.answers = append(fx.flow.answers, pollAnswer{err: &auth.TransientError{Err: errors.New("503 Service Unavailable"), Status: 503}})
	}
	m := loginModelAt(t, fx, 80, 24)
	limit := auth.BackoffCap(5 * time.Second)
	var delays []time.Duration
	for range 6 {
		m, _ = settle(t, m, pollDueMsg{gen: m.login.gen})
		delays = append(delays, m.login.nextPoll.Sub(t0))
	}
	want := []time.Duration{5 * time.Second, 10 * time.Second, limit, limit, limit, limit}
	if fmt.Sprint(delays) != fmt.Sprint(want) {
		t.Fatalf("delays %v, want %v (doubling from the interval up to the cap)", delays, want)
	}
}

func TestLoginStaleResultsDropped(t *testing.T) {
	fx := newFixture(0)
	m := loginModelAt(t, fx, 80, 24)
	gen := m.login.gen
	m, _ = send(m, pollResultMsg{gen: gen - 1, err: auth.ErrAccessDenied, at: t0})
	m, _ = send(m, deviceCodeMsg{gen: gen - 1, code: &auth.DeviceCode{UserCode: "XXXX-XXXX"}})
	m, _ = send(m, pollDueMsg{gen: gen - 1})
	m, _ = send(m, loginSavedMsg{gen: gen - 1, profile: profiles.Profile{Name: "mallory"}})
	if m.login.state != loginWaiting || m.login.code.UserCode != "BCDF-GHSZ" || m.login.polls != 0 || m.result.LoggedIn != nil || fx.flow.polls.Load() != 0 {
		t.Fatalf("stale messages changed the login: %+v", m.login)
	}
}

func TestLoginDeniedThenRetry(t *testing.T) {
	fx := newFixture(0)
	fx.flow.answers = []pollAnswer{{err: auth.ErrAccessDenied}}
	m := loginModelAt(t, fx, 80, 24)
	m, _ = settle(t, m, pollDueMsg{gen: m.login.gen})
	if m.login.state != loginFailed || m.login.fail != failDenied {
		t.Fatalf("state %v", m.login.state)
	}
	if v := m.View(); !strings.Contains(v, "Access denied") || !strings.Contains(v, "Press r to try again") || !m.c.keys.Login.Retry.Enabled() {
		t.Fatalf("denied view:\n%s", v)
	}
	if m.login.ctx.Err() == nil {
		t.Fatal("the failed attempt's context is still live")
	}
	fx.flow.answers = []pollAnswer{{err: auth.ErrAuthorizationPending}}
	m, _ = settle(t, m, press("r"))
	if m.login.state != loginWaiting || m.login.code.UserCode != "RTRY-0002" || m.login.polls != 0 {
		t.Fatalf("retry: state %v code %q", m.login.state, m.login.code.UserCode)
	}
	if _, err := m.finish(); !errors.Is(err, ErrCancelled) {
		// not finished yet; a quit now counts as cancelled
		t.Fatalf("finish mid-login = %v", err)
	}
}

func TestLoginExpiresOnClock(t *testing.T) {
	fx := newFixture(0)
	m := loginModelAt(t, fx, 80, 24)
	fx.clock.Add(10 * time.Minute)
	m, cmd := send(m, clockMsg{gen: m.login.gen, at: fx.clock.Now()})
	if m.login.state != loginFailed || m.login.fail != failExpired || cmd != nil {
		t.Fatalf("expiry: state %v fail %v", m.login.state, m.login.fail)
	}
	if !strings.Contains(m.View(), "The code expired") {
		t.Fatalf("view:\n%s", m.View())
	}
	if _, err := m.finish(); !errors.Is(err, auth.ErrExpiredToken) {
		t.Fatalf("finish = %v, want the expiry", err)
	}
}

func TestLoginEscCancelsPolling(t *testing.T) {
	fx := newFixture(0)
	fx.flow.gate = make(chan struct{})
	m := loginModelAt(t, fx, 80, 24)
	m, cmd := send(m, pollDueMsg{gen: m.login.gen})
	ctx := m.login.ctx
	done := make(chan tea.Msg, 1)
	pollCmd := cmd
	go func() { done <- pollCmd() }() // a poll in flight
	m, cmd = send(m, press("esc"))
	if ctx.Err() == nil {
		t.Fatal("esc did not cancel the poll's context")
	}
	res := (<-done).(pollResultMsg)
	if !errors.Is(res.err, context.Canceled) {
		t.Fatalf("poll in flight returned %v", res.err)
	}
	m, _ = send(m, res)
	if m.login.polls != 0 {
		t.Fatal("the cancelled poll's result was counted")
	}
	// Started on the login screen, esc ends the program as cancelled.
	m, seen := settle(t, m, run(t, cmd)[0])
	if _, ok := hasMsg[tea.QuitMsg](seen); !ok {
		t.Fatalf("esc did not quit: %v", seen)
	}
	if res, err := m.finish(); !errors.Is(err, ErrCancelled) || !res.Cancelled {
		t.Fatalf("finish = %+v, %v", res, err)
	}
	// A late timer does not start another poll.
	_, cmd = send(m, pollDueMsg{gen: m.login.gen - 1})
	if cmd != nil {
		t.Fatal("a poll was scheduled after cancel")
	}
}

func TestLoginSuccessSavesAndReportsInsecureStorage(t *testing.T) {
	fx := newFixture(0)
	fx.ps.saveInfo = profiles.SaveInfo{Storage: profiles.StorageFile, InsecureStorage: true, FallbackReason: "no session bus", Path: "/home/a/.config/authdeck/credentials.json"}
	tok := &oauth2.Token{AccessToken: "at", RefreshToken: "rt", Expiry: t0.Add(time.Hour)}
	fx.flow.answers = []pollAnswer{{tok: tok}}
	m := loginModelAt(t, fx, 80, 24)
	m, seen := settle(t, m, pollDueMsg{gen: m.login.gen})
	if _, ok := hasMsg[loginSavedMsg](seen); !ok {
		t.Fatalf("no save: %v", seen)
	}
	if got := fx.ps.Calls(); len(got) != 1 || got[0] != "SaveLogin local alice" {
		t.Fatalf("calls %q", got)
	}
	if m.login.state != loginDone || m.result.LoggedIn == nil || m.result.LoggedIn.Name != "alice" {
		t.Fatalf("state %v result %+v", m.login.state, m.result)
	}
	v := strings.Join(strings.Fields(m.View()), " ")
	for _, want := range []string{"✓ Logged in as alice <alice@example.com>", "PLAIN FILE", "credentials.json", "no keyring was available", "session bus"} {
		if !strings.Contains(v, want) {
			t.Errorf("success view lacks %q:\n%s", want, m.View())
		}
	}
	if res, err := m.finish(); err != nil || res.LoggedIn == nil {
		t.Fatalf("finish = %+v %v", res, err)
	}
	m, _ = settle(t, m, press("enter"))
	if m.active != scrAccounts || !strings.Contains(m.View(), "alice") {
		t.Fatalf("enter after success:\n%s", m.View())
	}
}

func TestLoginFromAccountsUsesSelectedServer(t *testing.T) {
	fx := newFixture(2)
	m := startModel(t, fx, Options{}, 80, 24)
	m, _ = send(m, press("tab"))
	m, _ = send(m, press("down")) // github
	var gotServer string
	fx.deps.Flow = func(s profiles.Server) deviceFlow { gotServer = s.Name; return fx.flow }
	m.login.deps = fx.deps
	m, _ = settle(t, m, press("l"))
	if m.active != scrLogin || gotServer != "github" || m.login.state != loginWaiting {
		t.Fatalf("l on servers tab: screen %v server %q state %v", m.active, gotServer, m.login.state)
	}
	// The verification page is on another host than the server: warn.
	if v := words(m.View()); !strings.Contains(v, "The verification page is on 127.0.0.1, not on the server's host github.com") {
		t.Fatalf("no host warning:\n%s", m.View())
	}
	m, _ = settle(t, m, press("esc"))
	if m.active != scrAccounts || m.quitting || m.login.ctx.Err() == nil {
		t.Fatal("esc from a login started on accounts goes back and cancels")
	}
}

func TestLoginStartError(t *testing.T) {
	fx := newFixture(0)
	fx.flow.startErr = errors.New("device authorization failed: invalid_client")
	m := loginModelAt(t, fx, 80, 24)
	if m.login.state != loginFailed || !strings.Contains(m.View(), "could not get a code: device authorization failed: invalid_client") {
		t.Fatalf("view:\n%s", m.View())
	}
}
