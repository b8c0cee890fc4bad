"""Data for the lecture's networks: seeded 2-D toy sets, handwritten digits, label-first CSV files.

Every generator returns ``(X, y)`` with X a float64 array of shape (n, 2) and
y an int64 array of class labels 0..K-1 (the lecture's y*).  The same seed
always gives the same points, on every platform; nothing here needs
scikit-learn.

The digits are the 1797 test images of the UCI "Optical Recognition of
Handwritten Digits" data (E. Alpaydin, C. Kaynak, 1998; CC BY 4.0;
https://archive.ics.uci.edu/ml/datasets/optical+recognition+of+handwritten+digits),
in the copy that scikit-learn distributes, shipped unmodified as
``backproplib/data/digits.csv.gz`` (64 pixel counts 0..16, then the label).
"""
import gzip
import math
import os
import re
import zlib
from collections import namedtuple
from pathlib import Path

import numpy as np

__all__ = [
    "make_xor", "make_moons", "make_spirals", "make_blobs", "train_test_split", "Split",
    "load_dataset", "load_digits", "load_csv", "DataFileError", "DATASETS",
]

DIGITS_FILE = Path(__file__).with_name("data") / "digits.csv.gz"

Split = namedtuple("Split", "X_train y_train X_test y_test")
Split.__doc__ = "A train/test split: training inputs and labels, then test inputs and labels."


class DataFileError(ValueError):
    """A data file that cannot be read as label-first rows; str() is 'FILE:LINE: what is wrong'."""

    def __init__(self, path, line, problem):
        self.path, self.line, self.problem = str(path), line, problem
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {problem}")


# ------------------------------------------------------------------ synthetic 2-D sets

def _check_generator_args(name, n, noise, classes):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < classes:
        raise ValueError(f"{name}: n must be a whole number of points, at least {classes} "
                         f"(one per class), got {n!r}")
    if not (isinstance(noise, (int, float, np.floating)) and math.isfinite(noise) and noise >= 0):
        raise ValueError(f"{name}: noise must be a finite number >= 0, got {noise!r}")


def _balanced_labels(n, classes):
    """n labels cycling 0, 1, ..., K-1 (class sizes differ by at most one)."""
    return np.arange(n, dtype=np.int64) % classes


def _finish(rng, X, y, noise):
    """Add Gaussian noise of standard deviation `noise`, then shuffle the rows."""
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(len(y))
    return X[order], y[order]


