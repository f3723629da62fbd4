package tui

import (
	"fmt"
	"testing"
	"time"

	"github.com/authdeck/authdeck/auth"
	"github.com/authdeck/authdeck/profiles"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"golang.org/x/oauth2"
)

// sizes are the three golden widths (with a height to match).
var goldenSizes = [][2]int{{60, 20}, {80, 24}, {120, 40}}

func TestViewGolden(t *testing.T) {
	scenes := map[string]func(t *testing.T, w, h int) model{
		"accounts": func(t *testing.T, w, h int) model {
			return startModel(t, newFixture(12), Options{}, w, h)
		},
		"servers": func(t *testing.T, w, h int) model {
			m := startModel(t, newFixture(3), Options{}, w, h)
			m, _ = send(m, press("tab"))
			return m
		},
		"empty": func(t *testing.T, w, h int) model {
			fx := newFixture(0)
			fx.ps.cfg.Servers = nil
			return startModel(t, fx, Options{}, w, h)
		},
		"filter": func(t *testing.T, w, h int) model {
			m := startModel(t, newFixture(40), Options{}, w, h)
			for _, k := range []string{"/", "0", "2"} {
				m, _ = send(m, press(k))
			}
			return m
		},
		"confirm_revoke": func(t *testing.T, w, h int) model {
			m := startModel(t, newFixture(3), Options{}, w, h)
			m, _ = settle(t, m, press("r"))
			return m
		},
		"login_waiting": func(t *testing.T, w, h int) model {
			fx := newFixture(0)
			m := startModel(t, fx, Options{Start: ScreenLogin, Server: testServer()}, w, h)
			fx.clock.Add(5 * time.Second)
			m, _ = settle(t, m, pollDueMsg{gen: m.login.gen})
			return m
		},
		"login_host_warning": func(t *testing.T, w, h int) model {
			fx := newFixture(0)
			fx.flow.code.VerificationURI = "https://auth.other.example/activate"
			fx.flow.code.VerificationURIComplete = ""
			fx.flow.code.UserCode = "WDJB-MJHT"
			fx.flow.answers = []pollAnswer{{err: &auth.SlowDownError{Interval: 10 * time.Second}}}
			m := startModel(t, fx, Options{Start: ScreenLogin, Server: testServer()}, w, h)
			m, _ = settle(t, m, pollDueMsg{gen: m.login.gen})
			return m
		},
		"login_success_file": func(t *testing.T, w, h int) model {
			fx := newFixture(0)
			fx.ps.saveInfo = profiles.SaveInfo{Storage: profiles.StorageFile, InsecureStorage: true, Path: "/home/a/.config/authdeck/credentials.json"}
			fx.flow.answers = []pollAnswer{{tok: &oauth2.Token{AccessToken: "at", Expiry: t0.Add(time.Hour)}}}
			m := startModel(t, fx, Options{Start: ScreenLogin, Server: testServer()}, w, h)
			m, _ = settle(t, m, pollDueMsg{gen: m.login.gen})
			return m
		},
		"login_denied": func(t *testing.T, w, h int) model {
			fx := newFixture(0)
			fx.flow.answers = []pollAnswer{{err: auth.ErrAccessDenied}}
			m := startModel(t, fx, Options{Start: ScreenLogin, Server: testServer()}, w, h)
			m, _ = settle(t, m, pollDueMsg{gen: m.login.gen})
			return m
		},
		"login_web_waiting": func(t *testing.T, w, h int) model {
			fx := newFixture(0)
			m := startWeb(t, fx, w, h)
			fx.clock.Add(90 * time.Second)
			m, _ = send(m, clockMsg{gen: m.login.gen, at: fx.clock.Now()})
			return m
		},
		"login_web_ssh_mismatch": func(t *testing.T, w, h int) model {
			fx := newFixture(0)
			fx.deps.Remote = true
			m := startWeb(t, fx, w, h)
			m, _ = send(m, press("p"))
			m, _ = send(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("http://127.0.0.1:50123/callback?code=c0de&state=OTHER"), Paste: true})
			m, _ = settle(t, m, press("enter"))
			return m
		},
		"login_web_declined": func(t *testing.T, w, h int) model {
			fx := newFixture(0)
			m := startWeb(t, fx, w, h)
			m, _ = settle(t, m, webDoneMsg{gen: m.login.gen, err: auth.ErrAccessDenied})
			return m
		},
		"whoami": func(t *testing.T, w, h int) model {
			m := startModel(t, newFixture(2), Options{}, w, h)
			m, _ = settle(t, m, press("w"))
			return m
		},
		"token_masked": func(t *testing.T, w, h int) model {
			m := startModel(t, newFixture(2), Options{}, w, h)
			m, _ = settle(t, m, press("t"))
			return m
		},
		"form_errors": func(t *testing.T, w, h int) model {
			m := startModel(t, newFixture(2), Options{}, w, h)
			m, _ = settle(t, m, press("n"))
			m.form.inputs[fieldIssuer].SetValue("http://id.example.com")
			m, _ = settle(t, m, press("ctrl+s"))
			return m
		},
	}
	for name, build := range scenes {
		for _, sz := range goldenSizes {
			t.Run(fmt.Sprintf("%s/%dx%d", name, sz[0], sz[1]), func(t *testing.T) {
				golden.RequireEqual(t, []byte(build(t, sz[0], sz[1]).View()))
			})
		}
	}
}
