package profiles

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// realKeyring returns the OS keyring under a fresh service name when
// AUTHDECK_TEST_KEYRING=1 (set by .ci/test inside dbus-run-session with an
// unlocked gnome-keyring-daemon). Without it the test is skipped, or fails
// under CI=true.
func realKeyring(t *testing.T) (*Keyring, string) {
	t.Helper()
	if os.Getenv("AUTHDECK_TEST_KEYRING") != "1" {
		if os.Getenv("CI") == "true" {
			t.Fatal("AUTHDECK_TEST_KEYRING is not 1: the real Secret Service is missing (CI=true)")
		}
		t.Skip("set AUTHDECK_TEST_KEYRING=1 inside a D-Bus session with an unlocked Secret Service")
	}
	id, err := newID()
	if err != nil {
		t.Fatal(err)
	}
	service := "authdeck-test-" + id
	k := NewKeyring(service, 5*time.Second, os.Getenv)
	if err := k.available(); err != nil {
		t.Fatal(err)
	}
	return k, service
}

func TestRealKeyringSetGetDelete(t *testing.T) {
	k, service := realKeyring(t)
	ctx := ctxT(t)
	small := &Secret{AccessToken: "at", RefreshToken: "rt", TokenType: "Bearer", Expiry: time.Unix(2000000000, 0).UTC()}
	if _, err := k.Get(ctx, "profile:1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing item: %v, want ErrNotFound", err)
	}
	if err := k.Set(ctx, "profile:1", small); err != nil {
		t.Fatal(err)
	}
	got, err := k.Get(ctx, "profile:1")
	if err != nil || *got != *small {
		t.Fatalf("Get: %+v %v", got, err)
	}
	// A secret too big for one Windows/macOS item is chunked for real.
	big := bigSecret(6000)
	if err := k.Set(ctx, "profile:1", big); err != nil {
		t.Fatal(err)
	}
	items := itemKeys(t, keyring.Get, service, "profile:1")
	if len(items) < 4 {
		t.Fatalf("items %v, want the header and at least 3 chunks", items)
	}
	for _, key := range items {
		v, err := keyring.Get(service, key)
		if err != nil || len(v) > maxKeyringItem+64 {
			t.Fatalf("item %s: %d bytes, %v", key, len(v), err)
		}
	}
	got, err = k.Get(ctx, "profile:1")
	if err != nil || *got != *big {
		t.Fatalf("Get of the chunked secret: %v", err)
	}
	if err := k.Delete(ctx, "profile:1"); err != nil {
		t.Fatal(err)
	}
	for _, key := range items {
		if _, err := keyring.Get(service, key); !errors.Is(err, keyring.ErrNotFound) {
			t.Fatalf("%s left after Delete: %v", key, err)
		}
	}
	if _, err := k.Get(ctx, "profile:1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
}

func TestRealKeyringSaveLogin(t *testing.T) {
	_, service := realKeyring(t)
	f := newFakeAS(t)
	app := testApp(t)
	app.Secrets = nil
	app.KeyringService = service
	app.Getenv = os.Getenv
	app.EnvToken, app.EnvProfile = "", ""
	m := open(t, app)
	ctx := ctxT(t)
	addFakeServer(t, m, f)
	tok := f.issue(time.Now().Add(-time.Minute))
	p, info, err := m.SaveLogin(ctx, "test", tok, alice(), SaveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Storage != StorageKeyring || info.InsecureStorage || info.FallbackReason != "" {
		t.Fatalf("%+v %+v", p, info)
	}
	if _, err := os.Stat(m.CredentialsPath()); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a credentials file was written although the keyring worked")
	}
	// The expired token is refreshed and the rotation saved in the keyring.
	r, err := m.Token(ctx, "alice", TokenOptions{MinTTL: time.Minute})
	if err != nil || !r.Refreshed || r.Source != SourceKeyring {
		t.Fatalf("%+v %v", r, err)
	}
	v, err := keyring.Get(service, secretKey(p.ID))
	if err != nil || len(v) == 0 {
		t.Fatal(err)
	}
	sec, _ := m.keyring.Get(ctx, secretKey(p.ID))
	if sec.RefreshToken == tok.RefreshToken {
		t.Fatal("the rotated refresh token is not in the keyring")
	}
	if err := m.Logout(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.Get(service, secretKey(p.ID)); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("keyring item left after logout: %v", err)
	}
}

func TestRealKeyringClientSecretRoundTrip(t *testing.T) {
	k, _ := realKeyring(t)
	checkClientSecretRoundTrip(t, k)
}
