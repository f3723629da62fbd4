package auth_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/auth/authtest"
)

// TestPagesForeignCompleteURI: a hostile server sends verification_uri on
// its own host but verification_uri_complete on another: the user is
// warned, naming that host, and it is neither offered nor opened.
func TestPagesForeignCompleteURI(t *testing.T) {
	srv, c, _ := newFake(t, authtest.Options{VerificationURIComplete: "https://evil.example/device?user_code=ABCD"})
	dc, err := c.StartDevice(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	pg := dc.Pages(srv.Endpoints())
	if !strings.Contains(pg.Warning, "evil.example") || len(pg.Foreign) != 1 || pg.Foreign[0] != "evil.example" {
		t.Errorf("Pages = %+v, want a warning naming evil.example", pg)
	}
	if pg.Open != dc.VerificationURI || pg.Complete != "" {
		t.Errorf("Open = %q, Complete = %q; want the verification_uri %q and no complete URI", pg.Open, pg.Complete, dc.VerificationURI)
	}
}

func TestPagesRule(t *testing.T) {
	e := auth.Endpoints{Issuer: "https://login.example.com/tenant", DeviceAuthURL: "https://device.example.com/code"}
	tests := []struct {
		name, uri, complete string
		open, foreign       string // foreign: hosts joined by ","
	}{
		{"same host", "https://login.example.com:443/device", "https://login.example.com/device?c=1", "https://login.example.com/device?c=1", ""},
		{"device endpoint host", "https://device.example.com/x", "", "https://device.example.com/x", "device.example.com"},
		{"case differs", "https://LOGIN.example.com/device", "", "https://LOGIN.example.com/device", ""},
		{"page elsewhere", "https://evil.example.net/device", "", "https://evil.example.net/device", "evil.example.net"},
		{"both elsewhere, same host", "https://pages.example.org/d", "https://pages.example.org/d?c=1", "https://pages.example.org/d?c=1", "pages.example.org"},
		{"complete elsewhere", "https://login.example.com/device", "https://evil.example/d?c=1", "https://login.example.com/device", "evil.example"},
		{"each elsewhere", "https://pages.example.org/d", "https://evil.example/d?c=1", "https://pages.example.org/d", "pages.example.org,evil.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pg := (&auth.DeviceCode{VerificationURI: tt.uri, VerificationURIComplete: tt.complete}).Pages(e)
			if pg.Open != tt.open || strings.Join(pg.Foreign, ",") != tt.foreign || (pg.Warning == "") != (tt.foreign == "") {
				t.Errorf("Pages = %+v; want open %q, foreign %q", pg, tt.open, tt.foreign)
			}
			for _, h := range pg.Foreign {
				if !strings.Contains(pg.Warning, h) {
					t.Errorf("warning %q does not name %s", pg.Warning, h)
				}
			}
		})
	}
	// No issuer: the device endpoint's host is the server's (GitHub).
	gh := auth.Endpoints{DeviceAuthURL: "https://github.com/login/device/code"}
	if pg := (&auth.DeviceCode{VerificationURI: "https://github.com/login/device"}).Pages(gh); pg.Warning != "" {
		t.Errorf("warned for GitHub's own page: %q", pg.Warning)
	}
	// Web sign-in: the same rule for the authorization URL.
	if w := e.SignInPageWarning("https://login.example.com/authorize?x"); w != "" {
		t.Errorf("warned for the issuer's own page: %q", w)
	}
	if w := e.SignInPageWarning("https://evil.example/authorize"); !strings.Contains(w, "evil.example") || !strings.Contains(w, "login.example.com") {
		t.Errorf("SignInPageWarning = %q", w)
	}
}

// TestDeviceIDTokenVerified: an ID token that comes with the device flow's
// tokens is verified against the issuer's keys: an unsigned one, or one
// signed with a key the issuer does not publish, fails the login with
// ErrIDToken; a properly signed one passes.
func TestDeviceIDTokenVerified(t *testing.T) {
	for _, tt := range []struct {
		name string
		mode authtest.IDTokenMode
		want string // in the error; "" for success
	}{
		{"signed", authtest.SignedIDToken, ""},
		{"alg none", authtest.UnsignedIDToken, `unsigned ("alg": "none")`},
		{"wrong key", authtest.WrongKeyIDToken, "verify signature"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, c, _ := newFake(t, authtest.Options{IDTokens: tt.mode})
			dc, err := c.StartDevice(ctxT(t))
			if err != nil {
				t.Fatal(err)
			}
			srv.Approve()
			tok, err := c.WaitDevice(ctxT(t), dc, nil)
			if tt.want == "" {
				if err != nil || auth.IDToken(tok) == "" {
					t.Fatalf("WaitDevice = %v, %v", tok, err)
				}
				return
			}
			if !errors.Is(err, auth.ErrIDToken) || !strings.Contains(err.Error(), tt.want) || tok != nil || strings.Contains(err.Error(), "\n") {
				t.Fatalf("WaitDevice = %v, %v; want a one-line ErrIDToken mentioning %q", tok, err, tt.want)
			}
		})
	}
}
