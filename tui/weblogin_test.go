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
	"github.com/charmbracelet/x/exp/teatest"
	"golang.org/x/oauth2"
)

// startWeb builds a model on the login screen of a web-only server and
// runs the start of the browser sign-in.
func startWeb(t *testing.T, fx *fixture, w, h int) model {
	t.Helper()
	m := startModel(t, fx.withWeb(), Options{Start: ScreenLogin, Server: webServer()}, w, h)
	if m.login.state != loginWaiting || !m.login.web {
		t.Fatalf("login state %v web %v, want waiting for the browser", m.login.state, m.login.web)
	}
	return m
}

// joinedURL reads the address back from the "u" view: the lines after the
// heading, trimmed and joined.
func joinedURL(view string) string {
	lines := strings.Split(view, "\n")
	var b strings.Builder
	on := false
	for _, l := range lines {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "Sign-in address"):
			on = true
		case on && strings.HasPrefix(l, "http"), on && b.Len() > 0 && l != "" && !strings.Contains(l, " "):
			b.WriteString(l)
		case on && b.Len() > 0:
			return b.String()
		}
	}
	return b.String()
}

func TestWebLoginChosenByServerOrOption(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server profiles.Server
		web    bool
		want   bool
	}{
		{"web-only server", webServer(), false, true},
		{"device server, Web asked", testServer(), true, true},
		{"device server", testServer(), false, false},
		{"both endpoints", func() profiles.Server { s := webServer(); s.DeviceAuthURL = "http://127.0.0.1:4444/device"; return s }(), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(0).withWeb()
			if tc.server.Issuer != "" {
				// The device fixture's server has only an issuer: give it
				// both flows' endpoints.
				tc.server.DeviceAuthURL, tc.server.TokenURL = "http://127.0.0.1:4444/device", "http://127.0.0.1:4444/token"
				tc.server.AuthURL = "http://127.0.0.1:4444/auth"
			}
			m := startModel(t, fx, Options{Start: ScreenLogin, Server: tc.server, Web: tc.web}, 100, 30)
			if m.login.web != tc.want || (len(fx.webs) == 1) != tc.want || (fx.flow.starts.Load() == 1) == tc.want {
				t.Fatalf("web=%v, %d web flows, %d device codes; want web=%v", m.login.web, len(fx.webs), fx.flow.starts.Load(), tc.want)
			}
		})
	}
}

func TestWebLoginStartedOpensBrowserAndShowsURL(t *testing.T) {
	fx := newFixture(0)
	m := startWeb(t, fx, 100, 40)
	f := fx.web(0)
	if len(fx.opens) != 1 || fx.opens[0] != f.authURL {
		t.Fatalf("opened %q, want the authorization URL", fx.opens)
	}
	if fx.webOpts[0].AppName != "authdeck" {
		t.Errorf("WebOptions = %+v", fx.webOpts[0])
	}
	v := m.View()
	for _, want := range []string{"Waiting for the browser", "Sign in on this page", "10m00s left", f.redirect, "c copy URL", "u URL only", "esc cancel"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "paste") {
		t.Errorf("a local sign-in offers to paste:\n%s", v)
	}
	// Time left follows the clock.
	fx.clock.Add(4 * time.Minute)
	m, _ = send(m, clockMsg{gen: m.login.gen, at: fx.clock.Now()})
	if v := m.View(); !strings.Contains(v, "6m00s left") {
		t.Errorf("after 4 minutes:\n%s", v)
	}
	// u shows the address alone, all of it.
	m, _ = send(m, press("u"))
	if got := joinedURL(m.View()); got != f.authURL {
		t.Errorf("u view gives %q, want %q\n%s", got, f.authURL, m.View())
	}
	m, _ = send(m, press("u"))
	if !strings.Contains(m.View(), "Waiting for the browser") {
		t.Error("u did not toggle back")
	}
	// c copies the address; enter opens the browser again.
	m, _ = settle(t, m, press("c"))
	if len(fx.copies) != 1 || fx.copies[0] != f.authURL || !strings.Contains(m.View(), "copied the sign-in address to the clipboard") {
		t.Errorf("copies %q, view:\n%s", fx.copies, m.View())
	}
	_, _ = settle(t, m, press("enter"))
	if len(fx.opens) != 2 {
		t.Errorf("enter opened %d times in all, want 2", len(fx.opens))
	}
}

