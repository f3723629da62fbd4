package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/profiles"
)

func wfNeedSh(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("uses sh")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("sh is not installed")
		}
		t.Skip("sh is not installed")
	}
}

// wfExit is the exit code err stands for: the child's status carried by
// exitStatusError, else ExitCode's mapping.
func wfExit(err error) int {
	var es *exitStatusError
	if errors.As(err, &es) {
		return es.Code
	}
	return ExitCode(err)
}

// TestExitStatusPassesThrough: the process exits with the child's status.
// This needs ExitCode (cmd/errors.go) to map *exitStatusError to its Code.
func TestExitStatusPassesThrough(t *testing.T) {
	for _, code := range []int{3, 42, 126, 127, 130, 143} {
		err := fmt.Errorf("wrapped: %w", &exitStatusError{Code: code})
		if got := ExitCode(err); got != code {
			t.Errorf("ExitCode(exit status %d) = %d", code, got)
		}
		if msg := ErrorMessage(err, "authdeck"); msg != "" {
			t.Errorf("ErrorMessage(exit status %d) = %q, want nothing printed", code, msg)
		}
	}
}

func wfExecOptions(m *profiles.Manager, args ...string) (*execOptions, *strings.Builder, *strings.Builder) {
	ios, _, _, _ := testStreams()
	so, se := &strings.Builder{}, &strings.Builder{}
	ios.Out, ios.ErrOut = so, se
	return &execOptions{
		IO:       ios,
		Profiles: func() (*profiles.Manager, error) { return m, nil },
		Cwd:      func() (string, error) { return "/", nil },
		AppName:  "authdeck",
		Environ:  func() []string { return []string{"PATH=" + os.Getenv("PATH"), "AUTHDECK_TOKEN=stale-from-parent"} },
		MinTTL:   defaultMinTTL,
		Args:     args,
	}, so, se
}

func TestExecPassesTokenAndExitCode(t *testing.T) {
	wfNeedSh(t)
	ts := newWFTokenServer(t)
	m := wfManager(t, ts.URL, time.Now().Add(time.Hour), nil)
	o, out, _ := wfExecOptions(m, "sh", "-c", `printf '%s|%s' "$AUTHDECK_TOKEN" "$1"; exit 7`, "sh", "arg one")
	err := execRun(context.Background(), o)
	var es *exitStatusError
	if !errors.As(err, &es) || es.Code != 7 {
		t.Fatalf("err = %v; want exit status 7", err)
	}
	if ErrorMessage(err, "authdeck") != "" {
		t.Errorf("a child's exit status printed a message: %q", ErrorMessage(err, "authdeck"))
	}
	if out.String() != "access-0|arg one" {
		t.Errorf("child saw %q", out)
	}
}

