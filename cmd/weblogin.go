package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
)

// browserURLEvent is the first --json event of the browser sign-in. The URL
// carries no secret (state and the PKCE challenge are public by design).
type browserURLEvent struct {
	Event       string   `json:"event"` // "browser_url"
	Server      string   `json:"server"`
	URL         string   `json:"url"`
	RedirectURI string   `json:"redirect_uri"`
	ExpiresAt   string   `json:"expires_at"`
	Scopes      []string `json:"scopes"` // requested; [] for the server's default
	Warning     string   `json:"warning,omitempty"`
}

// isRemote reports whether we run over SSH, where a browser opened here is
// not the user's.
func isRemote(getenv func(string) string) bool {
	return getenv != nil && (getenv("SSH_CONNECTION") != "" || getenv("SSH_TTY") != "")
}

// useWeb decides between the browser sign-in and the device flow
// (auth.Endpoints.SignInWithBrowser), refusing --web for a server that
// cannot do the browser sign-in and saying when the browser is chosen
// without --web.
func useWeb(o *loginOptions, s profiles.Server) (bool, error) {
	name := textsafe.Clean(s.Name)
	if o.Web && !s.SupportsWeb() {
		return false, flagErrorf("server %q has no authorization endpoint, so --web is not possible; drop --web to use the device flow, or configure it with `%s servers add %s --auth-url URL --token-url URL ...`",
			name, o.AppName, name)
	}
	web := s.SignInWithBrowser(o.Web)
	if web && !o.Web {
		fmt.Fprintf(o.IO.ErrOut, "%s has no device flow; signing in with the browser instead.\n", name)
	}
	return web, nil
}

// webLogin runs the browser sign-in: it prints (and opens) the authorization
// URL, offers to read the redirected address from stdin when the browser
// may run elsewhere, waits, and saves the login like the device flow.
func webLogin(ctx context.Context, o *loginOptions, m *profiles.Manager, s profiles.Server, save profiles.SaveOptions, ev *eventWriter) error {
	c := clientFor(m, s)
	// The listener's goroutine, the browser opener and the paste reader
	// all write to stderr: one lock keeps their lines whole.
	w := &syncWriter{w: o.IO.ErrOut}
	flow, err := c.StartWeb(ctx, auth.WebOptions{AppName: o.AppName, OnIgnored: func(reason string) {
		fmt.Fprintf(w, "%s ignored %s; still waiting for this sign-in.\n", o.IO.Warn("!"), reason)
	}})
	if err != nil {
		return fmt.Errorf("starting the browser sign-in to %s: %w", textsafe.Clean(s.Name), err)
	}
	defer flow.Close()

	remote := isRemote(o.Getenv)
	canOpen := !o.NoBrowser && !remote && o.Browser != nil && o.CanOpenBrowser != nil && o.CanOpenBrowser()
	// Paste when the browser may not reach our listener: another machine
	// (SSH), or a browser the user starts themselves.
	paste := auth.WebOffersPaste(remote, canOpen)
	warning := s.SignInPageWarning(flow.AuthURL())
	if warning != "" {
		fmt.Fprintf(w, "%s %s\n\n", o.IO.Warn("WARNING:"), warning)
	}
	fmt.Fprintf(w, "Open this address in a browser to sign in to %s:\n  %s\n%s\n", textsafe.Clean(s.Name), flow.AuthURL(), scopesLine(s.Scopes))
	if paste {
		fmt.Fprintf(w, "If that browser runs on another machine, it ends on an address starting with\n  %s\nthat does not load: copy that whole address from its address bar, paste it here and press Enter.\n", flow.RedirectURL())
	}
	if remote && o.Web && s.SupportsDevice() {
		fmt.Fprintf(w, "Or press Ctrl-C and run without --web to use the device flow, which needs no address pasted back.\n")
	}
	fmt.Fprintf(w, "Waiting for the browser (until %s)...\n", flow.Deadline().Local().Format("15:04:05"))
	// The event last: a script that reacts to it finds the instructions
	// above already written.
	if o.JSON {
		ev.emit(browserURLEvent{
			Event: "browser_url", Server: s.Name, URL: flow.AuthURL(), RedirectURI: flow.RedirectURL(),
			ExpiresAt: flow.Deadline().UTC().Format(time.RFC3339), Scopes: cleanScopes(s.Scopes), Warning: warning,
		})
	}

	if canOpen {
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := o.Browser(flow.AuthURL()); err != nil {
				fmt.Fprintf(w, "Could not open a browser (%s); open the address above yourself.\n", textsafe.Clean(err.Error()))
			}
		}()
		defer func() {
			select {
			case <-done:
			case <-time.After(time.Second):
			}
		}()
	}
	if paste && o.IO.In != nil {
		go readPastedURLs(ctx, o.IO.In, w, flow)
	}

	tok, err := flow.Wait(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("login: %w", context.Canceled)
		}
		return fmt.Errorf("browser sign-in to %s: %w", textsafe.Clean(s.Name), err)
	}
	id, warn := profiles.Identify(ctx, c, tok)
	if warn != nil {
		fmt.Fprintf(w, "%s could not read the account's identity (%s); saving the login anyway.\n", o.IO.Warn("Warning:"), textsafe.Clean(warn.Error()))
	}
	return saveAndReport(ctx, o, m, s, tok, id, save, ev)
}

// syncWriter serialises writes from several goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// readPastedURLs hands each line of in to the flow until one ends it. The
// pasted address carries the authorization code, so it is never echoed or
// put in an error. A line that is not a redirect address, or one of another
// sign-in, is answered and reading goes on. The goroutine may stay blocked
// on a read after the flow ended; the process ends soon after.
func readPastedURLs(ctx context.Context, in io.Reader, w io.Writer, flow *auth.WebFlow) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		select {
		case <-flow.Done():
			return
		default:
		}
		line := sc.Text()
		if len(line) == 0 {
			continue
		}
		_, err := flow.CompleteFromURL(ctx, line)
		switch {
		case err == nil:
			return
		case errors.Is(err, auth.ErrWebStateMismatch):
			fmt.Fprintln(w, "That address belongs to a different sign-in (its state does not match); paste the address from this sign-in, or press Ctrl-C.")
		default:
			select {
			case <-flow.Done():
				return // the flow ended with this error; Wait reports it
			default:
			}
			fmt.Fprintf(w, "%s\n", textsafe.Clean(err.Error()))
		}
	}
}
