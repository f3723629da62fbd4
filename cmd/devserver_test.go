package cmd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/devserver"
)

// TestDevServerServesUntilCancelled starts the real dev server through the
// command, signs in to it with our device-flow client while it runs, and
// stops it as Ctrl-C would.
func TestDevServerServesUntilCancelled(t *testing.T) {
	ios, _, out, errb := testStreams()
	users := filepath.Join(t.TempDir(), "users.toml")
	if err := os.WriteFile(users, []byte("[[users]]\nlogin = \"carol\"\nname = \"Carol Danvers\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var issuer string
	var loginErr error
	var who *auth.Identity
	o := &devServerOptions{
		IO: ios, AppName: "authdeck", Start: devserver.Start,
		Addr: "127.0.0.1:0", Interval: time.Second, CodeTTL: time.Minute, AccessTTL: time.Hour, UsersFile: users,
		Ready: func(srv *devserver.Server) {
			issuer = srv.Issuer()
			defer cancel() // Ctrl-C once the login is done
			ep, err := auth.Discover(ctx, nil, srv.Issuer())
			if err != nil {
				loginErr = err
				return
			}
			c := &auth.Client{ClientID: srv.ClientID(), Endpoints: ep, Scopes: srv.Scopes()}
			dc, err := c.StartDevice(ctx)
			if err != nil {
				loginErr = err
				return
			}
			if err := srv.Approve(dc.UserCode, "carol"); err != nil {
				loginErr = err
				return
			}
			tok, err := c.WaitDevice(ctx, dc, nil)
			if err != nil {
				loginErr = err
				return
			}
			who, loginErr = c.UserInfo(ctx, tok.AccessToken)
		},
	}
	if err := devServerRun(ctx, o); err != nil {
		t.Fatalf("dev-server stopped by cancel: %v, want nil (exit 0)", err)
	}
	if loginErr != nil || who == nil || who.Username != "carol" {
		t.Fatalf("signing in to the dev server as carol: identity %+v, error %v", who, loginErr)
	}
	if !strings.HasPrefix(issuer, "http://127.0.0.1:") {
		t.Errorf("issuer %q is not on loopback", issuer)
	}
	stdout := out.String()
	for _, want := range []string{
		"Issuer:            " + issuer + "\n",
		"Client ID:         " + devserver.DefaultClientID + "\n",
		"Verification page: " + issuer + "/device\n",
		"Users:             carol\n",
		"authdeck login --server " + issuer + " --client-id " + devserver.DefaultClientID + "\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	logs := errb.String()
	if !strings.Contains(logs, "dev server started") || !strings.Contains(logs, "Stopped.") {
		t.Errorf("stderr lacks the server's log lines:\n%s", logs)
	}
	// The server is gone once the command returned.
	if _, err := auth.Discover(context.Background(), nil, issuer); err == nil {
		t.Errorf("the dev server still answers after the command returned")
	}
}

func TestDevServerBadInput(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "users.json")
	if err := os.WriteFile(bad, []byte(`{"users": [{"name": "no login"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ args, want string }{
		{"dev-server --interval 0s", "--interval must be at least 1s"},
		{"dev-server --code-ttl 10ms", "--code-ttl must be at least 1s"},
		{"dev-server --addr 0.0.0.0:0", "loopback only"},
		{"dev-server --addr nonsense", "not host:port"},
		{"dev-server --users " + bad, "login"},
		{"dev-server --users " + filepath.Join(t.TempDir(), "missing.toml"), "reading users"},
	} {
		e := newTestEnv(t, nil)
		if code := e.run(tc.args); code != ExitError {
			t.Errorf("%s: exit %d, want 1", tc.args, code)
		}
		if !strings.Contains(e.err.String(), tc.want) {
			t.Errorf("%s: stderr %q lacks %q", tc.args, e.err.String(), tc.want)
		}
		if e.out.Len() != 0 {
			t.Errorf("%s: printed on stdout: %q", tc.args, e.out.String())
		}
	}
}

func TestDevServerFlagsReachOptions(t *testing.T) {
	e := newTestEnv(t, nil)
	var got *devServerOptions
	c := newCmdDevServer(e.f, func(o *devServerOptions) error { got = o; return nil })
	if err := e.runWith(c, "dev-server --addr 127.0.0.1:8123 --interval 3s --code-ttl 2m --access-ttl 90s --users u.toml"); err != nil {
		t.Fatal(err)
	}
	if got.Addr != "127.0.0.1:8123" || got.Interval != 3*time.Second || got.CodeTTL != 2*time.Minute ||
		got.AccessTTL != 90*time.Second || got.UsersFile != "u.toml" {
		t.Errorf("options = %+v", got)
	}
	// The defaults are the dev server's.
	c = newCmdDevServer(e.f, func(o *devServerOptions) error { got = o; return nil })
	if err := e.runWith(c, "dev-server"); err != nil {
		t.Fatal(err)
	}
	if got.Addr != devserver.DefaultAddr || got.Interval != devserver.DefaultInterval || got.CodeTTL != devserver.DefaultCodeTTL || got.AccessTTL != devserver.DefaultAccessTTL {
		t.Errorf("default options = %+v", got)
	}
}
