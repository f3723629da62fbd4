package profiles

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/fsutil"
)

func TestConfigRoundTrip(t *testing.T) {
	m := open(t, testApp(t))
	ctx := ctxT(t)
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	want := Config{
		Version:  ConfigVersion,
		Active:   "alice",
		Settings: Settings{Storage: "file"},
		Servers: []Server{{
			Name:       "corp",
			Endpoints:  auth.Endpoints{Issuer: "https://id.example.com", TokenURL: "https://id.example.com/token", RevocationURL: "https://id.example.com/revoke"},
			ClientID:   "cli",
			Scopes:     []string{"openid", "offline_access"},
			EnvVar:     "CORP_TOKEN",
			Discovered: exp,
		}},
		Profiles: []Profile{{Name: "alice", ID: "0123", Server: "corp", Subject: "s1", Username: "alice", Storage: StorageKeyring, Scopes: []string{"openid"}, TokenExpiry: exp, HasRefresh: true, LoggedInAt: exp}},
	}
	if err := m.Update(ctx, func(c *Config) error { *c = want; return nil }); err != nil {
		t.Fatal(err)
	}
	got, err := m.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", *got, want)
	}
	text := string(mustRead(t, m.ConfigPath()))
	for _, s := range []string{"version = 1", `issuer = "https://id.example.com"`, `client_id = "cli"`, "[[profiles]]", `storage = "keyring"`} {
		if !strings.Contains(text, s) {
			t.Errorf("config.toml lacks %q:\n%s", s, text)
		}
	}
	if runtime.GOOS != "windows" {
		for path, want := range map[string]os.FileMode{m.app.ConfigDir: 0o700, m.ConfigPath(): 0o600} {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
			}
		}
	}
	// No temp files left behind.
	ents, _ := os.ReadDir(m.app.ConfigDir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temp file left: %s", e.Name())
		}
	}
}

func TestLoadMissingIsEmpty(t *testing.T) {
	m := open(t, testApp(t))
	c, err := m.Load(ctxT(t))
	if err != nil || c.Version != ConfigVersion || len(c.Profiles) != 0 {
		t.Fatalf("Load of a missing file = %+v, %v", c, err)
	}
}

// srvS is a valid [[servers]] entry named "s", 4 lines.
const srvS = "[[servers]]\nname = \"s\"\nclient_id = \"x\"\ntoken_url = \"https://s.example/token\"\n"

