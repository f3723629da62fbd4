package auth

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
)

// Endpoints are the URLs of an authorization server. Issuer may be empty for
// servers that publish no metadata; any other URL may be empty when the server
// lacks that capability (for example GitHub has no revocation endpoint).
type Endpoints struct {
	Issuer           string `json:"issuer,omitempty" toml:"issuer,omitempty"`                            // the OpenID issuer, whose metadata Discover reads
	AuthURL          string `json:"authorization_endpoint,omitempty" toml:"auth_url,omitempty"`          // authorization endpoint (browser sign-in)
	DeviceAuthURL    string `json:"device_authorization_endpoint,omitempty" toml:"device_url,omitempty"` // device authorization endpoint (RFC 8628)
	TokenURL         string `json:"token_endpoint,omitempty" toml:"token_url,omitempty"`                 // token endpoint
	RevocationURL    string `json:"revocation_endpoint,omitempty" toml:"revoke_url,omitempty"`           // token revocation endpoint (RFC 7009)
	UserInfoURL      string `json:"userinfo_endpoint,omitempty" toml:"userinfo_url,omitempty"`           // OpenID userinfo endpoint, or an API returning the account
	IntrospectionURL string `json:"introspection_endpoint,omitempty" toml:"introspect_url,omitempty"`    // token introspection endpoint (RFC 7662)
}

// OAuth2 returns the endpoints in x/oauth2's form, with the client
// authentication style set explicitly (auto-detection costs a second request
// on every failed token call).
func (e Endpoints) OAuth2() oauth2.Endpoint {
	return oauth2.Endpoint{
		AuthURL:       e.AuthURL,
		DeviceAuthURL: e.DeviceAuthURL,
		TokenURL:      e.TokenURL,
		AuthStyle:     oauth2.AuthStyleInParams,
	}
}

// Client is an OAuth client of one authorization server. The zero HTTP means
// a client with DefaultTimeout. A Client is safe for concurrent use once
// configured; it keeps no state between calls.
type Client struct {
	// HTTP performs the requests. Nil means a private client with
	// DefaultTimeout per request.
	HTTP *http.Client
	// ClientID identifies this application to the server.
	ClientID string
	// ClientSecret, when set, is sent with every request that authenticates
	// the client: device authorization, token, revocation and introspection
	// (Google wants one even from installed applications).
	ClientSecret string
	// ClientSecretFunc, when set and ClientSecret is empty, supplies the
	// client secret when a request first needs one, so a host can keep it
	// in a secret store and read it only then. An error fails the request.
	// It is called once per authenticated request; cache inside it.
	ClientSecretFunc func(ctx context.Context) (string, error)
	// Scopes requested at device authorization.
	Scopes []string
	// Params are extra request parameters for this server (audience,
	// prompt, login_hint, acr_values, resource...; see CheckParam). All
	// are sent with the device and web authorization requests; those that
	// mean something at the token endpoint (not prompt, login_hint,
	// acr_values...) with the client credentials and token exchange
	// requests too.
	Params url.Values
	// Endpoints of the server.
	Endpoints Endpoints
	// Timeout bounds each HTTP request; zero means DefaultTimeout.
	Timeout time.Duration
	// Now returns the current time; nil means time.Now. A test seam.
	Now func() time.Time

	// sleep waits d or until ctx ends; nil means a real timer. A test seam
	// for WaitDevice (set through export_test.go).
	sleep func(ctx context.Context, d time.Duration) error
}

// DefaultTimeout bounds each HTTP request when Client.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// MaxBodyBytes caps every response body read from a server.
const MaxBodyBytes = 1 << 20
