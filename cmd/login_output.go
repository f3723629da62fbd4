package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
)

// The output of login: the code to enter, poll progress, the --json event
// stream and where the token was stored.

// reportStorage says, loudly, when a secret went to the plain-text file.
func reportStorage(io *ioStreams, app profiles.App, info profiles.SaveInfo) {
	if info.Note != "" {
		fmt.Fprintf(io.ErrOut, "%s %s\n", io.Warn("WARNING:"), textsafe.Clean(info.Note))
	}
	if !info.InsecureStorage {
		return
	}
	where := textsafe.Clean(info.Path)
	if where == "" {
		where = "the credentials file"
	}
	if info.FallbackReason != "" {
		failed := "no keyring answered"
		if name := app.StorageName(profiles.StorageKeyring); name != "keyring" {
			failed = "the " + name + " did not answer"
		}
		fmt.Fprintf(io.ErrOut, "%s %s (%s), so the token is stored in PLAIN TEXT in %s (readable by you only).\n",
			io.Warn("WARNING:"), failed, textsafe.Clean(info.FallbackReason), where)
		return
	}
	fmt.Fprintf(io.ErrOut, "%s the token is stored in plain text in %s (readable by you only), as asked.\n", io.Warn("Note:"), where)
}

// showCode prints the user code and where to enter it, on stderr (and as a
// JSON event on stdout with --json), with the host rule's warning when an
// address is not on the server's host (auth.DeviceCode.Pages).
func showCode(o *loginOptions, s profiles.Server, dc *auth.DeviceCode, pages auth.VerificationPages, ev *eventWriter) {
	code := textsafe.Clean(dc.UserCode)
	uri := textsafe.Clean(dc.VerificationURI)
	complete := textsafe.Clean(pages.Complete)
	warning := pages.Warning
	if o.JSON {
		ev.emit(codeEvent{
			Event: "code", Server: s.Name, UserCode: code, VerificationURI: uri,
			VerificationURIComplete: complete, Message: textsafe.Clean(dc.Message),
			ExpiresAt: dc.ExpiresAt.UTC().Format(time.RFC3339), Interval: dc.Interval.Seconds(),
			Scopes: cleanScopes(s.Scopes), Warning: warning,
		})
		if warning != "" {
			fmt.Fprintf(o.IO.ErrOut, "%s %s\n", o.IO.Warn("WARNING:"), warning)
		}
		return
	}
	w := o.IO.ErrOut
	if warning != "" {
		fmt.Fprintf(w, "%s %s\n\n", o.IO.Warn("WARNING:"), warning)
	}
	fmt.Fprintf(w, "First copy your one-time code: %s\n", o.IO.Bold(code))
	fmt.Fprintf(w, "Then open: %s\n", uri)
	if complete != "" && complete != uri {
		fmt.Fprintf(w, "(or open %s, which fills in the code)\n", complete)
	}
	fmt.Fprintln(w, scopesLine(s.Scopes))
	if !dc.ExpiresAt.IsZero() {
		fmt.Fprintf(w, "The code expires at %s. Waiting for approval...\n", dc.ExpiresAt.Local().Format("15:04:05"))
	} else {
		fmt.Fprintln(w, "Waiting for approval...")
	}
}

// scopesLine says which scopes the login requests.
func scopesLine(scopes []string) string {
	if len(scopes) == 0 {
		return "Scopes: none requested (the server's default)"
	}
	return "Scopes: " + strings.Join(cleanScopes(scopes), " ")
}

// cleanScopes are scopes fit for the terminal and --json.
func cleanScopes(scopes []string) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = textsafe.Clean(s)
	}
	return out
}

// pollStatus shows poll progress on stderr: one updating line on a
// terminal, only the notable events (slow_down, retries) otherwise.
type pollStatus struct {
	io    *ioStreams
	json  bool
	shown bool
}

