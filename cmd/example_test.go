package cmd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/authdeck/authdeck/cmd"
	"github.com/authdeck/authdeck/profiles"
	"github.com/spf13/cobra"
	"golang.org/x/oauth2"
)

// fakeIssuer is a tiny authorization server on 127.0.0.1 for the examples:
// a device flow that approves every code on the first poll, refresh tokens,
// and a userinfo endpoint that answers for the tokens it issued. A real
// host points its DefaultServer at its own identity provider instead (an
// Issuer is enough when the provider publishes OpenID metadata).
func fakeIssuer() (*httptest.Server, *profiles.Server) {
	var mu sync.Mutex
	n := 0
	issued := map[string]bool{}
	tokens := func(w http.ResponseWriter) {
		mu.Lock()
		n++
		access := "access-" + strconv.Itoa(n)
		issued[access] = true
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": access, "token_type": "Bearer",
			"expires_in": 3600, "refresh_token": "refresh-" + strconv.Itoa(n)})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /device", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"device_code": "dc", "user_code": "ABCD-EFGH",
			"verification_uri": "https://id.example.com/device", "expires_in": 600, "interval": 1})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) { tokens(w) })
	mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ok := issued[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		mu.Unlock()
		if !ok {
			http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"sub":"alice","preferred_username":"alice"}`)
	})
	srv := httptest.NewServer(mux)
	home := &profiles.Server{Name: "home", ClientID: "acme-cli"}
	home.DeviceAuthURL, home.TokenURL, home.UserInfoURL = srv.URL+"/device", srv.URL+"/token", srv.URL+"/userinfo"
	return srv, home
}

// A host CLI called acme embeds authdeck: its identity goes into a Host,
// New returns its Kit, the Kit's commands go under acme's own root, and
// acme's API calls use the Kit's HTTP client, which sends the signed-in
// profile's token and refreshes it as needed. The default server here is
// fakeIssuer, which approves logins by itself.
func ExampleNew() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, home := fakeIssuer()
	defer srv.Close()
	dir, err := os.MkdirTemp("", "acme-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	kit, err := cmd.New(cmd.Host{
		Name:          "acme", // ACME_TOKEN, ACME_PROFILE, ACME_CONFIG_DIR, keyring service "acme"
		ConfigDir:     dir,
		DefaultServer: home,
		Getenv:        func(string) string { return "" }, // a real CLI passes os.Getenv (and Getwd: os.Getwd)
		Stdout:        os.Stdout,
		Stderr:        io.Discard,               // a real CLI passes os.Stderr
		Secrets:       profiles.NewMemSecrets(), // nil: the OS keyring
	})
	if err != nil {
		log.Fatal(err)
	}

	root := &cobra.Command{Use: "acme"}
	root.AddCommand(kit.Commands()...)
	root.SetArgs([]string{"login", "--no-browser"})
	if code := kit.Execute(ctx, root); code != 0 {
		log.Fatalf("login: exit %d", code)
	}

	resp, err := kit.HTTPClient(ctx, "").Get(srv.URL + "/userinfo")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println("API call:", resp.Status)

	root.SetArgs([]string{"logout", "--yes"})
	fmt.Println("logout exit code:", kit.Execute(ctx, root))
	_, err = kit.HTTPClient(ctx, "").Get(srv.URL + "/userinfo")
	fmt.Println("after logout:", cmd.ExitCode(err) == cmd.ExitNotLoggedIn)
	// Output:
	// API call: 200 OK
	// logout exit code: 0
	// after logout: true
}

// Commands are fresh on every call, ready to mount under the host's root.
func ExampleKit_Commands() {
	kit, err := cmd.New(cmd.Host{Name: "acme", ConfigDir: os.TempDir()})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range kit.Commands() {
		fmt.Println(c.Name())
	}
	// Output:
	// login
	// logout
	// whoami
	// token
	// profiles
	// revoke
	// status
}

// Kit.TokenSource is an oauth2.TokenSource: anything built on
// golang.org/x/oauth2 takes it. It gives the signed-in profile's access
// token, refreshing it (and storing the new tokens) when it is about to
// expire; before any login it fails with profiles.ErrNotLoggedIn.
func ExampleKit_TokenSource() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, home := fakeIssuer()
	defer srv.Close()
	dir, err := os.MkdirTemp("", "acme-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	kit, err := cmd.New(cmd.Host{Name: "acme", ConfigDir: dir, DefaultServer: home, Secrets: profiles.NewMemSecrets()})
	if err != nil {
		log.Fatal(err)
	}

	_, err = kit.TokenSource(ctx, "").Token()
	fmt.Println("before login:", cmd.ExitCode(err) == cmd.ExitNotLoggedIn)

	root := &cobra.Command{Use: "acme"}
	root.AddCommand(kit.Commands()...)
	root.SetArgs([]string{"login", "--no-browser"})
	if code := kit.Execute(ctx, root); code != 0 {
		log.Fatalf("login: exit %d", code)
	}

	ts := kit.TokenSource(ctx, "")
	tok, err := ts.Token()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token:", tok.Type(), tok.Valid())
	// oauth2.NewClient is another way to an authenticated client; prefer
	// Kit.HTTPClient, which also refuses plain HTTP to remote hosts.
	resp, err := oauth2.NewClient(ctx, ts).Get(srv.URL + "/userinfo")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println("API call:", resp.Status)
	// Output:
	// before login: true
	// token: Bearer true
	// API call: 200 OK
}

// Kit.HTTPClient sends no token over plain HTTP except to loopback. The
// host's token variable (ACME_TOKEN here) overrides the stored token, as
// for the token command.
func ExampleKit_HTTPClient() {
	kit, err := cmd.New(cmd.Host{Name: "acme", ConfigDir: os.TempDir(),
		Getenv: func(k string) string { return map[string]string{"ACME_TOKEN": "t0k3n"}[k] }})
	if err != nil {
		log.Fatal(err)
	}
	_, err = kit.HTTPClient(context.Background(), "").Get("http://api.example.com/")
	fmt.Println(err != nil)
	req, _ := http.NewRequest("GET", "https://api.example.com/", nil)
	tok, _ := kit.TokenSource(context.Background(), "").Token()
	tok.SetAuthHeader(req)
	fmt.Println(req.Header.Get("Authorization"))
	// Output:
	// true
	// Bearer t0k3n
}

// Kit.RunTUI runs the full-screen account manager (profiles, servers, live
// device-code login, whoami) on the host's terminal, for example when the
// host's root command is run with no arguments. It needs the process's
// terminal as the host's streams, so this example is not run by go test.
func ExampleKit_RunTUI() {
	kit, err := cmd.New(cmd.Host{
		Name:   "acme",
		Title:  "Acme accounts",
		Getenv: os.Getenv, Getwd: os.Getwd, Environ: os.Environ,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
	})
	if err != nil {
		log.Fatal(err)
	}
	root := &cobra.Command{
		Use: "acme",
		RunE: func(c *cobra.Command, _ []string) error {
			return kit.RunTUI(c.Context()) // fails with a hint when not on a terminal
		},
	}
	root.AddCommand(kit.Commands()...)
	os.Exit(kit.Execute(context.Background(), root))
}
