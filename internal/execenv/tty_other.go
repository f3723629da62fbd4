//go:build !unix

package execenv

import "os"

// sentByTerminal: on Windows the console delivers Ctrl-C to every process
// attached to it, the child included, and os.Process.Signal cannot send
// os.Interrupt anyway; never forward it.
func sentByTerminal(sig os.Signal) bool { return sig == os.Interrupt }
