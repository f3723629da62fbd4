package keyringtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

func TestCheckWithoutTheEnvVar(t *testing.T) {
	t.Setenv(EnvVar, "")
	err := Check(context.Background())
	if err == nil || !strings.Contains(err.Error(), EnvVar) {
		t.Fatalf("Check without %s = %v, want an error naming it", EnvVar, err)
	}
}

func TestCheckWithoutABusNeverLaunchesOne(t *testing.T) {
	t.Setenv(EnvVar, "1")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	err := Check(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no session bus") {
		t.Fatalf("Check with no bus = %v, want \"no session bus\"", err)
	}
}

func TestCheckWithADeadBus(t *testing.T) {
	t.Setenv(EnvVar, "1")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+t.TempDir()+"/nothing")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := Check(ctx); err == nil || !strings.Contains(err.Error(), "cannot connect") {
		t.Fatalf("Check with a dead bus = %v, want a connection error", err)
	}
}

// TestRealSecretService stores, reads and deletes a secret in the real
// keyring that .ci/test provides.
func TestRealSecretService(t *testing.T) {
	Require(t)
	service := "authdeck-keyringtest-" + strings.ReplaceAll(t.Name(), "/", "-")
	user := "probe-" + time.Now().Format("150405.000000000")
	t.Cleanup(func() { _ = keyring.Delete(service, user) })
	type result struct {
		got           string
		err, afterDel error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		if r.err = keyring.Set(service, user, "s3cret"); r.err == nil {
			if r.got, r.err = keyring.Get(service, user); r.err == nil {
				if r.err = keyring.Delete(service, user); r.err == nil {
					_, r.afterDel = keyring.Get(service, user)
				}
			}
		}
		done <- r
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("real keyring round trip: %v", r.err)
		}
		if r.got != "s3cret" {
			t.Errorf("Get = %q, want s3cret", r.got)
		}
		if r.afterDel != keyring.ErrNotFound {
			t.Errorf("Get after Delete = %v, want ErrNotFound", r.afterDel)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the keyring did not answer within 20s")
	}
}
