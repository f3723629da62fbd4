package tui

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/profiles"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"golang.org/x/oauth2"
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
	if v := words(m.View()); !strings.Contains(v, "The verification page is on auth.other.example, not on the server's host 127.0.0.1") {
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

func TestRemoveProfileConfirmation(t *testing.T) {
	fx := newFixture(3)
	m := startModel(t, fx, Options{}, 100, 30)
	m, _ = send(m, press("down"))
	m, _ = settle(t, m, press("d"))
	if m.confirm == nil {
		t.Fatal("d did not ask for confirmation")
	}
	v := strings.Join(strings.Fields(strings.ReplaceAll(m.View(), "║", " ")), " ")
	for _, want := range []string{`Remove profile "user001"?`, "deletes the profile user001 and its stored tokens from this computer",
		"not revoked at the server", "y = yes, remove", "no (default)"} {
		if !strings.Contains(v, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, m.View())
		}
	}
	m, _ = settle(t, m, press("esc"))
	if len(fx.ps.Calls()) != 0 || m.confirm != nil {
		t.Fatalf("esc must answer no: %q", fx.ps.Calls())
	}
	m, _ = settle(t, m, press("d"))
	m, _ = settle(t, m, press("y"))
	if got := fx.ps.Calls(); len(got) != 1 || got[0] != "Remove user001" {
		t.Fatalf("calls = %q", got)
	}
	if !strings.Contains(m.status, "Removed profile user001") {
		t.Fatalf("status %q", m.status)
	}
}

