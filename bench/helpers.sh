#!/usr/bin/env bash
# Times the credential helpers answering a valid stored token, as whole
# processes, beside `authdeck token` in the same interleaved run (bench/timing;
# the ratios are to `authdeck token`): `credential-helper git get`,
# `credential-helper kubectl` and `docker-credential-authdeck get`. File
# storage, no session bus, no network (the token is stored with
# `login --with-token`). Goal: each about the time of `authdeck token`.
#
#   bash bench/helpers.sh          # RUNS=300 by default
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=$PWD/bench/out
mkdir -p "$out"
RUNS=${RUNS:-300}
WARMUP=${WARMUP:-20}

# Built as released (.goreleaser.yaml), as bench/token.sh does.
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/authdeck" ./cmd/authdeck
go build -o "$out/timing" ./bench/timing
ad=$out/authdeck
ln -sf authdeck "$out/docker-credential-authdeck"

unset DBUS_SESSION_BUS_ADDRESS
dir=$out/cfg-helpers
rm -rf "$dir"
mkdir -p -m 700 "$dir"
export AUTHDECK_CONFIG_DIR=$dir DOCKER_CONFIG=$dir/docker
"$ad" servers add bench --device-url https://auth.bench.invalid/device \
	--token-url https://auth.bench.invalid/token --client-id bench 2>/dev/null
printf 'bench-%s\n' "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" |
	"$ad" login --server bench --with-token --profile bench --insecure-storage 2>/dev/null
"$ad" docker setup registry.bench.invalid --profile bench 2>/dev/null
printf 'protocol=https\nhost=git.bench.invalid\n\n' >"$out/git-get.txt"
printf 'registry.bench.invalid\n' >"$out/docker-get.txt"

# Sanity: each answers the token, and only the protocol, on stdout.
tok=$("$ad" token)
"$ad" credential-helper git --profile bench get <"$out/git-get.txt" | grep -qx "password=$tok"
"$ad" credential-helper kubectl --profile bench | grep -q "\"token\":\"$tok\""
"$out/docker-credential-authdeck" get <"$out/docker-get.txt" | grep -q "\"Secret\":\"$tok\""

echo "== file storage: the credential helpers beside authdeck token ($RUNS runs each, interleaved)"
"$out/timing" -runs "$RUNS" -warmup "$WARMUP" -- "$ad" token \
	--- "$ad" credential-helper git --profile bench get "<$out/git-get.txt" \
	--- "$ad" credential-helper kubectl --profile bench \
	--- "$out/docker-credential-authdeck" get "<$out/docker-get.txt"
