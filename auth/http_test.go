package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/auth/authtest"
)

func TestCheckURL(t *testing.T) {
	ok := []string{
		"https://example.com", "https://example.com:8443/path?q=1",
		"http://127.0.0.1:8080/x", "http://127.5.6.7/", "http://[::1]:9000/", "http://localhost/", "http://LOCALHOST:1/",
		"HTTPS://EXAMPLE.COM/",
	}
	insecure := []string{
		"http://example.com/", "http://10.0.0.1/", "http://[::2]/", "http://localhost.evil.example/",
		"http://127.0.0.1.nip.io/", "http://0.0.0.0/",
	}
	bad := []string{"", "example.com", "/token", "ftp://example.com/", "javascript:alert(1)", "https://", "https://user:pw@example.com/", "https://exa mple.com/", "file:///etc/passwd"}
	for _, u := range ok {
		if err := auth.CheckURL(u); err != nil {
			t.Errorf("CheckURL(%q) = %v, want nil", u, err)
		}
	}
	for _, u := range insecure {
		if err := auth.CheckURL(u); !errors.Is(err, auth.ErrInsecureURL) {
			t.Errorf("CheckURL(%q) = %v, want ErrInsecureURL", u, err)
		}
	}
	for _, u := range bad {
		err := auth.CheckURL(u)
		if err == nil || errors.Is(err, auth.ErrInsecureURL) {
			t.Errorf("CheckURL(%q) = %v, want a non-insecure error", u, err)
		}
	}
	if err := auth.CheckURL("https://user:hunter2@example.com/"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error leaks the password: %v", err)
	}
}

// rawServer answers every request with h.
func rawServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func rawClient(s *httptest.Server) *auth.Client {
	u := s.URL
	return &auth.Client{HTTP: s.Client(), ClientID: "cid", Endpoints: auth.Endpoints{
		DeviceAuthURL: u + "/device", TokenURL: u + "/token", RevocationURL: u + "/revoke",
		UserInfoURL: u + "/userinfo", IntrospectionURL: u + "/introspect",
	}}
}

func TestTokenResponseValidation(t *testing.T) {
	cases := []struct {
		name, ctype, body string
		status            int
		want              string // substring of the error; "" for success
		transient         bool
	}{
		{"lower-case bearer", "application/json", `{"access_token":"a","token_type":"bearer","expires_in":60}`, 200, "", false},
		{"no token_type", "application/json", `{"access_token":"a"}`, 200, "", false},
		{"string expires_in", "application/json", `{"access_token":"a","token_type":"Bearer","expires_in":"3599"}`, 200, "", false},
		{"form-encoded", "application/x-www-form-urlencoded", `access_token=a&token_type=bearer&scope=repo`, 200, "", false},
		{"missing access_token", "application/json", `{"token_type":"Bearer"}`, 200, "without an access_token", false},
		{"mac token", "application/json", `{"access_token":"a","token_type":"mac"}`, 200, `type "mac"`, false},
		{"bad expires_in", "application/json", `{"access_token":"a","expires_in":"soon"}`, 200, "expires_in", false},
		{"not JSON", "application/json", `{"access_token":`, 200, "not a token response", false},
		{"HTML 200", "text/html", `<html><body>Sign in</body></html>`, 200, "web page", true},
		{"HTML without type", "", `<!DOCTYPE html><html></html>`, 404, "web page", true},
		{"500 text", "text/plain", `oops`, 500, "HTTP 500", true},
		{"503 json error", "application/json", `{"error":"temporarily_unavailable"}`, 503, "temporarily_unavailable", true},
		{"404 text", "text/plain", `not found`, 404, "HTTP 404 without an OAuth error", false},
		{"github error with 200", "application/json", `{"error":"incorrect_client_credentials","error_description":"The client_id and/or client_secret passed are incorrect."}`, 200, "incorrect_client_credentials", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.ctype != "" {
					w.Header().Set("Content-Type", tc.ctype)
				}
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			})
			tok, err := rawClient(s).Refresh(ctxT(t), "rt")
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tok.AccessToken != "a" || tok.TokenType != "Bearer" || tok.RefreshToken != "rt" {
					t.Fatalf("tok = %+v", tok)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
			var te *auth.TransientError
			if errors.As(err, &te) != tc.transient {
				t.Fatalf("transient = %v, want %v (err %v)", !tc.transient, tc.transient, err)
			}
		})
	}
}

func TestBodyCap(t *testing.T) {
	s := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"` + strings.Repeat("a", auth.MaxBodyBytes) + `"}`))
	})
	_, err := rawClient(s).Refresh(ctxT(t), "rt")
	if !errors.Is(err, auth.ErrBodyTooLarge) {
		t.Fatalf("err = %v, want ErrBodyTooLarge", err)
	}
	// exactly at the cap is fine
	s2 := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		head := `{"access_token":"a","pad":"`
		w.Write([]byte(head + strings.Repeat("p", auth.MaxBodyBytes-len(head)-2) + `"}`))
	})
	if _, err := rawClient(s2).Refresh(ctxT(t), "rt"); err != nil {
		t.Fatalf("body of exactly MaxBodyBytes: %v", err)
	}
}

