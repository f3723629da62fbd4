package devserver

// Another web site, open in the person's browser, cannot lock the
// verification page: in Chromium, attacker pages on two other loopback
// origins fire GETs with wrong codes and forged forms at /device, then the
// person approves their code.

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// attackerPage fires rounds×3 requests at target from the browser: a GET
// of a wrong code by fetch (no-cors, with credentials), the same by an
// image, and a form POST of a wrong code without the page's CSRF token
// (no-cors fetch, the kind a page may send anywhere). window.attackDone
// ends up the number of requests that completed.
func attackerPage(target string, rounds int) string {
	return fmt.Sprintf(`<!doctype html><title>not the dev server</title><script>
const target = %q, jobs = [];
for (let i = 0; i < %d; i++) {
  jobs.push(fetch(target + "?user_code=BBBB-BBBB&i=" + i, {mode: "no-cors", credentials: "include"}).then(() => 1, () => 0));
  jobs.push(new Promise(done => { const img = new Image(); img.onload = img.onerror = () => done(1); img.src = target + "?user_code=CCCC-CCCC&j=" + i; }));
  jobs.push(fetch(target, {method: "POST", mode: "no-cors", credentials: "include",
    headers: {"Content-Type": "application/x-www-form-urlencoded"},
    body: "csrf=guess&user_code=BBBB-BBBB&action=continue"}).then(() => 1, () => 0));
}
Promise.all(jobs).then(rs => { window.attackDone = rs.reduce((a, b) => a + b, 0); });
</script>`, target, rounds)
}

func TestBrowserAttackerPageCannotLockThePage(t *testing.T) {
	ctx := chromium(t)
	s := start(t, Options{Interval: time.Second})
	const rounds = 40 // each of the three kinds more often than any limit

	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(attackerPage(s.DeviceURL(), rounds)))
	}))
	t.Cleanup(attacker.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(attacker.URL, "http://"))

	cfg := oauthConfig(s)
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := awaitDeviceToken(cfg, da)

	// The person opens the verification page (and gets its session).
	if status, kind := navigate(t, ctx, da.VerificationURI); status != 200 || kind != "entry" {
		t.Fatalf("verification page: %d %s", status, kind)
	}

	// In another tab, the attacker's pages: one on another site
	// (localhost, so the browser sends no cookie), one on the same site
	// (127.0.0.1 on another port, so it sends the person's cookie).
	for _, origin := range []string{"http://localhost:" + port, "http://127.0.0.1:" + port} {
		tab, cancel := chromedp.NewContext(ctx)
		if _, err := chromedp.Run(tab, chromedp.Navigate(origin+"/")); err != nil {
			cancel()
			t.Fatalf("attacker page %s: %v", origin, err)
		}
		n, err := chromedp.Run(tab, chromedp.Poll[int]("window.attackDone", chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(time.Minute)))
		cancel()
		if err != nil || n != 3*rounds {
			t.Fatalf("attacker page %s: %d of %d requests reached the dev server (%v)", origin, n, 3*rounds, err)
		}
	}

	// The person types the code and approves.
	if err := chromedp.Do(ctx, chromedp.SendKeys("#user_code", da.UserCode)); err != nil {
		t.Fatal(err)
	}
	if status, kind := submit(t, ctx, `button[value="continue"]`); status != 200 || kind != "confirm" {
		t.Fatalf("continue after the attack: %d %s, want 200 confirm", status, kind)
	}
	if status, kind := submit(t, ctx, `button[value="approve"]`); status != 200 || kind != "approved" {
		t.Fatalf("approve after the attack: %d %s", status, kind)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("device poll after approval: %v", r.err)
	}
	if m := introspect(t, s, r.tok.AccessToken); m["username"] != "alice" {
		t.Errorf("token belongs to %v", m["username"])
	}

	// A second sign-in arriving by its link (verification_uri_complete) in
	// the same browser still gets to the confirmation: directly, or, when
	// the attack spent the budget of link lookups, from the form the link
	// filled in.
	da2, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	status, kind := navigate(t, ctx, da2.VerificationURIComplete)
	if kind == "entry" && status == 200 {
		if v, _ := chromedp.Run(ctx, chromedp.Value("#user_code")); !strings.EqualFold(strings.ReplaceAll(v, "-", ""), strings.ReplaceAll(da2.UserCode, "-", "")) {
			t.Fatalf("the link's form holds %q, want %s", v, da2.UserCode)
		}
		status, kind = submit(t, ctx, `button[value="continue"]`)
	}
	if status != 200 || kind != "confirm" {
		t.Fatalf("the link after the attack: %d %s, want 200 confirm", status, kind)
	}
}
