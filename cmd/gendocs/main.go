// Command gendocs writes authdeck's reference documentation from its cobra
// command tree:
//
//	go run ./cmd/gendocs                      # docs/cli/*.md (committed; a test checks they are current)
//	go run ./cmd/gendocs -md '' -man manpages -completions completions   # release archives
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/authdeck/authdeck/cmd"
	"github.com/authdeck/authdeck/internal/docgen"
)

func main() {
	md := flag.String("md", "docs/cli", "write Markdown pages into `DIR` (empty: skip)")
	man := flag.String("man", "", "write man pages into `DIR`")
	comp := flag.String("completions", "", "write shell completion scripts into `DIR`")
	flag.Parse()
	if err := run(*md, *man, *comp); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func run(md, man, comp string) error {
	// The command tree of authdeck's own identity. The pages must not
	// depend on who builds them: the environment is empty but for a
	// configuration directory that is never read (New does no I/O).
	h := cmd.Authdeck("dev")
	h.Getenv = func(k string) string {
		if k == "AUTHDECK_CONFIG_DIR" {
			return os.TempDir()
		}
		return ""
	}
	kit, err := cmd.New(h)
	if err != nil {
		return err
	}
	root := docgen.Prepare(kit.RootCmd())
	if md != "" {
		names, err := docgen.Markdown(root, md)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "gendocs: %d Markdown pages in %s\n", len(names), md)
	}
	if man != "" {
		// SOURCE_DATE_EPOCH (set by goreleaser from the commit) keeps
		// release archives reproducible.
		var date time.Time
		if s, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
			date = time.Unix(s, 0)
		}
		names, err := docgen.Man(root, man, "authdeck", date)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "gendocs: %d man pages in %s\n", len(names), man)
	}
	if comp != "" {
		names, err := docgen.Completions(root, comp)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "gendocs: %d completion scripts in %s\n", len(names), comp)
	}
	return nil
}
