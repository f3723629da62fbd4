// Package tui is authdeck's full-screen account manager: the accounts and
// servers screens, the live device-code login screen and whoami, built with
// Bubble Tea v1. Only tea.Cmd functions (tui/cmds.go) perform I/O.
package tui

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

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
	// Start is the screen the program opens on.
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
	// Intro is shown at the top of the login screen until the login
	// succeeds (the demo says whom to approve as there).
	Intro string
	// StorageNote replaces the plain-file warning on the success screen
	// when the configuration itself chose file storage (not when a keyring
	// failed): one quiet line saying where the tokens went (the demo's
	// throwaway tokens).
	StorageNote string
	// OpenURL opens a URL in a browser; nil means a no-op that reports it
	// cannot.
	OpenURL func(string) error
	// Theme is the host's branding (accent colours); the zero Theme is
	// authdeck's.
	Theme Theme
	// Input is where keys are read from; required. Pass the terminal's
	// *os.File (cmd.Kit passes the host's Stdin; authdeck's binary, through
	// cmd.Main, the process's): raw mode needs a terminal.
	Input io.Reader
	// Output is where the screen is drawn and the OSC 52 clipboard
	// sequence written; required (cmd.Kit passes the host's Stdout). The
	// window size and colour detection need a terminal's *os.File.
	Output io.Writer
	// Getenv reads the environment (NO_COLOR, TERM, SSH_TTY, DISPLAY, ...);
	// nil means the profiles manager's (profiles.App.Getenv).
	Getenv func(string) string
	// Hide lists the accounts screen's actions the host does not offer:
	// their keys do nothing and neither the footer, the help nor the
	// dialogs mention them.
	Hide []Action
}

// Result tells the caller how the program ended.
type Result struct {
	// LoggedIn is the profile saved by a login, if any.
	LoggedIn *profiles.Profile
	// Cancelled is true when the user quit a login before it finished.
	Cancelled bool
}

// ErrCancelled is returned when the user cancels a login started with
// ScreenLogin. It is profiles.ErrCancelled, the one cancellation error.
var ErrCancelled = profiles.ErrCancelled

// Run runs the program on the terminal until the user quits. With
// ScreenLogin it returns ErrCancelled when the user left before logging in,
// or the login's failure (auth.ErrAccessDenied, auth.ErrExpiredToken, ...).
func Run(ctx context.Context, m *profiles.Manager, opt Options) (Result, error) {
	if opt.Input == nil || opt.Output == nil {
		return Result{}, errors.New("tui.Run needs Options.Input and Options.Output: the terminal's streams")
	}
	app := m.App()
	getenv := opt.Getenv
	if getenv == nil {
		getenv = app.Getenv
	}
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
	rawOut := opt.Output
	out := lockOutput(rawOut)
	env := envOf(getenv)
	remote := getenv("SSH_TTY") != "" || getenv("SSH_CONNECTION") != ""

	// Colours come from the output and the host's environment (NO_COLOR,
	// TERM, COLORTERM), never the process's. The background is detected
	// here, once, before Bubble Tea owns the input (lipgloss#73); nothing
	// asks the terminal earlier (internal/termbg), and termenv only asks a
	// terminal, never a pipe or a file.
	r := lipgloss.NewRenderer(rawOut, termenv.WithEnvironment(env))
	if getenv("NO_COLOR") != "" {
		r.SetColorProfile(termenv.Ascii)
	}
	dark := r.HasDarkBackground()
	r.SetHasDarkBackground(dark)
	// The bubbles components (help, text inputs, progress bar) render
	// through lipgloss's default renderer: give it the same answers.
	lipgloss.SetColorProfile(r.ColorProfile())
	lipgloss.SetHasDarkBackground(dark)

	d := deps{
		Profiles:    m,
		Flow:        managerFlow(m),
		StartWeb:    managerWeb(m),
		Remote:      remote,
		Now:         now,
		OpenURL:     opt.OpenURL,
		Copy:        systemCopy(out, getenv, remote),
		Renderer:    r,
		SecretsName: app.SecretsName,
	}
	p := tea.NewProgram(newModel(ctx, d, opt, dark), tea.WithAltScreen(), tea.WithContext(ctx),
		tea.WithInput(opt.Input), tea.WithOutput(out), tea.WithEnvironment(env.Environ()))
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

// The terminal's output is shared by two writers: Bubble Tea's renderer
// (its event loop and ticker goroutine) and the OSC 52 clipboard copy,
// which runs in a command's goroutine. Bubble Tea v1 has no way to send
// raw bytes to the terminal (tea.Printf/Println print above the program
// and do nothing in the alt screen), so both write through one
// lockedWriter: the renderer writes each frame, and each control sequence,
// with a single Write (standardRenderer.flush, execute), and the copy
// writes its whole sequence with a single Write, so under the mutex the
// OSC 52 sequence lands between two frames and never inside one. The
// sequence moves no cursor and prints nothing, so the next frame's
// position is unaffected.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// lockedFile is a lockedWriter over a terminal file. It keeps the file's
// Fd, Read and Close, so Bubble Tea still sees a terminal (window size,
// raw mode) and termenv still detects colours.
type lockedFile struct {
	lockedWriter
	f interface {
		io.ReadWriteCloser
		Fd() uintptr
	}
}

func (l lockedFile) Read(p []byte) (int, error) { return l.f.Read(p) }
func (l lockedFile) Close() error               { return l.f.Close() }
func (l lockedFile) Fd() uintptr                { return l.f.Fd() }

// lockOutput wraps w so that every Write is serialised (see lockedWriter).
func lockOutput(w io.Writer) io.Writer {
	lw := lockedWriter{mu: &sync.Mutex{}, w: w}
	if f, ok := w.(interface {
		io.ReadWriteCloser
		Fd() uintptr
	}); ok {
		return lockedFile{lockedWriter: lw, f: f}
	}
	return lw
}

// getenvEnviron is the host's environment as termenv and Bubble Tea want
// it, read only through the host's Getenv.
type getenvEnviron func(string) string

// envKeys are the variables the terminal libraries read.
var envKeys = []string{"TERM", "COLORTERM", "TERM_PROGRAM", "NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "GOOGLE_CLOUD_SHELL", "TMUX"}

func envOf(getenv func(string) string) getenvEnviron { return getenvEnviron(getenv) }

func (e getenvEnviron) Getenv(k string) string { return e(k) }

func (e getenvEnviron) Environ() []string {
	out := []string{}
	for _, k := range envKeys {
		if v := e(k); v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
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
