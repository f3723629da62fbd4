package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/authdeck/authdeck/internal/textsafe"
)

// Discover fetches RFC 8414 metadata (/.well-known/oauth-authorization-server),
// then OpenID discovery (/.well-known/openid-configuration), for issuer.
//
// For an issuer with a path, RFC 8414 inserts the well-known segment between
// host and path (https://host/.well-known/oauth-authorization-server/tenant),
// while OpenID discovery appends it (https://host/tenant/.well-known/...).
// The metadata's issuer must match the one asked for (a trailing slash
// aside), a token endpoint is required, and every endpoint must pass
// CheckURL. hc nil means a private client with DefaultTimeout per request.
func Discover(ctx context.Context, hc *http.Client, issuer string) (Endpoints, error) {
	if err := CheckURL(issuer); err != nil {
		return Endpoints{}, fmt.Errorf("issuer: %w", err)
	}
	u, err := url.Parse(issuer)
	if err != nil {
		return Endpoints{}, fmt.Errorf("issuer: %w", err)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Endpoints{}, fmt.Errorf("issuer %q must not have a query or fragment", textsafe.Clean(issuer))
	}
	c := &Client{HTTP: hc}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	base := u.Scheme + "://" + u.Host
	candidates := []string{
		base + "/.well-known/oauth-authorization-server" + path,
		base + path + "/.well-known/openid-configuration",
	}
	var errs []error
	for _, doc := range candidates {
		e, err := c.fetchMetadata(ctx, doc, issuer)
		if err == nil {
			return e, nil
		}
		var fatal *metadataError
		if errors.As(err, &fatal) || ctx.Err() != nil {
			return Endpoints{}, err
		}
		errs = append(errs, err)
	}
	return Endpoints{}, &DiscoveryError{Issuer: textsafe.Clean(issuer), Errs: errs}
}

// metadataError is a metadata document that was found but is unusable: no
// point trying the other well-known location.
type metadataError struct{ err error }

func (e *metadataError) Error() string { return e.err.Error() }
func (e *metadataError) Unwrap() error { return e.err }

func (c *Client) fetchMetadata(ctx context.Context, doc, issuer string) (Endpoints, error) {
	r, err := c.get(ctx, doc, "")
	if err != nil {
		return Endpoints{}, err
	}
	if r.Status != 200 {
		return Endpoints{}, fmt.Errorf("%s: HTTP %d", r.URL, r.Status)
	}
	m, err := decodeObject(r.Body)
	if err != nil {
		return Endpoints{}, fmt.Errorf("%s: not a JSON object", r.URL)
	}
	f := fields(m)
	bad := func(format string, args ...any) error {
		return &metadataError{fmt.Errorf("%s: %s", r.URL, fmt.Sprintf(format, args...))}
	}
	got := f.str("issuer")
	if got == "" {
		return Endpoints{}, bad("metadata has no issuer")
	}
	if strings.TrimSuffix(got, "/") != strings.TrimSuffix(issuer, "/") {
		return Endpoints{}, bad("metadata is for issuer %q, not %q; refusing it (check the issuer URL)", textsafe.Clean(got), textsafe.Clean(issuer))
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
		return Endpoints{}, bad("metadata has no token_endpoint")
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
			return Endpoints{}, bad("%s: %v", name, err)
		}
	}
	return e, nil
}
