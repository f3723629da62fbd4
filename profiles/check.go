package profiles

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/authdeck/authdeck/auth"
)

// CheckState is what a server says of a profile's stored token.
type CheckState string

// Check states.
const (
	// CheckValid: the server accepted the access token (userinfo 200).
	CheckValid CheckState = "valid"
	// CheckRevoked: the server refused the access token although it has
	// not expired by its expiry (HTTP 401 invalid_token): the login was
	// revoked or ended on the server.
	CheckRevoked CheckState = "revoked"
	// CheckExpired: the access token has expired by its own expiry, so
	// the server was not asked (its refusal would say nothing about the
	// login). Refreshable tells whether a refresh token is stored; the next
	// use refreshes, and only that tells whether the server still honours
	// it (a check must not spend a rotating refresh token).
	CheckExpired CheckState = "expired"
	// CheckUnreachable: no answer (connection refused, DNS, timeout).
	CheckUnreachable CheckState = "unreachable"
	// CheckError: the server answered, but not with a yes or a no (HTTP
	// 5xx, 403, a body that is not userinfo), or the secret could not be
	// read.
	CheckError CheckState = "error"
	// CheckUnknown: the server has no userinfo endpoint to ask.
	CheckUnknown CheckState = "unknown"
	// CheckSignedOut: the profile holds no token; nothing to check.
	CheckSignedOut CheckState = "signed-out"
)

// CheckResult is one profile's answer from Check.
type CheckResult struct {
	// Name is the profile's name.
	Name string
	// State is what the server said of the profile's login.
	State CheckState
	// Refreshable is set with CheckExpired when a refresh token is stored.
	Refreshable bool
	// Detail is the reason behind a state other than valid or signed-out,
	// in one line, without secrets (the error, "no userinfo endpoint").
	Detail string
}

// Limits of Check: each profile's request (keyring read included), and
// the whole check.
const (
	CheckProfileTimeout = 10 * time.Second
	CheckTimeout        = 15 * time.Second
)

// Check asks each profile's server whether the stored access token is
// still accepted, by reading its userinfo endpoint with it: all profiles
// when names is empty, else those named (an unknown name is an error).
// Profiles are checked concurrently, each within CheckProfileTimeout and
// all within CheckTimeout; results are in config order. Nothing is
// refreshed or saved: an expired access token is reported as CheckExpired
// without asking the server. Tokens from environment variables or token
// files are not checked; the stored login is.
func (m *Manager) Check(ctx context.Context, names []string) ([]CheckResult, error) {
	cfg, err := m.Load(ctx)
	if err != nil {
		return nil, err
	}
	var ps []Profile
	if len(names) == 0 {
		ps = cfg.Profiles
	} else {
		for _, n := range names {
			p, _, err := lookup(cfg, n)
			if err != nil {
				return nil, err
			}
			ps = append(ps, p)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	out := make([]CheckResult, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		srv, _ := cfg.Server(p.Server)
		wg.Add(1)
		go func() {
			defer wg.Done()
			pctx, cancel := context.WithTimeout(ctx, CheckProfileTimeout)
			defer cancel()
			out[i] = m.checkOne(pctx, p, srv)
			out[i].Name = p.Name
		}()
	}
	wg.Wait()
	return out, nil
}

func (m *Manager) checkOne(ctx context.Context, p Profile, srv Server) CheckResult {
	switch {
	case !p.SignedIn():
		return CheckResult{State: CheckSignedOut}
	case srv.Name == "":
		return CheckResult{State: CheckError, Detail: fmt.Sprintf("server %q is not configured", p.Server)}
	case srv.UserInfoURL == "":
		return CheckResult{State: CheckUnknown, Detail: "the server has no userinfo endpoint to ask"}
	}
	sec, err := m.readSecret(ctx, p)
	if err != nil {
		return CheckResult{State: CheckError, Detail: err.Error()}
	}
	if !sec.Expiry.IsZero() && !m.now().Before(sec.Expiry) {
		return CheckResult{State: CheckExpired, Refreshable: sec.RefreshToken != ""}
	}
	_, err = m.Client(srv).UserInfo(ctx, sec.AccessToken)
	var oe *auth.OAuthError
	var te *auth.TransientError
	switch {
	case err == nil:
		return CheckResult{State: CheckValid}
	case errors.As(err, &oe) && oe.Code == "invalid_token":
		return CheckResult{State: CheckRevoked, Detail: oe.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return CheckResult{State: CheckUnreachable, Detail: fmt.Sprintf("no answer from %s within the check's time limit", srv.UserInfoURL)}
	case errors.As(err, &te) && te.Status == 0:
		return CheckResult{State: CheckUnreachable, Detail: te.Err.Error()}
	}
	return CheckResult{State: CheckError, Detail: err.Error()}
}
