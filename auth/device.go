package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/authdeck/authdeck/internal/textsafe"
)

// Device flow constants (RFC 8628).
const (
	// DefaultInterval is the polling interval when the server sends none
	// (RFC 8628 §3.2).
	DefaultInterval = 5 * time.Second
	// DefaultDeviceCodeTTL is assumed when the server sends no expires_in
	// and the device code carries no JWT exp (WorkOS).
	DefaultDeviceCodeTTL = 15 * time.Minute
	// MinBackoffCap is the least cap on the wait between polls after
	// repeated transient failures (see BackoffCap).
	MinBackoffCap = 10 * time.Second

	deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"
	slowDownStep    = 5 * time.Second // RFC 8628 §3.5
)

// BackoffCap is the longest wait between polls at interval after
// repeated transient failures: four intervals, at least MinBackoffCap. A
// server's Retry-After is honoured even when longer.
func BackoffCap(interval time.Duration) time.Duration {
	return max(4*interval, MinBackoffCap)
}

// backoff is the wait after the n-th transient failure in a row at
// interval: the interval, doubling, up to BackoffCap(interval).
func backoff(interval time.Duration, n int) time.Duration {
	limit := BackoffCap(interval)
	d := max(interval, time.Millisecond)
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// Retries of the device authorization request: a transient failure (5xx,
// 429, a dropped connection, a timeout, an HTML page) is retried after
// backoff(startBackoff, n) (1s doubling, capped like polls at
// BackoffCap(startBackoff)), or the server's Retry-After when longer, while
// the waits add up to at most StartRetryBudget and for at most
// startAttempts requests.
const (
	// StartRetryBudget caps the total wait between device authorization
	// attempts: past it (or when Retry-After asks for more) the transient
	// error is returned.
	StartRetryBudget = 30 * time.Second
	startBackoff     = time.Second
	startAttempts    = 6
)

// StartDevice requests a device code (RFC 8628 §3.1). It sends the client
// secret when one is set, and normalises provider variations: Google's
// verification_url, Entra's numbers sent as strings, GitHub's form-encoded
// answers, WorkOS's missing expires_in (read from the device code's JWT exp
// when it is one, else DefaultDeviceCodeTTL). Strings meant for display are
// stripped of control characters; the verification URIs must be http(s) and
// pass CheckURL.
//
// Transient failures are retried with backoff, honouring Retry-After, for
// at most StartRetryBudget of waiting (a *TransientError after that); any
// other error, and the end of ctx, stop it at once.
func (c *Client) StartDevice(ctx context.Context) (*DeviceCode, error) {
	return c.StartDeviceNotify(ctx, nil)
}

// StartDeviceNotify is StartDevice, calling onRetry (when not nil) before
// each wait between attempts, so a caller can say that the server is not
// answering rather than stay silent. onRetry runs on the caller's
// goroutine and must not block.
func (c *Client) StartDeviceNotify(ctx context.Context, onRetry func(Retry)) (*DeviceCode, error) {
	if c.Endpoints.DeviceAuthURL == "" {
		return nil, fmt.Errorf("%w: no device authorization endpoint (device_url); the server may not support the device flow", ErrNoEndpoint)
	}
	var waited time.Duration
	for n := 1; ; n++ {
		dc, err := c.startDeviceOnce(ctx)
		var te *TransientError
		if err == nil || !errors.As(err, &te) || ctx.Err() != nil {
			return dc, err
		}
		wait := max(backoff(startBackoff, n), te.RetryAfter)
		switch {
		case te.RetryAfter > StartRetryBudget-waited:
			return nil, fmt.Errorf("%w (the server asks to retry in %s; try again later)", err, te.RetryAfter.Round(time.Second))
		case n >= startAttempts || wait > StartRetryBudget-waited:
			return nil, fmt.Errorf("%w (after %d attempts over %s; try again later)", err, n, waited.Round(time.Second))
		}
		if onRetry != nil {
			onRetry(Retry{N: n, Err: err, Status: te.Status, Wait: wait, Next: c.now().Add(wait)})
		}
		if err := c.sleepFor(ctx, wait); err != nil {
			return nil, err
		}
		waited += wait
	}
}

// startDeviceOnce sends one device authorization request.
func (c *Client) startDeviceOnce(ctx context.Context) (*DeviceCode, error) {
	form := url.Values{}
	if len(c.Scopes) > 0 {
		form.Set("scope", strings.Join(c.Scopes, " "))
	}
	c.addParams(form, true)
	sent := c.now()
	r, err := c.postForm(ctx, c.Endpoints.DeviceAuthURL, form)
	if err != nil {
		return nil, fmt.Errorf("requesting a device code: %w", err)
	}
	f, ok := decodeFields(r)
	if !ok {
		return nil, fmt.Errorf("requesting a device code: %w", c.unexpected(r, "a device authorization response"))
	}
	if oe := f.oauthError(r.Status); oe != nil {
		if r.Status >= 500 || r.Status == http.StatusTooManyRequests || oe.Code == "temporarily_unavailable" {
			return nil, fmt.Errorf("requesting a device code: %w", &TransientError{Err: oe, Status: r.Status, RetryAfter: r.retryAfter(c.now())})
		}
		return nil, fmt.Errorf("requesting a device code: %w", oe)
	}
	if r.Status < 200 || r.Status > 299 {
		return nil, fmt.Errorf("requesting a device code: %w", c.unexpected(r, "a device authorization response"))
	}
	return c.deviceCodeFromFields(r, f, sent)
}

func (c *Client) deviceCodeFromFields(r *response, f fields, sent time.Time) (*DeviceCode, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s sent an invalid device authorization response: %s", r.URL, fmt.Sprintf(format, args...))
	}
	dc := &DeviceCode{
		DeviceCode: f.str("device_code"),
		UserCode:   textsafe.Clean(strings.TrimSpace(f.str("user_code"))),
		Message:    textsafe.Clean(strings.TrimSpace(f.str("message"))),
		IssuedAt:   c.now(),
	}
	if dc.DeviceCode == "" {
		return nil, bad("no device_code")
	}
	if dc.UserCode == "" {
		return nil, bad("no user_code")
	}
	uri := firstNonEmpty(f.str("verification_uri"), f.str("verification_url"))
	if uri == "" {
		return nil, bad("no verification_uri")
	}
	if err := checkDisplayURL(uri); err != nil {
		return nil, bad("verification_uri: %v", err)
	}
	dc.VerificationURI = uri
	if complete := firstNonEmpty(f.str("verification_uri_complete"), f.str("verification_url_complete")); complete != "" {
		// optional: an unusable one is dropped, the plain URI still works
		if checkDisplayURL(complete) == nil {
			dc.VerificationURIComplete = complete
		}
	}

	ttl, ok, err := f.seconds("expires_in")
	if err != nil {
		return nil, bad("%v", err)
	}
	switch {
	case ok && ttl > 0:
		dc.ExpiresAt = sent.Add(ttl)
	default:
		if exp, ok := jwtExp(dc.DeviceCode); ok && exp.After(sent) {
			dc.ExpiresAt = exp
		} else {
			dc.ExpiresAt = sent.Add(DefaultDeviceCodeTTL)
		}
	}
	iv, ok, err := f.seconds("interval")
	if err != nil {
		return nil, bad("%v", err)
	}
	if ok && iv > 0 {
		dc.Interval = iv
	} else {
		dc.Interval = DefaultInterval
	}
	return dc, nil
}

