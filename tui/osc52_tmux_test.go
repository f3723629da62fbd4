package tui_test

import (
	"strings"
	"testing"

	"github.com/authdeck/authdeck/internal/oidctest"
)

// TestTmuxOSC52Copy: over SSH (no local clipboard), c on the login screen
// writes the code as OSC 52 through the program's own output, in a real
// terminal (tmux, which keeps what OSC 52 sets as its paste buffer). The
// sequence arrives whole (tmux decoded it) and the screen shows no trace
// of it.
func TestTmuxOSC52Copy(t *testing.T) {
	e := newE2ERun(t, "osc52", oidctest.Options{})
	e.session(110, 40, []string{"SSH_CONNECTION=192.0.2.1_22_192.0.2.2_22"}, e.loginLine())
	e.x.run("set-option", "-s", "set-clipboard", "on")
	code := e.x.userCode()
	e.x.keys("c")
	s := e.x.waitFor("copied the code to the terminal's clipboard (OSC 52)")
	if got := strings.TrimSpace(e.x.run("show-buffer")); got != code {
		t.Fatalf("tmux's buffer = %q, want the code %q", got, code)
	}
	if strings.Contains(s, "52;") || !strings.Contains(s, "Code: "+code) {
		t.Fatalf("the screen shows the sequence or lost the code:\n%s", s)
	}
	e.x.keys("Escape")
}
