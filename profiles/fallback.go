package profiles

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// keyringProbeKey is an item that is never stored: reading it tells
// whether the keyring answers (not found) without touching any secret or
// asking to unlock anything.
const keyringProbeKey = "keyring-probe"

// KeyringAnswers reports whether the keyring answers now (nil), or why
// not: one read of an item that does not exist, bounded by the keyring's
// timeout.
func (m *Manager) KeyringAnswers(ctx context.Context) error {
	_, err := m.keyring.Get(ctx, keyringProbeKey)
	if err == nil || errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// FallbackNote is the one line to say about rows whose secret went to
// credentials.json because no keyring answered (Status.Fallback), with
// the advice that fits now: when a keyring answers, log in again to move
// the secret there; when none does, why not and how to get one. It is ""
// when no row fell back. It asks the keyring (KeyringAnswers) only then.
func (m *Manager) FallbackNote(ctx context.Context, rows []Status) string {
	var names []string
	for _, r := range rows {
		if r.Fallback != "" {
			names = append(names, r.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	if m.app.customSecrets() {
		what := fmt.Sprintf("%s: kept in plain text in %s because %s did not answer when it was saved", strings.Join(names, ", "), m.files.Path(), m.where(StorageKeyring))
		if err := m.KeyringAnswers(ctx); err != nil {
			return fmt.Sprintf("%s; it does not answer now either (%v)", what, err)
		}
		return fmt.Sprintf("%s; it answers now: run %s to move it there", what, m.reloginHint(names))
	}
	what := fmt.Sprintf("%s: kept in plain text in %s because no keyring answered when it was saved", strings.Join(names, ", "), m.files.Path())
	if err := m.KeyringAnswers(ctx); err != nil {
		return fmt.Sprintf("%s; none answers now either (%v): start or unlock one (a Secret Service such as gnome-keyring on the D-Bus session bus), then log in again", what, err)
	}
	return fmt.Sprintf("%s; a keyring answers now: run %s to move it there", what, m.reloginHint(names))
}

// reloginHint is the login command that moves the secrets of the profiles
// names back from the credentials file.
func (m *Manager) reloginHint(names []string) string {
	if len(names) > 1 {
		return fmt.Sprintf("`%s login --profile NAME` for each", m.name())
	}
	return fmt.Sprintf("`%s login --profile %s`", m.name(), names[0])
}
