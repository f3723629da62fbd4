package apicheck

import (
	"path/filepath"
	"strings"
	"testing"
)

// libraries are the packages other Go programs embed.
var libraries = []string{"auth", "profiles", "tui", "cmd"}

func libDir(t *testing.T, pkg string) string {
	t.Helper()
	dir := filepath.Join("..", "..", pkg)
	if !exists(dir) {
		t.Fatalf("%s not found from %s", pkg, dir)
	}
	return dir
}

// TestExportedIdentifiersDocumented fails on any exported identifier of
// the library packages without a doc comment.
func TestExportedIdentifiersDocumented(t *testing.T) {
	for _, pkg := range libraries {
		found, err := Undocumented(libDir(t, pkg))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range found {
			t.Errorf("undocumented: %s", f)
		}
	}
}

// allowedProcessUses are the only places where the library may touch the
// process: the binary's entry point, and the constructor of the process's
// streams that only it calls. Every other entry is a known gap, named with
// what closes it.
var allowedProcessUses = map[string]string{
	"cmd Main os.Stdin":   "the binary's entry point hands the process to New",
	"cmd Main os.Stdout":  "the binary's entry point hands the process to New",
	"cmd Main os.Stderr":  "the binary's entry point hands the process to New",
	"cmd Main os.Getenv":  "the binary's entry point hands the process to New",
	"tui Run os.Stdout":   "GAP: clipboard OSC 52 goes to os.Stdout; needs tui.Options.Output (Bubble Tea's output too)",
	"cmd Main os.Environ": "the binary's entry point hands the process to New",
}

// TestNoProcessAccess fails when a library package writes to os.Stdout or
// os.Stderr, reads os.Stdin or the environment, exits, or logs through the
// standard logger, outside the allowed places.
func TestNoProcessAccess(t *testing.T) {
	seen := map[string]bool{}
	for _, pkg := range libraries {
		found, err := ProcessUses(libDir(t, pkg))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range found {
			key := pkg + " " + f.Func + " " + f.What
			if _, ok := allowedProcessUses[key]; ok {
				seen[key] = true
				continue
			}
			t.Errorf("%s: a library must not use %s; take it from the Host (streams, Getenv, Logger) instead", f, f.What)
		}
	}
	for key, why := range allowedProcessUses {
		if !seen[key] && strings.HasPrefix(why, "GAP") {
			t.Logf("allowed gap no longer present, remove it from the list: %s", key)
		}
	}
}

// TestChecksFindProblems runs the checks on a package made to fail them,
// so that a check that finds nothing is not mistaken for a clean tree.
func TestChecksFindProblems(t *testing.T) {
	dir := filepath.Join("testdata", "bad")
	und, err := Undocumented(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range und {
		names = append(names, f.What)
	}
	want := "type Bare,func Naked,method Bare.Method,const Loose,var Global"
	if strings.Join(names, ",") != want {
		t.Errorf("Undocumented = %q, want %q", strings.Join(names, ","), want)
	}
	uses, err := ProcessUses(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range uses {
		got = append(got, f.Func+":"+f.What)
	}
	wantUses := "Naked:os.Stdout,Naked:os.Getenv,Naked:fmt.Println,Naked:os.Exit,Bare.Method:log.Printf"
	if strings.Join(got, ",") != wantUses {
		t.Errorf("ProcessUses = %q, want %q", strings.Join(got, ","), wantUses)
	}
}
