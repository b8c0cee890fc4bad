#!/bin/sh
# Install what the browser tests and `make demo` need:
#   - Debian's Chromium (/usr/bin/chromium), never a browser downloaded by Playwright;
#   - PyPI playwright (the Python driver only) and voila, into the project venv.
# Usage: tests/browser/install.sh [VENV]   (VENV defaults to .venv)
set -eu
VENV=${1:-.venv}

if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; then
        echo "install.sh: installing Debian's chromium (apt-get) ..."
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        cat >&2 <<'MSG'
install.sh: the browser tests need Chromium at /usr/bin/chromium, and it is missing.
  On Debian/Ubuntu run as root:   apt-get update && apt-get install -y chromium
  (Ubuntu's chromium is a snap; any Chromium/Chrome works if /usr/bin/chromium points to it.)
  Do NOT run `playwright install`: the tests use the system browser only.
MSG
        exit 1
    fi
fi

if ! "$VENV/bin/python" -c "import playwright, voila" 2>/dev/null; then
    echo "install.sh: installing playwright and voila into $VENV ..."
    # the same pins as the `browser` extra in pyproject.toml
    "$VENV/bin/python" -m pip install --quiet 'voila>=0.5' 'playwright>=1.40'
fi
/usr/bin/chromium --version
