package profiles

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"

	"github.com/authdeck/authdeck/auth"
)

// PresetOptions are the account-specific parts of a provider preset: what
// `servers add NAME --preset P [--tenant T | --domain D] --client-id ID`
// passes in.
type PresetOptions struct {
	// Name of the server to create; empty means the preset's name.
	Name string
	// ClientID of the application registered at the provider. Required.
	ClientID string
	// ClientSecret, for providers that issue one even to installed
	// applications (Google requires it).
	ClientSecret string
	// Tenant: the Microsoft Entra tenant (default "common"), the Keycloak
	// realm (required) or the Okta authorization server ID (default
	// "default").
	Tenant string
	// Domain: the tenant host of Auth0, Okta and Keycloak (required there),
	// a GitHub Enterprise Server host, or a WorkOS AuthKit domain (which
	// selects WorkOS Connect instead of the User Management API).
	Domain string
	// Scopes replace the preset's default scopes when not empty.
	Scopes []string
}

// PresetInfo describes a provider preset for help texts and documentation.
type PresetInfo struct {
	// Name is what --preset takes.
	Name string
	// Title is the provider's name for people.
	Title string
	// Domain says whether --domain is "required", "optional" or "" (unused).
	Domain string
	// Tenant says whether --tenant is "required", "optional" or "" (unused).
	Tenant string
	// DomainHelp and TenantHelp say what the value is for this provider.
	DomainHelp, TenantHelp string
	// NeedsSecret: the provider wants --client-secret.
	NeedsSecret bool
	// Scopes requested by default.
	Scopes []string
	// Quirks are the provider's departures from the RFCs that the preset
	// (or the protocol client) accounts for, one sentence each.
	Quirks []string
}

// presetDef is a preset's description and the function that fills in the
// endpoints.
type presetDef struct {
	info  PresetInfo
	build func(opt PresetOptions) (auth.Endpoints, error)
}

// presetOrder lists the presets in the order documentation shows them.
func presetOrder() []string {
	return []string{"github", "google", "microsoft", "auth0", "okta", "keycloak", "workos"}
}

