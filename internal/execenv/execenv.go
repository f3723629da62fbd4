// Package execenv runs a command the way a wrapper should: with an extra
// environment variable, the caller's standard streams, the termination
// signals forwarded to it, and its exit status reported the way a shell
// reports it (128+N when it was killed by signal N).
package execenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
)

// ValidName reports whether name can be used as an environment variable
// name in every shell: letters, digits and underscores, not starting with a
// digit.
func ValidName(name string) bool {
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// Env returns a copy of environ with name set to value, replacing every
// existing entry of name (compared case-insensitively on Windows, where
// names are case-insensitive).
func Env(environ []string, name, value string) []string {
	out := make([]string, 0, len(environ)+1)
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if k == name || (runtime.GOOS == "windows" && strings.EqualFold(k, name)) {
			continue
		}
		out = append(out, kv)
	}
	return append(out, name+"="+value)
}

// ForwardedSignals are passed on to the child: interrupt, termination and
// hang-up. (On Windows only os.Interrupt is ever delivered.)
func ForwardedSignals() []os.Signal {
	return []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}
}

// Run starts c, forwards the signals in sigs that this process receives to
// it until it exits (except a Ctrl-C typed at the terminal, which the
// terminal has already sent to the child, in the same process group), and returns its exit code: its own exit status, or
// 128+N when it was killed by signal N. The error is non-nil only when the
// command could not be started or waited for; a non-zero exit is not an
// error. c must not have been started; its Stdin, Stdout, Stderr and Env
// are used as they are.
//
// Run must not be given an exec.CommandContext command whose context a
// signal cancels: the child decides how to react to the forwarded signal.
func Run(c *exec.Cmd, sigs []os.Signal) (int, error) {
	ch := make(chan os.Signal, 8)
	if len(sigs) > 0 {
		signal.Notify(ch, sigs...)
		defer signal.Stop(ch)
	}
	if err := c.Start(); err != nil {
		return 0, err
	}
	done := make(chan struct{})
	fwdDone := make(chan struct{})
	go func() {
		defer close(fwdDone)
		for {
			select {
			case s := <-ch:
				if !sentByTerminal(s) {
					_ = c.Process.Signal(s)
				}
			case <-done:
				return
			}
		}
	}()
	err := c.Wait()
	close(done)
	<-fwdDone
	if code, ok := ExitCode(c.ProcessState); ok {
		return code, nil
	}
	if err != nil {
		return 0, err
	}
	return 0, errors.New("the command's exit status is unknown")
}

// ExitCode is the shell's view of a finished process: its exit status, or
// 128+N when signal N killed it.
func ExitCode(ps *os.ProcessState) (int, bool) {
	if ps == nil {
		return 0, false
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), true
	}
	if code := ps.ExitCode(); code >= 0 {
		return code, true
	}
	return 0, false
}

// LookPath finds the command to run and explains a failure the way a shell
// would, with the exit code a shell uses (127 not found, 126 not
// executable).
func LookPath(name string) (string, int, error) {
	p, err := exec.LookPath(name)
	if err == nil {
		return p, 0, nil
	}
	if errors.Is(err, exec.ErrNotFound) {
		return "", 127, fmt.Errorf("%s: command not found", name)
	}
	if errors.Is(err, os.ErrPermission) {
		return "", 126, fmt.Errorf("%s: permission denied (not executable)", name)
	}
	if errors.Is(err, exec.ErrDot) {
		return "", 126, fmt.Errorf("%s is in the current directory, which is not searched; run ./%s", name, name)
	}
	return "", 127, fmt.Errorf("%s: %v", name, err)
}
