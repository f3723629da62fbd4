package tui

import (
	"strings"

	"rsc.io/qr"
)

// qrQuiet is the quiet zone, in modules, drawn around a QR code. The
// standard asks for 4; 2 is what phone readers need in practice and keeps
// the code small on a terminal.
const qrQuiet = 2

// qrMatrix encodes text at the lowest error-correction level (the smallest
// code). It is pure computation.
func qrMatrix(text string) (*qr.Code, error) {
	return qr.Encode(text, qr.L)
}

// qrSize is the width (cells) and height (lines) of code drawn by renderQR.
func qrSize(c *qr.Code) (w, h int) {
	n := c.Size + 2*qrQuiet
	return n, (n + 1) / 2
}

// renderQR draws a QR code with half-block characters: two modules per
// terminal line. Terminals draw blocks in the foreground colour, so on a
// dark background the blocks are the light modules, and on a light
// background the dark ones; either way the code reads dark-on-light, with
// no colour needed (NO_COLOR safe).
func renderQR(c *qr.Code, darkBackground bool) string {
	n := c.Size + 2*qrQuiet
	// on reports whether module (x, y) is drawn as a block.
	on := func(x, y int) bool {
		x, y = x-qrQuiet, y-qrQuiet
		black := x >= 0 && y >= 0 && x < c.Size && y < c.Size && c.Black(x, y)
		if darkBackground {
			return !black
		}
		return black
	}
	var b strings.Builder
	for y := 0; y < n; y += 2 {
		if y > 0 {
			b.WriteByte('\n')
		}
		for x := 0; x < n; x++ {
			top := on(x, y)
			bottom := y+1 < n && on(x, y+1)
			if y+1 >= n && darkBackground {
				// Past the last row there is nothing; leave it blank
				// rather than drawing light quiet zone.
				bottom = false
			}
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteByte(' ')
			}
		}
	}
	return b.String()
}

// qrView returns the QR code of text drawn for a space of maxW x maxH
// cells, or "" when it does not fit or cannot be encoded.
func qrView(text string, maxW, maxH int, darkBackground bool) string {
	if text == "" {
		return ""
	}
	c, err := qrMatrix(text)
	if err != nil {
		return ""
	}
	w, h := qrSize(c)
	if w > maxW || h > maxH {
		return ""
	}
	return renderQR(c, darkBackground)
}
