package textsafe

import "testing"

func TestClean(t *testing.T) {
	cases := map[string]string{
		"plain":                          "plain",
		"ABCD-EFGH":                      "ABCD-EFGH",
		"red\x1b[31mtext\x1b[0m":         "redtext",
		"title\x1b]0;pwned\x07end":       "titleend",
		"osc52\x1b]52;c;ZXZpbA==\x1b\\x": "osc52x",
		"bell\x07":                       "bell",
		"two\nlines":                     "two lines",
		"bidi\u202eevil":                 "bidievil",
		"c1\u009b31mx":                   "c1x",
		"dcs\x1bPq#0;2;0;0;0\x1b\\ok":    "dcsok",
		"ümlaut ✓":                       "ümlaut ✓",
		"esc at end\x1b":                 "esc at end",
		"charset\x1b(Bok":                "charsetok",
	}
	for in, want := range cases {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzClean(f *testing.F) {
	f.Add("a\x1b[31mb")
	f.Add("\x1b]8;;http://x\x07y")
	f.Fuzz(func(t *testing.T, s string) {
		out := Clean(s)
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("Clean(%q) left control %U in %q", s, r, out)
			}
		}
	})
}