func TestWebLoginNoBrowserDoesNotOpen(t *testing.T) {
	fx := newFixture(0).withWeb()
	_ = startModel(t, fx, Options{Start: ScreenLogin, Server: webServer(), NoBrowser: true}, 100, 30)
	if len(fx.opens) != 0 {
		t.Fatalf("--no-browser opened %q", fx.opens)
	}
}

func TestWebLoginDoneSaves(t *testing.T) {
	fx := newFixture(0)
	fx.ps.saveInfo = profiles.SaveInfo{Storage: profiles.StorageFile, InsecureStorage: true, Path: "/home/a/credentials.json"}
	m := startWeb(t, fx, 100, 30)
	tok := &oauth2.Token{AccessToken: "at-web", Expiry: t0.Add(time.Hour)}
	m, _ = settle(t, m, webDoneMsg{gen: m.login.gen, tok: tok})
	if m.login.state != loginDone || m.result.LoggedIn == nil || m.result.LoggedIn.Name != "alice" {
		t.Fatalf("state %v, result %+v", m.login.state, m.result)
	}
	if calls := fx.ps.Calls(); len(calls) != 1 || calls[0] != "SaveLogin webonly alice" || fx.ps.saved[0] != tok {
		t.Fatalf("calls %q", calls)
	}
	v := m.View()
	for _, want := range []string{"Logged in as alice", "PLAIN FILE", "/home/a/credentials.json"} {
		if !strings.Contains(v, want) {
			t.Errorf("success view lacks %q:\n%s", want, v)
		}
	}
	if res, err := m.finish(); err != nil || res.LoggedIn == nil {
		t.Errorf("finish = %+v, %v", res, err)
	}
}

func TestWebLoginFailuresOfferRetry(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w: %w", auth.ErrAccessDenied, &auth.OAuthError{Code: "access_denied"}), "Sign-in declined"},
		{auth.ErrWebTimeout, "timed out"},
		{errors.New("exchanging the authorization code: invalid_grant"), "invalid_grant"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			fx := newFixture(0)
			m := startWeb(t, fx, 80, 24)
			m, _ = settle(t, m, webDoneMsg{gen: m.login.gen, err: tc.err})
			if m.login.state != loginFailed || !strings.Contains(m.View(), tc.want) || !strings.Contains(m.View(), "r retry") {
				t.Fatalf("state %v, view:\n%s", m.login.state, m.View())
			}
			if _, err := m.finish(); !errors.Is(err, tc.err) {
				t.Errorf("finish error %v, want %v", err, tc.err)
			}
			// r starts a new flow (closing the old one's listener).
			m, _ = settle(t, m, press("r"))
			if len(fx.webs) != 2 || m.login.state != loginWaiting || fx.web(0).closes.Load() != 1 {
				t.Fatalf("after r: %d flows, state %v, first closed %d times", len(fx.webs), m.login.state, fx.web(0).closes.Load())
			}
		})
	}
}

func TestWebLoginEscClosesFlowAndDropsStale(t *testing.T) {
	fx := newFixture(0)
	m := startWeb(t, fx, 80, 24)
	f := fx.web(0)
	gen := m.login.gen
	m, cmd := send(m, press("esc"))
	if f.closes.Load() != 0 {
		t.Fatal("Close ran inside Update")
	}
	msgs := run(t, cmd)
	if f.closes.Load() != 1 {
		t.Fatalf("esc closed the flow %d times, want 1", f.closes.Load())
	}
	if _, ok := hasMsg[loginCancelledMsg](msgs); !ok {
		t.Fatalf("esc gave %#v, want loginCancelledMsg after Close", msgs)
	}
	// The flow's own end (ErrWebClosed) arrives with the old generation.
	m, cmd = send(m, webDoneMsg{gen: gen, err: auth.ErrWebClosed})
	if cmd != nil || m.login.state != loginIdle {
		t.Fatalf("a stale result changed the login: state %v", m.login.state)
	}
	m, _ = send(m, msgs[0])
	if !m.quitting {
		t.Fatal("cancelling a login started with ScreenLogin should quit")
	}
	if _, err := m.finish(); err != ErrCancelled {
		t.Fatalf("finish: %v", err)
	}
}

