package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/authdeck/authdeck/internal/textsafe"
)

// Metadata is what discovery tells about a server beyond its endpoints.
type Metadata struct {
	// Endpoints are the server's endpoints, as Discover returns them.
	Endpoints
	// JWKSURL is the jwks_uri: the server's public keys, which sign its
	// ID tokens.
	JWKSURL string
	// ScopesSupported is scopes_supported, when published.
	ScopesSupported []string
	// IDTokenAlgs is id_token_signing_alg_values_supported, when
	// published.
	IDTokenAlgs []string
	// OpenID reports an OpenID Connect server: its metadata came from
	// /.well-known/openid-configuration, or its scopes_supported lists
	// openid.
	OpenID bool
}

// DefaultScopes are the scopes a login requests when none were given: for
// an OpenID Connect server openid, plus profile and email when
// scopes_supported lists them (so that the login can say who you are), and
// offline_access when it is listed (so that the login comes with a refresh
// token); nil for a plain OAuth server (the server's own default).
func (m Metadata) DefaultScopes() []string {
	if !m.OpenID {
		return nil
	}
	s := []string{"openid"}
	for _, extra := range []string{"profile", "email", "offline_access"} {
		if slices.Contains(m.ScopesSupported, extra) {
			s = append(s, extra)
		}
	}
	return s
}

// Discover is DiscoverMetadata's endpoints.
func Discover(ctx context.Context, hc *http.Client, issuer string) (Endpoints, error) {
	m, err := DiscoverMetadata(ctx, hc, issuer)
	return m.Endpoints, err
}

// DiscoverMetadata fetches RFC 8414 metadata (/.well-known/oauth-authorization-server),
// then OpenID discovery (/.well-known/openid-configuration), for issuer.
//
// For an issuer with a path, RFC 8414 inserts the well-known segment between
// host and path (https://host/.well-known/oauth-authorization-server/tenant),
// while OpenID discovery appends it (https://host/tenant/.well-known/...).
// The metadata's issuer must match the one asked for (a trailing slash
// aside), a token endpoint is required, and every endpoint must pass
// CheckURL. hc nil means a private client with DefaultTimeout per request.
func DiscoverMetadata(ctx context.Context, hc *http.Client, issuer string) (Metadata, error) {
	c := &Client{HTTP: hc}
	return c.discover(ctx, issuer)
}

func (c *Client) discover(ctx context.Context, issuer string) (Metadata, error) {
	if err := CheckURL(issuer); err != nil {
		return Metadata{}, fmt.Errorf("issuer: %w", err)
	}
	u, err := url.Parse(issuer)
	if err != nil {
		return Metadata{}, fmt.Errorf("issuer: %w", err)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Metadata{}, fmt.Errorf("issuer %q must not have a query or fragment", textsafe.Clean(issuer))
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	base := u.Scheme + "://" + u.Host
	candidates := []string{
		base + "/.well-known/oauth-authorization-server" + path,
		base + path + "/.well-known/openid-configuration",
	}
	var errs []error
	for _, doc := range candidates {
		m, err := c.fetchMetadata(ctx, doc, issuer)
		if err == nil {
			return m, nil
		}
		var fatal *metadataError
		if errors.As(err, &fatal) || ctx.Err() != nil {
			return Metadata{}, err
		}
		errs = append(errs, err)
	}
	return Metadata{}, &DiscoveryError{Issuer: textsafe.Clean(issuer), Errs: errs}
}

// metadataError is a metadata document that was found but is unusable: no
// point trying the other well-known location.
type metadataError struct{ err error }

func (e *metadataError) Error() string { return e.err.Error() }
func (e *metadataError) Unwrap() error { return e.err }

func (c *Client) fetchMetadata(ctx context.Context, doc, issuer string) (Metadata, error) {
	r, err := c.get(ctx, doc, "")
	if err != nil {
		return Metadata{}, err
	}
	if r.Status != 200 {
		return Metadata{}, fmt.Errorf("%s: HTTP %d", r.URL, r.Status)
	}
	m, err := decodeObject(r.Body)
	if err != nil {
		return Metadata{}, fmt.Errorf("%s: not a JSON object", r.URL)
	}
	f := fields(m)
	bad := func(format string, args ...any) error {
		return &metadataError{fmt.Errorf("%s: %s", r.URL, fmt.Sprintf(format, args...))}
	}
	got := f.str("issuer")
	if got == "" {
		return Metadata{}, bad("metadata has no issuer")
	}
	if strings.TrimSuffix(got, "/") != strings.TrimSuffix(issuer, "/") {
		return Metadata{}, bad("metadata is for issuer %q, not %q; refusing it (check the issuer URL)", textsafe.Clean(got), textsafe.Clean(issuer))
	}
	e := Endpoints{
		Issuer:           got,
		AuthURL:          f.str("authorization_endpoint"),
		DeviceAuthURL:    f.str("device_authorization_endpoint"),
		TokenURL:         f.str("token_endpoint"),
		RevocationURL:    f.str("revocation_endpoint"),
		UserInfoURL:      f.str("userinfo_endpoint"),
		IntrospectionURL: f.str("introspection_endpoint"),
	}
	if e.TokenURL == "" {
		return Metadata{}, bad("metadata has no token_endpoint")
	}
	for name, v := range map[string]string{
		"authorization_endpoint": e.AuthURL, "device_authorization_endpoint": e.DeviceAuthURL,
		"token_endpoint": e.TokenURL, "revocation_endpoint": e.RevocationURL,
		"userinfo_endpoint": e.UserInfoURL, "introspection_endpoint": e.IntrospectionURL,
	} {
		if v == "" {
			continue
		}
		if err := CheckURL(v); err != nil {
			return Metadata{}, bad("%s: %v", name, err)
		}
	}
	md := Metadata{Endpoints: e, JWKSURL: f.str("jwks_uri"), ScopesSupported: f.strs("scopes_supported"), IDTokenAlgs: f.strs("id_token_signing_alg_values_supported")}
	if md.JWKSURL != "" {
		if err := CheckURL(md.JWKSURL); err != nil {
			return Metadata{}, bad("jwks_uri: %v", err)
		}
	}
	md.OpenID = strings.HasSuffix(doc, "/.well-known/openid-configuration") || slices.Contains(md.ScopesSupported, "openid")
	return md, nil
}
