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
	"path/filepath"
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

// LookPath finds the command to run in the PATH that getenv gives (nil
// means an empty environment: only a name with a path separator is
// found), never the process's own, and explains a failure the way a shell
// would, with the exit code a shell uses (127 not found, 126 not
// executable).
func LookPath(name string, getenv func(string) string) (string, int, error) {
	p, err := lookPath(name, getenv)
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

// LookPathFunc returns exec.LookPath over the environment getenv reads
// (nil: an empty one), for code that takes a look-up function.
func LookPathFunc(getenv func(string) string) func(string) (string, error) {
	return func(name string) (string, error) { return lookPath(name, getenv) }
}

// Getenv reads a variable from the list environ returns ("K=V" entries,
// the last one winning, names compared case-insensitively on Windows); nil
// means an empty environment.
func Getenv(environ func() []string) func(string) string {
	return func(name string) string {
		if environ == nil {
			return ""
		}
		v := ""
		for _, kv := range environ() {
			k, val, ok := strings.Cut(kv, "=")
			if ok && (k == name || (runtime.GOOS == "windows" && strings.EqualFold(k, name))) {
				v = val
			}
		}
		return v
	}
}

// lookPath is exec.LookPath with PATH (and PATHEXT on Windows) read
// through getenv instead of the process's environment. Its errors are
// *exec.Error wrapping exec.ErrNotFound, exec.ErrDot or the stat error.
func lookPath(name string, getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if runtime.GOOS == "windows" {
		return lookPathWindows(name, getenv)
	}
	if strings.Contains(name, "/") {
		if err := executable(name); err != nil {
			return "", &exec.Error{Name: name, Err: err}
		}
		return name, nil
	}
	for _, dir := range filepath.SplitList(getenv("PATH")) {
		if dir == "" {
			dir = "." // an empty entry is the current directory
		}
		p := filepath.Join(dir, name)
		if executable(p) != nil {
			continue
		}
		if !filepath.IsAbs(p) {
			return p, &exec.Error{Name: name, Err: exec.ErrDot}
		}
		return p, nil
	}
	return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
}

// executable: file is a regular file with an execute bit.
func executable(file string) error {
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return fmt.Errorf("%s is a directory: %w", file, os.ErrPermission)
	}
	if runtime.GOOS != "windows" && st.Mode()&0o111 == 0 {
		return os.ErrPermission
	}
	return nil
}

// lookPathWindows tries the extensions of PATHEXT (default .com, .exe,
// .bat, .cmd) in each directory of PATH; the current directory is not
// searched.
func lookPathWindows(name string, getenv func(string) string) (string, error) {
	var exts []string
	for _, e := range strings.Split(strings.ToLower(getenv("PATHEXT")), ";") {
		if strings.HasPrefix(e, ".") {
			exts = append(exts, e)
		}
	}
	if len(exts) == 0 {
		exts = []string{".com", ".exe", ".bat", ".cmd"}
	}
	try := func(p string) (string, error) {
		ext := strings.ToLower(filepath.Ext(p))
		for _, e := range exts {
			if ext == e {
				if err := executable(p); err != nil {
					return "", err
				}
				return p, nil
			}
		}
		for _, e := range exts {
			if executable(p+e) == nil {
				return p + e, nil
			}
		}
		return "", exec.ErrNotFound
	}
	if strings.ContainsAny(name, `:\/`) {
		p, err := try(name)
		if err != nil {
			return "", &exec.Error{Name: name, Err: err}
		}
		return p, nil
	}
	path := getenv("PATH")
	if path == "" {
		path = getenv("Path")
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		if p, err := try(filepath.Join(dir, name)); err == nil {
			return p, nil
		}
	}
	return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
}
