package auth_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/auth/authtest"
)

func TestDiscover(t *testing.T) {
	t.Run("RFC 8414 with path insertion", func(t *testing.T) {
		srv := authtest.NewServer(t, authtest.Options{IssuerPath: "/tenant/a"})
		e, err := auth.Discover(ctxT(t), srv.HTTPClient(), srv.Issuer())
		if err != nil {
			t.Fatal(err)
		}
		if e != srv.Endpoints() {
			t.Fatalf("endpoints = %+v, want %+v", e, srv.Endpoints())
		}
		reqs := srv.Requests()
		if len(reqs) != 1 || reqs[0].Path != "/.well-known/oauth-authorization-server/tenant/a" {
			t.Fatalf("requests = %+v", reqs)
		}
	})
	t.Run("trailing slash", func(t *testing.T) {
		srv := authtest.NewServer(t, authtest.Options{})
		e, err := auth.Discover(ctxT(t), srv.HTTPClient(), srv.URL+"/")
		if err != nil || e.TokenURL != srv.URL+"/token" {
			t.Fatalf("e = %+v, err = %v", e, err)
		}
		if p := srv.Requests()[0].Path; p != "/.well-known/oauth-authorization-server" {
			t.Fatalf("path = %q", p)
		}
	})
	t.Run("OpenID fallback", func(t *testing.T) {
		srv := authtest.NewServer(t, authtest.Options{Metadata: authtest.MetadataOIDCOnly, IssuerPath: "/realms/x"})
		e, err := auth.Discover(ctxT(t), srv.HTTPClient(), srv.Issuer())
		if err != nil {
			t.Fatal(err)
		}
		if e.Issuer != srv.Issuer() || e.DeviceAuthURL != srv.URL+"/device_authorization" || e.RevocationURL == "" || e.IntrospectionURL == "" || e.UserInfoURL == "" {
			t.Fatalf("endpoints = %+v", e)
		}
		reqs := srv.Requests()
		if len(reqs) != 2 || reqs[1].Path != "/realms/x/.well-known/openid-configuration" {
			t.Fatalf("requests = %+v", reqs)
		}
	})
	t.Run("issuer mismatch", func(t *testing.T) {
		srv := authtest.NewServer(t, authtest.Options{IssuerOverride: "https://evil.example"})
		_, err := auth.Discover(ctxT(t), srv.HTTPClient(), srv.Issuer())
		if err == nil || !strings.Contains(err.Error(), "evil.example") || !strings.Contains(err.Error(), "not") {
			t.Fatalf("err = %v", err)
		}
		if len(srv.Requests()) != 1 {
			t.Fatal("a mismatching document must stop discovery")
		}
	})
	t.Run("no metadata", func(t *testing.T) {
		srv := authtest.NewServer(t, authtest.Options{Metadata: authtest.MetadataNone})
		_, err := auth.Discover(ctxT(t), srv.HTTPClient(), srv.Issuer())
		if err == nil || !strings.Contains(err.Error(), "HTTP 404") || !strings.Contains(err.Error(), "explicit endpoints") {
			t.Fatalf("err = %v", err)
		}
		if len(srv.Requests()) != 2 {
			t.Fatal("both locations should have been tried")
		}
	})
	t.Run("insecure issuer", func(t *testing.T) {
		if _, err := auth.Discover(ctxT(t), nil, "http://idp.example"); !errors.Is(err, auth.ErrInsecureURL) {
			t.Fatalf("err = %v", err)
		}
		if _, err := auth.Discover(ctxT(t), nil, "https://idp.example?x=1"); err == nil {
			t.Fatal("query accepted")
		}
	})
	for _, tc := range []struct{ name, doc, want string }{
		{"no token endpoint", `{"issuer":"ISS"}`, "token_endpoint"},
		{"insecure endpoint", `{"issuer":"ISS","token_endpoint":"ISS/token","revocation_endpoint":"http://idp.example/revoke"}`, "revocation_endpoint"},
		{"no issuer", `{"token_endpoint":"ISS/token"}`, "no issuer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var iss string
			s := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(strings.ReplaceAll(tc.doc, "ISS", iss)))
			})
			iss = s.URL
			_, err := auth.Discover(ctxT(t), s.Client(), iss)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}
