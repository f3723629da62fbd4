package tui

import (
	"context"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/profiles"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"golang.org/x/oauth2"
)

// profileService is what the TUI needs from profiles: satisfied by
// *profiles.Manager, faked in tests.
type profileService interface {
	Load(ctx context.Context) (*profiles.Config, error)
	Status(ctx context.Context, tokenFile string) ([]profiles.Status, error)
	AddServer(ctx context.Context, s profiles.Server) (profiles.Server, error)
	RemoveServer(ctx context.Context, name string) error
	Remove(ctx context.Context, name string) error
	Use(ctx context.Context, name string) error
	Logout(ctx context.Context, name string) error
	Revoke(ctx context.Context, name string) error
	WhoAmI(ctx context.Context, profile string) (*profiles.WhoAmI, error)
	Check(ctx context.Context, names []string) ([]profiles.CheckResult, error)
	Token(ctx context.Context, profile string, opt profiles.TokenOptions) (*profiles.TokenResult, error)
	SaveLogin(ctx context.Context, server string, t *oauth2.Token, id *auth.Identity, opt profiles.SaveOptions) (profiles.Profile, profiles.SaveInfo, error)
}

// deviceFlow is what the login screen needs from a protocol client:
// satisfied by *auth.Client.
type deviceFlow interface {
	// StartDeviceNotify calls onRetry before each wait between attempts.
	StartDeviceNotify(ctx context.Context, onRetry func(auth.Retry)) (*auth.DeviceCode, error)
	PollOnce(ctx context.Context, dc *auth.DeviceCode) (*oauth2.Token, error)
	UserInfo(ctx context.Context, accessToken string) (*auth.Identity, error)
}

// webFlow is one browser sign-in in progress: satisfied by *auth.WebFlow.
type webFlow interface {
	AuthURL() string
	RedirectURL() string
	Deadline() time.Time
	Wait(ctx context.Context) (*oauth2.Token, error)
	CompleteFromURL(ctx context.Context, redirected string) (*oauth2.Token, error)
	Close() error
}

// deps are the TUI's collaborators. Every field is set by Run (or a test).
type deps struct {
	Profiles profileService
	// Flow returns the protocol client of a server.
	Flow func(profiles.Server) deviceFlow
	// StartWeb starts a browser sign-in to a server (binds the loopback
	// listener); nil means the browser sign-in is unavailable.
	StartWeb func(ctx context.Context, s profiles.Server, opt auth.WebOptions) (webFlow, error)
	// Remote is true over SSH: the browser runs on another machine, so the
	// browser sign-in offers to paste the address it ended on.
	Remote bool
	// Now is the clock, read by commands only: Update takes the time from
	// the messages.
	Now func() time.Time
	// Tick makes every timer of the package (tea.Tick; tests count the
	// commands that wait on one).
	Tick tickFunc
	// OpenURL opens a browser; nil means none is available.
	OpenURL func(string) error
	// Copy puts text on the clipboard (system clipboard, else OSC 52) and
	// says how.
	Copy func(string) (via string, err error)
	// Renderer renders the styles for the program's output; nil means
	// lipgloss's default renderer (tests).
	Renderer *lipgloss.Renderer
	// SecretsName is what the host's secret store is called
	// (profiles.App.SecretsName); "" means "keyring".
	SecretsName string
}

// tickFunc is tea.Tick's signature.
type tickFunc func(time.Duration, func(time.Time) tea.Msg) tea.Cmd

// managerFlow adapts *profiles.Manager's Client to deviceFlow.
func managerFlow(m *profiles.Manager) func(profiles.Server) deviceFlow {
	return func(s profiles.Server) deviceFlow {
		c := m.Client(s)
		if c == nil {
			return nil
		}
		return c
	}
}

// managerWeb starts browser sign-ins with *profiles.Manager's Client.
func managerWeb(m *profiles.Manager) func(context.Context, profiles.Server, auth.WebOptions) (webFlow, error) {
	return func(ctx context.Context, s profiles.Server, opt auth.WebOptions) (webFlow, error) {
		f, err := m.Client(s).StartWeb(ctx, opt)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return f, nil
	}
}

// The real implementations satisfy the consumer interfaces.
var (
	_ profileService = (*profiles.Manager)(nil)
	_ deviceFlow     = (*auth.Client)(nil)
	_ webFlow        = (*auth.WebFlow)(nil)
)
