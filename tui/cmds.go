package tui

// This is the only file of the package that performs I/O. Each command
// captures its inputs by value, does one piece of work and returns exactly
// one message.

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/atotto/clipboard"
	"github.com/authdeck/authdeck/auth"
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

func tokenCmd(ctx context.Context, ps profileService, name string, gen int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		res, err := ps.Token(ctx, name, profiles.TokenOptions{MinTTL: time.Minute})
		return tokenLoadedMsg{gen: gen, res: res, err: err}
	}
}

func startDeviceCmd(ctx context.Context, flow deviceFlow, now func() time.Time, gen int) tea.Cmd {
	return func() tea.Msg {
		if flow == nil {
			return deviceCodeMsg{gen: gen, err: errors.New("this server has no usable client configuration"), at: now()}
		}
		dc, err := flow.StartDevice(ctx)
		return deviceCodeMsg{gen: gen, code: dc, err: err, at: now()}
	}
}

// schedulePoll fires pollDueMsg after d. A zero or negative d polls at once.
func schedulePoll(gen int, d time.Duration) tea.Cmd {
	if d <= 0 {
		return func() tea.Msg { return pollDueMsg{gen: gen} }
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return pollDueMsg{gen: gen} })
}

// pollCmd sends exactly one token request. It polls a copy of the code, so
// PollOnce's update of the interval never races with View.
func pollCmd(ctx context.Context, flow deviceFlow, dc auth.DeviceCode, now func() time.Time, gen int) tea.Cmd {
	return func() tea.Msg {
		tok, err := flow.PollOnce(ctx, &dc)
		return pollResultMsg{gen: gen, tok: tok, err: err, interval: dc.Interval, at: now()}
	}
}

// saveLoginCmd reads who the token belongs to (userinfo, else the ID
// token's claims) and saves the login as a profile.
func saveLoginCmd(ctx context.Context, ps profileService, flow deviceFlow, decode func(string) (*auth.Identity, error),
	server string, tok *oauth2.Token, opt profiles.SaveOptions, gen int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		id, err := flow.UserInfo(ctx, tok.AccessToken)
		if err != nil || id == nil {
			id = nil
			if raw := auth.IDToken(tok); raw != "" && decode != nil {
				id, _ = decode(raw)
			}
		}
		p, info, err := ps.SaveLogin(ctx, server, tok, id, opt)
		return loginSavedMsg{gen: gen, profile: p, info: info, id: id, err: err}
	}
}

// clockCmd ticks once a second for live countdowns.
func clockCmd(gen int, now func() time.Time) tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return clockMsg{gen: gen, at: now()} })
}

func copyCmd(cp func(string) error, text, what string) tea.Cmd {
	return func() tea.Msg {
		if cp == nil {
			return copiedMsg{what: what, err: errors.New("no clipboard available")}
		}
		return copiedMsg{what: what, err: cp(text)}
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

// systemCopy returns a clipboard writer: the system clipboard when there is
// one and the session is local, else OSC 52 written to the terminal (which
// works over SSH in most terminals).
func systemCopy(out io.Writer, remote bool) func(string) error {
	return func(s string) error {
		if !remote && !clipboard.Unsupported {
			if err := clipboard.WriteAll(s); err == nil {
				return nil
			}
		}
		termenv.NewOutput(out).Copy(s)
		return nil
	}
}
