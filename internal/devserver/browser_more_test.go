package devserver

// More of the dev server's pages in Chromium: the verification page with
// JavaScript off, the requests the pages make, and the pages of the
// failure cases (locked, used code, the consent page's errors).

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/bigcode"
)

// domHTML is the outer HTML of the first element matching the CSS
// selector, read through the DevTools DOM domain (DOM.getOuterHTML): no
// JavaScript runs in the page.
func domHTML(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(sel)))
	if err != nil || len(nodes) == 0 {
		t.Fatalf("no %s on the page: %v", sel, err)
	}
	res, err := chromedp.Call(ctx, dom.GetOuterHTML, dom.GetOuterHTMLParams{NodeID: nodes[0].NodeID})
	if err != nil {
		t.Fatalf("outer HTML of %s: %v", sel, err)
	}
	return res.OuterHTML
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// domText is the text of the first element matching sel, tags removed and
// spaces collapsed (no page JavaScript).
func domText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s := tagRE.ReplaceAllString(domHTML(t, ctx, sel), " ")
	s = strings.NewReplacer("&amp;", "&", "&#39;", "'", "&quot;", `"`, "&lt;", "<", "&gt;", ">").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// domKind is the page's data-page, read from the DOM (no page JavaScript).
func domKind(t *testing.T, ctx context.Context) string {
	t.Helper()
	a, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("main"), "data-page"))
	if err != nil || !a.Exists {
		t.Fatalf("no data-page on main: %v", err)
	}
	return a.Value
}

// clickDOM clicks a button that posts a form and returns the answer's
// status and data-page, reading the page from the DOM only.
func clickDOM(t *testing.T, ctx context.Context, sel string) (int64, string) {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
	return resp.Status, domKind(t, ctx)
}

func navigateDOM(t *testing.T, ctx context.Context, u string) (int64, string) {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(u))
	if err != nil {
		t.Fatalf("navigate %s: %v", u, err)
	}
	return resp.Status, domKind(t, ctx)
}

// requestLog records the URL of every request the tab makes.
type requestLog struct {
	mu   sync.Mutex
	urls []string
}

func recordRequests(t *testing.T, ctx context.Context) *requestLog {
	t.Helper()
	l := &requestLog{}
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request != nil {
			l.mu.Lock()
			l.urls = append(l.urls, e.Request.URL)
			l.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// assertSameOrigin fails for any request to another origin than the given
// ones (no external fonts, scripts, images or analytics), and when there
// were none at all (the log would then prove nothing).
func (l *requestLog) assertSameOrigin(t *testing.T, origins ...string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.urls) == 0 {
		t.Fatal("no requests recorded")
	}
	for _, u := range l.urls {
		p, err := url.Parse(u)
		ok := false
		for _, o := range origins {
			if err == nil && p.Scheme+"://"+p.Host == o {
				ok = true
			}
		}
		if !ok {
			t.Errorf("the page requested %s, outside %v", u, origins)
		}
	}
}

// assertGlyphDrawn checks the first glyph of r on the page against the
// terminal's font: 25 cells, filled where bigcode's pattern is, and drawn
// filled (the browser paints a filled cell, not only has a class).
func assertGlyphDrawn(t *testing.T, ctx context.Context, r rune) {
	t.Helper()
	html := domHTML(t, ctx, `.code .glyph[data-char="`+string(r)+`"]`)
	cells := regexp.MustCompile(`<i( class="on")?></i>`).FindAllStringSubmatch(html, -1)
	want := bigcode.Cells(r)
	if len(cells) != len(want) {
		t.Fatalf("glyph %c has %d cells, want %d: %s", r, len(cells), len(want), html)
	}
	for i, c := range cells {
		if on := c[1] != ""; on != want[i] {
			t.Fatalf("glyph %c cell (row %d, column %d) filled=%v, the terminal's font has %v", r, i/bigcode.Width, i%bigcode.Width, on, want[i])
		}
	}
	// The cells are laid out 5 wide: the 6th cell starts a new row.
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(`.code .glyph[data-char="`+string(r)+`"] i`)))
	if err != nil || len(nodes) < len(want) || len(nodes)%len(want) != 0 {
		t.Fatalf("cells of %c: %d nodes, %v", r, len(nodes), err)
	}
	nodes = nodes[:len(want)] // document order: the first glyph's cells
	box := func(i int) dom.Quad {
		res, err := chromedp.Call(ctx, dom.GetBoxModel, dom.GetBoxModelParams{NodeID: nodes[i].NodeID})
		if err != nil || res.Model == nil {
			t.Fatalf("box of cell %d: %v", i, err)
		}
		return res.Model.Content
	}
	c0, c1, c5 := box(0), box(1), box(bigcode.Width)
	if !(c1[0] > c0[0] && c1[1] == c0[1]) || !(c5[0] == c0[0] && c5[1] > c0[1]) {
		t.Errorf("cells are not a 5-wide grid: cell 0 at %v, 1 at %v, 5 at %v", c0[:2], c1[:2], c5[:2])
	}
	if w := c0[2] - c0[0]; w < 4 {
		t.Errorf("a cell is %.1f px wide: too small to read", w)
	}
}

