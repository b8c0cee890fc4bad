"""Synthetic sets, the train/test split, the packaged digits and the label-first CSV loader."""
import gzip

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from backproplib import data
from backproplib.data import DataFileError, load_csv

GENERATORS = [data.make_xor, data.make_moons, data.make_spirals, data.make_blobs]


# ------------------------------------------------------------------ synthetic sets

@pytest.mark.parametrize("make", GENERATORS)
def test_generators_are_seeded_and_shaped(make):
    X, y = make(n=101, seed=3)
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1            # balanced classes
    X2, y2 = make(n=101, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    X3, _ = make(n=101, seed=4)
    assert not np.array_equal(X, X3)


def test_xor_without_noise_sits_on_the_corners_with_xor_labels():
    X, y = data.make_xor(n=40, noise=0.0)
    assert set(map(tuple, X)) == {(-1.0, -1.0), (-1.0, 1.0), (1.0, -1.0), (1.0, 1.0)}
    assert np.array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = data.make_moons(n=60, noise=0.0)
    top, bottom = X[y == 0], X[y == 1]
    assert np.allclose(np.hypot(*top.T), 1.0) and np.all(top[:, 1] >= 0)
    assert np.allclose(np.hypot(bottom[:, 0] - 1.0, bottom[:, 1] - 0.5), 1.0) and np.all(bottom[:, 1] <= 0.5)


def test_spirals_and_blobs_have_the_requested_classes_and_geometry():
    X, y = data.make_spirals(n=90, noise=0.0, classes=3)
    assert set(y) == {0, 1, 2}
    assert np.all((np.hypot(*X.T) > 0.1 - 1e-12) & (np.hypot(*X.T) <= 1.0 + 1e-12))
    X, y = data.make_blobs(n=30, noise=0.0, classes=3)
    centres = 2.0 * np.stack([np.cos(2 * np.pi * y / 3), np.sin(2 * np.pi * y / 3)], axis=1)
    assert np.allclose(X, centres)


@pytest.mark.parametrize("kwargs, match", [
    ({"n": 0}, "n must be"), ({"n": 1}, "at least 2"), ({"n": 2.5}, "n must be"), ({"n": True}, "n must be"),
    ({"noise": -0.1}, "noise"), ({"noise": float("nan")}, "noise"),
])
def test_generators_reject_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.make_moons(**kwargs)


def test_split_partitions_the_rows_reproducibly():
    X = np.arange(40.0).reshape(20, 2)
    y = np.arange(20)
    split = data.train_test_split(X, y, test_fraction=0.25, seed=1)
    assert len(split.y_test) == 5 and len(split.y_train) == 15
    assert sorted(np.concatenate([split.y_train, split.y_test])) == list(range(20))
    assert np.array_equal(split.X_train[:, 0], 2 * split.y_train)      # rows stay with their labels
    again = data.train_test_split(X, y, test_fraction=0.25, seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(split, again))


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.5])
def test_split_rejects_bad_fractions(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        data.train_test_split(np.zeros((4, 2)), np.zeros(4), test_fraction=fraction)


def test_split_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="5 rows but y has 4"):
        data.train_test_split(np.zeros((5, 2)), np.zeros(4))


@pytest.mark.parametrize("name", ["xor", "moons", "spirals", "blobs"])
def test_load_dataset_splits_the_named_generator(name):
    split = data.load_dataset(name, n=80, noise=0.0, seed=2)
    X, y = getattr(data, f"make_{name}")(n=80, noise=0.0, seed=2)
    assert len(split.y_train) + len(split.y_test) == 80
    assert {tuple(r) for r in split.X_train} <= {tuple(r) for r in X}


def test_load_dataset_digits_subset_and_unknown_name():
    split = data.load_dataset("digits", n=100, seed=0)
    assert split.X_train.shape == (75, 64) and split.X_test.shape == (25, 64)
    with pytest.raises(ValueError, match="unknown data set 'mnist'"):
        data.load_dataset("mnist")


# ---------------------------------------------------------------------------- digits

def test_digits_are_the_uci_images_scaled_to_unit_interval():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.array_equal(np.unique(y), np.arange(10))
    assert np.array_equal(y[:10], np.arange(10))
    # The first image (a zero), top row of pixels 0 5 13 9 1 in the original 0..16 counts.
    assert np.array_equal(X[0, :8] * 16, [0, 0, 5, 13, 9, 1, 0, 0])
    assert np.array_equal(np.bincount(y), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])


# ------------------------------------------------------------------------ CSV files

def write(tmp_path, text, name="d.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.data())
def test_csv_round_trip(tmp_path_factory, rows, cols, draw):
    values = draw.draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=rows * cols,
                                max_size=rows * cols))
    labels = draw.draw(st.lists(st.integers(0, 9), min_size=rows, max_size=rows))
    X = np.array(values).reshape(rows, cols)
    text = "".join(f"{k}," + ",".join(repr(float(v)) for v in row) + "\n" for k, row in zip(labels, X))
    X2, y2 = load_csv(write(tmp_path_factory.mktemp("csv"), text))
    assert np.array_equal(X2, X) and np.array_equal(y2, labels)
    assert X2.dtype == np.float64 and y2.dtype == np.int64


def test_csv_skips_blank_lines_accepts_whole_float_labels_and_gzip(tmp_path):
    X, y = load_csv(write(tmp_path, "1, 0.5,2\n\n 3.0,1,1e-3 \r\n\n"))
    assert np.array_equal(y, [1, 3]) and np.array_equal(X, [[0.5, 2.0], [1.0, 1e-3]])
    gz = tmp_path / "d.csv.gz"
    gz.write_bytes(gzip.compress(b"2,1,1\n0,0,0\n"))
    X, y = load_csv(gz)
    assert np.array_equal(y, [2, 0]) and X.shape == (2, 2)


BAD_FILES = [
    ("ragged", "1,0,0\n2,0,0\n3,0\n", 3, "ragged row: 2 values, but line 1 has 3"),
    ("non-numeric feature", "1,0,0\n2,0,x7\n", 2, "column 3: 'x7' is not a number"),
    ("non-numeric label", "1,0,0\n\ncat,0,0\n", 3, "the label: 'cat' is not a number"),
    ("header", "label,p1,p2\n1,0,0\n", 1, "a header row is not supported"),
    ("non-integer label", "1,0,0\n2.5,0,0\n", 2, "the label '2.5' is not an integer"),
    ("negative label", "1,0,0\n0,1,1\n-1,0,0\n", 3, "the label '-1' is negative"),
    ("not finite", "1,0,0\n2,nan,0\n", 2, "column 2: 'nan' is not a finite number"),
    ("empty", "", 1, "the file is empty"),
    ("blank only", "\n  \n", 1, "the file is empty"),
    ("label only", "1\n2\n", 1, "at least one feature"),
]


@pytest.mark.parametrize("text, line, message", [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES])
def test_csv_errors_name_file_and_line(tmp_path, text, line, message):
    path = write(tmp_path, text)
    with pytest.raises(DataFileError) as err:
        load_csv(path)
    assert str(err.value).startswith(f"{path}:{line}: ")
    assert message in str(err.value)
    assert err.value.line == line and err.value.path == str(path)
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing.csv", "no such file"),
    (lambda p: p, "is a directory"),
    (lambda p: (p / "bin.csv").write_bytes(b"\xff\xfe\x00") and p / "bin.csv", "not a UTF-8 text file"),
])
def test_csv_unreadable_files(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(DataFileError, match=message) as err:
        load_csv(path)
    assert str(err.value).startswith(f"{path}: ") and err.value.line is None
