package cmd_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/authdeck/authdeck/cmd"
	"github.com/authdeck/authdeck/internal/devserver"
	"github.com/authdeck/authdeck/profiles"
	"github.com/spf13/cobra"
)

// A host CLI called acme embeds authdeck: its identity goes into a Host,
// New returns its Kit, the Kit's commands go under acme's own root, and
// acme's API calls use the Kit's HTTP client, which sends the signed-in
// profile's token and refreshes it as needed. The default server here is
// authdeck's dev server on 127.0.0.1, which approves logins by itself.
func ExampleNew() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Options{Interval: time.Second, AutoApprove: 100 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	dir, err := os.MkdirTemp("", "acme-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	home := &profiles.Server{Name: "home", ClientID: srv.ClientID(), Scopes: srv.Scopes()}
	home.Issuer = srv.Issuer() // endpoints are discovered on first login
	kit, err := cmd.New(cmd.Host{
		Name:          "acme", // ACME_TOKEN, ACME_PROFILE, ACME_CONFIG_DIR, keyring service "acme"
		ConfigDir:     dir,
		DefaultServer: home,
		Getenv:        func(string) string { return "" }, // a real CLI passes os.Getenv
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

	resp, err := kit.HTTPClient(ctx, "").Get(srv.Endpoints().UserInfoURL)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println("API call:", resp.Status)

	root.SetArgs([]string{"logout", "--yes"})
	fmt.Println("logout exit code:", kit.Execute(ctx, root))
	_, err = kit.HTTPClient(ctx, "").Get(srv.Endpoints().UserInfoURL)
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

// Kit.HTTPClient sends no token over plain HTTP except to loopback.
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