// presetDefs returns the preset table. It is built on each call (no
// package-level mutable state); the cost is a few allocations.
func presetDefs() map[string]presetDef {
	return map[string]presetDef{
		"github": {
			info: PresetInfo{
				Name: "github", Title: "GitHub",
				Domain: "optional", DomainHelp: "a GitHub Enterprise Server host (default github.com)",
				Scopes: []string{"read:user"},
				Quirks: []string{
					"The device flow must be enabled in the OAuth app's settings (\"Enable Device Flow\").",
					"Token answers are form-encoded unless the request sends Accept: application/json, and errors come with HTTP 200.",
					"No refresh token unless the app opts in to expiring user tokens (GitHub Apps); OAuth app tokens do not expire.",
					"No revocation endpoint usable by a device app (revoking needs the client secret): revoke refuses and forgets nothing; run logout to forget the token locally, and revoke it at https://github.com/settings/applications.",
					"No OpenID Connect: the account is read from the REST API's /user.",
				},
			},
			build: func(opt PresetOptions) (auth.Endpoints, error) {
				if opt.Domain == "" || strings.EqualFold(opt.Domain, "github.com") {
					return auth.Endpoints{
						AuthURL:       "https://github.com/login/oauth/authorize",
						DeviceAuthURL: "https://github.com/login/device/code",
						TokenURL:      "https://github.com/login/oauth/access_token",
						UserInfoURL:   "https://api.github.com/user",
					}, nil
				}
				base, err := presetBase("github", opt.Domain, false)
				if err != nil {
					return auth.Endpoints{}, err
				}
				return auth.Endpoints{
					AuthURL:       base + "/login/oauth/authorize",
					DeviceAuthURL: base + "/login/device/code",
					TokenURL:      base + "/login/oauth/access_token",
					UserInfoURL:   base + "/api/v3/user",
				}, nil
			},
		},
		"google": {
			info: PresetInfo{
				Name: "google", Title: "Google",
				NeedsSecret: true,
				Scopes:      []string{"openid", "email", "profile"},
				Quirks: []string{
					"Needs the client secret of a \"TVs and Limited Input devices\" client, sent with the device authorization request too (Google does not treat it as confidential).",
					"The device flow allows only a limited set of scopes (openid, email, profile and a few APIs).",
					"The device answer names the page verification_url (not verification_uri); pending polls answer 428, slow_down 403.",
					"A refresh token is issued without offline_access.",
				},
			},
			build: func(opt PresetOptions) (auth.Endpoints, error) {
				return auth.Endpoints{
					Issuer:        "https://accounts.google.com",
					AuthURL:       "https://accounts.google.com/o/oauth2/v2/auth",
					DeviceAuthURL: "https://oauth2.googleapis.com/device/code",
					TokenURL:      "https://oauth2.googleapis.com/token",
					RevocationURL: "https://oauth2.googleapis.com/revoke",
					UserInfoURL:   "https://openidconnect.googleapis.com/v1/userinfo",
				}, nil
			},
		},
		"microsoft": {
			info: PresetInfo{
				Name: "microsoft", Title: "Microsoft Entra ID",
				Tenant: "optional", TenantHelp: "the directory: a tenant ID or domain, or common (default), organizations or consumers",
				Scopes: []string{"openid", "profile", "email", "offline_access"},
				Quirks: []string{
					"\"Allow public client flows\" must be on in the app registration (Authentication page).",
					"The device answer carries a ready-made message; the older v1 endpoint sends numbers as strings.",
					"No RFC 7009 revocation endpoint: revoke refuses and forgets nothing; run logout to forget the tokens locally (sign-in sessions are revoked in the Entra admin center or with Graph's revokeSignInSessions).",
					"The issuer of common, organizations and consumers is a template, so no issuer is set for them.",
				},
			},
			build: func(opt PresetOptions) (auth.Endpoints, error) {
				tenant := opt.Tenant
				if tenant == "" {
					tenant = "common"
				}
				if !validMSTenant(tenant) {
					return auth.Endpoints{}, fmt.Errorf("preset microsoft: --tenant %q is not a tenant; use a tenant ID (a GUID), a domain such as contoso.onmicrosoft.com, or common, organizations or consumers", tenant)
				}
				base := "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0"
				e := auth.Endpoints{
					AuthURL:       base + "/authorize",
					DeviceAuthURL: base + "/devicecode",
					TokenURL:      base + "/token",
					UserInfoURL:   "https://graph.microsoft.com/oidc/userinfo",
				}
				if validGUID(tenant) {
					e.Issuer = "https://login.microsoftonline.com/" + strings.ToLower(tenant) + "/v2.0"
				}
				return e, nil
			},
		},
		"auth0": {
			info: PresetInfo{
				Name: "auth0", Title: "Auth0",
				Domain: "required", DomainHelp: "the tenant domain, such as example.us.auth0.com or a custom domain",
				Scopes: []string{"openid", "profile", "email", "offline_access"},
				Quirks: []string{
					"The application must be Native, with the Device Code grant (and Refresh Token for refresh tokens) enabled.",
					"Pending polls answer 403 and slow_down 429.",
					"A refresh token needs offline_access and \"Allow Offline Access\" on the API; /oauth/revoke revokes refresh tokens only.",
				},
			},
			build: func(opt PresetOptions) (auth.Endpoints, error) {
				base, err := presetBase("auth0", opt.Domain, false)
				if err != nil {
					return auth.Endpoints{}, err
				}
				return auth.Endpoints{
					Issuer:        base + "/",
					AuthURL:       base + "/authorize",
					DeviceAuthURL: base + "/oauth/device/code",
					TokenURL:      base + "/oauth/token",
					RevocationURL: base + "/oauth/revoke",
					UserInfoURL:   base + "/userinfo",
				}, nil
			},
		},
		"okta": {
			info: PresetInfo{
				Name: "okta", Title: "Okta",
				Domain: "required", DomainHelp: "the Okta org domain, such as example.okta.com",
				Tenant: "optional", TenantHelp: "the custom authorization server ID (default: default)",
				Scopes: []string{"openid", "profile", "email", "offline_access"},
				Quirks: []string{
					"The app must be a Native OIDC app with the Device Authorization and Refresh Token grants, and the authorization server's access policy rule must allow the Device Authorization grant.",
					"Standard RFC 7009 revocation and RFC 7662 introspection.",
				},
			},
			build: func(opt PresetOptions) (auth.Endpoints, error) {
				base, err := presetBase("okta", opt.Domain, false)
				if err != nil {
					return auth.Endpoints{}, err
				}
				as := opt.Tenant
				if as == "" {
					as = "default"
				}
				if !validOktaServer(as) {
					return auth.Endpoints{}, fmt.Errorf("preset okta: --tenant %q is not an authorization server ID; use letters and digits, such as default or aus1a2b3c4", as)
				}
				issuer := base + "/oauth2/" + as
				v1 := issuer + "/v1"
				return auth.Endpoints{
					Issuer:           issuer,
					AuthURL:          v1 + "/authorize",
					DeviceAuthURL:    v1 + "/device/authorize",
					TokenURL:         v1 + "/token",
					RevocationURL:    v1 + "/revoke",
					UserInfoURL:      v1 + "/userinfo",
					IntrospectionURL: v1 + "/introspect",
				}, nil
			},
		},
		"keycloak": {
			info: PresetInfo{
				Name: "keycloak", Title: "Keycloak",
				Domain: "required", DomainHelp: "the server host, with the context path if any (sso.example.com, or sso.example.com/auth before Keycloak 17)",
				Tenant: "required", TenantHelp: "the realm",
				Scopes: []string{"openid", "profile", "email"},
				Quirks: []string{
					"The client must be public (Client authentication off) with \"OAuth 2.0 Device Authorization Grant\" enabled.",
					"Refresh tokens come without offline_access (add it for offline tokens that outlive the SSO session).",
					"Standard RFC 7009 revocation.",
				},
			},
			build: func(opt PresetOptions) (auth.Endpoints, error) {
				base, err := presetBase("keycloak", opt.Domain, true)
				if err != nil {
					return auth.Endpoints{}, err
				}
				realm := strings.TrimSpace(opt.Tenant)
				if realm == "" {
					return auth.Endpoints{}, fmt.Errorf("preset keycloak needs --tenant REALM (the realm's name, as in /realms/REALM)")
				}
				if strings.ContainsAny(realm, "/?#") || presetHasControl(realm) {
					return auth.Endpoints{}, fmt.Errorf("preset keycloak: --tenant %q is not a realm name (no /, ? or #)", realm)
				}
				issuer := base + "/realms/" + url.PathEscape(realm)
				oidc := issuer + "/protocol/openid-connect"
				return auth.Endpoints{
					Issuer:           issuer,
					AuthURL:          oidc + "/auth",
					DeviceAuthURL:    oidc + "/auth/device",
					TokenURL:         oidc + "/token",
					RevocationURL:    oidc + "/revoke",
					UserInfoURL:      oidc + "/userinfo",
					IntrospectionURL: oidc + "/token/introspect",
				}, nil
			},
		},
		"workos": {
			info: PresetInfo{
				Name: "workos", Title: "WorkOS",
				Domain: "optional", DomainHelp: "an AuthKit domain (such as example.authkit.app) to use WorkOS Connect's OAuth endpoints; without it, the User Management API (CLI Auth)",
				Scopes: []string{"openid", "profile", "email", "offline_access"},
				Quirks: []string{
					"CLI Auth must be enabled for the environment; the client ID is the environment's (client_...).",
					"The token answer has no expires_in: the expiry is the access token's (a JWT) exp claim.",
					"The verification page is on the AuthKit domain, not api.workos.com.",
					"No userinfo endpoint on the User Management API (the account comes from the token's claims) and no RFC 7009 revocation: revoke refuses and forgets nothing; run logout to forget the tokens locally.",
				},
			},
			build: func(opt PresetOptions) (auth.Endpoints, error) {
				if opt.Domain == "" {
					return auth.Endpoints{
						AuthURL:       "https://api.workos.com/user_management/authorize",
						DeviceAuthURL: "https://api.workos.com/user_management/authorize/device",
						TokenURL:      "https://api.workos.com/user_management/authenticate",
					}, nil
				}
				base, err := presetBase("workos", opt.Domain, false)
				if err != nil {
					return auth.Endpoints{}, err
				}
				return auth.Endpoints{
					Issuer:           base,
					AuthURL:          base + "/oauth2/authorize",
					DeviceAuthURL:    base + "/oauth2/device_authorization",
					TokenURL:         base + "/oauth2/token",
					UserInfoURL:      base + "/oauth2/userinfo",
					IntrospectionURL: base + "/oauth2/introspection",
				}, nil
			},
		},
	}
}

