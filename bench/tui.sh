#!/usr/bin/env bash
# Times the full-screen program's first frame as a whole process: `authdeck`
# with no arguments on a terminal, from spawn to the first frame showing the
# accounts title, and to the frame showing the loaded profile table. It runs
# the built binary on a fresh pseudo-terminal each time (bench/firstframe,
# which answers the terminal's colour and cursor queries like a terminal
# does), RUNS times, and prints the median and p90. Beside it, the floor:
# `authdeck --version` on the same kind of terminal, to its exit (process
# start and Go runtime start-up, no Bubble Tea). Goal (issue 3): the first
# frame within 50 ms.
#
#   bash bench/tui.sh           # RUNS=20 by default
#   RUNS=100 bash bench/tui.sh
#
# Needs no network and no keyring: one server and one profile (a token from
# `login --with-token`, in the credentials file), in a throw-away config.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=$PWD/bench/out
mkdir -p "$out"
RUNS=${RUNS:-20}

# Built as released (.goreleaser.yaml): static, -trimpath, stripped.
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/authdeck" ./cmd/authdeck
go build -o "$out/firstframe" ./bench/firstframe
ad=$out/authdeck

cfg=$(mktemp -d "${TMPDIR:-/tmp}/authdeck-tui-bench.XXXXXX")
trap 'rm -rf "$cfg"' EXIT
chmod 700 "$cfg"
export AUTHDECK_CONFIG_DIR=$cfg
unset DBUS_SESSION_BUS_ADDRESS NO_COLOR
"$ad" servers add bench --device-url https://auth.bench.invalid/device \
	--token-url https://auth.bench.invalid/token --client-id bench >/dev/null 2>&1
printf 'bench-%s\n' "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" |
	"$ad" login --server bench --with-token --profile benchprof --insecure-storage >/dev/null 2>&1
"$ad" status | grep -q benchprof # sanity: the profile is there

echo "== floor: authdeck --version on a pseudo-terminal, to exit"
"$out/firstframe" -runs "$RUNS" -exit -- "$ad" --version
echo "== authdeck (accounts screen): first frame, and the loaded table"
"$out/firstframe" -runs "$RUNS" -title "Accounts" -loaded "benchprof" -- "$ad"
