package cmd

import (
	"strings"
	"sync"

	"github.com/spf13/cobra"
)

// Command is one of the commands a Kit builds: pass the ones the host
// offers to Kit.Commands (or extra ones to Kit.RootCmd). The zero Command
// is not one.
type Command struct {
	name  string
	build func(*factory) *cobra.Command
}

// Name returns the command's name, as typed ("login").
func (c Command) Name() string { return c.name }

// The commands a host can mount. Each is linked into the host's binary
// only when the host names it: DevServer and Demo, which carry a whole
// authorization server, are left out of a host that does not.
var (
	// Login signs in (device flow, browser, token, client credentials).
	Login = Command{"login", func(f *factory) *cobra.Command { return newCmdLogin(f, nil) }}
	// Logout forgets a profile's tokens locally.
	Logout = Command{"logout", func(f *factory) *cobra.Command { return newCmdLogout(f, nil) }}
	// Whoami shows the signed-in account.
	Whoami = Command{"whoami", func(f *factory) *cobra.Command { return newCmdWhoami(f, nil) }}
	// Token prints a valid access token.
	Token = Command{"token", func(f *factory) *cobra.Command { return newCmdToken(f, nil) }}
	// Profiles lists, chooses, renames and removes profiles.
	Profiles = Command{"profiles", profilesCmd}
	// Revoke revokes a profile's tokens at the server and forgets them.
	Revoke = Command{"revoke", func(f *factory) *cobra.Command { return newCmdRevoke(f, nil) }}
	// Status shows every profile and its token's state.
	Status = Command{"status", func(f *factory) *cobra.Command { return newCmdStatus(f, nil) }}
	// Servers lists, adds and removes authorization servers.
	Servers = Command{"servers", serversCmd}
	// API sends an HTTP request with a profile's token.
	API = Command{"api", func(f *factory) *cobra.Command { return newCmdAPI(f, nil) }}
	// Exec runs a command with a profile's token in its environment.
	Exec = Command{"exec", func(f *factory) *cobra.Command { return newCmdExec(f, nil) }}
	// DevServer runs a local authorization server for trying things out.
	DevServer = Command{"dev-server", func(f *factory) *cobra.Command { return newCmdDevServer(f, nil) }}
	// Demo runs the account manager against a local authorization server.
	Demo = Command{"demo", func(f *factory) *cobra.Command { return newCmdDemo(f, nil) }}
)

// The root-only commands of authdeck's own binary.
var (
	cmdTokens           = Command{"tokens", newCmdTokens}
	cmdCredentialHelper = Command{"credential-helper", newCmdCredentialHelper}
	cmdGit              = Command{"git", newCmdGit}
	cmdKube             = Command{"kube", newCmdKube}
	cmdDocker           = Command{"docker", newCmdDocker}
)

// defaultCommands are what Kit.Commands mounts when given none.
var defaultCommands = []Command{Login, Logout, Whoami, Token, Profiles, Revoke, Status}

// rootCommands are RootCmd's, before the host's extra ones.
var rootCommands = []Command{Login, Logout, Revoke, Whoami, Token, cmdTokens, Status, Profiles, Servers, API, Exec,
	cmdCredentialHelper, cmdGit, cmdKube, cmdDocker}

// registry is the set of top-level commands a Kit has built, shared by
// all of its command sets: messages suggest only these.
type registry struct {
	mu    sync.Mutex
	names map[string]bool
}

func (r *registry) add(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.names == nil {
		r.names = map[string]bool{}
	}
	r.names[name] = true
}

// has reports whether the command of path ("servers add") was built.
func (r *registry) has(path string) bool {
	if r == nil {
		return true // a factory built without one (tests): every command
	}
	top, _, _ := strings.Cut(path, " ")
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.names[top]
}

// commandLine returns a profiles.App.Command for app over r: "app path"
// when the command was built, else "".
func (r *registry) commandLine(app string) func(string) string {
	return func(path string) string {
		if !r.has(path) {
			return ""
		}
		return app + " " + path
	}
}

// build builds cmds for f, registering them; zero Commands panic (a
// programming error of the host).
func (f *factory) build(cmds []Command) []*cobra.Command {
	if f.reg == nil {
		f.reg = &registry{}
	}
	out := make([]*cobra.Command, 0, len(cmds))
	seen := map[string]bool{}
	for _, c := range cmds {
		if c.build == nil {
			panic("authdeck: the zero cmd.Command; pass cmd.Login, cmd.Token, ...")
		}
		if seen[c.name] {
			continue
		}
		seen[c.name] = true
		f.reg.add(c.name)
		out = append(out, c.build(f))
	}
	return out
}
