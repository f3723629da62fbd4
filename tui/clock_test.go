package tui

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authdeck/authdeck/profiles"
	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/oauth2"
)

// Update takes the time from its messages: it never reads the clock, and
// countdowns are computed from the time a message carries, whatever the
// clock says.
func TestUpdateReadsTimeFromMessages(t *testing.T) {
	fx := newFixture(1)
	var reads atomic.Int32
	fx.deps.Now = func() time.Time { reads.Add(1); return t0 }
	m := newModel(context.Background(), fx.deps, Options{}, true)
	reads.Store(0) // the constructor may read it; Update may not

	m, _ = send(m, tea.WindowSizeMsg{Width: 100, Height: 30})
	m, _ = send(m, startLoginMsg{server: testServer()})
	code := testCode()
	m, _ = send(m, deviceCodeMsg{gen: m.login.gen, code: &code, at: t0})
	m, _ = send(m, clockMsg{gen: m.login.gen, at: t0.Add(3 * time.Minute)})
	if v := m.View(); !strings.Contains(v, "7m00s left") {
		t.Fatalf("countdown not from the tick's time (t0+3m, code expires at t0+10m):\n%s", v)
	}
	// A poll due after the code expired fails the login, though the clock
	// still says t0.
	m, _ = send(m, pollDueMsg{gen: m.login.gen, at: t0.Add(11 * time.Minute)})
	if m.login.state != loginFailed || m.login.fail != failExpired {
		t.Fatalf("poll due at t0+11m: state %v fail %v, want expired", m.login.state, m.login.fail)
	}
	m, _ = send(m, press("r")) // try again: a new attempt
	if m.login.state != loginStarting {
		t.Fatalf("retry: state %v", m.login.state)
	}
	m, _ = send(m, press("esc"))
	m, _ = send(m, backMsg{})

	// The token screen: "expires in" counts from when the token was read.
	m, _ = send(m, showTokenMsg{profile: "p0"})
	res := &profiles.TokenResult{Token: &oauth2.Token{AccessToken: "at-x", Expiry: t0.Add(time.Hour)}, Profile: "p0"}
	m, _ = send(m, tokenLoadedMsg{gen: m.token.gen, res: res, at: t0.Add(10 * time.Minute)})
	if v := m.View(); !strings.Contains(v, "Expires: in 50m00s") {
		t.Fatalf("token expiry not from the message's time:\n%s", v)
	}
	m, _ = send(m, accountsClockMsg{at: t0.Add(time.Minute)})
	if !m.accounts.now.Equal(t0.Add(time.Minute)) {
		t.Fatalf("accounts clock: %v", m.accounts.now)
	}
	if n := reads.Load(); n != 0 {
		t.Fatalf("Update read the clock %d time(s)", n)
	}
}

// Every timer's message carries the time the timer fired, not a clock read.
func TestTicksCarryTheirTime(t *testing.T) {
	fired := t0.Add(42 * time.Second)
	fx := newFixture(0)
	fx.deps.Now = func() time.Time { return t0 }
	fx.deps.Tick = func(_ time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
		return func() tea.Msg { return fn(fired) }
	}
	m := newModel(context.Background(), fx.deps, Options{}, true)
	if msg := m.accountsClock()().(accountsClockMsg); !msg.at.Equal(fired) {
		t.Fatalf("accounts clock at %v, want %v", msg.at, fired)
	}
	if msg := clockCmd(m.deps.Tick, 1)().(clockMsg); !msg.at.Equal(fired) {
		t.Fatalf("clock at %v, want %v", msg.at, fired)
	}
	if msg := schedulePoll(m.deps.Tick, m.deps.Now, 1, time.Second)().(pollDueMsg); !msg.at.Equal(fired) {
		t.Fatalf("poll due at %v, want %v", msg.at, fired)
	}
	if msg := schedulePoll(m.deps.Tick, m.deps.Now, 1, 0)().(pollDueMsg); !msg.at.Equal(t0) {
		t.Fatalf("an immediate poll is due at %v, want the clock's %v", msg.at, t0)
	}
}

// No test swaps a package variable of tui: collaborators (clock, timers,
// I/O) come in through deps and Options, so tests can run in parallel and
// nothing leaks from one test to the next.
func TestTestsAssignNoPackageVars(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]bool{}
	var tests []*ast.File
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, "_test.go") {
			tests = append(tests, f)
			continue
		}
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.VAR {
				for _, s := range g.Specs {
					for _, n := range s.(*ast.ValueSpec).Names {
						vars[n.Name] = n.Name != "_"
					}
				}
			}
		}
	}
	if len(vars) == 0 {
		t.Fatal("found no package variables: is the test in the package directory?")
	}
	// root is the variable an assignment writes through (x, x.f, x[i], *x).
	var root func(ast.Expr) *ast.Ident
	root = func(e ast.Expr) *ast.Ident {
		switch e := e.(type) {
		case *ast.Ident:
			return e
		case *ast.SelectorExpr:
			return root(e.X)
		case *ast.IndexExpr:
			return root(e.X)
		case *ast.StarExpr:
			return root(e.X)
		case *ast.ParenExpr:
			return root(e.X)
		}
		return nil
	}
	for _, f := range tests {
		ast.Inspect(f, func(n ast.Node) bool {
			var lhs []ast.Expr
			switch n := n.(type) {
			case *ast.AssignStmt:
				if n.Tok != token.DEFINE {
					lhs = n.Lhs
				}
			case *ast.IncDecStmt:
				lhs = []ast.Expr{n.X}
			}
			for _, e := range lhs {
				// An identifier declared in the test (a shadowing local)
				// has its own Obj; a package variable of another file
				// resolves to none here.
				if id := root(e); id != nil && vars[id.Name] && id.Obj == nil {
					t.Errorf("%s: a test assigns the package variable %s; pass it through deps or Options", fset.Position(id.Pos()), id.Name)
				}
			}
			return true
		})
	}
}
