package authtest

import (
	"net/http"
	"time"
)

// Kind names what the server does with one device-code poll.
type Kind int

// Outcome kinds. See the constructor functions for each.
const (
	KindPending Kind = iota + 1
	KindSlowDown
	KindGranted
	KindDenied
	KindExpired
	KindServerError
	KindRateLimited
	KindHTMLPage
	KindDrop
	KindStall
	KindRaw
	KindTruncated
	KindCutOff
)

// Outcome is the scripted answer to one request. Build one with the
// functions below (Pending, SlowDown, ...).
type Outcome struct {
	Kind        Kind
	Interval    time.Duration // SlowDown: interval sent with slow_down (0: none)
	RetryAfter  time.Duration // RateLimited: the Retry-After header
	Status      int           // ServerError, HTMLPage, Raw
	Delay       time.Duration // Stall: how long the server waits before answering
	ContentType string        // Raw
	Body        string        // Raw
	Header      http.Header   // extra response headers (see WithHeader)
}

// Pending answers authorization_pending (in the dialect's status code).
func Pending() Outcome { return Outcome{Kind: KindPending} }

// SlowDown answers slow_down; a positive interval is sent with it as the
// server's new interval.
func SlowDown(interval time.Duration) Outcome {
	return Outcome{Kind: KindSlowDown, Interval: interval}
}

// Granted issues tokens, approved or not.
func Granted() Outcome { return Outcome{Kind: KindGranted} }

// Denied answers access_denied (Entra: authorization_declined).
func Denied() Outcome { return Outcome{Kind: KindDenied} }

// Expired answers expired_token.
func Expired() Outcome { return Outcome{Kind: KindExpired} }

// ServerError answers status (500 when 0) with a plain-text body.
func ServerError(status int) Outcome {
	if status == 0 {
		status = 500
	}
	return Outcome{Kind: KindServerError, Status: status}
}

// RateLimited answers 429 with Retry-After in whole seconds (none when 0).
func RateLimited(retryAfter time.Duration) Outcome {
	return Outcome{Kind: KindRateLimited, RetryAfter: retryAfter}
}

// HTMLPage answers an HTML error page with status (502 when 0), as a proxy
// or captive portal would.
func HTMLPage(status int) Outcome {
	if status == 0 {
		status = 502
	}
	return Outcome{Kind: KindHTMLPage, Status: status}
}

// Drop closes the connection without answering (like a reset of a reused
// keep-alive connection).
func Drop() Outcome { return Outcome{Kind: KindDrop} }

// Stall waits d (or until the client gives up), then answers normally.
func Stall(d time.Duration) Outcome { return Outcome{Kind: KindStall, Delay: d} }

// Raw answers status with the given content type and body.
func Raw(status int, contentType, body string) Outcome {
	return Outcome{Kind: KindRaw, Status: status, ContentType: contentType, Body: body}
}

// Truncated answers 200 with a Content-Length larger than the JSON it then
// sends, and closes the connection mid-body.
func Truncated() Outcome { return Outcome{Kind: KindTruncated} }

// CutOff answers 200 with a body delimited by the connection's end (no
// Content-Length, no chunking) and closes it mid-JSON, so the client sees a
// complete but broken body.
func CutOff() Outcome { return Outcome{Kind: KindCutOff} }

// WithHeader returns o with the response header k set to v as well (a
// Retry-After date, a redirect's Location).
func (o Outcome) WithHeader(k, v string) Outcome {
	h := o.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set(k, v)
	o.Header = h
	return o
}
