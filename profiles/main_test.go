package profiles

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
)

// Child processes: the test binary re-executes itself with
// PROFILES_TEST_CHILD set to run one role against a shared ConfigDir.
const childEnv = "PROFILES_TEST_CHILD"

func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		if err := runChild(role); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runChild(role string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	app := App{Name: "authdeck", ConfigDir: os.Getenv("PROFILES_TEST_DIR"), KeyringService: "authdeck-test", Getenv: func(string) string { return "" }}
	m, err := Open(app)
	if err != nil {
		return err
	}
	switch role {
	case "update":
		// Append N servers, one Update each.
		n, _ := strconv.Atoi(os.Getenv("PROFILES_TEST_N"))
		tag := os.Getenv("PROFILES_TEST_TAG")
		for i := 0; i < n; i++ {
			if err := m.Update(ctx, func(c *Config) error {
				c.Servers = append(c.Servers, Server{Name: fmt.Sprintf("%s-%d", tag, i), ClientID: "x", Endpoints: auth.Endpoints{TokenURL: "https://x.example/token"}})
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	case "token":
		minTTL := time.Minute
		switch v := os.Getenv("PROFILES_TEST_MINTTL"); v {
		case "":
		case "default":
			minTTL = 0
		default:
			if minTTL, err = time.ParseDuration(v); err != nil {
				return err
			}
		}
		r, err := m.Token(ctx, os.Getenv("PROFILES_TEST_PROFILE"), TokenOptions{MinTTL: minTTL})
		if err != nil {
			return err
		}
		fmt.Print(r.Token.AccessToken)
		return nil
	}
	return fmt.Errorf("unknown role %q", role)
}

// child returns a command running role in a fresh process of this binary.
func child(dir, role string, extra ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+role, "PROFILES_TEST_DIR="+dir)
	cmd.Env = append(cmd.Env, extra...)
	return cmd
}
