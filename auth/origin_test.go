package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestUserInfoRedirectToAnotherPortDropsToken: a userinfo endpoint that
// redirects to the same host name on another port does not get the
// Bearer token sent there (Go's client would keep it: same host name).
func TestUserInfoRedirectToAnotherPortDropsToken(t *testing.T) {
	var mu sync.Mutex
	var saw []string
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		saw = append(saw, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"sub":"x"}`))
	}))
	defer hostile.Close()
	ui := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, hostile.URL+"/collect", http.StatusFound)
	}))
	defer ui.Close()
	if !strings.HasPrefix(ui.URL, "http://127.0.0.1:") || !strings.HasPrefix(hostile.URL, "http://127.0.0.1:") {
		t.Fatalf("want both on 127.0.0.1: %s %s", ui.URL, hostile.URL)
	}
	c := &Client{HTTP: &http.Client{Timeout: 10 * time.Second}, ClientID: "c", Endpoints: Endpoints{UserInfoURL: ui.URL + "/userinfo"}}
	_, _ = c.UserInfo(context.Background(), "secret-token")
	mu.Lock()
	defer mu.Unlock()
	if len(saw) != 1 || saw[0] != "" {
		t.Errorf("the redirect target on another port saw Authorization %q, want one request without it", saw)
	}
}
