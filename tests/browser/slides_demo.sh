#!/bin/sh
# The lecture notebooks as interactive reveal.js slides under Voilà, on 127.0.0.1, with nothing fetched
# from another host: Voilà's `reveal` template as `reveal_offline` (python -m backproplib.slides
# voila-template writes it, with reveal.js 4.0.2 (static/revealjs) and jQuery as its static files, into
# build/slides-voila/), widgets live.  `make demo-slides` runs this; tests/browser/test_slides.py too.
# Usage: [PORT=8867] [VENV=.venv] [NOTEBOOKS=notebooks] [PRESENT=1|high-contrast] sh tests/browser/slides_demo.sh
#        [more Voilà options, e.g. --no-browser]
# PRESENT: backproplib's presentation mode in the kernels, as for `make demo` (tests/browser/demo.sh).
set -eu
if [ -n "${PRESENT:-}" ]; then export BACKPROPLIB_PRESENT="$PRESENT"; fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV=${VENV:-$ROOT/.venv}
DATA=$ROOT/build/slides-voila
NOTEBOOKS=${NOTEBOOKS:-$ROOT/notebooks}
"$VENV/bin/python" -m backproplib.slides voila-template --dir "$DATA" --cache "$ROOT/build/slides-cache"
STATIC=/voila/templates/reveal_offline/static
JUPYTER_PATH="$DATA${JUPYTER_PATH:+:$JUPYTER_PATH}" exec "$VENV/bin/voila" "$NOTEBOOKS" \
    --template=reveal_offline --Voila.ip=127.0.0.1 --Voila.port="${PORT:-8867}" \
    --VoilaConfiguration.resources="{'reveal': {'url_prefix': '$STATIC/revealjs', 'theme': 'white', \
'transition': 'none', 'scroll': True, 'number': 'c/t', 'width': '1280', 'height': '720'}}" \
    --HTMLExporter.jquery_url="$STATIC/jquery.min.js" \
    --token "$@"
