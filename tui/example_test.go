package tui_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/authdeck/authdeck/profiles"
	"github.com/authdeck/authdeck/tui"
)

// Run shows the account manager for a profiles.Manager: here acme's, with
// its configuration under the user's configuration directory, on the
// process's terminal (Input and Output are required: the library never
// takes the process's streams by itself). It takes over the terminal until
// the user quits, so this example is not run by go test. (A host using package cmd calls Kit.RunTUI instead, which
// builds the manager from its Host.)
func ExampleRun() {
	base, err := os.UserConfigDir()
	if err != nil {
		log.Fatal(err)
	}
	m, err := profiles.Open(profiles.App{
		Name:           "acme",
		ConfigDir:      filepath.Join(base, "acme"),
		KeyringService: "acme",
		EnvToken:       "ACME_TOKEN",
		EnvProfile:     "ACME_PROFILE",
		Getenv:         os.Getenv,
	})
	if err != nil {
		log.Fatal(err)
	}
	res, err := tui.Run(context.Background(), m, tui.Options{Start: tui.ScreenAccounts, Title: "Acme accounts",
		Input: os.Stdin, Output: os.Stdout, Getenv: os.Getenv})
	switch {
	case errors.Is(err, tui.ErrCancelled):
		fmt.Println("cancelled")
	case err != nil:
		log.Fatal(err)
	case res.LoggedIn != nil:
		fmt.Println("signed in as profile", res.LoggedIn.Name)
	}
}

// With ScreenLogin, Run goes straight to the live device-code login for
// one configured server (with its endpoints, as Manager.AddServer saved
// it) and returns the saved profile, or ErrCancelled when the user leaves
// first.
func ExampleRun_login() {
	ctx := context.Background()
	base, err := os.UserConfigDir()
	if err != nil {
		log.Fatal(err)
	}
	m, err := profiles.Open(profiles.App{Name: "acme", ConfigDir: filepath.Join(base, "acme"), Getenv: os.Getenv})
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := m.Load(ctx)
	if err != nil {
		log.Fatal(err)
	}
	srv, ok := cfg.Server("acme")
	if !ok {
		log.Fatal("no server acme is configured")
	}
	res, err := tui.Run(ctx, m, tui.Options{Start: tui.ScreenLogin, Server: srv, Input: os.Stdin, Output: os.Stdout})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signed in as", res.LoggedIn.Name)
}

// Run needs the terminal's streams from its caller: it never takes the
// process's by itself. Options are checked before anything is drawn.
func ExampleOptions() {
	dir, err := os.MkdirTemp("", "acme-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	m, err := profiles.Open(profiles.App{Name: "acme", ConfigDir: dir, Secrets: profiles.NewMemSecrets(), SecretsName: "vault"})
	if err != nil {
		log.Fatal(err)
	}
	_, err = tui.Run(context.Background(), m, tui.Options{Title: "Acme accounts", Hide: []tui.Action{tui.ActionRevoke}})
	fmt.Println(err)

	// Keys can come from any reader and the screen go to any writer (a
	// terminal's *os.File in a real program): here q quits at once.
	res, err := tui.Run(context.Background(), m, tui.Options{Title: "Acme accounts",
		Input: strings.NewReader("q"), Output: io.Discard, Getenv: func(string) string { return "" }})
	fmt.Println("logged in:", res.LoggedIn != nil, "error:", err)
	// Output:
	// tui.Run needs Options.Input and Options.Output: the terminal's streams
	// logged in: false error: <nil>
}
