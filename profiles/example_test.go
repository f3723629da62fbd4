package profiles_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/profiles"
	"golang.org/x/oauth2"
)

// fakeIssuer is a tiny authorization server on 127.0.0.1 for the example:
// a device flow that approves every code on the first poll, refresh
// tokens, and a userinfo endpoint for the tokens it issued. It returns the
// server and its endpoints. In a program of your own, the server's Issuer
// is your provider's (its metadata gives the endpoints).
func fakeIssuer() (*httptest.Server, auth.Endpoints) {
	var mu sync.Mutex
	issued := map[string]bool{}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("POST /device", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"device_code": "dc", "user_code": "ABCD-EFGH",
			"verification_uri": srv.URL + "/activate", "expires_in": 600, "interval": 1})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
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
	return srv, auth.Endpoints{DeviceAuthURL: srv.URL + "/device", TokenURL: srv.URL + "/token", UserInfoURL: srv.URL + "/userinfo"}
}

// A host application opens a Manager with its own identity, adds a server,
// saves a login and then asks for tokens: Token refreshes (under a
// cross-process lock) and persists them as needed. The login here comes
// from fakeIssuer on 127.0.0.1, which approves it by itself; the secrets
// live in memory instead of the OS keyring.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, endpoints := fakeIssuer()
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
	s, err := m.AddServer(ctx, profiles.Server{Name: "home", Endpoints: endpoints,
		ClientID: "acme-cli", Scopes: []string{"openid", "offline_access"}})
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
