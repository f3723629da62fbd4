package profiles

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// The real Secret Service with its login collection locked, as after a
// screen lock or on a machine where nobody typed the keyring password:
// go-keyring then asks the Secret Service to unlock it, which shows a
// password prompt nobody answers.

const (
	secretsName  = "org.freedesktop.secrets"
	secretsPath  = dbus.ObjectPath("/org/freedesktop/secrets")
	loginPath    = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	serviceIface = "org.freedesktop.Secret.Service"
	// gnome-keyring's own interface to unlock without a prompt (its tests
	// and seahorse use it).
	gnomeUnlock = "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface.UnlockWithMasterPassword"
)

// dbusSecret is the Secret Service's (oayays) secret struct.
type dbusSecret struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

// busCall calls method on obj, bounded so that a frozen service fails the
// test instead of hanging the suite.
func busCall(obj dbus.BusObject, method string, args ...any) *dbus.Call {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return obj.CallWithContext(ctx, method, 0, args...)
}

func loginLocked(t *testing.T, conn *dbus.Conn) bool {
	t.Helper()
	var v dbus.Variant
	if err := busCall(conn.Object(secretsName, loginPath), "org.freedesktop.DBus.Properties.Get", "org.freedesktop.Secret.Collection", "Locked").Store(&v); err != nil {
		t.Fatalf("reading the login collection's Locked property: %v", err)
	}
	locked, ok := v.Value().(bool)
	if !ok {
		t.Fatalf("Locked is %v", v)
	}
	return locked
}

// lockLogin locks the login collection. The returned function unlocks it
// again (with the password .ci/test created it with, through
// gnome-keyring's prompt-free interface) and fails the test if it stays
// locked; it also runs when the test ends, so the keyring tests after this
// one find the collection unlocked.
func lockLogin(t *testing.T) (unlock func()) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the Secret Service is Linux's")
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatalf("session bus: %v", err)
	}
	password := os.Getenv("AUTHDECK_TEST_KEYRING_PASSWORD")
	if password == "" {
		password = "pw" // what .ci/test unlocks the login keyring with
	}
	var once sync.Once
	unlock = func() {
		once.Do(func() {
			defer conn.Close()
			svc := conn.Object(secretsName, secretsPath)
			var out dbus.Variant
			var session dbus.ObjectPath
			if err := busCall(svc, serviceIface+".OpenSession", "plain", dbus.MakeVariant("")).Store(&out, &session); err != nil {
				t.Errorf("opening a Secret Service session to unlock the login collection again: %v", err)
				return
			}
			defer busCall(svc, serviceIface+".CloseSession", session)
			if err := busCall(svc, gnomeUnlock, loginPath, dbusSecret{Session: session, Value: []byte(password), ContentType: "text/plain"}).Err; err != nil {
				t.Errorf("unlocking the login collection again: %v", err)
			}
			if loginLocked(t, conn) {
				t.Error("the login collection is still locked: the keyring tests after this one will fail")
			}
		})
	}
	t.Cleanup(unlock)
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := busCall(conn.Object(secretsName, secretsPath), serviceIface+".Lock", []dbus.ObjectPath{loginPath}).Store(&locked, &prompt); err != nil {
		t.Fatalf("locking the login collection: %v", err)
	}
	if !loginLocked(t, conn) {
		t.Fatalf("the login collection is not locked after Lock (locked %v, prompt %s)", locked, prompt)
	}
	return unlock
}

