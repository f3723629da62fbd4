package profiles

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
)

func TestSelect(t *testing.T) {
	f := newFakeAS(t)
	e := env{}
	app := testApp(t)
	app.Getenv = e.get
	m := open(t, app)
	ctx := ctxT(t)
	addFakeServer(t, m, f)
	for _, id := range []*auth.Identity{alice(), {Subject: "b", Username: "bob"}, {Subject: "c", Username: "carol"}} {
		if _, _, err := m.SaveLogin(ctx, "test", f.issue(time.Now().Add(time.Hour)), id, SaveOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	root := t.TempDir()
	proj := filepath.Join(root, "proj")
	deep := filepath.Join(proj, "a", "b", "c")
	other := filepath.Join(root, "other", "x")
	for _, d := range []string{deep, other} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(proj, ".authdeck"), "# team account\nbob\n")
	write(filepath.Join(proj, "a", "b", ".authdeck"), "profile = \"carol\"\n")
	write(filepath.Join(root, "other", ".authdeck"), "nobody\n")
	for _, d := range []string{proj, filepath.Join(proj, "a", "b"), filepath.Join(root, "other")} {
		trustT(t, m, d)
	}

	check := func(flag, cwd, name, by string) {
		t.Helper()
		s, err := m.Select(ctx, flag, cwd)
		if err != nil || s.Name != name || s.ChosenBy != by {
			t.Fatalf("Select(%q, %q) = %+v, %v; want %s by %s", flag, cwd, s, err, name, by)
		}
	}
	check("", root, "alice", "active")
	check("", filepath.Join(proj, "a"), "bob", ".authdeck file "+filepath.Join(proj, ".authdeck"))
	check("", deep, "carol", ".authdeck file "+filepath.Join(proj, "a", "b", ".authdeck"))
	e["AUTHDECK_PROFILE"] = "alice"
	check("", deep, "alice", "env AUTHDECK_PROFILE")
	check("bob", deep, "bob", "flag")
	delete(e, "AUTHDECK_PROFILE")
	_, err := m.Select(ctx, "", other)
	if !errors.Is(err, ErrUnknownProfile) || !strings.Contains(err.Error(), filepath.Join(root, "other", ".authdeck")) || !strings.Contains(err.Error(), "nobody") {
		t.Fatalf("unknown profile in a dir file: %v", err)
	}
	write(filepath.Join(root, "other", ".authdeck"), "profile = [broken\n")
	var pe *ParseError
	if _, err := m.TrustDirFile(ctx, other); !errors.As(err, &pe) || pe.Line != 1 {
		t.Fatalf("broken dir file: %v", err)
	}
	if _, err := m.Select(ctx, "ghost", root); !errors.Is(err, ErrUnknownProfile) || !strings.Contains(err.Error(), "--profile") {
		t.Fatalf("unknown flag profile: %v", err)
	}
	// Nothing active: not logged in.
	if err := m.Remove(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Select(ctx, "", root); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("nothing active: %v", err)
	}
}

func TestRenameRemoveUse(t *testing.T) {
	f := newFakeAS(t)
	app := testApp(t)
	mem := app.Secrets.(*MemSecrets)
	m := open(t, app)
	ctx := ctxT(t)
	addFakeServer(t, m, f)
	pa, _, _ := m.SaveLogin(ctx, "test", f.issue(time.Now().Add(time.Hour)), alice(), SaveOptions{})
	pb, _, _ := m.SaveLogin(ctx, "test", f.issue(time.Now().Add(time.Hour)), &auth.Identity{Subject: "b", Username: "bob"}, SaveOptions{})

	if err := m.Use(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if err := m.Use(ctx, "zed"); !errors.Is(err, ErrUnknownProfile) || !strings.Contains(err.Error(), "alice, bob") {
		t.Fatalf("Use unknown: %v", err)
	}
	for _, bad := range []string{"", "two words", "tab\tname", "bell\a"} {
		if err := m.Rename(ctx, "bob", bad); err == nil {
			t.Fatalf("Rename to %q accepted", bad)
		}
	}
	if err := m.Rename(ctx, "bob", "alice"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("Rename onto an existing name: %v", err)
	}
	if err := m.Rename(ctx, "bob", "work"); err != nil {
		t.Fatal(err)
	}
	c, _ := m.Load(ctx)
	if c.Active != "work" {
		t.Fatalf("active after rename = %q", c.Active)
	}
	// The secret did not move.
	if r, err := m.Token(ctx, "work", TokenOptions{}); err != nil || r.Profile != "work" {
		t.Fatalf("token after rename: %+v %v", r, err)
	}
	if err := m.Remove(ctx, "work"); err != nil {
		t.Fatal(err)
	}
	c, _ = m.Load(ctx)
	if c.Active != "" || len(c.Profiles) != 1 || c.Profiles[0].ID != pa.ID {
		t.Fatalf("after remove: active %q profiles %+v", c.Active, c.Profiles)
	}
	if _, err := mem.Get(ctx, secretKey(pb.ID)); !errors.Is(err, ErrNotFound) {
		t.Fatal("Remove left the secret behind")
	}
	// A secret that cannot be deleted keeps the profile.
	app2 := app
	app2.Secrets = failingSecrets{errors.New("keyring exploded")}
	if err := open(t, app2).Remove(ctx, "alice"); err == nil || !strings.Contains(err.Error(), "kept") {
		t.Fatalf("Remove with a failing keyring: %v", err)
	}
	if c, _ = m.Load(ctx); len(c.Profiles) != 1 {
		t.Fatal("profile removed although its secret was not")
	}
}

func TestLogoutAndReadOnly(t *testing.T) {
	f := newFakeAS(t)
	e := env{"TEST_TOKEN": "from-env"}
	app := testApp(t)
	app.Getenv = e.get
	mem := app.Secrets.(*MemSecrets)
	m, p, _ := loggedIn(t, f, app, time.Now().Add(time.Hour), false)
	ctx := ctxT(t)
	var ro *ReadOnlyError
	for op, err := range map[string]error{"logout": m.Logout(ctx, "alice"), "revoke": m.Revoke(ctx, "alice")} {
		if !errors.As(err, &ro) || ro.Source != SourceServerEnv || ro.Detail != "TEST_TOKEN" {
			t.Fatalf("%s with a server env token: %v", op, err)
		}
	}
	delete(e, "TEST_TOKEN")
	e["AUTHDECK_TOKEN"] = "x"
	if err := m.Logout(ctx, "alice"); !errors.As(err, &ro) || ro.Source != SourceEnv {
		t.Fatalf("logout with AUTHDECK_TOKEN: %v", err)
	}
	if len(f.revocations()) != 0 {
		t.Fatal("a read-only token was revoked")
	}
	if _, err := mem.Get(ctx, secretKey(p.ID)); err != nil {
		t.Fatal("refused logout still deleted the secret")
	}
	delete(e, "AUTHDECK_TOKEN")
	if err := m.Logout(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := mem.Get(ctx, secretKey(p.ID)); !errors.Is(err, ErrNotFound) {
		t.Fatal("logout kept the secret")
	}
	st, _ := m.Status(ctx, "")
	if len(st) != 1 || st[0].State != StateSignedOut || st[0].Storage != StorageNone || st[0].Account != "alice" {
		t.Fatalf("status after logout: %+v", st)
	}
	if err := m.Logout(ctx, "alice"); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("second logout: %v", err)
	}
}

func TestLogoutAll(t *testing.T) {
	f := newFakeAS(t)
	m, _, _ := loggedIn(t, f, testApp(t), time.Now().Add(time.Hour), false)
	ctx := ctxT(t)
	if _, _, err := m.SaveLogin(ctx, "test", f.issue(time.Now().Add(time.Hour)), &auth.Identity{Subject: "b", Username: "bob"}, SaveOptions{Insecure: true}); err != nil {
		t.Fatal(err)
	}
	done, err := m.LogoutAll(ctx)
	if err != nil || strings.Join(done, ",") != "alice,bob" {
		t.Fatalf("%v %v", done, err)
	}
	st, _ := m.Status(ctx, "")
	for _, s := range st {
		if s.State != StateSignedOut {
			t.Fatalf("%s still %s", s.Name, s.State)
		}
	}
}

func TestRevoke(t *testing.T) {
	f := newFakeAS(t)
	m, p, tok := loggedIn(t, f, testApp(t), time.Now().Add(time.Hour), false)
	ctx := ctxT(t)
	if err := m.Revoke(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	got := f.revocations()
	want := []string{"refresh_token:" + tok.RefreshToken, "access_token:" + tok.AccessToken}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("revocations %v, want %v (refresh token first)", got, want)
	}
	if _, err := m.keyring.Get(ctx, secretKey(p.ID)); !errors.Is(err, ErrNotFound) {
		t.Fatal("revoke did not forget the secret")
	}

	// No revocation endpoint: refused, nothing forgotten.
	f2 := newFakeAS(t)
	f2.noRevoke = true
	m2, p2, _ := loggedIn(t, f2, testApp(t), time.Now().Add(time.Hour), false)
	err := m2.Revoke(ctx, "alice")
	if !errors.Is(err, auth.ErrNoEndpoint) || !strings.Contains(err.Error(), "nothing was forgotten") {
		t.Fatalf("revoke without endpoint: %v", err)
	}
	if _, err := m2.keyring.Get(ctx, secretKey(p2.ID)); err != nil {
		t.Fatal("the secret was forgotten although nothing was revoked")
	}
}

func TestStatusStates(t *testing.T) {
	f := newFakeAS(t)
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	app := testApp(t)
	clock := now
	app.Now = func() time.Time { return clock }
	m := open(t, app)
	ctx := ctxT(t)
	addFakeServer(t, m, f)
	mk := func(sub string, exp time.Time, rt bool) {
		tok := f.issue(exp)
		if !rt {
			tok.RefreshToken = ""
		}
		if _, _, err := m.SaveLogin(ctx, "test", tok, &auth.Identity{Subject: sub, Username: sub}, SaveOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	mk("valid", now.Add(time.Hour), true)
	// an hour-long token with a minute left: obtained 59 minutes ago
	clock = now.Add(-59 * time.Minute)
	mk("expiring", now.Add(time.Minute), true)
	clock = now
	// a 2-minute token just obtained: "expiring" is capped at half its life
	mk("short", now.Add(2*time.Minute), true)
	mk("refreshable", now.Add(-time.Hour), true)
	mk("expired", now.Add(-time.Hour), false)
	mk("forever", time.Time{}, false)
	st, err := m.Status(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]TokenState{"valid": StateValid, "expiring": StateExpiring, "short": StateValid, "refreshable": StateRefreshable, "expired": StateExpired, "forever": StateValid}
	for _, s := range st {
		if s.State != want[s.Name] {
			t.Errorf("%s: %s, want %s", s.Name, s.State, want[s.Name])
		}
		if s.Active != (s.Name == "valid") || s.Source != SourceKeyring || s.Issuer != f.URL() {
			t.Errorf("%s: %+v", s.Name, s)
		}
	}
	if st[0].TimeLeft != time.Hour {
		t.Errorf("time left %v", st[0].TimeLeft)
	}
	if gets, _ := app.Secrets.(*MemSecrets).Calls(); gets != 0 {
		t.Fatalf("Status read the keyring %d times", gets)
	}
}

func TestServers(t *testing.T) {
	f := newFakeAS(t)
	m := open(t, testApp(t))
	ctx := ctxT(t)
	bad := []struct {
		s   Server
		msg string
	}{
		{Server{Name: "a b", ClientID: "x", Endpoints: auth.Endpoints{TokenURL: "https://x/t"}}, "whitespace"},
		{Server{Name: "a", Endpoints: auth.Endpoints{TokenURL: "https://x/t"}}, "client id"},
		{Server{Name: "a", ClientID: "x", Endpoints: auth.Endpoints{TokenURL: "http://example.com/t"}}, "token URL"},
		{Server{Name: "a", ClientID: "x"}, "issuer"},
		{Server{Name: "a", ClientID: "x", EnvVar: "MY-TOKEN", Endpoints: auth.Endpoints{TokenURL: "https://x/t"}}, "environment variable"},
	}
	for _, b := range bad {
		if _, err := m.AddServer(ctx, b.s); err == nil || !strings.Contains(err.Error(), b.msg) {
			t.Errorf("AddServer(%+v): %v, want %q", b.s, err, b.msg)
		}
	}
	// Discovery fills the endpoints; explicit ones win.
	s, err := m.AddServer(ctx, Server{Name: "disc", ClientID: "x", Endpoints: auth.Endpoints{Issuer: f.URL(), UserInfoURL: "https://other.example/ui"}})
	if err != nil {
		t.Fatal(err)
	}
	if s.TokenURL != f.URL()+"/token" || s.RevocationURL != f.URL()+"/revoke" || s.UserInfoURL != "https://other.example/ui" || s.Discovered.IsZero() {
		t.Fatalf("discovered %+v", s)
	}
	// ServerForURL reuses it, or adds one named after the host.
	again, err := m.ServerForURL(ctx, f.URL()+"/", "", "", nil)
	if err != nil || again.Name != "disc" {
		t.Fatalf("reuse: %+v %v", again, err)
	}
	adhoc, err := m.ServerForURL(ctx, f.URL(), "other-client", "", []string{"openid"})
	if err != nil || !strings.HasPrefix(adhoc.Name, "127.0.0.1-") || adhoc.ClientID != "other-client" || adhoc.TokenURL == "" {
		t.Fatalf("ad hoc: %+v %v", adhoc, err)
	}
	if _, err := m.ServerForURL(ctx, "http://example.com", "x", "", nil); !errors.Is(err, auth.ErrInsecureURL) {
		t.Fatalf("plain http: %v", err)
	}
	// RemoveServer refuses while profiles use it.
	if _, _, err := m.SaveLogin(ctx, "disc", f.issue(time.Now().Add(time.Hour)), alice(), SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := m.RemoveServer(ctx, "disc"); err == nil || !strings.Contains(err.Error(), "alice") {
		t.Fatalf("RemoveServer in use: %v", err)
	}
	if err := m.RemoveServer(ctx, adhoc.Name); err != nil {
		t.Fatal(err)
	}
	c, _ := m.Load(ctx)
	if len(c.Servers) != 1 {
		t.Fatalf("servers %+v", c.Servers)
	}
	cl := m.Client(s)
	if cl.ClientID != "x" || cl.Endpoints.TokenURL != s.TokenURL || cl.HTTP == nil {
		t.Fatalf("client %+v", cl)
	}
}

func TestWhoAmIUserinfo(t *testing.T) {
	f := newFakeAS(t)
	m, _, _ := loggedIn(t, f, testApp(t), time.Now().Add(-time.Minute), false)
	w, err := m.WhoAmI(ctxT(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if w.Identity.Username != "alice" || w.Profile.Name != "alice" || w.Source != SourceKeyring || w.Expiry.Before(time.Now()) || len(w.Scopes) == 0 {
		t.Fatalf("%+v", w)
	}
	if f.refreshCount() != 1 {
		t.Fatal("WhoAmI did not refresh the expired token")
	}
}

// TestTokenSelectsLikeSelect: Token with no profile chooses it the way
// Select does (env, then the directory file from Cwd, then the active
// profile), in the same read of the config.
func TestTokenSelectsLikeSelect(t *testing.T) {
	f := newFakeAS(t)
	e := env{}
	app := testApp(t)
	app.Getenv = e.get
	m := open(t, app)
	ctx := ctxT(t)
	addFakeServer(t, m, f)
	toks := map[string]string{}
	for _, id := range []*auth.Identity{alice(), {Subject: "b", Username: "bob"}, {Subject: "c", Username: "carol"}} {
		tok := f.issue(time.Now().Add(time.Hour))
		p, _, err := m.SaveLogin(ctx, "test", tok, id, SaveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		toks[p.Name] = tok.AccessToken
	}
	dir := t.TempDir()
	nested := filepath.Join(dir, "x", "y")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".authdeck"), []byte("carol\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	trustT(t, m, dir)
	get := func(cwd string) string {
		t.Helper()
		res, err := m.Token(ctx, "", TokenOptions{Cwd: cwd})
		if err != nil {
			t.Fatalf("Token(cwd %q): %v", cwd, err)
		}
		for name, tok := range toks {
			if tok == res.Token.AccessToken {
				if name != res.Profile {
					t.Errorf("token of %s reported as profile %s", name, res.Profile)
				}
				return name
			}
		}
		t.Fatalf("Token returned an unknown token")
		return ""
	}
	if got := get(""); got != "alice" {
		t.Errorf("no cwd, no env: %s, want the active alice", got)
	}
	if got := get(nested); got != "carol" {
		t.Errorf("nested dir under a .authdeck naming carol: %s", got)
	}
	e["AUTHDECK_PROFILE"] = "bob"
	if got := get(nested); got != "bob" {
		t.Errorf("AUTHDECK_PROFILE=bob beats the directory file: got %s", got)
	}
	e["AUTHDECK_PROFILE"] = "nobody"
	if _, err := m.Token(ctx, "", TokenOptions{Cwd: nested}); err == nil || !strings.Contains(err.Error(), "nobody") {
		t.Errorf("an env var naming an unknown profile: %v", err)
	}
}
