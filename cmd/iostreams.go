package cmd

import (
	"bytes"
	"io"
	"os"
	"strconv"

	"golang.org/x/term"
)

// IOStreams are the process's standard streams and what is known about them:
// which are terminals, whether colour is wanted and how wide the terminal is.
// Data goes to Out; status, prompts and warnings go to ErrOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY, stdoutTTY, stderrTTY bool
	noPrompt                       bool
	color                          bool
	width                          int
}

// System returns the IOStreams of the process (os.Stdin, os.Stdout,
// os.Stderr). getenv reads the environment (NO_COLOR, TERM, COLUMNS).
func System(getenv func(string) string) *IOStreams {
	return NewIOStreams(os.Stdin, os.Stdout, os.Stderr, getenv)
}

// NewIOStreams returns IOStreams over in, out and errOut. A stream is a
// terminal when it is a file (it has an Fd method) open on one; colour is
// enabled when out is a terminal, NO_COLOR is unset and TERM is not "dumb".
// getenv reads the environment (NO_COLOR, TERM, COLUMNS).
func NewIOStreams(in io.Reader, out, errOut io.Writer, getenv func(string) string) *IOStreams {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	io := &IOStreams{In: in, Out: out, ErrOut: errOut}
	io.stdinTTY = isTerminal(in)
	io.stdoutTTY = isTerminal(out)
	io.stderrTTY = isTerminal(errOut)
	io.color = io.stdoutTTY && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
	if f, ok := out.(fder); ok && io.stdoutTTY {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			io.width = w
		}
	}
	if io.width == 0 {
		if w, err := strconv.Atoi(getenv("COLUMNS")); err == nil && w > 0 {
			io.width = w
		}
	}
	return io
}

// fder is a stream backed by a file descriptor (*os.File).
type fder interface{ Fd() uintptr }

// isTerminal reports whether v is a file open on a terminal.
func isTerminal(v any) bool {
	f, ok := v.(fder)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Test returns IOStreams over buffers, none of them a terminal, and the
// buffers for stdin, stdout and stderr.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, width: 80}, in, out, errOut
}

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdinTTY simulates a terminal on stdin (tests).
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetStdoutTTY simulates a terminal on stdout (tests).
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStderrTTY simulates a terminal on stderr (tests).
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// SetNeverPrompt disables prompting even on a terminal.
func (s *IOStreams) SetNeverPrompt(v bool) { s.noPrompt = v }

// CanPrompt reports whether the user can be asked questions: stdin and stdout
// are terminals and prompting is not disabled.
func (s *IOStreams) CanPrompt() bool { return s.stdinTTY && s.stdoutTTY && !s.noPrompt }

// ColorEnabled reports whether output to Out may use colour (a terminal, and
// NO_COLOR unset).
func (s *IOStreams) ColorEnabled() bool { return s.color }

// TerminalWidth is the width of the terminal, or 80 when unknown.
func (s *IOStreams) TerminalWidth() int {
	if s.width > 0 {
		return s.width
	}
	return 80
}

// Bold wraps s in bold when colour is enabled on stderr's terminal.
func (s *IOStreams) Bold(v string) string {
	if !s.color || !s.stderrTTY {
		return v
	}
	return "\x1b[1m" + v + "\x1b[0m"
}

// Warn colours a warning in yellow-bold when colour is enabled.
func (s *IOStreams) Warn(v string) string {
	if !s.color || !s.stderrTTY {
		return v
	}
	return "\x1b[1;33m" + v + "\x1b[0m"
}
