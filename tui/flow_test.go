package tui

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"sync/atomic"
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
// sent afterwards (cancelled ones count too). The package's timers are
// fired by the test (manualTimers), and pollRecorder says when the model
// has handled every poll message and the command it answered with has
// run, so nothing here waits for time to pass.
func TestFlowEscStopsPolling(t *testing.T) {
	fx := fastFixture(1)
	fx.flow.gate = make(chan struct{}) // polls wait until cancelled
	timers := manualTimers(fx)
	rec := &pollRecorder{Model: newModel(context.Background(), fx.deps, Options{}, true)}
	tm := teatest.NewTestModel(t, rec, teatest.WithInitialTermSize(100, 30))
	waitText(t, tm, "user000")
	tm.Send(press("l"))
	waitText(t, tm, "Waiting for approval")
	eventually(t, "a poll is sent", func() bool {
		timers.fire(tm)
		return fx.flow.attempts.Load() >= 1
	})
	tm.Send(press("esc"))
	waitText(t, tm, "Login cancelled")
	eventually(t, "the cancelled poll's answer is handled", func() bool {
		n := fx.flow.attempts.Load()
		return fx.flow.cancelled.Load() == n && rec.results.Load() >= int64(n) && rec.settled()
	})
	n := fx.flow.attempts.Load()
	// Every timer still pending (a poll that was still scheduled to show
	// itself), then a key: sent from here, the key is handled after them.
	timers.fire(tm)
	tm.Send(press("tab"))
	waitText(t, tm, "[Servers (2)]")
	eventually(t, "the commands answering poll messages have run", rec.settled)
	if got := fx.flow.attempts.Load(); got != n {
		t.Fatalf("polling continued after esc: %d -> %d poll(s)", n, got)
	}
	tm.Send(press("q"))
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*pollRecorder).Model.(model)
	if fm.login.state != loginIdle || fm.login.ctx.Err() == nil {
		t.Fatalf("login after esc: state %v, context %v", fm.login.state, fm.login.ctx.Err())
	}
}

// eventually polls cond until it holds, failing the test after a deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond) // the polling interval, not a synchronisation
	}
}

// timerQueue holds the package's timers (tick) until the test fires them.
type timerQueue struct {
	mu      sync.Mutex
	pending []func(time.Time) tea.Msg
}

// manualTimers gives fx's timers (deps.Tick) to the test: a timer's
// command returns at once, and its message is sent only by fire.
func manualTimers(fx *fixture) *timerQueue {
	q := &timerQueue{}
	fx.deps.Tick = func(_ time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
		return func() tea.Msg {
			q.mu.Lock()
			q.pending = append(q.pending, fn)
			q.mu.Unlock()
			return nil
		}
	}
	return q
}

// fire sends the messages of every pending timer to the program, in order,
// from the calling goroutine.
func (q *timerQueue) fire(tm *teatest.TestModel) {
	q.mu.Lock()
	due := q.pending
	q.pending = nil
	q.mu.Unlock()
	for _, fn := range due {
		tm.Send(fn(time.Now()))
	}
}

// pollRecorder wraps the program's model and counts the poll messages it
// handles, and the commands answering them that have finished.
type pollRecorder struct {
	tea.Model
	results, handled, done atomic.Int64
}

func (r *pollRecorder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := r.Model.Update(msg)
	r.Model = m
	switch msg.(type) {
	case pollResultMsg:
		r.results.Add(1)
	case pollDueMsg:
	default:
		return r, cmd
	}
	r.handled.Add(1)
	if cmd == nil {
		r.done.Add(1)
		return r, nil
	}
	return r, func() tea.Msg {
		defer r.done.Add(1)
		return cmd()
	}
}

// settled: every command answering a poll message has returned.
func (r *pollRecorder) settled() bool { return r.done.Load() == r.handled.Load() }

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
