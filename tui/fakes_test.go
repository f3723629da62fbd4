package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/profiles"
	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/oauth2"
)

// t0 is the fake clock's start.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeProfiles is an in-memory profileService that records calls.
type fakeProfiles struct {
	mu       sync.Mutex
	cfg      profiles.Config
	statuses []profiles.Status
	calls    []string
	saveInfo profiles.SaveInfo
	errs     map[string]error
	checks   map[string]profiles.CheckResult
	saved    []*oauth2.Token
	loads    atomic.Int32
}

func (f *fakeProfiles) record(op string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprint(append([]any{op}, args...)...))
	return f.errs[strings.TrimSpace(op)]
}

func (f *fakeProfiles) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeProfiles) Load(ctx context.Context) (*profiles.Config, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cfg
	return &c, f.errs["Load"]
}

func (f *fakeProfiles) Status(ctx context.Context, tokenFile string) ([]profiles.Status, error) {
	f.loads.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]profiles.Status(nil), f.statuses...), f.errs["Status"]
}

func (f *fakeProfiles) AddServer(ctx context.Context, s profiles.Server) (profiles.Server, error) {
	if err := f.record("AddServer ", s.Name); err != nil {
		return profiles.Server{}, err
	}
	f.mu.Lock()
	f.cfg.Servers = append(f.cfg.Servers, s)
	f.mu.Unlock()
	return s, nil
}

func (f *fakeProfiles) RemoveServer(ctx context.Context, name string) error {
	return f.record("RemoveServer ", name)
}
func (f *fakeProfiles) Remove(ctx context.Context, name string) error {
	return f.record("Remove ", name)
}

func (f *fakeProfiles) Use(ctx context.Context, name string) error {
	if err := f.record("Use ", name); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.statuses {
		f.statuses[i].Active = f.statuses[i].Name == name
	}
	return nil
}

func (f *fakeProfiles) signOut(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.statuses {
		if f.statuses[i].Name == name {
			f.statuses[i].State = profiles.StateSignedOut
			f.statuses[i].Storage = profiles.StorageNone
		}
	}
}

func (f *fakeProfiles) Logout(ctx context.Context, name string) error {
	if err := f.record("Logout ", name); err != nil {
		return err
	}
	f.signOut(name)
	return nil
}

func (f *fakeProfiles) Revoke(ctx context.Context, name string) error {
	if err := f.record("Revoke ", name); err != nil {
		return err
	}
	f.signOut(name)
	return nil
}

// Check answers from f.checks by profile name (valid when unset).
func (f *fakeProfiles) Check(ctx context.Context, names []string) ([]profiles.CheckResult, error) {
	if err := f.record("Check", ""); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []profiles.CheckResult
	for _, st := range f.statuses {
		c, ok := f.checks[st.Name]
		if !ok {
			c = profiles.CheckResult{State: profiles.CheckValid}
		}
		c.Name = st.Name
		out = append(out, c)
	}
	return out, nil
}

func (f *fakeProfiles) WhoAmI(ctx context.Context, name string) (*profiles.WhoAmI, error) {
	if err := f.record("WhoAmI ", name); err != nil {
		return nil, err
	}
	return &profiles.WhoAmI{
		Profile:  profiles.Profile{Name: name, Storage: profiles.StorageKeyring},
		Server:   profiles.Server{Name: "local", ClientID: "authdeck-cli", Endpoints: auth.Endpoints{Issuer: "http://127.0.0.1:4444"}},
		Identity: &auth.Identity{Subject: "sub-1", Username: "alice", Email: "alice@example.com", Name: "Alice \x1b[31mRed\x1b[0m", Claims: map[string]any{"email_verified": true, "sub": "sub-1"}},
		Source:   profiles.SourceKeyring,
		Expiry:   t0.Add(42 * time.Minute),
		Scopes:   []string{"openid", "profile", "email", "offline_access"},
	}, nil
}

func (f *fakeProfiles) Token(ctx context.Context, name string, opt profiles.TokenOptions) (*profiles.TokenResult, error) {
	if err := f.record("Token ", name); err != nil {
		return nil, err
	}
	return &profiles.TokenResult{Token: &oauth2.Token{AccessToken: "at-SECRET-0123456789", Expiry: t0.Add(30 * time.Minute)}, Profile: name, Source: profiles.SourceKeyring}, nil
}

