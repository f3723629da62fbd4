package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestNoTerminalQueryOnStart: on a terminal that never answers colour
// queries (a pseudo-terminal from script(1)), plain commands write no
// escape sequence and do not wait for an answer: Bubble Tea v1 would
// otherwise send an OSC 11 background query at start-up and wait for it
// (internal/termbg).
func TestNoTerminalQueryOnStart(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("script(1) (util-linux) is needed for this test")
		}
		t.Skip("no script(1)")
	}
	s := newSandbox(t)
	for _, args := range []string{"--version", "status", "token"} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		c := exec.CommandContext(ctx, script, "-qfec", bin+" "+args, "/dev/null")
		c.Env = s.env
		c.Dir = s.dir
		c.Stdin = nil
		out, _ := c.Output()
		cancel()
		if strings.Contains(string(out), "\x1b") {
			t.Errorf("authdeck %s on a terminal wrote an escape sequence: %q", args, out)
		}
		if len(out) == 0 {
			t.Errorf("authdeck %s on a terminal wrote nothing", args)
		}
	}
}
