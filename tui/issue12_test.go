package tui

// Issue 12: the words of the first five minutes. Each test pins the exact
// text on the screen.

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/profiles"
	"golang.org/x/oauth2"
)

// lastLine is the footer: the screen's last line.
func lastLine(v string) string {
	lines := strings.Split(strings.TrimRight(v, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestIntroOnLoginScreenAndQuietStorageNote(t *testing.T) {
	fx := newFixture(0)
	fx.ps.saveInfo = profiles.SaveInfo{Storage: profiles.StorageFile, InsecureStorage: true, Path: "/tmp/authdeck-demo-1/credentials.json"}
	intro := "Demo: approve as alice or bob. --auto-approve: approved as alice after 3s."
	note := "Demo tokens are in /tmp/authdeck-demo-1/credentials.json, removed when the demo ends."
	m := startModel(t, fx, Options{Start: ScreenLogin, Server: testServer(), Intro: intro, StorageNote: note}, 80, 24)
	v := m.View()
	if !strings.Contains(v, "Demo: approve as alice or bob.") {
		t.Fatalf("the intro is not on the login screen:\n%s", v)
	}
	fx.flow.answers = []pollAnswer{{tok: &oauth2.Token{AccessToken: "at", Expiry: t0.Add(time.Hour)}}}
	m, _ = settle(t, m, pollDueMsg{gen: m.login.gen})
	v = m.View()
	if !strings.Contains(v, "Logged in as alice") {
		t.Fatalf("not logged in:\n%s", v)
	}
	if strings.Contains(v, "WARNING") || strings.Contains(v, "you asked for file storage") || strings.Contains(v, "PLAIN FILE") {
		t.Errorf("the demo's success screen warns about the storage it chose itself:\n%s", v)
	}
	if !strings.Contains(strings.Join(strings.Fields(v), " "), note) {
		t.Errorf("the success screen lacks the quiet storage line %q:\n%s", note, v)
	}
	if strings.Contains(v, "approve as alice or bob") {
		t.Errorf("the intro stays after the login succeeded:\n%s", v)
	}
}

func TestPlainFileWarningStaysWithoutNote(t *testing.T) {
	fx := newFixture(0)
	fx.ps.saveInfo = profiles.SaveInfo{Storage: profiles.StorageFile, InsecureStorage: true, Path: "/x/credentials.json"}
	fx.flow.answers = []pollAnswer{{tok: &oauth2.Token{AccessToken: "at", Expiry: t0.Add(time.Hour)}}}
	m := loginModelAt(t, fx, 120, 40)
	m, _ = settle(t, m, pollDueMsg{gen: m.login.gen})
	if v := m.View(); !strings.Contains(v, "PLAIN FILE") {
		t.Fatalf("a real login to a file lost its warning:\n%s", v)
	}
}

func TestLastAnswerBeforeFirstPoll(t *testing.T) {
	fx := newFixture(0)
	m := loginModelAt(t, fx, 120, 40)
	v := m.View()
	if strings.Contains(v, "waiting for you to approve") {
		t.Errorf("claims an answer before any poll:\n%s", v)
	}
	if !strings.Contains(v, "Last answer: none yet (no poll made)") {
		t.Errorf("lacks %q:\n%s", "Last answer: none yet (no poll made)", v)
	}
}

func TestFailedLoginKeepsItsErrorOnExit(t *testing.T) {
	for _, k := range []string{"esc", "q"} {
		fx := newFixture(0)
		fx.flow.answers = []pollAnswer{{err: auth.ErrAccessDenied}}
		m := loginModelAt(t, fx, 80, 24)
		m, _ = settle(t, m, pollDueMsg{gen: m.login.gen})
		if !strings.Contains(m.View(), "Access denied") {
			t.Fatalf("not denied:\n%s", m.View())
		}
		m, _ = settle(t, m, press(k))
		if !m.quitting {
			t.Fatalf("%s did not leave", k)
		}
		res, err := m.finish()
		if !errors.Is(err, auth.ErrAccessDenied) || res.Cancelled {
			t.Errorf("%s after a denial: finish = %+v, %v; want the denial, not cancelled", k, res, err)
		}
	}
}

func TestHelpOpenFooterSaysClose(t *testing.T) {
	fx := newFixture(3)
	m := startModel(t, fx, Options{}, 120, 40)
	m, _ = settle(t, m, press("?"))
	v := m.View()
	if strings.Contains(v, "more keys") {
		t.Errorf("help is open but the footer still offers more keys:\n%s", v)
	}
	if !strings.Contains(v, "? close help") {
		t.Errorf("help open: no %q:\n%s", "? close help", v)
	}
}

func TestFooterAt80ShowsLogoutAndRevoke(t *testing.T) {
	fx := newFixture(3)
	m := startModel(t, fx, Options{}, 80, 24)
	f := lastLine(m.View())
	for _, want := range []string{"o logout", "r revoke", "? more", "q quit"} {
		if !strings.Contains(f, want) {
			t.Errorf("the 80-column footer lacks %q: %q", want, f)
		}
	}
}

func TestSignedOutWhoamiTokenSayWhy(t *testing.T) {
	fx := newFixture(5) // user003 is signed out
	m := startModel(t, fx, Options{}, 120, 40)
	for range 3 {
		m, _ = settle(t, m, press("down"))
	}
	if r, _ := m.accounts.selectedProfile(); r.name != "user003" {
		t.Fatalf("selected %q", r.name)
	}
	for _, k := range []string{"w", "t"} {
		m, _ = settle(t, m, press(k))
		want := "user003 is signed out: press l to log in first."
		if m.active != scrAccounts || !strings.Contains(m.View(), want) {
			t.Errorf("%s on a signed-out profile: want %q on screen:\n%s", k, want, m.View())
		}
	}
}

func TestProfilesHeaderMatchesStatusCommand(t *testing.T) {
	fx := newFixture(3)
	m := startModel(t, fx, Options{}, 120, 40)
	v := m.View()
	// authdeck status prints PROFILE SERVER ACCOUNT STORAGE TOKEN.
	head := strings.Join(strings.Fields(strings.Split(v, "\n")[4]), " ")
	if head != "PROFILE SERVER ACCOUNT STORAGE TOKEN" {
		t.Errorf("profiles header = %q, want the status command's PROFILE SERVER ACCOUNT STORAGE TOKEN", head)
	}
}

func TestAddFormScopesIsAnEmptyFieldWithHint(t *testing.T) {
	fx := newFixture(1)
	m := startModel(t, fx, Options{}, 120, 40)
	m, _ = settle(t, m, press("n"))
	v := m.View()
	if strings.Contains(v, "openid profile email offline_access") {
		t.Errorf("the scopes field shows scopes that are not its default:\n%s", v)
	}
	if !strings.Contains(v, "empty: the server's default scopes") {
		t.Errorf("the scopes field lacks its hint:\n%s", v)
	}
}

func TestRevokeDialogNamesAccountOnce(t *testing.T) {
	r := profileRow{name: "alice", account: "alice", server: "demo", st: profiles.Status{Name: "alice"}}
	req := revokeRequest(r, testServer())
	body := strings.Join(req.body, " ")
	if strings.Contains(body, "alice (alice)") {
		t.Errorf("revoke dialog: %q", body)
	}
	if !strings.Contains(body, "tokens of alice, then") {
		t.Errorf("revoke dialog: %q", body)
	}
	req = logoutRequest(r, true, "the keyring")
	if body := strings.Join(req.body, " "); strings.Contains(body, "alice (alice") {
		t.Errorf("logout dialog: %q", body)
	}
}

// qrCells reports whether the view shows a QR code (half blocks; the big
// code glyphs use only full blocks).
func qrCells(v string) bool { return strings.Contains(v, "▀") && strings.Contains(v, "▄") }

func TestQRCodeFitsCommonSizes(t *testing.T) {
	long := auth.DeviceCode{
		DeviceCode: "dev-secret", UserCode: "BCDF-GHSZ",
		VerificationURI:         "https://login.example-company.com/activate",
		VerificationURIComplete: "https://login.example-company.com/activate?user_code=BCDF-GHSZ",
		IssuedAt:                t0, ExpiresAt: t0.Add(10 * time.Minute), Interval: 5 * time.Second,
	}
	for _, sz := range [][2]int{{80, 24}, {100, 30}, {120, 40}} {
		for _, code := range []auth.DeviceCode{testCode(), long} {
			fx := newFixture(0)
			fx.flow.code = code
			srv := testServer()
			m := startModel(t, fx, Options{Start: ScreenLogin, Server: srv}, sz[0], sz[1])
			v := m.View()
			if !qrCells(v) || strings.Contains(v, "QR code hidden") {
				t.Errorf("%dx%d, %s: no QR code:\n%s", sz[0], sz[1], code.VerificationURIComplete, v)
			}
			if !strings.Contains(v, "BCDF-GHSZ") {
				t.Errorf("%dx%d: the code is not on screen:\n%s", sz[0], sz[1], v)
			}
			for i, l := range strings.Split(v, "\n") {
				if w := len([]rune(l)); w > sz[0] {
					t.Errorf("%dx%d: line %d is %d wide: %q", sz[0], sz[1], i, w, l)
				}
			}
			if n := strings.Count(v, "\n") + 1; n > sz[1] {
				t.Errorf("%dx%d: %d lines", sz[0], sz[1], n)
			}
		}
	}
}
