package cmd

import (
	"strings"

	"github.com/authdeck/authdeck/profiles"
)

// cmdq is the command line of the host's command at path followed by
// args, in backquotes ("`acme servers add NAME`"), or "" when the host
// has not built that command (see Kit.Commands).
func cmdq(m *profiles.Manager, path, args string) string {
	l := m.CommandLine(path)
	if l == "" {
		return ""
	}
	if args != "" {
		l += " " + args
	}
	return "`" + l + "`"
}

// suggest returns prefix followed by those of alts that are not empty,
// joined by ", or "; "" when all are empty.
func suggest(prefix string, alts ...string) string {
	var have []string
	for _, a := range alts {
		if a != "" {
			have = append(have, a)
		}
	}
	if len(have) == 0 {
		return ""
	}
	return prefix + strings.Join(have, ", or ")
}

// orComma is ", or " when the host has the command at path (after a
// suggestion of it), else "".
func orComma(m *profiles.Manager, path string) string {
	if m.CommandLine(path) == "" {
		return ""
	}
	return ", or "
}
