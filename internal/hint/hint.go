// Package hint words the next steps that messages suggest: a command line
// in backquotes, and a list of alternatives of which some may be missing
// (a host that embeds authdeck may not have every command).
package hint

import "strings"

// Quote is the command line l followed by args, in backquotes
// ("`acme servers add NAME`"), or "" when l is "" (no such command).
func Quote(l, args string) string {
	if l == "" {
		return ""
	}
	if args != "" {
		l += " " + args
	}
	return "`" + l + "`"
}

// Suggest returns prefix followed by those of alts that are not empty,
// joined by ", or "; "" when all are empty.
func Suggest(prefix string, alts ...string) string {
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
