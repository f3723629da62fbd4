package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/authdeck/authdeck/internal/devserver"
	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/spf13/cobra"
)

// devServerOptions are the inputs of `authdeck dev-server`.
type devServerOptions struct {
	IO      *ioStreams
	AppName string
	// Start starts the server (devserver.Start; a test seam).
	Start func(context.Context, devserver.Options) (*devserver.Server, error)
	// Ready, when set, is called once the server is up (tests).
	Ready func(*devserver.Server)

	Addr      string
	Interval  time.Duration
	CodeTTL   time.Duration
	AccessTTL time.Duration
	UsersFile string
}

// newCmdDevServer builds `authdeck dev-server`. runF replaces devServerRun
// in tests.
func newCmdDevServer(f *factory, runF func(*devServerOptions) error) *cobra.Command {
	opts := &devServerOptions{IO: f.IO, AppName: f.AppName, Start: devserver.Start}
	c := &cobra.Command{
		Use:   "dev-server",
		Short: "Run a local authorization server for trying " + f.AppName + " out",
		Long: `Run a small, standards-conformant OAuth 2.0 / OpenID Connect authorization
server on loopback, in the spirit of ` + "`vault server -dev`" + `: discovery (RFC 8414 and
OpenID), the device flow (RFC 8628), rotating refresh tokens, revocation
(RFC 7009), introspection (RFC 7662) and userinfo, plus a verification page
at /device where you approve sign-ins as one of the demo users.

The issuer, client id and verification page are printed on stdout; one log
line per event goes to stderr. Everything is kept in memory and forgotten
when the server stops (Ctrl-C, which ends it with exit code 0).

--users reads the users a person can sign in as from a TOML or JSON file:
  [[users]]
  login = "carol"
  name = "Carol Danvers"
  email = "carol@example.com"`,
		Example: `  ` + f.AppName + ` dev-server
  ` + f.AppName + ` dev-server --addr 127.0.0.1:8080 --interval 1s --access-ttl 5m`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if opts.Interval < time.Second {
				return flagErrorf("--interval must be at least 1s (got %s)", opts.Interval)
			}
			for _, d := range []struct {
				name string
				v    time.Duration
			}{{"--code-ttl", opts.CodeTTL}, {"--access-ttl", opts.AccessTTL}} {
				if d.v < time.Second {
					return flagErrorf("%s must be at least 1s (got %s)", d.name, d.v)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return devServerRun(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.Addr, "addr", devserver.DefaultAddr, "loopback `HOST:PORT` to listen on (port 0 picks a free one)")
	fl.DurationVar(&opts.Interval, "interval", devserver.DefaultInterval, "polling interval announced to device clients (faster polls get slow_down)")
	fl.DurationVar(&opts.CodeTTL, "code-ttl", devserver.DefaultCodeTTL, "lifetime of a device code")
	fl.DurationVar(&opts.AccessTTL, "access-ttl", devserver.DefaultAccessTTL, "lifetime of access and ID tokens")
	fl.StringVar(&opts.UsersFile, "users", "", "read the demo users from `FILE` (TOML or JSON)")
	return c
}

func devServerRun(ctx context.Context, o *devServerOptions) error {
	var users []devserver.User
	if o.UsersFile != "" {
		var err error
		if users, err = devserver.LoadUsers(o.UsersFile); err != nil {
			return err
		}
	}
	srv, err := o.Start(ctx, devserver.Options{
		Addr:      o.Addr,
		Interval:  o.Interval,
		CodeTTL:   o.CodeTTL,
		AccessTTL: o.AccessTTL,
		Users:     users,
		Logger:    slog.New(slog.NewTextHandler(o.IO.ErrOut, nil)),
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	printDevServer(o.IO.Out, o.AppName, srv)
	fmt.Fprintln(o.IO.ErrOut, "Serving until Ctrl-C; all state is in memory and is forgotten when the server stops.")
	if o.Ready != nil {
		o.Ready(srv)
	}
	select {
	case <-ctx.Done():
		// Ctrl-C (or SIGTERM) is how a server is meant to stop: exit 0.
		srv.Close()
		<-srv.Done()
		fmt.Fprintln(o.IO.ErrOut, "Stopped.")
		return nil
	case <-srv.Done():
		if ctx.Err() != nil {
			// The server was started with ctx, so it may notice the
			// cancellation before this select does: still a clean stop.
			fmt.Fprintln(o.IO.ErrOut, "Stopped.")
			return nil
		}
	}
	if err := srv.Wait(); err != nil {
		return fmt.Errorf("the dev server stopped: %w", err)
	}
	return errors.New("the dev server stopped unexpectedly")
}

// printDevServer writes what a person (or a script) needs to use the server.
// The first lines are "Key: value" pairs, stable for scripts.
func printDevServer(w io.Writer, app string, srv *devserver.Server) {
	var logins []string
	for _, u := range srv.Users() {
		logins = append(logins, textsafe.Clean(u.Login))
	}
	fmt.Fprintf(w, "Issuer:            %s\n", srv.Issuer())
	fmt.Fprintf(w, "Client ID:         %s\n", srv.ClientID())
	fmt.Fprintf(w, "Verification page: %s\n", srv.DeviceURL())
	fmt.Fprintf(w, "Users:             %s\n", strings.Join(logins, ", "))
	fmt.Fprintf(w, "\nSign in from another terminal with:\n  %s login --server %s --client-id %s\n", app, srv.Issuer(), srv.ClientID())
}
