package tui

import "github.com/charmbracelet/lipgloss"

// styles are all the styles of the program, built once by defaultStyles.
type styles struct {
	App        lipgloss.Style
	Header     lipgloss.Style
	Title      lipgloss.Style
	TabActive  lipgloss.Style
	Tab        lipgloss.Style
	Faint      lipgloss.Style
	Bold       lipgloss.Style
	Success    lipgloss.Style
	Warning    lipgloss.Style
	Error      lipgloss.Style
	Loud       lipgloss.Style
	Selected   lipgloss.Style
	TableHead  lipgloss.Style
	Label      lipgloss.Style
	Host       lipgloss.Style
	Code       lipgloss.Style
	CodeBox    lipgloss.Style
	Dialog     lipgloss.Style
	FieldLabel lipgloss.Style
	Status     lipgloss.Style
}

// defaultStyles returns the styles built from the palette. It mutates no
// global state.
func defaultStyles() *styles {
	// The semantic palette. Adaptive colours pick the light or dark variant from
	// the background detected once, before the program starts. Colour is never
	// the only signal: every state also has a word or symbol.
	colPrimary := lipgloss.AdaptiveColor{Light: "#5A3FD1", Dark: "#B4A5FF"}
	colFaint := lipgloss.AdaptiveColor{Light: "#6B6B6B", Dark: "#8A8A8A"}
	colSuccess := lipgloss.AdaptiveColor{Light: "#1A7F37", Dark: "#56D364"}
	colWarning := lipgloss.AdaptiveColor{Light: "#9A6700", Dark: "#E3B341"}
	colError := lipgloss.AdaptiveColor{Light: "#CF222E", Dark: "#FF7B72"}
	colSelBg := lipgloss.AdaptiveColor{Light: "#DDD8F8", Dark: "#3B3163"}
	colBorder := lipgloss.AdaptiveColor{Light: "#C0C0C0", Dark: "#505050"}
	s := lipgloss.NewStyle
	return &styles{
		App:        s().Padding(0, 1),
		Header:     s().Bold(true),
		Title:      s().Bold(true).Foreground(colPrimary),
		TabActive:  s().Bold(true).Underline(true).Foreground(colPrimary),
		Tab:        s().Foreground(colFaint),
		Faint:      s().Foreground(colFaint),
		Bold:       s().Bold(true),
		Success:    s().Foreground(colSuccess),
		Warning:    s().Foreground(colWarning),
		Error:      s().Foreground(colError),
		Loud:       s().Bold(true).Foreground(colError).Border(lipgloss.NormalBorder()).BorderForeground(colError).Padding(0, 1),
		Selected:   s().Background(colSelBg).Bold(true),
		TableHead:  s().Bold(true).Foreground(colFaint).BorderStyle(lipgloss.NormalBorder()).BorderBottom(true).BorderForeground(colBorder),
		Label:      s().Foreground(colFaint),
		Host:       s().Bold(true).Underline(true),
		Code:       s().Bold(true),
		CodeBox:    s().Border(lipgloss.RoundedBorder()).BorderForeground(colPrimary).Padding(0, 1),
		Dialog:     s().Border(lipgloss.DoubleBorder()).BorderForeground(colWarning).Padding(0, 1),
		FieldLabel: s().Bold(true),
		Status:     s().Foreground(colFaint),
	}
}
