package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
)

// Theme is the branding of the full-screen program: its accent colours,
// as plain strings: "#7D56F4" (hex) or an ANSI colour number ("63"). Each
// colour has a variant for dark backgrounds, chosen from the terminal's
// background; an empty variant means the other one, and an empty colour
// authdeck's own, so the zero Theme is authdeck's look. Colour is never
// the only signal (every state also has a word or symbol), so any accent
// keeps the screens readable.
type Theme struct {
	// Accent colours the title, the active tab and the box around the user
	// code, on a light background.
	Accent string
	// AccentDark is Accent on a dark background.
	AccentDark string
	// Highlight is the background of the selected row, on a light
	// background.
	Highlight string
	// HighlightDark is Highlight on a dark background.
	HighlightDark string
}

// orColour returns the colour of light and dark, or def when both are
// empty.
func orColour(light, dark string, def lipgloss.AdaptiveColor) lipgloss.AdaptiveColor {
	if light == "" && dark == "" {
		return def
	}
	if light == "" {
		light = dark
	}
	if dark == "" {
		dark = light
	}
	return lipgloss.AdaptiveColor{Light: light, Dark: dark}
}

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

// defaultStyles returns the styles built from the palette and the host's
// theme, rendered by r (the program's output; nil means lipgloss's default
// renderer). It mutates no global state.
func defaultStyles(r *lipgloss.Renderer, th Theme) *styles {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	// The semantic palette. Adaptive colours pick the light or dark variant from
	// the background detected once, before the program starts. Colour is never
	// the only signal: every state also has a word or symbol.
	colPrimary := orColour(th.Accent, th.AccentDark, lipgloss.AdaptiveColor{Light: "#5A3FD1", Dark: "#B4A5FF"})
	colFaint := lipgloss.AdaptiveColor{Light: "#6B6B6B", Dark: "#8A8A8A"}
	colSuccess := lipgloss.AdaptiveColor{Light: "#1A7F37", Dark: "#56D364"}
	colWarning := lipgloss.AdaptiveColor{Light: "#9A6700", Dark: "#E3B341"}
	colError := lipgloss.AdaptiveColor{Light: "#CF222E", Dark: "#FF7B72"}
	colSelBg := orColour(th.Highlight, th.HighlightDark, lipgloss.AdaptiveColor{Light: "#DDD8F8", Dark: "#3B3163"})
	colBorder := lipgloss.AdaptiveColor{Light: "#C0C0C0", Dark: "#505050"}
	s := r.NewStyle
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

// helpStyles are the help footer's styles (bubbles' defaults) rendered by r
// (nil means lipgloss's default renderer).
func helpStyles(r *lipgloss.Renderer) help.Styles {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	key := r.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#909090", Dark: "#626262"})
	desc := r.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#B2B2B2", Dark: "#4A4A4A"})
	sep := r.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#DDDADA", Dark: "#3C3C3C"})
	return help.Styles{ShortKey: key, ShortDesc: desc, ShortSeparator: sep, Ellipsis: sep, FullKey: key, FullDesc: desc, FullSeparator: sep}
}
