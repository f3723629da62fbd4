package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/authdeck/authdeck/internal/textsafe"
)

// ErrNoEndpoint is returned (wrapped, with the endpoint's name) when the
// server lacks the endpoint an operation needs, for example revocation on
// GitHub. Compare with errors.Is.
var ErrNoEndpoint = errors.New("the server has no such endpoint")

// ErrBodyTooLarge is returned (wrapped) when a server's answer exceeds
// MaxBodyBytes.
var ErrBodyTooLarge = errors.New("response body too large")

// CheckURL returns ErrInsecureURL for plain HTTP to a non-loopback host and an
// error for anything that is not an absolute http(s) URL.
func CheckURL(raw string) error {
	if raw == "" {
		return errors.New("empty URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid URL %q: %v", textsafe.Clean(raw), errors.Unwrap(err))
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("URL %q has no host; give an absolute https:// URL", textsafe.Clean(raw))
	}
	if u.User != nil {
		return fmt.Errorf("URL %q embeds credentials; remove the user:password@ part", textsafe.Clean(u.Redacted()))
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%w: %s", ErrInsecureURL, textsafe.Clean(raw))
	default:
		return fmt.Errorf("URL %q is not http(s); give an absolute https:// URL", textsafe.Clean(raw))
	}
}

// isLoopback reports whether host (without port) is localhost, 127.0.0.0/8 or ::1.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// httpClient returns the client to use, with redirects checked by CheckURL
// (a redirect may not downgrade to plain HTTP).
func (c *Client) httpClient() *http.Client {
	var hc http.Client
	if c.HTTP != nil {
		hc = *c.HTTP
	}
	if hc.CheckRedirect == nil {
		hc.CheckRedirect = checkRedirect
	}
	return &hc
}

// checkRedirect refuses what CheckURL refuses, and more than 10 redirects,
// with a *redirectError: do reports it as a permanent error.
func checkRedirect(req *http.Request, via []*http.Request) error {
	to := redactURL(req.URL)
	switch {
	case len(via) >= 10:
		return &redirectError{to: to, err: errors.New("stopped after 10 redirects")}
	case req.URL.User != nil:
		return &redirectError{to: to, err: errors.New("the new URL embeds credentials")}
	}
	// the URL without its query: the message must not carry it
	if err := CheckURL(to); err != nil {
		if errors.Is(err, ErrInsecureURL) {
			err = ErrInsecureURL
		}
		return &redirectError{to: to, err: err}
	}
	StripCrossOriginAuth(req, via) // a Bearer token (userinfo) stays on its origin
	return nil
}

// redirectError is a redirect refused by checkRedirect. It is not
// transient: the server will send the same redirect again.
type redirectError struct {
	from string // the request's URL, redacted (set by do)
	to   string // the redirect's target, redacted
	err  error  // why it was refused
}

func (e *redirectError) Error() string {
	from := e.from
	if from == "" {
		from = "the server"
	}
	if errors.Is(e.err, ErrInsecureURL) {
		return fmt.Sprintf("%s redirected to %s; refusing plain HTTP to a non-loopback host — check the server's URL (it should be https://)", from, e.to)
	}
	return fmt.Sprintf("%s redirected to %s; refusing the redirect (%v) — check the server's URL", from, e.to, e.err)
}

func (e *redirectError) Unwrap() error { return e.err }

// response is a server's answer, read in full (at most MaxBodyBytes).
type response struct {
	URL    string // the request URL, for error messages
	Status int
	Header http.Header
	Body   []byte
}

// mediaType returns the response's lower-case media type without parameters.
func (r *response) mediaType() string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return strings.ToLower(strings.TrimSpace(strings.Split(r.Header.Get("Content-Type"), ";")[0]))
	}
	return mt
}

// isHTML reports whether the answer looks like a web page rather than data.
func (r *response) isHTML() bool {
	if r.mediaType() == "text/html" || r.mediaType() == "application/xhtml+xml" {
		return true
	}
	b := bytes.TrimSpace(r.Body)
	return len(b) > 0 && b[0] == '<'
}