func TestExecRefreshesFirstAndUsesServerEnvVar(t *testing.T) {
	wfNeedSh(t)
	ts := newWFTokenServer(t)
	m := wfManager(t, ts.URL, time.Now().Add(-time.Minute), map[string]string{"_server_env_var": "ACME_TOKEN"})
	o, out, _ := wfExecOptions(m, "sh", "-c", `printf '%s' "$ACME_TOKEN"`)
	if err := execRun(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if out.String() != "access-1" || ts.refreshes.Load() != 1 {
		t.Errorf("child saw %q after %d refreshes; want the refreshed token", out, ts.refreshes.Load())
	}
}

func TestExecEnvFlagAndStdin(t *testing.T) {
	wfNeedSh(t)
	ts := newWFTokenServer(t)
	m := wfManager(t, ts.URL, time.Now().Add(time.Hour), nil)
	o, out, _ := wfExecOptions(m, "sh", "-c", `read line; printf '%s %s %s' "$MY_TOK" "$line" "$AUTHDECK_TOKEN"`)
	o.EnvName = "MY_TOK"
	o.IO.In = strings.NewReader("from-stdin\n")
	if err := execRun(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if out.String() != "access-0 from-stdin stale-from-parent" {
		t.Errorf("child saw %q", out)
	}
}

func TestExecCommandNotFound(t *testing.T) {
	m := wfManager(t, "http://127.0.0.1:1/token", time.Now().Add(time.Hour), nil)
	o, _, errOut := wfExecOptions(m, "authdeck-no-such-command-xyz")
	err := execRun(context.Background(), o)
	if wfExit(err) != 127 || !strings.Contains(errOut.String(), "command not found") {
		t.Fatalf("err = %v (exit %d), stderr %q", err, wfExit(err), errOut)
	}
}

func TestExecNotLoggedIn(t *testing.T) {
	wfNeedSh(t)
	app := profiles.App{Name: "authdeck", ConfigDir: t.TempDir(), Getenv: func(string) string { return "" }, Secrets: profiles.NewMemSecrets()}
	m, _ := profiles.Open(app)
	o, out, _ := wfExecOptions(m, "sh", "-c", "echo ran")
	if err := execRun(context.Background(), o); ExitCode(err) != ExitNotLoggedIn {
		t.Fatalf("err = %v, want exit 4", err)
	}
	if out.Len() != 0 {
		t.Error("the command ran without a token")
	}
}

func TestExecCommandFlags(t *testing.T) {
	ios, _, _, _ := testStreams()
	f := &factory{AppName: "authdeck", IO: ios}
	var got *execOptions
	c := newCmdExec(f, func(o *execOptions) error { got = o; return nil })
	c.SetArgs([]string{"--env", "GH_TOKEN", "gh", "api", "--paginate", "-X", "GET"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.EnvName != "GH_TOKEN" || strings.Join(got.Args, " ") != "gh api --paginate -X GET" {
		t.Errorf("options = %+v", got)
	}
	c = newCmdExec(f, func(o *execOptions) error { got = o; return nil })
	c.SetArgs([]string{"--", "ls", "-l"})
	c.SetOut(io.Discard)
	if err := c.Execute(); err != nil || strings.Join(got.Args, " ") != "ls -l" {
		t.Errorf("args after --: %q %v", got.Args, err)
	}
	c = newCmdExec(f, func(o *execOptions) error { return nil })
	c.SetArgs([]string{"--env", "1BAD", "ls"})
	c.SetOut(io.Discard)
	c.SetErr(io.Discard)
	var fe *flagError
	if err := c.Execute(); !errors.As(err, &fe) {
		t.Errorf("--env 1BAD: err = %v, want a flagError", err)
	}
}

// TestMinTTLFlagMeaning: api and exec leave --min-ttl to the profiles
// default (0) when it is not given, pass a given value on, and take an
// explicit 0 as "no margin" (profiles.NoMinTTL), as token does.
func TestMinTTLFlagMeaning(t *testing.T) {
	ios, _, _, _ := testStreams()
	f := &factory{AppName: "authdeck", IO: ios}
	for _, tt := range []struct {
		args []string
		want time.Duration
	}{
		{nil, 0},
		{[]string{"--min-ttl", "30m"}, 30 * time.Minute},
		{[]string{"--min-ttl", "0"}, profiles.NoMinTTL},
	} {
		var api *apiOptions
		c := newCmdAPI(f, func(o *apiOptions) error { api = o; return nil })
		c.SetArgs(append(append([]string{}, tt.args...), "https://x.example/y"))
		if err := c.Execute(); err != nil || api.MinTTL != tt.want {
			t.Errorf("api %v: MinTTL = %v (err %v), want %v", tt.args, api.MinTTL, err, tt.want)
		}
		var ex *execOptions
		c = newCmdExec(f, func(o *execOptions) error { ex = o; return nil })
		c.SetArgs(append(append([]string{}, tt.args...), "--", "true"))
		if err := c.Execute(); err != nil || ex.MinTTL != tt.want {
			t.Errorf("exec %v: MinTTL = %v (err %v), want %v", tt.args, ex.MinTTL, err, tt.want)
		}
	}
}
