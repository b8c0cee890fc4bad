#!/bin/sh
# Serve the lecture notebooks as Voilà apps on 127.0.0.1: code hidden, only text, plots and widgets.
# `make demo` runs this; the browser tests start Voilà through it too, so they test what a lecturer
# projects.  Voilà prints the address to open (http://127.0.0.1:8866/?token=…).
# Usage: [PORT=8866] [VENV=.venv] [PRESENT=1|high-contrast] sh tests/browser/demo.sh [more Voilà options]
# PRESENT turns on backproplib's presentation mode in every app (BACKPROPLIB_PRESENT, which the kernels
# inherit): text at least 20 px, figures drawn at twice the pixel density, optionally high contrast.
set -eu
if [ -n "${PRESENT:-}" ]; then export BACKPROPLIB_PRESENT="$PRESENT"; fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV=${VENV:-$ROOT/.venv}
exec "$VENV/bin/voila" "$ROOT/notebooks" --classic-tree --Voila.ip=127.0.0.1 --Voila.port="${PORT:-8866}" \
    --token "$@"
