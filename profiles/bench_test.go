package profiles

import (
	"os"
	"testing"
	"time"
)

// BenchmarkTokenValid is the hot path of `authdeck token`: a valid token in
// the credentials file (one config read, one secret read, no lock).
func BenchmarkTokenValid(b *testing.B) {
	f := newFakeAS(b)
	app := testApp(b)
	m := open(b, app)
	if _, err := m.AddServer(ctxT(b), Server{Name: "test", Endpoints: f.endpoints(), ClientID: "cli"}); err != nil {
		b.Fatal(err)
	}
	if _, _, err := m.SaveLogin(ctxT(b), "test", f.issue(time.Now().Add(time.Hour)), alice(), SaveOptions{Insecure: true}); err != nil {
		b.Fatal(err)
	}
	ctx := ctxT(b)
	b.ReportAllocs()
	for b.Loop() {
		r, err := m.Token(ctx, "", TokenOptions{MinTTL: 5 * time.Minute})
		if err != nil || r.Refreshed {
			b.Fatal(err)
		}
	}
}

// BenchmarkTokenValidKeyring is the same hot path with the secret in the
// real Secret Service (AUTHDECK_TEST_KEYRING=1).
func BenchmarkTokenValidKeyring(b *testing.B) {
	if os.Getenv("AUTHDECK_TEST_KEYRING") != "1" {
		b.Skip("needs AUTHDECK_TEST_KEYRING=1")
	}
	f := newFakeAS(b)
	app := testApp(b)
	app.Secrets = nil
	app.Getenv = os.Getenv
	app.KeyringService = "authdeck-bench"
	m := open(b, app)
	if _, err := m.AddServer(ctxT(b), Server{Name: "test", Endpoints: f.endpoints(), ClientID: "cli"}); err != nil {
		b.Fatal(err)
	}
	p, info, err := m.SaveLogin(ctxT(b), "test", f.issue(time.Now().Add(time.Hour)), alice(), SaveOptions{})
	if err != nil || info.Storage != StorageKeyring {
		b.Fatal(err, info.FallbackReason)
	}
	b.Cleanup(func() { _ = m.keyring.Delete(ctxT(b), secretKey(p.ID)) })
	ctx := ctxT(b)
	for b.Loop() {
		if _, err := m.Token(ctx, "", TokenOptions{MinTTL: 5 * time.Minute}); err != nil {
			b.Fatal(err)
		}
	}
}
