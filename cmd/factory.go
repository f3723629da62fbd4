package cmd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/authdeck/authdeck/profiles"
	"github.com/authdeck/authdeck/tui"
	"github.com/pkg/browser"
)

// Prompter asks the user questions on the terminal.
type Prompter interface {
	// Confirm asks a yes/no question; def is the answer to an empty line.
	Confirm(msg string, def bool) (bool, error)
}

// Factory holds the dependencies of the commands. Cheap ones are values;
// expensive or fallible ones are lazy, memoized funcs, so a command pays only
// for what it uses.
type Factory struct {
	// AppName is the application's name, as shown to people.
	AppName string
	// Version of the binary.
	Version string
	// IO are the standard streams.
	IO *IOStreams
	// Getenv reads the environment.
	Getenv func(string) string
	// Cwd returns the working directory (for per-directory profile files).
	Cwd func() (string, error)
	// ConfigDir returns the configuration directory.
	ConfigDir func() (string, error)
	// Profiles returns the profiles manager (lazy, memoized).
	Profiles func() (*profiles.Manager, error)
	// Prompter asks questions on the terminal.
	Prompter Prompter
	// RunTUI runs the full-screen program (tui.Run; stubbed in tests).
	RunTUI func(context.Context, *profiles.Manager, tui.Options) (tui.Result, error)
	// Browser opens a URL in a web browser.
	Browser func(url string) error
	// CanOpenBrowser reports whether a browser can be shown to the user
	// (a display, not over SSH).
	CanOpenBrowser func() bool
	// Now is the clock.
	Now func() time.Time

	globals *Globals // set by NewRootCmd
}

// AuthdeckApp is authdeck's own profiles.App, with configDir and getenv.
func AuthdeckApp(configDir string, getenv func(string) string) profiles.App {
	return profiles.App{
		Name:           "authdeck",
		ConfigDir:      configDir,
		KeyringService: "authdeck",
		EnvToken:       "AUTHDECK_TOKEN",
		EnvProfile:     "AUTHDECK_PROFILE",
		DirFile:        ".authdeck",
		Getenv:         getenv,
	}
}

// ConfigDirFrom returns AUTHDECK_CONFIG_DIR, or os.UserConfigDir()/authdeck.
func ConfigDirFrom(getenv func(string) string) (string, error) {
	if d := getenv("AUTHDECK_CONFIG_DIR"); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find a configuration directory (%v); set AUTHDECK_CONFIG_DIR", err)
	}
	return filepath.Join(base, "authdeck"), nil
}

// NewFactory wires the production dependencies, in dependency order.
func NewFactory(version string) *Factory {
	f := &Factory{AppName: "authdeck", Version: version}
	f.Getenv = os.Getenv                                                    // depends on nothing
	f.Now = time.Now                                                        // depends on nothing
	f.Cwd = os.Getwd                                                        // depends on nothing
	f.IO = System(f.Getenv)                                                 // depends on Getenv
	f.ConfigDir = func() (string, error) { return ConfigDirFrom(f.Getenv) } // depends on Getenv
	f.Profiles = managerFunc(f)                                             // depends on ConfigDir, Getenv
	f.Prompter = &termPrompter{in: f.IO.In, out: f.IO.ErrOut}               // depends on IO
	f.RunTUI = tui.Run                                                      // depends on nothing
	f.Browser = openBrowser                                                 // depends on nothing
	f.CanOpenBrowser = func() bool { return canOpenBrowser(runtime.GOOS, f.Getenv) }
	return f
}

// managerFunc returns a memoized constructor of the profiles manager.
func managerFunc(f *Factory) func() (*profiles.Manager, error) {
	var (
		once sync.Once
		m    *profiles.Manager
		err  error
	)
	return func() (*profiles.Manager, error) {
		once.Do(func() {
			var dir string
			dir, err = f.ConfigDir()
			if err != nil {
				return
			}
			m, err = profiles.Open(AuthdeckApp(dir, f.Getenv))
		})
		return m, err
	}
}

// openBrowser opens url with the system's browser (Main sends whatever the
// opener prints to stderr, never to stdout, which may carry --json).
func openBrowser(url string) error { return browser.OpenURL(url) }

// canOpenBrowser: over SSH the browser would open on the wrong machine, and
// on Linux without a display there is nowhere to show it.
func canOpenBrowser(goos string, getenv func(string) string) bool {
	if getenv("SSH_CONNECTION") != "" || getenv("SSH_TTY") != "" {
		return false
	}
	switch goos {
	case "darwin", "windows":
		return true
	}
	return getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != ""
}

// termPrompter reads answers line by line from in.
type termPrompter struct {
	in  io.Reader
	out io.Writer
	r   *bufio.Reader
}

// Confirm prints msg with a [y/N] or [Y/n] hint and reads the answer.
func (p *termPrompter) Confirm(msg string, def bool) (bool, error) {
	if p.r == nil {
		p.r = bufio.NewReader(p.in)
	}
	hint := " [y/N] "
	if def {
		hint = " [Y/n] "
	}
	for {
		fmt.Fprint(p.out, msg+hint)
		line, err := p.r.ReadString('\n')
		if err != nil && line == "" {
			fmt.Fprintln(p.out)
			if err == io.EOF {
				return false, ErrCancel
			}
			return false, err
		}
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "":
			return def, nil
		case "y", "yes":
			return true, nil
		case "n", "no":
			return false, nil
		}
		fmt.Fprintln(p.out, "Please answer y or n.")
	}
}
