package auth_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/devserver"
)

// Discover reads an issuer's metadata (RFC 8414, then OpenID Connect
// Discovery). Here the issuer is authdeck's built-in dev server on
// 127.0.0.1 (internal/devserver, which only this module can import; the
// same server runs as `authdeck devserver`). In a program of your own,
// pass your provider's issuer URL instead.
func ExampleDiscover() {
	ctx := context.Background()
	srv, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ep, err := auth.Discover(ctx, nil, srv.Issuer())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.TrimPrefix(ep.DeviceAuthURL, srv.Issuer()))
	fmt.Println(strings.TrimPrefix(ep.TokenURL, srv.Issuer()))
	// Output:
	// /oauth/device_authorization
	// /oauth/token
}

// The device flow: StartDevice asks for a code to show the user, WaitDevice
// polls (at the server's interval, through slow_down and transient
// failures) until the user approves or denies it in a browser. The dev
// server approves this one by itself after a moment.
func ExampleClient_WaitDevice() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Options{Interval: time.Second, AutoApprove: 100 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	c := &auth.Client{ClientID: srv.ClientID(), Scopes: srv.Scopes(), Endpoints: srv.Endpoints()}
	dc, err := c.StartDevice(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("open", strings.TrimPrefix(dc.VerificationURI, srv.Issuer()), "and enter a code of", len(dc.UserCode), "characters")

	tok, err := c.WaitDevice(ctx, dc, func(a auth.Attempt) {
		// Called after every poll: a.Err is ErrAuthorizationPending,
		// *SlowDownError, *TransientError... or nil on success.
	})
	if err != nil {
		log.Fatal(err)
	}
	id, err := c.UserInfo(ctx, tok.AccessToken)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signed in as", id.Display(), "with a refresh token:", tok.RefreshToken != "")
	// Output:
	// open /device and enter a code of 9 characters
	// signed in as alice with a refresh token: true
}