func TestBrowserVerificationPageWithoutJavaScript(t *testing.T) {
	ctx := chromium(t)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("turning JavaScript off: %v", err)
	}
	reqs := recordRequests(t, ctx)
	s := start(t, Options{Interval: time.Second})
	cfg := oauthConfig(s)
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := awaitDeviceToken(cfg, da)

	if status, kind := navigateDOM(t, ctx, da.VerificationURI); status != 200 || kind != "entry" {
		t.Fatalf("verification page: %d %s", status, kind)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#user_code"), strings.ToLower(da.UserCode))); err != nil {
		t.Fatal(err)
	}
	if status, kind := clickDOM(t, ctx, `button[value="continue"]`); status != 200 || kind != "confirm" {
		t.Fatalf("continue: %d %s", status, kind)
	}
	if got := domText(t, ctx, ".code .vh"); got != "Code: "+da.UserCode {
		t.Errorf("confirm page reads %q to a screen reader, want Code: %s", got, da.UserCode)
	}
	if got := domText(t, ctx, ".code .plain"); got != da.UserCode {
		t.Errorf("plain code %q", got)
	}
	for _, r := range strings.ReplaceAll(da.UserCode, "-", "")[:2] {
		assertGlyphDrawn(t, ctx, r)
	}
	screenshot(t, ctx, "nojs-confirm.png")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`label[for="user-bob"]`))); err != nil {
		t.Fatal(err)
	}
	if status, kind := clickDOM(t, ctx, `button[value="approve"]`); status != 200 || kind != "approved" {
		t.Fatalf("approve: %d %s", status, kind)
	}
	if got := domText(t, ctx, "main"); !strings.Contains(got, "You signed in to "+s.ClientID()+" as Bob Builder (bob).") {
		t.Errorf("result page says %q", got)
	}
	screenshot(t, ctx, "nojs-approved.png")
	r := <-done
	if r.err != nil {
		t.Fatalf("device poll after approval: %v", r.err)
	}
	if m := introspect(t, s, r.tok.AccessToken); m["username"] != "bob" {
		t.Errorf("token belongs to %v (the label click did not choose bob without JavaScript)", m["username"])
	}
	reqs.assertSameOrigin(t, s.Issuer())

	// JavaScript really was off: a page's own script does not run.
	if err := chromedp.Do(ctx, chromedp.Navigate(`data:text/html,<title>off</title><body><p id="p">off</p><script>document.getElementById("p").textContent="on"</script>`)); err != nil {
		t.Fatal(err)
	}
	if got := domText(t, ctx, "#p"); got != "off" {
		t.Errorf("a script ran with JavaScript disabled: %q", got)
	}
}