func (f *fakeProfiles) SaveLogin(ctx context.Context, server string, t *oauth2.Token, id *auth.Identity, opt profiles.SaveOptions) (profiles.Profile, profiles.SaveInfo, error) {
	if err := f.record("SaveLogin ", server, " ", id.Display()); err != nil {
		return profiles.Profile{}, profiles.SaveInfo{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.saved = append(f.saved, t)
	p := profiles.Profile{Name: id.Display(), Server: server, Username: id.Username, Storage: f.saveInfo.Storage, Scopes: []string{"openid", "offline_access"}}
	f.statuses = append(f.statuses, profiles.Status{Profile: p, Name: p.Name, Server: server, Account: id.Display(), Storage: p.Storage, Source: profiles.SourceKeyring, State: profiles.StateValid, Expiry: t.Expiry})
	return p, f.saveInfo, nil
}

// fakeFlow is a scripted device flow: each PollOnce returns the next answer
// (the last one repeats).
type fakeFlow struct {
	mu      sync.Mutex
	code    auth.DeviceCode
	answers []pollAnswer
	polls   atomic.Int32
	starts  atomic.Int32
	// attempts counts every PollOnce call, cancelled ones too; cancelled
	// counts those that ended because their context did.
	attempts  atomic.Int32
	cancelled atomic.Int32
	startErr  error
	// retries are reported by StartDeviceNotify before it answers;
	// startGate, when set, is then waited on (or ctx cancel).
	retries   []auth.Retry
	startGate chan struct{}
	// gate, when set, is waited on by PollOnce (or ctx cancel).
	gate chan struct{}
}

type pollAnswer struct {
	tok *oauth2.Token
	err error
}

func (f *fakeFlow) StartDevice(ctx context.Context) (*auth.DeviceCode, error) {
	return f.StartDeviceNotify(ctx, nil)
}

func (f *fakeFlow) StartDeviceNotify(ctx context.Context, onRetry func(auth.Retry)) (*auth.DeviceCode, error) {
	for _, r := range f.retries {
		if onRetry != nil {
			onRetry(r)
		}
	}
	if f.startGate != nil {
		select {
		case <-f.startGate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	n := f.starts.Add(1)
	if f.startErr != nil {
		return nil, f.startErr
	}
	dc := f.code
	if n > 1 {
		dc.UserCode = fmt.Sprintf("RTRY-%04d", n)
	}
	return &dc, nil
}

func (f *fakeFlow) PollOnce(ctx context.Context, dc *auth.DeviceCode) (*oauth2.Token, error) {
	f.attempts.Add(1)
	if f.gate != nil {
		parked.Add(1)
		select {
		case <-f.gate:
		case <-ctx.Done():
			f.cancelled.Add(1)
			return nil, ctx.Err()
		}
	}
	if err := ctx.Err(); err != nil {
		f.cancelled.Add(1)
		return nil, err
	}
	n := int(f.polls.Add(1))
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.answers[min(n, len(f.answers))-1]
	var slow *auth.SlowDownError
	if errors.As(a.err, &slow) {
		dc.Interval = slow.Interval
	}
	return a.tok, a.err
}

func (f *fakeFlow) UserInfo(ctx context.Context, accessToken string) (*auth.Identity, error) {
	return &auth.Identity{Subject: "sub-1", Username: "alice", Email: "alice@example.com"}, nil
}

// testServer is the configured server the fakes use.
func testServer() profiles.Server {
	return profiles.Server{Name: "local", ClientID: "authdeck-cli", Scopes: []string{"openid", "offline_access"},
		Endpoints: auth.Endpoints{Issuer: "http://127.0.0.1:4444", RevocationURL: "http://127.0.0.1:4444/token/revocation"}}
}

func testCode() auth.DeviceCode {
	return auth.DeviceCode{
		DeviceCode: "dev-secret", UserCode: "BCDF-GHSZ",
		VerificationURI:         "http://127.0.0.1:4444/device",
		VerificationURIComplete: "http://127.0.0.1:4444/device?user_code=BCDF-GHSZ",
		IssuedAt:                t0, ExpiresAt: t0.Add(10 * time.Minute), Interval: 5 * time.Second,
	}
}

// sampleStatuses builds n profiles; the first is active.
func sampleStatuses(n int) []profiles.Status {
	out := make([]profiles.Status, 0, n)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("user%03d", i)
		st := profiles.Status{Name: name, Server: "local", Account: name + "@example.com", Storage: profiles.StorageKeyring,
			Source: profiles.SourceKeyring, State: profiles.StateValid, Expiry: t0.Add(time.Duration(i%90) * time.Minute), HasRefresh: i%2 == 0}
		switch i % 5 {
		case 3:
			st.State, st.Storage, st.Source = profiles.StateSignedOut, profiles.StorageNone, ""
		case 4:
			st.Storage, st.Source = profiles.StorageFile, profiles.SourceFile
		}
		st.Active = i == 0
		out = append(out, st)
	}
	return out
}

type fixture struct {
	ps     *fakeProfiles
	flow   *fakeFlow
	clock  *fakeClock
	deps   deps
	opens  []string
	copies []string
	mu     sync.Mutex

	webs    []*fakeWeb
	webOpts []auth.WebOptions
	webErr  error
}

func newFixture(n int) *fixture {
	fx := &fixture{clock: &fakeClock{now: t0}}
	fx.ps = &fakeProfiles{cfg: profiles.Config{Servers: []profiles.Server{testServer(), {Name: "github", ClientID: "Iv1.abc", Endpoints: auth.Endpoints{DeviceAuthURL: "https://github.com/login/device/code", TokenURL: "https://github.com/login/oauth/access_token"}}}},
		statuses: sampleStatuses(n), saveInfo: profiles.SaveInfo{Storage: profiles.StorageKeyring}}
	fx.flow = &fakeFlow{code: testCode(), answers: []pollAnswer{{err: auth.ErrAuthorizationPending}}}
	fx.deps = deps{
		Profiles: fx.ps,
		Flow:     func(profiles.Server) deviceFlow { return fx.flow },
		Now:      fx.clock.Now,
		Tick:     parkingTick,
		OpenURL: func(u string) error {
			fx.mu.Lock()
			defer fx.mu.Unlock()
			fx.opens = append(fx.opens, u)
			return nil
		},
		Copy: func(s string) (string, error) {
			fx.mu.Lock()
			defer fx.mu.Unlock()
			fx.copies = append(fx.copies, s)
			return "the clipboard", nil
		},
	}
	return fx
}

// parked counts the commands that wait on purpose: timers (every timer of
// the package is made by deps.Tick, parkingTick below), a browser sign-in that has
// not come back yet (fakeWeb.Wait), a gated poll (fakeFlow.gate).
var parked atomic.Int64

// parkingTick is tea.Tick counting the commands waiting on a timer (the
// fixture's deps.Tick).
func parkingTick(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
	c := tea.Tick(d, fn)
	return func() tea.Msg {
		parked.Add(1)
		return c()
	}
}

// run executes cmd synchronously, flattening batches, and returns the
// messages it produces (text cursor blinks are dropped). A command still running after a short wait is left
// running only when it parked on purpose (a timer of more than the wait,
// so ticks are not executed, or a fake waiting for the test): any other
// slow command fails the test instead of vanishing. Spinner ticks are
// dropped.
func run(t testing.TB, cmd tea.Cmd) []tea.Msg {
	t.Helper()
	if cmd == nil {
		return nil
	}
	before := parked.Load()
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-ch:
	case <-time.After(150 * time.Millisecond):
		if parked.Load() != before {
			return nil // waiting on purpose; its message never arrives
		}
		select {
		case msg = <-ch: // slow (a loaded machine), but it finished
		case <-time.After(10 * time.Second):
			t.Fatalf("a command neither returned within 10s nor waits on a timer or a fake")
		}
	}
	switch msg := msg.(type) {
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, run(t, c)...)
		}
		return out
	case spinner.TickMsg, cursor.BlinkMsg, nil:
		return nil
	}
	if fmt.Sprintf("%T", msg) == "cursor.initialBlinkMsg" {
		return nil // would start the text cursor's blink timer
	}
	return []tea.Msg{msg}
}

