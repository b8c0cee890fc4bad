#!/bin/sh
# Install what the browser tests need (`make test-browser` runs this):
#   - Debian's Chromium at /usr/bin/chromium: installed with apt-get when running as root on Debian,
#     otherwise a message says how to get it.  Never a browser downloaded by Playwright
#     (`playwright install` is not used);
#   - the `browser` extra of pyproject.toml (PyPI playwright, voila, jupyterlab) into the venv.
# Usage: sh tests/browser/install.sh [VENV]      (VENV defaults to .venv)
set -eu
cd "$(dirname "$0")/../.."
VENV=${1:-.venv}

if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; then
        echo "install.sh: installing Debian's chromium with apt-get ..."
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        cat >&2 <<'MSG'
install.sh: the browser tests need Chromium at /usr/bin/chromium, and it is missing.
  On Debian:  sudo apt-get update && sudo apt-get install -y chromium
  Elsewhere:  install Chromium or Chrome from your system's packages and point the tests at it with
              BACKPROPLIB_CHROMIUM=/path/to/chromium make test-browser
  Do not run `playwright install`: the tests drive the system browser only.
MSG
        [ -n "${BACKPROPLIB_CHROMIUM:-}" ] && [ -x "$BACKPROPLIB_CHROMIUM" ] || exit 1
    fi
fi

"$VENV/bin/python" -m pip install --quiet -e '.[browser]'
if ! "$VENV/bin/python" -c "import playwright, voila, jupyterlab" 2>/dev/null; then
    echo "install.sh: playwright, voila or jupyterlab is still missing from $VENV" \
         "(does pyproject.toml define the 'browser' extra?)" >&2
    exit 1
fi
echo "install.sh: browser tests ready (Chromium: ${BACKPROPLIB_CHROMIUM:-/usr/bin/chromium})"