// brokenJSON reports whether the body starts as a JSON object but does not
// parse as one: cut off, or mangled on the way.
func (r *response) brokenJSON() bool {
	b := bytes.TrimSpace(r.Body)
	if len(b) == 0 || b[0] != '{' {
		return false
	}
	var m map[string]any
	return json.Unmarshal(b, &m) != nil
}

// retryAfter parses Retry-After (seconds or HTTP date) relative to now.
func (r *response) retryAfter(now time.Time) time.Duration {
	v := strings.TrimSpace(r.Header.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, maxRetryAfter)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		// a date centuries ahead would overflow the waits built on it
		return min(t.Sub(now), maxRetryAfter*time.Second)
	}
	return 0
}

// maxRetryAfter bounds a server's Retry-After, in seconds: one day.
const maxRetryAfter = 86400

// transient builds a TransientError for an answer worth retrying.
func (c *Client) transient(r *response, format string, args ...any) *TransientError {
	return &TransientError{Err: fmt.Errorf(format, args...), Status: r.Status, RetryAfter: r.retryAfter(c.now())}
}

// do sends req with the client's timeout and the caller's ctx, and reads the
// answer (capped at MaxBodyBytes). Network failures and timeouts come back as
// *TransientError; a cancelled ctx comes back as ctx.Err().
func (c *Client) do(ctx context.Context, req *http.Request) (*response, error) {
	if err := CheckURL(req.URL.String()); err != nil {
		return nil, err
	}
	if ctx == nil {
		return nil, errors.New("auth: nil context")
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	req = req.WithContext(ctx)
	req.Header.Set("Accept", "application/json")
	endpoint := redactURL(req.URL)

	res, err := c.httpClient().Do(req)
	if err != nil {
		return nil, c.netError(parent, req, endpoint, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, c.netError(parent, req, endpoint, err)
	}
	if len(body) > MaxBodyBytes {
		return nil, fmt.Errorf("%w: %s answered with more than %d bytes (HTTP %d); is this the right URL?",
			ErrBodyTooLarge, endpoint, MaxBodyBytes, res.StatusCode)
	}
	return &response{URL: endpoint, Status: res.StatusCode, Header: res.Header, Body: body}, nil
}

// netError classifies a failed request: the caller's cancellation is
// returned as is, a refused redirect is permanent, everything else
// (timeouts, resets, refused connections, cut-off bodies) is transient.
func (c *Client) netError(parent context.Context, req *http.Request, endpoint string, err error) error {
	if perr := parent.Err(); perr != nil {
		// the caller's ctx ended: not ours to retry
		return perr
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// url.Error repeats the URL; keep only the cause
		err = ue.Err
	}
	var re *redirectError
	if errors.As(err, &re) {
		// refused by checkRedirect: the server would redirect again
		re.from = endpoint
		return re
	}
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		return &TransientError{Err: &RequestError{Method: req.Method, URL: endpoint, Timeout: c.timeout()}}
	}
	return &TransientError{Err: &RequestError{Method: req.Method, URL: endpoint, Err: err}}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// redactURL drops the query and any user info from u for messages.
func redactURL(u *url.URL) string {
	v := *u
	v.User = nil
	v.RawQuery = ""
	v.Fragment = ""
	return textsafe.Clean(v.String())
}

// postForm POSTs form to endpoint, adding the client's authentication
// (client_id, and client_secret when set or supplied by ClientSecretFunc:
// client_secret_post).
func (c *Client) postForm(ctx context.Context, endpoint string, form url.Values) (*response, error) {
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if c.ClientID != "" {
		f.Set("client_id", c.ClientID)
	}
	secret := c.ClientSecret
	if secret == "" && c.ClientSecretFunc != nil {
		var err error
		if secret, err = c.ClientSecretFunc(ctx); err != nil {
			return nil, err
		}
	}
	if secret != "" {
		f.Set("client_secret", secret)
	}
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(f.Encode()))
	if err != nil {
		return nil, fmt.Errorf("invalid URL %q: %v", textsafe.Clean(endpoint), err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(ctx, req)
}

// getJSON GETs endpoint with an optional bearer token.
func (c *Client) get(ctx context.Context, endpoint, bearer string) (*response, error) {
	req, err := http.NewRequest(http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("invalid URL %q: %v", textsafe.Clean(endpoint), err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return c.do(ctx, req)
}

// fields is a decoded answer: a JSON object, or form values (GitHub without
// Accept: application/json) turned into strings.
type fields map[string]any

// decodeFields decodes a JSON object or a form-encoded body. ok is false when
// the body is neither.
func decodeFields(r *response) (fields, bool) {
	mt := r.mediaType()
	if mt == "application/x-www-form-urlencoded" || mt == "text/plain" {
		if f, ok := decodeForm(r.Body); ok {
			return f, true
		}
	}
	d := json.NewDecoder(bytes.NewReader(r.Body))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err == nil && m != nil {
		return m, true
	}
	if mt != "application/json" && !r.isHTML() {
		if f, ok := decodeForm(r.Body); ok {
			return f, true
		}
	}
	return nil, false
}

func decodeForm(b []byte) (fields, bool) {
	vals, err := url.ParseQuery(strings.TrimSpace(string(b)))
	if err != nil || len(vals) == 0 {
		return nil, false
	}
	f := fields{}
	for k, v := range vals {
		if k == "" || len(v) == 0 {
			continue
		}
		f[k] = v[0]
	}
	// a form answer must carry at least one OAuth field
	for _, k := range []string{"access_token", "error", "device_code"} {
		if _, ok := f[k]; ok {
			return f, true
		}
	}
	return nil, false
}

// str returns the string field k ("" when absent or not a string/number).
func (f fields) str(k string) string {
	switch v := f[k].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

// strs returns the strings of the array field k (nil when absent or not an
// array; elements that are not strings are skipped).
func (f fields) strs(k string) []string {
	a, _ := f[k].([]any)
	var out []string
	for _, v := range a {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// seconds reads a duration in seconds sent as a number or a string (Entra's
// older endpoint sends "900"). Fractions are kept to the millisecond.
func (f fields) seconds(k string) (time.Duration, bool, error) {
	var s string
	switch v := f[k].(type) {
	case nil:
		return 0, false, nil
	case json.Number:
		s = v.String()
	case string:
		s = strings.TrimSpace(v)
		if s == "" {
			return 0, false, nil
		}
	case float64:
		s = strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return 0, false, fmt.Errorf("field %q is not a number", k)
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x < 0 || x > 1e9 {
		return 0, false, fmt.Errorf("field %q is not a valid number of seconds: %q", k, textsafe.Clean(s))
	}
	return time.Duration(x * float64(time.Second)).Round(time.Millisecond), true, nil
}

// oauthError returns the answer's OAuth error (RFC 6749 §5.2), or nil when
// it has no "error" field.
func (f fields) oauthError(status int) *OAuthError {
	code := f.str("error")
	if code == "" {
		return nil
	}
	return &OAuthError{
		Code:        textsafe.Clean(code),
		Description: textsafe.Clean(f.str("error_description")),
		Status:      status,
	}
}

// snippet returns the start of a body, cleaned, for error messages.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return textsafe.Clean(s)
}

// unexpected describes an answer that is neither a success nor an OAuth
// error. 5xx, 429 and web pages are transient; anything else is not.
func (c *Client) unexpected(r *response, what string) error {
	switch {
	case r.Status >= 500 || r.Status == http.StatusTooManyRequests:
		return c.transient(r, "%s answered HTTP %d", r.URL, r.Status)
	case r.isHTML():
		return c.transient(r, "%s answered with a web page (HTTP %d) instead of JSON; check the URL, or a proxy may be in the way", r.URL, r.Status)
	case r.Status >= 200 && r.Status < 300:
		return fmt.Errorf("%s answered HTTP %d with %s that is not %s: %q", r.URL, r.Status, describeType(r), what, snippet(r.Body))
	default:
		return fmt.Errorf("%s answered HTTP %d without an OAuth error: %q", r.URL, r.Status, snippet(r.Body))
	}
}

func describeType(r *response) string {
	if mt := r.mediaType(); mt != "" {
		return "a " + textsafe.Clean(mt) + " body"
	}
	return "a body"
}
