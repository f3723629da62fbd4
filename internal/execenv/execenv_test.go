package execenv

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the child process: EXECENV_HELPER selects what
// it does.
func TestMain(m *testing.M) {
	switch os.Getenv("EXECENV_HELPER") {
	case "":
		os.Exit(m.Run())
	case "exit":
		n, _ := strconv.Atoi(os.Getenv("EXECENV_CODE"))
		fmt.Println("value=" + os.Getenv("EXECENV_VALUE"))
		os.Exit(n)
	case "trap":
		// Exit 40+signal number on SIGTERM or SIGHUP.
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM, syscall.SIGHUP)
		fmt.Println("ready")
		select {
		case s := <-ch:
			os.Exit(40 + int(s.(syscall.Signal)))
		case <-time.After(20 * time.Second):
			os.Exit(99)
		}
	case "wrapper":
		// Run a "counter" child as authdeck exec does, and record its exit code.
		exe, _ := os.Executable()
		c := exec.Command(exe)
		c.Env = Env(os.Environ(), "EXECENV_HELPER", "counter")
		c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
		code, err := Run(c, ForwardedSignals())
		os.WriteFile(filepath.Join(os.Getenv("EXECENV_DIR"), "wrapper"), []byte(fmt.Sprint(code, err)), 0o600)
		os.Exit(0)
	case "counter":
		// Count the SIGINTs that arrive within a second of the first.
		ch := make(chan os.Signal, 16)
		signal.Notify(ch, os.Interrupt)
		dir := os.Getenv("EXECENV_DIR")
		os.WriteFile(filepath.Join(dir, "ready"), nil, 0o600)
		<-ch
		n := 1
		deadline := time.After(time.Second)
	count:
		for {
			select {
			case <-ch:
				n++
			case <-deadline:
				break count
			}
		}
		os.WriteFile(filepath.Join(dir, "count"), []byte(strconv.Itoa(n)), 0o600)
		os.Exit(0)
	case "wait":
		// Default signal handling: killed by SIGTERM.
		fmt.Println("ready")
		time.Sleep(20 * time.Second)
		os.Exit(99)
	}
	os.Exit(98)
}

func helper(t *testing.T, mode string, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := exec.Command(exe)
	c.Env = append(Env(os.Environ(), "EXECENV_HELPER", mode), env...)
	c.Stderr = os.Stderr
	return c
}

func TestEnvReplaces(t *testing.T) {
	got := Env([]string{"A=1", "TOKEN=old", "B=2", "TOKEN=dup"}, "TOKEN", "new")
	want := "A=1 B=2 TOKEN=new"
	if strings.Join(got, " ") != want {
		t.Errorf("Env = %q, want %q", got, want)
	}
}

func TestValidName(t *testing.T) {
	for n, want := range map[string]bool{"AUTHDECK_TOKEN": true, "_x1": true, "1X": false, "A-B": false, "": false, "A B": false, "A=B": false} {
		if ValidName(n) != want {
			t.Errorf("ValidName(%q) = %v", n, !want)
		}
	}
}

func TestRunPassesEnvAndExitCode(t *testing.T) {
	c := helper(t, "exit", "EXECENV_CODE=3", "EXECENV_VALUE=tok-abc")
	var out strings.Builder
	c.Stdout = &out
	code, err := Run(c, ForwardedSignals())
	if err != nil || code != 3 {
		t.Fatalf("code %d err %v, want 3", code, err)
	}
	if strings.TrimSpace(out.String()) != "value=tok-abc" {
		t.Errorf("child printed %q", out.String())
	}
}

func TestRunStartError(t *testing.T) {
	c := exec.Command("/nonexistent/authdeck-test-binary")
	if _, err := Run(c, nil); err == nil {
		t.Fatal("no error for a missing binary")
	}
	if _, code, err := LookPath("authdeck-no-such-command-xyz", os.Getenv); code != 127 || err == nil || !strings.Contains(err.Error(), "command not found") {
		t.Errorf("LookPath: %d %v", code, err)
	}
}

// TestLookPathUsesGivenPATH: the command is looked up in the PATH of the
// environment given, not the process's, and failures get a shell's exit
// codes.
func TestLookPathUsesGivenPATH(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	write := func(d, name string, mode os.FileMode) string {
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tool := write(dir, "authdeck-test-tool", 0o755)
	write(other, "authdeck-test-plain", 0o644)
	env := func(path string) func(string) string {
		return Getenv(func() []string { return []string{"PATH=/nonexistent", "PATH=" + path} })
	}
	if p, code, err := LookPath("authdeck-test-tool", env(other+string(os.PathListSeparator)+dir)); err != nil || code != 0 || p != tool {
		t.Errorf("in the given PATH: %q %d %v, want %q", p, code, err, tool)
	}
	t.Setenv("PATH", dir)
	if _, code, err := LookPath("authdeck-test-tool", env(other)); code != 127 || err == nil {
		t.Errorf("found through the process's PATH: %d %v", code, err)
	}
	if _, code, err := LookPath("authdeck-test-tool", nil); code != 127 || err == nil {
		t.Errorf("nil getenv (an empty environment): %d %v", code, err)
	}
	if p, code, err := LookPath(tool, nil); err != nil || code != 0 || p != tool {
		t.Errorf("a path needs no PATH: %q %d %v", p, code, err)
	}
	if _, code, err := LookPath(filepath.Join(other, "authdeck-test-plain"), nil); code != 126 || err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("not executable: %d %v", code, err)
	}
	if _, code, err := LookPath("authdeck-test-plain", env(other)); code != 127 || err == nil {
		t.Errorf("a non-executable file in PATH is skipped: %d %v", code, err)
	}
	if _, code, err := LookPath("authdeck-test-tool", env("relative-dir"+string(os.PathListSeparator))); code != 127 || err == nil {
		t.Errorf("relative entries: %d %v", code, err)
	}
	t.Chdir(dir)
	if _, code, err := LookPath("authdeck-test-tool", env(":")); code != 126 || err == nil || !strings.Contains(err.Error(), "current directory") {
		t.Errorf("found only through the current directory: %d %v", code, err)
	}
	if got := LookPathFunc(env(dir)); got == nil {
		t.Fatal("LookPathFunc returned nil")
	} else if p, err := got("authdeck-test-tool"); err != nil || p != tool {
		t.Errorf("LookPathFunc: %q %v", p, err)
	}
}
