package hint

import "testing"

func TestQuoteAndSuggest(t *testing.T) {
	if got := Quote("acme servers add", "NAME"); got != "`acme servers add NAME`" {
		t.Errorf("Quote = %q", got)
	}
	if got := Quote("", "NAME"); got != "" {
		t.Errorf("Quote of a missing command = %q, want empty", got)
	}
	if got := Suggest("; run ", "`a`", "", "`b`"); got != "; run `a`, or `b`" {
		t.Errorf("Suggest = %q", got)
	}
	if got := Suggest("; run ", "", ""); got != "" {
		t.Errorf("Suggest with nothing = %q, want empty", got)
	}
}
