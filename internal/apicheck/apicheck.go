// Package apicheck inspects the source of the library packages (auth,
// profiles, tui, cmd) for what their embedding promise forbids: exported
// identifiers without a doc comment, and direct use of the process's
// streams, environment or exit. Its tests run the checks on the module.
package apicheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Finding is one problem at one place.
type Finding struct {
	// Pos is "dir/file.go:line".
	Pos string
	// Func is the enclosing function ("Main", "(*Kit).Execute"), or "".
	Func string
	// What is the identifier or the call.
	What string
}

// String formats the finding for a test failure.
func (f Finding) String() string {
	if f.Func != "" {
		return fmt.Sprintf("%s: %s (in %s)", f.Pos, f.What, f.Func)
	}
	return fmt.Sprintf("%s: %s", f.Pos, f.What)
}

// parseDir parses the non-test Go files of dir.
func parseDir(dir string) (*token.FileSet, []*ast.File, error) {
	fset := token.NewFileSet()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(names)
	var files []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, parser.ParseComments)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("no Go files in %s", dir)
	}
	return fset, files, nil
}

func pos(fset *token.FileSet, p token.Pos) string {
	at := fset.Position(p)
	return fmt.Sprintf("%s/%s:%d", filepath.Base(filepath.Dir(at.Filename)), filepath.Base(at.Filename), at.Line)
}

// Undocumented returns the exported package-level identifiers of dir's
// package (types, functions, methods of exported types, constants,
// variables) that have no doc comment. A constant or variable in a
// parenthesised group counts as documented by its own comment, a trailing
// line comment, or the group's comment.
func Undocumented(dir string) ([]Finding, error) {
	fset, files, err := parseDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Finding
	miss := func(p token.Pos, what string) { out = append(out, Finding{Pos: pos(fset, p), What: what}) }
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() || d.Doc != nil {
					continue
				}
				if d.Recv != nil {
					recv := receiverType(d.Recv)
					if !ast.IsExported(recv) {
						continue
					}
					miss(d.Pos(), "method "+recv+"."+d.Name.Name)
					continue
				}
				miss(d.Pos(), "func "+d.Name.Name)
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() && s.Doc == nil && d.Doc == nil {
							miss(s.Pos(), "type "+s.Name.Name)
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() && s.Doc == nil && s.Comment == nil && d.Doc == nil {
								miss(n.Pos(), d.Tok.String()+" "+n.Name)
							}
						}
					}
				}
			}
		}
	}
	return out, nil
}

func receiverType(fl *ast.FieldList) string {
	if fl == nil || len(fl.List) == 0 {
		return ""
	}
	t := fl.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.IndexExpr:
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// forbidden are the selectors a library package must not use: the
// process's streams, environment and exit, and the standard logger (hosts
// pass a *slog.Logger). os.UserConfigDir and os.UserHomeDir read the
// environment too.
var forbidden = map[string]map[string]bool{
	"os": {"Stdout": true, "Stderr": true, "Stdin": true, "Exit": true, "Getenv": true, "LookupEnv": true,
		"Environ": true, "Setenv": true, "Unsetenv": true, "UserConfigDir": true, "UserHomeDir": true, "UserCacheDir": true},
	"log": {"Print": true, "Printf": true, "Println": true, "Fatal": true, "Fatalf": true, "Fatalln": true,
		"Panic": true, "Panicf": true, "Panicln": true, "Default": true, "SetOutput": true},
	"fmt": {"Print": true, "Printf": true, "Println": true},
}

// ProcessUses returns every use in dir's package of the process's streams,
// environment or exit, or of the standard logger, with the function it is
// in. The file's import names are honoured (an import renamed or a local
// variable called os is not confused with the package).
func ProcessUses(dir string) ([]Finding, error) {
	fset, files, err := parseDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, f := range files {
		local := map[string]string{} // local name -> import path
		for _, im := range f.Imports {
			path := strings.Trim(im.Path.Value, `"`)
			name := path[strings.LastIndex(path, "/")+1:]
			if im.Name != nil {
				name = im.Name.Name
			}
			local[name] = path
		}
		for _, d := range f.Decls {
			fn := ""
			if fd, ok := d.(*ast.FuncDecl); ok {
				fn = fd.Name.Name
				if r := receiverType(fd.Recv); r != "" {
					fn = r + "." + fn
				}
			}
			ast.Inspect(d, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				id, ok := sel.X.(*ast.Ident)
				if !ok || id.Obj != nil { // a local variable, not a package
					return true
				}
				path, ok := local[id.Name]
				if !ok || !forbidden[path][sel.Sel.Name] {
					return true
				}
				out = append(out, Finding{Pos: pos(fset, sel.Pos()), Func: fn, What: path + "." + sel.Sel.Name})
				return true
			})
		}
	}
	return out, nil
}

// exists reports whether dir is there (for callers given relative paths).
func exists(dir string) bool {
	st, err := os.Stat(dir)
	return err == nil && st.IsDir()
}
