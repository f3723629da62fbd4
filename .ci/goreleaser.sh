#!/usr/bin/env bash
# Validates .goreleaser.yaml and builds a snapshot of this machine's target
# (before-hook man pages and completions, binary with the version injected);
# with GORELEASER_FULL=1 also every target, the archives and checksums.
# Installs goreleaser from the Go module proxy when it is missing (v2.16.0:
# the newest release that builds with Go 1.26 and whose dependencies are all
# on the proxy).
set -euo pipefail
cd "$(dirname "$0")/.."

GORELEASER_VERSION=${GORELEASER_VERSION:-v2.16.0}
gr=$(command -v goreleaser || true)
if [ -z "$gr" ]; then
  gr="$(go env GOPATH)/bin/goreleaser"
  if [ ! -x "$gr" ]; then
    echo "installing goreleaser $GORELEASER_VERSION" >&2
    go install "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION"
  fi
fi

"$gr" check

# One target (this machine's): the before-hook's man pages and completions,
# the build with the version injected.
"$gr" build --snapshot --single-target --clean
for want in manpages/authdeck.1 manpages/authdeck-api.1 completions/authdeck.bash completions/_authdeck completions/authdeck.fish completions/authdeck.ps1; do
  [ -s "$want" ] || { echo "the before-hook did not generate $want" >&2; exit 1; }
done
bin=$(find dist -type f \( -name authdeck -o -name authdeck.exe \) | head -n 1)
out=$("$bin" --version)
case "$out" in
  *dev*|"") echo "version not injected: $out" >&2; exit 1 ;;
esac
echo "goreleaser: snapshot build ok ($bin: $out)"

# GORELEASER_FULL=1: every target, archives and checksums (slow: six builds).
if [ "${GORELEASER_FULL:-}" = 1 ]; then
  "$gr" release --snapshot --clean --skip=publish
  for archive in dist/authdeck_*.tar.gz dist/authdeck_*.zip; do
    case "$archive" in
      *.zip) list=$(unzip -Z1 "$archive") ;;
      *) list=$(tar -tzf "$archive") ;;
    esac
    for want in LICENSE README.md manpages/authdeck.1 completions/authdeck.bash completions/_authdeck; do
      grep -qx "$want" <<<"$list" || { echo "$archive lacks $want" >&2; exit 1; }
    done
    grep -q "$(basename "$archive")" dist/checksums.txt || { echo "checksums.txt lacks $archive" >&2; exit 1; }
  done
  echo "goreleaser: full snapshot release ok ($(ls dist/authdeck_*.tar.gz dist/authdeck_*.zip | wc -l) archives)"
fi
