package profiles

import (
	"context"
	"errors"
	"fmt"

	"github.com/authdeck/authdeck/auth"
)

// Profile.Grant values: how a token was obtained without a person.
const (
	// GrantClientCredentials: the client credentials grant (RFC 6749
	// §4.4). The profile's expired token is obtained anew, with the
	// server's stored client secret, by Token.
	GrantClientCredentials = "client_credentials"
	// GrantTokenExchange: a token exchange (RFC 8693) of a CI provider's
	// token. There is nothing to renew it with: once it expires, exchange
	// a new subject token with login again.
	GrantTokenExchange = "token_exchange"
)

// MergeParams is base (a server's params, KEY=VALUE) with the keys of over
// (a login's --param) replacing those of base; nil when both are empty.
func MergeParams(base, over []string) ([]string, error) {
	b, err := auth.ParseParams(base)
	if err != nil {
		return nil, err
	}
	o, err := auth.ParseParams(over)
	if err != nil {
		return nil, err
	}
	for k, vs := range o {
		b[k] = vs
	}
	if len(b) == 0 {
		return nil, nil
	}
	return auth.FormatParams(b), nil
}

// serviceScopes drops the scopes that only make sense for a person's
// login (openid, offline_access) from a client credentials or token
// exchange request.
func serviceScopes(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		if s != "openid" && s != "offline_access" {
			out = append(out, s)
		}
	}
	return out
}

// serviceClient is srv's client for a grant without a person: the given
// scopes (minus openid and offline_access) and params (KEY=VALUE; the
// server's when nil).
func (m *Manager) serviceClient(srv Server, scopes, params []string) (*auth.Client, error) {
	c := m.Client(srv)
	c.Scopes = serviceScopes(scopes)
	if params != nil {
		p, err := auth.ParseParams(params)
		if err != nil {
			return nil, err
		}
		c.Params = p
	}
	return c, nil
}

// NonInteractiveLogin says how LoginClientCredentials and
// LoginTokenExchange ask for the token and save it.
type NonInteractiveLogin struct {
	// Scopes to request; nil means the server's. openid and
	// offline_access are left out (there is no person to identify).
	Scopes []string
	// Params (KEY=VALUE) replace the server's params of the same name for
	// this login, and are recorded on the profile so a client credentials
	// profile asks for its next token with them too.
	Params []string
	// Save names the profile and where the token is kept.
	Save SaveOptions
}

func (o NonInteractiveLogin) merged(srv Server) ([]string, []string, error) {
	scopes := o.Scopes
	if scopes == nil {
		scopes = srv.Scopes
	}
	if len(o.Params) == 0 {
		return scopes, nil, nil
	}
	params, err := MergeParams(srv.Params, o.Params)
	if err != nil {
		return nil, nil, err
	}
	return scopes, params, nil
}

// LoginClientCredentials obtains a token for srv's client itself with the
// client credentials grant and saves it as a profile (named after the
// client id unless opt.Save.Profile says otherwise). The client secret is
// srv.ClientSecret, or the one stored for the server; the profile's next
// token, once this one expires, is obtained with the stored one, so a
// secret given only in memory must be stored first (AddServer).
func (m *Manager) LoginClientCredentials(ctx context.Context, srv Server, opt NonInteractiveLogin) (Profile, SaveInfo, error) {
	if !srv.HasClientSecret() {
		return Profile{}, SaveInfo{}, fmt.Errorf("server %q has no client secret, which the client credentials grant needs; pass --client-secret-file PATH or --client-secret-env VAR to `%s login --client-credentials --server %s`", srv.Name, m.name(), srv.Name)
	}
	scopes, params, err := opt.merged(srv)
	if err != nil {
		return Profile{}, SaveInfo{}, err
	}
	c, err := m.serviceClient(srv, scopes, params)
	if err != nil {
		return Profile{}, SaveInfo{}, err
	}
	tok, err := c.ClientCredentials(ctx)
	if err != nil {
		return Profile{}, SaveInfo{}, m.serviceError(srv, "", err)
	}
	id := &auth.Identity{Subject: srv.ClientID, Username: srv.ClientID}
	save := opt.Save
	save.Grant, save.Params = GrantClientCredentials, params
	return m.SaveLogin(ctx, srv.Name, tok, id, save)
}

