package termbg_test

import (
	"reflect"
	"testing"

	_ "github.com/authdeck/authdeck/tui" // and so bubbletea
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// TestImportLeavesLipglossAlone: importing tui (so bubbletea) neither
// queries the terminal nor leaves lipgloss's default renderer with a
// background decided for the importer: it is lipgloss's own, on the
// process's output, still detecting the background on first use.
func TestImportLeavesLipglossAlone(t *testing.T) {
	r := lipgloss.DefaultRenderer()
	if r.Output() != termenv.DefaultOutput() {
		t.Error("lipgloss's default renderer was replaced")
	}
	// lipgloss has no getter for whether the background was set
	// explicitly (SetHasDarkBackground); read the field.
	if reflect.ValueOf(r).Elem().FieldByName("explicitBackgroundColor").Bool() {
		t.Error("importing tui set lipgloss's default background (SetHasDarkBackground) for the importer")
	}
}
