package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/authdeck/authdeck/auth"
)

// fakeIssuer is a tiny authorization server on 127.0.0.1 for the examples:
// metadata (RFC 8414), a device flow that approves every code on the first
// poll, and a userinfo endpoint for the tokens it issued. In a program of
// your own, use your provider's issuer URL instead.
func fakeIssuer() *httptest.Server {
	var mu sync.Mutex
	issued := map[string]bool{}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"issuer": srv.URL, "device_authorization_endpoint": srv.URL + "/oauth/device_authorization",
			"token_endpoint": srv.URL + "/oauth/token", "userinfo_endpoint": srv.URL + "/userinfo"})
	})
	mux.HandleFunc("POST /oauth/device_authorization", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"device_code": "dc", "user_code": "ABCD-EFGH",
			"verification_uri": srv.URL + "/device", "expires_in": 600, "interval": 1})
	})
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		access := fmt.Sprintf("access-%d", len(issued)+1)
		issued[access] = true
		mu.Unlock()
		reply(w, map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600, "refresh_token": "refresh-" + access})
	})
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
	return srv
}

// Discover reads an issuer's metadata (RFC 8414, then OpenID Connect
// Discovery). Here the issuer is fakeIssuer on 127.0.0.1; in a program of
// your own, pass your provider's issuer URL instead.
func ExampleDiscover() {
	ctx := context.Background()
	srv := fakeIssuer()
	defer srv.Close()

	ep, err := auth.Discover(ctx, nil, srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.TrimPrefix(ep.DeviceAuthURL, srv.URL))
	fmt.Println(strings.TrimPrefix(ep.TokenURL, srv.URL))
	// Output:
	// /oauth/device_authorization
	// /oauth/token
}

// The device flow: StartDevice asks for a code to show the user, WaitDevice
// polls (at the server's interval, through slow_down and transient
// failures) until the user approves or denies it in a browser. fakeIssuer
// approves this one on the first poll.
func ExampleClient_WaitDevice() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := fakeIssuer()
	defer srv.Close()

	c := &auth.Client{ClientID: "acme-cli", Scopes: []string{"openid", "offline_access"}, Endpoints: auth.Endpoints{
		DeviceAuthURL: srv.URL + "/oauth/device_authorization", TokenURL: srv.URL + "/oauth/token", UserInfoURL: srv.URL + "/userinfo"}}
	dc, err := c.StartDevice(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("open", strings.TrimPrefix(dc.VerificationURI, srv.URL), "and enter a code of", len(dc.UserCode), "characters")

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
