#!/bin/sh
# Serve the lecture notebooks as Voilà apps on 127.0.0.1: code hidden, only text, plots and widgets.
# `make demo` runs this; the browser tests start Voilà through it too, so they test what a lecturer
# projects.  Voilà prints the address to open (http://127.0.0.1:8866/?token=…).
# Usage: [PORT=8866] [VENV=.venv] sh tests/browser/demo.sh [more Voilà options, e.g. --no-browser]
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV=${VENV:-$ROOT/.venv}
exec "$VENV/bin/voila" "$ROOT/notebooks" --classic-tree --Voila.ip=127.0.0.1 --Voila.port="${PORT:-8866}" \
    --token "$@"
