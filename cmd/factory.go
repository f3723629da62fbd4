package cmd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/authdeck/authdeck/profiles"
	"github.com/authdeck/authdeck/tui"
)

// prompter asks the user questions on the terminal.
type prompter interface {
	// Confirm asks a yes/no question; def is the answer to an empty line.
	// It returns ctx's error as soon as ctx is done (Ctrl-C), without
	// waiting for an answer.
	Confirm(ctx context.Context, msg string, def bool) (bool, error)
}

// factory holds the dependencies of the commands. Cheap ones are values;
// expensive or fallible ones are lazy, memoized funcs, so a command pays only
// for what it uses.
type factory struct {
	// AppName is the application's name, as shown to people (Host.Name).
	AppName string
	// Host is the application's identity, with its defaults filled in: the
	// environment variable names in use ("" when off), the TUI's title.
	Host Host
	// Version of the binary.
	Version string
	// IO are the standard streams.
	IO *ioStreams
	// Getenv reads the environment.
	Getenv func(string) string
	// Cwd returns the working directory (for per-directory profile files).
	Cwd func() (string, error)
	// ConfigDir returns the configuration directory.
	ConfigDir func() (string, error)
	// Profiles returns the profiles manager (lazy, memoized).
	Profiles func() (*profiles.Manager, error)
	// Prompter asks questions on the terminal.
	Prompter prompter
	// RunTUI runs the full-screen program (tui.Run; stubbed in tests).
	RunTUI func(context.Context, *profiles.Manager, tui.Options) (tui.Result, error)
	// Browser opens a URL in a web browser.
	Browser func(url string) error
	// CanOpenBrowser reports whether a browser can be shown to the user
	// (a display, not over SSH).
	CanOpenBrowser func() bool
	// Now is the clock.
	Now func() time.Time

	globals *globalFlags // set by newRootCmd
	reg     *registry    // the commands built, shared by the Kit's command sets
}

// newAuthdeckFactory returns authdeck's own factory with an empty environment and
// discarded streams: enough to build the command tree for documentation
// (the docs tests). The binary's Main and embedding hosts use New.
func newAuthdeckFactory(version string) *factory {
	f, err := newFactory(Authdeck(version))
	if err != nil {
		panic(err) // Authdeck's identity is valid
	}
	return f
}

// managerFunc returns a memoized constructor of the profiles manager of
// f.Host.
func managerFunc(f *factory) func() (*profiles.Manager, error) {
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
			app := f.Host.profilesApp(dir)
			app.Command = f.reg.commandLine(f.AppName)
			m, err = profiles.Open(app)
		})
		return m, err
	}
}

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

	mu      sync.Mutex
	r       *bufio.Reader
	pending chan lineResult // the read in flight, nil when none
}

type lineResult struct {
	line string
	err  error
}

// readLine reads one line of in, giving up when ctx is done. The read runs
// in a goroutine, since a read from a terminal cannot be interrupted; a read
// left in flight by a cancelled call is picked up by the next call, so no
// line is lost and no two reads run at once.
func (p *termPrompter) readLine(ctx context.Context) (string, error) {
	p.mu.Lock()
	if p.r == nil {
		p.r = bufio.NewReader(p.in)
	}
	ch := p.pending
	if ch == nil {
		ch = make(chan lineResult, 1)
		p.pending = ch
		r := p.r
		go func() {
			line, err := r.ReadString('\n')
			ch <- lineResult{line, err}
		}()
	}
	p.mu.Unlock()
	select {
	case res := <-ch:
		p.mu.Lock()
		p.pending = nil
		p.mu.Unlock()
		return res.line, res.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Confirm prints msg with a [y/N] or [Y/n] hint and reads the answer. It
// returns ctx's error at once when ctx is done (Ctrl-C), and ErrCancel when
// the input ends.
func (p *termPrompter) Confirm(ctx context.Context, msg string, def bool) (bool, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	hint := " [y/N] "
	if def {
		hint = " [Y/n] "
	}
	for {
		fmt.Fprint(p.out, msg+hint)
		line, err := p.readLine(ctx)
		if ctx.Err() != nil {
			fmt.Fprintln(p.out)
			return false, ctx.Err()
		}
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

// authdeckApp is authdeck's own profiles.App over configDir and getenv.
//
// Deprecated: inside package cmd use f.Host.profilesApp(dir), which is the
// identity of whichever host built the factory; embedding hosts use New.
func authdeckApp(configDir string, getenv func(string) string) profiles.App {
	h, _ := Authdeck("").withDefaults()
	h.Getenv = getenv
	return h.profilesApp(configDir)
}
