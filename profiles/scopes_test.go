package profiles

import (
	"slices"
	"testing"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/auth/authtest"
)

// TestAddServerDefaultScopes: a server added by discovery without scopes
// gets openid (plus offline_access when scopes_supported lists it) when its
// metadata is OpenID Connect, nothing for a plain OAuth server, and given
// scopes are kept.
func TestAddServerDefaultScopes(t *testing.T) {
	tests := []struct {
		name  string
		opts  authtest.Options
		given []string
		want  []string
	}{
		{"openid with profile, email and offline_access", authtest.Options{}, nil, []string{"openid", "profile", "email", "offline_access"}},
		{"openid-configuration only, no offline_access", authtest.Options{Metadata: authtest.MetadataOIDCOnly, ScopesSupported: []string{"openid", "email"}}, nil, []string{"openid", "email"}},
		{"openid alone", authtest.Options{Metadata: authtest.MetadataOIDCOnly, ScopesSupported: []string{"openid"}}, nil, []string{"openid"}},
		{"plain OAuth", authtest.Options{ScopesSupported: []string{"read", "write"}}, nil, nil},
		{"given scopes kept", authtest.Options{}, []string{"read"}, []string{"read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := authtest.NewServer(t, tt.opts)
			app := testApp(t)
			app.HTTPClient = srv.HTTPClient()
			m := open(t, app)
			got, err := m.AddServer(ctxT(t), Server{Name: "x", Endpoints: auth.Endpoints{Issuer: srv.Issuer()}, ClientID: "authdeck-test", Scopes: tt.given})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Scopes, tt.want) {
				t.Errorf("scopes = %q, want %q", got.Scopes, tt.want)
			}
			cfg, err := m.Load(ctxT(t))
			if err != nil {
				t.Fatal(err)
			}
			if s, _ := cfg.Server("x"); !slices.Equal(s.Scopes, tt.want) {
				t.Errorf("saved scopes = %q, want %q", s.Scopes, tt.want)
			}
		})
	}
}
