package devserver

// The wrong-code lockout of the verification page counts only what a
// person's own form can send: POSTs with the session's CSRF token. Nothing
// another site can make a browser send (cookie-less GETs, GETs that carry
// the cookie, forms without the token) counts, or locks anybody.

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// crossSiteGet sends what an <img> or a no-cors fetch on another site
// makes a browser send: a GET with Fetch Metadata saying cross-site, and
// the given cookies (none for a cross-site page, the person's own for a
// same-site one such as another port on 127.0.0.1).
func crossSiteGet(t *testing.T, s *Server, path string, cookies []*http.Cookie) int {
	t.Helper()
	req, err := http.NewRequest("GET", s.Issuer()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Sec-Fetch-Mode", "no-cors")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// wrongCodePost sends a wrong code with the browser's own CSRF token.
func (b *browser) wrongCodePost(csrf string) (int, string) {
	b.t.Helper()
	return b.post(url.Values{"csrf": {csrf}, "user_code": {"BBBB-BBBB"}, "action": {"continue"}})
}

// wantAttemptsLeft sends a wrong code with the browser's CSRF token and
// checks that the page says n attempts are left.
func (b *browser) wantAttemptsLeft(csrf string, n int) {
	t := b.t
	t.Helper()
	status, page := b.wrongCodePost(csrf)
	if status != 400 || !strings.Contains(page, fmt.Sprintf(" %d attempt%s left.", n, plural(n))) {
		t.Fatalf("a wrong code: %d, want 400 saying %d attempts are left\n%s", status, n, page)
	}
}

func TestCrossSiteGETsDoNotLockThePage(t *testing.T) {
	s := start(t, Options{})
	user := newBrowser(t, s)
	_, page := user.get("/device")
	csrf := csrfOf(t, page)
	userCookies := user.hc.Jar.Cookies(mustURL(s.DeviceURL()))
	if len(userCookies) == 0 {
		t.Fatal("the page set no session cookie")
	}

	// A page on another site: cookie-less GETs with a wrong code.
	for i := range 100 {
		if status := crossSiteGet(t, s, "/device?user_code=BBBB-BBBB", nil); status == http.StatusTooManyRequests {
			t.Fatalf("cookie-less GET %d of a wrong code answered 429: the page locked for everyone", i+1)
		}
	}
	// A page on the same site (another port of 127.0.0.1): the browser
	// sends the person's cookie along with the GETs.
	for i := range 100 {
		if status := crossSiteGet(t, s, "/device?user_code=BBBB-BBBB", userCookies); status == http.StatusTooManyRequests {
			t.Fatalf("GET %d of a wrong code with the person's cookie answered 429: it locked the person out", i+1)
		}
	}

	// The person's session still has all its attempts, and works.
	user.wantAttemptsLeft(csrf, MaxWrongCodes-1)
	da := deviceAuth(t, s)
	code := str(da, "user_code")
	if status, page := user.post(url.Values{"csrf": {csrf}, "user_code": {code}, "action": {"continue"}}); status != 200 || !strings.Contains(page, `data-page="confirm"`) {
		t.Fatalf("the person's right code: %d\n%s", status, page)
	}
	if status, page := user.post(url.Values{"csrf": {csrf}, "user_code": {code}, "user": {"alice"}, "action": {"approve"}}); status != 200 || !strings.Contains(page, `data-page="approved"`) {
		t.Fatalf("approve: %d\n%s", status, page)
	}
	// verification_uri_complete still works in a new browser. The GETs
	// spent the server's budget of code links looked up
	// (maxLinkMissesPerMinute), so the link puts the code in the form, one
	// press of Continue away from the confirmation.
	da = deviceAuth(t, s)
	code = str(da, "user_code")
	nb := newBrowser(t, s)
	status, page := nb.get(strings.TrimPrefix(str(da, "verification_uri_complete"), s.Issuer()))
	if status != 200 || !strings.Contains(page, `data-page="entry"`) || !strings.Contains(page, `value="`+code+`"`) {
		t.Fatalf("verification_uri_complete after the GETs: %d, want the form with the code in it\n%s", status, page)
	}
	if status, page := nb.post(url.Values{"csrf": {csrfOf(t, page)}, "user_code": {code}, "action": {"continue"}}); status != 200 || !strings.Contains(page, `data-page="confirm"`) {
		t.Fatalf("continue from verification_uri_complete: %d\n%s", status, page)
	}
}

// A GET with a wrong ?user_code= shows the entry form with the code in it
// and says no sign-in waits for it, but is not a counted attempt.
func TestWrongCodeLinkIsNotAnAttempt(t *testing.T) {
	s := start(t, Options{})
	b := newBrowser(t, s)
	for range MaxWrongCodes + 1 {
		status, page := b.get("/device?user_code=bbbb-bbbb")
		if status != 400 || !strings.Contains(page, "No sign-in is waiting for the code BBBB-BBBB") || !strings.Contains(page, `value="bbbb-bbbb"`) {
			t.Fatalf("wrong code in the link: %d\n%s", status, page)
		}
		if strings.Contains(page, "left.") {
			t.Fatalf("a link's wrong code was counted as an attempt:\n%s", page)
		}
	}
	_, page := b.get("/device")
	b.wantAttemptsLeft(csrfOf(t, page), MaxWrongCodes-1)
}

// Links are looked up only so often (they are not counted per session);
// past that, a link's code is put in the form for the person to send, and
// nothing is refused.
func TestCodeLinkLookupsAreBounded(t *testing.T) {
	c := newClock()
	s := start(t, Options{Now: c.Now})
	for i := range maxLinkMissesPerMinute {
		if status := crossSiteGet(t, s, "/device?user_code=BBBB-BBBB", nil); status != 400 {
			t.Fatalf("wrong code link %d: %d", i+1, status)
		}
	}
	da := deviceAuth(t, s)
	code := str(da, "user_code")
	b := newBrowser(t, s)
	status, page := b.get("/device?user_code=" + code)
	if status != 200 || !strings.Contains(page, `data-page="entry"`) || !strings.Contains(page, `value="`+code+`"`) || strings.Contains(page, "No sign-in") {
		t.Fatalf("a right code's link past the lookup budget: %d, want the form with the code in it\n%s", status, page)
	}
	if status, page := b.post(url.Values{"csrf": {csrfOf(t, page)}, "user_code": {code}, "action": {"continue"}}); status != 200 || !strings.Contains(page, `data-page="confirm"`) {
		t.Fatalf("continue with the prefilled code: %d\n%s", status, page)
	}
	c.Advance(time.Minute + time.Second)
	if status, page := newBrowser(t, s).get("/device?user_code=" + code); status != 200 || !strings.Contains(page, `data-page="confirm"`) {
		t.Fatalf("the link a minute later: %d", status)
	}
}

func TestFormsWithoutValidCSRFDoNotCount(t *testing.T) {
	s := start(t, Options{})
	user := newBrowser(t, s)
	_, page := user.get("/device")
	csrf := csrfOf(t, page)
	userCookies := user.hc.Jar.Cookies(mustURL(s.DeviceURL()))
	other := newBrowser(t, s)
	_, otherPage := other.get("/device")
	otherCSRF := csrfOf(t, otherPage)

	send := func(form url.Values, cookies []*http.Cookie, site string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", s.DeviceURL(), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
			req.Header.Set("Sec-Fetch-Mode", "no-cors")
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	wrong := func(csrf string) url.Values {
		return url.Values{"csrf": {csrf}, "user_code": {"BBBB-BBBB"}, "action": {"continue"}}
	}
	for i := range 100 {
		for name, status := range map[string]int{
			"no cookie, no token":             send(wrong(""), nil, "cross-site"),
			"no cookie, the person's token":   send(wrong(csrf), nil, ""),
			"the cookie, no token":            send(wrong(""), userCookies, "same-site"),
			"the cookie, a made-up token":     send(wrong("x"+csrf), userCookies, ""),
			"the cookie, another's token":     send(wrong(otherCSRF), userCookies, ""),
			"the cookie and token, same-site": send(wrong(csrf), userCookies, "same-site"),
		} {
			if status != http.StatusForbidden {
				t.Fatalf("POST %d (%s): %d, want 403", i+1, name, status)
			}
		}
	}
	user.wantAttemptsLeft(csrf, MaxWrongCodes-1)
	other.wantAttemptsLeft(otherCSRF, MaxWrongCodes-1)
}

func TestWrongCodesLockOnlyTheirSession(t *testing.T) {
	s := start(t, Options{})
	a, b := newBrowser(t, s), newBrowser(t, s)
	_, pa := a.get("/device")
	_, pb := b.get("/device")
	csrfA, csrfB := csrfOf(t, pa), csrfOf(t, pb)
	for i := 1; i < MaxWrongCodes; i++ {
		a.wantAttemptsLeft(csrfA, MaxWrongCodes-i)
	}
	if status, page := a.wrongCodePost(csrfA); status != 429 || !strings.Contains(page, `data-page="locked"`) {
		t.Fatalf("session A's last wrong code: %d", status)
	}
	code := str(deviceAuth(t, s), "user_code")
	if status, _ := a.post(url.Values{"csrf": {csrfA}, "user_code": {code}, "action": {"continue"}}); status != 429 {
		t.Errorf("session A's right code while locked: %d, want 429", status)
	}
	if status, _ := a.get("/device?user_code=" + code); status != 429 {
		t.Errorf("session A's link while locked: %d, want 429", status)
	}
	// Session B is untouched: all its attempts, and the right code works.
	b.wantAttemptsLeft(csrfB, MaxWrongCodes-1)
	if status, page := b.post(url.Values{"csrf": {csrfB}, "user_code": {code}, "user": {"bob"}, "action": {"approve"}}); status != 200 || !strings.Contains(page, `data-page="approved"`) {
		t.Fatalf("session B approves: %d\n%s", status, page)
	}
}

// Fresh sessions cost nothing, so wrong codes are also capped across all
// sessions: one wrong code from each of many sessions stops at
// MaxWrongCodesPerMinute, for a minute.
func TestFreshSessionsAreLimitedTogether(t *testing.T) {
	c := newClock()
	s := start(t, Options{Now: c.Now})
	code := str(deviceAuth(t, s), "user_code")
	fresh := func() (*browser, string) {
		b := newBrowser(t, s)
		_, page := b.get("/device")
		return b, csrfOf(t, page)
	}
	for i := range MaxWrongCodesPerMinute {
		b, csrf := fresh()
		b.wantAttemptsLeft(csrf, MaxWrongCodes-1)
		if i == 0 {
			c.Advance(30 * time.Second) // the window is a minute from the first wrong code
		}
	}
	b, csrf := fresh()
	if status, page := b.wrongCodePost(csrf); status != 429 || !strings.Contains(page, `data-page="locked"`) {
		t.Fatalf("a wrong code past the server-wide cap: %d", status)
	}
	if status, _ := b.post(url.Values{"csrf": {csrf}, "user_code": {code}, "action": {"continue"}}); status != 429 {
		t.Fatalf("a right code past the server-wide cap: %d, want 429 (else the cap is an oracle)", status)
	}
	c.Advance(31 * time.Second)
	if status, page := b.post(url.Values{"csrf": {csrf}, "user_code": {code}, "action": {"continue"}}); status != 200 || !strings.Contains(page, `data-page="confirm"`) {
		t.Fatalf("a minute later: %d", status)
	}
}

// Cookie-less GETs cost the server no memory: more of them than it keeps
// sessions for do not push the person's session out.
func TestCookielessGETsDoNotEvictSessions(t *testing.T) {
	s := start(t, Options{})
	user := newBrowser(t, s)
	_, page := user.get("/device")
	csrf := csrfOf(t, page)
	for i := range maxSessions + 10 {
		if status := crossSiteGet(t, s, "/device", nil); status != 200 {
			t.Fatalf("GET %d: %d", i+1, status)
		}
	}
	code := str(deviceAuth(t, s), "user_code")
	if status, page := user.post(url.Values{"csrf": {csrf}, "user_code": {code}, "action": {"continue"}}); status != 200 || !strings.Contains(page, `data-page="confirm"`) {
		t.Fatalf("the person's form after %d cookie-less GETs: %d\n%s", maxSessions+10, status, page)
	}
}

// The record of wrong codes is bounded: sessions with wrong codes are
// forgotten once their lockout is over, and there are never more than
// maxSessions.
func TestWrongCodeRecordsAreBounded(t *testing.T) {
	c := newClock()
	s := start(t, Options{Now: c.Now})
	for range 3 {
		b := newBrowser(t, s)
		_, page := b.get("/device")
		b.wrongCodePost(csrfOf(t, page))
	}
	s.mu.Lock()
	n := len(s.state.guesses)
	s.mu.Unlock()
	if n != 3 {
		t.Fatalf("%d sessions with wrong codes recorded, want 3", n)
	}
	c.Advance(LockoutPeriod + sweepEvery + time.Second)
	deviceAuth(t, s) // sweeps
	s.mu.Lock()
	n = len(s.state.guesses)
	s.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d records of wrong codes kept after the lockout period", n)
	}
}
