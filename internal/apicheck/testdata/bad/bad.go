// Package bad fails every check of apicheck, on purpose.
package bad

import (
	"fmt"
	"log"
	"os"
)

type Bare struct{}

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

type hidden struct{}

func (hidden) Exported() {}
