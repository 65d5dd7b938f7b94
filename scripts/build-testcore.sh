#!/usr/bin/env bash
# Builds core-wasm/testcore/testcore.wasm reproducibly: the same Go toolchain
# yields a byte-identical file on every machine (paths trimmed, no VCS stamp,
# no build ID, no symbol/DWARF tables).
#
#   scripts/build-testcore.sh           rebuild the committed binary
#   scripts/build-testcore.sh --check   fail if the committed binary is stale
#
# Env: GO overrides the toolchain (default: Debian's Go 1.19).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

GO="${GO:-/usr/lib/go-1.19/bin/go}"
SRC_DIR=core-wasm/testcore
OUT="$SRC_DIR/testcore.wasm"

check=0
case "${1:-}" in
  "") ;;
  --check) check=1 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

build() {
  # Build from inside the module; -o is made absolute because of the cd.
  local out
  out="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
  (
    cd "$SRC_DIR"
    # Isolate the build from the caller's settings that change the output.
    # GOENV=off matters because an empty variable would otherwise fall back
    # to a value saved with `go env -w` (e.g. GOFLAGS or GOWASM).
    env -u GOFLAGS -u GOWASM -u GOEXPERIMENT \
      GOENV=off GO111MODULE=on CGO_ENABLED=0 GOOS=js GOARCH=wasm \
      "$GO" build -trimpath -buildvcs=false -ldflags='-s -w -buildid=' -o "$out" .
  )
}

if [[ $check -eq 0 ]]; then
  build "$OUT"
  echo "built $OUT ($(wc -c <"$OUT") bytes, sha256 $(sha256sum "$OUT" | cut -d' ' -f1))"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
build "$tmp/testcore.wasm"
if [[ ! -f "$OUT" ]] || ! cmp -s "$tmp/testcore.wasm" "$OUT"; then
  echo "build-testcore: $OUT is missing or differs from a fresh build; run scripts/build-testcore.sh" >&2
  exit 1
fi
echo "build-testcore: $OUT is up to date"