// silentPrompter stands in for gnome-keyring's system prompter (the
// password dialog, org.gnome.keyring.SystemPrompter): it accepts to prompt
// and then never answers, like a dialog on a screen nobody looks at. Without
// it, on a machine with no display, gcr-prompter fails at once and the
// Secret Service refuses the unlock immediately. The prompts it holds are
// dismissed when the test ends (the prompter leaves the bus).
func silentPrompter(t *testing.T) (asked *atomic.Int32, leave func()) {
	t.Helper()
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatalf("session bus: %v", err)
	}
	var once sync.Once
	leave = func() { once.Do(func() { conn.Close() }) }
	t.Cleanup(leave)
	asked = &atomic.Int32{}
	methods := map[string]any{
		"BeginPrompting": func(callback dbus.ObjectPath) *dbus.Error { asked.Add(1); return nil },
		"PerformPrompt": func(callback dbus.ObjectPath, typ string, props map[string]dbus.Variant, exchange string) *dbus.Error {
			return nil
		},
		"StopPrompting": func(callback dbus.ObjectPath) *dbus.Error { return nil },
	}
	if err := conn.ExportMethodTable(methods, "/org/gnome/keyring/Prompter", "org.gnome.keyring.internal.Prompter"); err != nil {
		t.Fatalf("exporting the prompter: %v", err)
	}
	reply, err := conn.RequestName("org.gnome.keyring.SystemPrompter", dbus.NameFlagReplaceExisting|dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning org.gnome.keyring.SystemPrompter: reply %v, %v", reply, err)
	}
	return asked, leave
}

// TestRealKeyringLocked: with the login collection locked, every keyring
// call ends within the configured timeout with an error (a
// *KeyringTimeoutError when the unlock prompt waits, or the Secret
// Service's refusal), never hangs; a login then falls back to the file and
// says why; and once the collection is unlocked again the keyring works.
func TestRealKeyringLocked(t *testing.T) {
	k, service := realKeyring(t)
	ctx := ctxT(t)
	before := &Secret{AccessToken: "at-locked", RefreshToken: "rt-locked", TokenType: "Bearer"}
	if err := k.Set(ctx, "profile:locked", before); err != nil {
		t.Fatal(err)
	}
	unlock := lockLogin(t)
	asked, leave := silentPrompter(t)

	const timeout = 1500 * time.Millisecond
	k.timeout = timeout
	done := make(chan struct{})
	var getErr, setErr error
	go func() {
		defer close(done)
		_, getErr = k.Get(ctx, "profile:locked")
		setErr = k.Set(ctx, "profile:locked", &Secret{AccessToken: "at-new"})
	}()
	select {
	case <-done:
	case <-time.After(time.Minute): // a bound for the suite, not a timing assertion
		t.Fatal("keyring calls on a locked collection did not return")
	}
	// The unlock prompt waits for a person: each call gives up at the
	// timeout. (Set times out in its first step, reading the old item.)
	for op, err := range map[string]error{"get": getErr, "set": setErr} {
		var te *KeyringTimeoutError
		if !errors.As(err, &te) || te.Op != "get" {
			t.Fatalf("%s on a locked collection: %v, want a *KeyringTimeoutError", op, err)
		}
	}
	if asked.Load() == 0 {
		t.Fatal("the Secret Service never asked for the password: the collection was not locked")
	}

	// A login falls back to the credentials file, with the reason.
	f := newFakeAS(t)
	app := testApp(t)
	app.Secrets = nil
	app.KeyringService = service
	app.KeyringTimeout = timeout
	app.Getenv = os.Getenv
	app.EnvToken, app.EnvProfile = "", ""
	m := open(t, app)
	addFakeServer(t, m, f)
	p, info, err := m.SaveLogin(ctx, "test", f.issue(time.Now().Add(time.Hour)), alice(), SaveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Storage != StorageFile || info.FallbackReason == "" || p.StorageFallback != info.FallbackReason {
		t.Fatalf("login with a locked keyring: %+v %+v, want the file and a reason", p, info)
	}
	if r, err := m.Token(ctx, "alice", TokenOptions{}); err != nil || r.Source != SourceFile {
		t.Fatalf("token from the fallback file: %+v %v", r, err)
	}
	if !strings.Contains(info.FallbackReason, "keyring") {
		t.Fatalf("FallbackReason %q does not say the keyring failed", info.FallbackReason)
	}

	// The prompter leaves (dismissing the prompts still waiting) and the
	// collection is unlocked: the keyring answers again, with the secret
	// stored before it was locked.
	leave()
	unlock()
	got, err := k.Get(ctx, "profile:locked")
	if err != nil || *got != *before {
		t.Fatalf("Get after unlocking: %+v %v", got, err)
	}
	if err := k.Delete(ctx, "profile:locked"); err != nil {
		t.Fatal(err)
	}
}
