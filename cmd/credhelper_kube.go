package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
	"github.com/spf13/cobra"
)

// The ExecCredential API versions the kubectl helper answers in.
const (
	execV1      = "client.authentication.k8s.io/v1"
	execV1beta1 = "client.authentication.k8s.io/v1beta1"
)

func newCmdKubeHelper(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "kubectl",
		Short: "kubectl's exec credential plugin: a profile's token as an ExecCredential",
		Long: `kubectl's exec credential plugin (client-go's exec authenticator). It prints a
client.authentication.k8s.io ExecCredential whose status has the profile's
access token, refreshed first when it expires soon, and its
expirationTimestamp, so kubectl runs it again when the token expires.

The answer is in the apiVersion that kubectl asks for in KUBERNETES_EXEC_INFO:
client.authentication.k8s.io/v1 (kubectl 1.22 and later) or v1beta1 (every
kubectl since 1.11, and the only one of kubectl 1.20); v1beta1 when the variable
is unset.

--profile is required. ` + f.AppName + ` kube setup --profile NAME prints the kubeconfig user
entry that runs it.`,
		Example: `  ` + f.AppName + ` credential-helper kubectl --profile work`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if code := kubeHelperRun(c.Context(), f.helperEnv(), f.Globals().Profile); code != ExitOK {
				return &exitStatusError{Code: code}
			}
			return nil
		},
	}
}

// execCredential is client.authentication.k8s.io's ExecCredential, in v1
// and v1beta1 alike.
type execCredential struct {
	APIVersion string               `json:"apiVersion"`
	Kind       string               `json:"kind"`
	Spec       struct{}             `json:"spec"`
	Status     execCredentialStatus `json:"status"`
}

type execCredentialStatus struct {
	ExpirationTimestamp *time.Time `json:"expirationTimestamp,omitempty"`
	Token               string     `json:"token"`
}

