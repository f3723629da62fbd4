package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/oidctest"
)

// runIn runs authdeck in dir (not the config dir) and returns its stdout.
func (s *sandbox) runIn(dir string, args ...string) result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := s.command(ctx, args...)
	c.Dir = dir
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatal(err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// TestDirectoryFileChoosesProfile: an .authdeck file in a parent directory
// chooses the profile for commands run below it (token, whoami, status says
// which file chose it) once `profiles trust` trusted it, and not after it
// changed; AUTHDECK_PROFILE and --profile still win. One naming an unknown
// profile fails token but not status.
func TestDirectoryFileChoosesProfile(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	s := newSandbox(t)
	s.addServer(p)
	s.loginJSON(func(code string) { p.ApproveAs(t, code, "alice") }, "--insecure-storage")
	s.loginJSON(func(code string) { p.ApproveAs(t, code, "bob") }, "--insecure-storage", "--profile", "bob")
	aliceTok := s.token("--profile", "alice")
	bobTok := s.token("--profile", "bob")
	if aliceTok == bobTok {
		t.Fatal("two logins gave the same token")
	}

	proj := t.TempDir()
	nested := filepath.Join(proj, "src", "pkg")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proj, ".authdeck"), []byte("bob\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	if r := s.runIn(outside, "token"); r.code != 0 || strings.TrimSpace(r.stdout) != aliceTok {
		t.Errorf("token outside the project: want alice's (active) token; %s", r)
	}
	// Not trusted yet: ignored, with one warning line naming the file and
	// the trust command, for token and status alike.
	for _, args := range [][]string{{"token"}, {"status"}} {
		r := s.runIn(nested, args...)
		if r.code != 0 || strings.Count(r.stderr, "WARNING:") != 1 || !strings.Contains(r.stderr, filepath.Join(proj, ".authdeck")) || !strings.Contains(r.stderr, "profiles trust "+proj) {
			t.Errorf("%s under an untrusted .authdeck: want success and one warning naming it and `profiles trust`; %s", args[0], r)
		}
		if args[0] == "token" && strings.TrimSpace(r.stdout) != aliceTok {
			t.Errorf("token under an untrusted .authdeck: want alice's (active) token; %s", r)
		}
	}
	if r := s.runIn(nested, "profiles", "trust"); r.code != 0 || !strings.Contains(r.stderr, "profile bob") {
		t.Fatalf("profiles trust in the project: %s", r)
	}
	if r := s.runIn(nested, "token"); r.code != 0 || strings.TrimSpace(r.stdout) != bobTok {
		t.Errorf("token in a nested directory of a project whose .authdeck names bob: %s", r)
	}
	r := s.runIn(nested, "whoami", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"bob"`) {
		t.Errorf("whoami in the project: %s", r)
	}
	r = s.runIn(nested, "status", "--json")
	var st struct {
		Selected string `json:"selected"`
		ChosenBy string `json:"chosen_by"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.Selected != "bob" || !strings.Contains(st.ChosenBy, filepath.Join(proj, ".authdeck")) {
		t.Errorf("status --json in the project: selected %q chosen by %q (%v)\n%s", st.Selected, st.ChosenBy, err, r)
	}
	if r := s.with("AUTHDECK_PROFILE=alice").runIn(nested, "token"); strings.TrimSpace(r.stdout) != aliceTok {
		t.Errorf("AUTHDECK_PROFILE=alice in the project: want alice's token; %s", r)
	}
	if r := s.runIn(nested, "token", "--profile", "alice"); strings.TrimSpace(r.stdout) != aliceTok {
		t.Errorf("--profile alice in the project: want alice's token; %s", r)
	}
	if err := os.WriteFile(filepath.Join(proj, ".authdeck"), []byte("nobody\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := s.runIn(nested, "token"); r.code != 0 || strings.TrimSpace(r.stdout) != aliceTok || !strings.Contains(r.stderr, "changed since you trusted it") {
		t.Errorf("an .authdeck changed after it was trusted: want alice's token and a warning; %s", r)
	}
	if r := s.runIn(proj, "profiles", "trust", ".authdeck"); r.code != 0 || !strings.Contains(r.stderr, "no profile nobody yet") {
		t.Errorf("trusting an .authdeck naming an unknown profile: want success and a note; %s", r)
	}
	if r := s.runIn(nested, "token"); r.code == 0 || !strings.Contains(r.stderr, "nobody") || !strings.Contains(r.stderr, ".authdeck") {
		t.Errorf("an .authdeck naming an unknown profile: want an error naming it and the file; %s", r)
	}
	// status still lists the profiles, with one warning line.
	if r := s.runIn(nested, "status"); r.code != 0 || !strings.Contains(r.stdout, "alice") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "nobody") {
		t.Errorf("status under an .authdeck naming an unknown profile: want the list and one warning line; %s", r)
	}
	if r := s.runIn(nested, "profiles", "untrust"); r.code != 0 || !strings.Contains(r.stderr, "No longer trusted") {
		t.Errorf("profiles untrust: %s", r)
	}
	if r := s.runIn(nested, "token"); r.code != 0 || strings.TrimSpace(r.stdout) != aliceTok {
		t.Errorf("token after untrust: want alice's token; %s", r)
	}
}