func (p *pollStatus) show(a auth.Attempt) {
	var sd *auth.SlowDownError
	var te *auth.TransientError
	note := ""
	switch {
	case errors.As(a.Err, &sd):
		note = fmt.Sprintf("the server asked to slow down; now polling every %s", a.Interval.Round(time.Second))
	case errors.As(a.Err, &te):
		note = fmt.Sprintf("temporary failure (%s); retrying", textsafe.Clean(te.Err.Error()))
	}
	if p.io.IsStderrTTY() {
		line := fmt.Sprintf("Checked %d time(s): %s", a.N, pollResult(a.Err))
		if note != "" {
			line += " - " + note
		}
		fmt.Fprintf(p.io.ErrOut, "\r\x1b[K%s", line)
		p.shown = true
		return
	}
	if note != "" {
		fmt.Fprintln(p.io.ErrOut, note)
	}
}

func (p *pollStatus) done() {
	if p.shown {
		fmt.Fprint(p.io.ErrOut, "\r\x1b[K")
	}
}

func pollResult(err error) string {
	var sd *auth.SlowDownError
	var te *auth.TransientError
	switch {
	case err == nil:
		return "approved"
	case errors.Is(err, auth.ErrAuthorizationPending):
		return "pending"
	case errors.As(err, &sd):
		return "slow_down"
	case errors.As(err, &te):
		return "transient"
	}
	return "error"
}

// The --json event stream of login. Field names are a stable interface.
type codeEvent struct {
	Event                   string   `json:"event"` // "code"
	Server                  string   `json:"server"`
	UserCode                string   `json:"user_code"`
	VerificationURI         string   `json:"verification_uri"`
	VerificationURIComplete string   `json:"verification_uri_complete,omitempty"`
	Message                 string   `json:"message,omitempty"`
	ExpiresAt               string   `json:"expires_at"`
	Interval                float64  `json:"interval"` // seconds
	Scopes                  []string `json:"scopes"`   // requested; [] for the server's default
	Warning                 string   `json:"warning,omitempty"`
}

type pollEventJSON struct {
	Event    string  `json:"event"` // "poll"
	N        int     `json:"n"`
	Result   string  `json:"result"` // pending, slow_down, transient
	Interval float64 `json:"interval"`
	Next     string  `json:"next,omitempty"`
	Error    string  `json:"error,omitempty"`
}

type successEvent struct {
	Event           string `json:"event"` // "success"
	Profile         string `json:"profile"`
	Server          string `json:"server"`
	Account         string `json:"account"`
	Storage         string `json:"storage"`
	InsecureStorage bool   `json:"insecure_storage"`
	CredentialsPath string `json:"credentials_path,omitempty"`
	FallbackReason  string `json:"fallback_reason,omitempty"`
}

type errorEventJSON struct {
	Event string `json:"event"` // "error"
	Error string `json:"error"`
	Code  string `json:"code"`
}

func pollEvent(a auth.Attempt) (pollEventJSON, bool) {
	r := pollResult(a.Err)
	switch r {
	case "pending", "slow_down", "transient":
	default:
		return pollEventJSON{}, false
	}
	e := pollEventJSON{Event: "poll", N: a.N, Result: r, Interval: a.Interval.Seconds()}
	if !a.Next.IsZero() {
		e.Next = a.Next.UTC().Format(time.RFC3339Nano)
	}
	if r == "transient" {
		e.Error = textsafe.Clean(a.Err.Error())
	}
	return e, true
}

func errorEvent(err error, app string) errorEventJSON {
	var oe *auth.OAuthError
	code := "error"
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, ErrCancel):
		code = "cancelled"
	case errors.Is(err, auth.ErrAccessDenied):
		code = "access_denied"
	case errors.Is(err, auth.ErrExpiredToken):
		code = "expired_token"
	case errors.Is(err, auth.ErrWebTimeout):
		code = "timeout"
	case errors.Is(err, profiles.ErrNotLoggedIn):
		code = "not_logged_in"
	case errors.As(err, &oe):
		code = oe.Code
	}
	return errorEventJSON{Event: "error", Error: ErrorMessage(err, app), Code: code}
}

// eventWriter writes one JSON object per line, when on.
type eventWriter struct {
	mu sync.Mutex
	w  io.Writer
	on bool
}

func (e *eventWriter) emit(v any) {
	if !e.on {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	b = append(b, '\n')
	_, _ = e.w.Write(b)
}