// execAPIVersion is the apiVersion KUBERNETES_EXEC_INFO asks for.
func execAPIVersion(info string) (string, error) {
	if strings.TrimSpace(info) == "" {
		return execV1beta1, nil
	}
	var v struct {
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal([]byte(info), &v); err != nil {
		return "", fmt.Errorf("KUBERNETES_EXEC_INFO is not JSON (%v); this helper is run by kubectl", err)
	}
	switch v.APIVersion {
	case execV1, execV1beta1:
		return v.APIVersion, nil
	}
	return "", fmt.Errorf("kubectl asks for an ExecCredential of apiVersion %q; this helper answers %s and %s: set the user's exec apiVersion to one of them (kube setup --api-version)", textsafe.Clean(v.APIVersion), execV1, execV1beta1)
}

// kubeHelperRun prints the ExecCredential; it returns the exit code,
// having printed any error on e.ErrOut.
func kubeHelperRun(ctx context.Context, e helperEnv, profile string) int {
	if profile == "" {
		return helperError(e, ctx, errNoProfile(e.AppName, "kube setup --profile NAME"))
	}
	version, err := execAPIVersion(e.Getenv("KUBERNETES_EXEC_INFO"))
	if err != nil {
		return helperError(e, ctx, err)
	}
	// The ID token when the profile's server says kube_token = "id_token"
	// (Token refreshes when it has expired), else the access token.
	res, err := helperToken(ctx, e, profile, profiles.TokenOptions{WantIDToken: profiles.Server.KubeIDTokenWanted})
	if err != nil {
		return helperError(e, ctx, err)
	}
	cred := execCredential{APIVersion: version, Kind: "ExecCredential"}
	cred.Status.Token = res.Token.AccessToken
	exp := res.Token.Expiry
	if res.IDToken != "" {
		cred.Status.Token, exp = res.IDToken, res.IDTokenExpiry
	}
	if !exp.IsZero() {
		exp = exp.UTC().Truncate(time.Second)
		cred.Status.ExpirationTimestamp = &exp
	}
	b, err := json.Marshal(cred)
	if err != nil {
		return helperError(e, ctx, err)
	}
	if _, err := e.Out.Write(append(b, '\n')); err != nil {
		return helperError(e, ctx, err)
	}
	return ExitOK
}

// kubeSetupOptions are the inputs of `authdeck kube setup`.
type kubeSetupOptions struct {
	User       string
	APIVersion string
	Kubeconfig string // --kubeconfig: write the entry into this file
	Write      bool   // --write: into $KUBECONFIG's first file or ~/.kube/config
}

func newCmdKube(f *factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "kube",
		Short: "Use a profile's token as kubectl's credential: setup",
		Args:  cobra.NoArgs,
	}
	o := &kubeSetupOptions{}
	setup := &cobra.Command{
		Use:   "setup",
		Short: "Print (or --write) the kubeconfig user entry that gets its token from " + f.AppName,
		Long: `Print, on stdout, a kubeconfig users: entry whose exec plugin is
` + f.AppName + ` credential-helper kubectl --profile NAME. Add it to your kubeconfig
(~/.kube/config) and point a context at it:

  kubectl config set-context --current --user USER

--write (or --kubeconfig PATH) merges the entry into the kubeconfig instead:
a user of the same name is replaced, every other entry is kept, and the file
is replaced atomically; a file that is not YAML is left as it is.

The profile is --profile, else the one ` + f.AppName + ` token would use; its name is
written into the entry. --api-version v1 needs kubectl 1.22 or later; v1beta1,
the default, works with every kubectl since 1.11.`,
		Example: `  ` + f.AppName + ` kube setup --profile work >> ~/.kube/authdeck-users.yaml
  ` + f.AppName + ` kube setup --profile work --api-version v1 --user work
  ` + f.AppName + ` kube setup --profile work --write`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			switch o.APIVersion {
			case "v1", execV1:
				o.APIVersion = execV1
			case "v1beta1", execV1beta1:
				o.APIVersion = execV1beta1
			default:
				return flagErrorf("--api-version %q: use v1 (kubectl 1.22 and later) or v1beta1", textsafe.Clean(o.APIVersion))
			}
			profile, err := selectProfile(c.Context(), f, f.Globals().Profile)
			if err != nil {
				return err
			}
			user := o.User
			if user == "" {
				user = f.AppName + "-" + profile
			}
			entry := kubeUserEntry(user, helperCommand(f), profile, o.APIVersion)
			path := o.Kubeconfig
			if path == "" && o.Write {
				if path, err = defaultKubeconfig(f.Getenv); err != nil {
					return err
				}
			}
			if path == "" {
				_, err = fmt.Fprint(f.IO.Out, entry)
				return err
			}
			if err := writeKubeUser(path, entry); err != nil {
				return err
			}
			fmt.Fprintf(f.IO.ErrOut, "Wrote user %s into %s; point a context at it: kubectl config set-context --current --user %s\n", textsafe.Clean(user), textsafe.Clean(path), shellJoin([]string{user}))
			return nil
		},
	}
	setup.Flags().StringVar(&o.Kubeconfig, "kubeconfig", "", "write the entry into the kubeconfig at `PATH` (replacing a user of the same name) instead of printing it")
	setup.Flags().BoolVar(&o.Write, "write", false, "write the entry into the kubeconfig kubectl reads: the first file of KUBECONFIG, else ~/.kube/config")
	setup.Flags().StringVar(&o.User, "user", "", "the kubeconfig `USER` name (default "+f.AppName+"-PROFILE)")
	setup.Flags().StringVar(&o.APIVersion, "api-version", "v1beta1", "the ExecCredential `VERSION`: v1 or v1beta1")
	c.AddCommand(setup)
	return c
}

// kubeUserEntry is a kubeconfig users: list with one user. Strings are
// written as JSON strings, which YAML reads as they are.
func kubeUserEntry(user, command, profile, apiVersion string) string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	var b strings.Builder
	b.WriteString("users:\n")
	b.WriteString("- name: " + q(user) + "\n")
	b.WriteString("  user:\n")
	b.WriteString("    exec:\n")
	b.WriteString("      apiVersion: " + apiVersion + "\n")
	b.WriteString("      command: " + q(command) + "\n")
	b.WriteString("      args:\n")
	for _, a := range []string{"credential-helper", "kubectl", "--profile", profile} {
		b.WriteString("      - " + q(a) + "\n")
	}
	if apiVersion == execV1 {
		b.WriteString("      interactiveMode: Never\n")
	}
	return b.String()
}
