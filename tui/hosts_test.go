package tui

import (
	"strings"
	"testing"
)

// TestLoginForeignCompleteURI: a hostile server's verification_uri is on
// its own host but verification_uri_complete is on another. The screen
// warns, naming that host; the browser opener, enter and the QR code all
// use the verification_uri instead.
func TestLoginForeignCompleteURI(t *testing.T) {
	fx := newFixture(0)
	fx.flow.code.VerificationURIComplete = "https://evil.example/device?user_code=BCDF-GHSZ"
	m := startModel(t, fx, Options{Start: ScreenLogin, Server: testServer()}, 120, 45)
	v := m.View()
	if flat := strings.Join(strings.Fields(v), " "); !strings.Contains(flat, "evil.example") || !strings.Contains(flat, "! ") {
		t.Errorf("no warning naming evil.example:\n%s", v)
	}
	page := fx.flow.code.VerificationURI
	if len(fx.opens) != 1 || fx.opens[0] != page {
		t.Errorf("browser opened %q, want %q", fx.opens, page)
	}
	m, _ = settle(t, m, press("enter"))
	if len(fx.opens) != 2 || fx.opens[1] != page {
		t.Errorf("enter opened %q, want %q", fx.opens, page)
	}
	want, err := qrMatrix(page)
	if err != nil {
		t.Fatal(err)
	}
	got := qrFromView(m.View(), want.Size)
	if got == nil {
		t.Fatalf("no QR code of the verification page on screen:\n%s", m.View())
	}
	for y := range want.Size {
		for x := range want.Size {
			if got[y][x] != want.Black(x, y) {
				t.Fatalf("the QR code differs from the verification page's at (%d,%d)", x, y)
			}
		}
	}
}

// TestLoginShowsScopes: the device and browser login screens say which
// scopes are requested.
func TestLoginShowsScopes(t *testing.T) {
	fx := newFixture(0)
	m := startModel(t, fx, Options{Start: ScreenLogin, Server: testServer()}, 120, 45)
	if v := m.View(); !strings.Contains(v, "Scopes: openid offline_access") {
		t.Errorf("device login screen lacks the scopes:\n%s", v)
	}
	fx = newFixture(0)
	m = startWeb(t, fx, 120, 45)
	if v := strings.Join(strings.Fields(m.View()), " "); !strings.Contains(v, "Scopes: ") {
		t.Errorf("browser login screen lacks the scopes:\n%s", m.View())
	}
}
