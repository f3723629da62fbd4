// Package apicheck inspects the source of the library packages (auth,
// profiles, tui, cmd, and the internal packages they import) for what
// their embedding promise forbids: exported identifiers, struct fields
// and interface methods without a doc comment, and use of the process's
// streams, environment, working directory or exit. Its tests run the
// checks on the module.
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

// Undocumented returns the exported identifiers of dir's package (types,
// functions, methods of exported types, constants, variables, the
// exported fields of exported struct types and the methods of exported
// interfaces) that have no doc comment. A constant or variable in a
// parenthesised group counts as documented by its own comment, a trailing
// line comment, or the group's comment. A field counts as documented by
// its own comment, a trailing line comment, or the comment of a run of
// fields on consecutive lines that names it ("Stdin, Stdout and Stderr
// are ...").
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
						if !s.Name.IsExported() {
							continue
						}
						if s.Doc == nil && d.Doc == nil {
							miss(s.Pos(), "type "+s.Name.Name)
						}
						for _, m := range undocumentedMembers(fset, s) {
							miss(m.pos, m.what)
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

// member is an undocumented field or interface method.
type member struct {
	pos  token.Pos
	what string
}

// undocumentedMembers returns the exported fields of struct type s, or the
// methods of interface type s, that have no doc comment.
func undocumentedMembers(fset *token.FileSet, s *ast.TypeSpec) []member {
	var list *ast.FieldList
	kind := "field "
	switch t := s.Type.(type) {
	case *ast.StructType:
		list = t.Fields
	case *ast.InterfaceType:
		list, kind = t.Methods, "interface method "
	}
	if list == nil {
		return nil
	}
	var out []member
	var run *ast.CommentGroup // the doc of the run of fields f continues
	prevLine := -1
	for _, f := range list.List {
		line := fset.Position(f.Pos()).Line
		names := fieldNames(f)
		if prevLine < 0 || line != prevLine+1 {
			run = nil
		}
		if f.Doc != nil {
			run = f.Doc
		}
		prevLine = fset.Position(f.End()).Line
		for _, n := range names {
			if !ast.IsExported(n) || f.Doc != nil || f.Comment != nil {
				continue
			}
			if run != nil && mentions(run.Text(), n) {
				continue
			}
			out = append(out, member{pos: f.Pos(), what: kind + s.Name.Name + "." + n})
		}
	}
	return out
}

// fieldNames are the names a field declares: its names, or the type name
// of an embedded field.
func fieldNames(f *ast.Field) []string {
	if len(f.Names) > 0 {
		var out []string
		for _, n := range f.Names {
			out = append(out, n.Name)
		}
		return out
	}
	t := f.Type
	if st, ok := t.(*ast.StarExpr); ok {
		t = st.X
	}
	switch x := t.(type) {
	case *ast.Ident:
		return []string{x.Name}
	case *ast.SelectorExpr:
		return []string{x.Sel.Name}
	}
	return nil
}

// mentions reports whether text has word as a whole word.
func mentions(text, word string) bool {
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) {
		if w == word {
			return true
		}
	}
	return false
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
// process's streams, environment, working directory and exit, the
// standard logger (hosts pass a *slog.Logger), and the helpers that read
// them behind the caller's back: os.UserConfigDir and os.UserHomeDir read
// the environment, exec.LookPath reads PATH, termenv's package-level
// functions query the terminal on os.Stdout and read TERM and NO_COLOR.
var forbidden = map[string]map[string]bool{
	"os": {"Stdout": true, "Stderr": true, "Stdin": true, "Exit": true, "Getenv": true, "LookupEnv": true,
		"Environ": true, "Setenv": true, "Unsetenv": true, "Clearenv": true, "ExpandEnv": true,
		"UserConfigDir": true, "UserHomeDir": true, "UserCacheDir": true, "Getwd": true, "Chdir": true},
	"os/exec": {"LookPath": true},
	"log": {"Print": true, "Printf": true, "Println": true, "Fatal": true, "Fatalf": true, "Fatalln": true,
		"Panic": true, "Panicf": true, "Panicln": true, "Default": true, "SetOutput": true},
	"fmt": {"Print": true, "Printf": true, "Println": true},
	"github.com/muesli/termenv": {"HasDarkBackground": true, "ForegroundColor": true, "BackgroundColor": true,
		"ColorProfile": true, "EnvColorProfile": true, "EnvNoColor": true},
	// The default transport takes its proxy from the process's
	// HTTPS_PROXY, HTTP_PROXY and NO_PROXY.
	"net/http": {"DefaultTransport": true, "DefaultClient": true, "ProxyFromEnvironment": true,
		"Get": true, "Head": true, "Post": true, "PostForm": true},
}

// teaPath is Bubble Tea v1's import path.
const teaPath = "github.com/charmbracelet/bubbletea"

// ProcessUses returns every use in dir's package of the process's streams,
// environment, working directory or exit, or of the standard logger, with
// the function it is in (see forbidden). It also reports two calls that
// reach the process implicitly: exec.Command or exec.CommandContext with a
// literal command name without a path separator (which looks it up in the
// process's PATH), an http.Client literal without a Transport (whose
// default takes its proxy from the process's environment), and tea.NewProgram without both tea.WithInput and
// tea.WithOutput (which then reads os.Stdin and writes os.Stdout; given a
// slice of options, the function must call both somewhere). The
// file's import names are honoured (an import renamed or a local variable
// called os is not confused with the package).
func ProcessUses(dir string) ([]Finding, error) {
	fset, files, err := parseDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, f := range files {
		local := importNames(f)
		// pkgSel returns the import path and name of a selector on a
		// package ("" when it is not one).
		pkgSel := func(e ast.Expr) (string, string) {
			sel, ok := e.(*ast.SelectorExpr)
			if !ok {
				return "", ""
			}
			id, ok := sel.X.(*ast.Ident)
			if !ok || id.Obj != nil { // a local variable, not a package
				return "", ""
			}
			return local[id.Name], sel.Sel.Name
		}
		for _, d := range f.Decls {
			fn := ""
			if fd, ok := d.(*ast.FuncDecl); ok {
				fn = fd.Name.Name
				if r := receiverType(fd.Recv); r != "" {
					fn = r + "." + fn
				}
			}
			add := func(p token.Pos, what string) {
				out = append(out, Finding{Pos: pos(fset, p), Func: fn, What: what})
			}
			// teaOpts are the tea.With* options the declaration calls
			// anywhere, for a NewProgram given a slice of options.
			teaOpts := map[string]bool{}
			ast.Inspect(d, func(n ast.Node) bool {
				if c, ok := n.(*ast.CallExpr); ok {
					if p, o := pkgSel(c.Fun); p == teaPath {
						teaOpts[o] = true
					}
				}
				return true
			})
			ast.Inspect(d, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CompositeLit:
					if path, name := pkgSel(n.Type); path == "net/http" && name == "Client" && !hasKey(n, "Transport") {
						add(n.Pos(), "net/http.Client without a Transport") // the default's proxy comes from the process's environment
					}
				case *ast.SelectorExpr:
					if path, name := pkgSel(n); forbidden[path][name] {
						add(n.Pos(), path+"."+name)
					}
				case *ast.CallExpr:
					path, name := pkgSel(n.Fun)
					switch {
					case path == "os/exec" && (name == "Command" || name == "CommandContext"):
						arg := 0
						if name == "CommandContext" {
							arg = 1
						}
						if len(n.Args) > arg {
							if lit, ok := n.Args[arg].(*ast.BasicLit); ok && lit.Kind == token.STRING && !strings.ContainsAny(lit.Value, `/\`) {
								add(n.Pos(), "os/exec."+name+"("+lit.Value+") looks in PATH")
							}
						}
					case path == teaPath && name == "NewProgram":
						opts := map[string]bool{}
						for _, a := range n.Args {
							if c, ok := a.(*ast.CallExpr); ok {
								if p, o := pkgSel(c.Fun); p == teaPath {
									opts[o] = true
								}
							}
						}
						if n.Ellipsis.IsValid() {
							opts = teaOpts // options built into a slice in the same function
						}
						if !opts["WithInput"] || !opts["WithOutput"] {
							add(n.Pos(), "bubbletea.NewProgram without WithInput and WithOutput")
						}
					}
				}
				return true
			})
		}
	}
	return out, nil
}

// hasKey reports whether the composite literal sets field key.
func hasKey(lit *ast.CompositeLit, key string) bool {
	for _, e := range lit.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok && id.Name == key {
				return true
			}
		}
	}
	return false
}

// importNames maps the names a file uses for its imports to their paths.
func importNames(f *ast.File) map[string]string {
	local := map[string]string{}
	for _, im := range f.Imports {
		path := strings.Trim(im.Path.Value, `"`)
		name := path[strings.LastIndex(path, "/")+1:]
		switch {
		case im.Name != nil:
			name = im.Name.Name
		case path == teaPath:
			name = "tea" // the package's name is tea
		case strings.HasPrefix(name, "v") && strings.Count(path, "/") > 2 && isDigits(name[1:]):
			prev := path[:strings.LastIndex(path, "/")]
			name = prev[strings.LastIndex(prev, "/")+1:] // .../foo/v2 is package foo
		}
		local[name] = path
	}
	return local
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ModulePath reads the module path from the go.mod in root.
func ModulePath(root string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", fmt.Errorf("%s/go.mod has no module line", root)
}

// InternalDeps returns the module's internal packages (as paths relative
// to root, such as "internal/textsafe") that the packages in dirs (also
// relative to root) import, directly or through each other, from their
// non-test files, sorted. They are part of the library as much as the
// packages that import them.
func InternalDeps(root string, dirs []string) ([]string, error) {
	mod, err := ModulePath(root)
	if err != nil {
		return nil, err
	}
	prefix := mod + "/internal/"
	seen := map[string]bool{}
	var out []string
	queue := append([]string(nil), dirs...)
	for len(queue) > 0 {
		dir := queue[0]
		queue = queue[1:]
		_, files, err := parseDir(filepath.Join(root, dir))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			for _, im := range f.Imports {
				path := strings.Trim(im.Path.Value, `"`)
				if !strings.HasPrefix(path, prefix) {
					continue
				}
				rel := strings.TrimPrefix(path, mod+"/")
				if seen[rel] {
					continue
				}
				seen[rel] = true
				out = append(out, rel)
				queue = append(queue, rel)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// exists reports whether dir is there (for callers given relative paths).
func exists(dir string) bool {
	st, err := os.Stat(dir)
	return err == nil && st.IsDir()
}
