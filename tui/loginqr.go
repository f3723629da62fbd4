package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// qrTextMin is the narrowest text column set beside a QR code.
const qrTextMin = 40

// qrTextMax is the widest text column beside a QR code.
const qrTextMax = 64

// qrPayloads are the addresses the QR code may hold, best first: the
// complete URI (the code filled in), then the bare verification URI, whose
// code is smaller (the code is typed from the screen).
func (m loginModel) qrPayloads() []string {
	var out []string
	for _, u := range []string{m.browserURL(), m.code.VerificationURI} {
		if u = clean(u); u != "" && (len(out) == 0 || out[0] != u) {
			out = append(out, u)
		}
	}
	return out
}

// waitingView lays out the device login's text and its QR code in
// m.width x m.height, first that fits of: beside the text, below it, the
// same with the big glyphs of the code dropped, then the same with the
// shorter address. The code itself is always on screen as text.
func (m loginModel) waitingView() string {
	text := func(w, h int) string {
		c := m
		c.setSize(w, h)
		return c.waitingText()
	}
	fits := func(s string, w, h int) bool { return lipgloss.Width(s) <= w && lipgloss.Height(s) <= h }
	need := ""
	for _, p := range m.qrPayloads() {
		c, err := qrMatrix(p)
		if err != nil {
			continue
		}
		qw, qh := qrSize(c)
		if need == "" {
			need = fmt.Sprintf("%dx%d", qw, qh)
		}
		if qw > m.width || qh > m.height {
			continue
		}
		q := renderQR(c, m.dark)
		if tw := min(qrTextMax, m.width-qw-2); tw >= qrTextMin {
			if body := text(tw, m.height); fits(body, tw, m.height) {
				return lipgloss.JoinHorizontal(lipgloss.Top, body, "  ", q)
			}
		}
		if h := m.height - qh - 1; h > 0 {
			if body := text(m.width, h); fits(body, m.width, h) {
				return body + "\n\n" + q
			}
		}
	}
	body := text(m.width, m.height)
	if need == "" {
		return body
	}
	return body + "\n" + m.styles.Faint.Render(trunc("(QR code hidden: it needs "+need+" cells; enlarge the window)", m.width))
}

// wrapAt breaks s into lines of at most w cells at its separators sep (the
// separator ending a line is dropped); a part wider than w is cut.
func wrapAt(s, sep string, w int) string {
	var lines []string
	cur := ""
	for _, p := range strings.Split(s, sep) {
		switch {
		case cur == "":
			cur = p
		case lipgloss.Width(cur+sep+p) <= w:
			cur += sep + p
		default:
			lines = append(lines, trunc(cur, w))
			cur = p
		}
	}
	return strings.Join(append(lines, trunc(cur, w)), "\n")
}
