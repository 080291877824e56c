#!/usr/bin/env bash
# Builds the C forwarder/generator used by bench/io (bench/out/fwd) and the AF_XDP forwarder
# (bench/out/xdp-fwd).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../out"
mkdir -p "$out"
cc -O2 -Wall -Wextra -o "$out/fwd" "$here/fwd.c"
cc -O2 -Wall -Wextra -o "$out/xdp-fwd" "$here/xdp-fwd.c"
echo "$out/fwd" "$out/xdp-fwd"
