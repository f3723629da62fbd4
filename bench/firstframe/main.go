//go:build linux

// Command firstframe measures how long a full-screen program takes from
// spawn to its first frame: it starts the program on a fresh
// pseudo-terminal (110x40) as its controlling terminal, answers the colour
// and cursor queries a terminal answers (OSC 11 background, DSR cursor
// position), and times, for each run, the first byte of output, the first
// output containing -title, and (with -loaded) the first containing
// -loaded. Then it kills the program. It prints the median and p90 of each.
//
//	firstframe -runs 20 -title Accounts -loaded bench -- /path/authdeck
//
// With -exit it times the program to its exit instead (a floor such as
// `authdeck --version` on the same kind of terminal).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

func main() {
	runs := flag.Int("runs", 20, "timed runs")
	warmup := flag.Int("warmup", 2, "untimed runs first")
	title := flag.String("title", "", "text of the first frame to wait for")
	loaded := flag.String("loaded", "", "text that shows once the data is loaded (optional)")
	exit := flag.Bool("exit", false, "time the program to its exit instead")
	timeout := flag.Duration("timeout", 10*time.Second, "give up on a run after this")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 || (*title == "" && !*exit) {
		fmt.Fprintln(os.Stderr, "usage: firstframe [-runs N] (-title TEXT [-loaded TEXT] | -exit) -- PROGRAM [ARGS...]")
		os.Exit(2)
	}
	marks := []string{"first byte"}
	if *exit {
		marks = append(marks, "exit")
	} else {
		marks = append(marks, "frame with "+strconv.Quote(*title))
		if *loaded != "" {
			marks = append(marks, "frame with "+strconv.Quote(*loaded))
		}
	}
	times := make([][]time.Duration, len(marks))
	for i := 0; i < *warmup+*runs; i++ {
		got, err := once(args, *title, *loaded, *exit, *timeout)
		if err != nil {
			fmt.Fprintf(os.Stderr, "firstframe: run %d: %v\n", i+1, err)
			os.Exit(1)
		}
		if i < *warmup {
			continue
		}
		for j := range marks {
			times[j] = append(times[j], got[j])
		}
	}
	fmt.Printf("%d runs of %q on a 110x40 pseudo-terminal:\n", *runs, args)
	for j, m := range marks {
		t := times[j]
		slices.Sort(t)
		fmt.Printf("  %-28s median %6.1f ms   p90 %6.1f ms   min %6.1f ms   max %6.1f ms\n",
			m, ms(pct(t, 50)), ms(pct(t, 90)), ms(t[0]), ms(t[len(t)-1]))
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// pct is the p-th percentile (nearest rank) of sorted t.
func pct(t []time.Duration, p int) time.Duration {
	i := (p*len(t) + 99) / 100
	return t[max(0, min(len(t)-1, i-1))]
}

// once runs the program on a new pseudo-terminal and returns the times of
// its marks since the spawn.
func once(args []string, title, loaded string, exit bool, timeout time.Duration) ([]time.Duration, error) {
	master, slave, err := openPTY(110, 40)
	if err != nil {
		return nil, err
	}
	defer master.Close()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		slave.Close()
		return nil, err
	}
	slave.Close()
	var exitAt time.Duration
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		exitAt = time.Since(start)
		close(exited)
	}()
	stop := make(chan struct{})
	defer func() {
		close(stop)
		_ = cmd.Process.Kill()
		<-exited
	}()

	type chunk struct {
		at time.Duration
		b  []byte
	}
	chunks := make(chan chunk, 64)
	go func() {
		for {
			buf := make([]byte, 64<<10)
			n, err := master.Read(buf)
			if n > 0 {
				select {
				case chunks <- chunk{time.Since(start), buf[:n]}:
				case <-stop:
					return
				}
			}
			if err != nil {
				close(chunks)
				return
			}
		}
	}()

	var out []byte
	var got []time.Duration
	want := []string{title}
	if loaded != "" {
		want = append(want, loaded)
	}
	deadline := time.After(timeout)
	for {
		select {
		case c, ok := <-chunks:
			if !ok {
				if exit && len(got) == 1 {
					<-exited
					return append(got, exitAt), nil
				}
				return nil, fmt.Errorf("the program closed the terminal after %q", tail(out))
			}
			if len(got) == 0 {
				got = append(got, c.at)
			}
			out = append(out, c.b...)
			answer(master, c.b)
			if exit {
				continue
			}
			for len(got) < 1+len(want) && bytes.Contains(out, []byte(want[len(got)-1])) {
				got = append(got, c.at)
			}
			if len(got) == 1+len(want) {
				return got, nil
			}
		case <-exited:
			if exit {
				if len(got) == 0 {
					got = append(got, exitAt)
				}
				return append(got, exitAt), nil
			}
			return nil, fmt.Errorf("the program exited before showing %q; it wrote %q", want[len(got)-1], tail(out))
		case <-deadline:
			return nil, fmt.Errorf("no %q within %v; the program wrote %q", want[max(0, len(got)-1)], timeout, tail(out))
		}
	}
}

// answer replies to the queries a terminal answers: the background colour
// (OSC 11) and the cursor position (DSR).
func answer(master *os.File, b []byte) {
	if bytes.Contains(b, []byte("\x1b]11;?")) {
		_, _ = master.Write([]byte("\x1b]11;rgb:0000/0000/0000\x1b\\"))
	}
	if bytes.Contains(b, []byte("\x1b[6n")) {
		_, _ = master.Write([]byte("\x1b[1;1R"))
	}
}

func tail(b []byte) string {
	if len(b) > 300 {
		b = b[len(b)-300:]
	}
	return string(b)
}

// openPTY opens a new pseudo-terminal pair of the given size.
func openPTY(cols, rows uint16) (*os.File, *os.File, error) {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	var unlock int32
	if err := ioctl(master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("unlocking the pseudo-terminal: %w", err)
	}
	var n uint32
	if err := ioctl(master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("naming the pseudo-terminal: %w", err)
	}
	slave, err := os.OpenFile("/dev/pts/"+strconv.FormatUint(uint64(n), 10), os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	ws := struct{ rows, cols, x, y uint16 }{rows, cols, 0, 0}
	if err := ioctl(slave.Fd(), syscall.TIOCSWINSZ, uintptr(unsafe.Pointer(&ws))); err != nil {
		master.Close()
		slave.Close()
		return nil, nil, fmt.Errorf("sizing the pseudo-terminal: %w", err)
	}
	return master, slave, nil
}

func ioctl(fd, req, arg uintptr) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, req, arg); e != 0 {
		return errors.New(e.Error())
	}
	return nil
}