func TestBadConfigIsNeverOverwritten(t *testing.T) {
	cases := map[string]struct {
		content string
		line    int
		msg     string
	}{
		"syntax":                 {"version = 1\n\nactive = = \"a\"\n", 3, ""},
		"unknown key":            {"version = 1\n\n[[servers]]\nname = \"a\"\nclient_id = \"x\"\ntoken_ulr = \"https://x\"\n", 6, "token_ulr"},
		"newer":                  {"# c\n\nversion = 2\n", 3, "newer"},
		"bad storage":            {"version = 1\n[settings]\nstorage = \"floppy\"\n", 3, "floppy"},
		"storage after profiles": {"version = 1\n" + srvS + "[[profiles]]\nname=\"a\"\nid=\"1\"\nserver=\"s\"\nstorage=\"keyring\"\n[settings]\n\nstorage = \"floppy\"\n", 13, "floppy"},
		"dup profile":            {srvS + "[[profiles]]\nname=\"a\"\nid=\"1\"\nserver=\"s\"\n[[profiles]]\nname=\"a\"\nid=\"2\"\nserver=\"s\"\n", 10, "two profiles"},
		"dup server":             {srvS + "\n" + srvS, 7, "two servers"},
		"wrong type":             {"version = \"one\"\n", 1, "wrong type"},
		"unclosed":               {"version = 1\n\n[[servers]\nname = \"a\"\n", 3, "']'"},
		"no client_id":           {srvS + "[[servers]]\nname = \"b\"\ntoken_url = \"https://b.example/token\"\n", 5, "no client_id"},
		"no endpoint":            {srvS + "[[servers]] # b\nname = \"b\"\nclient_id = \"x\"\n", 5, "neither issuer nor token_url"},
		"plain http":             {"[[servers]]\nname = \"b\"\nclient_id = \"x\"\ntoken_url = \"http://b.example/token\"\n", 4, "token URL"},
		"bad env var":            {"[[servers]]\nname = \"b\"\nclient_id = \"x\"\ntoken_url = \"https://b.example/token\"\nenv_var = \"A-B\"\n", 5, "env_var"},
		"unknown server":         {srvS + "[[profiles]]\nname=\"a\"\nid=\"1\"\nserver=\"gone\"\n", 8, "not in the file"},
		"bad profile storage":    {srvS + "[[profiles]]\nname=\"a\"\nid=\"1\"\nserver=\"s\"\nstorage=\"floppy\"\n", 9, "floppy"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeAS(t)
			m := open(t, testApp(t))
			if err := os.MkdirAll(m.app.ConfigDir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(m.ConfigPath(), []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx := ctxT(t)
			checks := map[string]error{}
			_, checks["Load"] = m.Load(ctx)
			checks["Update"] = m.Update(ctx, func(c *Config) error { c.Active = "x"; return nil })
			_, checks["AddServer"] = m.AddServer(ctx, Server{Name: "s", Endpoints: f.endpoints(), ClientID: "c"})
			_, _, checks["SaveLogin"] = m.SaveLogin(ctx, "s", f.issue(time.Now().Add(time.Hour)), alice(), SaveOptions{})
			checks["Use"] = m.Use(ctx, "a")
			for op, err := range checks {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("%s: error %v, want *ParseError", op, err)
				}
				if pe.Path != m.ConfigPath() || pe.Line != tc.line {
					t.Errorf("%s: ParseError at %s:%d, want %s:%d", op, pe.Path, pe.Line, m.ConfigPath(), tc.line)
				}
				if !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), "not changed") {
					t.Errorf("%s: %q should mention %q and that the file was not changed", op, err, tc.msg)
				}
			}
			if got := mustRead(t, m.ConfigPath()); !bytes.Equal(got, []byte(tc.content)) {
				t.Fatalf("config was changed:\n%s", got)
			}
		})
	}
}

func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	app := testApp(t)
	const goroutines, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := open(t, app) // separate managers, as separate callers would be
			for i := 0; i < each; i++ {
				err := m.Update(ctxT(t), func(c *Config) error {
					c.Servers = append(c.Servers, Server{Name: fmt.Sprintf("g%d-%d", g, i), ClientID: "x", Endpoints: auth.Endpoints{TokenURL: "https://x.example/token"}})
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	c, err := open(t, app).Load(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Servers) != goroutines*each {
		t.Fatalf("%d servers after %d updates: updates were lost", len(c.Servers), goroutines*each)
	}
}

func TestConcurrentUpdatesAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := filepath.Join(t.TempDir(), "cfg")
	const procs, each = 4, 15
	errs := make(chan error, procs)
	for p := 0; p < procs; p++ {
		go func() {
			out, err := child(dir, "update", "PROFILES_TEST_N=15", fmt.Sprintf("PROFILES_TEST_TAG=p%d", p)).CombinedOutput()
			if err != nil {
				err = fmt.Errorf("process %d: %v: %s", p, err, out)
			}
			errs <- err
		}()
	}
	// This process updates too, at the same time.
	m := open(t, App{Name: "authdeck", ConfigDir: dir, Secrets: NewMemSecrets()})
	for i := 0; i < each; i++ {
		if err := m.Update(ctxT(t), func(c *Config) error {
			c.Servers = append(c.Servers, Server{Name: fmt.Sprintf("parent-%d", i), ClientID: "x", Endpoints: auth.Endpoints{TokenURL: "https://x.example/token"}})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	for p := 0; p < procs; p++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	c, err := m.Load(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Servers) != (procs+1)*each {
		t.Fatalf("%d servers, want %d: updates were lost", len(c.Servers), (procs+1)*each)
	}
}

func TestLockTimeoutNamesTheFile(t *testing.T) {
	m := open(t, testApp(t))
	unlock, err := fsutil.Lock(ctxT(t), m.configLockPath(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	_, err = fsutil.Lock(ctxT(t), m.configLockPath(), 50*time.Millisecond)
	var le *LockTimeoutError
	if !errors.As(err, &le) || le.Path != m.configLockPath() || !strings.Contains(err.Error(), m.configLockPath()) {
		t.Fatalf("second lock: %v, want *LockTimeoutError naming %s", err, m.configLockPath())
	}
}
