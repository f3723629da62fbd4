package cmd

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth/authtest"
)

// hostileComplete is the pre-filled address a hostile server sends on a
// host of its choosing, beside a verification_uri on its own host.
const hostileComplete = "https://evil.example/device?user_code=ABCD-EFGH"

// TestLoginWarnsOfForeignCompleteURI: the plain output warns, naming the
// host; neither the output nor the browser opener sends the user there.
func TestLoginWarnsOfForeignCompleteURI(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{Interval: 10 * time.Millisecond, VerificationURIComplete: hostileComplete})
	srv.Approve()
	e := newTestEnv(t, srv)
	e.addServer(t)
	e.canBrowser = true
	if code := e.run("login"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.outputs())
	}
	if !strings.Contains(e.err.String(), "WARNING:") || !strings.Contains(e.err.String(), "evil.example") {
		t.Errorf("no warning naming evil.example:\n%s", e.err)
	}
	if strings.Contains(e.err.String(), "(or open "+hostileComplete) {
		t.Errorf("the foreign pre-filled address is offered:\n%s", e.err)
	}
	for _, u := range e.browsed {
		if strings.Contains(u, "evil.example") {
			t.Errorf("the browser was sent to %s", u)
		}
	}
	if len(e.browsed) != 1 || e.browsed[0] != srv.URL+authtest.PathDevicePage {
		t.Errorf("browser opened %q, want the verification_uri", e.browsed)
	}
}

// TestLoginJSONWarnsOfForeignCompleteURI: the --json code event carries a
// warning naming the host, and no verification_uri_complete to follow.
func TestLoginJSONWarnsOfForeignCompleteURI(t *testing.T) {
	srv := authtest.NewServer(t, authtest.Options{Interval: 10 * time.Millisecond, VerificationURIComplete: hostileComplete})
	srv.Approve()
	e := newTestEnv(t, srv)
	e.addServer(t)
	if code := e.run("login --json --no-browser"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.outputs())
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(e.out.String(), "\n", 2)[0]), &ev); err != nil || ev["event"] != "code" {
		t.Fatalf("first event %q: %v", e.out.String(), err)
	}
	if w, _ := ev["warning"].(string); !strings.Contains(w, "evil.example") {
		t.Errorf("code event warning = %q, want it to name evil.example\n%s", w, e.out)
	}
	if c, ok := ev["verification_uri_complete"]; ok {
		t.Errorf("code event offers verification_uri_complete %v", c)
	}
}