def make_xor(n=200, noise=0.25, seed=0):
    """XOR: four clouds at the corners (±1, ±1); y* = 1 where exactly one coordinate is positive.

    No line separates the classes, so logistic regression fails and a hidden
    layer is needed.  `noise` is the standard deviation around each corner.
    """
    _check_generator_args("make_xor", n, noise, 2)
    rng = np.random.default_rng(seed)
    corner = np.arange(n) % 4
    signs = np.stack([np.where(corner % 2, 1.0, -1.0), np.where(corner // 2, 1.0, -1.0)], axis=1)
    y = (signs[:, 0] != signs[:, 1]).astype(np.int64)
    return _finish(rng, signs, y, noise)


def make_moons(n=200, noise=0.1, seed=0):
    """Two interleaving half circles (class 0 on top, class 1 below and shifted right)."""
    _check_generator_args("make_moons", n, noise, 2)
    rng = np.random.default_rng(seed)
    y = _balanced_labels(n, 2)
    t = np.pi * rng.random(n)
    X = np.where(y[:, None] == 0,
                 np.stack([np.cos(t), np.sin(t)], axis=1),
                 np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1))
    return _finish(rng, X, y, noise)


def make_spirals(n=200, noise=0.05, seed=0, classes=2, turns=1.25):
    """K interleaved spiral arms (K = `classes`), each winding `turns` times around the origin."""
    _check_generator_args("make_spirals", n, noise, classes)
    rng = np.random.default_rng(seed)
    y = _balanced_labels(n, classes)
    r = 0.1 + 0.9 * rng.random(n)                      # radius in (0.1, 1]
    angle = 2 * np.pi * (y / classes + turns * r)
    X = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    return _finish(rng, X, y, noise)


def make_blobs(n=200, noise=0.5, seed=0, classes=3):
    """K round Gaussian clouds (standard deviation `noise`) centred on a circle of radius 2."""
    _check_generator_args("make_blobs", n, noise, classes)
    rng = np.random.default_rng(seed)
    y = _balanced_labels(n, classes)
    angle = 2 * np.pi * y / classes
    X = 2.0 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return _finish(rng, X, y, noise)


def train_test_split(X, y, test_fraction=0.25, seed=0):
    """A seeded random split into training and test rows; returns a `Split`."""
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"train_test_split: X has {len(X)} rows but y has {len(y)} labels")
    if not 0 < test_fraction < 1:
        raise ValueError(f"train_test_split: test_fraction must lie strictly between 0 and 1, "
                         f"got {test_fraction!r}")
    n_test = min(max(round(len(y) * test_fraction), 1), len(y) - 1)
    if n_test < 1:
        raise ValueError(f"train_test_split: need at least 2 rows to split, got {len(y)}")
    order = np.random.default_rng(seed).permutation(len(y))
    test, train = order[:n_test], order[n_test:]
    return Split(X[train], y[train], X[test], y[test])


# ---------------------------------------------------------------------- data files

def load_csv(path):
    """Read a label-first CSV file (label, then the numeric features; no header) as (X, y).

    X is float64 of shape (N, M), y int64 of shape (N,).  Blank lines are
    skipped; a file ending in .gz is decompressed.  Anything else wrong raises
    `DataFileError` with the message "FILE:LINE: what is wrong".
    """
    return _read_table(path, label_column=0)


def load_digits():
    """The 1797 handwritten digits, 8×8 pixels each, as (X, y).

    X has shape (1797, 64): pixel counts 0..16 divided by 16, so in [0, 1];
    y holds the digits 0..9.  (The packaged file stores the label last.)
    """
    X, y = _read_table(DIGITS_FILE, label_column=-1)
    return X / 16.0, y


_GENERATORS = {"xor": make_xor, "moons": make_moons, "spirals": make_spirals, "blobs": make_blobs}
DATASETS = (*_GENERATORS, "digits")


def load_dataset(name, n=None, noise=None, seed=0, test_fraction=0.25):
    """One of DATASETS, split into train and test (a `Split`), reproducibly from `seed`.

    n: number of points (None: 200 for the 2-D sets, all 1797 digits; for
    "digits" a smaller n takes a seeded random subset).  noise: the generator's
    noise (None: its default; not used for "digits").
    """
    if name == "digits":
        X, y = load_digits()
        if n is not None:
            if not 1 < n <= len(y):
                raise ValueError(f"load_dataset: n must be between 2 and {len(y)} for digits, got {n!r}")
            keep = np.random.default_rng(seed).permutation(len(y))[:n]
            X, y = X[keep], y[keep]
    elif name in _GENERATORS:
        options = {"n": n, "noise": noise}
        X, y = _GENERATORS[name](seed=seed, **{k: v for k, v in options.items() if v is not None})
    else:
        raise ValueError(f"load_dataset: unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    return train_test_split(X, y, test_fraction=test_fraction, seed=seed)


# One field: an ASCII decimal number, optionally in double quotes, with spaces around it.  Python's float()
# alone would also take "1_000", "inf", "nan" and other scripts' digits.
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_FIELD = rf"[ \t]*(?:{_NUMBER}|\"[ \t]*{_NUMBER}[ \t]*\")[ \t]*"
_ROW = re.compile(rf"{_FIELD}(?:,{_FIELD})*")
_CHARACTERS = frozenset("0123456789+-.eE,\" \t")      # a row with any other character is refused
CHUNK = 4096                        # rows parsed per block of memory
LARGEST_LABEL = 2**31 - 1           # a class label must fit an int32 (and float64 holds it exactly)


def _lines(path):
    """(line number, line) of a text file (gzip if its name ends in .gz), read lazily; a leading UTF-8 BOM is
    dropped.  Only \\n, \\r\\n and \\r end a line, as in an editor."""
    name = os.fsdecode(path)
    try:
        handle = gzip.open(path, "rt", encoding="utf-8-sig") if name.endswith(".gz") else \
            open(path, encoding="utf-8-sig")
        with handle:
            yield from enumerate(handle, start=1)
    except FileNotFoundError:
        raise DataFileError(name, None, "no such file") from None
    except IsADirectoryError:
        raise DataFileError(name, None, "is a directory, not a data file") from None
    except UnicodeDecodeError as err:
        raise DataFileError(name, None, f"not a UTF-8 text file ({err.reason})") from None
    except (OSError, EOFError, zlib.error) as err:       # gzip.BadGzipFile is an OSError
        raise DataFileError(name, None, f"cannot be read ({err})") from None


def _read_table(path, label_column):
    """Parse comma-separated numeric rows; the label sits in `label_column` (0 or -1).  Rows are parsed into
    blocks of CHUNK rows, so memory grows with the numbers read (8 bytes each), not with the text."""
    name = os.fsdecode(path)
    blocks, block, lines, filled = [], None, np.empty(CHUNK, dtype=np.int64), 0
    for lineno, line in _lines(path):
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        if not _CHARACTERS.issuperset(text) or ('"' in text and _ROW.fullmatch(text) is None):
            raise _bad_value(name, lineno, text.split(","), label_column)
        fields = text.replace('"', "").split(",") if '"' in text else text.split(",")
        if block is None:
            if len(fields) < 2:
                raise DataFileError(name, lineno, "a row needs a label and at least one feature, "
                                                  "found a single value")
            first, block = lineno, np.empty((CHUNK, len(fields)))
        elif len(fields) != block.shape[1]:
            raise DataFileError(name, lineno, f"ragged row: {len(fields)} values, but line {first} has "
                                              f"{block.shape[1]}")
        try:
            block[filled] = fields
        except ValueError:
            raise _bad_value(name, lineno, fields, label_column) from None
        lines[filled] = lineno
        filled += 1
        if filled == CHUNK:
            blocks.append(_checked(name, block, lines, label_column))
            block, filled = np.empty_like(block), 0
    if block is None:
        raise DataFileError(name, 1, "the file is empty; expected rows of a label and numeric features")
    last = _checked(name, block[:filled], lines[:filled], label_column)
    table = np.concatenate([*blocks, last]) if blocks else last.copy()
    labels = table[:, label_column].astype(np.int64)
    return np.delete(table, label_column % table.shape[1], axis=1), labels


def _checked(name, rows, lines, label_column):
    """`rows` if every value is finite and every label a whole number in 0..LARGEST_LABEL, else the
    DataFileError for the first row that is not."""
    labels = rows[:, label_column]
    finite = np.isfinite(rows).all(axis=1)
    for wrong, problem in ((~finite, "is not a finite number"), (labels != np.floor(labels), "is not an integer"),
                           (labels < 0, "is negative"), (labels > LARGEST_LABEL, f"is larger than {LARGEST_LABEL:,}")):
        if wrong.any():
            i = int(np.argmax(wrong))
            column = int(np.argmin(np.isfinite(rows[i]))) if not finite[i] else label_column % rows.shape[1]
            what = "the label" if column == label_column % rows.shape[1] else f"column {column + 1}:"
            value = rows[i, column]
            text = repr(f"{value:.17g}" if not finite[i] or value != int(value) else str(int(value)))
            raise DataFileError(name, int(lines[i]), f"{what} {text} {problem}"
                                + ("; class labels are 0..K-1" if what == "the label" else ""))
    return rows


def _bad_value(path, lineno, row, label_column):
    """The DataFileError for the first entry of `row` that is not a plain decimal number."""
    field = re.compile(_FIELD)
    column = next((i for i, text in enumerate(row) if field.fullmatch(text) is None), len(row) - 1)
    text = row[column]
    what = "the label" if column == label_column % len(row) else f"column {column + 1}"
    hint = " (a header row is not supported)" if lineno == 1 and re.search(r"[A-Za-z]{2}", text) else ""
    try:
        finite = math.isfinite(float(text.replace('"', "")))
    except ValueError:
        finite = True
    problem = "is not a number" if finite else "is not a finite number"
    return DataFileError(path, lineno, f"{what}: {text.strip()!r} {problem}{hint}")
