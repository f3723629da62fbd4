package profiles

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/authdeck/authdeck/internal/textsafe"
)

// maxNameLen bounds profile and server names (in bytes).
const maxNameLen = 128

// ValidateName checks a profile or server name: not empty, at most 128
// bytes of valid UTF-8, no whitespace, no control or format characters.
func ValidateName(kind, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("the %s name is empty", kind)
	case len(name) > maxNameLen:
		return fmt.Errorf("the %s name is longer than %d bytes", kind, maxNameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("the %s name is not valid UTF-8", kind)
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("the %s name %q contains whitespace or a control character; use letters, digits and punctuation such as - _ . @", kind, name)
		}
	}
	return nil
}

// sanitizeName turns an untrusted string (an account name from a server, a
// directory file) into a valid name: escapes and control characters are
// removed, whitespace becomes '-', and the result is cut to maxNameLen.
func sanitizeName(s string) string {
	s = strings.ToValidUTF8(textsafe.Clean(s), "")
	s = strings.TrimSpace(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			b.WriteByte('-')
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
		default:
			if b.Len()+utf8.RuneLen(r) > maxNameLen {
				return b.String()
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// newID returns a random 16-hex-digit profile id.
func newID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}