func TestWebLoginCancelFromAccounts(t *testing.T) {
	fx := newFixture(1).withWeb()
	fx.ps.cfg.Servers = []profiles.Server{webServer()}
	m := startModel(t, fx, Options{}, 100, 30)
	m, _ = send(m, press("tab"))
	m, _ = settle(t, m, press("l"))
	if m.active != scrLogin || !m.login.web || m.login.state != loginWaiting {
		t.Fatalf("l on a web-only server: active %v web %v state %v", m.active, m.login.web, m.login.state)
	}
	m, _ = settle(t, m, press("esc"))
	if m.active != scrAccounts || m.status != "Login cancelled." || fx.web(0).closes.Load() != 1 || m.quitting {
		t.Fatalf("after esc: active %v status %q closes %d", m.active, m.status, fx.web(0).closes.Load())
	}
}

func TestWebLoginClosedFlowIsCancelled(t *testing.T) {
	fx := newFixture(0)
	m := startWeb(t, fx, 80, 24)
	m, _ = settle(t, m, webDoneMsg{gen: m.login.gen, err: auth.ErrWebClosed})
	if !m.quitting || !m.result.Cancelled {
		t.Fatalf("ErrWebClosed: quitting %v result %+v", m.quitting, m.result)
	}
}

func TestWebLoginStaleStartIsClosed(t *testing.T) {
	fx := newFixture(0)
	m := startWeb(t, fx, 80, 24)
	stale := newFakeWeb(t0)
	m2, cmd := send(m, webStartedMsg{gen: m.login.gen - 1, flow: stale, at: t0})
	run(t, cmd)
	if stale.closes.Load() != 1 {
		t.Fatal("a flow started for an older attempt was not closed")
	}
	if m2.login.webFlow != m.login.webFlow {
		t.Fatal("a stale start replaced the flow")
	}
	// A start error fails the login with the reason.
	fx2 := newFixture(0).withWeb()
	fx2.webErr = errors.New("cannot listen on the loopback interface")
	m3 := startModel(t, fx2, Options{Start: ScreenLogin, Server: webServer()}, 80, 24)
	if m3.login.state != loginFailed || !strings.Contains(m3.View(), "cannot listen on the loopback") {
		t.Fatalf("start error: state %v\n%s", m3.login.state, m3.View())
	}
}

func TestWebLoginPasteOverSSH(t *testing.T) {
	fx := newFixture(0)
	fx.deps.Remote = true
	m := startWeb(t, fx, 100, 40)
	f := fx.web(0)
	if len(fx.opens) != 0 {
		t.Fatalf("over SSH the browser was opened here: %q", fx.opens)
	}
	v := m.View()
	for _, want := range []string{"Over SSH", f.redirect, "p paste address", "on your own computer"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "open browser") {
		t.Errorf("over SSH, enter should not offer to open a browser here:\n%s", v)
	}
	// A paste anywhere goes to the field; q is text there, not quit.
	bad := strings.Replace(f.goodPaste, "ST4TE", "OTHER", 1)
	m, _ = send(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(bad), Paste: true})
	if !m.login.pasteFocused() {
		t.Fatal("a paste did not focus the field")
	}
	m, _ = send(m, press("q"))
	if m.quitting {
		t.Fatal("q quit while typing in the field")
	}
	m, _ = send(m, press("backspace"))
	if v := m.View(); strings.Contains(v, "c0de") || strings.Contains(v, "OTHER") {
		t.Errorf("the pasted address (with its code) is on screen:\n%s", v)
	}
	if !strings.Contains(m.View(), "enter finish with it") {
		t.Errorf("help while typing:\n%s", m.View())
	}
	m, _ = settle(t, m, press("enter"))
	if m.login.state != loginWaiting || !strings.Contains(m.View(), "belongs to a different sign-in") || m.login.paste.Value() != "" {
		t.Fatalf("after a mismatched paste: state %v\n%s", m.login.state, m.View())
	}
	// esc leaves the field first, and then p goes back to it.
	m, _ = send(m, press("esc"))
	if m.login.pasteFocused() || m.login.state != loginWaiting {
		t.Fatal("esc in the field should only leave the field")
	}
	m, _ = send(m, press("p"))
	m, _ = send(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(f.goodPaste), Paste: true})
	m, _ = settle(t, m, press("enter"))
	if m.login.state != loginDone || !strings.Contains(m.View(), "Logged in as alice") {
		t.Fatalf("after the right paste: state %v\n%s", m.login.state, m.View())
	}
	if got := f.pastes; len(got) != 2 || got[0] != bad || got[1] != f.goodPaste {
		t.Errorf("pastes %q", got)
	}
}

