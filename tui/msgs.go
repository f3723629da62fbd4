package tui

import (
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/profiles"
	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/oauth2"
)

// Messages are past-tense events. Every asynchronous result that can go
// stale carries the generation it was started under; a mismatch drops it.

// profilesLoadedMsg carries the profiles and servers for the accounts screen.
type profilesLoadedMsg struct {
	gen      int
	statuses []profiles.Status
	cfg      *profiles.Config
	at       time.Time
	err      error
}

// actionDoneMsg reports a finished accounts action (use, logout, revoke, remove).
type actionDoneMsg struct {
	action  action
	profile string
	err     error
}

// serverAddedMsg reports the add-server form's save.
type serverAddedMsg struct {
	gen    int
	server profiles.Server
	err    error
}

// checkedMsg carries what the servers said of each login (c).
type checkedMsg struct {
	gen     int
	results []profiles.CheckResult
	err     error
}

// whoamiLoadedMsg carries a whoami result.
type whoamiLoadedMsg struct {
	gen int
	who *profiles.WhoAmI
	at  time.Time
	err error
}

// tokenLoadedMsg carries a token for the token screen. The token stays in
// memory only and is masked until the user asks.
type tokenLoadedMsg struct {
	gen int
	res *profiles.TokenResult
	at  time.Time
	err error
}

// deviceCodeMsg carries a device code from StartDevice.
type deviceCodeMsg struct {
	gen  int
	code *auth.DeviceCode
	at   time.Time
	err  error
}

// startRetryMsg says that the device code request failed and will be sent
// again; ch carries the request's next message.
type startRetryMsg struct {
	gen   int
	retry auth.Retry
	ch    <-chan tea.Msg
}

// pollDueMsg says it is time to send the next poll; at is when it fired.
type pollDueMsg struct {
	gen int
	at  time.Time
}

// pollResultMsg is the answer to one poll.
type pollResultMsg struct {
	gen      int
	tok      *oauth2.Token
	err      error
	interval time.Duration // the interval in force after the poll
	at       time.Time
}

// loginSavedMsg reports that a login was saved as a profile.
type loginSavedMsg struct {
	gen     int
	profile profiles.Profile
	info    profiles.SaveInfo
	id      *auth.Identity
	err     error
}

// clockMsg is the once-a-second tick of screens with live times.
type clockMsg struct {
	gen int
	at  time.Time
}

// copiedMsg reports a clipboard copy.
type copiedMsg struct {
	what string
	via  string // how: "the clipboard", "the terminal (OSC 52)"
	err  error
}

// openedMsg reports a browser launch.
type openedMsg struct {
	url string
	err error
}

// webStartedMsg carries a started browser sign-in (its listener is bound).
type webStartedMsg struct {
	gen  int
	flow webFlow
	at   time.Time
	err  error
}

// webDoneMsg is how a browser sign-in ended: the browser came back (and the
// code was exchanged), the server refused, it timed out or was closed.
type webDoneMsg struct {
	gen int
	tok *oauth2.Token
	err error
}

// webPastedMsg is the result of finishing a browser sign-in with a pasted
// address. An error may leave the flow running (wrong state, not an address).
type webPastedMsg struct {
	gen int
	tok *oauth2.Token
	err error
}
