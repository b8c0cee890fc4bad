"""`python -m backproplib train` under hostile use: every failure is one line with the right exit status
(2 bad input, 3 diverged, 130 interrupted), sizes and labels are bounded before anything is allocated, the
metrics file never replaces an input and keeps what it replaces, and no file is changed by a failed run."""
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from backproplib import cli
from backproplib.data import DataFileError, load_csv

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ["--epochs", "2", "--lr", "0.1", "--init", "random"]


def write(folder, name, rows):
    path = folder / name
    path.write_text("".join(",".join(map(str, row)) + "\n" for row in rows))
    return path


@pytest.fixture
def data(tmp_path):
    rng = np.random.default_rng(0)
    rows = [[int(k), *np.round(rng.normal(size=3) + k, 3)] for k in [0, 1] * 10]
    return write(tmp_path, "train.csv", rows), write(tmp_path, "test.csv", rows[:8])


def snapshot(folder):
    return {p: (p.read_bytes(), p.stat().st_mode) for p in Path(folder).rglob("*") if p.is_file()}


def run(argv, capsys):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def one_line_error(err, *words):
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert all(w in lines[0] for w in words), lines[0]


# ------------------------------------------------------------------ labels and sizes, before any allocation

@pytest.mark.parametrize("label, words", [
    ("1e10", ["the label '10000000000' is larger than 2,147,483,647"]),
    ("1e20", ["the label '100000000000000000000' is larger than"]),
    ("2.5", ["the label '2.5' is not an integer"]),
    ("-3", ["the label '-3' is negative"]),
])
def test_labels_out_of_range_are_refused_with_file_and_line(tmp_path, data, capsys, label, words):
    bad = tmp_path / "bad.csv"
    bad.write_text("0,1,2,3\n" + f"{label},1,2,3\n")
    before = snapshot(tmp_path)
    status, _, err = run(["train", bad, data[1], "--hidden-units", 2, *TRAIN], capsys)
    assert status == 2
    one_line_error(err, f"{bad}:2:", *words)
    assert snapshot(tmp_path) == before


def test_a_network_too_big_for_memory_is_refused_before_allocating(data, capsys):
    start = time.monotonic()
    status, _, err = run(["train", *data, "--hidden-units", 1_000_000_000, *TRAIN], capsys)
    assert status == 2 and time.monotonic() - start < 5
    one_line_error(err, "--hidden-units 1000000000", "parameters", "GiB", "available")


def test_a_huge_class_label_is_refused_by_the_memory_check(tmp_path, data, capsys):
    big = write(tmp_path, "big.csv", [[0, 1, 2, 3], [2_000_000_000, 1, 2, 3]])
    status, _, err = run(["train", big, big, "--hidden-units", 1000, *TRAIN], capsys)
    assert status == 2
    one_line_error(err, "K = 2000000001 classes", "GiB")


def test_unusual_labels_are_reported(tmp_path, capsys):
    train = write(tmp_path, "train.csv", [[0, 0.1], [2, 0.9], [0, 0.2], [2, 0.8]])
    test = write(tmp_path, "test.csv", [[0, 0.1], [3, 0.9]])
    status, _, err = run(["train", train, test, "--hidden-units", 2, *TRAIN], capsys)
    assert status == 0
    notes = err.strip().splitlines()
    assert notes[0] == "note: K = 4 classes (labels 0..3), but no example has label 1; their outputs are " \
                       "trained only to say no"
    assert notes[1].startswith(f"note: label 3 appears only in {test}: the network never sees it")


def test_features_too_large_for_the_network_blame_the_data(tmp_path, data, capsys):
    huge = write(tmp_path, "huge.csv", [[0, 1e300, 1, 1], [1, 1, 1, 1]])
    status, _, err = run(["train", huge, data[1], "--hidden-units", 2, *TRAIN], capsys)
    assert status == 2
    one_line_error(err, str(huge), "1e+300", "scale the features")


# ------------------------------------------------------------------ divergence and Ctrl-C

def test_divergence_ends_training_with_status_3_and_keeps_the_epochs(tmp_path, data, capsys):
    metrics = tmp_path / "m.json"
    status, out, err = run(["train", *data, "--hidden-units", 4, "--epochs", 5, "--lr", 1e6, "--init", "random",
                            "--metrics", metrics], capsys)
    assert status == 3
    one_line_error(err, "error: training diverged", "try a smaller --lr")
    document = json.loads(metrics.read_text())
    assert document["status"] == "diverged" and 1 <= len(document["epochs"]) < 5
    assert "final error rate" not in out