func TestFlowWebLogin(t *testing.T) {
	fx := fastFixture(0).withWeb()
	tm := teatest.NewTestModel(t, newModel(context.Background(), fx.deps, Options{Start: ScreenLogin, Server: webServer()}, true), teatest.WithInitialTermSize(100, 40))
	waitText(t, tm, "Waiting for the browser", "left")
	fx.web(0).finish(&oauth2.Token{AccessToken: "at-web", Expiry: time.Now().Add(time.Hour)}, nil)
	waitText(t, tm, "Logged in as alice")
	tm.Send(press("enter"))
	waitText(t, tm, "Profiles (1)")
	tm.Send(press("q"))
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(model)
	if res, err := fm.finish(); err != nil || res.LoggedIn == nil || res.LoggedIn.Name != "alice" {
		t.Fatalf("result %+v, %v", res, err)
	}
}

func TestFlowWebLoginEsc(t *testing.T) {
	fx := fastFixture(0).withWeb()
	tm := teatest.NewTestModel(t, newModel(context.Background(), fx.deps, Options{Start: ScreenLogin, Server: webServer()}, true), teatest.WithInitialTermSize(100, 40))
	waitText(t, tm, "Waiting for the browser")
	tm.Send(press("esc"))
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(model)
	if _, err := fm.finish(); err != ErrCancelled {
		t.Fatalf("finish: %v", err)
	}
	if n := fx.web(0).closes.Load(); n != 1 {
		t.Fatalf("the flow was closed %d times before the program ended, want 1", n)
	}
}

func TestChooseClipboard(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	installed := func(names ...string) (func(string) (string, error), *[]string) {
		var asked []string
		return func(n string) (string, error) {
			asked = append(asked, n)
			for _, x := range names {
				if x == n {
					return "/usr/bin/" + n, nil
				}
			}
			return "", errors.New("not found")
		}, &asked
	}
	for _, tc := range []struct {
		name   string
		getenv func(string) string
		have   []string
		remote bool
		want   string // path and args; "" = OSC 52
	}{
		{"wayland", env("WAYLAND_DISPLAY", "wayland-0", "DISPLAY", ":0"), []string{"wl-copy", "xclip"}, false, "/usr/bin/wl-copy"},
		{"wayland without wl-copy", env("WAYLAND_DISPLAY", "wayland-0", "DISPLAY", ":0"), []string{"xclip"}, false, "/usr/bin/xclip -selection clipboard"},
		{"x11 xsel", env("DISPLAY", ":0"), []string{"xsel", "wl-copy"}, false, "/usr/bin/xsel --clipboard --input"},
		{"no display", env(), []string{"xclip", "xsel", "wl-copy"}, false, ""},
		{"macos", env(), []string{"pbcopy"}, false, "/usr/bin/pbcopy"},
		{"wsl", env("DISPLAY", ":0"), []string{"clip.exe"}, false, "/usr/bin/clip.exe"},
		{"ssh prefers OSC 52", env("DISPLAY", ":0"), []string{"xclip", "pbcopy"}, true, ""},
		{"nothing", env("DISPLAY", ":0"), nil, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			look, asked := installed(tc.have...)
			tool, ok := chooseClipboard(tc.getenv, look, tc.remote)
			got := ""
			if ok {
				got = strings.Join(append([]string{tool.path}, tool.args...), " ")
			}
			if got != tc.want {
				t.Fatalf("chose %q, want %q (looked up %q)", got, tc.want, *asked)
			}
			if tc.remote && len(*asked) != 0 {
				t.Errorf("over SSH, PATH was searched for %q", *asked)
			}
		})
	}
}

func TestSystemCopyFallsBackToOSC52(t *testing.T) {
	var out strings.Builder
	cp := systemCopy(&out, func(string) string { return "" }, true)
	via, err := cp("http://x.example/a?b=c")
	if err != nil || !strings.Contains(via, "OSC 52") {
		t.Fatalf("via %q, %v", via, err)
	}
	// OSC 52: ESC ] 52 ; c ; base64 BEL/ST
	if !strings.Contains(out.String(), "\x1b]52;c;aHR0cDovL3guZXhhbXBsZS9hP2I9Yw==") {
		t.Fatalf("wrote %q", out.String())
	}
}

