package cmd

// The inputs of a login that are read rather than given as flags: the
// client secret and a token for --with-token.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// clientSecret resolves the client secret: flag, then file, then env.
func clientSecret(flag, file, envName string, getenv func(string) string) (string, error) {
	switch {
	case flag != "":
		return flag, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading the client secret: %w", err)
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", fmt.Errorf("the client secret file %s is empty", file)
		}
		return s, nil
	case getenv != nil && envName != "":
		return getenv(envName), nil
	}
	return "", nil
}

// argvSecretNote warns that a secret given as a process argument is visible
// to every user of the machine.
func argvSecretNote(ios *ioStreams, flagValue, envName string) {
	if flagValue != "" {
		fmt.Fprintf(ios.ErrOut, "Note: --client-secret is visible to other users of this machine in the process list; prefer %s.\n", secretHint(envName))
	}
}

// secretHint names the better ways to pass a client secret.
func secretHint(envName string) string {
	if envName == "" {
		return "--client-secret-file"
	}
	return "--client-secret-file or " + envName
}

// readToken reads a token from stdin: the whole input when piped, one hidden
// line on a terminal.
func readToken(ios *ioStreams) (string, error) {
	var raw string
	if f, ok := ios.In.(*os.File); ok && ios.IsStdinTTY() {
		fmt.Fprint(ios.ErrOut, "Paste the token, then press Enter: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(ios.ErrOut)
		if err != nil {
			return "", fmt.Errorf("reading the token: %w", err)
		}
		raw = string(b)
	} else {
		b, err := io.ReadAll(io.LimitReader(ios.In, 64<<10+1))
		if err != nil {
			return "", fmt.Errorf("reading the token from stdin: %w", err)
		}
		if len(b) > 64<<10 {
			return "", errors.New("the token on stdin is larger than 64 KiB; is it the right input?")
		}
		raw = string(b)
	}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", flagErrorf("no token on stdin; pipe it in, e.g. `login --with-token < token.txt`")
	}
	if strings.ContainsAny(raw, " \t\r\n") {
		return "", errors.New("the input on stdin has more than one line or word; give just the token")
	}
	return raw, nil
}
