// Package termbg keeps Bubble Tea v1 from querying the terminal when the
// program starts, without changing lipgloss's state for the program that
// imports it.
//
// bubbletea v1's package initialisation calls lipgloss.HasDarkBackground,
// which, whenever stdout is a terminal, writes an OSC 11 query and waits up
// to five seconds for the answer. authdeck links Bubble Tea into every
// command, so without this package `authdeck token` or `authdeck status` on
// a terminal that does not answer (a serial console, `script`, some CI
// runners) would stall for five seconds and leave the query's escape
// sequence in the output.
//
// Go initialises packages in import-path order among those whose imports
// are ready (the Go 1.21 rule), and this package's only import is lipgloss,
// which bubbletea imports too; so this package is initialised before
// bubbletea. It lends lipgloss a stand-in default renderer that already
// knows a background, so bubbletea's query is answered without asking the
// terminal; Restore, called by package tui's initialisation (tui imports
// bubbletea, so it runs after it), gives lipgloss its own default renderer
// back, untouched: an importer's lipgloss styles detect the terminal as
// they would without authdeck. The full-screen program asks the terminal
// itself, once, right before it starts (tui.Run).
package termbg

import (
	"io"

	"github.com/charmbracelet/lipgloss"
)

// original is lipgloss's default renderer, while the stand-in is lent.
var original = lend()

func lend() *lipgloss.Renderer {
	orig := lipgloss.DefaultRenderer()
	standIn := lipgloss.NewRenderer(io.Discard)
	standIn.SetHasDarkBackground(true)
	lipgloss.SetDefaultRenderer(standIn)
	return orig
}

// Restore gives lipgloss its default renderer back (once Bubble Tea is
// initialised). It returns true, so that it can initialise a variable.
func Restore() bool {
	if original != nil {
		lipgloss.SetDefaultRenderer(original)
		original = nil
	}
	return true
}