def as_from_a_terminal():
    """In the child before exec: Ctrl-C as a shell leaves it for a command it starts, at its default and not
    blocked.  A test runner may have set SIGINT to 'ignore' in its worker, and a child inherits that (once, in CI,
    the command then trained on through the signal); a command started in the background keeps ignoring it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])


def test_ctrl_c_exits_130_and_keeps_the_completed_epochs(tmp_path):
    rng = np.random.default_rng(1)
    train = write(tmp_path, "train.csv", [[k % 3, *rng.normal(size=20)] for k in range(3000)])
    metrics = tmp_path / "m.json"
    process = subprocess.Popen([sys.executable, "-m", "backproplib", "train", str(train), str(train),
                                "--hidden-units", "64", "--epochs", "1000", "--lr", "0.01", "--init", "random",
                                "--metrics", str(metrics)], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, preexec_fn=as_from_a_terminal)
    seen = ""
    while "epoch 2:" not in seen:
        line = process.stdout.readline()
        assert line, f"training ended early: {process.stderr.read()}"
        seen += line
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    one_line_error(err, "interrupted during epoch", "epochs completed, kept in")
    document = json.loads(metrics.read_text())
    assert document["status"] == "interrupted" and len(document["epochs"]) >= 2
    assert "Traceback" not in err


# ------------------------------------------------------------------ the metrics file

@pytest.mark.parametrize("name", ["train", "alias", "relative", "link"])
def test_metrics_may_never_name_an_input_file(tmp_path, data, capsys, monkeypatch, name):
    train = data[0]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.json").symlink_to(train)
    target = {"train": train, "alias": tmp_path / "sub" / ".." / "train.csv", "relative": "./sub/../train.csv",
              "link": tmp_path / "link.json"}[name]
    before = snapshot(tmp_path)
    status, _, err = run(["train", *data, "--hidden-units", 2, *TRAIN, "--metrics", target], capsys)
    assert status == 2
    one_line_error(err, "--metrics", "is the data file", "name another file")
    assert snapshot(tmp_path) == before


def test_metrics_keeps_the_mode_of_the_file_it_replaces_and_follows_a_symlink(tmp_path, data, capsys):
    kept = tmp_path / "kept.json"
    kept.write_text("old")
    os.chmod(kept, 0o640)
    assert run(["train", *data, "--hidden-units", 2, *TRAIN, "--metrics", kept], capsys)[0] == 0
    assert kept.stat().st_mode & 0o777 == 0o640 and json.loads(kept.read_text())["status"] == "finished"

    real, link = tmp_path / "real.json", tmp_path / "link.json"
    real.write_text("old")
    link.symlink_to(real)
    assert run(["train", *data, "--hidden-units", 2, *TRAIN, "--metrics", link], capsys)[0] == 0
    assert link.is_symlink() and json.loads(real.read_text())["status"] == "finished"

    fresh = tmp_path / "fresh.json"
    assert run(["train", *data, "--hidden-units", 2, *TRAIN, "--metrics", fresh], capsys)[0] == 0
    mask = os.umask(0)
    os.umask(mask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~mask            # not mkstemp's 0600


def test_an_empty_metrics_name_is_an_error(data, capsys):
    status, _, err = run(["train", *data, "--hidden-units", 2, *TRAIN, "--metrics", ""], capsys)
    assert status == 2
    one_line_error(err, "--metrics: expected a file name")


def test_option_errors_are_one_line(data, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["train", *map(str, data), "--hidden-units", "x", *TRAIN])
    assert exit_.value.code == 2
    one_line_error(capsys.readouterr().err, "error: argument --hidden-units: expected a whole number")


# ------------------------------------------------------------------ reading CSV files

def test_a_bom_and_quoted_numbers_are_read(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes("\ufeff0,\"1.5\",2\n1, \" 2.5 \" ,3\n".encode())
    X, y = load_csv(path)
    assert y.tolist() == [0, 1] and X.tolist() == [[1.5, 2.0], [2.5, 3.0]]


@pytest.mark.parametrize("second_line, words", [
    ("1,1_000", ["column 2: '1_000' is not a number"]),
    ("1,\u0661\u0662", ["column 2:", "is not a number"]),
    ("1,2\u00853", ["column 2:", "is not a number"]),
    ("1,2\f3", ["column 2:", "is not a number"]),
    ("1,inf", ["column 2: 'inf' is not a finite number"]),
    ("1,1e999", ["column 2: 'inf' is not a finite number"]),
])
def test_only_plain_ascii_numbers_are_accepted_and_lines_count_right(tmp_path, second_line, words):
    path = tmp_path / "d.csv"
    path.write_text("0,1\n" + second_line + "\n1,2\n", encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_csv(path)
    assert str(err.value).startswith(f"{path}:2: ")
    assert all(w in str(err.value) for w in words), str(err.value)


def test_gzip_by_bytes_path_and_a_corrupt_gzip(tmp_path):
    good = tmp_path / "d.csv.gz"
    with gzip.open(good, "wt") as fh:
        fh.write("0,1\n1,2\n")
    assert load_csv(os.fsencode(good))[1].tolist() == [0, 1]
    bad = tmp_path / "bad.csv.gz"
    bad.write_bytes(good.read_bytes()[:-12] + b"garbage!")
    with pytest.raises(DataFileError, match="cannot be read"):
        load_csv(bad)
