// Command gendocs writes authdeck's reference documentation from its cobra
// command tree:
//
//	go run ./cmd/gendocs                      # docs/cli/*.md (committed; a test checks they are current)
//	go run ./cmd/gendocs -md '' -man manpages -completions completions   # release archives
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
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
		// The pages are dated by the commit, so that release archives are
		// reproducible.
		date, from := manDate(os.Getenv, gitCommitTime)
		fmt.Fprintf(os.Stderr, "gendocs: man pages dated %s (%s)\n", date.UTC().Format(time.DateOnly), from)
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

// manDate is the date of the man pages and where it came from:
// SOURCE_DATE_EPOCH when it holds a positive Unix time (reproducible-builds
// convention; distributions set it), else the time of the commit checked
// out (git), else today. GoReleaser cannot provide SOURCE_DATE_EPOCH: its
// global env is templated before it reads the git state, so
// {{ .CommitTimestamp }} there is the zero time (-62135596800), which is
// not positive and so ignored.
func manDate(getenv func(string) string, commitTime func() (string, error)) (time.Time, string) {
	if s, err := strconv.ParseInt(strings.TrimSpace(getenv("SOURCE_DATE_EPOCH")), 10, 64); err == nil && s > 0 {
		return time.Unix(s, 0).UTC(), "SOURCE_DATE_EPOCH"
	}
	if out, err := commitTime(); err == nil {
		if s, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64); err == nil && s > 0 {
			return time.Unix(s, 0).UTC(), "the commit's date"
		}
	}
	return time.Now().UTC(), "today: neither SOURCE_DATE_EPOCH nor a git commit"
}

// gitCommitTime is the committer time of HEAD, in seconds since the epoch.
func gitCommitTime() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "log", "-1", "--format=%ct", "HEAD").Output()
	return string(out), err
}
