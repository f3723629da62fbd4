package auth

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/authdeck/authdeck/internal/textsafe"
)

// The one host rule for every address a sign-in sends the user to (the
// device flow's verification_uri and verification_uri_complete, the browser
// sign-in's authorization URL): an address is on the server's host when its
// host is the issuer's (the device authorization endpoint's when there is
// no issuer, else the token endpoint's). Any other host is foreign:
// the user is warned, by name, before going there. Providers do this
// legitimately (Entra, WorkOS, Google), a hostile server could too: a
// phishing page shows its own codes.

// serverHost is the host an address may be on without a warning: the
// issuer's (the address the user gave), else the device authorization
// endpoint's, else the token endpoint's; "" when none is known.
func (e Endpoints) serverHost() string {
	for _, raw := range []string{e.Issuer, e.DeviceAuthURL, e.TokenURL} {
		if h := hostOf(raw); h != "" {
			return h
		}
	}
	return ""
}

// hostOf is the lower-case host name of a URL, or "".
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// ForeignHost returns the host of raw (control characters stripped) when
// it is not on the server's host, and "" when it is or when the hosts
// cannot be compared.
func (e Endpoints) ForeignHost(raw string) string {
	h, server := hostOf(raw), e.serverHost()
	if h == "" || server == "" || h == server {
		return ""
	}
	return textsafe.Clean(h)
}

// SignInPageWarning is the warning, one sentence, for sending the user to
// the browser sign-in's authorization URL when it is on a foreign host;
// "" when it is not.
func (e Endpoints) SignInPageWarning(authURL string) string {
	h := e.ForeignHost(authURL)
	if h == "" {
		return ""
	}
	return fmt.Sprintf("the sign-in page is on %s, not on the server's host %s. Only sign in there if you expected %s's page.", h, textsafe.Clean(e.serverHost()), h)
}

// VerificationPages is the host rule applied to a device code's addresses.
type VerificationPages struct {
	// Open is the address to open in a browser and to encode in a QR code:
	// VerificationURIComplete when the server sent a usable one,
	// VerificationURI otherwise. A VerificationURIComplete on another host
	// than both the server and VerificationURI is never used.
	Open string
	// Complete is VerificationURIComplete when it may be shown and opened,
	// "" when the server sent none or it was set aside by the host rule.
	Complete string
	// Foreign are the foreign hosts among the server's addresses (control
	// characters stripped), in the order verification_uri,
	// verification_uri_complete; nil when there is none.
	Foreign []string
	// Warning is for the user, naming the hosts, starting in lower case
	// (after "WARNING: "); "" when every address is on the server's host.
	Warning string
}

// Pages applies the host rule to dc's verification_uri and
// verification_uri_complete against the server's endpoints e. It is the
// one place that decides what the user is warned about and which address
// is opened: the command line, its --json events and the login screen all
// use it.
func (dc *DeviceCode) Pages(e Endpoints) VerificationPages {
	if dc == nil {
		return VerificationPages{}
	}
	p := VerificationPages{Open: dc.VerificationURI, Complete: dc.VerificationURIComplete}
	server := textsafe.Clean(e.serverHost())
	pageHost := hostOf(dc.VerificationURI)
	var warnings []string
	if h := e.ForeignHost(dc.VerificationURI); h != "" {
		p.Foreign = append(p.Foreign, h)
		warnings = append(warnings, fmt.Sprintf("the verification page is on %s, not on the server's host %s. Only enter the code if you expected %s's page.", h, server, h))
	}
	if dc.VerificationURIComplete != "" {
		ch := hostOf(dc.VerificationURIComplete)
		h := e.ForeignHost(dc.VerificationURIComplete)
		switch {
		case ch != pageHost && (h != "" || server == ""):
			// Neither the server's host nor the page's: set aside. With
			// no server host to compare with, the page's host is the
			// only reference.
			if h == "" {
				h = textsafe.Clean(ch)
			}
			p.Foreign = appendNew(p.Foreign, h)
			p.Complete = ""
			warnings = append(warnings, fmt.Sprintf("the server also sent a pre-filled address on %s, another host than its verification page %s; it is not used: open %s and type the code yourself.",
				h, textsafe.Clean(pageHost), textsafe.Clean(dc.VerificationURI)))
		case h != "":
			p.Foreign = appendNew(p.Foreign, h) // the page's own host, already named
		}
	}
	if p.Complete != "" {
		p.Open = p.Complete
	}
	if len(warnings) > 0 {
		for i := 1; i < len(warnings); i++ {
			warnings[i] = strings.ToUpper(warnings[i][:1]) + warnings[i][1:]
		}
		p.Warning = strings.Join(warnings, " ")
	}
	return p
}

func appendNew(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}
