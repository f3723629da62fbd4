package tui_test

// More end-to-end flows in a real terminal (see e2e_test.go): the built
// binary in tmux against the real OpenID provider (internal/oidctest).
// Denial and retry, code expiry, esc stopping the polls, the accounts
// screen's whoami, token, filter, servers tab, add and remove server, a
// 60x20 terminal, and NO_COLOR checked on the raw cells (capture-pane -e).

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/authdeck/authdeck/internal/oidctest"
)

// scopesFlag is every scope the provider knows, for --scopes.
const scopesFlag = "openid,profile,email,offline_access"

// e2eRun is one test's provider, built binary, config and tmux server.
type e2eRun struct {
	t   *testing.T
	p   *oidctest.Provider
	bin string
	dir string
	env []string // NO_COLOR=1 unless a session asks otherwise
	x   tmux
}

// newE2ERun skips without tmux (fails under CI=true), starts a provider
// and builds the binary.
func newE2ERun(t *testing.T, name string, opt oidctest.Options) *e2eRun {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed (CI=true: required)")
		}
		t.Skip("tmux is not installed")
	}
	p := oidctest.Start(t, opt)
	dir := t.TempDir()
	bin := filepath.Join(dir, "authdeck")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/authdeck").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	e := &e2eRun{
		t: t, p: p, bin: bin, dir: dir,
		env: []string{"AUTHDECK_CONFIG_DIR=" + filepath.Join(dir, "config"), "HOME=" + dir, "PATH=" + os.Getenv("PATH"), "TERM=xterm-256color"},
		x:   tmux{t: t, socket: fmt.Sprintf("authdeck-%s-%d", name, os.Getpid())},
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", e.x.socket, "kill-server").Run() })
	return e
}

// with returns e reporting to t (a subtest's), for use inside t.Run.
func (e *e2eRun) with(t *testing.T) *e2eRun {
	c := *e
	c.t, c.x.t = t, t
	return &c
}

// newServer points e at a fresh tmux server (its own socket), killed when
// the test ends.
func (e *e2eRun) newServer(suffix string) {
	e.x = tmux{t: e.t, socket: e.x.socket + "-" + suffix}
	x := e.x
	e.t.Cleanup(func() { _ = exec.Command("tmux", "-L", x.socket, "kill-server").Run() })
}

