package profiles_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/devserver"
	"github.com/authdeck/authdeck/profiles"
	"golang.org/x/oauth2"
)

// A host application opens a Manager with its own identity, adds a server,
// saves a login and then asks for tokens: Token refreshes (under a
// cross-process lock) and persists them as needed. The login here comes
// from authdeck's dev server on 127.0.0.1, which approves it by itself
// (internal/devserver, which only this module can import; in a program of
// your own the Issuer is your provider's); the secrets live in memory
// instead of the OS keyring.
func Example() {
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

	m, err := profiles.Open(profiles.App{
		Name:           "acme",
		ConfigDir:      dir,
		KeyringService: "acme",
		EnvToken:       "ACME_TOKEN",
		EnvProfile:     "ACME_PROFILE",
		Getenv:         func(string) string { return "" }, // or os.Getenv
		Secrets:        profiles.NewMemSecrets(),          // nil: the OS keyring
	})
	if err != nil {
		log.Fatal(err)
	}
	s, err := m.AddServer(ctx, profiles.Server{Name: "home", Endpoints: auth.Endpoints{Issuer: srv.Issuer()},
		ClientID: srv.ClientID(), Scopes: srv.Scopes()})
	if err != nil {
		log.Fatal(err)
	}

	// The device flow itself is auth's (see auth.Client.WaitDevice).
	c := m.Client(s)
	dc, err := c.StartDevice(ctx)
	if err != nil {
		log.Fatal(err)
	}
	tok, err := c.WaitDevice(ctx, dc, nil)
	if err != nil {
		log.Fatal(err)
	}
	id, err := c.UserInfo(ctx, tok.AccessToken)
	if err != nil {
		log.Fatal(err)
	}
	p, _, err := m.SaveLogin(ctx, s.Name, tok, id, profiles.SaveOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("saved profile", p.Name, "for", p.Account())

	res, err := m.Token(ctx, "", profiles.TokenOptions{MinTTL: 5 * time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token of", res.Profile, "from", res.Source, "refreshed:", res.Refreshed)

	// For an HTTP client, TokenSource caches the token between requests.
	hc := oauth2.NewClient(ctx, m.TokenSource(ctx, "", profiles.DefaultMinTTL))
	resp, err := hc.Get(s.UserInfoURL)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println("userinfo:", resp.Status)

	if err := m.Logout(ctx, p.Name); err != nil {
		log.Fatal(err)
	}
	_, err = m.Token(ctx, "", profiles.TokenOptions{})
	fmt.Println("after logout:", errors.Is(err, profiles.ErrNotLoggedIn))
	// Output:
	// saved profile alice for alice
	// token of alice from keyring refreshed: false
	// userinfo: 200 OK
	// after logout: true
}
