package cmd

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/auth/authtest"
	"github.com/authdeck/authdeck/profiles"
	"github.com/authdeck/authdeck/tui"
	"github.com/spf13/cobra"
)

// stubPrompter answers Confirm with its answers in order and records the
// questions.
type stubPrompter struct {
	answers   []bool
	questions []string
}

func (p *stubPrompter) Confirm(ctx context.Context, msg string, def bool) (bool, error) {
	p.questions = append(p.questions, msg)
	if len(p.answers) == 0 {
		return def, nil
	}
	a := p.answers[0]
	p.answers = p.answers[1:]
	return a, nil
}

// tuiCall records a RunTUI call.
type tuiCall struct {
	called bool
	opt    tui.Options
}

// testEnv is a factory over Test() streams, a temp config dir, in-memory
// secrets and a map environment.
type testEnv struct {
	f          *factory
	in         *bytes.Buffer
	out, err   *bytes.Buffer
	env        map[string]string
	secrets    *profiles.MemSecrets
	dir        string
	prompt     *stubPrompter
	tui        *tuiCall
	tuiResult  tui.Result
	tuiErr     error
	browsed    []string
	srv        *authtest.Server
	canBrowser bool
}

func newTestEnv(t *testing.T, srv *authtest.Server) *testEnv {
	t.Helper()
	ios, in, out, errb := testStreams()
	e := &testEnv{in: in, out: out, err: errb, env: map[string]string{}, secrets: profiles.NewMemSecrets(),
		dir: t.TempDir(), prompt: &stubPrompter{}, tui: &tuiCall{}, srv: srv}
	getenv := func(k string) string { return e.env[k] }
	f := &factory{AppName: "authdeck", Version: "1.2.3", IO: ios, Getenv: getenv, Now: time.Now,
		Cwd: func() (string, error) { return e.dir, nil }}
	f.ConfigDir = func() (string, error) { return e.dir, nil }
	var m *profiles.Manager
	f.Profiles = func() (*profiles.Manager, error) {
		if m != nil {
			return m, nil
		}
		app := authdeckApp(e.dir, getenv)
		app.Secrets = e.secrets
		if srv != nil {
			app.HTTPClient = srv.HTTPClient()
		}
		var err error
		m, err = profiles.Open(app)
		return m, err
	}
	f.Prompter = e.prompt
	f.RunTUI = func(ctx context.Context, m *profiles.Manager, opt tui.Options) (tui.Result, error) {
		e.tui.called, e.tui.opt = true, opt
		return e.tuiResult, e.tuiErr
	}
	f.Browser = func(u string) error { e.browsed = append(e.browsed, u); return nil }
	f.CanOpenBrowser = func() bool { return e.canBrowser }
	e.f = f
	return e
}

func (e *testEnv) tty() {
	e.f.IO.SetStdinTTY(true)
	e.f.IO.SetStdoutTTY(true)
	e.f.IO.SetStderrTTY(true)
}

// run runs the full command line and returns the exit code.
func (e *testEnv) run(args string) int {
	root := newRootCmd(e.f)
	root.SetArgs(strings.Fields(args))
	return execute(context.Background(), root, e.f)
}

// runWith runs the command line with sub replacing the top-level command of
// the same name (to inject a runF).
func (e *testEnv) runWith(sub *cobra.Command, args string) error {
	root := newRootCmd(e.f)
	for _, c := range root.Commands() {
		if c.Name() == sub.Name() {
			root.RemoveCommand(c)
		}
	}
	root.AddCommand(sub)
	root.SetArgs(strings.Fields(args))
	_, err := root.ExecuteC()
	return err
}

func (e *testEnv) manager(t *testing.T) *profiles.Manager {
	t.Helper()
	m, err := e.f.Profiles()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// addServer configures the authtest server as "dev" (explicit endpoints, no
// discovery).
func (e *testEnv) addServer(t *testing.T) {
	t.Helper()
	m := e.manager(t)
	err := m.Update(context.Background(), func(c *profiles.Config) error {
		c.Servers = append(c.Servers, profiles.Server{
			Name: "dev", Endpoints: e.srv.Endpoints(), ClientID: "authdeck-test",
			Scopes: strings.Fields(authtest.DefaultScopes),
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// loggedIn stores a login for alice on dev and returns its access token.
func (e *testEnv) loggedIn(t *testing.T, ttl time.Duration) string {
	t.Helper()
	tok := e.srv.IssueToken(ttl)
	m := e.manager(t)
	if _, _, err := m.SaveLogin(context.Background(), "dev", tok, aliceID(), profiles.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

func (e *testEnv) outputs() string { return e.out.String() + e.err.String() }

func aliceID() *auth.Identity { return &auth.Identity{Subject: "sub-alice", Username: "alice"} }