// cli runs the binary outside tmux and returns its stdout.
func (e *e2eRun) cli(args ...string) string {
	e.t.Helper()
	c := exec.Command(e.bin, args...)
	c.Env = append(append([]string{}, e.env...), "NO_COLOR=1")
	var stderr strings.Builder
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		e.t.Fatalf("authdeck %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// loginLine is the shell line of a device login to the provider.
func (e *e2eRun) loginLine() string {
	return fmt.Sprintf("AUTHDECK login --server %s --client-id %s --scopes %s --insecure-storage --no-browser", e.p.Issuer, e.p.ClientID, scopesFlag)
}

// session runs a shell line in a new w x h tmux session "e2e"; AUTHDECK in
// line is the binary with a clean environment (extra added to it). The
// shell stays afterwards so the last screen can be read.
func (e *e2eRun) session(w, h int, extra []string, line string) {
	e.t.Helper()
	env := strings.Join(append(append([]string{}, e.env...), extra...), " ")
	line = strings.ReplaceAll(line, "AUTHDECK", "env -i "+env+" "+e.bin)
	// No status line: the pane is the whole w x h window.
	e.x.run("-f", "/dev/null", "start-server", ";", "set-option", "-g", "status", "off", ";",
		"new-session", "-d", "-s", "e2e", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), line+"; sleep 600")
}

// waitUntil polls the screen (30 s at most) until ok says yes.
func (x tmux) waitUntil(what string, ok func(string) bool) string {
	x.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var s string
	for time.Now().Before(deadline) {
		s = x.screen()
		if ok(s) {
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	x.t.Fatalf("the screen never showed %s; last screen:\n%s", what, s)
	return ""
}

// raw is the screen with its colours and attributes (SGR sequences),
// wrapped lines joined.
func (x tmux) raw() string { return x.run("capture-pane", "-p", "-e", "-J", "-t", "e2e") }

// joined is the screen with wrapped lines joined (a line too long for the
// terminal shows as one line longer than the width).
func (x tmux) joined() string { return x.run("capture-pane", "-p", "-J", "-t", "e2e") }

// approve reads the user code off the login screen and approves it as
// login; it returns the code once the success screen shows.
func (e *e2eRun) approve(login string) string {
	e.t.Helper()
	code := e.x.userCode()
	e.p.ApproveAs(e.t, code, login)
	e.x.waitFor("Logged in as "+login, "PLAIN FILE")
	return code
}

// row matches a profile row of the accounts table (cursor, active mark,
// name), whatever else is on the line.
func profileRow(name string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^ *[> ][● ] ` + regexp.QuoteMeta(name) + ` `)
}

// selectProfile moves the cursor to the row of name.
func (e *e2eRun) selectProfile(name string) {
	e.t.Helper()
	e.selectRow(regexp.MustCompile(`(?m)^ *>[● ] `+regexp.QuoteMeta(name)+` `), name)
}

// selectServer moves the cursor to the servers tab's row of name.
func (e *e2eRun) selectServer(name string) {
	e.t.Helper()
	e.selectRow(regexp.MustCompile(`(?m)^ *>  `+regexp.QuoteMeta(name)+` `), "server "+name)
}

// selectRow moves the cursor up, then down, until the screen matches sel
// (the selected row), and fails naming what after 8 moves.
func (e *e2eRun) selectRow(sel *regexp.Regexp, what string) {
	e.t.Helper()
	for i := 0; i < 8; i++ {
		if sel.MatchString(e.x.screen()) {
			return
		}
		if i < 4 {
			e.x.keys("Up")
		} else {
			e.x.keys("Down")
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("could not select %s:\n%s", what, e.x.screen())
}

// footerOffers reports whether the help footer (the last non-blank line)
// shows the key k with the description desc.
func footerOffers(screen, k, desc string) bool {
	lines := strings.Split(strings.TrimRight(screen, "\n "), "\n")
	return strings.Contains(lines[len(lines)-1], k+" "+desc)
}

func TestE2ETmuxDenyThenRetry(t *testing.T) {
	e := newE2ERun(t, "deny", oidctest.Options{PollInterval: time.Second})
	e.session(110, 45, []string{"NO_COLOR=1"}, e.loginLine()+`; echo "exit=$?"`)

	first := e.x.userCode()
	e.p.Deny(t, first)
	s := e.x.waitFor("✗ Access denied", "declined in the browser", "Nothing was saved", "Press r to try again")
	if !footerOffers(s, "r", "retry") {
		t.Fatalf("the denial screen's footer does not offer r retry:\n%s", s)
	}
	if strings.Contains(s, first) {
		t.Errorf("the denied code is still on screen:\n%s", s)
	}

	e.x.keys("r")
	second := e.x.userCode()
	if second == first {
		t.Fatalf("retry showed the denied code %s again", first)
	}
	e.p.ApproveAs(t, second, "alice")
	e.x.waitFor("Logged in as alice", "PLAIN FILE")
	e.x.keys("Enter")
	e.x.waitFor("Profiles (1)", "alice")
	e.x.keys("q")
	e.x.waitFor("exit=0")
	if st := e.cli("status", "--json"); !strings.Contains(st, `"profile": "alice"`) {
		t.Fatalf("status after deny and retry:\n%s", st)
	}
}

func TestE2ETmuxCodeExpiry(t *testing.T) {
	e := newE2ERun(t, "expiry", oidctest.Options{DeviceCodeTTL: 6 * time.Second, PollInterval: time.Second})
	e.session(110, 45, []string{"NO_COLOR=1"}, e.loginLine()+`; echo "exit=$?"`)

	first := e.x.userCode()
	s := e.x.waitFor("✗ The code expired", "not approved in time", "Nothing was saved", "Press r to try again")
	if !footerOffers(s, "r", "retry") {
		t.Fatalf("the expiry screen's footer does not offer r retry:\n%s", s)
	}
	e.x.keys("r")
	if second := e.x.userCode(); second == first {
		t.Fatalf("retry showed the expired code %s again", first)
	}
	e.x.keys("Escape")
	e.x.waitFor("exit=")
}

// TestE2ETmuxEscStopsPolling: esc on a login started from the accounts
// screen (the program goes on) stops the polls: the provider counts no
// device_code request over four intervals after it.
func TestE2ETmuxEscStopsPolling(t *testing.T) {
	const interval = time.Second
	e := newE2ERun(t, "esc", oidctest.Options{PollInterval: interval})
	e.cli("servers", "add", "prov", "--issuer", e.p.Issuer, "--client-id", e.p.ClientID, "--scopes", scopesFlag)
	e.session(110, 45, []string{"NO_COLOR=1"}, "AUTHDECK")
	e.x.waitFor("Accounts", "No profiles yet")
	e.x.keys("l")
	e.x.userCode()
	e.x.waitFor("every 1s")

	polls := func() int { return len(e.p.Stats(t).DevicePolls) }
	deadline := time.Now().Add(30 * time.Second)
	for polls() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the provider saw %d device polls in 30 s:\n%s", polls(), e.x.screen())
		}
		time.Sleep(200 * time.Millisecond)
	}
	e.x.keys("Escape")
	e.x.waitFor("Login cancelled.", "Accounts")
	// A poll already on the wire when esc was pressed may still land.
	time.Sleep(interval / 2)
	before := polls()
	time.Sleep(4 * interval)
	if after := polls(); after != before {
		t.Fatalf("%d device polls reached the provider in the 4 intervals after esc", after-before)
	}
	if s := e.x.screen(); !strings.Contains(s, "Accounts") {
		t.Fatalf("the program left the accounts screen:\n%s", s)
	}
}

// serversJSON reads `servers list --json`, by name.
func (e *e2eRun) serversJSON() map[string]map[string]any {
	e.t.Helper()
	out := e.cli("servers", "list", "--json")
	var doc struct {
		Servers []map[string]any `json:"servers"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		e.t.Fatalf("servers list --json: %v\n%s", err, out)
	}
	m := map[string]map[string]any{}
	for _, s := range doc.Servers {
		m[s["name"].(string)] = s
	}
	return m
}

// noChunk reports whether no 12-character piece of secret is in s, spaces
// and line breaks ignored.
func noChunk(s, secret string) bool {
	flat := strings.Join(strings.Fields(s), "")
	for i := 0; i+12 <= len(secret); i++ {
		if strings.Contains(flat, secret[i:i+12]) {
			return false
		}
	}
	return true
}

// TestE2ETmuxAccountsScreen: two profiles (alice, bob) on one server, then
// whoami, the token masked and revealed, the filter, the servers tab, and a
// server added through the form (real discovery), logged in to, and
// removed.
func TestE2ETmuxAccountsScreen(t *testing.T) {
	e := newE2ERun(t, "accounts", oidctest.Options{PollInterval: time.Second})
	e.session(110, 45, []string{"NO_COLOR=1"}, e.loginLine())
	e.approve("alice")
	e.x.keys("Enter")
	e.x.waitFor("Profiles (1)", "alice")
	e.x.keys("l")
	e.approve("bob")
	e.x.keys("Enter")
	e.x.waitUntil("both profiles", func(s string) bool {
		return strings.Contains(s, "Profiles (2)") && profileRow("alice").MatchString(s) && profileRow("bob").MatchString(s)
	})
	first := ""
	for name := range e.serversJSON() {
		first = name
	}

	t.Run("whoami", func(t *testing.T) {
		e := e.with(t)
		e.selectProfile("alice")
		e.x.keys("w")
		s := e.x.waitFor("Who am I", "Claims")
		for _, re := range []string{
			`Subject +alice\b`, `Username +alice\b`, `Email +alice@example\.test`, `Name +Alice\b`,
			`preferred_username +alice\b`, `email +alice@example\.test`, `sub +alice\b`,
			`Server +` + regexp.QuoteMeta(first+" ("+e.p.Issuer+")"), `Client ID +authdeck-cli`,
		} {
			if !regexp.MustCompile(`(?m)^ *` + re).MatchString(s) {
				t.Errorf("whoami lacks %s:\n%s", re, s)
			}
		}
		e.x.keys("Escape")
		e.x.waitFor("Profiles (2)")
	})

	t.Run("token masked then revealed", func(t *testing.T) {
		e := e.with(t)
		at := strings.TrimSpace(e.cli("token", "--profile", "alice"))
		if len(at) < 20 || !e.p.Active(t, at) {
			t.Fatalf("alice's access token (%d characters) is not an active token", len(at))
		}
		e.selectProfile("alice")
		e.x.keys("t")
		s := e.x.waitFor("Access token of alice", fmt.Sprintf("hidden (%d characters)", len(at)))
		if !noChunk(s, at) {
			t.Fatalf("the masked token screen shows the token:\n%s", s)
		}
		if !footerOffers(s, "v", "reveal") {
			t.Errorf("the token screen's footer does not offer v reveal:\n%s", s)
		}
		e.x.keys("v")
		e.x.waitUntil("the revealed token", func(s string) bool {
			return strings.Contains(strings.Join(strings.Fields(s), ""), at) && footerOffers(s, "v", "hide")
		})
		e.x.keys("v")
		if s := e.x.waitFor("hidden ("); !noChunk(s, at) {
			t.Fatalf("hiding again still shows the token:\n%s", s)
		}
		e.x.keys("Escape")
		if s := e.x.waitFor("Profiles (2)"); !noChunk(s, at) {
			t.Fatalf("the accounts screen shows the token:\n%s", s)
		}
	})

	t.Run("filter", func(t *testing.T) {
		e := e.with(t)
		e.x.keys("/")
		e.x.waitFor("/ ")
		e.x.run("send-keys", "-t", "e2e", "-l", "bob")
		s := e.x.waitUntil("only bob's row", func(s string) bool {
			return profileRow("bob").MatchString(s) && !profileRow("alice").MatchString(s)
		})
		if !strings.Contains(s, "/ bob") {
			t.Errorf("the filter field does not show what was typed:\n%s", s)
		}
		e.x.keys("Enter")
		s = e.x.waitFor(`filter: "bob"  (1 of 2)`)
		if profileRow("alice").MatchString(s) || !profileRow("bob").MatchString(s) {
			t.Fatalf("the applied filter shows the wrong rows:\n%s", s)
		}
		e.x.keys("Escape")
		e.x.waitUntil("both rows again", func(s string) bool {
			return profileRow("alice").MatchString(s) && profileRow("bob").MatchString(s) && !strings.Contains(s, "filter:")
		})
	})

	t.Run("servers tab", func(t *testing.T) {
		e := e.with(t)
		e.x.keys("Tab")
		s := e.x.waitFor("[Servers (1)]")
		re := regexp.MustCompile(`(?m)^ *>  ` + regexp.QuoteMeta(first) + ` +` + regexp.QuoteMeta(e.p.Issuer) + ` +authdeck-cli +openid profile.* 2 *$`)
		if !re.MatchString(s) {
			t.Fatalf("the servers tab has no row for %s (%s, authdeck-cli, 2 profiles):\n%s", first, e.p.Issuer, s)
		}
		e.x.keys("Tab")
		e.x.waitFor("[Profiles (2)]")
	})

	t.Run("add server", func(t *testing.T) {
		e := e.with(t)
		e.x.keys("n")
		e.x.waitFor("Add a server", "Issuer URL")
		typ := func(s string) { e.x.run("send-keys", "-t", "e2e", "-l", s) }
		typ("corp")
		e.x.keys("Tab")
		typ(e.p.Issuer)
		e.x.keys("Tab", "Tab", "Tab", "Tab") // device, token, revoke URL: empty
		typ(e.p.ClientID)
		e.x.keys("Tab")
		typ("openid profile email offline_access")
		e.x.keys("Enter") // enter on the last field saves
		e.x.waitFor("Added server corp", "[Servers (2)]")
		srv := e.serversJSON()["corp"]
		if srv == nil {
			t.Fatalf("servers list --json has no corp: %v", e.serversJSON())
		}
		want := map[string]string{
			"issuer":                        e.p.Issuer,
			"device_authorization_endpoint": e.p.Issuer + "/device/auth",
			"token_endpoint":                e.p.Issuer + "/token",
			"revocation_endpoint":           e.p.Issuer + "/token/revocation",
			"client_id":                     e.p.ClientID,
		}
		for k, v := range want {
			if srv[k] != v {
				t.Errorf("corp %s = %v, want %s (discovered)", k, srv[k], v)
			}
		}
		if fmt.Sprint(srv["scopes"]) != "[openid profile email offline_access]" {
			t.Errorf("corp scopes = %v", srv["scopes"])
		}
	})

	t.Run("log in to the added server", func(t *testing.T) {
		e := e.with(t)
		// Right after adding, as the status line says: "Press l to log
		// in to it."
		e.x.keys("l")
		s := e.x.waitFor("Log in to ", "Code: ")
		if !strings.Contains(s, "Log in to corp") {
			t.Fatalf("l on server corp logs in elsewhere:\n%s", s)
		}
		e.x.keys("Escape")
		e.x.waitFor("Login cancelled.")
	})

	t.Run("remove server", func(t *testing.T) {
		e := e.with(t)
		if !strings.Contains(e.x.screen(), "[Servers (2)]") {
			e.x.keys("Tab")
			e.x.waitFor("[Servers (2)]")
		}
		e.selectServer("corp")
		e.x.keys("d")
		e.x.waitFor(`Remove server "corp"?`, "no (default)")
		e.x.keys("y")
		e.x.waitFor("Removed server corp", "[Servers (1)]")
		got := e.serversJSON()
		if _, ok := got["corp"]; ok || got[first] == nil || len(got) != 1 {
			t.Fatalf("after removing corp: %v", got)
		}
	})
	e.x.keys("q")
}

// cellWidth is how many terminal cells a screen line takes (the screens
// draw only single-width characters; tmux shows a wide one as two).
func cellWidth(line string) int { return utf8.RuneCountInString(line) }

// maxWidth is the widest line of screen.
func maxWidth(screen string) int {
	w := 0
	for _, l := range strings.Split(screen, "\n") {
		w = max(w, cellWidth(strings.TrimRight(l, " ")))
	}
	return w
}

// fitsWidth fails the test when a line of the joined screen is wider than w.
func fitsWidth(t *testing.T, screen string, w int) {
	t.Helper()
	for i, l := range strings.Split(screen, "\n") {
		if n := cellWidth(strings.TrimRight(l, " ")); n > w {
			t.Errorf("line %d is %d cells wide (terminal %d): %q", i+1, n, w, l)
		}
	}
}

// TestE2ETmuxSmallTerminal: the login screen shrunk to 60x20 while waiting
// re-lays out with the user code whole, then the success and accounts
// screens at that size.
func TestE2ETmuxSmallTerminal(t *testing.T) {
	e := newE2ERun(t, "small", oidctest.Options{PollInterval: time.Second})
	e.session(110, 45, []string{"NO_COLOR=1"}, e.loginLine())
	code := e.x.userCode()
	e.x.run("resize-window", "-t", "e2e", "-x", "60", "-y", "20")
	page := "Page: " + e.p.Issuer + "/device"
	// Until Bubble Tea redraws, the pane holds the old frame cut or
	// reflowed by tmux: too wide (the QR code beside the glyphs wraps) or
	// without the whole footer.
	s := e.x.waitUntil("the login screen re-laid out at 60x20", func(s string) bool {
		return strings.Contains(s, "Code: "+code) && strings.Contains(s, page) && footerOffers(s, "q", "quit") &&
			maxWidth(e.x.joined()) <= 60
	})
	t.Logf("login at 60x20:\n%s", s)
	for _, want := range []string{"Log in to", "Enter this code", "Waiting for approval", "left"} {
		if !strings.Contains(s, want) {
			t.Errorf("the 60x20 login screen lacks %q:\n%s", want, s)
		}
	}
	fitsWidth(t, e.x.joined(), 60)

	e.p.ApproveAs(t, code, "alice")
	s = e.x.waitFor("Logged in as alice", "PLAIN FILE")
	fitsWidth(t, e.x.joined(), 60)
	if !footerOffers(s, "q", "quit") {
		t.Errorf("the 60x20 success screen has no footer:\n%s", s)
	}
	e.x.keys("Enter")
	s = e.x.waitUntil("the accounts screen at 60x20", func(s string) bool {
		return strings.Contains(s, "Profiles (1)") && profileRow("alice").MatchString(s) && footerOffers(s, "q", "quit")
	})
	t.Logf("accounts at 60x20:\n%s", s)
	for _, want := range []string{"Accounts", "PROFILE", "TOKEN", "✓ expires in", "● = active profile (alice)"} {
		if !strings.Contains(s, want) {
			t.Errorf("the 60x20 accounts screen lacks %q:\n%s", want, s)
		}
	}
	fitsWidth(t, e.x.joined(), 60)

	// Starting at 60x20 (no resize) shows the same.
	e.x.keys("q")
	e.newServer("2")
	e.session(60, 20, []string{"NO_COLOR=1"}, "AUTHDECK")
	e.x.waitUntil("the accounts screen started at 60x20", func(s string) bool {
		return strings.Contains(s, "Profiles (1)") && profileRow("alice").MatchString(s) && footerOffers(s, "q", "quit")
	})
	fitsWidth(t, e.x.joined(), 60)
}

var sgrRe = regexp.MustCompile(`\x1b\[([0-9;:]*)m`)

// colourSGR returns the first SGR sequence in s that sets a foreground,
// background or underline colour (30-37, 40-47, 90-97, 100-107, 38/48/58
// with 5;n or 2;r;g;b), or "". 39 and 49 (default colour) do not count.
func colourSGR(s string) string {
	for _, m := range sgrRe.FindAllStringSubmatch(s, -1) {
		for _, p := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == ':' }) {
			n, err := strconv.Atoi(p)
			if err != nil {
				continue
			}
			if (n >= 30 && n <= 38) || (n >= 40 && n <= 48) || n == 58 || (n >= 90 && n <= 97) || (n >= 100 && n <= 107) {
				return strconv.Quote(m[0])
			}
		}
	}
	return ""
}

