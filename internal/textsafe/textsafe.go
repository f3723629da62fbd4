// Package textsafe makes untrusted strings (from servers and files) safe to
// print on a terminal.
package textsafe

import (
	"strings"
	"unicode"
)

// Clean removes ANSI/OSC/DCS escape sequences and every control character
// (C0, DEL, C1, and Unicode format characters such as bidi overrides) from s.
// Newlines and tabs are replaced by a single space so one value cannot fake
// extra lines of output. The result is safe to write to a terminal.
func Clean(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == 0x1b || r == 0x9b || r == 0x9d || r == 0x90 || r == 0x9e || r == 0x9f || r == 0x98:
			i = skipEscape(rs, i)
		case r == '\n' || r == '\t' || r == '\r':
			b.WriteByte(' ')
		case r == unicode.ReplacementChar:
			b.WriteRune(r)
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// skipEscape returns the index of the last rune of the escape sequence that
// starts at rs[i].
func skipEscape(rs []rune, i int) int {
	r := rs[i]
	var kind rune // '[' CSI, ']' OSC, 'P' DCS, 'X','^','_' string types
	switch r {
	case 0x9b:
		kind = '['
	case 0x9d:
		kind = ']'
	case 0x90:
		kind = 'P'
	case 0x98, 0x9e, 0x9f:
		kind = '_'
	default: // ESC
		if i+1 >= len(rs) {
			return i
		}
		i++
		switch rs[i] {
		case '[':
			kind = '['
		case ']':
			kind = ']'
		case 'P', 'X', '^', '_':
			kind = '_'
		default:
			// two-byte escape (ESC c, ESC 7 ...) or ESC + intermediates + final
			for i < len(rs) && rs[i] >= 0x20 && rs[i] <= 0x2f {
				i++
			}
			return i
		}
	}
	switch kind {
	case '[':
		for i+1 < len(rs) {
			i++
			if rs[i] >= 0x40 && rs[i] <= 0x7e {
				return i
			}
			if rs[i] < 0x20 || rs[i] > 0x7e {
				return i
			}
		}
		return i
	default: // string sequences end with BEL or ST (ESC \ or 0x9c)
		for i+1 < len(rs) {
			i++
			switch rs[i] {
			case 0x07, 0x9c:
				return i
			case 0x1b:
				if i+1 < len(rs) && rs[i+1] == '\\' {
					return i + 1
				}
				return i
			}
		}
		return i
	}
}