// checkDisplayURL checks a URL that will be shown and opened in a browser.
func checkDisplayURL(raw string) error {
	if textsafe.Clean(raw) != raw {
		return fmt.Errorf("URL contains control characters")
	}
	return CheckURL(raw)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// PollOnce sends exactly one device access token request (RFC 8628 §3.4) and
// never sleeps. Pending, slow_down, denial, expiry, transient failures and
// other server errors come back as the errors of errors.go. An answer over
// MaxBodyBytes, or a JSON body cut off or broken, is a *TransientError here
// (the next poll may well succeed), unlike for Refresh. dc.Interval is
// updated on slow_down. An ID token that comes with the tokens is verified
// (VerifyIDToken); one that fails gives an ErrIDToken error. A code past
// dc.ExpiresAt gives ErrExpiredToken
// without a request, and the request is bounded by dc.ExpiresAt as well as
// Client.Timeout: a token endpoint that does not answer before the code
// expires gives ErrExpiredToken then. PollOnce must not be called
// concurrently for one dc.
func (c *Client) PollOnce(ctx context.Context, dc *DeviceCode) (*oauth2.Token, error) {
	if dc == nil || dc.DeviceCode == "" {
		return nil, errors.New("no device code: call StartDevice first")
	}
	if c.Endpoints.TokenURL == "" {
		return nil, fmt.Errorf("%w: no token endpoint (token_url) is configured", ErrNoEndpoint)
	}
	if !dc.ExpiresAt.IsZero() && !c.now().Before(dc.ExpiresAt) {
		return nil, ErrExpiredToken
	}
	parent := ctx
	if !dc.ExpiresAt.IsZero() {
		// A slow or silent token endpoint must not keep the poll going
		// past the code's life: the answer could only be expired_token.
		// The deadline is on the real clock, c.now() may be a test's.
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.Now().Add(dc.ExpiresAt.Sub(c.now())))
		defer cancel()
	}
	r, err := c.postForm(ctx, c.Endpoints.TokenURL, url.Values{
		"grant_type":  {deviceGrantType},
		"device_code": {dc.DeviceCode},
	})
	if err != nil {
		if parent.Err() == nil && ctx.Err() != nil {
			return nil, fmt.Errorf("%w (the token endpoint did not answer before the code expired)", ErrExpiredToken)
		}
		if errors.Is(err, ErrBodyTooLarge) {
			// the read was cut at MaxBodyBytes: a proxy's page or a
			// glitch, worth another poll
			return nil, &TransientError{Err: err}
		}
		return nil, err
	}
	f, oe, err := c.tokenAnswer(r)
	if err != nil {
		if r.Status == http.StatusPreconditionRequired && !r.isHTML() {
			// Google's status for "pending", should the body be missing
			return nil, ErrAuthorizationPending
		}
		var te *TransientError
		if !errors.As(err, &te) && r.brokenJSON() {
			return nil, c.transient(r, "%s answered HTTP %d with a cut-off or broken JSON body: %q", r.URL, r.Status, snippet(r.Body))
		}
		return nil, err
	}
	if oe == nil {
		tok, err := c.tokenFromFields(r, f)
		if err != nil {
			return nil, err
		}
		// An ID token is only kept once verified (signature, issuer,
		// audience, expiry).
		if _, err := c.verifyTokenIDToken(ctx, tok, ""); err != nil {
			return nil, err
		}
		return tok, nil
	}
	switch oe.Code {
	case "authorization_pending":
		return nil, ErrAuthorizationPending
	case "slow_down":
		cur := dc.Interval
		if cur <= 0 {
			cur = DefaultInterval
		}
		next := cur + slowDownStep
		if iv, ok, _ := f.seconds("interval"); ok && iv > next {
			next = iv
		}
		dc.Interval = next
		return nil, &SlowDownError{Interval: next}
	case "access_denied", "authorization_declined":
		return nil, withDescription(ErrAccessDenied, oe)
	case "expired_token", "code_expired":
		return nil, withDescription(ErrExpiredToken, oe)
	}
	return nil, oe
}