func TestColourSGR(t *testing.T) {
	for in, colour := range map[string]bool{
		"\x1b[1mbold\x1b[0m": false, "\x1b[4;1m": false, "\x1b[39;49m": false, "plain": false,
		"\x1b[38;5;99mx": true, "\x1b[1;38;2;1;2;3m": true, "\x1b[31m": true, "\x1b[44m": true, "\x1b[92m": true, "\x1b[48:5:1m": true,
	} {
		if got := colourSGR(in) != ""; got != colour {
			t.Errorf("colourSGR(%q) found a colour: %v, want %v", in, got, colour)
		}
	}
}

// TestE2ETmuxNoColor: with NO_COLOR=1 the login and accounts screens carry
// no colour in their cells; without it (TERM=xterm-256color) they do, which
// shows the check can fail.
func TestE2ETmuxNoColor(t *testing.T) {
	e := newE2ERun(t, "nocolor", oidctest.Options{PollInterval: time.Second})
	type mode struct {
		name   string
		extra  []string
		colour bool
	}
	modes := []mode{{"NO_COLOR=1", []string{"NO_COLOR=1"}, false}, {"colour", nil, true}}
	raw := map[string]map[string]string{}
	for i, m := range modes {
		e.newServer(strconv.Itoa(i))
		e.session(110, 45, m.extra, e.loginLine()+"; AUTHDECK")
		e.x.userCode()
		e.x.waitFor("Last answer", "left")
		raw[m.name] = map[string]string{"login": e.x.raw(), "plain login": e.x.screen()}
		e.x.keys("Escape")
		e.x.waitFor("Accounts", "Profiles (0)")
		raw[m.name]["accounts"] = e.x.raw()
		e.x.keys("q")
	}
	// Without colour or style the verification page's host still stands
	// out: named on a line of its own (the QR code may be beside it).
	t.Run("NO_COLOR=1 host named", func(t *testing.T) {
		host := strings.TrimPrefix(e.p.Issuer, "http://")
		host = host[:strings.LastIndex(host, ":")]
		if s := raw["NO_COLOR=1"]["plain login"]; !regexp.MustCompile(`(?m)^ *Host: ` + regexp.QuoteMeta(host) + `( {2,}|$)`).MatchString(s) {
			t.Errorf("with NO_COLOR=1 the login screen does not name the host %s on its own line:\n%s", host, s)
		}
	})
	for _, m := range modes {
		for _, screen := range []string{"login", "accounts"} {
			t.Run(m.name+" "+screen, func(t *testing.T) {
				r := raw[m.name][screen]
				got := colourSGR(r)
				switch {
				case m.colour && got == "":
					t.Errorf("the %s screen has no colour without NO_COLOR:\n%q", screen, r)
				case !m.colour && got != "":
					t.Errorf("the %s screen sets a colour (%s) with NO_COLOR=1:\n%q", screen, got, r)
				}
			})
		}
	}
}
