// Package keyringtest lets tests demand a real Secret Service: the unlocked
// gnome-keyring on a private D-Bus session that `bash .ci/test` starts.
package keyringtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// EnvVar is set to "1" by .ci/test once it has started and unlocked a
// private gnome-keyring.
const EnvVar = "AUTHDECK_TEST_KEYRING"

// LoginCollection is the D-Bus object of the login keyring.
const LoginCollection = "/org/freedesktop/secrets/collection/login"

// Require skips the test unless a real, unlocked Secret Service answers on
// the session bus and EnvVar is "1"; under CI=true it fails the test
// instead. It talks to D-Bus directly, so it sees the real service even
// when go-keyring's mock is active in the same test binary.
func Require(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := Check(ctx); err != nil {
		msg := "keyringtest: no real Secret Service: " + err.Error() + " (run the tests with `bash .ci/test`)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: a missing real component is a failure)")
		}
		t.Skip(msg)
	}
}

// Check reports why no usable Secret Service is there, or nil. It never
// starts a bus: with no session bus address it fails at once (godbus would
// otherwise run dbus-launch and leave a stray bus behind).
func Check(ctx context.Context) error {
	if os.Getenv(EnvVar) != "1" {
		return fmt.Errorf("%s is not 1", EnvVar)
	}
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		runtime := os.Getenv("XDG_RUNTIME_DIR")
		if runtime == "" {
			runtime = filepath.Join("/run/user", strconv.Itoa(os.Getuid()))
		}
		sock := filepath.Join(runtime, "bus")
		if _, err := os.Stat(sock); err != nil {
			return errors.New("no session bus (DBUS_SESSION_BUS_ADDRESS is empty and " + sock + " does not exist)")
		}
		addr = "unix:path=" + sock
	}
	conn, err := dbus.Connect(addr, dbus.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("cannot connect to the session bus: %w", err)
	}
	defer conn.Close()
	var v dbus.Variant
	err = conn.Object("org.freedesktop.secrets", LoginCollection).
		CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, "org.freedesktop.Secret.Collection", "Locked").
		Store(&v)
	if err != nil {
		return fmt.Errorf("the login keyring does not answer: %w", err)
	}
	locked, ok := v.Value().(bool)
	switch {
	case !ok:
		return fmt.Errorf("the login keyring's Locked property is %v, not a boolean", v)
	case locked:
		return errors.New("the login keyring is locked")
	}
	return nil
}