func withDescription(sentinel error, oe *OAuthError) error {
	if oe.Description == "" {
		return sentinel
	}
	return fmt.Errorf("%w (%s)", sentinel, oe.Description)
}

// pollWait is the wait before the next poll at interval: the interval plus a
// 10% margin (at most 1s) for clock drift between client and server.
func pollWait(interval time.Duration) time.Duration {
	margin := interval / 10
	if margin > time.Second {
		margin = time.Second
	}
	return interval + margin
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (c *Client) sleepFor(ctx context.Context, d time.Duration) error {
	if c.sleep != nil {
		return c.sleep(ctx, d)
	}
	return sleepCtx(ctx, d)
}

// WaitDevice polls until the code is approved, denied or expires, never
// faster than the interval in force, reporting each attempt to onAttempt
// (which may be nil).
//
// The first poll is sent one interval after dc.IssuedAt. Every token request
// counts, retries included: consecutive requests are always at least the
// interval in force apart. On slow_down the interval grows (see PollOnce). On
// a transient failure (5xx, 429, a dropped connection, a timeout, an HTML
// page, an oversized or cut-off body) it backs off exponentially from the
// interval up to BackoffCap of the interval in force, or waits the server's
// Retry-After when that is longer, and goes on until the code expires. Any
// well-formed answer (pending, slow_down) resets the backoff, so once the
// faults stop an approved code is picked up at most one capped gap later.
// It stops at once on access_denied (ErrAccessDenied), expiry
// (ErrExpiredToken, also when the next poll, Retry-After included, would
// fall after dc.ExpiresAt: it returns at the expiry), a redirect to plain
// HTTP (ErrInsecureURL), any other OAuth error, or when ctx ends
// (ctx.Err()).
func (c *Client) WaitDevice(ctx context.Context, dc *DeviceCode, onAttempt func(Attempt)) (*oauth2.Token, error) {
	if dc == nil || dc.DeviceCode == "" {
		return nil, errors.New("no device code: call StartDevice first")
	}
	if dc.Interval <= 0 {
		dc.Interval = DefaultInterval
	}
	start := dc.IssuedAt
	if start.IsZero() {
		start = c.now()
	}
	next := start.Add(pollWait(dc.Interval))
	faults := 0 // transient failures in a row
	for n := 1; ; n++ {
		if !dc.ExpiresAt.IsZero() && !next.Before(dc.ExpiresAt) {
			// the next poll would come too late: wait out the code's
			// life so callers do not report expiry early, then stop
			if err := c.sleepFor(ctx, dc.ExpiresAt.Sub(c.now())); err != nil {
				return nil, err
			}
			return nil, ErrExpiredToken
		}
		if err := c.sleepFor(ctx, next.Sub(c.now())); err != nil {
			return nil, err
		}
		at := c.now()
		tok, err := c.PollOnce(ctx, dc)
		a := Attempt{N: n, At: at, Err: err, Interval: dc.Interval}
		var (
			se *SlowDownError
			te *TransientError
		)
		switch {
		case err == nil:
			report(onAttempt, a)
			return tok, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, ErrAuthorizationPending), errors.As(err, &se):
			// a well-formed answer: the server is back
			faults = 0
			next = at.Add(pollWait(dc.Interval))
		case errors.As(err, &te):
			faults++
			wait := max(pollWait(dc.Interval), backoff(dc.Interval, faults))
			if te.RetryAfter > 0 {
				wait = max(wait, pollWait(te.RetryAfter))
			}
			next = at.Add(wait)
		default:
			report(onAttempt, a)
			return nil, err
		}
		a.Next = next
		report(onAttempt, a)
	}
}

func report(f func(Attempt), a Attempt) {
	if f != nil {
		f(a)
	}
}
