package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/internal/secretfile"
	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/authdeck/authdeck/profiles"
)

// loginParams are the extra parameters of this login: --param, plus
// --audience as audience=.
func loginParams(o *loginOptions) ([]string, error) {
	params := append([]string(nil), o.Params...)
	if o.Audience != "" {
		params = append(params, "audience="+o.Audience)
	}
	if _, err := auth.ParseParams(params); err != nil {
		return nil, flagErrorf("--param: %v", err)
	}
	return params, nil
}

// saveServerParams records params (when not nil) and a client secret (when
// not "") on the configured server name, as it is in the config.
func saveServerParams(ctx context.Context, m *profiles.Manager, name string, params []string, secret string) error {
	cfg, err := m.Load(ctx)
	if err != nil {
		return err
	}
	stored, ok := cfg.Server(name)
	if !ok {
		return fmt.Errorf("server %q vanished from the config during the login; run the login again", textsafe.Clean(name))
	}
	if params != nil {
		stored.Params = params
	}
	if secret != "" {
		stored.ClientSecret = secret
	}
	_, err = m.AddServer(ctx, stored)
	return err
}

// checkNonInteractiveFlags refuses flag combinations that do not go with
// --client-credentials or --token-exchange.
func checkNonInteractiveFlags(o *loginOptions) error {
	switch {
	case !o.TokenExchange && (o.SubjectTokenFile != "" || o.SubjectTokenEnv != "" || o.SubjectTokenType != ""):
		return flagErrorf("--subject-token-file, --subject-token-env and --subject-token-type go with --token-exchange")
	case !o.ClientCredentials && !o.TokenExchange:
		return nil
	case o.ClientCredentials && o.TokenExchange:
		return flagErrorf("--client-credentials and --token-exchange do not go together; choose one")
	case o.WithToken || o.Web:
		return flagErrorf("--client-credentials and --token-exchange do not go with --web or --with-token")
	case o.ClientSecret != "":
		return flagErrorf("a secret is never taken from the command line here (other users can read it in the process list); use --client-secret-file PATH or --client-secret-env VAR, or store it with `%s servers add NAME ... --client-secret-file PATH`", o.AppName)
	case o.TokenExchange && (o.SubjectTokenFile == "") == (o.SubjectTokenEnv == ""):
		return flagErrorf("--token-exchange needs the CI provider's token: give exactly one of --subject-token-file PATH or --subject-token-env VAR")
	}
	return nil
}

// givenSecret is the client secret from --client-secret-file or
// --client-secret-env, "" when neither is given.
func givenSecret(o *loginOptions) (string, error) {
	if o.ClientSecretFile != "" && o.ClientSecretEnv != "" {
		return "", flagErrorf("give the client secret with --client-secret-file or --client-secret-env, not both")
	}
	if o.ClientSecretEnv != "" {
		v := ""
		if o.Getenv != nil {
			v = strings.TrimSpace(o.Getenv(o.ClientSecretEnv))
		}
		if v == "" {
			return "", flagErrorf("the environment variable %s (--client-secret-env) is unset or empty; export the client secret in it, or use --client-secret-file PATH", textsafe.Clean(o.ClientSecretEnv))
		}
		return v, nil
	}
	return clientSecret("", o.ClientSecretFile, "", nil)
}

// subjectToken reads the token to exchange from --subject-token-file or
// --subject-token-env.
func subjectToken(o *loginOptions) (string, error) {
	if o.SubjectTokenFile != "" {
		v, _, err := secretfile.Read(o.SubjectTokenFile, "")
		if err != nil {
			return "", fmt.Errorf("reading the subject token (--subject-token-file): %w", err)
		}
		return v, nil
	}
	v := ""
	if o.Getenv != nil {
		v = strings.TrimSpace(o.Getenv(o.SubjectTokenEnv))
	}
	if v == "" {
		return "", flagErrorf("the environment variable %s (--subject-token-env) is unset or empty; in CI, ask the provider for its OIDC token first (e.g. GitHub Actions: permissions id-token: write)", textsafe.Clean(o.SubjectTokenEnv))
	}
	return v, nil
}

