"""Writing a file so that a reader never sees half of it: `write_atomically`."""
import os
import tempfile
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path, text):
    """Write `text` (UTF-8) to `path` through a temporary file in the same folder and one rename, so the
    file is either as it was or complete; a file it replaces keeps its permission bits."""
    path = Path(path)
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
