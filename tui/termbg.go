package tui

import "github.com/authdeck/authdeck/internal/termbg"

// No terminal query at start-up, and lipgloss's default renderer back as
// it was once Bubble Tea is initialised: see internal/termbg. tui.Run
// detects the background itself.
var _ = termbg.Restore()
