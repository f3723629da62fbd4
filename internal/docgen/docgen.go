// Package docgen writes the reference documentation of a cobra command
// tree: Markdown pages (docs/cli), man pages and shell completion scripts.
// It takes the tree as a parameter and imports none of authdeck's packages,
// so the command package's tests can use it to check that the committed
// pages are current.
package docgen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// Prepare makes root's documentation reproducible and complete: no "Auto
// generated on DATE" footer, and the completion command cobra would add at
// run time. It returns root.
func Prepare(root *cobra.Command) *cobra.Command {
	root.DisableAutoGenTag = true
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	return root
}

// Markdown writes one page per command into dir (created if missing), named
// after the command path (authdeck_login.md), and removes pages of commands
// that no longer exist. It returns the names of the files written.
func Markdown(root *cobra.Command, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(dir, ".gen-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := doc.GenMarkdownTree(root, tmp); err != nil {
		return nil, fmt.Errorf("generating Markdown: %w", err)
	}
	return replaceDir(tmp, dir, root.Name()+"*.md")
}

// Man writes a section-1 man page per command into dir. date is the date
// printed in the pages (reproducible releases pass the commit date); zero
// means today.
func Man(root *cobra.Command, dir, source string, date time.Time) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(dir, ".gen-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if date.IsZero() {
		date = time.Now()
	}
	date = date.UTC().Truncate(24 * time.Hour)
	h := &doc.GenManHeader{
		Title:   strings.ToUpper(root.Name()),
		Section: "1",
		Source:  source,
		Manual:  root.Name() + " manual",
		Date:    &date,
	}
	if err := doc.GenManTree(root, h, tmp); err != nil {
		return nil, fmt.Errorf("generating man pages: %w", err)
	}
	return replaceDir(tmp, dir, root.Name()+"*.1")
}

// Completions writes the completion scripts for bash, zsh, fish and
// PowerShell into dir: NAME.bash, _NAME (zsh), NAME.fish, NAME.ps1.
func Completions(root *cobra.Command, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	name := root.Name()
	gens := []struct {
		file string
		gen  func(*bytes.Buffer) error
	}{
		{name + ".bash", func(b *bytes.Buffer) error { return root.GenBashCompletionV2(b, true) }},
		{"_" + name, func(b *bytes.Buffer) error { return root.GenZshCompletion(b) }},
		{name + ".fish", func(b *bytes.Buffer) error { return root.GenFishCompletion(b, true) }},
		{name + ".ps1", func(b *bytes.Buffer) error { return root.GenPowerShellCompletionWithDesc(b) }},
	}
	var names []string
	for _, g := range gens {
		var b bytes.Buffer
		if err := g.gen(&b); err != nil {
			return nil, fmt.Errorf("generating %s: %w", g.file, err)
		}
		if err := os.WriteFile(filepath.Join(dir, g.file), b.Bytes(), 0o644); err != nil {
			return nil, err
		}
		names = append(names, g.file)
	}
	return names, nil
}

// replaceDir moves the generated files from tmp into dir and removes the
// files in dir that match pattern but were not generated (stale pages).
func replaceDir(tmp, dir, pattern string) ([]string, error) {
	ents, err := os.ReadDir(tmp)
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	var names []string
	for _, e := range ents {
		if err := os.Rename(filepath.Join(tmp, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			return nil, err
		}
		keep[e.Name()] = true
		names = append(names, e.Name())
	}
	old, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return nil, err
	}
	for _, p := range old {
		if !keep[filepath.Base(p)] {
			if err := os.Remove(p); err != nil {
				return nil, err
			}
		}
	}
	sort.Strings(names)
	return names, nil
}
