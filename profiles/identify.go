package profiles

import (
	"context"
	"errors"

	"github.com/authdeck/authdeck/auth"
	"golang.org/x/oauth2"
)

// UserInfoReader reads the identity behind an access token from a
// server's userinfo endpoint: satisfied by *auth.Client.
type UserInfoReader interface {
	// UserInfo returns the identity behind accessToken; an error wrapping
	// auth.ErrNoEndpoint when the server has no userinfo endpoint.
	UserInfo(ctx context.Context, accessToken string) (*auth.Identity, error)
}

// Identify tells whom a token just obtained belongs to: the server's
// userinfo (through ui, which may be nil), else the claims of the ID token
// that came with it. It never returns a nil identity; an empty one means
// the account is not known. The error is only a warning: the login itself
// succeeded and can be saved (SaveLogin) with the identity returned. A
// server without a userinfo endpoint is not an error.
func Identify(ctx context.Context, ui UserInfoReader, tok *oauth2.Token) (*auth.Identity, error) {
	var uerr error
	if ui != nil && tok != nil {
		id, err := ui.UserInfo(ctx, tok.AccessToken)
		if err == nil && id != nil {
			return id, nil
		}
		if !errors.Is(err, auth.ErrNoEndpoint) {
			uerr = err
		}
	}
	if raw := auth.IDToken(tok); raw != "" {
		id, err := auth.IdentityFromIDToken(raw)
		if err == nil && id != nil {
			return id, nil
		}
		if uerr == nil {
			uerr = err
		}
	}
	return &auth.Identity{}, uerr
}
