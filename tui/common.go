package tui

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/mattn/go-runewidth"
)

// common is what every screen shares: its size and the read-only styles and
// key map.
type common struct {
	width, height int
	styles        *styles
	keys          *keyMap
	dark          bool
	// secretsName is what the secret store standing for the keyring is
	// called (profiles.App.SecretsName); "" means "keyring".
	secretsName string
}

// storageName is what storage s is called on screen: the host's name for
// its store instead of "keyring" (profiles.App.StorageName).
func (c common) storageName(s profiles.Storage) string {
	return profiles.App{SecretsName: c.secretsName}.StorageName(s)
}

// emit returns a command that yields msg: how a screen announces an event to
// the root ("messages go up").
func emit(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

// clean strips control characters and escape sequences from an untrusted
// string (server answers, config values) before it can reach the screen.
func clean(s string) string { return textsafe.Clean(s) }

// isASCII reports whether s is printable ASCII, where cells == bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// width is the cell width of s (fast for ASCII, the common case).
func width(s string) int {
	if styled(s) {
		return ansi.StringWidth(s)
	}
	if isASCII(s) {
		return len(s)
	}
	return runewidth.StringWidth(s)
}

// styled reports whether s holds escape sequences (a rendered style).
// Strings from servers and files never do: clean strips them.
func styled(s string) bool { return strings.IndexByte(s, '\x1b') >= 0 }

// trunc cuts s to w cells, ending with "…" when cut.
func trunc(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if styled(s) {
		// Escape sequences take no cells, and are never cut in two.
		if ansi.StringWidth(s) <= w {
			return s
		}
		return ansi.Truncate(s, w, "…")
	}
	if isASCII(s) {
		if len(s) <= w {
			return s
		}
		return s[:w-1] + "…"
	}
	if runewidth.StringWidth(s) <= w {
		return s
	}
	return runewidth.Truncate(s, w, "…")
}

// cell truncates and pads s to exactly w cells.
func cell(s string, w int) string {
	s = trunc(s, w)
	if n := width(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

// wrapHard splits s into lines of at most w cells (for tokens and URLs,
// which have no spaces to wrap at).
func wrapHard(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	var out []string
	for runewidth.StringWidth(s) > w {
		head := runewidth.Truncate(s, w, "")
		if head == "" {
			break
		}
		out = append(out, head)
		s = s[len(head):]
	}
	return append(out, s)
}

// fitLines cuts text to at most h lines of at most w cells each.
func fitLines(text string, w, h int) string {
	lines := strings.Split(text, "\n")
	if h >= 0 && len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = lipgloss.NewStyle().MaxWidth(w).Render(l)
		}
	}
	return strings.Join(lines, "\n")
}

// human formats a duration for people: 1h02m, 4m05s, 12s.
func human(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	d = d.Round(time.Second)
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%ds", int(d.Seconds()))
}

// hostOf returns the host name of a URL, or "".
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// humanShort formats a duration in at most 5 cells: 2d, 1h02m, 59m, 45s.
func humanShort(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%ds", int(d.Seconds()))
}

// sourceName is what token source s is called on screen
// (profiles.App.SourceName).
func (c common) sourceName(s profiles.Source) string {
	return profiles.App{SecretsName: c.secretsName}.SourceName(s)
}

// storeWhere names the secret store in sentences: "the keyring", or "the"
// and the host's name for its store.
func (c common) storeWhere() string { return "the " + c.storageName(profiles.StorageKeyring) }
