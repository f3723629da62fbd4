package cmd

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/authdeck/authdeck/internal/textsafe"
	"golang.org/x/term"
)

// ioStreams are the host's standard streams (Host.Stdin, Stdout and Stderr;
// the process's only when Main is the host) and what is known about them:
// which are terminals, whether colour is wanted and how wide the terminal is.
// Data goes to Out; status, prompts and warnings go to ErrOut.
type ioStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY, stdoutTTY, stderrTTY bool
	noPrompt                       bool
	color                          bool
	width                          int
}

// newIOStreams returns ioStreams over in, out and errOut. A stream is a
// terminal when it is a file (it has an Fd method) open on one; colour is
// enabled when out is a terminal, NO_COLOR is unset and TERM is not "dumb".
// getenv reads the environment (NO_COLOR, TERM, COLUMNS).
func newIOStreams(in io.Reader, out, errOut io.Writer, getenv func(string) string) *ioStreams {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	io := &ioStreams{In: in, Out: out, ErrOut: errOut}
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

// testStreams returns ioStreams over buffers, none of them a terminal, and the
// buffers for stdin, stdout and stderr.
func testStreams() (*ioStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &ioStreams{In: in, Out: out, ErrOut: errOut, width: 80}, in, out, errOut
}

// IsStdinTTY reports whether stdin is a terminal.
func (s *ioStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *ioStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal.
func (s *ioStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdinTTY simulates a terminal on stdin (tests).
func (s *ioStreams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetStdoutTTY simulates a terminal on stdout (tests).
func (s *ioStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStderrTTY simulates a terminal on stderr (tests).
func (s *ioStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// SetNeverPrompt disables prompting even on a terminal.
func (s *ioStreams) SetNeverPrompt(v bool) { s.noPrompt = v }

// CanPrompt reports whether the user can be asked questions: stdin and stdout
// are terminals and prompting is not disabled.
func (s *ioStreams) CanPrompt() bool { return s.stdinTTY && s.stdoutTTY && !s.noPrompt }

// ColorEnabled reports whether output to Out may use colour (a terminal, and
// NO_COLOR unset).
func (s *ioStreams) ColorEnabled() bool { return s.color }

// TerminalWidth is the width of the terminal, or 80 when unknown.
func (s *ioStreams) TerminalWidth() int {
	if s.width > 0 {
		return s.width
	}
	return 80
}

// Bold wraps s in bold when colour is enabled on stderr's terminal.
func (s *ioStreams) Bold(v string) string {
	if !s.color || !s.stderrTTY {
		return v
	}
	return "\x1b[1m" + v + "\x1b[0m"
}

// SuccessMark is "✓ " before a success message on stderr's terminal
// (green when colour is enabled), and "" in a pipe.
func (s *ioStreams) SuccessMark() string {
	if !s.stderrTTY {
		return ""
	}
	if !s.color {
		return "✓ "
	}
	return "\x1b[32m✓\x1b[0m "
}

// Warn colours a warning in yellow-bold when colour is enabled.
func (s *ioStreams) Warn(v string) string {
	if !s.color || !s.stderrTTY {
		return v
	}
	return "\x1b[1;33m" + v + "\x1b[0m"
}

// selectionWarning prints w, a profiles.Selection.Warning (an ignored
// directory file), as one line on stderr; nothing when w is empty.
func selectionWarning(errOut io.Writer, warn func(string) string, w string) {
	if w != "" {
		fmt.Fprintf(errOut, "%s %s\n", warn("WARNING:"), textsafe.Clean(w))
	}
}

// SGR colour codes for paint, all two digits so that every painted cell of
// a column carries escape sequences of the same length, which keeps
// tabwriter's alignment (it counts them as text).
const (
	sgrNone   = "39" // default colour: pads a header to its column
	sgrGreen  = "32"
	sgrRed    = "31"
	sgrYellow = "33"
	sgrFaint  = "02"
)

// paint wraps v in colour code (one of the sgr constants) when output to
// Out may be coloured (a terminal, NO_COLOR unset); v as is otherwise.
func (s *ioStreams) paint(code, v string) string {
	if !s.color {
		return v
	}
	return "\x1b[" + code + "m" + v + "\x1b[0m"
}

// SetColorEnabled forces colour on Out on or off (tests).
func (s *ioStreams) SetColorEnabled(v bool) { s.color = v }
