package cmd

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/profiles"
	"golang.org/x/oauth2"
)

// BenchmarkTokenRun is the in-process part of `authdeck token` with a valid
// token in credentials.json: profile selection, config read, secret read.
// The whole-process figure, beside its floor, comes from bench/token.sh.
func BenchmarkTokenRun(b *testing.B) {
	dir := b.TempDir()
	getenv := func(string) string { return "" }
	open := func() (*profiles.Manager, error) { return profiles.Open(authdeckApp(dir, getenv)) }
	m, err := open()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	err = m.Update(ctx, func(c *profiles.Config) error {
		c.Servers = append(c.Servers, profiles.Server{Name: "dev", Endpoints: auth.Endpoints{
			DeviceAuthURL: "https://auth.example.com/device", TokenURL: "https://auth.example.com/token"}, ClientID: "c"})
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	tok := &oauth2.Token{AccessToken: "bench-token", RefreshToken: "r", Expiry: time.Now().Add(time.Hour)}
	if _, _, err := m.SaveLogin(ctx, "dev", tok, &auth.Identity{Subject: "s", Username: "bench"}, profiles.SaveOptions{Insecure: true}); err != nil {
		b.Fatal(err)
	}
	b.Run("fast", func(b *testing.B) {
		o := &tokenOptions{Out: io.Discard, Profiles: open, Cwd: func() (string, error) { return dir, nil }, Getenv: getenv, MinTTL: defaultMinTTL}
		for b.Loop() {
			if err := tokenRun(ctx, o); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The same through the factory and the whole cobra tree: what the fast
	// path in Main saves.
	b.Run("cobra", func(b *testing.B) {
		for b.Loop() {
			h := Authdeck("bench")
			h.ConfigDir, h.Getenv = dir, getenv
			h.Getwd = func() (string, error) { return dir, nil }
			errOut := &bytes.Buffer{}
			h.Stdout, h.Stderr = io.Discard, errOut
			f, err := newFactory(h)
			if err != nil {
				b.Fatal(err)
			}
			root := newRootCmd(f)
			root.SetArgs([]string{"token"})
			if code := execute(ctx, root, f); code != 0 {
				b.Fatalf("exit %d: %s", code, errOut)
			}
		}
	})
}
