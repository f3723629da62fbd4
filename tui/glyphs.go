package tui

import (
	"strings"
	"unicode/utf8"

	"github.com/authdeck/authdeck/internal/bigcode"
)

// glyphRows is the height of the big-glyph font.
const glyphRows = bigcode.Rows

// glyphWidth is the width of every glyph, not counting the gap.
const glyphWidth = bigcode.Width

// glyph is the big-code font's glyph of r (internal/bigcode, which the dev
// server's verification page draws too).
func glyph(r rune) ([glyphRows]string, bool) { return bigcode.Glyph(r) }

// glyphGroups splits a code into the groups the server sent (at '-' or
// spaces). A code with no separator longer than 5 characters is grouped in
// fours for reading only; the plain code is always shown beside the glyphs.
func glyphGroups(code string) []string {
	f := strings.FieldsFunc(code, func(r rune) bool { return r == '-' || r == ' ' })
	if len(f) == 1 && utf8.RuneCountInString(code) > 5 {
		var out []string
		rs := []rune(code)
		for i := 0; i < len(rs); i += 4 {
			out = append(out, string(rs[i:min(i+4, len(rs))]))
		}
		return out
	}
	return f
}

// canRenderGlyphs reports whether every character of code is in the font.
func canRenderGlyphs(code string) bool {
	if code == "" {
		return false
	}
	for _, r := range code {
		if _, ok := glyph(r); !ok && r != ' ' {
			return false
		}
	}
	return true
}

// renderGlyphRow draws one line of groups joined by a dash glyph.
func renderGlyphRow(groups []string, sep bool) []string {
	var rows [glyphRows]strings.Builder
	first := true
	for gi, g := range groups {
		if gi > 0 {
			for r := range rows {
				if sep {
					dash, _ := glyph('-')
					rows[r].WriteString(" " + dash[r])
				} else {
					rows[r].WriteString("  ")
				}
			}
		}
		for _, ch := range g {
			gl, _ := glyph(ch)
			for r := range rows {
				if !first {
					rows[r].WriteByte(' ')
				}
				rows[r].WriteString(gl[r])
			}
			first = false
		}
	}
	out := make([]string, glyphRows)
	for r := range rows {
		out[r] = strings.NewReplacer("#", "█").Replace(strings.TrimRight(rows[r].String(), " "))
	}
	return out
}

// glyphWidthOf is the width in cells of groups drawn on one line.
func glyphWidthOf(groups []string, sep bool) int {
	n := 0
	for _, g := range groups {
		n += utf8.RuneCountInString(g)
	}
	w := n*(glyphWidth+1) - 1
	if len(groups) > 1 {
		if sep {
			w += (len(groups) - 1) * (glyphWidth + 2)
		} else {
			w += (len(groups) - 1) * 2
		}
	}
	return w
}

// renderBigCode draws code in big block glyphs within maxWidth cells,
// wrapping between groups when one line is too wide. ok is false when the
// code has characters outside the font or a single group does not fit; the
// caller then shows the plain code only.
func renderBigCode(code string, maxWidth int) (s string, ok bool) {
	if !canRenderGlyphs(code) {
		return "", false
	}
	groups := glyphGroups(code)
	sep := strings.ContainsRune(code, '-')
	if glyphWidthOf(groups, sep) <= maxWidth {
		return strings.Join(renderGlyphRow(groups, sep), "\n"), true
	}
	// One group per line, the separator dropped (the plain code shows it).
	var lines []string
	for i, g := range groups {
		if glyphWidthOf([]string{g}, false) > maxWidth {
			return "", false
		}
		if i > 0 {
			lines = append(lines, "")
		}
		lines = append(lines, renderGlyphRow([]string{g}, false)...)
	}
	return strings.Join(lines, "\n"), true
}

// lookAlikeName is a short note for a character that is easily mistaken
// for another one, or "".
func lookAlikeName(r rune) string {
	switch r {
	case '0':
		return "0 is the digit zero (not O)"
	case 'O':
		return "O is the letter O (not zero)"
	case 'Q':
		return "Q is the letter Q (not O or 0)"
	case '1':
		return "1 is the digit one (not I or L)"
	case 'I':
		return "I is the letter I (not 1 or L)"
	case 'L':
		return "L is the letter L (not 1 or I)"
	case '5':
		return "5 is the digit five (not S)"
	case 'S':
		return "S is the letter S (not 5)"
	case '8':
		return "8 is the digit eight (not B)"
	case 'B':
		return "B is the letter B (not 8)"
	case '2':
		return "2 is the digit two (not Z)"
	case 'Z':
		return "Z is the letter Z (not 2)"
	}
	return ""
}

// lookAlikes returns a note for each look-alike character in code (upper
// case, each once, in order of appearance).
func lookAlikes(code string) []string {
	var out []string
	seen := map[rune]bool{}
	for _, r := range strings.ToUpper(code) {
		if n := lookAlikeName(r); n != "" && !seen[r] {
			seen[r] = true
			out = append(out, n)
		}
	}
	return out
}

// lookAlikesShort is LookAlikes in a compact form for narrow terminals:
// "B, S are letters; 0 is a digit".
func lookAlikesShort(code string) string {
	var letters, digits []string
	seen := map[rune]bool{}
	for _, r := range strings.ToUpper(code) {
		if lookAlikeName(r) == "" || seen[r] {
			continue
		}
		seen[r] = true
		if r >= '0' && r <= '9' {
			digits = append(digits, string(r))
		} else {
			letters = append(letters, string(r))
		}
	}
	var parts []string
	switch len(letters) {
	case 0:
	case 1:
		parts = append(parts, letters[0]+" is a letter")
	default:
		parts = append(parts, strings.Join(letters, ", ")+" are letters")
	}
	switch len(digits) {
	case 0:
	case 1:
		parts = append(parts, digits[0]+" is a digit")
	default:
		parts = append(parts, strings.Join(digits, ", ")+" are digits")
	}
	return strings.Join(parts, "; ")
}
