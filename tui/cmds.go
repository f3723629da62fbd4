package tui

// This is the only file of the package that performs I/O. Each command
// captures its inputs by value, does one piece of work and returns exactly
// one message.

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/execenv"
	"github.com/authdeck/authdeck/profiles"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"
	"golang.org/x/oauth2"
)

// opTimeout bounds every profiles call made from the TUI (keyring calls
// have their own, shorter, timeouts inside profiles).
const opTimeout = 60 * time.Second

func loadProfilesCmd(ctx context.Context, ps profileService, now func() time.Time, gen int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		st, err := ps.Status(ctx, "")
		if err != nil && !errors.Is(err, profiles.ErrNotLoggedIn) {
			return profilesLoadedMsg{gen: gen, err: err, at: now()}
		}
		cfg, err := ps.Load(ctx)
		return profilesLoadedMsg{gen: gen, statuses: st, cfg: cfg, err: err, at: now()}
	}
}

// checkCmd asks every profile's server whether its login is still valid
// (profiles.Check bounds the whole check).
func checkCmd(ctx context.Context, ps profileService, gen int) tea.Cmd {
	return func() tea.Msg {
		res, err := ps.Check(ctx, nil)
		return checkedMsg{gen: gen, results: res, err: err}
	}
}

func actionCmd(ctx context.Context, ps profileService, a action, name string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		var err error
		switch a {
		case actionUse:
			err = ps.Use(ctx, name)
		case actionLogout:
			err = ps.Logout(ctx, name)
		case actionRevoke:
			err = ps.Revoke(ctx, name)
		case actionRemoveProfile:
			err = ps.Remove(ctx, name)
		case actionRemoveServer:
			err = ps.RemoveServer(ctx, name)
		}
		return actionDoneMsg{action: a, profile: name, err: err}
	}
}

func addServerCmd(ctx context.Context, ps profileService, s profiles.Server, gen int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		got, err := ps.AddServer(ctx, s)
		return serverAddedMsg{gen: gen, server: got, err: err}
	}
}

func whoamiCmd(ctx context.Context, ps profileService, now func() time.Time, name string, gen int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		who, err := ps.WhoAmI(ctx, name)
		return whoamiLoadedMsg{gen: gen, who: who, err: err, at: now()}
	}
}

func tokenCmd(ctx context.Context, ps profileService, now func() time.Time, name string, gen int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		res, err := ps.Token(ctx, name, profiles.TokenOptions{MinTTL: time.Minute})
		return tokenLoadedMsg{gen: gen, res: res, err: err, at: now()}
	}
}

// startDeviceCmd asks for a device code. The request runs in a goroutine
// of its own that sends each retry (startRetryMsg) and then the result
// (deviceCodeMsg) on a channel, read one message at a time by
// waitStartCmd: the screen can say that the server is not answering.
func startDeviceCmd(ctx context.Context, flow deviceFlow, now func() time.Time, gen int) tea.Cmd {
	return func() tea.Msg {
		if flow == nil {
			return deviceCodeMsg{gen: gen, err: errors.New("this server has no usable client configuration"), at: now()}
		}
		// Room for one retry and the result: the goroutine never blocks,
		// even when nobody reads any more (a stopped or stale attempt).
		ch := make(chan tea.Msg, 2)
		go func() {
			dc, err := flow.StartDeviceNotify(ctx, func(r auth.Retry) {
				if len(ch) == 0 { // else the last one is unread: skip this one
					ch <- startRetryMsg{gen: gen, retry: r, ch: ch}
				}
			})
			ch <- deviceCodeMsg{gen: gen, code: dc, err: err, at: now()}
		}()
		return <-ch
	}
}

// waitStartCmd reads the next message of a device code request.
func waitStartCmd(ch <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg { return <-ch }
}

// schedulePoll fires pollDueMsg after d, with the time it fired. A zero or
// negative d polls at once.
func schedulePoll(tick tickFunc, now func() time.Time, gen int, d time.Duration) tea.Cmd {
	if d <= 0 {
		return func() tea.Msg { return pollDueMsg{gen: gen, at: now()} }
	}
	return tick(d, func(t time.Time) tea.Msg { return pollDueMsg{gen: gen, at: t} })
}

// pollCmd sends exactly one token request. It polls a copy of the code, so
// PollOnce's update of the interval never races with View.
func pollCmd(ctx context.Context, flow deviceFlow, dc auth.DeviceCode, now func() time.Time, gen int) tea.Cmd {
	return func() tea.Msg {
		tok, err := flow.PollOnce(ctx, &dc)
		return pollResultMsg{gen: gen, tok: tok, err: err, interval: dc.Interval, at: now()}
	}
}

