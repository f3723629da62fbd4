package cmd

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/profiles"
	"github.com/spf13/cobra"
	"golang.org/x/oauth2"
)

// selectedHost is a host that mounts only the commands named.
func selectedHost(t *testing.T, cmds ...Command) (run func(args ...string) (int, string), k *Kit) {
	t.Helper()
	errb := &hostBuffer{}
	k, err := New(Host{Name: "acme", ConfigDir: t.TempDir(), Stderr: errb, Secrets: profiles.NewMemSecrets()})
	if err != nil {
		t.Fatal(err)
	}
	return func(args ...string) (int, string) {
		errb.Reset()
		root := &cobra.Command{Use: "acme"}
		root.AddCommand(k.Commands(cmds...)...)
		root.SetArgs(args)
		return k.Execute(context.Background(), root), errb.String()
	}, k
}

// TestKitCommandsPicked: a host gets the commands it names, in its order,
// and nothing else.
func TestKitCommandsPicked(t *testing.T) {
	k, err := New(Host{Name: "acme", ConfigDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range k.Commands(Login, Token, Login) {
		names = append(names, c.Name())
	}
	if strings.Join(names, " ") != "login token" {
		t.Errorf("Commands(Login, Token, Login) = %v, want login token", names)
	}
}

// TestKitHintsOnlyRegisteredCommands: a host with only login and token is
// never told to run a command it does not have (profiles use, servers
// add, revoke); a host with them is.
func TestKitHintsOnlyRegisteredCommands(t *testing.T) {
	absent := []string{"profiles", "servers", "revoke", "logout", "demo"}
	run, k := selectedHost(t, Login, Token)
	var msgs []string
	_, msg := run("token")
	msgs = append(msgs, msg)
	_, msg = run("login", "--server", "nope", "--no-browser")
	msgs = append(msgs, msg)
	_, msg = run("login", "--no-browser")
	msgs = append(msgs, msg)
	_, err := k.TokenSource(context.Background(), "").Token()
	msgs = append(msgs, ErrorMessage(err, "acme"))
	for _, m := range msgs {
		if m == "" {
			t.Fatal("no message")
		}
		for _, a := range absent {
			if strings.Contains(m, "acme "+a) {
				t.Errorf("a host without %q is told to run it: %s", a, m)
			}
		}
	}
	if !strings.Contains(msgs[0], "acme login") {
		t.Errorf("token without a profile does not suggest login, which the host has: %s", msgs[0])
	}

	run, _ = selectedHost(t, Login, Token, Profiles, Servers)
	if _, msg := run("token"); !strings.Contains(msg, "acme profiles use NAME") {
		t.Errorf("a host with profiles is not told about profiles use: %s", msg)
	}
	if _, msg := run("login", "--server", "nope", "--no-browser"); !strings.Contains(msg, "acme servers add") {
		t.Errorf("a host with servers is not told about servers add: %s", msg)
	}
}

// TestKitNotLoggedInHintsOnlyRegisteredCommands: the "sign in again" hint
// of a signed-out profile is written by cmd from the host's commands, so a
// host without login is not told to run it, and one with it is.
func TestKitNotLoggedInHintsOnlyRegisteredCommands(t *testing.T) {
	for _, withLogin := range []bool{false, true} {
		cmds := []Command{Logout, Revoke}
		if withLogin {
			cmds = append(cmds, Login)
		}
		run, k := selectedHost(t, cmds...)
		ctx := context.Background()
		m := k.Manager()
		if _, err := m.AddServer(ctx, profiles.Server{Name: "home", ClientID: "c", Endpoints: auth.Endpoints{TokenURL: "https://127.0.0.1:1/token", RevocationURL: "https://127.0.0.1:1/revoke"}}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.SaveLogin(ctx, "home", &oauth2.Token{AccessToken: "at"}, &auth.Identity{Subject: "s", Username: "alice"}, profiles.SaveOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := m.Logout(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"logout", "--yes"}, {"revoke", "--yes"}} {
			code, msg := run(args...)
			if code != ExitNotLoggedIn || !strings.Contains(msg, "signed out") {
				t.Errorf("%v on a signed-out profile: exit %d, %q", args, code, msg)
			}
			if has := strings.Contains(msg, "acme login --profile alice"); has != withLogin {
				t.Errorf("host with login=%v, %v: %q", withLogin, args, msg)
			}
		}
	}
}

// TestKitExpiredLoginHintsOnlyRegisteredCommands: a token that has expired
// with no refresh token, or a refresh the server refuses, is a typed
// *profiles.NotLoggedInError; cmd words the "sign in again" hint from the
// host's commands, so a host without login is not told to run it.
func TestKitExpiredLoginHintsOnlyRegisteredCommands(t *testing.T) {
	for _, withLogin := range []bool{false, true} {
		cmds := []Command{Token}
		if withLogin {
			cmds = append(cmds, Login)
		}
		run, k := selectedHost(t, cmds...)
		ctx := context.Background()
		m := k.Manager()
		if _, err := m.AddServer(ctx, profiles.Server{Name: "home", ClientID: "c", Endpoints: auth.Endpoints{TokenURL: "https://127.0.0.1:1/token"}}); err != nil {
			t.Fatal(err)
		}
		expired := &oauth2.Token{AccessToken: "at", Expiry: time.Now().Add(-time.Hour)}
		if _, _, err := m.SaveLogin(ctx, "home", expired, &auth.Identity{Subject: "s", Username: "alice"}, profiles.SaveOptions{}); err != nil {
			t.Fatal(err)
		}
		code, msg := run("token")
		if code != ExitNotLoggedIn || !strings.Contains(msg, "no refresh token") {
			t.Errorf("token of an expired login without a refresh token: exit %d, %q", code, msg)
		}
		if has := strings.Contains(msg, "login"); has != withLogin {
			t.Errorf("host with login=%v: %q", withLogin, msg)
		}
		if withLogin && !strings.Contains(msg, "`acme login --profile alice`") {
			t.Errorf("host with login is not told to run it: %q", msg)
		}
		_, err := m.Token(ctx, "alice", profiles.TokenOptions{})
		var nl *profiles.NotLoggedInError
		if !errors.As(err, &nl) || nl.Profile != "alice" || strings.Contains(err.Error(), "login") {
			t.Errorf("Token's error %v is not a *NotLoggedInError without a hint", err)
		}
	}
}

// TestErrorsGoMatchesNoMessages: cmd/errors.go words errors by their type,
// never by searching their text.
func TestErrorsGoMatchesNoMessages(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if x, ok := sel.X.(*ast.Ident); ok && x.Name == "strings" {
			switch sel.Sel.Name {
			case "Contains", "HasPrefix", "HasSuffix", "CutSuffix", "CutPrefix", "Index", "EqualFold":
				t.Errorf("errors.go calls strings.%s: errors are worded by type, not text", sel.Sel.Name)
			}
		}
		return true
	})
}
