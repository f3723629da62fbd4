// Command hostcli is an example of a Go CLI, "acme", that embeds authdeck:
// it mounts authdeck's login, logout, whoami, token, profiles, revoke and
// status commands under its own root, with its own names (ACME_TOKEN,
// ACME_PROFILE, ACME_CONFIG_DIR, keyring service "acme"), and uses the
// signed-in profile's token for its own API calls:
//
//	ACME_ISSUER=https://id.example.com ACME_CLIENT_ID=acme-cli acme login
//	acme call https://api.example.com/v1/me
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/authdeck/authdeck/cmd"
	"github.com/authdeck/authdeck/profiles"
	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	host := cmd.Host{
		Name: "acme", Title: "Acme accounts",
		Getenv: os.Getenv, Environ: os.Environ, Getwd: os.Getwd,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
	}
	if issuer := os.Getenv("ACME_ISSUER"); issuer != "" {
		host.DefaultServer = &profiles.Server{Name: "acme", ClientID: os.Getenv("ACME_CLIENT_ID"),
			Scopes: strings.Fields(os.Getenv("ACME_SCOPES"))}
		host.DefaultServer.Issuer = issuer
		// The HTTP client sends the token only to the server's origins:
		// the issuer's, the userinfo endpoint's and these.
		host.DefaultServer.APIHosts = strings.Fields(os.Getenv("ACME_API_HOSTS"))
	}
	kit, err := cmd.New(host)
	if err != nil {
		fmt.Fprintln(os.Stderr, "acme:", err)
		os.Exit(1)
	}

	root := &cobra.Command{Use: "acme", Short: "Acme's command line"}
	// Only the commands acme offers: messages never suggest the others
	// (servers, api, ...), and the dev server is not linked in.
	root.AddCommand(kit.Commands(cmd.Login, cmd.Logout, cmd.Whoami, cmd.Token, cmd.Profiles, cmd.Revoke, cmd.Status)...)
	root.AddCommand(&cobra.Command{
		Use:   "call URL",
		Short: "GET URL with the signed-in account's token",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			resp, err := kit.HTTPClient(c.Context(), "").Get(args[0])
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if _, err := io.Copy(os.Stdout, io.LimitReader(resp.Body, 1<<20)); err != nil {
				return err
			}
			if resp.StatusCode >= 300 {
				return fmt.Errorf("%s answered %s", args[0], resp.Status)
			}
			return nil
		},
	})
	os.Exit(kit.Execute(ctx, root))
}
