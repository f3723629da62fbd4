package apicheck

import (
	"path/filepath"
	"strings"
	"testing"
)

// libraries are the packages other Go programs embed.
var libraries = []string{"auth", "profiles", "tui", "cmd"}

// root is the module's root, from this package's directory.
var root = filepath.Join("..", "..")

func libDir(t *testing.T, pkg string) string {
	t.Helper()
	dir := filepath.Join(root, pkg)
	if !exists(dir) {
		t.Fatalf("%s not found from %s", pkg, dir)
	}
	return dir
}

// libraryPackages are the libraries and the internal packages they import,
// which run inside the host's process as much as the libraries do.
func libraryPackages(t *testing.T) []string {
	t.Helper()
	deps, err := InternalDeps(root, libraries)
	if err != nil {
		t.Fatal(err)
	}
	return append(append([]string(nil), libraries...), deps...)
}

// TestExportedIdentifiersDocumented fails on any exported identifier of
// the library packages without a doc comment, struct fields and interface
// methods included.
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

// TestInternalDepsFollowsImports: the internal packages the libraries
// import are scanned too, transitively, and test-only helpers are not.
func TestInternalDepsFollowsImports(t *testing.T) {
	deps, err := InternalDeps(root, libraries)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(deps, " ")
	for _, want := range []string{"internal/textsafe", "internal/execenv", "internal/secretfile"} {
		if !strings.Contains(got, want) {
			t.Errorf("InternalDeps = %q, lacks %s (imported by the libraries)", got, want)
		}
	}
	for _, not := range []string{"internal/oidctest", "internal/keyringtest", "internal/apicheck"} {
		if strings.Contains(got, not) {
			t.Errorf("InternalDeps = %q, has %s (only tests import it)", got, not)
		}
	}
}

// allowedProcessUses are the only places where the library may touch the
// process: the binary's entry point, which hands the process to New, and
// a few uses that look like it but are not, each with its reason. An
// entry whose reason starts with GAP is a known gap, named with what
// closes it.
var allowedProcessUses = map[string]string{
	"cmd Main os.Stdin":   "the binary's entry point hands the process to New",
	"cmd Main os.Stdout":  "the binary's entry point hands the process to New",
	"cmd Main os.Stderr":  "the binary's entry point hands the process to New",
	"cmd Main os.Getenv":  "the binary's entry point hands the process to New",
	"cmd Main os.Getwd":   "the binary's entry point hands the process to New",
	"cmd Main os.Environ": "the binary's entry point hands the process to New",

	"cmd demoFollow net/http.Client without a Transport":      "the demo only calls its own server on loopback, which ProxyFromEnvironment never proxies",
	"cmd Host.authClient net/http.Client without a Transport": "a nil Transport is set to hostproxy.Transport (proxy from Host.Getenv) right after",
	"internal/hostproxy Transport net/http.DefaultTransport":  "cloned for its settings; its Proxy is replaced by one reading the host's Getenv",
}

// TestNoProcessAccess fails when a library package (or an internal
// package it imports) writes to os.Stdout or os.Stderr, reads os.Stdin,
// the environment or the working directory, looks a command up in the
// process's PATH, runs Bubble Tea on the process's terminal, leaves the
// HTTP proxy to the process's environment, exits, or logs through the
// standard logger, outside the allowed places.
func TestNoProcessAccess(t *testing.T) {
	seen := map[string]bool{}
	for _, pkg := range libraryPackages(t) {
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
			t.Errorf("%s: a library must not use %s; take it from the Host (streams, Getenv, Getwd, Environ, Logger) instead", f, f.What)
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
	want := "type Bare,field Bare.Field,func Naked,method Bare.Method,const Loose,var Global," +
		"field Options.Bare,field Options.Stringer,interface method Store.Put"
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
	wantUses := "Naked:os.Stdout,Naked:os.Getenv,Naked:fmt.Println,Naked:os.Exit,Bare.Method:log.Printf," +
		"Implicit:os.Getwd,Implicit:os/exec.LookPath," + `Implicit:os/exec.Command("xdg-open") looks in PATH,` +
		"Implicit:bubbletea.NewProgram without WithInput and WithOutput,Implicit:github.com/muesli/termenv.HasDarkBackground," +
		"OptionSlice:bubbletea.NewProgram without WithInput and WithOutput," +
		"HTTP:net/http.Client without a Transport,HTTP:net/http.DefaultTransport,HTTP:net/http.Get"
	if strings.Join(got, ",") != wantUses {
		t.Errorf("ProcessUses = %q, want %q", strings.Join(got, ","), wantUses)
	}
}
