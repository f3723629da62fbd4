//go:build !windows

package cmd

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/oidctest"
)

// wfStartExec runs execRun in the background with the child's stdout on a
// pipe, and waits for the child to print "ready".
func wfStartExec(t *testing.T, o *execOptions) <-chan error {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pw.Close(); pr.Close() })
	o.IO.Out = pw
	res := make(chan error, 1)
	go func() { res <- execRun(context.Background(), o) }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("the child did not get ready: %q %v", line, err)
	}
	return res
}

func wfWaitExec(t *testing.T, res <-chan error) error {
	t.Helper()
	select {
	case err := <-res:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("exec did not return")
	}
	return nil
}

// TestExecForwardsSignals sends SIGTERM to this process (as `kill` would to
// authdeck): the child receives it, and its exit status comes back.
func TestExecForwardsSignals(t *testing.T) {
	wfNeedSh(t)
	ts := newWFTokenServer(t)
	m := wfManager(t, ts.URL, time.Now().Add(time.Hour), nil)

	t.Run("trapped", func(t *testing.T) {
		o, _, _ := wfExecOptions(m, "sh", "-c", `trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done`)
		res := wfStartExec(t, o)
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
		if err := wfWaitExec(t, res); wfExit(err) != 42 {
			t.Errorf("err = %v, exit %d; want 42 from the child's trap", err, wfExit(err))
		}
	})
	t.Run("killed", func(t *testing.T) {
		o, _, _ := wfExecOptions(m, "sh", "-c", `echo ready; exec sleep 30`)
		res := wfStartExec(t, o)
		syscall.Kill(os.Getpid(), syscall.SIGHUP)
		if err := wfWaitExec(t, res); wfExit(err) != 128+int(syscall.SIGHUP) {
			t.Errorf("err = %v, exit %d; want 129", err, wfExit(err))
		}
	})
}

// TestExecEndToEnd: a token from the real provider reaches the command,
// which the provider vouches for; the command's exit status and a
// forwarded signal come back.
func TestExecEndToEnd(t *testing.T) {
	wfNeedSh(t)
	p, m, prof := wfProviderLogin(t, oidctest.Options{PollInterval: time.Second})

	o, out, _ := wfExecOptions(m, "sh", "-c", `printf '%s' "$AUTHDECK_TOKEN"; exit 3`)
	o.Profile = prof.Name
	if err := execRun(context.Background(), o); wfExit(err) != 3 {
		t.Fatalf("err = %v, want exit status 3", err)
	}
	if out.Len() == 0 || out.String() == "stale-from-parent" || !p.Active(t, out.String()) {
		t.Errorf("the command did not get an active token from the provider")
	}

	o, _, _ = wfExecOptions(m, "sh", "-c", `trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done`)
	o.Profile = prof.Name
	res := wfStartExec(t, o)
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	if err := wfWaitExec(t, res); wfExit(err) != 42 {
		t.Errorf("err = %v, want 42 from the child's SIGTERM trap", err)
	}
}

// TestExecBinarySignals runs the built authdeck binary: signals sent to it
// from outside reach the command, and the process exits with the command's
// status (or 128+N when the signal killed it).
func TestExecBinarySignals(t *testing.T) {
	wfNeedSh(t)
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "authdeck")
	build := exec.Command("go", "build", "-o", bin, "../cmd/authdeck")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building authdeck: %v\n%s", err, b)
	}
	tf := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tf, []byte("tok-from-file\n"), 0o600)
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		arg  string
		want int
	}{
		{"SIGINT trapped", syscall.SIGINT, `trap 'exit 41' INT; echo ready; while :; do sleep 0.05; done`, 41},
		{"SIGTERM trapped", syscall.SIGTERM, `trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done`, 42},
		{"SIGHUP trapped", syscall.SIGHUP, `trap 'exit 43' HUP; echo ready; while :; do sleep 0.05; done`, 43},
		{"SIGTERM kills", syscall.SIGTERM, `echo ready; exec sleep 30`, 143},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := exec.Command(bin, "--token-file", tf, "exec", "--env", "TOK", "--", "sh", "-c", tc.arg)
			c.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AUTHDECK_CONFIG_DIR=" + t.TempDir()}
			// Its own process group: not the terminal's foreground group even
			// when the tests run in one, so the signal counts as sent by kill.
			c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			stdout, _ := c.StdoutPipe()
			var stderr strings.Builder
			c.Stderr = &stderr
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			line, _ := bufio.NewReader(stdout).ReadString('\n')
			if strings.TrimSpace(line) != "ready" {
				c.Process.Kill()
				c.Wait()
				t.Fatalf("no ready line: %q, stderr %q", line, stderr.String())
			}
			c.Process.Signal(tc.sig)
			done := make(chan error, 1)
			go func() { done <- c.Wait() }()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				c.Process.Kill()
				t.Fatal("authdeck exec did not exit")
			}
			if got := c.ProcessState.ExitCode(); got != tc.want {
				t.Errorf("exit code %d, want %d (stderr %q)", got, tc.want, stderr.String())
			}
		})
	}
	// The token reaches the command through the environment, and the exit
	// status comes back.
	out, err := exec.Command(bin, "--token-file", tf, "exec", "--", "sh", "-c", `printf %s "$AUTHDECK_TOKEN"; exit 5`).Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 5 || string(out) != "tok-from-file" {
		t.Errorf("got %q, %v; want the token and exit 5", out, err)
	}
}