// The paste is offered by one rule (auth.WebOffersPaste), as in the plain
// CLI: over SSH, and also when no browser can be opened here.
func TestWebLoginPasteRule(t *testing.T) {
	both := webServer()
	both.DeviceAuthURL = "http://127.0.0.1:4444/device"
	for _, tc := range []struct {
		name        string
		remote      bool
		noBrowser   bool
		noOpener    bool
		web         bool
		server      profiles.Server
		paste, hint bool
	}{
		{"local with a browser", false, false, false, false, webServer(), false, false},
		{"local, --no-browser", false, true, false, false, webServer(), true, false},
		{"local, no way to open one", false, false, true, false, webServer(), true, false},
		{"SSH, web-only server", true, false, false, false, webServer(), true, false},
		{"SSH, --web on a server with the device flow", true, false, false, true, both, true, true},
		{"local, --web on a server with the device flow", false, false, false, true, both, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(0).withWeb()
			fx.deps.Remote = tc.remote
			if tc.noOpener {
				fx.deps.OpenURL = nil
			}
			m := startModel(t, fx, Options{Start: ScreenLogin, Server: tc.server, NoBrowser: tc.noBrowser, Web: tc.web}, 100, 40)
			if m.login.state != loginWaiting || !m.login.web {
				t.Fatalf("state %v web %v", m.login.state, m.login.web)
			}
			if got := m.login.webPaste(); got != tc.paste || got != auth.WebOffersPaste(tc.remote, !tc.remote && !tc.noBrowser && !tc.noOpener) {
				t.Errorf("webPaste = %v, want %v", got, tc.paste)
			}
			v := m.View()
			if got := strings.Contains(v, "p paste") && strings.Contains(v, "paste it here (p)"); got != tc.paste {
				t.Errorf("paste offered = %v, want %v:\n%s", got, tc.paste, v)
			}
			if got := strings.Contains(v, "run without --web to use the device flow"); got != tc.hint {
				t.Errorf("device-flow hint shown = %v, want %v:\n%s", got, tc.hint, v)
			}
			if tc.paste {
				// A paste anywhere goes to the field.
				m, _ = send(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("http://x"), Paste: true})
				if !m.login.pasteFocused() {
					t.Error("a paste did not focus the field")
				}
			}
		})
	}
}

// A request the listener ignored (a forged callback) is shown as a notice;
// the flow goes on and the next report is awaited.
func TestWebLoginIgnoredNotice(t *testing.T) {
	fx := newFixture(0)
	m := startWeb(t, fx, 100, 40)
	report := fx.webOpts[0].OnIgnored
	if report == nil || fx.webOpts[0].AppName != "authdeck" {
		t.Fatalf("the started flow's options %+v have no OnIgnored", fx.webOpts[0])
	}
	// Two forged callbacks: the wait the screen started (left running by
	// the test harness) takes one; the wait started here takes the other.
	report("a callback with the wrong state (not from this sign-in; possibly forged)")
	report("a callback with the wrong state (not from this sign-in; possibly forged)")
	msg, ok := waitWebNoticeCmd(context.Background(), m.login.webFlow, m.login.gen)().(webIgnoredMsg)
	if !ok || msg.gen != m.login.gen {
		t.Fatalf("the wait gave %#v, want a webIgnoredMsg", msg)
	}
	m, cmd := send(m, msg)
	if m.login.state != loginWaiting || cmd == nil {
		t.Fatalf("state %v, waiting again %v", m.login.state, cmd != nil)
	}
	v := m.View()
	if !strings.Contains(v, "! Ignored a callback with the wrong state") || !strings.Contains(v, "still waiting") {
		t.Errorf("view lacks the notice:\n%s", v)
	}
	if f := fx.web(0); f.closes.Load() != 0 {
		t.Error("the notice closed the flow")
	}
	// The flow still ends as usual after a notice.
	fx.web(0).finish(&oauth2.Token{AccessToken: "at-web", Expiry: t0.Add(time.Hour)}, nil)
	m, _ = settle(t, m, cmd())
	if m.login.state != loginDone {
		t.Errorf("after the notice the sign-in did not finish: state %v", m.login.state)
	}
	// One from an earlier attempt is dropped, and not waited on again.
	stale := msg
	stale.gen--
	stale.reason = "stale"
	m, cmd = send(m, stale)
	if cmd != nil || strings.Contains(m.View(), "stale") {
		t.Errorf("a stale report was shown or re-armed:\n%s", m.View())
	}
}

