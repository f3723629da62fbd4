// Command authdeck signs in to OAuth 2.0 / OpenID Connect servers from the
// terminal, keeps the tokens safe and hands them to scripts.
package main

import (
	"os"

	"github.com/authdeck/authdeck/cmd"
)

// version is set at release time with -ldflags "-X main.version=...".
var version = "dev"

func main() { os.Exit(cmd.Main(version)) }