func TestBrowserFailurePages(t *testing.T) {
	ctx := chromium(t)
	reqs := recordRequests(t, ctx)
	s := start(t, Options{})

	t.Run("used code", func(t *testing.T) {
		da := deviceAuth(t, s)
		navigate(t, ctx, str(da, "verification_uri_complete"))
		if status, kind := submit(t, ctx, `button[value="approve"]`); status != 200 || kind != "approved" {
			t.Fatalf("approve: %d %s", status, kind)
		}
		if status, kind := navigate(t, ctx, str(da, "verification_uri_complete")); status != 409 || kind != "used" {
			t.Fatalf("the same code again: %d %s", status, kind)
		}
		if got := text(t, ctx, "h1"); got != "This code was already used" {
			t.Errorf("heading %q", got)
		}
		if got := text(t, ctx, "main"); !strings.Contains(got, "Enter another code") {
			t.Errorf("used page offers no way on: %q", got)
		}
		assertGlyphDrawn(t, ctx, rune(str(da, "user_code")[0]))
		screenshot(t, ctx, "result-used.png")
	})

	t.Run("locked after too many wrong codes", func(t *testing.T) {
		for i := range MaxWrongCodes {
			navigate(t, ctx, s.DeviceURL())
			if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#user_code"), "BBBB-BBBB")); err != nil {
				t.Fatal(err)
			}
			status, kind := submit(t, ctx, `button[value="continue"]`)
			if i < MaxWrongCodes-1 && (status != 400 || kind != "entry") {
				t.Fatalf("wrong code %d: %d %s", i+1, status, kind)
			}
			if i == MaxWrongCodes-1 && (status != 429 || kind != "locked") {
				t.Fatalf("wrong code %d: %d %s, want the locked page", i+1, status, kind)
			}
		}
		if got := text(t, ctx, "h1"); got != "Too many wrong codes" {
			t.Errorf("heading %q", got)
		}
		if got := text(t, ctx, "main"); !strings.Contains(got, "pauses for 5 minutes") {
			t.Errorf("locked page says %q", got)
		}
		screenshot(t, ctx, "result-locked.png")
		// Even a right code is refused from this browser now.
		da := deviceAuth(t, s)
		if status, kind := navigate(t, ctx, str(da, "verification_uri_complete")); status != 429 || kind != "locked" {
			t.Errorf("a right code while locked: %d %s", status, kind)
		}
	})

	c := ourClient(t, s)
	var flows []*auth.WebFlow // their listeners are the only other origins
	startWeb := func(t *testing.T) *auth.WebFlow {
		t.Helper()
		fctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		t.Cleanup(cancel)
		flow, err := c.StartWeb(fctx, auth.WebOptions{AppName: "authdeck"})
		if err != nil {
			t.Fatalf("StartWeb: %v", err)
		}
		t.Cleanup(func() { flow.Close() })
		go func() { _, _ = flow.Wait(fctx) }()
		flows = append(flows, flow)
		return flow
	}

	t.Run("invalid authorization request", func(t *testing.T) {
		flow := startWeb(t)
		u, _ := url.Parse(flow.AuthURL())
		q := u.Query()
		q.Set("client_id", "someone-else")
		u.RawQuery = q.Encode()
		if status, kind := navigate(t, ctx, u.String()); status != 400 || kind != "error" {
			t.Fatalf("unknown client: %d %s", status, kind)
		}
		if got := text(t, ctx, "h1"); got != "This sign-in request is not valid" {
			t.Errorf("heading %q", got)
		}
		if got := text(t, ctx, "main"); !strings.Contains(got, "your browser was not sent anywhere") {
			t.Errorf("error page says %q", got)
		}
		screenshot(t, ctx, "consent-invalid.png")
		select {
		case <-flow.Done():
			t.Error("the invalid request reached the loopback listener")
		default:
		}
	})

	t.Run("unknown request", func(t *testing.T) {
		startWebFlow := startWeb(t)
		if status, kind := navigate(t, ctx, startWebFlow.AuthURL()); status != 200 || kind != "consent" {
			t.Fatalf("consent page: %d %s", status, kind)
		}
		// The server restarted meanwhile, say: it no longer knows the id.
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('input[name="request"]').value = "r-unknown", true`)); err != nil {
			t.Fatal(err)
		}
		if status, kind := submit(t, ctx, `button[value="approve"]`); status != 400 || kind != "error" {
			t.Fatalf("unknown request: %d %s", status, kind)
		}
		if got := text(t, ctx, "h1"); got != "This sign-in request is not known" {
			t.Errorf("heading %q", got)
		}
		if got := text(t, ctx, "main"); !strings.Contains(got, "Start the sign-in again from your application") {
			t.Errorf("unknown-request page says %q", got)
		}
		screenshot(t, ctx, "consent-unknown.png")
	})

	t.Run("already answered", func(t *testing.T) {
		flow := startWeb(t)
		if status, kind := navigate(t, ctx, flow.AuthURL()); status != 200 || kind != "consent" {
			t.Fatalf("consent page: %d %s", status, kind)
		}
		id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('input[name="request"]').value`))
		if err != nil || id == "" {
			t.Fatalf("request id: %q %v", id, err)
		}
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`button[value="deny"]`))); err != nil {
			t.Fatalf("deny: %v", err)
		}
		<-flow.Done()
		// The answered request's form sent again (a second tab, a replay):
		// a fresh consent page, carrying the old request's id.
		if status, kind := navigate(t, ctx, flow.AuthURL()); status != 200 || kind != "consent" {
			t.Fatalf("consent page again: %d %s", status, kind)
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('input[name="request"]').value = `+"`"+id+"`"+`, true`)); err != nil {
			t.Fatal(err)
		}
		if status, kind := submit(t, ctx, `button[value="approve"]`); status != 409 || kind != "used" {
			t.Fatalf("answering again: %d %s", status, kind)
		}
		if got := text(t, ctx, "h1"); got != "This sign-in was already answered" {
			t.Errorf("heading %q", got)
		}
		if got := text(t, ctx, "main"); !strings.Contains(got, "can be approved or denied once") {
			t.Errorf("page says %q", got)
		}
		screenshot(t, ctx, "consent-already-answered.png")
		if _, err := flow.Wait(context.Background()); !errors.Is(err, auth.ErrAccessDenied) {
			t.Errorf("the second answer changed the result: %v", err)
		}
	})

	listeners := []string{s.Issuer()}
	for _, f := range flows {
		u, _ := url.Parse(f.RedirectURL())
		listeners = append(listeners, u.Scheme+"://"+u.Host)
	}
	reqs.assertSameOrigin(t, listeners...)
}
