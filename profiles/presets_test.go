package profiles

import (
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/authdeck/authdeck/auth"
)

func TestPresetEndpoints(t *testing.T) {
	tests := []struct {
		preset string
		opt    PresetOptions
		want   auth.Endpoints
		scopes []string
	}{
		{
			preset: "github",
			opt:    PresetOptions{ClientID: "Iv1.abc"},
			want: auth.Endpoints{
				AuthURL:       "https://github.com/login/oauth/authorize",
				DeviceAuthURL: "https://github.com/login/device/code",
				TokenURL:      "https://github.com/login/oauth/access_token",
				UserInfoURL:   "https://api.github.com/user",
			},
			scopes: []string{"read:user"},
		},
		{
			preset: "github",
			opt:    PresetOptions{ClientID: "Iv1.abc", Domain: "ghe.example.com"},
			want: auth.Endpoints{
				AuthURL:       "https://ghe.example.com/login/oauth/authorize",
				DeviceAuthURL: "https://ghe.example.com/login/device/code",
				TokenURL:      "https://ghe.example.com/login/oauth/access_token",
				UserInfoURL:   "https://ghe.example.com/api/v3/user",
			},
			scopes: []string{"read:user"},
		},
		{
			preset: "google",
			opt:    PresetOptions{ClientID: "123.apps.googleusercontent.com", ClientSecret: "GOCSPX-x"},
			want: auth.Endpoints{
				Issuer:        "https://accounts.google.com",
				AuthURL:       "https://accounts.google.com/o/oauth2/v2/auth",
				DeviceAuthURL: "https://oauth2.googleapis.com/device/code",
				TokenURL:      "https://oauth2.googleapis.com/token",
				RevocationURL: "https://oauth2.googleapis.com/revoke",
				UserInfoURL:   "https://openidconnect.googleapis.com/v1/userinfo",
			},
			scopes: []string{"openid", "email", "profile"},
		},
		{
			preset: "microsoft",
			opt:    PresetOptions{ClientID: "app"},
			want: auth.Endpoints{
				AuthURL:       "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
				DeviceAuthURL: "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
				TokenURL:      "https://login.microsoftonline.com/common/oauth2/v2.0/token",
				UserInfoURL:   "https://graph.microsoft.com/oidc/userinfo",
			},
			scopes: []string{"openid", "profile", "email", "offline_access"},
		},
		{
			preset: "microsoft",
			opt:    PresetOptions{ClientID: "app", Tenant: "72F988BF-86F1-41AF-91AB-2D7CD011DB47"},
			want: auth.Endpoints{
				Issuer:        "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
				AuthURL:       "https://login.microsoftonline.com/72F988BF-86F1-41AF-91AB-2D7CD011DB47/oauth2/v2.0/authorize",
				DeviceAuthURL: "https://login.microsoftonline.com/72F988BF-86F1-41AF-91AB-2D7CD011DB47/oauth2/v2.0/devicecode",
				TokenURL:      "https://login.microsoftonline.com/72F988BF-86F1-41AF-91AB-2D7CD011DB47/oauth2/v2.0/token",
				UserInfoURL:   "https://graph.microsoft.com/oidc/userinfo",
			},
			scopes: []string{"openid", "profile", "email", "offline_access"},
		},
		{
			preset: "microsoft",
			opt:    PresetOptions{ClientID: "app", Tenant: "contoso.onmicrosoft.com"},
			want: auth.Endpoints{
				AuthURL:       "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize",
				DeviceAuthURL: "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode",
				TokenURL:      "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
				UserInfoURL:   "https://graph.microsoft.com/oidc/userinfo",
			},
			scopes: []string{"openid", "profile", "email", "offline_access"},
		},
		{
			preset: "auth0",
			opt:    PresetOptions{ClientID: "abc", Domain: "https://Example.us.auth0.com/"},
			want: auth.Endpoints{
				Issuer:        "https://example.us.auth0.com/",
				AuthURL:       "https://example.us.auth0.com/authorize",
				DeviceAuthURL: "https://example.us.auth0.com/oauth/device/code",
				TokenURL:      "https://example.us.auth0.com/oauth/token",
				RevocationURL: "https://example.us.auth0.com/oauth/revoke",
				UserInfoURL:   "https://example.us.auth0.com/userinfo",
			},
			scopes: []string{"openid", "profile", "email", "offline_access"},
		},
		{
			preset: "okta",
			opt:    PresetOptions{ClientID: "0oa1", Domain: "dev-1.okta.com"},
			want: auth.Endpoints{
				Issuer:           "https://dev-1.okta.com/oauth2/default",
				AuthURL:          "https://dev-1.okta.com/oauth2/default/v1/authorize",
				DeviceAuthURL:    "https://dev-1.okta.com/oauth2/default/v1/device/authorize",
				TokenURL:         "https://dev-1.okta.com/oauth2/default/v1/token",
				RevocationURL:    "https://dev-1.okta.com/oauth2/default/v1/revoke",
				UserInfoURL:      "https://dev-1.okta.com/oauth2/default/v1/userinfo",
				IntrospectionURL: "https://dev-1.okta.com/oauth2/default/v1/introspect",
			},
			scopes: []string{"openid", "profile", "email", "offline_access"},
		},
		{
			preset: "okta",
			opt:    PresetOptions{ClientID: "0oa1", Domain: "dev-1.okta.com", Tenant: "aus9xyz"},
			want: auth.Endpoints{
				Issuer:           "https://dev-1.okta.com/oauth2/aus9xyz",
				AuthURL:          "https://dev-1.okta.com/oauth2/aus9xyz/v1/authorize",
				DeviceAuthURL:    "https://dev-1.okta.com/oauth2/aus9xyz/v1/device/authorize",
				TokenURL:         "https://dev-1.okta.com/oauth2/aus9xyz/v1/token",
				RevocationURL:    "https://dev-1.okta.com/oauth2/aus9xyz/v1/revoke",
				UserInfoURL:      "https://dev-1.okta.com/oauth2/aus9xyz/v1/userinfo",
				IntrospectionURL: "https://dev-1.okta.com/oauth2/aus9xyz/v1/introspect",
			},
			scopes: []string{"openid", "profile", "email", "offline_access"},
		},
		{
			preset: "keycloak",
			opt:    PresetOptions{ClientID: "cli", Domain: "sso.example.com", Tenant: "acme"},
			want: auth.Endpoints{
				Issuer:           "https://sso.example.com/realms/acme",
				AuthURL:          "https://sso.example.com/realms/acme/protocol/openid-connect/auth",
				DeviceAuthURL:    "https://sso.example.com/realms/acme/protocol/openid-connect/auth/device",
				TokenURL:         "https://sso.example.com/realms/acme/protocol/openid-connect/token",
				RevocationURL:    "https://sso.example.com/realms/acme/protocol/openid-connect/revoke",
				UserInfoURL:      "https://sso.example.com/realms/acme/protocol/openid-connect/userinfo",
				IntrospectionURL: "https://sso.example.com/realms/acme/protocol/openid-connect/token/introspect",
			},
			scopes: []string{"openid", "profile", "email"},
		},
		{
			// Legacy context path, and plain http on loopback for a local server.
			preset: "keycloak",
			opt:    PresetOptions{ClientID: "cli", Domain: "http://localhost:8080/auth/", Tenant: "my realm"},
			want: auth.Endpoints{
				Issuer:           "http://localhost:8080/auth/realms/my%20realm",
				AuthURL:          "http://localhost:8080/auth/realms/my%20realm/protocol/openid-connect/auth",
				DeviceAuthURL:    "http://localhost:8080/auth/realms/my%20realm/protocol/openid-connect/auth/device",
				TokenURL:         "http://localhost:8080/auth/realms/my%20realm/protocol/openid-connect/token",
				RevocationURL:    "http://localhost:8080/auth/realms/my%20realm/protocol/openid-connect/revoke",
				UserInfoURL:      "http://localhost:8080/auth/realms/my%20realm/protocol/openid-connect/userinfo",
				IntrospectionURL: "http://localhost:8080/auth/realms/my%20realm/protocol/openid-connect/token/introspect",
			},
			scopes: []string{"openid", "profile", "email"},
		},
		{
			preset: "workos",
			opt:    PresetOptions{ClientID: "client_01H"},
			want: auth.Endpoints{
				AuthURL:       "https://api.workos.com/user_management/authorize",
				DeviceAuthURL: "https://api.workos.com/user_management/authorize/device",
				TokenURL:      "https://api.workos.com/user_management/authenticate",
			},
			scopes: []string{"openid", "profile", "email", "offline_access"},
		},
		{
			preset: "workos",
			opt:    PresetOptions{ClientID: "client_01H", Domain: "acme.authkit.app"},
			want: auth.Endpoints{
				Issuer:           "https://acme.authkit.app",
				AuthURL:          "https://acme.authkit.app/oauth2/authorize",
				DeviceAuthURL:    "https://acme.authkit.app/oauth2/device_authorization",
				TokenURL:         "https://acme.authkit.app/oauth2/token",
				UserInfoURL:      "https://acme.authkit.app/oauth2/userinfo",
				IntrospectionURL: "https://acme.authkit.app/oauth2/introspection",
			},
			scopes: []string{"openid", "profile", "email", "offline_access"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.preset+"/"+tt.opt.Domain+tt.opt.Tenant, func(t *testing.T) {
			s, err := Preset(tt.preset, tt.opt)
			if err != nil {
				t.Fatalf("Preset: %v", err)
			}
			if s.Endpoints != tt.want {
				t.Errorf("endpoints:\n got %+v\nwant %+v", s.Endpoints, tt.want)
			}
			if !reflect.DeepEqual(s.Scopes, tt.scopes) {
				t.Errorf("scopes = %q, want %q", s.Scopes, tt.scopes)
			}
			if s.Preset != tt.preset || s.Name != tt.preset {
				t.Errorf("Preset=%q Name=%q, want both %q", s.Preset, s.Name, tt.preset)
			}
			if s.ClientID != strings.TrimSpace(tt.opt.ClientID) || s.ClientSecret != tt.opt.ClientSecret {
				t.Errorf("client = %q/%q", s.ClientID, s.ClientSecret)
			}
		})
	}
}

func TestPresetErrors(t *testing.T) {
	tests := []struct {
		name   string
		preset string
		opt    PresetOptions
		want   []string // substrings of the error
	}{
		{"unknown", "gitlab", PresetOptions{ClientID: "x"}, []string{`unknown preset "gitlab"`, "github", "workos", "--issuer"}},
		{"no client id", "github", PresetOptions{}, []string{"needs --client-id", "GitHub"}},
		{"blank client id", "okta", PresetOptions{ClientID: "  ", Domain: "a.okta.com"}, []string{"needs --client-id"}},
		{"client id with newline", "github", PresetOptions{ClientID: "abc\ndef"}, []string{"--client-id contains"}},
		{"google without secret", "google", PresetOptions{ClientID: "x"}, []string{"needs a client secret", "Google", "--client-secret-file", "environment variable"}},
		{"auth0 without domain", "auth0", PresetOptions{ClientID: "x"}, []string{"needs --domain", "auth0.com"}},
		{"okta without domain", "okta", PresetOptions{ClientID: "x"}, []string{"needs --domain"}},
		{"keycloak without domain", "keycloak", PresetOptions{ClientID: "x", Tenant: "r"}, []string{"needs --domain"}},
		{"keycloak without realm", "keycloak", PresetOptions{ClientID: "x", Domain: "sso.example.com"}, []string{"needs --tenant REALM"}},
		{"keycloak realm with slash", "keycloak", PresetOptions{ClientID: "x", Domain: "sso.example.com", Tenant: "a/b"}, []string{"not a realm name"}},
		{"google takes no domain", "google", PresetOptions{ClientID: "x", ClientSecret: "s", Domain: "x.com"}, []string{"takes no --domain"}},
		{"auth0 takes no tenant", "auth0", PresetOptions{ClientID: "x", Domain: "a.auth0.com", Tenant: "t"}, []string{"takes no --tenant"}},
		{"bad microsoft tenant", "microsoft", PresetOptions{ClientID: "x", Tenant: "a/b"}, []string{"not a tenant", "common"}},
		{"bad okta server", "okta", PresetOptions{ClientID: "x", Domain: "a.okta.com", Tenant: "../x"}, []string{"not an authorization server ID"}},
		{"http not loopback", "keycloak", PresetOptions{ClientID: "x", Domain: "http://sso.example.com", Tenant: "r"}, []string{"plain http", "https"}},
		{"path for auth0", "auth0", PresetOptions{ClientID: "x", Domain: "a.auth0.com/oauth"}, []string{"without a path"}},
		{"query", "okta", PresetOptions{ClientID: "x", Domain: "https://a.okta.com/?x=1"}, []string{"without user, query or fragment"}},
		{"user info in domain", "okta", PresetOptions{ClientID: "x", Domain: "https://u:p@a.okta.com"}, []string{"without user"}},
		{"scheme", "auth0", PresetOptions{ClientID: "x", Domain: "ftp://a.auth0.com"}, []string{"must be a host name"}},
		{"bad host", "auth0", PresetOptions{ClientID: "x", Domain: "a_b!.com"}, []string{"not a host name"}},
		{"space in domain", "auth0", PresetOptions{ClientID: "x", Domain: "a b.com"}, []string{"spaces"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Preset(tt.preset, tt.opt)
			if err == nil {
				t.Fatal("Preset succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestPresetSecretNotInErrors(t *testing.T) {
	_, err := Preset("keycloak", PresetOptions{ClientID: "x", ClientSecret: "s3cr3t-value", Domain: "http://evil.example.com", Tenant: "r"})
	if err == nil || strings.Contains(err.Error(), "s3cr3t-value") {
		t.Fatalf("err = %v", err)
	}
}

func TestPresetOptions(t *testing.T) {
	s, err := Preset(" GitHub ", PresetOptions{Name: "work-gh", ClientID: " abc ", Scopes: []string{"repo", "read:org"}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "work-gh" || s.Preset != "github" || s.ClientID != "abc" {
		t.Errorf("got name %q preset %q client %q", s.Name, s.Preset, s.ClientID)
	}
	if !reflect.DeepEqual(s.Scopes, []string{"repo", "read:org"}) {
		t.Errorf("scopes = %q", s.Scopes)
	}
	// The returned scopes are a copy: changing them changes no later preset.
	s.Scopes[0] = "changed"
	s2, _ := Preset("github", PresetOptions{ClientID: "abc"})
	if s2.Scopes[0] != "read:user" {
		t.Errorf("preset defaults were modified: %q", s2.Scopes)
	}
}

// TestPresetsDescribed checks that every preset is described for the docs,
// builds with example options, and yields only absolute https URLs.
func TestPresetsDescribed(t *testing.T) {
	infos := Presets()
	names := PresetNames()
	if len(infos) != len(names) || len(names) != 7 {
		t.Fatalf("%d infos, %d names", len(infos), len(names))
	}
	for i, info := range infos {
		if info.Name != names[i] || info.Title == "" || len(info.Scopes) == 0 || len(info.Quirks) == 0 {
			t.Errorf("preset %d incompletely described: %+v", i, info)
		}
		if (info.Domain != "") != (info.DomainHelp != "") || (info.Tenant != "") != (info.TenantHelp != "") {
			t.Errorf("%s: help missing for a flag it takes", info.Name)
		}
		opt := PresetOptions{ClientID: "id", ClientSecret: "s"}
		if info.Domain == "required" {
			opt.Domain = "tenant.example.com"
		}
		if info.Tenant == "required" {
			opt.Tenant = "realm"
		}
		s, err := Preset(info.Name, opt)
		if err != nil {
			t.Errorf("%s: %v", info.Name, err)
			continue
		}
		if s.DeviceAuthURL == "" || s.TokenURL == "" {
			t.Errorf("%s: no device or token endpoint", info.Name)
		}
		for _, raw := range []string{s.Issuer, s.AuthURL, s.DeviceAuthURL, s.TokenURL, s.RevocationURL, s.UserInfoURL, s.IntrospectionURL} {
			if raw == "" {
				continue
			}
			u, err := url.Parse(raw)
			if err != nil || u.Scheme != "https" || u.Host == "" {
				t.Errorf("%s: endpoint %q is not an absolute https URL", info.Name, raw)
			}
		}
	}
}

// TestPresetsDocumented: the README's "Provider presets" section has a
// subsection with an example for every preset, and mentions each one's
// default scopes.
func TestPresetsDocumented(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, info := range Presets() {
		if !strings.Contains(doc, "\n### "+info.Title+"\n") {
			t.Errorf("README.md has no section %q", "### "+info.Title)
		}
		if !strings.Contains(doc, "--preset "+info.Name+" ") {
			t.Errorf("README.md has no example of --preset %s", info.Name)
		}
		if !strings.Contains(doc, "`"+strings.Join(info.Scopes, " ")+"`") {
			t.Errorf("README.md does not list %s's default scopes %q", info.Name, info.Scopes)
		}
	}
}

// TestPresetRevokeQuirksTrue: a preset without a revocation endpoint must
// not claim that revoke forgets the token, since Manager.Revoke then
// refuses and forgets nothing; its quirks point to logout instead.
func TestPresetRevokeQuirksTrue(t *testing.T) {
	for _, info := range Presets() {
		opt := PresetOptions{ClientID: "id", ClientSecret: "s", Domain: "tenant.example.com", Tenant: "realm"}
		if info.Domain == "" {
			opt.Domain = ""
		}
		if info.Tenant == "" {
			opt.Tenant = ""
		}
		s, err := Preset(info.Name, opt)
		if err != nil {
			t.Fatalf("%s: %v", info.Name, err)
		}
		quirks := strings.Join(info.Quirks, "\n")
		if strings.Contains(quirks, "revoke forgets") {
			t.Errorf("%s: a quirk says revoke forgets the token; Manager.Revoke forgets only after revoking at the server:\n%s", info.Name, quirks)
		}
		if s.RevocationURL == "" && !strings.Contains(quirks, "logout") {
			t.Errorf("%s has no revocation endpoint but its quirks do not point to logout:\n%s", info.Name, quirks)
		}
	}
}
