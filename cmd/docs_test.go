package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authdeck/authdeck/internal/docgen"
)

// TestDocsCurrent regenerates the command reference into a temporary
// directory and fails when docs/cli differs: a changed command, flag or help
// text must come with its regenerated page.
func TestDocsCurrent(t *testing.T) {
	const hint = "run `go run ./cmd/gendocs` to update docs/cli, and commit the result"
	tmp := t.TempDir()
	root := docgen.Prepare(newRootCmd(newAuthdeckFactory("dev")))
	names, err := docgen.Markdown(root, tmp)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := filepath.Glob(filepath.Join("..", "docs", "cli", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, p := range committed {
		have[filepath.Base(p)] = true
	}
	for _, n := range names {
		want, _ := os.ReadFile(filepath.Join(tmp, n))
		got, err := os.ReadFile(filepath.Join("..", "docs", "cli", n))
		switch {
		case err != nil:
			t.Errorf("docs/cli/%s is missing; %s", n, hint)
		case !bytes.Equal(got, want):
			t.Errorf("docs/cli/%s is out of date (first difference at line %d); %s", n, firstDiffLine(got, want), hint)
		}
		delete(have, n)
	}
	for n := range have {
		t.Errorf("docs/cli/%s documents a command that no longer exists; %s", n, hint)
	}
	if len(names) < 10 {
		t.Errorf("only %d pages generated: %q", len(names), names)
	}
}

func firstDiffLine(a, b []byte) int {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return i + 1
		}
	}
	return min(len(al), len(bl)) + 1
}

// TestDocsManAndCompletions generates what the release archives carry: a
// man page per command (with the commands' own text) and the four shell
// completion scripts.
func TestDocsManAndCompletions(t *testing.T) {
	root := docgen.Prepare(newRootCmd(newAuthdeckFactory("dev")))
	dir := t.TempDir()
	date := time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)
	names, err := docgen.Man(root, filepath.Join(dir, "man"), "authdeck", date)
	if err != nil {
		t.Fatal(err)
	}
	var api []byte
	for _, n := range names {
		if n == "authdeck-api.1" {
			api, _ = os.ReadFile(filepath.Join(dir, "man", n))
		}
	}
	if api == nil {
		t.Fatalf("no man page for api among %q", names)
	}
	for _, want := range []string{`.TH "AUTHDECK" "1" "Mar 2025"`, "Authorization: Bearer", "401"} {
		if !bytes.Contains(api, []byte(want)) {
			t.Errorf("authdeck-api.1 lacks %q", want)
		}
	}
	comps, err := docgen.Completions(root, filepath.Join(dir, "completions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range comps {
		b, _ := os.ReadFile(filepath.Join(dir, "completions", c))
		if !bytes.Contains(b, []byte("authdeck")) || len(b) < 500 {
			t.Errorf("completion script %s looks wrong (%d bytes)", c, len(b))
		}
	}
	if len(comps) != 4 {
		t.Errorf("completions = %q", comps)
	}
}
