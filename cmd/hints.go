package cmd

import (
	"github.com/authdeck/authdeck/internal/hint"
	"github.com/authdeck/authdeck/profiles"
)

// cmdq is the command line of the host's command at path followed by
// args, in backquotes ("`acme servers add NAME`"), or "" when the host
// has not built that command (see Kit.Commands).
func cmdq(m *profiles.Manager, path, args string) string {
	return hint.Quote(m.CommandLine(path), args)
}

// suggest is hint.Suggest.
var suggest = hint.Suggest

// orComma is ", or " when the host has the command at path (after a
// suggestion of it), else "".
func orComma(m *profiles.Manager, path string) string {
	if m.CommandLine(path) == "" {
		return ""
	}
	return ", or "
}
