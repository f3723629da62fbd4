#!/usr/bin/env bash
# Times `authdeck token` with a valid stored token as a whole process, beside
# the floor (bench/floor: a process that only reads and decodes
# credentials.json and prints the token), in the same run, and prints the
# ratio. Then the same with the Secret Service (a private gnome-keyring on a
# private D-Bus session), when gnome-keyring-daemon and dbus-run-session are
# installed. Goals: at most 2x the floor with file storage; at most 10 ms
# median with the Secret Service.
#
#   bash bench/token.sh            # RUNS=300 by default
#   RUNS=1000 bash bench/token.sh
#   TOOL=go bash bench/token.sh    # the Go timing loop even with hyperfine
#
# Uses hyperfine when installed (Debian package hyperfine), else (or with
# TOOL=go) a Go timing loop (bench/timing) that interleaves the commands, which
# is steadier on a busy machine. Needs no network: the token is stored with
# `login --with-token` for a server without a userinfo endpoint.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
out=$root/bench/out
mkdir -p "$out"
RUNS=${RUNS:-300}
WARMUP=${WARMUP:-20}

if [ "${1:-}" != --keyring-inner ]; then
	# Built as released (.goreleaser.yaml): static, without cgo, -trimpath,
	# symbol tables stripped; the floor is built the same way. CGO=1 compares
	# with a cgo build, whose dynamic loading costs about 0.7 ms per run here.
	# OVERLAY=file.json builds with go build -overlay (to measure a change
	# without making it).
	CGO_ENABLED=${CGO:-0} go build -trimpath -ldflags "-s -w" ${OVERLAY:+-overlay "$OVERLAY"} -o "$out/authdeck" ./cmd/authdeck
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/floor" ./bench/floor
	go build -o "$out/timing" ./bench/timing
fi
ad=$out/authdeck

# store_token DIR [login flags...]: a config dir with one profile whose
# token never expires.
store_token() {
	local dir=$1
	shift
	rm -rf "$dir"
	mkdir -p -m 700 "$dir"
	export AUTHDECK_CONFIG_DIR=$dir
	"$ad" servers add bench --device-url https://auth.bench.invalid/device \
		--token-url https://auth.bench.invalid/token --client-id bench 2>/dev/null
	printf 'bench-%s\n' "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" |
		"$ad" login --server bench --with-token --profile bench "$@" 2>/dev/null
	"$ad" token >/dev/null # sanity: it works
}

# compare NAME: the floor vs `authdeck token`, with the ratio of medians.
compare() {
	local name=$1
	echo "== $name storage: authdeck token vs the floor ($RUNS runs each)"
	if [ "${TOOL:-}" != go ] && command -v hyperfine >/dev/null; then
		hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" \
			--export-json "$out/$name.json" \
			-n floor "$out/floor" -n "authdeck token" "$ad token" >"$out/$name.txt" 2>&1
		"$out/timing" -hyperfine "$out/$name.json"
	else
		"$out/timing" -runs "$RUNS" -warmup "$WARMUP" -- "$out/floor" --- "$ad" token
	fi
}

# alone NAME: `authdeck token` by itself (the floor reads a file it has not).
alone() {
	local name=$1
	echo "== $name storage: authdeck token ($RUNS runs)"
	if [ "${TOOL:-}" != go ] && command -v hyperfine >/dev/null; then
		hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" \
			--export-json "$out/$name.json" -n "authdeck token" "$ad token" >"$out/$name.txt" 2>&1
		"$out/timing" -hyperfine "$out/$name.json"
	else
		"$out/timing" -runs "$RUNS" -warmup "$WARMUP" -- "$ad" token
	fi
}

if [ "${1:-}" = --keyring-inner ]; then
	# Inside dbus-run-session: start and unlock a throw-away login keyring.
	printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
	gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1
	locked=$(dbus-send --session --print-reply --reply-timeout=5000 --dest=org.freedesktop.secrets \
		/org/freedesktop/secrets/collection/login org.freedesktop.DBus.Properties.Get \
		string:org.freedesktop.Secret.Collection string:Locked 2>&1) || {
		echo "no Secret Service on the private bus: $locked" >&2
		exit 1
	}
	case $locked in *"boolean false"*) ;; *)
		echo "the login keyring is locked: $locked" >&2
		exit 1
		;;
	esac
	store_token "$out/cfg-keyring"
	"$ad" status --json | grep -q '"storage": "keyring"' || {
		echo "the token did not go to the keyring" >&2
		exit 1
	}
	alone keyring
	exit 0
fi

# File storage, with no session bus at all (the keyring is skipped at once).
(
	unset DBUS_SESSION_BUS_ADDRESS
	store_token "$out/cfg-file" --insecure-storage
	compare file
)

if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/authdeck-bench.XXXXXX")
	trap 'rm -rf "$scratch"' EXIT
	mkdir -m 700 "$scratch/data" "$scratch/runtime"
	XDG_DATA_HOME=$scratch/data XDG_RUNTIME_DIR=$scratch/runtime RUNS=$RUNS WARMUP=$WARMUP \
		dbus-run-session -- bash "$root/bench/token.sh" --keyring-inner
else
	echo "== keyring: skipped (install gnome-keyring and dbus to measure the Secret Service)"
fi
