package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestManDate: the man pages are dated by SOURCE_DATE_EPOCH when it is a
// positive Unix time, else by the commit, and only as a last resort today;
// goreleaser's zero CommitTimestamp (-62135596800) is not taken for a date.
func TestManDate(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "SOURCE_DATE_EPOCH" {
				return v
			}
			return ""
		}
	}
	commit := func() (string, error) { return "1700000000\n", nil }
	noGit := func() (string, error) { return "", errors.New("not a git repository") }

	if d, from := manDate(env("1600000000"), commit); !d.Equal(time.Unix(1600000000, 0)) || from != "SOURCE_DATE_EPOCH" {
		t.Errorf("SOURCE_DATE_EPOCH: %v (%s)", d, from)
	}
	for _, v := range []string{"", "-62135596800", "0", "soon"} {
		if d, from := manDate(env(v), commit); !d.Equal(time.Unix(1700000000, 0)) || !strings.Contains(from, "commit") {
			t.Errorf("SOURCE_DATE_EPOCH=%q: %v (%s), want the commit's date", v, d, from)
		}
	}
	before := time.Now().Add(-time.Minute)
	if d, from := manDate(env("-62135596800"), noGit); d.Before(before) || !strings.Contains(from, "today") {
		t.Errorf("no usable date: %v (%s), want today", d, from)
	}
	// In this checkout, git gives the date of HEAD.
	if out, err := gitCommitTime(); err == nil {
		d, from := manDate(env(""), gitCommitTime)
		if !strings.Contains(from, "commit") || d.Year() < 2000 {
			t.Errorf("git's %q: %v (%s)", out, d, from)
		}
	}
}
