"""Local servers and the browser for the browser tests: Voilà, JupyterLab and Debian's Chromium.

Everything listens on 127.0.0.1 only, with a random token on a free port.
Chromium is the system one (/usr/bin/chromium) driven by PyPI playwright;
`playwright install` is never used. `block_remote` routes every request that
is not to 127.0.0.1 to an abort and records it, so no request leaves the machine.
"""
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

CHROMIUM = os.environ.get("BACKPROPLIB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
HOST = "127.0.0.1"
BIN = Path(sys.executable).parent
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "browser"     # screenshots, logs, report


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """A Jupyter-family server in its own process group, stopped by `stop()` (SIGTERM, then SIGKILL)."""

    def __init__(self, argv, cwd, log_path, ready_path="/api/status", env=None):
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://{HOST}:{self.port}"
        self.log_path = Path(log_path)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")
        env = dict(os.environ, PYTHONUNBUFFERED="1",
                   **{k: v.format(port=self.port) for k, v in (env or {}).items()})
        env.pop("MPLBACKEND", None)
        argv = [a.format(port=self.port, token=self.token, host=HOST) for a in argv]
        self.process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self._wait_ready(ready_path)

    def url(self, path, **query):
        query = {"token": self.token, **query}
        return f"{self.base}/{path.lstrip('/')}?{urllib.parse.urlencode(query)}"

    def _wait_ready(self, path, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; log:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url(path), timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"server not ready after {timeout} s; log:\n{self.log()}")

    def log(self):
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self._log.close()


DEMO = Path(__file__).with_name("demo.sh")


def voila(log_path):
    """Voilà started exactly as `make demo` starts it (tests/browser/demo.sh), on a free port with a
    known token and no browser; tracebacks are shown in the page."""
    return Server(["sh", str(DEMO), "--no-browser", "--Voila.token={token}", "--show_tracebacks=True"],
                  cwd=DEMO.parent, log_path=log_path, ready_path="/", env={"VENV": sys.prefix, "PORT": "{port}"})


LAB_SETTINGS = {
    # every cell in the DOM (no virtual scrolling), so all outputs can be checked
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": '{"windowingMode": "none"}',
    # no news, no update check: no request for the outside world
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        '{"fetchNews": "false", "checkForUpdates": false}',
}


def jupyter_lab(root, home, log_path):
    """JupyterLab on the folder `root`, with its own settings, workspaces and config under `home`
    (nothing from the user's ~/.jupyter); as root it needs --allow-root."""
    home = Path(home)
    for name, text in LAB_SETTINGS.items():
        path = home / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    argv = [str(BIN / "jupyter"), "lab", "--no-browser", "--ServerApp.ip={host}", "--ServerApp.port={port}",
            "--IdentityProvider.token={token}", "--ServerApp.root_dir=" + str(root),
            "--LabApp.user_settings_dir=" + str(home / "settings"),
            "--LabApp.workspaces_dir=" + str(home / "workspaces"),
            "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    return Server(argv, cwd=root, log_path=log_path,
                  env={"JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime")})


def block_remote(context, blocked):
    """Abort every request whose host is not 127.0.0.1, appending its URL to `blocked`."""

    def handle(route):
        url = route.request.url
        host = urllib.parse.urlsplit(url).hostname
        if url.startswith(("data:", "blob:")) or host == HOST:
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", handle)
