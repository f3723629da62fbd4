package devserver

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/bigcode"
)

func TestPageHeadersAndCSPHash(t *testing.T) {
	s := start(t, Options{})
	resp, err := httpClient.Get(s.DeviceURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := string(raw)
	h := resp.Header
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "form-action 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	// The one inline <style> is allowed by its hash, nothing else.
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(body, -1)
	if len(m) != 1 {
		t.Fatalf("%d style elements", len(m))
	}
	sum := sha256.Sum256([]byte(m[0][1]))
	if !strings.Contains(csp, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
		t.Errorf("CSP %q does not allow the page's style by hash", csp)
	}
	if strings.Contains(body, "<script") || strings.Contains(body, " style=") {
		t.Error("page has script or inline style attributes")
	}
	if h.Get("X-Frame-Options") != "DENY" || h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers %v", h)
	}
	var c *http.Cookie
	for _, k := range resp.Cookies() {
		if k.Name == s.sessionCookie() {
			c = k
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Errorf("session cookie %+v", c)
	}
	for _, want := range []string{`<html lang="en">`, `<label for="user_code">`, `id="user_code"`, "<title>"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

func TestFormFlowAndCodeNormalisation(t *testing.T) {
	s := start(t, Options{})
	da := deviceAuth(t, s)
	code := str(da, "user_code")
	b := newBrowser(t, s)
	_, page := b.get("/device")
	csrf := csrfOf(t, page)
	// Lower case, no dash, spaces: still the code.
	typed := strings.ToLower(code[:2] + " " + code[2:4] + code[5:])
	status, page := b.post(url.Values{"csrf": {csrf}, "user_code": {typed}, "action": {"continue"}})
	if status != 200 || !strings.Contains(page, `data-page="confirm"`) {
		t.Fatalf("continue with %q: %d\n%s", typed, status, page)
	}
	if !strings.Contains(page, `<span class="vh">Code: `+code+`</span>`) {
		t.Errorf("confirm page does not show %s", code)
	}
	for _, u := range []string{`<fieldset>`, `<legend>Sign in as</legend>`, `<label for="user-alice">`, `id="user-bob"`} {
		if !strings.Contains(page, u) {
			t.Errorf("confirm page lacks %s", u)
		}
	}
	// An unknown user is refused and nothing is decided.
	if status, page := b.post(url.Values{"csrf": {csrf}, "user_code": {code}, "user": {"mallory"}, "action": {"approve"}}); status != 400 || !strings.Contains(page, "Choose who to sign in as") {
		t.Errorf("approve as an unknown user: %d", status)
	}
	if status, page := b.post(url.Values{"csrf": {csrf}, "user_code": {code}, "user": {"bob"}, "action": {"approve"}}); status != 200 || !strings.Contains(page, "as Bob Builder (bob)") {
		t.Fatalf("approve: %d\n%s", status, page)
	}
	// Used codes say so.
	if status, page := b.post(url.Values{"csrf": {csrf}, "user_code": {code}, "action": {"continue"}}); status != 409 || !strings.Contains(page, `data-page="used"`) {
		t.Errorf("reusing a code: %d", status)
	}
	status, m := pollRaw(t, s, str(da, "device_code"))
	if status != 200 || introspect(t, s, str(m, "access_token"))["username"] != "bob" {
		t.Errorf("token after approval: %d %v", status, m)
	}
}

func TestNormalizeUserCode(t *testing.T) {
	for in, want := range map[string]string{
		"BCDF-GHJK": "BCDFGHJK", "bcdfghjk": "BCDFGHJK", " bcdf ghjk ": "BCDFGHJK", "Bc-Df-Gh-Jk": "BCDFGHJK",
		"BCDF-GHJ": "", "BCDF-GHJKL": "", "BCDF-GHJ0": "", "ABCD-EFGH": "", "": "", "BCDF\u2013GHJK": "BCDFGHJK",
	} {
		got, ok := normalizeUserCode(in)
		if got != want || ok != (want != "") {
			t.Errorf("normalizeUserCode(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	seen := map[byte]bool{}
	for range 500 {
		c := randomUserCode()
		if len(c) != userCodeLen {
			t.Fatalf("code %q", c)
		}
		for i := range len(c) {
			if !strings.ContainsRune(userCodeAlphabet, rune(c[i])) {
				t.Fatalf("code %q has %q", c, c[i])
			}
			seen[c[i]] = true
		}
	}
	if len(seen) != len(userCodeAlphabet) {
		t.Errorf("500 codes used only %d letters of %d", len(seen), len(userCodeAlphabet))
	}
}

func TestCSRFRefusals(t *testing.T) {
	s := start(t, Options{})
	da := deviceAuth(t, s)
	code := str(da, "user_code")
	b := newBrowser(t, s)
	_, page := b.get("/device?user_code=" + code)
	csrf := csrfOf(t, page)

	approve := url.Values{"user_code": {code}, "user": {"alice"}, "action": {"approve"}}
	// Without the token, with a wrong one, without the cookie, cross-site.
	status, page := b.post(approve)
	if status != 403 || !strings.Contains(page, `data-page="forbidden"`) || !strings.Contains(page, "Nothing was approved or denied") {
		t.Errorf("no CSRF field: %d\n%s", status, page)
	}
	wrong := url.Values{"csrf": {"x" + csrf}, "user_code": {code}, "user": {"alice"}, "action": {"approve"}}
	if status, _ := b.post(wrong); status != 403 {
		t.Errorf("wrong CSRF field: %d", status)
	}
	withToken := url.Values{"csrf": {csrf}, "user_code": {code}, "user": {"alice"}, "action": {"approve"}}
	if resp, err := httpClient.PostForm(s.DeviceURL(), withToken); err != nil || resp.StatusCode != 403 {
		t.Errorf("replayed form without the session cookie: %v %v", resp.StatusCode, err)
	}
	req, _ := http.NewRequest("POST", s.DeviceURL(), strings.NewReader(withToken.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	for _, c := range b.hc.Jar.Cookies(mustURL(s.DeviceURL())) {
		req.AddCookie(c)
	}
	if resp, err := httpClient.Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("cross-site POST: %v %v", resp.StatusCode, err)
	}
	req.Header.Del("Sec-Fetch-Site")
	req.Header.Set("Origin", "http://evil.example")
	req.Body = http.NoBody
	if resp, err := httpClient.Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("foreign Origin: %v %v", resp.StatusCode, err)
	}
	if status, m := pollRaw(t, s, str(da, "device_code")); m["error"] != "authorization_pending" && m["error"] != "slow_down" {
		t.Fatalf("after refused forms the code is no longer pending: %d %v", status, m)
	}
	// The genuine form still works.
	if status, page := b.post(withToken); status != 200 || !strings.Contains(page, `data-page="approved"`) {
		t.Errorf("genuine form: %d", status)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestWrongCodesAreLimitedPerSession(t *testing.T) {
	c := newClock()
	s := start(t, Options{Now: c.Now})
	code := str(deviceAuth(t, s), "user_code")
	b := newBrowser(t, s)
	_, page := b.get("/device")
	csrf := csrfOf(t, page)
	for i := 1; i < MaxWrongCodes; i++ {
		status, page := b.post(url.Values{"csrf": {csrf}, "user_code": {"BBBB-BBBB"}, "action": {"continue"}})
		left := MaxWrongCodes - i
		if status != 400 || !strings.Contains(page, "No sign-in is waiting for the code BBBB-BBBB") || !strings.Contains(page, " left.") {
			t.Fatalf("wrong code %d: %d\n%s", i, status, page)
		}
		if !strings.Contains(page, fmt.Sprintf(" %d attempt", left)) {
			t.Errorf("wrong code %d: page does not say %d attempts are left", i, left)
		}
	}
	if status, page := b.post(url.Values{"csrf": {csrf}, "user_code": {"hello"}, "action": {"continue"}}); status != 429 || !strings.Contains(page, `data-page="locked"`) {
		t.Fatalf("last wrong code: %d", status)
	}
	// Locked: even the right code is refused in this session...
	if status, _ := b.post(url.Values{"csrf": {csrf}, "user_code": {code}, "action": {"continue"}}); status != 429 {
		t.Errorf("right code in a locked session: %d", status)
	}
	// ...but not in another browser, and not after the lockout.
	if status, _ := newBrowser(t, s).get("/device?user_code=" + code); status != 200 {
		t.Errorf("right code in another browser: %d", status)
	}
	c.Advance(LockoutPeriod + time.Second)
	if status, page := b.post(url.Values{"csrf": {csrf}, "user_code": {code}, "action": {"continue"}}); status != 200 || !strings.Contains(page, `data-page="confirm"`) {
		t.Errorf("after the lockout: %d", status)
	}
}

func TestExpiredCodePage(t *testing.T) {
	c := newClock()
	s := start(t, Options{Now: c.Now, CodeTTL: time.Minute})
	da := deviceAuth(t, s)
	c.Advance(time.Minute)
	b := newBrowser(t, s)
	status, page := b.get("/device?user_code=" + url.QueryEscape(str(da, "user_code")))
	if status != 410 || !strings.Contains(page, "This code has expired") {
		t.Errorf("expired code: %d\n%s", status, page)
	}
	if status, m := pollRaw(t, s, str(da, "device_code")); status != 400 || m["error"] != "expired_token" {
		t.Errorf("poll: %d %v", status, m)
	}
}

func TestHostHeaderChecked(t *testing.T) {
	s := start(t, Options{})
	for host, want := range map[string]int{
		"evil.example": 421,
		"127.0.0.1:1":  421,
		strings.TrimPrefix(s.Issuer(), "http://"):                        200,
		"localhost:" + s.Issuer()[strings.LastIndex(s.Issuer(), ":")+1:]: 200,
	} {
		req := httptest.NewRequest("GET", s.DeviceURL(), nil)
		req.Host = host
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("Host %q: %d, want %d", host, w.Code, want)
		}
	}
}

// Two dev servers on 127.0.0.1 in one browser: cookies are kept per host,
// not per port, so under one cookie name the second server's session would
// replace the first's and the first's form would be refused.
func TestTwoServersOneCookieJar(t *testing.T) {
	s1, s2 := start(t, Options{}), start(t, Options{})
	if s1.sessionCookie() == s2.sessionCookie() {
		t.Fatalf("both servers name their cookie %s", s1.sessionCookie())
	}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	get := func(s *Server) string {
		t.Helper()
		resp, err := hc.Get(s.DeviceURL())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	da := deviceAuth(t, s1)
	csrf1 := csrfOf(t, get(s1)) // the first server's form is open...
	get(s2)                     // ...when the second server's page is opened
	resp, err := hc.PostForm(s1.DeviceURL(), url.Values{"csrf": {csrf1}, "user_code": {str(da, "user_code")}, "action": {"continue"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `data-page="confirm"`) {
		t.Fatalf("the first server's form after opening the second's page: %d\n%s", resp.StatusCode, body)
	}
}

// The page draws the code in the terminal's 5x5 font (internal/bigcode),
// cell for cell, hidden from screen readers, which read the plain code.
func TestPageCodeInTerminalFont(t *testing.T) {
	s := start(t, Options{})
	da := deviceAuth(t, s)
	code := str(da, "user_code")
	b := newBrowser(t, s)
	status, page := b.get("/device?user_code=" + url.QueryEscape(code))
	if status != 200 {
		t.Fatalf("confirm page: %d", status)
	}
	if !strings.Contains(page, `<span class="vh">Code: `+code+`</span>`) || !strings.Contains(page, `<span class="glyphs" aria-hidden="true">`) {
		t.Fatalf("the code is not given to screen readers in plain text, or the glyphs are not hidden from them:\n%s", page)
	}
	glyphRE := regexp.MustCompile(`<span class="glyph" data-char="(.)">((?:<i(?: class="on")?></i>)*)</span>`)
	found := glyphRE.FindAllStringSubmatch(page, -1)
	if len(found) != 8 {
		t.Fatalf("%d glyphs drawn, want 8:\n%s", len(found), page)
	}
	var chars strings.Builder
	for _, g := range found {
		chars.WriteString(g[1])
		cells := regexp.MustCompile(`<i(?: class="on")?></i>`).FindAllString(g[2], -1)
		want := bigcode.Cells(rune(g[1][0]))
		if len(cells) != len(want) {
			t.Fatalf("glyph %s has %d cells, want %d", g[1], len(cells), len(want))
		}
		for i, c := range cells {
			if on := strings.Contains(c, "on"); on != want[i] {
				t.Fatalf("glyph %s cell %d (row %d, column %d) is %v, the terminal's font has %v", g[1], i, i/bigcode.Width, i%bigcode.Width, on, want[i])
			}
		}
	}
	if chars.String() != strings.ReplaceAll(code, "-", "") {
		t.Errorf("glyphs spell %q, want %s", chars.String(), code)
	}
	// The dash between the groups is the font's dash.
	sep := regexp.MustCompile(`<span class="sep"><span class="glyph">((?:<i(?: class="on")?></i>)*)</span></span>`).FindStringSubmatch(page)
	if sep == nil || strings.Count(sep[1], `class="on"`) != strings.Count(strings.Join(func() []string { g, _ := bigcode.Glyph('-'); return g[:] }(), ""), "#") {
		t.Errorf("no dash glyph between the groups:\n%s", page)
	}
}
