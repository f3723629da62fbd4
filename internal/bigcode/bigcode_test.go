package bigcode

import (
	"strings"
	"testing"
)

func TestCellsFollowGlyph(t *testing.T) {
	for _, r := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-" {
		g, ok := Glyph(r)
		c := Cells(r)
		if !ok || len(c) != Rows*Width {
			t.Fatalf("%q: ok %v, %d cells", r, ok, len(c))
		}
		var b strings.Builder
		for i, on := range c {
			if i > 0 && i%Width == 0 {
				b.WriteByte('|')
			}
			if on {
				b.WriteByte('#')
			} else {
				b.WriteByte(' ')
			}
		}
		if got, want := b.String(), strings.Join(g[:], "|"); got != want {
			t.Errorf("%q: cells %q, glyph %q", r, got, want)
		}
	}
	for _, r := range "a*é " {
		if _, ok := Glyph(r); ok || Cells(r) != nil {
			t.Errorf("%q is in the font", r)
		}
	}
}