// The validators below are plain functions rather than regexps: package
// initialisation runs on every `authdeck token`, and compiling these
// patterns cost about a millisecond there.

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// validMSTenant: a GUID, a domain, or one of the multi-tenant aliases:
// letters, digits, dots and hyphens, starting and ending with a letter or
// digit, at most 255 characters.
func validMSTenant(s string) bool {
	if len(s) == 0 || len(s) > 255 || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '.' && s[i] != '-' {
			return false
		}
	}
	return true
}

// validGUID: a tenant ID, 8-4-4-4-12 hex digits.
func validGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

// validOktaServer: an authorization server ID, 1 to 64 letters or digits.
func validOktaServer(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

// validHostname: a DNS name of labels of letters, digits and hyphens (1 to
// 63 characters, not starting or ending with a hyphen) joined by dots.
func validHostname(s string) bool {
	if s == "" {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if len(label) == 0 || len(label) > 63 || !isAlnum(label[0]) || !isAlnum(label[len(label)-1]) {
			return false
		}
		for i := 0; i < len(label); i++ {
			if !isAlnum(label[i]) && label[i] != '-' {
				return false
			}
		}
	}
	return true
}

// Presets describes every provider preset, in a stable order.
func Presets() []PresetInfo {
	defs := presetDefs()
	out := make([]PresetInfo, 0, len(defs))
	for _, n := range presetOrder() {
		out = append(out, defs[n].info)
	}
	return out
}

// PresetNames lists what --preset accepts.
func PresetNames() []string { return presetOrder() }

// Preset returns the server that preset name describes, filled in with
// opt: endpoints, default scopes and the preset's name in Server.Preset. It
// does no I/O. Missing or malformed options are errors that say which flag
// to give.
func Preset(name string, opt PresetOptions) (Server, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	def, ok := presetDefs()[key]
	if !ok {
		names := PresetNames()
		sort.Strings(names)
		return Server{}, fmt.Errorf("unknown preset %q; use one of %s, or give the endpoints with --issuer or --device-url and --token-url", name, strings.Join(names, ", "))
	}
	opt.Domain = strings.TrimSpace(opt.Domain)
	opt.Tenant = strings.TrimSpace(opt.Tenant)
	if def.info.Domain == "" && opt.Domain != "" {
		return Server{}, fmt.Errorf("preset %s takes no --domain", key)
	}
	if def.info.Tenant == "" && opt.Tenant != "" {
		return Server{}, fmt.Errorf("preset %s takes no --tenant", key)
	}
	if def.info.Domain == "required" && opt.Domain == "" {
		return Server{}, fmt.Errorf("preset %s needs --domain: %s", key, def.info.DomainHelp)
	}
	clientID := strings.TrimSpace(opt.ClientID)
	if clientID == "" {
		return Server{}, fmt.Errorf("preset %s needs --client-id: the client ID of the application registered at %s (the README's Provider presets section says how to get one)", key, def.info.Title)
	}
	if presetHasControl(clientID) || strings.ContainsAny(clientID, " \t") {
		return Server{}, fmt.Errorf("preset %s: --client-id contains spaces or control characters; paste it again", key)
	}
	if def.info.NeedsSecret && opt.ClientSecret == "" {
		return Server{}, fmt.Errorf("preset %s needs a client secret: %s issues one with every client ID, even for installed apps, and refuses requests without it; give it with --client-secret-file PATH or the client-secret environment variable (not --client-secret, which other users can see in the process list)", key, def.info.Title)
	}
	e, err := def.build(opt)
	if err != nil {
		return Server{}, err
	}
	s := Server{
		Name:         opt.Name,
		Endpoints:    e,
		ClientID:     clientID,
		ClientSecret: opt.ClientSecret,
		Scopes:       append([]string(nil), def.info.Scopes...),
		Preset:       key,
	}
	if s.Name == "" {
		s.Name = key
	}
	if len(opt.Scopes) > 0 {
		s.Scopes = append([]string(nil), opt.Scopes...)
	}
	return s, nil
}

// presetBase turns a --domain value into "https://host[:port][/path]": a
// bare host, or an https URL. Plain http is accepted only for loopback hosts
// (a local Keycloak). withPath allows a path (Keycloak's context path).
func presetBase(preset, domain string, withPath bool) (string, error) {
	if domain == "" {
		return "", fmt.Errorf("preset %s needs --domain", preset)
	}
	if presetHasControl(domain) || strings.ContainsAny(domain, " \t") {
		return "", fmt.Errorf("preset %s: --domain contains spaces or control characters", preset)
	}
	raw := domain
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("preset %s: --domain %q is not a host name: %v", preset, domain, err)
	}
	host := u.Hostname()
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return "", fmt.Errorf("preset %s: --domain %q must be a host name such as example.com (or an https:// URL)", preset, domain)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return "", fmt.Errorf("preset %s: --domain %q must be a host name, without user, query or fragment", preset, domain)
	case host == "" || (!validHostname(host) && net.ParseIP(host) == nil):
		return "", fmt.Errorf("preset %s: --domain %q is not a host name", preset, domain)
	case u.Scheme == "http" && !presetLoopback(host):
		return "", fmt.Errorf("preset %s: --domain %q uses plain http, which is allowed only for loopback addresses; use https", preset, domain)
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	if path != "" && !withPath {
		return "", fmt.Errorf("preset %s: --domain %q must be a host name without a path (the preset adds the paths)", preset, domain)
	}
	return u.Scheme + "://" + strings.ToLower(u.Host) + path, nil
}

// presetLoopback reports whether host is localhost or a loopback IP.
func presetLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// presetHasControl reports whether s has a control character.
func presetHasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return true
		}
	}
	return false
}
