// Package tui is authdeck's full-screen account manager: the accounts and
// servers screens, the live device-code login screen and whoami, built with
// Bubble Tea v1. Only tea.Cmd functions (tui/cmds.go) perform I/O.
package tui

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/profiles"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Screen is the screen the program starts on.
type Screen int

const (
	// ScreenAccounts is the home screen: profiles and servers.
	ScreenAccounts Screen = iota
	// ScreenLogin goes straight to the login screen for Options.Server.
	ScreenLogin
)

// Options configure Run.
type Options struct {
	Start Screen
	// Server to log in to, for ScreenLogin.
	Server profiles.Server
	// Save options for a login (profile name, insecure storage).
	Save profiles.SaveOptions
	// NoBrowser: never open a browser (the user presses enter to try).
	NoBrowser bool
	// Web asks for the browser sign-in (authorization code with PKCE on a
	// loopback redirect) instead of the device flow. The login screen also
	// picks it by itself when the server has no device endpoint but an
	// authorization endpoint.
	Web bool
	// Title shown in the header; empty means the App's name.
	Title string
	// OpenURL opens a URL in a browser; nil means a no-op that reports it
	// cannot.
	OpenURL func(string) error
}

// Result tells the caller how the program ended.
type Result struct {
	// LoggedIn is the profile saved by a login, if any.
	LoggedIn *profiles.Profile
	// Cancelled is true when the user quit a login before it finished.
	Cancelled bool
}

// ErrCancelled is returned when the user cancels a login started with
// ScreenLogin.
var ErrCancelled = errors.New("cancelled")

// Run runs the program on the terminal until the user quits. With
// ScreenLogin it returns ErrCancelled when the user left before logging in,
// or the login's failure (auth.ErrAccessDenied, auth.ErrExpiredToken, ...).
func Run(ctx context.Context, m *profiles.Manager, opt Options) (Result, error) {
	app := m.App()
	getenv := app.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if opt.Title == "" {
		opt.Title = app.Name
	}
	now := app.Now
	if now == nil {
		now = time.Now
	}
	remote := getenv("SSH_TTY") != "" || getenv("SSH_CONNECTION") != ""
	d := deps{
		Profiles:            m,
		Flow:                managerFlow(m),
		StartWeb:            managerWeb(m),
		Remote:              remote,
		Now:                 now,
		OpenURL:             opt.OpenURL,
		Copy:                systemCopy(os.Stdout, getenv, remote),
		IdentityFromIDToken: auth.IdentityFromIDToken,
	}
	// Detect the background before Bubble Tea owns stdin (lipgloss#73).
	if getenv("NO_COLOR") != "" {
		lipgloss.SetColorProfile(termenv.Ascii)
	}
	dark := termenv.HasDarkBackground()
	lipgloss.SetHasDarkBackground(dark)

	p := tea.NewProgram(newModel(ctx, d, opt, dark), tea.WithAltScreen(), tea.WithContext(ctx))
	final, err := p.Run()
	fm, _ := final.(model)
	// A browser sign-in still open (quit mid-flow) closes its listener
	// before Run returns.
	if fm.login.webFlow != nil {
		_ = fm.login.webFlow.Close()
	}
	if err != nil {
		if ctx.Err() != nil {
			return Result{Cancelled: true}, ctx.Err()
		}
		return Result{}, err
	}
	return fm.finish()
}

// finish turns the final model into Run's result.
func (m model) finish() (Result, error) {
	res := m.result
	if m.opt.Start != ScreenLogin || res.LoggedIn != nil {
		return res, nil
	}
	if m.login.state == loginFailed && m.login.failErr != nil {
		return res, m.login.failErr
	}
	res.Cancelled = true
	return res, ErrCancelled
}
