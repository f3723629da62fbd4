//go:build unix

package execenv

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// sentByTerminal reports whether sig most likely came from the keyboard
// (Ctrl-C, Ctrl-\): this process's group is the foreground group of its
// controlling terminal, so the terminal has already delivered sig to the
// child too (it is in the same group), and forwarding it would deliver it
// twice.
func sentByTerminal(sig os.Signal) bool {
	if sig != os.Interrupt && sig != syscall.SIGQUIT {
		return false
	}
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false // no controlling terminal
	}
	defer tty.Close()
	fg, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	if err != nil {
		return false
	}
	return fg == syscall.Getpgrp()
}