func TestErrorPaths(t *testing.T) {
	boom := func(s string) error { return errorString(s + " \x1b[31mfailed\x1b[0m") }
	t.Run("whoami", func(t *testing.T) {
		fx := newFixture(1)
		fx.ps.errs = map[string]error{"WhoAmI": boom("userinfo")}
		m := startModel(t, fx, Options{}, 80, 24)
		m, _ = settle(t, m, press("w"))
		if v := m.View(); !strings.Contains(v, "✗ Could not read the identity of user000") || !strings.Contains(v, "userinfo failed") || strings.Contains(v, "\x1b[31m") {
			t.Fatalf("view:\n%s", v)
		}
	})
	t.Run("token", func(t *testing.T) {
		fx := newFixture(1)
		fx.ps.errs = map[string]error{"Token": boom("refresh")}
		m := startModel(t, fx, Options{}, 80, 24)
		m, _ = settle(t, m, press("t"))
		v := m.View()
		if !strings.Contains(v, "✗ Could not read the token") || !strings.Contains(v, "refresh failed") || m.c.keys.Token.Copy.Enabled() {
			t.Fatalf("view:\n%s", v)
		}
	})
	t.Run("copy", func(t *testing.T) {
		fx := newFixture(1)
		fx.deps.Copy = func(string) (string, error) { return "", boom("xclip") }
		m := startModel(t, fx, Options{}, 80, 24)
		m, _ = settle(t, m, press("t"))
		m, _ = settle(t, m, press("c"))
		if v := m.View(); !strings.Contains(v, "✗ could not copy: xclip failed") {
			t.Fatalf("view:\n%s", v)
		}
		if m, _ = settle(t, m, press("esc")); m.active != scrAccounts {
			t.Fatal("esc did not leave the token screen")
		}
		// No clipboard at all.
		fx.deps.Copy = nil
		m2 := startModel(t, fx, Options{Start: ScreenLogin, Server: testServer()}, 80, 24)
		m2, _ = settle(t, m2, press("c"))
		if v := m2.View(); !strings.Contains(v, "✗ could not copy: no clipboard available") {
			t.Fatalf("view:\n%s", v)
		}
	})
	t.Run("open browser", func(t *testing.T) {
		fx := newFixture(0)
		fx.deps.OpenURL = func(string) error { return boom("xdg-open") }
		m := startModel(t, fx, Options{Start: ScreenLogin, Server: testServer()}, 100, 30)
		if v := m.View(); !strings.Contains(words(v), "✗ could not open a browser (xdg-open failed): open the URL yourself") {
			t.Fatalf("view:\n%s", v)
		}
		// The code stays on screen and polling goes on.
		if m.login.state != loginWaiting || !strings.Contains(m.View(), "Code: BCDF-GHSZ") {
			t.Fatalf("state %v", m.login.state)
		}
	})
	t.Run("save failed", func(t *testing.T) {
		fx := newFixture(0)
		fx.ps.errs = map[string]error{"SaveLogin": boom("keyring")}
		fx.flow.answers = []pollAnswer{{tok: &oauth2.Token{AccessToken: "at", Expiry: t0.Add(time.Hour)}}}
		m := startModel(t, fx, Options{Start: ScreenLogin, Server: testServer()}, 80, 24)
		m, seen := settle(t, m, pollDueMsg{gen: m.login.gen})
		if saved, ok := hasMsg[loginSavedMsg](seen); !ok || saved.err == nil {
			t.Fatalf("no failed loginSavedMsg in %v", seen)
		}
		v := strings.Join(strings.Fields(m.View()), " ")
		if m.login.state != loginFailed || !strings.Contains(v, "Login failed") || !strings.Contains(v, "approved, but saving the login failed: keyring failed") {
			t.Fatalf("view:\n%s", m.View())
		}
		if m.result.LoggedIn != nil {
			t.Fatal("a failed save counts as logged in")
		}
		if _, err := m.finish(); err == nil || !strings.Contains(err.Error(), "saving the login failed") {
			t.Fatalf("finish = %v", err)
		}
	})
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestAccountsClockUpdatesTimes(t *testing.T) {
	fx := newFixture(3)
	m := startModel(t, fx, Options{}, 100, 24)
	// user002 expires at t0+2m: expiring 2m.
	if v := m.View(); !strings.Contains(v, "! expires in 2m") {
		t.Fatalf("before:\n%s", v)
	}
	m, cmd := send(m, accountsClockMsg{at: t0.Add(90 * time.Second)})
	if cmd == nil {
		t.Fatal("the clock is not re-armed")
	}
	if !m.accounts.now.Equal(t0.Add(90 * time.Second)) {
		t.Fatalf("now = %v", m.accounts.now)
	}
	if v := m.View(); !strings.Contains(v, "! expires in 30s") {
		t.Fatalf("after 90s:\n%s", v)
	}
	m, _ = send(m, accountsClockMsg{at: t0.Add(3 * time.Minute)})
	if v := m.View(); !strings.Contains(v, "↻ refreshable") || strings.Contains(v, "expires in 30s") {
		t.Fatalf("after 3m:\n%s", v)
	}
}

// overlapWriter fails when two Writes run at once, and records each Write.
type overlapWriter struct {
	busy    atomic.Int32
	overlap atomic.Bool
	mu      sync.Mutex
	writes  []string
}

func (w *overlapWriter) Write(p []byte) (int, error) {
	if w.busy.Add(1) > 1 {
		w.overlap.Store(true)
	}
	for i := 0; i < 50; i++ {
		runtime.Gosched() // widen the window another writer could use
	}
	w.mu.Lock()
	w.writes = append(w.writes, string(p))
	w.mu.Unlock()
	w.busy.Add(-1)
	return len(p), nil
}

// The OSC 52 copy (a command's goroutine) and the renderer's frames share
// the locked output: no Write runs inside another, and the copy is one
// whole sequence in one Write.
func TestOSC52SharesTheLockedOutput(t *testing.T) {
	w := &overlapWriter{}
	out := lockOutput(w)
	cp := systemCopy(out, func(string) string { return "" }, true) // over SSH: OSC 52
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			_, _ = io.WriteString(out, "\x1b[H"+strings.Repeat("frame line\r\n", 20))
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 20; i++ {
			if via, err := cp("s3cret"); err != nil || !strings.Contains(via, "OSC 52") {
				t.Errorf("copy = %q, %v", via, err)
			}
		}
	}()
	wg.Wait()
	if w.overlap.Load() {
		t.Fatal("two writes to the terminal ran at once")
	}
	want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte("s3cret")) + "\a"
	n := 0
	for _, s := range w.writes {
		if strings.Contains(s, "\x1b]52") {
			if s != want {
				t.Fatalf("OSC 52 write = %q, want %q", s, want)
			}
			n++
		}
	}
	if n != 20 {
		t.Fatalf("%d OSC 52 writes, want 20", n)
	}
	// The unlocked writer does overlap (the test can fail).
	raw := &overlapWriter{}
	var wg2 sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			for i := 0; i < 200; i++ {
				_, _ = raw.Write([]byte("x"))
			}
		}()
	}
	wg2.Wait()
	if !raw.overlap.Load() {
		t.Skip("could not make unlocked writes overlap on this machine")
	}
}

// A terminal file keeps its Fd through the lock (Bubble Tea needs it for
// the window size and raw mode).
func TestLockOutputKeepsTerminalFile(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lw := lockOutput(f)
	fd, ok := lw.(interface{ Fd() uintptr })
	if !ok || fd.Fd() != f.Fd() {
		t.Fatal("lockOutput hid the file's Fd")
	}
	if _, ok := lockOutput(&strings.Builder{}).(interface{ Fd() uintptr }); ok {
		t.Fatal("a plain writer gained an Fd")
	}
}

