package profiles

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	"github.com/authdeck/authdeck/auth"
)

// Status lists every profile with its token state and source, computed
// from the config and the environment, plus one read of credentials.json
// when some profile keeps its secret there: a secret missing from the file
// shows as StateMissing, a file that cannot be read or parsed as
// StateUnreadable, each with a Note saying what to do, and a file other
// users may read, or a file or directory they may change (where no new
// secret is stored), gets a Note on its rows. Secrets in the keyring are not
// read (a keyring call per profile would make status slow, and may prompt
// for a password), so a keyring item deleted behind our back shows as its
// config says until the token is used. No network access. tokenFile is the
// --token-file in force, if any (it overrides every profile's token).
func (m *Manager) Status(ctx context.Context, tokenFile string) ([]Status, error) {
	cfg, err := m.Load(ctx)
	if err != nil {
		return nil, err
	}
	now := m.now()
	var (
		creds    *credentialsDoc
		credsErr error
		loose    fs.FileMode
		readOnce bool
	)
	fileSecret := func(p Profile) (TokenState, string) {
		if !readOnce {
			readOnce = true
			creds, loose, credsErr = m.files.readMode()
		}
		path := m.files.Path()
		login := fmt.Sprintf("`%s login --profile %s`", m.name(), p.Name)
		if credsErr != nil {
			return StateUnreadable, fmt.Sprintf("%v; if its tokens are lost, run %s", credsErr, login)
		}
		if _, ok := creds.Secrets[secretKey(p.ID)]; !ok {
			return StateMissing, fmt.Sprintf("the token is missing from %s (deleted or edited?); run %s", path, login)
		}
		var unsafe *UnsafePermissionsError
		if errors.As(m.files.checkSafe(), &unsafe) {
			return "", unsafe.note()
		}
		if loose != 0 {
			return "", looseNote(path, loose)
		}
		return "", ""
	}
	out := make([]Status, 0, len(cfg.Profiles))
	for _, p := range cfg.Profiles {
		srv, _ := cfg.Server(p.Server)
		st := Status{
			Profile:    p,
			Name:       p.Name,
			Active:     cfg.Active == p.Name,
			Server:     p.Server,
			Issuer:     srv.Issuer,
			Account:    p.Account(),
			Storage:    p.Storage,
			HasRefresh: p.HasRefresh,
			Expiry:     p.TokenExpiry,
		}
		if st.Active {
			st.ChosenBy = "active"
		}
		var src Source
		var detail string
		if tokenFile != "" {
			src, detail = SourceTokenFile, tokenFile
		} else {
			src, detail, _ = m.envToken(srv)
		}
		switch {
		case src != "":
			st.Source, st.SourceDetail, st.State = src, detail, StateExternal
			st.Expiry, st.HasRefresh = time.Time{}, false
		case !p.SignedIn():
			st.State = StateSignedOut
		default:
			st.Source = sourceOf(p.Storage)
			if p.Storage == StorageFile {
				st.SourceDetail = m.files.Path()
			}
			st.State = tokenState(now, p.TokenExpiry, p.TokenObtained, p.HasRefresh || p.Grant == GrantClientCredentials)
			if p.Storage == StorageFile {
				if bad, note := fileSecret(p); bad != "" {
					st.State, st.Note = bad, note
					st.Expiry, st.HasRefresh = time.Time{}, false
				} else {
					st.Note = note
				}
				if st.State != StateMissing && st.State != StateUnreadable {
					st.Fallback = p.StorageFallback
				}
			}
		}
		if !st.Expiry.IsZero() {
			st.TimeLeft = st.Expiry.Sub(now)
		}
		out = append(out, st)
	}
	return out, nil
}

// tokenState: "expiring" means within DefaultMinTTL of expiry, capped at
// half the token's lifetime as Token caps MinTTL.
func tokenState(now, expiry, obtained time.Time, hasRefresh bool) TokenState {
	var life time.Duration
	if !obtained.IsZero() && expiry.After(obtained) {
		life = expiry.Sub(obtained)
	}
	switch {
	case expiry.IsZero() || now.Add(capTTL(DefaultMinTTL, life)).Before(expiry):
		return StateValid
	case now.Before(expiry):
		return StateExpiring
	case hasRefresh:
		return StateRefreshable
	}
	return StateExpired
}

// WhoAmI is the identity of a profile, read fresh from the server.
type WhoAmI struct {
	// Profile is the profile whose token was used; zero when the token
	// came from a token file or environment variable with no profile
	// chosen.
	Profile Profile
	// Server is the profile's server; zero when Profile is.
	Server Server
	// Identity is the account as the server's userinfo endpoint returned
	// it, or, for a server without one, as saved at the last login.
	// Set whenever WhoAmI returns no error.
	Identity *auth.Identity
	// Source is where the token came from.
	Source Source
	// Expiry is when the token expires; zero when unknown (a token from a
	// file or environment variable, or a server that gave no expiry).
	Expiry time.Time
	// Scopes are the scopes the profile was granted at login; nil for a
	// token from a file or environment variable, whose scopes are unknown.
	Scopes []string
}

// WhoAmI reads the profile's identity (the active profile when profile is
// empty) from the server's userinfo endpoint, with a token from Token
// (refreshed if needed). A server without userinfo gets the identity saved
// from the last login's ID token or userinfo.
func (m *Manager) WhoAmI(ctx context.Context, profile string) (*WhoAmI, error) {
	r, err := m.Token(ctx, profile, TokenOptions{MinTTL: expiryDelta})
	if err != nil {
		return nil, err
	}
	cfg, err := m.Load(ctx)
	if err != nil {
		return nil, err
	}
	w := &WhoAmI{Source: r.Source, Expiry: r.Token.Expiry}
	if r.Profile != "" {
		p, srv, err := lookup(cfg, r.Profile)
		if err != nil {
			return nil, err
		}
		w.Profile, w.Server = p, srv
		if !r.Source.ReadOnly() {
			w.Scopes = p.Scopes
		}
	}
	if w.Server.UserInfoURL != "" {
		c := m.Client(w.Server)
		id, err := c.UserInfo(ctx, r.Token.AccessToken)
		if tokenRefused(err) && !r.Source.ReadOnly() {
			// Revoked, or refused for another reason before its expiry:
			// refresh once and ask again, as api does.
			next, rerr := m.RefreshRejected(ctx, r, TokenOptions{MinTTL: expiryDelta})
			var nr *NoRefreshError
			switch {
			case errors.As(rerr, &nr):
				return nil, rerr
			case rerr != nil:
				return nil, fmt.Errorf("%s refused the token of profile %q (%v), and refreshing it failed: %w", w.Server.Name, r.Profile, err, rerr)
			}
			w.Source, w.Expiry = next.Source, next.Token.Expiry
			id, err = c.UserInfo(ctx, next.Token.AccessToken)
		}
		if err != nil {
			return nil, fmt.Errorf("reading the account from %s: %w", w.Server.Name, err)
		}
		w.Identity = id
		return w, nil
	}
	if r.Profile == "" {
		return nil, fmt.Errorf("the token comes from %s and no profile says which server it is for, so the account cannot be read; choose a profile", r.SourceDetail)
	}
	w.Identity = &auth.Identity{Subject: w.Profile.Subject, Username: w.Profile.Username, Email: w.Profile.Email}
	return w, nil
}

// tokenRefused reports whether err is a server's HTTP 401 to an access
// token (userinfo's invalid_token).
func tokenRefused(err error) bool {
	var oe *auth.OAuthError
	return errors.As(err, &oe) && oe.Status == http.StatusUnauthorized
}
