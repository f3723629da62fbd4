package tui

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
	"golang.org/x/oauth2"
)

// These flows run the real Bubble Tea program (real timers) on fakes.

func fastFixture(n int) *fixture {
	fx := newFixture(n)
	fx.deps.Now = time.Now
	fx.flow.code.IssuedAt = time.Now()
	fx.flow.code.ExpiresAt = time.Now().Add(10 * time.Minute)
	fx.flow.code.Interval = 20 * time.Millisecond
	return fx
}

func waitText(t *testing.T, tm *teatest.TestModel, texts ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, s := range texts {
			if !bytes.Contains(b, []byte(s)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

func TestFlowLoginHappyPath(t *testing.T) {
	fx := fastFixture(0)
	fx.flow.answers = []pollAnswer{{err: auth.ErrAuthorizationPending}, {err: auth.ErrAuthorizationPending}, {tok: &oauth2.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}}}
	tm := teatest.NewTestModel(t, newModel(context.Background(), fx.deps, Options{Start: ScreenLogin, Server: testServer()}, true), teatest.WithInitialTermSize(100, 30))
	waitText(t, tm, "Logged in as alice")
	tm.Send(press("enter")) // to the accounts screen
	waitText(t, tm, "Profiles (1)")
	tm.Send(press("q"))
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(model)
	res, err := fm.finish()
	if err != nil || res.LoggedIn == nil || res.LoggedIn.Name != "alice" {
		t.Fatalf("result %+v, %v", res, err)
	}
	if n := fx.flow.polls.Load(); n != 3 {
		t.Fatalf("%d polls, want 3", n)
	}
}

func TestFlowDenyThenRetry(t *testing.T) {
	fx := fastFixture(0)
	fx.flow.answers = []pollAnswer{{err: auth.ErrAccessDenied}}
	tm := teatest.NewTestModel(t, newModel(context.Background(), fx.deps, Options{Start: ScreenLogin, Server: testServer()}, true), teatest.WithInitialTermSize(100, 30))
	waitText(t, tm, "Access denied", "r retry")
	fx.flow.mu.Lock()
	fx.flow.answers = []pollAnswer{{err: auth.ErrAccessDenied}, {tok: &oauth2.Token{AccessToken: "at"}}}
	fx.flow.mu.Unlock()
	tm.Send(press("r"))
	waitText(t, tm, "Logged in as alice")
	if n := fx.flow.starts.Load(); n != 2 {
		t.Fatalf("%d device codes requested, want 2", n)
	}
	tm.Send(press("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

// From the accounts screen, l starts a login and esc cancels it while the
// program keeps running: the poll in flight is cancelled and no poll is
// sent afterwards (cancelled ones count too).
func TestFlowEscStopsPolling(t *testing.T) {
	fx := fastFixture(1)
	fx.flow.gate = make(chan struct{}) // polls wait until cancelled
	tm := teatest.NewTestModel(t, newModel(context.Background(), fx.deps, Options{}, true), teatest.WithInitialTermSize(100, 30))
	waitText(t, tm, "user000")
	tm.Send(press("l"))
	waitText(t, tm, "Waiting for approval")
	teatest.WaitFor(t, tm.Output(), func([]byte) bool { return fx.flow.attempts.Load() >= 1 },
		teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
	tm.Send(press("esc"))
	waitText(t, tm, "Login cancelled")
	teatest.WaitFor(t, tm.Output(), func([]byte) bool { return fx.flow.cancelled.Load() == fx.flow.attempts.Load() },
		teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
	n := fx.flow.attempts.Load()
	// Ten poll intervals for a poll that was still scheduled to show
	// itself, then a key the program must have handled.
	time.Sleep(10 * fx.flow.code.Interval)
	tm.Send(press("tab"))
	waitText(t, tm, "[Servers (2)]")
	if got := fx.flow.attempts.Load(); got != n {
		t.Fatalf("polling continued after esc: %d -> %d poll(s)", n, got)
	}
	tm.Send(press("q"))
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(model)
	if fm.login.state != loginIdle || fm.login.ctx.Err() == nil {
		t.Fatalf("login after esc: state %v, context %v", fm.login.state, fm.login.ctx.Err())
	}
}

func TestFlowAccountsUseLogoutRevoke(t *testing.T) {
	fx := fastFixture(3)
	tm := teatest.NewTestModel(t, newModel(context.Background(), fx.deps, Options{}, true), teatest.WithInitialTermSize(100, 30))
	waitText(t, tm, "user002")
	tm.Send(press("down"))
	tm.Send(press("enter"))
	waitText(t, tm, "Now using user001")
	tm.Send(press("o"))
	waitText(t, tm, "Log out of profile")
	tm.Send(press("y"))
	waitText(t, tm, "Signed out of user001: its tokens are forgotten")
	tm.Send(press("up"))
	tm.Send(press("r"))
	waitText(t, tm, "at the server?")
	tm.Send(press("n"))
	waitText(t, tm, "Nothing was changed")
	tm.Send(press("r"))
	waitText(t, tm, "at the server?")
	tm.Send(press("y"))
	waitText(t, tm, "Signed out of user000: its tokens were revoked")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	want := "Use user001|Logout user001|Revoke user000"
	if got := strings.Join(fx.ps.Calls(), "|"); got != want {
		t.Fatalf("calls %q, want %q", got, want)
	}
}

// TestFlowLoginSaysWhileRetrying: while the device code request is
// retried, the login screen says so under its spinner, with the attempt
// count and the next try; the code shows once it comes.
func TestFlowLoginSaysWhileRetrying(t *testing.T) {
	fx := fastFixture(0)
	fx.flow.retries = []auth.Retry{{N: 1, Wait: time.Second}, {N: 2, Status: 503, Wait: 2 * time.Second}}
	fx.flow.startGate = make(chan struct{})
	fx.flow.answers = []pollAnswer{{tok: &oauth2.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}}}
	tm := teatest.NewTestModel(t, newModel(context.Background(), fx.deps, Options{Start: ScreenLogin, Server: testServer()}, true), teatest.WithInitialTermSize(100, 30))
	waitText(t, tm, "Asking the server for a code", "Server busy (HTTP 503; attempt 2, next try in 2s)…")
	close(fx.flow.startGate)
	waitText(t, tm, "Logged in as alice")
	tm.Send(press("enter"))
	tm.Send(press("q"))
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
}