func TestTimeoutIsTransient(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{})
	c := srv.Client()
	c.Timeout = 50 * time.Millisecond
	srv.Inject(authtest.PathToken, authtest.Stall(10*time.Second))
	start := time.Now()
	_, err := c.Refresh(ctxT(t), srv.IssueToken(0).RefreshToken)
	var te *auth.TransientError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Fatalf("err = %v, want a transient timeout", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the timeout did not bound the request")
	}
}

func TestDroppedConnectionIsTransient(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{})
	c := srv.Client()
	tok := srv.IssueToken(0)
	// warm a keep-alive connection, then have the server drop the next one
	if _, err := c.UserInfo(ctxT(t), tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	srv.Inject(authtest.PathRevoke, authtest.Drop())
	err := c.Revoke(ctxT(t), tok.AccessToken, "access_token")
	var te *auth.TransientError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want *TransientError", err)
	}
	if !srv.Active(tok.AccessToken) {
		t.Fatal("the dropped request revoked the token")
	}
	if err := c.Revoke(ctxT(t), tok.AccessToken, "access_token"); err != nil {
		t.Fatalf("retry: %v", err)
	}
}

func TestCancelledContextIsNotTransient(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{})
	c := srv.Client()
	srv.Inject(authtest.PathToken, authtest.Stall(10*time.Second))
	ctx, cancel := contextWithCancelAfter(ctxT(t), 50*time.Millisecond)
	defer cancel()
	_, err := c.Refresh(ctx, "rt")
	var te *auth.TransientError
	if errors.As(err, &te) || !errors.Is(err, contextCanceled) {
		t.Fatalf("err = %v, want context.Canceled and not transient", err)
	}
}

func TestRedirectToPlainHTTPRefused(t *testing.T) {
	s := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://example.invalid/userinfo", http.StatusFound)
	})
	_, err := rawClient(s).UserInfo(ctxT(t), "at")
	if !errors.Is(err, auth.ErrInsecureURL) {
		t.Fatalf("err = %v, want ErrInsecureURL", err)
	}
}

func TestInsecureEndpointRefused(t *testing.T) {
	c := &auth.Client{ClientID: "x", Endpoints: auth.Endpoints{TokenURL: "http://example.invalid/token"}}
	if _, err := c.Refresh(ctxT(t), "rt"); !errors.Is(err, auth.ErrInsecureURL) {
		t.Fatalf("err = %v", err)
	}
}

func TestErrorsDoNotLeakSecrets(t *testing.T) {
	s := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
	})
	c := rawClient(s)
	c.ClientSecret = "s3cret-value"
	c.Endpoints.TokenURL += "?key=query-secret"
	_, err := c.Refresh(ctxT(t), "refresh-secret")
	if err == nil {
		t.Fatal("no error")
	}
	for _, secret := range []string{"s3cret-value", "refresh-secret", "query-secret"} {
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error %q contains %q", err, secret)
		}
	}
}

// TestClientSecretFunc: a secret supplied on demand is sent like a fixed
// one, is asked for only by requests that authenticate the client, and its
// failure fails the request before anything is sent.
func TestClientSecretFunc(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{ClientSecret: "s3cr3t"})
	c := srv.Client()
	c.ClientSecret = ""
	calls := 0
	c.ClientSecretFunc = func(context.Context) (string, error) { calls++; return "s3cr3t", nil }
	tok := srv.IssueToken(0)
	if _, err := c.UserInfo(ctxT(t), tok.AccessToken); err != nil || calls != 0 {
		t.Fatalf("userinfo: %v (secret asked %d times, want 0)", err, calls)
	}
	if _, err := c.Refresh(ctxT(t), tok.RefreshToken); err != nil || calls != 1 {
		t.Fatalf("refresh with the secret from the func: %v (asked %d times)", err, calls)
	}
	before := srv.RefreshCount()
	c.ClientSecretFunc = func(context.Context) (string, error) { return "", errors.New("keyring locked") }
	if _, err := c.Refresh(ctxT(t), "rt"); err == nil || !strings.Contains(err.Error(), "keyring locked") {
		t.Fatalf("err = %v, want the func's error", err)
	}
	if srv.RefreshCount() != before {
		t.Fatal("a request was sent without the secret")
	}
	c.ClientSecretFunc = func(context.Context) (string, error) { return "wrong", nil }
	c.ClientSecret = "s3cr3t" // a fixed secret wins
	if _, err := c.Refresh(ctxT(t), srv.IssueToken(0).RefreshToken); err != nil {
		t.Fatalf("fixed secret: %v", err)
	}
}
