// Package bad fails every check of apicheck, on purpose.
package bad

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"
)

type Bare struct{ Field int }

func Naked() {
	fmt.Fprintln(os.Stdout, os.Getenv("X"))
	fmt.Println("x")
	os.Exit(1)
}

func (Bare) Method() { log.Printf("x") }

// Documented is fine.
func Documented() {
	os := struct{ Stdout int }{} // a local variable, not the package
	_ = os.Stdout
}

// Implicit reaches the process without naming os.
func Implicit() {
	wd, _ := os.Getwd()
	p, _ := exec.LookPath("xdg-open")
	_ = exec.Command("xdg-open", wd).Run()
	_ = exec.Command(p, wd).Run() // a resolved path: fine
	_ = tea.NewProgram(nil, tea.WithAltScreen())
	_ = tea.NewProgram(nil, tea.WithInput(nil), tea.WithOutput(nil)) // fine
	_ = termenv.HasDarkBackground()
	_ = termenv.NewOutput(nil).HasDarkBackground() // fine
}

// OptionSlice passes Bubble Tea's options as a slice, without WithInput.
func OptionSlice() {
	opts := []tea.ProgramOption{tea.WithOutput(nil)}
	_ = tea.NewProgram(nil, opts...)
}

// OptionSliceBoth builds both options into the slice: fine.
func OptionSliceBoth(in bool) {
	opts := []tea.ProgramOption{tea.WithOutput(nil)}
	if in {
		opts = append(opts, tea.WithInput(nil))
	}
	_ = tea.NewProgram(nil, opts...)
}

// HTTP uses the default transport, whose proxy is the process's.
func HTTP() {
	_ = &http.Client{Timeout: 1}
	_ = &http.Client{Transport: http.DefaultTransport}
	_, _ = http.Get("https://example.com/")
	_ = &http.Client{Transport: &http.Transport{}} // fine
}

const Loose = 1

var Global = 2

const (
	// InGroup is documented.
	InGroup  = 3
	Trailing = 4 // documented too
)

// Grouped documents its block.
const (
	A = 1
	B = 2
)

type hidden struct{ Exported int }

func (hidden) Exported() {}

// Options has documented and bare fields.
type Options struct {
	// Named is documented.
	Named string
	Trail string // documented too
	// In, Out and Err are the streams, documented together.
	In  int
	Out int
	Err int

	Bare   int
	hidden int
	fmt.Stringer
}

// Store has a documented and a bare method.
type Store interface {
	// Get is documented.
	Get() int
	Put(int)
}
