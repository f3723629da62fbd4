package devserver

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadUsers(t *testing.T) {
	want := []User{{Login: "carol", Name: "Carol", Email: "carol@example.org"}, {Login: "dave"}}
	for name, content := range map[string]string{
		"users.json":  `{"users": [{"login": "carol", "name": "Carol", "email": "carol@example.org"}, {"login": "dave"}]}`,
		"array.json":  `[{"login": "carol", "name": "Carol", "email": "carol@example.org"}, {"login": "dave"}]`,
		"users.toml":  "[[users]]\nlogin = \"carol\"\nname = \"Carol\"\nemail = \"carol@example.org\"\n\n[[users]]\nlogin = \"dave\"\n",
		"sniffed":     "[[users]]\nlogin = \"carol\"\nname = \"Carol\"\nemail = \"carol@example.org\"\n[[users]]\nlogin = \"dave\"\n",
		"sniffed-obj": ` {"users":[{"login":"carol","name":"Carol","email":"carol@example.org"},{"login":"dave"}]}`,
	} {
		got, err := LoadUsers(writeFile(t, name, content))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("%s: %+v", name, got)
		}
	}
}

func TestLoadUsersErrors(t *testing.T) {
	for _, c := range []struct{ name, content, want string }{
		{"bad.json", "{\n  \"users\": [\n    {\"login\": \"a\",}\n  ]\n}", "line 3"},
		{"type.json", "{\"users\": [\n{\"login\": 5}]}", `"users.login" should be a string`},
		{"unknown.json", `{"users": [{"login": "a", "role": "admin"}]}`, `unknown field "role"`},
		{"bad.toml", "[[users]]\nlogin = \"a\"\nname = \n", "line 3"},
		{"unknown.toml", "[[users]]\nlogin = \"a\"\nrole = \"admin\"\n", `unknown key "users.role"`},
		{"empty.toml", "", "lists no users"},
		{"empty.json", "", "empty"},
		{"nologin.toml", "[[users]]\nname = \"A\"\n", "user 1 has no login"},
		{"badlogin.toml", "[[users]]\nlogin = \"Al ice\"\n", `login "Al ice" must be`},
		{"dup.toml", "[[users]]\nlogin = \"a\"\n[[users]]\nlogin = \"a\"\n", `user 2: login "a" appears twice`},
		{"mail.toml", "[[users]]\nlogin = \"a\"\nemail = \"not-an-email\"\n", "is not an email address"},
		{"ctrl.toml", "[[users]]\nlogin = \"a\"\nname = \"A\\u001b[31m\"\n", "line 3: user 1 (a): the name contains the control character U+001B"},
		{"c1.toml", "[[users]]\nlogin = \"a\"\n\n[[users]]\nlogin = \"b\"\nname = \"B\\u009b31m\"\n", "line 6: user 2 (b): the name contains the control character U+009B"},
		{"rlo.json", "{\"users\": [\n{\"login\": \"a\",\n \"name\": \"evil\u202egnp.exe\"}]}", "line 3: user 1 (a): the name contains the control character U+202E"},
		{"rlo-escaped.json", "{\"users\": [\n{\"login\": \"a\", \"name\": \"x\\u202Ey\"}]}", "line 2: user 1 (a): the name contains the control character U+202E"},
		{"zwsp-email.toml", "[[users]]\nlogin = \"a\"\nemail = \"a\u200b@example.com\"\n", "line 3: user 1 (a): the email contains the control character U+200B"},
	} {
		p := writeFile(t, c.name, c.content)
		_, err := LoadUsers(p)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v, want one naming the file and saying %q", c.name, err, c.want)
		}
	}
	if _, err := LoadUsers(filepath.Join(t.TempDir(), "missing.toml")); err == nil || !strings.Contains(err.Error(), "missing.toml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestStartValidatesOptions(t *testing.T) {
	for _, c := range []struct {
		opt  Options
		want string
	}{
		{Options{Addr: "0.0.0.0:0"}, "loopback only"},
		{Options{Addr: "example.com:80"}, "loopback only"},
		{Options{Addr: ":0"}, "loopback only"},
		{Options{Addr: "127.0.0.1"}, "not host:port"},
		{Options{Interval: -time.Second}, "interval must not be negative"},
		{Options{CodeTTL: -1}, "code TTL must not be negative"},
		{Options{AutoApprove: -1}, "auto-approve"},
		{Options{Users: []User{{Login: "x y"}}}, `login "x y"`},
		{Options{ClientID: "a b"}, "client id"},
	} {
		s, err := Start(context.Background(), c.opt)
		if err == nil {
			s.Close()
			t.Errorf("%+v: started", c.opt)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.opt, err, c.want)
		}
	}
}

func TestIntervalRoundedUpAndLocalhost(t *testing.T) {
	s := start(t, Options{Addr: "localhost:0", Interval: 1500 * time.Millisecond, CodeTTL: 90500 * time.Millisecond})
	if !strings.HasPrefix(s.Issuer(), "http://127.0.0.1:") {
		t.Errorf("issuer %q", s.Issuer())
	}
	da := deviceAuth(t, s)
	if da["interval"] != 2.0 || da["expires_in"] != 91.0 {
		t.Errorf("interval %v expires_in %v, want 2 and 91 (rounded up)", da["interval"], da["expires_in"])
	}
}

func TestStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(s.Issuer(), "http://")
	if resp, err := httpClient.Get(s.DeviceURL()); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	cancel()
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("server did not stop when its context ended")
	}
	if err := s.Wait(); err != nil {
		t.Errorf("Wait: %v", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("still listening after stop")
	}
	if _, err := (&http.Client{Timeout: time.Second}).Get(s.DeviceURL()); err == nil {
		t.Error("still answering after stop")
	}
	s.Close() // idempotent
}
