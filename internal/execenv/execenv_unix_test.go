//go:build !windows

package execenv

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startReady runs c under Run in the background and waits until the child
// says it is ready (its signal handlers are installed).
func startReady(t *testing.T, c *exec.Cmd) <-chan [2]any {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c.Stdout = pw
	res := make(chan [2]any, 1)
	go func() {
		code, err := Run(c, ForwardedSignals())
		res <- [2]any{code, err}
	}()
	// pw is closed only after Run is done with it (it was handed to Start in
	// another goroutine).
	t.Cleanup(func() { pw.Close(); pr.Close() })
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("child did not get ready: %q %v", line, err)
	}
	return res
}

func wait(t *testing.T, res <-chan [2]any) (int, error) {
	t.Helper()
	select {
	case r := <-res:
		err, _ := r[1].(error)
		return r[0].(int), err
	case <-time.After(15 * time.Second):
		t.Fatal("the child did not exit")
	}
	return 0, nil
}

// TestRunForwardsSignals sends SIGTERM and SIGHUP to this process: Run
// passes them on, and the child's own exit code comes back.
func TestRunForwardsSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			res := startReady(t, helper(t, "trap"))
			if err := syscall.Kill(os.Getpid(), sig); err != nil {
				t.Fatal(err)
			}
			code, err := wait(t, res)
			if err != nil || code != 40+int(sig) {
				t.Errorf("code %d err %v, want %d (the child saw %s)", code, err, 40+int(sig), sig)
			}
		})
	}
}

// TestRunKilledBySignal: a child killed by a forwarded signal yields 128+N.
func TestRunKilledBySignal(t *testing.T) {
	res := startReady(t, helper(t, "wait"))
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, err := wait(t, res)
	if err != nil || code != 128+int(syscall.SIGTERM) {
		t.Errorf("code %d err %v, want 143", code, err)
	}
}

func TestExitCodeKilled(t *testing.T) {
	c := helper(t, "wait")
	pr, pw, _ := os.Pipe()
	c.Stdout = pw
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	bufio.NewReader(pr).ReadString('\n')
	c.Process.Kill()
	c.Wait()
	if code, ok := ExitCode(c.ProcessState); !ok || code != 137 {
		t.Errorf("ExitCode = %d %v, want 137", code, ok)
	}
}

// TestCtrlCInTerminalDeliveredOnce runs a wrapper (Run) and its child in a
// real terminal (tmux) and types Ctrl-C: the terminal sends SIGINT to both,
// and the wrapper must not forward a second one.
func TestCtrlCInTerminalDeliveredOnce(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed (CI=true: a missing real component is a failure)")
		}
		t.Skip("tmux is not installed")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sock := "execenv-" + strconv.Itoa(os.Getpid())
	tmux := func(args ...string) error {
		return exec.Command("tmux", append([]string{"-L", sock, "-f", "/dev/null"}, args...)...).Run()
	}
	t.Cleanup(func() { _ = tmux("kill-server") })
	cmdline := "env EXECENV_HELPER=wrapper EXECENV_DIR='" + dir + "' '" + exe + "'"
	if err := tmux("new-session", "-d", "-s", "t", "-x", "80", "-y", "24", cmdline); err != nil {
		t.Fatalf("tmux new-session: %v", err)
	}
	waitFile := func(name string) []byte {
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				return b
			}
		}
		t.Fatalf("%s never appeared", name)
		return nil
	}
	waitFile("ready")
	if err := tmux("send-keys", "-t", "t", "C-c"); err != nil {
		t.Fatal(err)
	}
	if got := string(waitFile("count")); got != "1" {
		t.Errorf("the child received %s SIGINTs for one Ctrl-C, want 1", got)
	}
	time.Sleep(100 * time.Millisecond)
	if got := string(waitFile("wrapper")); got != "0 <nil>" {
		t.Errorf("wrapper: Run returned %q, want the child's exit code 0", got)
	}
}
