// Command timing runs whole processes in a loop and reports their median
// and mean wall time, interleaving the commands so that they see the same
// machine load; the first command is the floor the others are compared with
// (a single command is just timed).
//
//	timing -runs 300 -warmup 20 -- /path/floor --- /path/authdeck token
//	timing -- /path/authdeck token --- /path/helper get '<request.txt'  # stdin
//	timing -hyperfine export.json   # ratios from a hyperfine --export-json file
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

func main() {
	runs := flag.Int("runs", 300, "timed runs of each command")
	warmup := flag.Int("warmup", 20, "untimed runs of each command first")
	hf := flag.String("hyperfine", "", "read a hyperfine --export-json file instead of timing")
	flag.Parse()
	if *hf != "" {
		if err := fromHyperfine(*hf); err != nil {
			fmt.Fprintln(os.Stderr, "timing:", err)
			os.Exit(1)
		}
		return
	}
	var cmds [][]string
	cur := []string{}
	for _, a := range flag.Args() {
		if a == "---" {
			cmds = append(cmds, cur)
			cur = []string{}
			continue
		}
		cur = append(cur, a)
	}
	cmds = append(cmds, cur)
	if len(cmds[0]) == 0 {
		fmt.Fprintln(os.Stderr, "usage: timing [-runs N] [-warmup N] FLOOR... [--- CMD...]")
		os.Exit(2)
	}
	times := make([][]time.Duration, len(cmds))
	for i := 0; i < *warmup+*runs; i++ {
		for j, c := range cmds {
			d, err := runOnce(c)
			if err != nil {
				fmt.Fprintf(os.Stderr, "timing: %s: %v\n", strings.Join(c, " "), err)
				os.Exit(1)
			}
			if i >= *warmup {
				times[j] = append(times[j], d)
			}
		}
	}
	var res []result
	for j, c := range cmds {
		res = append(res, summarise(strings.Join(c, " "), times[j]))
	}
	report(res)
}

// runOnce runs c once; a last argument "<FILE" is its stdin instead.
func runOnce(c []string) (time.Duration, error) {
	var stdin *os.File
	if n := len(c); n > 1 && strings.HasPrefix(c[n-1], "<") {
		f, err := os.Open(c[n-1][1:])
		if err != nil {
			return 0, err
		}
		defer f.Close()
		stdin, c = f, c[:n-1]
	}
	cmd := exec.Command(c[0], c[1:]...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	cmd.Stdout = nil
	cmd.Stderr = os.Stderr
	start := time.Now()
	err := cmd.Run()
	return time.Since(start), err
}

type result struct {
	name         string
	median, mean time.Duration
	n            int
}

func summarise(name string, ds []time.Duration) result {
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return result{name: name, median: s[len(s)/2], mean: sum / time.Duration(len(s)), n: len(s)}
}

func report(res []result) {
	floor := res[0]
	for i, r := range res {
		line := fmt.Sprintf("%-60s median %7.3f ms  mean %7.3f ms  (n=%d)", trim(r.name), ms(r.median), ms(r.mean), r.n)
		if i > 0 {
			line += fmt.Sprintf("  ratio to floor: %.2fx (median)", float64(r.median)/float64(floor.median))
		}
		fmt.Println(line)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func trim(s string) string {
	if len(s) > 60 {
		return "..." + s[len(s)-57:]
	}
	return s
}

func fromHyperfine(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc struct {
		Results []struct {
			Command string    `json:"command"`
			Mean    float64   `json:"mean"`
			Median  float64   `json:"median"`
			Times   []float64 `json:"times"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	if len(doc.Results) == 0 {
		return fmt.Errorf("%s has no results", path)
	}
	var res []result
	for _, r := range doc.Results {
		res = append(res, result{name: r.Command, median: secs(r.Median), mean: secs(r.Mean), n: len(r.Times)})
	}
	report(res)
	return nil
}

func secs(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