// send runs one Update on the root model.
func send(m model, msg tea.Msg) (model, tea.Cmd) {
	nm, cmd := m.Update(msg)
	return nm.(model), cmd
}

// settle sends msg and then every message its commands produce, until
// quiet, returning the final model and every message seen. It renders the
// View after each Update, as Bubble Tea does, so a View that panics on a
// state Update left behind fails the test.
func settle(t testing.TB, m model, msg tea.Msg) (model, []tea.Msg) {
	t.Helper()
	var seen []tea.Msg
	queue := []tea.Msg{msg}
	for i := 0; len(queue) > 0; i++ {
		if i > 200 {
			t.Fatal("settle: too many messages")
		}
		next := queue[0]
		queue = queue[1:]
		seen = append(seen, next)
		var cmd tea.Cmd
		m, cmd = send(m, next)
		_ = m.View()
		queue = append(queue, run(t, cmd)...)
	}
	return m, seen
}

func press(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "ctrl+s":
		return tea.KeyMsg{Type: tea.KeyCtrlS}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// startModel builds a model, applies a size and runs Init's commands.
func startModel(t testing.TB, fx *fixture, opt Options, w, h int) model {
	t.Helper()
	m := newModel(context.Background(), fx.deps, opt, true)
	m, _ = send(m, tea.WindowSizeMsg{Width: w, Height: h})
	for _, msg := range run(t, m.Init()) {
		m, _ = settle(t, m, msg)
	}
	return m
}

// fakeWeb is a scripted browser sign-in: Wait blocks until finish is called
// (or Close/ctx ends it); CompleteFromURL accepts only goodPaste.
type fakeWeb struct {
	authURL, redirect string
	deadline          time.Time
	goodPaste         string

	mu     sync.Mutex
	done   chan struct{}
	ended  bool
	tok    *oauth2.Token
	err    error
	closes atomic.Int32
	pastes []string
}

func newFakeWeb(now time.Time) *fakeWeb {
	return &fakeWeb{
		authURL:   "http://127.0.0.1:4444/auth?client_id=authdeck-web&code_challenge=Xq3kR9&code_challenge_method=S256&nonce=N0NCE&prompt=consent&redirect_uri=http%3A%2F%2F127.0.0.1%3A50123%2Fcallback&response_type=code&scope=openid+offline_access&state=ST4TE",
		redirect:  "http://127.0.0.1:50123/callback",
		deadline:  now.Add(10 * time.Minute),
		goodPaste: "http://127.0.0.1:50123/callback?code=c0de&state=ST4TE",
		done:      make(chan struct{}),
	}
}

func (f *fakeWeb) AuthURL() string     { return f.authURL }
func (f *fakeWeb) RedirectURL() string { return f.redirect }
func (f *fakeWeb) Deadline() time.Time { return f.deadline }

// finish ends the flow (the first call wins).
func (f *fakeWeb) finish(tok *oauth2.Token, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ended {
		return
	}
	f.ended, f.tok, f.err = true, tok, err
	close(f.done)
}

func (f *fakeWeb) Wait(ctx context.Context) (*oauth2.Token, error) {
	parked.Add(1) // the browser has not come back yet: waiting on purpose
	select {
	case <-f.done:
	case <-ctx.Done():
		f.finish(nil, ctx.Err())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tok, f.err
}

func (f *fakeWeb) CompleteFromURL(ctx context.Context, pasted string) (*oauth2.Token, error) {
	f.mu.Lock()
	f.pastes = append(f.pastes, pasted)
	f.mu.Unlock()
	if !strings.Contains(pasted, "state=ST4TE") {
		return nil, auth.ErrWebStateMismatch
	}
	if pasted != f.goodPaste {
		return nil, errors.New("that is not the address the browser was sent back to")
	}
	f.finish(&oauth2.Token{AccessToken: "at-web", Expiry: t0.Add(time.Hour)}, nil)
	return f.Wait(ctx)
}

func (f *fakeWeb) Close() error {
	f.closes.Add(1)
	f.finish(nil, auth.ErrWebClosed)
	return nil
}

// webServer is a server with no device endpoint but an authorization
// endpoint: the login screen picks the browser sign-in by itself.
func webServer() profiles.Server {
	return profiles.Server{Name: "webonly", ClientID: "authdeck-web", Scopes: []string{"openid", "offline_access"},
		Endpoints: auth.Endpoints{AuthURL: "http://127.0.0.1:4444/auth", TokenURL: "http://127.0.0.1:4444/token"}}
}

// withWeb makes the fixture's StartWeb hand out fresh fake flows.
func (fx *fixture) withWeb() *fixture {
	fx.deps.StartWeb = func(ctx context.Context, s profiles.Server, opt auth.WebOptions) (webFlow, error) {
		fx.mu.Lock()
		defer fx.mu.Unlock()
		if fx.webErr != nil {
			return nil, fx.webErr
		}
		f := newFakeWeb(fx.deps.Now())
		fx.webs = append(fx.webs, f)
		fx.webOpts = append(fx.webOpts, opt)
		return f, nil
	}
	return fx
}

// web returns the i-th started fake flow.
func (fx *fixture) web(i int) *fakeWeb {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	return fx.webs[i]
}

// words is a view's text with the QR code's block glyphs blanked and runs
// of white space folded, so a sentence wrapped beside the QR code can be
// matched whole.
func words(view string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("█", " ", "▀", " ", "▄", " ").Replace(view)), " ")
}
