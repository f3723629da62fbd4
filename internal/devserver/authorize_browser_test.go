package devserver

// The browser sign-in (our auth.Client.StartWeb) against a started dev
// server, with headless Chromium playing the person on the consent page.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/authdeck/authdeck/auth"
)

func TestBrowserWebLoginConsent(t *testing.T) {
	ctx := chromium(t)
	s := start(t, Options{})
	c := ourClient(t, s)
	if !c.Endpoints.SupportsWeb() {
		t.Fatalf("discovered endpoints cannot do the browser sign-in: %+v", c.Endpoints)
	}
	type result struct {
		tok *oauth2.Token
		err error
	}
	// startWeb starts a sign-in and waits for it in the background, as the
	// terminal does: the callback page is written once Wait has exchanged
	// the code.
	startWeb := func(t *testing.T) (*auth.WebFlow, context.Context, <-chan result) {
		t.Helper()
		fctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		t.Cleanup(cancel)
		flow, err := c.StartWeb(fctx, auth.WebOptions{AppName: "authdeck"})
		if err != nil {
			t.Fatalf("StartWeb: %v", err)
		}
		t.Cleanup(func() { flow.Close() })
		done := make(chan result, 1)
		go func() {
			tok, err := flow.Wait(fctx)
			done <- result{tok, err}
		}()
		return flow, fctx, done
	}

	t.Run("approve", func(t *testing.T) {
		flow, fctx, done := startWeb(t)
		if status, kind := navigate(t, ctx, flow.AuthURL()); status != 200 || kind != "consent" {
			t.Fatalf("consent page: %d %s", status, kind)
		}
		main := text(t, ctx, "main")
		for _, want := range []string{"Sign in to " + s.ClientID() + "?", "offline_access", "stay signed in", flow.RedirectURL(), "Alice Liddell", "Bob Builder"} {
			if !strings.Contains(main, want) {
				t.Errorf("consent page lacks %q:\n%s", want, main)
			}
		}
		if err := chromedp.Do(ctx, chromedp.Click(`label[for="user-bob"]`)); err != nil {
			t.Fatal(err)
		}
		screenshot(t, ctx, "consent-page.png")
		// The form's answer redirects to our loopback listener, which
		// exchanges the code and shows its own page.
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(`button[value="approve"]`))
		if err != nil {
			t.Fatalf("approve: %v", err)
		}
		if resp.Status != 200 || !strings.HasPrefix(resp.URL, flow.RedirectURL()+"?") {
			t.Errorf("after approving the browser is at %s (%d), want our callback", resp.URL, resp.Status)
		}
		r := <-done
		tok, err := r.tok, r.err
		if err != nil {
			t.Fatalf("Wait: %v", err)
		}
		if got := text(t, ctx, "h1"); got != "Signed in" {
			t.Errorf("callback page heading %q", got)
		}
		screenshot(t, ctx, "web-signed-in.png")
		if m := introspect(t, s, tok.AccessToken); m["username"] != "bob" {
			t.Errorf("the token belongs to %v, want bob", m["username"])
		}
		// The ID token carries the flow's nonce (Wait checked it equals
		// ours) and auth reads the account from it.
		if id, err := auth.IdentityFromIDToken(auth.IDToken(tok)); err != nil || id.Subject != "bob" {
			t.Errorf("ID token identity %+v %v", id, err)
		}
		if _, err := c.Refresh(fctx, tok.RefreshToken); err != nil {
			t.Errorf("refresh: %v", err)
		}
	})

	t.Run("deny", func(t *testing.T) {
		flow, _, done := startWeb(t)
		if status, kind := navigate(t, ctx, flow.AuthURL()); status != 200 || kind != "consent" {
			t.Fatalf("consent page: %d %s", status, kind)
		}
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(`button[value="deny"]`)); err != nil {
			t.Fatalf("deny: %v", err)
		}
		err := (<-done).err
		var oe *auth.OAuthError
		if !errors.Is(err, auth.ErrAccessDenied) || !errors.As(err, &oe) || oe.Code != "access_denied" {
			t.Fatalf("Wait after deny: %v, want access_denied", err)
		}
		if got := text(t, ctx, "h1"); got != "Sign-in declined" {
			t.Errorf("callback page heading %q", got)
		}
	})

	t.Run("replayed consent form without its CSRF token", func(t *testing.T) {
		flow, _, _ := startWeb(t)
		if status, kind := navigate(t, ctx, flow.AuthURL()); status != 200 || kind != "consent" {
			t.Fatalf("consent page: %d %s", status, kind)
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('input[name="csrf"]').remove(), true`)); err != nil {
			t.Fatal(err)
		}
		if status, kind := submit(t, ctx, `button[value="approve"]`); status != 403 || kind != "forbidden" {
			t.Fatalf("consent form without CSRF token: %d %s", status, kind)
		}
		if got := text(t, ctx, "main"); !strings.Contains(got, "Nothing was approved or denied") {
			t.Errorf("403 page says %q", got)
		}
		screenshot(t, ctx, "consent-forbidden.png")
		select {
		case <-flow.Done():
			t.Error("the refused form ended the sign-in")
		default:
		}
	})
}
