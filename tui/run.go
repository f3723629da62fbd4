// Package tui is authdeck's full-screen account manager: the accounts and
// servers screens, the live device-code login screen and whoami, built with
// Bubble Tea v1. Only tea.Cmd functions perform I/O.
package tui

import (
	"context"
	"errors"

	"github.com/authdeck/authdeck/profiles"
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

// Run runs the program on the terminal until the user quits.
func Run(ctx context.Context, m *profiles.Manager, opt Options) (Result, error) {
	return Result{}, errors.New("unimplemented")
}
