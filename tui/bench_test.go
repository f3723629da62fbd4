package tui

import (
	"context"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// BenchmarkFilterKeystroke is one filter keystroke on 1,000 profiles:
// Update with the key, then View (what Bubble Tea does per key press).
func BenchmarkFilterKeystroke(b *testing.B) {
	fx := newFixture(1000)
	m := startModel(b, fx, Options{}, 120, 40)
	m, _ = send(m, press("/"))
	keys := []tea.KeyMsg{press("u"), press("s"), press("e"), press("r"), press("1"), press("backspace"), press("backspace"), press("backspace"), press("backspace"), press("backspace")}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, _ = send(m, keys[i%len(keys)])
		_ = m.View()
	}
}

// BenchmarkFirstFrame is the time from nothing to the first frame on
// screen: New, Init, the first WindowSizeMsg and View (the profiles load
// in a command afterwards, so it does not count).
func BenchmarkFirstFrame(b *testing.B) {
	fx := newFixture(1000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m := newModel(context.Background(), fx.deps, Options{}, true)
		_ = m.Init()
		m, _ = send(m, tea.WindowSizeMsg{Width: 120, Height: 40})
		_ = m.View()
	}
}

// BenchmarkFirstFrameLoaded adds loading 1,000 profiles and rendering them
// (the first frame that shows the list).
func BenchmarkFirstFrameLoaded(b *testing.B) {
	fx := newFixture(1000)
	cfg := fx.ps.cfg
	msg := profilesLoadedMsg{gen: 1, statuses: fx.ps.statuses, cfg: &cfg, at: t0}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m := newModel(context.Background(), fx.deps, Options{}, true)
		_ = m.Init()
		m, _ = send(m, tea.WindowSizeMsg{Width: 120, Height: 40})
		m, _ = send(m, msg)
		_ = m.View()
	}
}

// BenchmarkLoginFrame renders the login screen with glyphs and QR code.
func BenchmarkLoginFrame(b *testing.B) {
	m := startModel(b, newFixture(0), Options{Start: ScreenLogin, Server: testServer()}, 120, 40)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = m.View()
	}
}
