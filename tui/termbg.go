package tui

// No terminal query at start-up: see the package's doc.
import _ "github.com/authdeck/authdeck/internal/termbg"