// longAuthURL is as long as a real provider's authorization URL (about 330
// characters: PKCE challenge, state, nonce, scopes): a version 12 QR code,
// 69x35 cells with its quiet zone.
const longAuthURL = "http://127.0.0.1:4444/auth?client_id=authdeck-web&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&nonce=T5QWZ3KXOBHLSGUQ6I2XN7AYYM&prompt=consent&redirect_uri=http%3A%2F%2F127.0.0.1%3A50123%2Fcallback&response_type=code&scope=openid+profile+email+offline_access&state=KD6VQFZ2NH3ZLBWYTM5C4PXRUJ"

// qrFromView finds the QR code drawn in a view (half blocks, on a dark
// background: a block is a light module) and returns its modules without
// the quiet zone, or nil.
func qrFromView(view string, size int) [][]bool {
	n := size + 2*qrQuiet
	lines := strings.Split(view, "\n")
	for i, l := range lines {
		r := []rune(l)
		// The first QR line is the top quiet zone over the finders: a run
		// of n "█"/"▀"/"▄" cells whose quiet columns are full blocks.
		for x := 0; x+n <= len(r); x++ {
			if string(r[x:x+n]) != strings.Repeat("█", n) || i+(n+1)/2 > len(lines) {
				continue
			}
			mods := make([][]bool, n)
			for y := range mods {
				mods[y] = make([]bool, n)
			}
			ok := true
			for row := 0; row < (n+1)/2 && ok; row++ {
				lr := []rune(lines[i+row])
				if x+n > len(lr) {
					ok = false
					break
				}
				for c := 0; c < n; c++ {
					top, bottom := false, false
					switch lr[x+c] {
					case '█':
						top, bottom = true, true
					case '▀':
						top = true
					case '▄':
						bottom = true
					case ' ':
					default:
						ok = false
					}
					mods[2*row][c] = !top // a block is a light module
					if 2*row+1 < n {
						mods[2*row+1][c] = !bottom
					}
				}
			}
			if !ok {
				continue
			}
			out := make([][]bool, size)
			for y := range out {
				out[y] = mods[y+qrQuiet][qrQuiet : qrQuiet+size]
			}
			return out
		}
	}
	return nil
}

func TestWebLoginQRCodeOfTheSignInURL(t *testing.T) {
	want, err := qrMatrix(longAuthURL)
	if err != nil {
		t.Fatal(err)
	}
	if w, h := qrSize(want); w != 69 || h != 35 {
		t.Fatalf("a %d-character URL gives a %dx%d QR code, want 69x35", len(longAuthURL), w, h)
	}
	build := func(w, h int) model {
		fx := newFixture(0)
		fx.deps.StartWeb = func(ctx context.Context, s profiles.Server, opt auth.WebOptions) (webFlow, error) {
			f := newFakeWeb(fx.deps.Now())
			f.authURL = longAuthURL
			return f, nil
		}
		m := startModel(t, fx, Options{Start: ScreenLogin, Server: webServer()}, w, h)
		if m.login.state != loginWaiting {
			t.Fatalf("state %v", m.login.state)
		}
		return m
	}

	// Large enough: the QR code is on screen, and it is the sign-in URL's.
	v := build(120, 45).View()
	got := qrFromView(v, want.Size)
	if got == nil {
		t.Fatalf("no QR code at 120x45:\n%s", v)
	}
	for y := range want.Size {
		for x := range want.Size {
			if got[y][x] != want.Black(x, y) {
				t.Fatalf("the QR code on screen differs from the sign-in URL's at module (%d,%d):\n%s", x, y, v)
			}
		}
	}
	// And not, say, the redirect address's.
	if other, _ := qrMatrix("http://127.0.0.1:50123/callback"); other.Size == want.Size {
		t.Fatal("the redirect address gives a QR code of the same size")
	}

	// Too small for 69x35: it says so, and how to get one.
	for _, sz := range [][2]int{{80, 24}, {100, 40}} {
		v := build(sz[0], sz[1]).View()
		if qrFromView(v, want.Size) != nil || strings.Contains(v, "▀▀▀▀▀▀▀") {
			t.Errorf("%dx%d: a QR code is drawn in a window too small for it:\n%s", sz[0], sz[1], v)
		}
		if flat := strings.Join(strings.Fields(v), " "); !strings.Contains(flat, "QR code hidden: it needs 69x35 cells; enlarge the terminal for a QR code") {
			t.Errorf("%dx%d: the view does not say to enlarge the terminal:\n%s", sz[0], sz[1], v)
		}
	}
}
