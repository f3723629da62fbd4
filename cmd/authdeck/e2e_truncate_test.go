package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/oidctest"
)

// TestTruncatedConfigRefused: config.toml cut short where it still parses
// (before its [[profiles]]) is refused by status, token, login and
// logout, with one line naming config.toml.bak and how to put it back;
// neither config.toml nor credentials.json is changed. Putting the backup
// back, as the message says, brings the profile back.
func TestTruncatedConfigRefused(t *testing.T) {
	t.Parallel()
	p := oidctest.Start(t, oidctest.Options{PollInterval: time.Second})
	s := newSandbox(t)
	s.addServer(p)
	s.login(p)
	cfgPath := filepath.Join(s.dir, "config.toml")
	credPath := filepath.Join(s.dir, "credentials.json")
	full, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := os.ReadFile(credPath)
	if err != nil {
		t.Fatal(err)
	}
	cut := full[:bytes.Index(full, []byte("[[profiles]]"))]
	if err := os.WriteFile(cfgPath, cut, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"status"}, {"token"}, {"logout", "--yes"}, {"login", "--no-browser", "--json", "--insecure-storage"}} {
		r := s.run("", args...)
		if r.code == 0 || !strings.Contains(r.stderr, cfgPath+".bak") || !strings.Contains(r.stderr, "cp ") || !strings.Contains(r.stderr, "1 profile") {
			t.Errorf("%s on a cut config: %s\nwant a failure naming %s.bak and how to put it back", strings.Join(args, " "), r, cfgPath)
		}
		if args[0] != "login" && strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%s: the error is not one line: %q", args[0], r.stderr)
		}
		if got, _ := os.ReadFile(cfgPath); !bytes.Equal(got, cut) {
			t.Fatalf("%s rewrote the cut config.toml:\n%s", args[0], got)
		}
		if got, _ := os.ReadFile(credPath); !bytes.Equal(got, creds) {
			t.Fatalf("%s changed credentials.json", args[0])
		}
	}
	bak, err := os.ReadFile(cfgPath + ".bak")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, bak, 0o600); err != nil {
		t.Fatal(err)
	}
	if rows, _ := s.status(); len(rows) != 1 || rows[0].Profile != "alice" {
		t.Fatalf("status after putting the backup back: %+v", rows)
	}
	if !p.Active(t, s.token()) {
		t.Fatal("the token after putting the backup back is not active")
	}
}
