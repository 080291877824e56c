#!/usr/bin/env bash
# Builds the C forwarder/generator used by bench/io (bench/out/fwd).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../out"
mkdir -p "$out"
cc -O2 -Wall -Wextra -o "$out/fwd" "$here/fwd.c"
echo "$out/fwd"
