package tui

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFontComplete(t *testing.T) {
	seen := map[string]rune{}
	for _, r := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-" {
		g, ok := glyph(r)
		if !ok {
			t.Fatalf("no glyph for %q", r)
		}
		for _, row := range g {
			if utf8.RuneCountInString(row) != glyphWidth || strings.Trim(row, "# ") != "" {
				t.Fatalf("glyph %q row %q is not %d cells of '#'/' '", r, row, glyphWidth)
			}
		}
		k := strings.Join(g[:], "|")
		if o, dup := seen[k]; dup {
			t.Fatalf("%q and %q are drawn the same", r, o)
		}
		seen[k] = r
	}
}

// Look-alike pairs must differ in at least 3 cells, so they can be told
// apart at a glance.
func TestLookAlikeGlyphsDiffer(t *testing.T) {
	for _, p := range []string{"0O", "0Q", "OQ", "1I", "1L", "IL", "5S", "8B", "2Z", "0D", "OD"} {
		a, _ := glyph(rune(p[0]))
		b, _ := glyph(rune(p[1]))
		diff := 0
		for r := range a {
			for c := 0; c < glyphWidth; c++ {
				if a[r][c] != b[r][c] {
					diff++
				}
			}
		}
		if diff < 3 {
			t.Errorf("%c and %c differ in only %d cells", p[0], p[1], diff)
		}
	}
}

func TestRenderBigCode(t *testing.T) {
	s, ok := renderBigCode("AB-12", 80)
	if !ok {
		t.Fatal("not rendered")
	}
	lines := strings.Split(s, "\n")
	if len(lines) != glyphRows {
		t.Fatalf("%d rows", len(lines))
	}
	want := []string{
		" ███  ████          █    ███",
		"█   █ █   █        ██   █   █",
		"█████ ████   ███    █     ██",
		"█   █ █   █         █    █",
		"█   █ ████         ███  █████",
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("row %d = %q, want %q", i, lines[i], want[i])
		}
	}
	// Too narrow for one line: one group per line.
	s, ok = renderBigCode("ABCD-EFGH", 30)
	if !ok || len(strings.Split(s, "\n")) != 2*glyphRows+1 {
		t.Fatalf("wrapped render ok=%v:\n%s", ok, s)
	}
	for _, l := range strings.Split(s, "\n") {
		if utf8.RuneCountInString(l) > 30 {
			t.Fatalf("line wider than 30: %q", l)
		}
	}
	// Too narrow for even one group, or characters outside the font.
	if _, ok := renderBigCode("ABCD-EFGH", 20); ok {
		t.Error("rendered into 20 cells")
	}
	if _, ok := renderBigCode("abcd-efgh", 80); ok {
		t.Error("rendered lower case (the glyphs would lose the case)")
	}
	if _, ok := renderBigCode("AB\x1bC", 80); ok {
		t.Error("rendered an escape")
	}
	// No separator: grouped in fours for reading.
	if g := glyphGroups("ABCDEFGH"); strings.Join(g, "|") != "ABCD|EFGH" {
		t.Errorf("groups %q", g)
	}
	if g := glyphGroups("ABC-DEF-GHI"); strings.Join(g, "|") != "ABC|DEF|GHI" {
		t.Errorf("groups %q", g)
	}
}

func TestLookAlikes(t *testing.T) {
	got := lookAlikes("B0O-5S1l")
	want := []string{
		"B is the letter B (not 8)", "0 is the digit zero (not O)", "O is the letter O (not zero)",
		"5 is the digit five (not S)", "S is the letter S (not 5)", "1 is the digit one (not I or L)", "L is the letter L (not 1 or I)",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("LookAlikes = %q", got)
	}
	if got := lookAlikes("WDJC-MHTX"); len(got) != 0 {
		t.Fatalf("no look-alikes expected, got %q", got)
	}
	if got := lookAlikesShort("BB0-2SZ"); got != "B, S, Z are letters; 0, 2 are digits" {
		t.Fatalf("short = %q", got)
	}
}
