package devserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/BurntSushi/toml"
)

// maxUsersFile caps the size of a users file.
const maxUsersFile = 1 << 20

// usersFile is the file format of LoadUsers, in JSON or TOML:
//
//	{"users": [{"login": "alice", "name": "Alice", "email": "alice@example.com"}]}
//
//	[[users]]
//	login = "alice"
//	name  = "Alice"
//	email = "alice@example.com"
//
// A JSON file may also be a bare array of users.
type usersFile struct {
	Users []User `json:"users" toml:"users"`
}

// LoadUsers reads demo users from a JSON or TOML file (chosen by the .json
// or .toml extension, else by the first character). Errors name the file
// and, for syntax errors, the line.
func LoadUsers(path string) ([]User, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading users: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxUsersFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading users from %s: %w", path, err)
	}
	if len(data) > maxUsersFile {
		return nil, fmt.Errorf("users file %s is larger than %d KiB; it should hold a short list of users", path, maxUsersFile>>10)
	}
	var users []User
	switch format(path, data) {
	case "json":
		users, err = parseUsersJSON(data)
	default:
		users, err = parseUsersTOML(data)
	}
	if err != nil {
		return nil, fmt.Errorf("users file %s: %w", path, err)
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("users file %s lists no users; add at least one, e.g. [[users]] login = \"alice\" (TOML) or {\"users\":[{\"login\":\"alice\"}]} (JSON)", path)
	}
	if err := validateUsers(users); err != nil {
		var be *badCharError
		if errors.As(err, &be) {
			if line := lineOfRune(data, be.r); line > 0 {
				return nil, fmt.Errorf("users file %s: line %d: %w", path, line, err)
			}
		}
		return nil, fmt.Errorf("users file %s: %w", path, err)
	}
	return users, nil
}

func format(path string, data []byte) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return "json"
	case ".toml":
		return "toml"
	}
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(t) > 0 && (t[0] == '{' || t[0] == '[' && !bytes.HasPrefix(t, []byte("[["))) {
		return "json"
	}
	return "toml"
}

func parseUsersJSON(data []byte) ([]User, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var users []User
	var err error
	if len(trimmed) > 0 && trimmed[0] == '[' {
		err = dec.Decode(&users)
	} else {
		var f usersFile
		err = dec.Decode(&f)
		users = f.Users
	}
	if err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("line %d: invalid JSON: %v", lineOf(data, se.Offset), se)
		case errors.As(err, &te):
			return nil, fmt.Errorf("line %d: %q should be a %s, not a JSON %s", lineOf(data, te.Offset), te.Field, te.Type, te.Value)
		case errors.Is(err, io.EOF):
			return nil, errors.New("the file is empty")
		}
		return nil, fmt.Errorf("invalid JSON: %v (expected {\"users\": [{\"login\": ..., \"name\": ..., \"email\": ...}]})", err)
	}
	if dec.More() {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return users, nil
}

func parseUsersTOML(data []byte) ([]User, error) {
	var f usersFile
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&f)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("line %d: invalid TOML: %s", pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("invalid TOML: %v", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("unknown key %q (a user has login, name and email)", und[0].String())
	}
	return f.Users, nil
}

func lineOf(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

// badCharError is a name or email with a control or format character in
// it: C0 and C1 controls (escape sequences for a terminal) and Unicode
// format characters such as U+202E RIGHT-TO-LEFT OVERRIDE, which make text
// read differently from what it is.
type badCharError struct {
	user  int
	login string
	field string
	r     rune
}

func (e *badCharError) Error() string {
	return fmt.Sprintf("user %d (%s): the %s contains the control character U+%04X (control and format characters such as escape codes or U+202E would change how it is shown); remove it", e.user, e.login, e.field, e.r)
}

// badRune returns the first control or format character in s.
func badRune(s string) (rune, bool) {
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return r, true
		}
	}
	return 0, false
}

// lineOfRune is the line of the first occurrence of r in data, literal or
// written as a JSON or TOML escape (\u202e, \U0000202E); 0 when not found.
func lineOfRune(data []byte, r rune) int {
	best := -1
	cands := []string{string(r), fmt.Sprintf(`\u%04x`, r), fmt.Sprintf(`\u%04X`, r), fmt.Sprintf(`\U%08x`, r), fmt.Sprintf(`\U%08X`, r)}
	switch r {
	case '\b':
		cands = append(cands, `\b`)
	case '\f':
		cands = append(cands, `\f`)
	case '\x1b':
		cands = append(cands, `\e`)
	}
	for _, c := range cands {
		if i := bytes.Index(data, []byte(c)); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	if best < 0 {
		return 0
	}
	return lineOf(data, int64(best))
}

// validateUsers checks logins (unique, 1–64 of a-z 0-9 . _ -) and emails.
func validateUsers(users []User) error {
	seen := map[string]bool{}
	for i, u := range users {
		n := i + 1
		if u.Login == "" {
			return fmt.Errorf("user %d has no login", n)
		}
		if len(u.Login) > 64 || strings.ContainsFunc(u.Login, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
		}) {
			return fmt.Errorf("user %d: login %q must be 1 to 64 of a-z, 0-9, '.', '_' and '-'", n, u.Login)
		}
		if seen[u.Login] {
			return fmt.Errorf("user %d: login %q appears twice", n, u.Login)
		}
		seen[u.Login] = true
		if r, bad := badRune(u.Name); bad {
			return &badCharError{user: n, login: u.Login, field: "name", r: r}
		}
		if len(u.Name) > 200 {
			return fmt.Errorf("user %d (%s): name must be at most 200 characters", n, u.Login)
		}
		if r, bad := badRune(u.Email); bad {
			return &badCharError{user: n, login: u.Login, field: "email", r: r}
		}
		if u.Email != "" {
			a, err := mail.ParseAddress(u.Email)
			if err != nil || a.Address != u.Email {
				return fmt.Errorf("user %d (%s): %q is not an email address like name@example.com", n, u.Login, u.Email)
			}
		}
	}
	return nil
}