// The host's theme colours the title, the active tab and the selection;
// the zero theme is authdeck's.
func TestThemeColours(t *testing.T) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	r.SetHasDarkBackground(true)
	fg := func(hex string) string { return r.NewStyle().Bold(true).Foreground(lipgloss.Color(hex)).Render("x") }
	def := defaultStyles(r, Theme{})
	if got := def.Title.Render("x"); got != fg("#B4A5FF") {
		t.Fatalf("default title = %q, want %q", got, fg("#B4A5FF"))
	}
	th := Theme{Accent: "#004488", AccentDark: "#FF8800", HighlightDark: "#112233"}
	st := defaultStyles(r, th)
	if got := st.Title.Render("x"); got != fg("#FF8800") {
		t.Fatalf("themed title = %q", got)
	}
	if got, want := st.TabActive.Render("x"), r.NewStyle().Bold(true).Underline(true).Foreground(lipgloss.Color("#FF8800")).Render("x"); got != want {
		t.Fatalf("themed tab = %q, want %q", got, want)
	}
	if got, want := st.Selected.Render("x"), r.NewStyle().Background(lipgloss.Color("#112233")).Bold(true).Render("x"); got != want {
		t.Fatalf("themed selection = %q, want %q", got, want)
	}
	r.SetHasDarkBackground(false)
	if got := defaultStyles(r, th).Title.Render("x"); got != fg("#004488") {
		t.Fatalf("themed title on light = %q", got)
	}
	// Through the program: Options.Theme reaches the header.
	fx := newFixture(1)
	fx.deps.Renderer = r
	m := startModel(t, fx, Options{Theme: th}, 80, 24)
	if v := m.View(); !strings.Contains(v, strings.TrimSuffix(fg("#004488"), "x\x1b[0m")) {
		t.Fatalf("Options.Theme not used:\n%q", v)
	}
}

// Run draws on Options.Output and reads Options.Input, never the
// process's streams, and refuses to guess them.
func TestRunOnGivenStreams(t *testing.T) {
	m, err := profiles.Open(profiles.App{Name: "acme", ConfigDir: t.TempDir(), Secrets: profiles.NewMemSecrets()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), m, Options{}); err == nil || !strings.Contains(err.Error(), "Options.Input and Options.Output") {
		t.Fatalf("Run without streams = %v", err)
	}
	in, inW := io.Pipe()
	var out safeBuffer
	done := make(chan error, 1)
	go func() {
		_, err := Run(context.Background(), m, Options{Input: in, Output: &out, Getenv: func(string) string { return "" }})
		done <- err
	}()
	// The program is up once its first frame (the placeholder: a pipe
	// has no window size) is on the output.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "starting"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no first frame on Options.Output: %q", out.String())
		}
	}
	if _, err := inW.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("q on Options.Input did not quit")
	}
	if !strings.Contains(out.String(), "\x1b[?1049h") {
		t.Fatalf("the alt screen was not entered on Options.Output: %q", out.String())
	}
}

// safeBuffer is a bytes.Buffer safe for one writer and one reader.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Update derives the bindings into a fresh key map: a model value from
// before keeps its own, unchanged (no key map shared between model values
// is written).
func TestKeyMapNotSharedBetweenUpdates(t *testing.T) {
	fx := newFixture(3)
	m := startModel(t, fx, Options{}, 80, 24)
	before := m
	if !before.c.keys.Quit.Enabled() || !before.accounts.keys.Quit.Enabled() {
		t.Fatal("q disabled on the accounts screen")
	}
	m, _ = send(m, press("/")) // typing: q is text now
	if m.c.keys.Quit.Enabled() || m.accounts.keys.Quit.Enabled() || m.login.keys.Quit.Enabled() {
		t.Fatal("q still enabled while filtering")
	}
	if !before.c.keys.Quit.Enabled() || !before.accounts.keys.Quit.Enabled() || !before.c.keys.Accounts.Filter.Enabled() {
		t.Fatal("an Update changed the key map of an earlier model value")
	}
	if !strings.Contains(before.helpView(), "q quit") {
		t.Fatalf("the earlier model's help changed: %s", before.helpView())
	}
}

// A styled line is cut by the cells it shows, never inside an escape
// sequence: the host line of a login on a colour terminal was cut to
// "Host: 127.0.0." by counting its escape bytes as cells.
func TestTruncStyled(t *testing.T) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	c := common{styles: defaultStyles(r, Theme{}), keys: defaultKeyMap(), dark: true}
	hl := newLogin(c, newFixture(0).deps).hostLine("http://127.0.0.1:44765/device")
	if got := trunc(hl, 64); got != hl {
		t.Fatalf("trunc(%q, 64) = %q, want it whole", hl, got)
	}
	if got := stripANSI(trunc(hl, 10)); got != "Host: 127…" {
		t.Fatalf("trunc to 10 cells shows %q, want %q", got, "Host: 127…")
	}
	if got := width(hl); got != len("Host: 127.0.0.1") {
		t.Fatalf("width = %d, want %d", got, len("Host: 127.0.0.1"))
	}
	if got := cell(hl, 20); width(got) != 20 {
		t.Fatalf("cell pads to %d cells, want 20", width(got))
	}
}
