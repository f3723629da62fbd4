package tui

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQRMatrixSizeAndFinders(t *testing.T) {
	url := "http://127.0.0.1:4444/device?user_code=BCDF-GHSZ"
	c, err := qrMatrix(url)
	if err != nil {
		t.Fatal(err)
	}
	// 49 bytes at level L needs version 3: 29x29 modules.
	if c.Size != 29 {
		t.Fatalf("size %d, want 29", c.Size)
	}
	// Finder patterns at three corners: a 7x7 dark ring, a light ring, a
	// 3x3 dark centre, and a light separator around it.
	for _, o := range [][2]int{{0, 0}, {c.Size - 7, 0}, {0, c.Size - 7}} {
		for y := -1; y <= 7; y++ {
			for x := -1; x <= 7; x++ {
				X, Y := o[0]+x, o[1]+y
				if X < 0 || Y < 0 || X >= c.Size || Y >= c.Size {
					continue
				}
				ring := max(abs(x-3), abs(y-3))
				want := ring == 3 || ring <= 1
				if ring == 4 {
					want = false
				}
				if c.Black(X, Y) != want {
					t.Fatalf("finder at %v: module (%d,%d) black=%v, want %v", o, x, y, c.Black(X, Y), want)
				}
			}
		}
	}
	// The bottom-right corner has no finder.
	if c.Black(c.Size-1, c.Size-1) && c.Black(c.Size-7, c.Size-7) && !c.Black(c.Size-2, c.Size-2) {
		t.Fatal("finder-like pattern at bottom right")
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestRenderQRHalfBlocks(t *testing.T) {
	c, err := qrMatrix("https://example.com/device")
	if err != nil {
		t.Fatal(err)
	}
	w, h := qrSize(c)
	for _, dark := range []bool{true, false} {
		s := renderQR(c, dark)
		lines := strings.Split(s, "\n")
		if len(lines) != h {
			t.Fatalf("%d lines, want %d", len(lines), h)
		}
		for _, l := range lines {
			if utf8.RuneCountInString(l) != w {
				t.Fatalf("line of %d cells, want %d", utf8.RuneCountInString(l), w)
			}
		}
		// Decode the half blocks back into modules and compare.
		for y := 0; y < c.Size; y++ {
			for x := 0; x < c.Size; x++ {
				Y, X := y+qrQuiet, x+qrQuiet
				r := []rune(lines[Y/2])[X]
				var on bool
				if Y%2 == 0 {
					on = r == '█' || r == '▀'
				} else {
					on = r == '█' || r == '▄'
				}
				if on != (c.Black(x, y) != dark) {
					t.Fatalf("dark=%v module (%d,%d) drawn %q", dark, x, y, r)
				}
			}
		}
	}
}

func TestQRViewShrinksOrOmits(t *testing.T) {
	url := "http://127.0.0.1:4444/device?user_code=BCDF-GHSZ"
	c, _ := qrMatrix(url)
	w, h := qrSize(c)
	if qrView(url, w, h, true) == "" {
		t.Fatal("omitted although it fits exactly")
	}
	if qrView(url, w-1, h, true) != "" || qrView(url, w, h-1, true) != "" {
		t.Fatal("drawn in too small a space")
	}
	if qrView("", 100, 100, true) != "" {
		t.Fatal("drew an empty text")
	}
	// The login screen omits it (with a note) at 60x20 and shows it at 120x40.
	fx := newFixture(0)
	small := startModel(t, fx, Options{Start: ScreenLogin, Server: testServer()}, 60, 20)
	if v := small.View(); strings.Contains(v, renderQRLine(t, url)) || !strings.Contains(v, "BCDF-GHSZ") {
		t.Fatalf("60x20 view:\n%s", v)
	}
	big := startModel(t, newFixture(0), Options{Start: ScreenLogin, Server: testServer()}, 120, 40)
	if v := big.View(); !strings.Contains(v, renderQRLine(t, url)) {
		t.Fatalf("120x40 view lacks the QR code:\n%s", v)
	}
}

// renderQRLine is the second line of the dark-background QR of url.
func renderQRLine(t *testing.T, url string) string {
	c, err := qrMatrix(url)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(renderQR(c, true), "\n")[1]
}