// nonInteractiveLogin runs `login --client-credentials` or `login
// --token-exchange`: no browser, no person, one request.
func nonInteractiveLogin(ctx context.Context, o *loginOptions, ev *eventWriter) (err error) {
	if err := checkNonInteractiveFlags(o); err != nil {
		return err
	}
	params, err := loginParams(o)
	if err != nil {
		return err
	}
	secret, err := givenSecret(o)
	if err != nil {
		return err
	}
	typ, subject := "", ""
	if o.TokenExchange {
		if typ, err = auth.SubjectTokenType(o.SubjectTokenType); err != nil {
			return flagErrorf("--subject-token-type: %v", err)
		}
		if subject, err = subjectToken(o); err != nil {
			return err
		}
	}
	m, err := o.Profiles()
	if err != nil {
		return err
	}
	// The server is found as for any login, without the secret (checked
	// and stored below).
	ro := *o
	ro.ClientSecret, ro.ClientSecretFile, ro.SecretEnv = "", "", ""
	s, created, cleanup, err := resolveServer(ctx, m, &ro, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			cleanup()
		}
	}()
	name := textsafe.Clean(s.Name)
	if secret != "" {
		have := ""
		if s.HasClientSecret() {
			if have, err = m.ClientSecret(ctx, s); err != nil {
				return err
			}
		}
		switch {
		case have == secret:
		case have != "":
			return flagErrorf("server %q has another client secret stored; drop --client-secret-file/--client-secret-env to use the stored one%s", name, suggest(", or replace it with ", cmdq(m, "servers add", name+" --force ... --client-secret-file PATH")))
		default:
			// Stored with the server: a client credentials profile needs it
			// again for its next token.
			var keep []string
			if created && len(params) > 0 {
				if keep, err = profiles.MergeParams(s.Params, params); err != nil {
					return flagErrorf("--param: %v", err)
				}
			}
			if err := saveServerParams(ctx, m, s.Name, keep, secret); err != nil {
				return fmt.Errorf("storing the client secret of server %q: %w", name, err)
			}
			cfg, err := m.Load(ctx)
			if err != nil {
				return err
			}
			scopes := s.Scopes
			s, _ = cfg.Server(s.Name)
			s.Scopes = scopes
		}
	} else if created && len(params) > 0 {
		merged, err := profiles.MergeParams(s.Params, params)
		if err != nil {
			return flagErrorf("--param: %v", err)
		}
		if err := saveServerParams(ctx, m, s.Name, merged, ""); err != nil {
			return err
		}
		s.Params = merged
	}
	opt := profiles.NonInteractiveLogin{Params: params, Save: profiles.SaveOptions{Profile: o.Profile, Insecure: o.Insecure}}
	if len(o.Scopes) > 0 {
		opt.Scopes = o.Scopes
	}
	var p profiles.Profile
	var info profiles.SaveInfo
	if o.ClientCredentials {
		p, info, err = m.LoginClientCredentials(ctx, s, opt)
	} else {
		p, info, err = m.LoginTokenExchange(ctx, s, subject, typ, opt)
	}
	if err != nil {
		return err
	}
	o.savedProfile = p.Name
	if o.JSON {
		ev.emit(successEvent{
			Event: "success", Profile: p.Name, Server: s.Name, Account: textsafe.Clean(p.Account()),
			Storage: m.App().StorageName(info.Storage), InsecureStorage: info.InsecureStorage,
			CredentialsPath: info.Path, FallbackReason: info.FallbackReason,
		})
	} else {
		how := "as client " + o.IO.Bold(textsafe.Clean(p.Account()))
		if o.TokenExchange {
			how = "by token exchange as " + o.IO.Bold(textsafe.Clean(p.Account()))
		}
		fmt.Fprintf(o.IO.ErrOut, "Logged in to %s %s (profile %s)\n", name, how, textsafe.Clean(p.Name))
	}
	reportStorage(o.IO, m.App(), info)
	return nil
}
