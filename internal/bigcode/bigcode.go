// Package bigcode is the big block font in which authdeck shows a device
// flow's user code: the terminal draws it with block characters (tui), and
// the dev server's verification page draws the same cells in HTML, so a
// person can compare the two at a glance.
package bigcode

// Rows is the height of every glyph.
const Rows = 5

// Width is the width of every glyph, not counting the gap between glyphs.
const Width = 5

// Glyph returns the glyph of r: Rows strings of Width cells, '#' for a
// filled cell and ' ' for an empty one. ok is false for a character outside
// the font (A-Z, 0-9 and '-'). The glyphs are drawn so that the usual
// look-alikes differ at a glance: 0 is slashed, O is round; 1 has a flag,
// I has bars, L has a foot; 5 is square, S is curved; 8 is pinched, B is
// flat on the left; 2 is curved, Z is straight.
func Glyph(r rune) (g [Rows]string, ok bool) {
	switch r {
	case 'A':
		return [Rows]string{" ### ", "#   #", "#####", "#   #", "#   #"}, true
	case 'B':
		return [Rows]string{"#### ", "#   #", "#### ", "#   #", "#### "}, true
	case 'C':
		return [Rows]string{" ####", "#    ", "#    ", "#    ", " ####"}, true
	case 'D':
		return [Rows]string{"###  ", "#  # ", "#   #", "#  # ", "###  "}, true
	case 'E':
		return [Rows]string{"#####", "#    ", "#### ", "#    ", "#####"}, true
	case 'F':
		return [Rows]string{"#####", "#    ", "#### ", "#    ", "#    "}, true
	case 'G':
		return [Rows]string{" ####", "#    ", "#  ##", "#   #", " ####"}, true
	case 'H':
		return [Rows]string{"#   #", "#   #", "#####", "#   #", "#   #"}, true
	case 'I':
		return [Rows]string{"#####", "  #  ", "  #  ", "  #  ", "#####"}, true
	case 'J':
		return [Rows]string{"  ###", "    #", "    #", "#   #", " ### "}, true
	case 'K':
		return [Rows]string{"#   #", "#  # ", "###  ", "#  # ", "#   #"}, true
	case 'L':
		return [Rows]string{"#    ", "#    ", "#    ", "#    ", "#####"}, true
	case 'M':
		return [Rows]string{"#   #", "## ##", "# # #", "#   #", "#   #"}, true
	case 'N':
		return [Rows]string{"#   #", "##  #", "# # #", "#  ##", "#   #"}, true
	case 'O':
		return [Rows]string{" ### ", "#   #", "#   #", "#   #", " ### "}, true
	case 'P':
		return [Rows]string{"#### ", "#   #", "#### ", "#    ", "#    "}, true
	case 'Q':
		return [Rows]string{" ### ", "#   #", "# # #", "#  # ", " ## #"}, true
	case 'R':
		return [Rows]string{"#### ", "#   #", "#### ", "#  # ", "#   #"}, true
	case 'S':
		return [Rows]string{" ####", "#    ", " ### ", "    #", "#### "}, true
	case 'T':
		return [Rows]string{"#####", "  #  ", "  #  ", "  #  ", "  #  "}, true
	case 'U':
		return [Rows]string{"#   #", "#   #", "#   #", "#   #", " ### "}, true
	case 'V':
		return [Rows]string{"#   #", "#   #", "#   #", " # # ", "  #  "}, true
	case 'W':
		return [Rows]string{"#   #", "#   #", "# # #", "## ##", "#   #"}, true
	case 'X':
		return [Rows]string{"#   #", " # # ", "  #  ", " # # ", "#   #"}, true
	case 'Y':
		return [Rows]string{"#   #", " # # ", "  #  ", "  #  ", "  #  "}, true
	case 'Z':
		return [Rows]string{"#####", "   # ", "  #  ", " #   ", "#####"}, true
	case '0':
		return [Rows]string{" ### ", "#  ##", "# # #", "##  #", " ### "}, true
	case '1':
		return [Rows]string{"  #  ", " ##  ", "  #  ", "  #  ", " ### "}, true
	case '2':
		return [Rows]string{" ### ", "#   #", "  ## ", " #   ", "#####"}, true
	case '3':
		return [Rows]string{"#### ", "    #", " ### ", "    #", "#### "}, true
	case '4':
		return [Rows]string{"#   #", "#   #", "#####", "    #", "    #"}, true
	case '5':
		return [Rows]string{"#####", "#    ", "#####", "    #", "#### "}, true
	case '6':
		return [Rows]string{" ### ", "#    ", "#### ", "#   #", " ### "}, true
	case '7':
		return [Rows]string{"#####", "    #", "   # ", "  #  ", "  #  "}, true
	case '8':
		return [Rows]string{" ### ", "#   #", " ### ", "#   #", " ### "}, true
	case '9':
		return [Rows]string{" ### ", "#   #", " ####", "    #", " ### "}, true
	case '-':
		return [Rows]string{"     ", "     ", " ### ", "     ", "     "}, true
	}
	return [Rows]string{}, false
}

// Cells returns r's glyph as Rows*Width booleans, row by row (true is a
// filled cell), or nil for a character outside the font.
func Cells(r rune) []bool {
	g, ok := Glyph(r)
	if !ok {
		return nil
	}
	out := make([]bool, 0, Rows*Width)
	for _, row := range g {
		for i := 0; i < Width; i++ {
			out = append(out, row[i] == '#')
		}
	}
	return out
}