// saveLoginCmd reads who the token belongs to (profiles.Identify, as the
// CLI does) and saves the login as a profile.
func saveLoginCmd(ctx context.Context, ps profileService, flow deviceFlow,
	server string, tok *oauth2.Token, opt profiles.SaveOptions, gen int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		var ui profiles.UserInfoReader
		if flow != nil {
			ui = flow
		}
		id, _ := profiles.Identify(ctx, ui, tok) // an unknown account is still a login
		p, info, err := ps.SaveLogin(ctx, server, tok, id, opt)
		return loginSavedMsg{gen: gen, profile: p, info: info, id: id, err: err}
	}
}

// clockCmd ticks once a second for live countdowns, with the time it fired.
func clockCmd(tick tickFunc, gen int) tea.Cmd {
	return tick(time.Second, func(t time.Time) tea.Msg { return clockMsg{gen: gen, at: t} })
}

func copyCmd(cp func(string) (string, error), text, what string) tea.Cmd {
	return func() tea.Msg {
		if cp == nil {
			return copiedMsg{what: what, err: errors.New("no clipboard available")}
		}
		via, err := cp(text)
		return copiedMsg{what: what, via: via, err: err}
	}
}

func openURLCmd(open func(string) error, url string) tea.Cmd {
	return func() tea.Msg {
		if open == nil {
			return openedMsg{url: url, err: errors.New("no browser available here")}
		}
		return openedMsg{url: url, err: open(url)}
	}
}

// clipTimeout bounds a clipboard program.
const clipTimeout = 3 * time.Second

// systemCopy returns a clipboard writer: a system clipboard program (chosen
// by chooseClipboard when called, not at start-up), else, or when it fails,
// OSC 52 written to the terminal (which works over SSH in most terminals).
// out must be the program's output wrapped by lockOutput, shared with
// Bubble Tea, so the sequence never splits a frame (see lockedWriter).
func systemCopy(out io.Writer, getenv func(string) string, remote bool) func(string) (string, error) {
	return func(s string) (string, error) {
		// The tool is looked up in the host's PATH (getenv), not the
		// process's.
		if tool, ok := chooseClipboard(getenv, execenv.LookPathFunc(getenv), remote); ok {
			if err := runClipboard(tool, s, clipEnv(getenv)); err == nil {
				return "the clipboard", nil
			}
		}
		termenv.NewOutput(out, termenv.WithEnvironment(envOf(getenv)), termenv.WithProfile(termenv.Ascii)).Copy(s)
		return "the terminal's clipboard (OSC 52)", nil
	}
}

// clipEnvKeys are the variables a clipboard program needs to find the
// display or the session.
var clipEnvKeys = []string{"PATH", "HOME", "DISPLAY", "XAUTHORITY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS", "SYSTEMROOT"}

// clipEnv is the clipboard program's environment, from the host's getenv
// (never the process's own).
func clipEnv(getenv func(string) string) []string {
	env := []string{}
	for _, k := range clipEnvKeys {
		if v := getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// runClipboard runs a clipboard program with the text on stdin and env as
// its whole environment.
func runClipboard(tool clipTool, text string, env []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), clipTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, tool.path, tool.args...)
	c.Stdin = strings.NewReader(text)
	c.Env = env
	// No pipes on stdout/stderr: xclip and wl-copy leave a child behind
	// that serves the selection, and it would hold a pipe open.
	c.Stdout, c.Stderr = nil, nil
	c.WaitDelay = time.Second
	return c.Run()
}

// startWebCmd starts a browser sign-in: it binds the loopback listener and
// builds the authorization URL.
func startWebCmd(ctx context.Context, start func(context.Context, profiles.Server, auth.WebOptions) (webFlow, error),
	s profiles.Server, opt auth.WebOptions, now func() time.Time, gen int) tea.Cmd {
	return func() tea.Msg {
		if start == nil {
			return webStartedMsg{gen: gen, err: errors.New("the browser sign-in is not available here"), at: now()}
		}
		f, err := start(ctx, s, opt)
		if err != nil {
			return webStartedMsg{gen: gen, err: err, at: now()}
		}
		return webStartedMsg{gen: gen, flow: f, at: now()}
	}
}

// waitWebCmd waits for the browser sign-in to end (the flow's own timeout
// bounds it).
func waitWebCmd(ctx context.Context, f webFlow, gen int) tea.Cmd {
	return func() tea.Msg {
		tok, err := f.Wait(ctx)
		return webDoneMsg{gen: gen, tok: tok, err: err}
	}
}

// completeWebCmd finishes the browser sign-in with a pasted address.
func completeWebCmd(ctx context.Context, f webFlow, pasted string, gen int) tea.Cmd {
	return func() tea.Msg {
		tok, err := f.CompleteFromURL(ctx, pasted)
		return webPastedMsg{gen: gen, tok: tok, err: err}
	}
}

// closeWebCmd closes a browser sign-in (its listener is closed when Close
// returns), then yields then (nil for none).
func closeWebCmd(f webFlow, then tea.Msg) tea.Cmd {
	if f == nil {
		if then == nil {
			return nil
		}
		return emit(then)
	}
	return func() tea.Msg {
		_ = f.Close()
		return then
	}
}
