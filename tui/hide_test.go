package tui

import (
	"strings"
	"testing"
)

// TestOptionsHideActions: the accounts screen's actions a host does not
// offer are neither shown (footer, full help, dialogs) nor done by their
// key; the others still are.
func TestOptionsHideActions(t *testing.T) {
	fx := newFixture(1)
	m := startModel(t, fx, Options{Hide: []Action{ActionRevoke, ActionAddServer}}, 120, 40)
	m, _ = settle(t, m, press("?")) // the full help lists every enabled key
	v := m.View()
	if strings.Contains(v, "revoke") || strings.Contains(v, "add server") {
		t.Fatalf("hidden actions are shown:\n%s", v)
	}
	if !strings.Contains(v, "log out") {
		t.Fatalf("the actions not hidden are gone:\n%s", v)
	}
	m, _ = settle(t, m, press("r"))
	if m.confirm != nil {
		t.Fatal("r asks to revoke although the host hides revoke")
	}
	m, _ = settle(t, m, press("n"))
	if m.active == scrForm {
		t.Fatal("n opens the add-server form although the host hides it")
	}
	m, _ = settle(t, m, press("o"))
	if m.confirm == nil {
		t.Fatal("o (log out) does not ask")
	}
	if v := m.View(); strings.Contains(v, "revoke") {
		t.Fatalf("the log-out dialog points at the hidden revoke:\n%s", v)
	}
}
