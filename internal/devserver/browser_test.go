package devserver

// The verification page in a real browser: Debian's chromium, headless,
// driven by chromedp.

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium starts a headless Chromium with a fresh profile, or skips (fails
// under CI=true) when there is none.
func chromium(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is required under CI=true: %v", err)
		}
		t.Skipf("chromium not installed (apt-get install chromium): %v", err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(820, 900),
	)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // start the browser now
		if os.Getenv("CI") == "true" {
			t.Fatalf("starting chromium: %v", err)
		}
		t.Skipf("chromium does not start: %v", err)
	}
	return ctx
}

// artifacts is where screenshots go: $AUTHDECK_TEST_ARTIFACTS/devserver when
// set, else the test's artifact directory (go test -artifacts keeps it).
func artifacts(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("AUTHDECK_TEST_ARTIFACTS"); d != "" {
		d = filepath.Join(d, "devserver")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.ArtifactDir()
}

// screenshot saves the page as a PNG in artifacts(t), after checking the
// browser's bytes decode as a PNG of the window's size.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	if r := img.Bounds(); r.Dx() < 400 || r.Dy() < 300 {
		t.Fatalf("screenshot %s is %dx%d, smaller than the window", name, r.Dx(), r.Dy())
	}
	p := filepath.Join(artifacts(t), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}

// submit clicks a button that posts the form, waits for the next page and
// returns its HTTP status and data-page.
func submit(t *testing.T, ctx context.Context, button string) (int64, string) {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(button))
	if err != nil {
		t.Fatalf("click %s: %v", button, err)
	}
	return resp.Status, pageKind(t, ctx)
}

func pageKind(t *testing.T, ctx context.Context) string {
	t.Helper()
	kind, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main").dataset.page`))
	if err != nil {
		t.Fatal(err)
	}
	return kind
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+"`"+sel+"`"+`).innerText`))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func navigate(t *testing.T, ctx context.Context, u string) (int64, string) {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(u))
	if err != nil {
		t.Fatalf("navigate %s: %v", u, err)
	}
	return resp.Status, pageKind(t, ctx)
}

