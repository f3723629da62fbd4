// Package termbg keeps Bubble Tea v1 from querying the terminal when the
// program starts.
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
// which bubbletea imports too; so this init runs before bubbletea's and
// declares a background, and the query is never made. The full-screen
// program asks the terminal itself, once, right before it starts (tui.Run).
package termbg

import "github.com/charmbracelet/lipgloss"

func init() {
	lipgloss.SetHasDarkBackground(true)
}
