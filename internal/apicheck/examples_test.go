package apicheck

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// exampleFiles are the example files of the libraries and of examples/,
// by directory.
func exampleFiles(t *testing.T) map[string][]*ast.File {
	t.Helper()
	fset := token.NewFileSet()
	files := map[string][]*ast.File{}
	for _, top := range append(append([]string(nil), libraries...), "examples") {
		err := filepath.WalkDir(libDir(t, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(d.Name(), "example_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
			if err != nil {
				return err
			}
			files[filepath.Dir(path)] = append(files[filepath.Dir(path)], f)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// TestExamplesImportNoInternalPackage: the examples are meant to be
// copied into other modules, which cannot import this module's internal/
// packages.
func TestExamplesImportNoInternalPackage(t *testing.T) {
	for dir, files := range exampleFiles(t) {
		for _, f := range files {
			for _, imp := range f.Imports {
				p, err := strconv.Unquote(imp.Path.Value)
				if err != nil {
					t.Fatal(err)
				}
				if p == "internal" || strings.HasPrefix(p, "internal/") || strings.Contains(p, "/internal/") || strings.HasSuffix(p, "/internal") {
					t.Errorf("an example in %s imports %s, which another module cannot: copy what it needs into the example", dir, p)
				}
			}
		}
	}
}

// TestEveryLibraryHasRunnableExample: each library package has an example
// that go test runs and checks (one with an Output comment).
func TestEveryLibraryHasRunnableExample(t *testing.T) {
	files := exampleFiles(t)
	for _, lib := range libraries {
		runnable := false
		for _, ex := range doc.Examples(files[libDir(t, lib)]...) {
			runnable = runnable || ex.Output != "" || ex.EmptyOutput
		}
		if !runnable {
			t.Errorf("package %s has no runnable example (an Example function with an // Output: comment)", lib)
		}
	}
}
