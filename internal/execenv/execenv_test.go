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
	if _, code, err := LookPath("authdeck-no-such-command-xyz"); code != 127 || err == nil || !strings.Contains(err.Error(), "command not found") {
		t.Errorf("LookPath: %d %v", code, err)
	}
}