func TestBrowserVerificationPage(t *testing.T) {
	ctx := chromium(t)
	c := newClock()
	fake := start(t, Options{Now: c.Now, CodeTTL: time.Minute})

	t.Run("type the code and approve", func(t *testing.T) {
		s := start(t, Options{Interval: time.Second})
		cfg := oauthConfig(s)
		da, err := cfg.DeviceAuth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		done := awaitDeviceToken(cfg, da)

		if status, kind := navigate(t, ctx, da.VerificationURI); status != 200 || kind != "entry" {
			t.Fatalf("verification page: %d %s", status, kind)
		}
		// Typed the lazy way: lower case, no dash.
		typed := strings.ToLower(strings.ReplaceAll(da.UserCode, "-", ""))
		if err := chromedp.Do(ctx, chromedp.SendKeys("#user_code", typed)); err != nil {
			t.Fatal(err)
		}
		screenshot(t, ctx, "code-entry.png")
		if status, kind := submit(t, ctx, `button[value="continue"]`); status != 200 || kind != "confirm" {
			t.Fatalf("continue: %d %s", status, kind)
		}
		if got := text(t, ctx, ".code .vh"); got != "Code: "+da.UserCode {
			t.Errorf("confirm page shows %q, want %s", got, da.UserCode)
		}
		chars, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll(".code .glyph[data-char]")].map(e => e.dataset.char).join("")`))
		if err != nil || chars != strings.ReplaceAll(da.UserCode, "-", "") {
			t.Errorf("the big code's glyphs spell %q (%v)", chars, err)
		}
		assertGlyphDrawn(t, ctx, rune(da.UserCode[0]))
		// Pick bob by clicking his label (the label is tied to the radio).
		if err := chromedp.Do(ctx, chromedp.Click(`label[for="user-bob"]`)); err != nil {
			t.Fatal(err)
		}
		checked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("user-bob").checked`))
		if err != nil || !checked {
			t.Fatalf("clicking bob's label did not select him: %v", err)
		}
		screenshot(t, ctx, "code-page.png")
		if status, kind := submit(t, ctx, `button[value="approve"]`); status != 200 || kind != "approved" {
			t.Fatalf("approve: %d %s", status, kind)
		}
		if got := text(t, ctx, "h1"); got != "Approved" {
			t.Errorf("result heading %q", got)
		}
		if got := text(t, ctx, "main"); !strings.Contains(got, "as Bob Builder (bob)") {
			t.Errorf("result page says %q", got)
		}
		screenshot(t, ctx, "result-approved.png")
		r := <-done
		if r.err != nil {
			t.Fatalf("device poll after approval: %v", r.err)
		}
		if m := introspect(t, s, r.tok.AccessToken); m["username"] != "bob" {
			t.Errorf("token belongs to %v", m["username"])
		}
	})

	t.Run("arrive via verification_uri_complete", func(t *testing.T) {
		da := deviceAuth(t, fake)
		code := str(da, "user_code")
		if status, kind := navigate(t, ctx, str(da, "verification_uri_complete")); status != 200 || kind != "confirm" {
			t.Fatalf("complete URI: %d %s", status, kind)
		}
		if got := text(t, ctx, ".code .vh"); got != "Code: "+code {
			t.Errorf("page shows %q, want %s", got, code)
		}
		checked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("user-alice").checked`))
		if err != nil || !checked {
			t.Errorf("the first user is not preselected: %v", err)
		}
		if status, kind := submit(t, ctx, `button[value="approve"]`); status != 200 || kind != "approved" {
			t.Fatalf("approve: %d %s", status, kind)
		}
		status, m := pollRaw(t, fake, str(da, "device_code"))
		if status != 200 || introspect(t, fake, str(m, "access_token"))["username"] != "alice" {
			t.Errorf("poll: %d %v", status, m)
		}
	})

	t.Run("deny", func(t *testing.T) {
		da := deviceAuth(t, fake)
		navigate(t, ctx, str(da, "verification_uri_complete"))
		if status, kind := submit(t, ctx, `button[value="deny"]`); status != 200 || kind != "denied" {
			t.Fatalf("deny: %d %s", status, kind)
		}
		if got := text(t, ctx, "h1"); got != "Request denied" {
			t.Errorf("heading %q", got)
		}
		screenshot(t, ctx, "result-denied.png")
		c.Advance(time.Minute / 2)
		if status, m := pollRaw(t, fake, str(da, "device_code")); status != 400 || m["error"] != "access_denied" {
			t.Errorf("poll after deny: %d %v", status, m)
		}
	})

	t.Run("wrong code", func(t *testing.T) {
		navigate(t, ctx, fake.DeviceURL())
		if err := chromedp.Do(ctx, chromedp.SendKeys("#user_code", "bbbb-bbbb")); err != nil {
			t.Fatal(err)
		}
		if status, kind := submit(t, ctx, `button[value="continue"]`); status != 400 || kind != "entry" {
			t.Fatalf("wrong code: %d %s", status, kind)
		}
		msg := text(t, ctx, `[role="alert"]`)
		if !strings.Contains(msg, "No sign-in is waiting for the code BBBB-BBBB") || !strings.Contains(msg, "attempts left") {
			t.Errorf("error message %q", msg)
		}
		if v, _ := chromedp.Run(ctx, chromedp.Value("#user_code")); v != "bbbb-bbbb" {
			t.Errorf("the typed code was not kept: %q", v)
		}
		described, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("user_code").getAttribute("aria-describedby")`))
		if !strings.Contains(described, "code-error") {
			t.Errorf("the input is not described by the error: %q", described)
		}
		screenshot(t, ctx, "result-wrong-code.png")
	})

	t.Run("expired code", func(t *testing.T) {
		da := deviceAuth(t, fake)
		c.Advance(time.Minute + time.Second)
		navigate(t, ctx, fake.DeviceURL())
		if err := chromedp.Do(ctx, chromedp.SendKeys("#user_code", str(da, "user_code"))); err != nil {
			t.Fatal(err)
		}
		if status, kind := submit(t, ctx, `button[value="continue"]`); status != 410 || kind != "expired" {
			t.Fatalf("expired code: %d %s", status, kind)
		}
		if got := text(t, ctx, "h1"); got != "This code has expired" {
			t.Errorf("heading %q", got)
		}
		screenshot(t, ctx, "result-expired.png")
	})

	t.Run("replayed form without its CSRF token", func(t *testing.T) {
		da := deviceAuth(t, fake)
		navigate(t, ctx, str(da, "verification_uri_complete"))
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('input[name="csrf"]').remove(), true`)); err != nil {
			t.Fatal(err)
		}
		if status, kind := submit(t, ctx, `button[value="approve"]`); status != 403 || kind != "forbidden" {
			t.Fatalf("form without CSRF token: %d %s", status, kind)
		}
		if got := text(t, ctx, "main"); !strings.Contains(got, "Nothing was approved or denied") {
			t.Errorf("403 page says %q", got)
		}
		screenshot(t, ctx, "result-forbidden.png")
		c.Advance(10 * time.Second)
		if _, m := pollRaw(t, fake, str(da, "device_code")); m["error"] != "authorization_pending" {
			t.Errorf("the code is no longer pending: %v", m)
		}
	})
}