// LoginTokenExchange trades subjectToken (a CI provider's OIDC token, of
// RFC 8693 type typ; "" means jwt) for a token of srv and saves it as a
// profile, named after the subject token's sub claim unless
// opt.Save.Profile says otherwise. The client authenticates with its
// secret when it has one.
func (m *Manager) LoginTokenExchange(ctx context.Context, srv Server, subjectToken, typ string, opt NonInteractiveLogin) (Profile, SaveInfo, error) {
	scopes, params, err := opt.merged(srv)
	if err != nil {
		return Profile{}, SaveInfo{}, err
	}
	c, err := m.serviceClient(srv, scopes, params)
	if err != nil {
		return Profile{}, SaveInfo{}, err
	}
	tok, err := c.ExchangeToken(ctx, subjectToken, typ)
	if err != nil {
		return Profile{}, SaveInfo{}, m.serviceError(srv, typ, err)
	}
	// Who the token is for: the subject token's claims, read only to name
	// the profile (the server has just vouched for the token).
	id, err := auth.IdentityFromIDToken(subjectToken)
	if err != nil || id.Display() == "" {
		id = &auth.Identity{Username: srv.ClientID}
	}
	if id.Username == "" {
		id.Username = id.Subject
	}
	id.Subject = "exchange:" + id.Subject // not a person's sub at this server
	save := opt.Save
	save.Grant, save.Params = GrantTokenExchange, params
	return m.SaveLogin(ctx, srv.Name, tok, id, save)
}

// serviceError adds to a failed client credentials or token exchange
// request what to do about it. typ is the subject token type of a token
// exchange, "" for client credentials.
func (m *Manager) serviceError(srv Server, typ string, err error) error {
	var oe *auth.OAuthError
	if !errors.As(err, &oe) {
		return fmt.Errorf("server %q: %w", srv.Name, err)
	}
	switch {
	case oe.Code == "invalid_client":
		return fmt.Errorf("server %q rejected the client id %q or its secret (%v); check them, then sign in again with the client credentials%s%s",
			srv.Name, srv.ClientID, oe, suggest(": ", m.cmdq("login", "--client-credentials --server "+srv.Name+" --client-secret-file PATH")),
			suggest(" (a stored secret is replaced with ", m.cmdq("servers add", srv.Name+" --force ... --client-secret-file PATH"))+parenEnd(m.CommandLine("servers add")))
	case oe.Code == "unauthorized_client" || oe.Code == "unsupported_grant_type":
		grant := "client_credentials"
		if typ != "" {
			grant = auth.GrantTokenExchange
		}
		return fmt.Errorf("server %q does not allow client %q the %s grant (%v); enable it for the client at the provider", srv.Name, srv.ClientID, grant, oe)
	case oe.Code == "invalid_target":
		return fmt.Errorf("server %q does not know the resource asked for (%v); check the resource= parameter (login --param resource=URI%s)", srv.Name, oe, suggest(", or ", m.cmdq("servers add", srv.Name+" --force ... --param resource=URI")))
	case typ != "" && (oe.Code == "invalid_grant" || oe.Code == "invalid_request"):
		return fmt.Errorf("server %q did not accept the subject token (%v); check that it is a fresh token of the CI provider the server trusts, of type %s (--subject-token-type), with the audience the server expects", srv.Name, oe, typ)
	}
	return fmt.Errorf("server %q: %w", srv.Name, err)
}

// reacquire obtains a new client credentials token for p, whose token has
// expired (or was rejected), and saves it. The caller holds p's lock.
func (m *Manager) reacquire(ctx context.Context, p Profile, srv Server, cur *Secret, res *TokenResult) (*TokenResult, error) {
	if srv.Name == "" {
		return nil, fmt.Errorf("profile %q refers to server %q, which is not configured; add it back or log in again", p.Name, p.Server)
	}
	var params []string
	if len(p.Params) > 0 {
		params = p.Params
	}
	scopes := p.Scopes
	if len(scopes) == 0 {
		scopes = srv.Scopes
	}
	c, err := m.serviceClient(srv, scopes, params)
	if err != nil {
		return nil, err
	}
	sent := m.now()
	tok, err := c.ClientCredentials(ctx)
	if err != nil {
		var oe *auth.OAuthError
		if errors.As(err, &oe) && (oe.Code == "invalid_client" || oe.Code == "unauthorized_client") || errors.Is(err, auth.ErrNoClientSecret) {
			reason := "cannot get a new token: " + m.serviceError(srv, "", err).Error()
			if errors.As(err, &oe) && oe.Code == "invalid_client" {
				reason = fmt.Sprintf("cannot get a new token: server %q rejected the client id %q or its secret (%v)", srv.Name, srv.ClientID, oe)
			}
			return nil, &NotLoggedInError{Profile: p.Name, Reason: reason, Server: srv.Name}
		}
		if m.fresh(cur, expiryDelta, true) {
			m.log.Warn("obtaining a new client credentials token failed; using the current one until it expires", "profile", p.Name, "err", err)
			res.Token = cur.Token()
			return res, nil
		}
		return nil, fmt.Errorf("obtaining a new token for profile %q: %w", p.Name, err)
	}
	next := SecretFromToken(tok)
	next.Obtained = sent.UTC()
	m.log.Debug("client credentials token obtained anew", "profile", p.Name)
	return m.keepRefreshed(ctx, p, res, tok, next)
}
