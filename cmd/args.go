package cmd

import (
	"fmt"
	"strings"

	"github.com/authdeck/authdeck/internal/textsafe"
	"github.com/spf13/cobra"
)

// friendlyArgs rewords cobra's argument errors for c and its subcommands:
// "servers add needs a NAME" rather than "accepts 1 arg(s), received 0",
// "unexpected argument" rather than "unknown command" for a command without
// subcommands, and "unknown command ... Did you mean ...?" for a command
// group (which cobra would answer with its help and exit 0). The command's
// own Args still decide what is accepted: they are asked again with fewer
// or more arguments to tell which way the count is wrong.
func friendlyArgs(c *cobra.Command) {
	for _, sub := range c.Commands() {
		friendlyArgs(sub)
	}
	if c.HasAvailableSubCommands() && !c.Runnable() {
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return c.Help()
			}
			return unknownCommand(c, args[0])
		}
		return
	}
	check := c.Args
	if check == nil {
		return
	}
	c.Args = func(c *cobra.Command, args []string) error {
		err := check(c, args)
		if err == nil {
			return nil
		}
		// too few: some longer list is accepted
		extra := append([]string(nil), args...)
		for range 3 {
			extra = append(extra, "x")
			if check(c, extra) == nil {
				return &flagError{Err: fmt.Errorf("%s needs %s", commandPath(c), missing(c, len(args), len(extra)))}
			}
		}
		// too many: the first argument past the longest accepted prefix
		k := len(args) - 1
		for k > 0 && check(c, args[:k]) != nil {
			k--
		}
		if check(c, args[:k]) != nil {
			return &flagError{Err: err}
		}
		if c.HasAvailableSubCommands() {
			return unknownCommand(c, args[k])
		}
		return &flagError{Err: fmt.Errorf("unexpected argument %q: %s takes %s", textsafe.Clean(args[k]), commandPath(c), takes(k))}
	}
}

// unknownCommand is the error for a subcommand name that c does not have,
// with cobra's suggestions ("Did you mean ...?") as the next step.
func unknownCommand(c *cobra.Command, name string) error {
	e := &flagError{Err: fmt.Errorf("unknown command %q for %q", textsafe.Clean(name), c.CommandPath())}
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2 // cobra's own default
	}
	if s := c.SuggestionsFor(name); len(s) > 0 {
		for i := range s {
			s[i] = c.CommandPath() + " " + s[i]
		}
		e.Next = "Did you mean " + strings.Join(s, " or ") + "?"
	} else {
		e.Next = fmt.Sprintf("Run '%s --help' for the commands.", c.CommandPath())
	}
	return e
}

// commandPath is c's path without the program name: "servers add".
func commandPath(c *cobra.Command) string {
	p := c.CommandPath()
	if c.HasParent() {
		if _, rest, ok := strings.Cut(p, " "); ok {
			return rest
		}
	}
	return p
}

// missing names the arguments from..to-1 of c after its Use line's
// placeholders: "a NAME", "OLD and NEW"; "more arguments" when Use names
// none.
func missing(c *cobra.Command, from, to int) string {
	var names []string
	for _, w := range strings.Fields(c.Use)[1:] {
		if w != strings.ToUpper(w) || strings.ContainsAny(w, "[(-|") {
			break
		}
		names = append(names, w)
	}
	if to > len(names) {
		return "more arguments"
	}
	names = names[from:to]
	if len(names) == 1 {
		if strings.ContainsRune("AEIOU", rune(names[0][0])) {
			return "an " + names[0]
		}
		return "a " + names[0]
	}
	return strings.Join(names, " and ")
}

// takes words how many arguments a command takes.
func takes(n int) string {
	switch n {
	case 0:
		return "no arguments"
	case 1:
		return "one argument"
	}
	return fmt.Sprintf("%d arguments", n)
}
