"""`python -m backproplib train`, end to end on small generated CSV files, including bad ones."""
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from backproplib import cli
from backproplib.data import make_blobs
from backproplib.models import MLP, OneHiddenLayerNet, TwoHiddenLayerNet
from backproplib.training import sgd

ROOT = Path(__file__).resolve().parents[1]


def write_csv(path, X, y):
    path.write_text("".join(f"{k}," + ",".join(f"{v:.6f}" for v in row) + "\n" for k, row in zip(y, X)))
    return path


@pytest.fixture
def files(tmp_path):
    """Three separable classes in 2-D: 60 training and 30 test rows, label first."""
    X, y = make_blobs(n=90, noise=0.3, seed=1)
    return write_csv(tmp_path / "train.csv", X[:60], y[:60]), write_csv(tmp_path / "test.csv", X[60:], y[60:])


def run(argv, capsys):
    """(exit status, stdout, stderr) of the command line, in-process."""
    try:
        status = cli.main([str(a) for a in argv])
    except SystemExit as exit_:                       # argparse rejects bad options itself
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err


TRAIN = ["--epochs", 3, "--lr", 0.5, "--init", "random"]


def test_train_prints_epochs_and_error_rates_and_writes_metrics(files, tmp_path, capsys):
    train, test = files
    metrics = tmp_path / "out.json"
    status, out, err = run(["train", train, test, "--hidden-units", 4, *TRAIN, "--seed", 2,
                            "--metrics", metrics], capsys)
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("OneHiddenLayerNet: M = 2 features, hidden units 4, K = 3 classes")
    assert [line.split(":")[0] for line in lines[1:4]] == ["epoch 1", "epoch 2", "epoch 3"]
    assert lines[4].startswith("final error rate: train ")
    document = json.loads(metrics.read_text())
    assert set(document) == {"status", "epochs", "train_error", "test_error"} and document["status"] == "finished"
    assert [set(row) for row in document["epochs"]] == [{"epoch", "train_cross_entropy",
                                                         "test_cross_entropy"}] * 3
    # The same training through the library gives the same numbers.
    data = [np.loadtxt(f, delimiter=",") for f in files]
    model = OneHiddenLayerNet(2, 4, K=3, init="random", seed=2)
    history = sgd(model, data[0][:, 1:], data[0][:, 0].astype(int), data[1][:, 1:], data[1][:, 0].astype(int),
                  epochs=3, lr=0.5)
    assert [row["test_cross_entropy"] for row in document["epochs"]] == [h["test_cross_entropy"] for h in history]
    assert document["test_error"] == history[-1]["test_error"]
    assert f"test cross-entropy {history[0]['test_cross_entropy']:.7g}" in lines[1]
    assert f"test {history[-1]['test_error']:.4f}" in lines[4]


def test_training_learns_the_blobs(files, tmp_path, capsys):
    metrics = tmp_path / "m.json"
    status, _, _ = run(["train", *files, "--hidden-units", 8, "--epochs", 20, "--lr", 0.5, "--init", "random",
                        "--metrics", metrics], capsys)
    document = json.loads(metrics.read_text())
    ce = [row["train_cross_entropy"] for row in document["epochs"]]
    assert status == 0 and ce[-1] < ce[0] / 3 and document["test_error"] <= 0.1


def test_two_sizes_train_the_two_hidden_layer_net(files, tmp_path, capsys):
    metrics = tmp_path / "m.json"
    status, out, _ = run(["train", *files, "--hidden-units", 5, 3, *TRAIN, "--metrics", metrics], capsys)
    assert status == 0 and out.startswith("TwoHiddenLayerNet: M = 2 features, hidden units 5 and 3")
    data = [np.loadtxt(f, delimiter=",") for f in files]
    model = TwoHiddenLayerNet(2, 5, 3, K=3, init="random", seed=0)
    history = sgd(model, data[0][:, 1:], data[0][:, 0].astype(int), data[1][:, 1:], data[1][:, 0].astype(int),
                  epochs=3, lr=0.5)
    assert json.loads(metrics.read_text())["train_error"] == history[-1]["train_error"]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("hidden", [[4], [5, 3], [4, 3, 2], [3, 3, 3, 3]])
def test_any_depth_and_activation_train_as_the_library_does(files, tmp_path, capsys, hidden, activation):
    """--hidden-units H1 … HL and --activation: the printed and stored numbers are those of MLP + sgd."""
    metrics = tmp_path / "m.json"
    options = [] if activation == "sigmoid" else ["--activation", activation]
    status, out, err = run(["train", *files, "--hidden-units", *hidden, *TRAIN, *options, "--metrics", metrics],
                           capsys)
    assert status == 0 and err == ""
    name = {1: "OneHiddenLayerNet", 2: "TwoHiddenLayerNet"}.get(len(hidden), "MLP")
    units = hidden[0] if len(hidden) == 1 else ", ".join(map(str, hidden[:-1])) + f" and {hidden[-1]}"
    kind = "" if activation == "sigmoid" else f", {activation} units"
    assert out.startswith(f"{name}: M = 2 features, hidden units {units}{kind}, K = 3 classes")
    data = [np.loadtxt(f, delimiter=",") for f in files]
    model = MLP(2, hidden, K=3, activation=activation, init="random", seed=0)
    history = sgd(model, data[0][:, 1:], data[0][:, 0].astype(int), data[1][:, 1:], data[1][:, 0].astype(int),
                  epochs=3, lr=0.5)
    document = json.loads(metrics.read_text())
    assert [row["train_cross_entropy"] for row in document["epochs"]] == history.column("train_cross_entropy").tolist()
    assert document["test_error"] == history[-1]["test_error"]


def test_zeros_init_is_deterministic_while_shuffle_and_seed_change_the_run(files, capsys):
    def epochs(*options):
        status, out, _ = run(["train", *files, "--hidden-units", 3, "--epochs", 2, "--lr", 0.3, *options], capsys)
        assert status == 0
        return out.splitlines()[1:]
    zeros = epochs("--init", "zeros")
    assert zeros == epochs("--init", "zeros", "--seed", 9)              # nothing random to seed
    assert zeros != epochs("--init", "zeros", "--shuffle")
    assert epochs("--init", "random", "--seed", 1) != epochs("--init", "random", "--seed", 2)


BAD_FILES = {
    "ragged row": ("0,1,2\n1,1\n", 2),
    "non-numeric value": ("0,1,2\n1,1,2\n2,x,2\n", 3),
    "non-integer label": ("0,1,2\n1.5,1,2\n", 2),
    "empty file": ("", 1),
}


@pytest.mark.parametrize("which", ["train", "test"])
@pytest.mark.parametrize("problem", BAD_FILES)
def test_bad_file_gives_one_line_exit_2_and_no_metrics(files, tmp_path, capsys, which, problem):
    text, line = BAD_FILES[problem]
    train, test = files
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    metrics = tmp_path / "m.json"
    argv = ["train", bad if which == "train" else train, bad if which == "test" else test,
            "--hidden-units", 2, *TRAIN, "--metrics", metrics]
    status, out, err = run(argv, capsys)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and f"{bad}:{line}: " in err and err.startswith("backproplib train: error: ")
    assert not metrics.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "test.csv",
                                                                                  "train.csv"]


def test_missing_file_and_feature_mismatch(files, tmp_path, capsys):
    train, _ = files
    status, _, err = run(["train", train, tmp_path / "nope.csv", "--hidden-units", 2, *TRAIN], capsys)
    assert status == 2 and err.strip().endswith("nope.csv: no such file") and err.count("\n") == 1
    wide = write_csv(tmp_path / "wide.csv", np.zeros((2, 3)), [0, 1])
    status, _, err = run(["train", train, wide, "--hidden-units", 2, *TRAIN], capsys)
    assert status == 2 and "wide.csv: rows have 3 features, but the rows of" in err


def test_failed_run_leaves_an_existing_metrics_file_alone(files, tmp_path, capsys):
    metrics = tmp_path / "m.json"
    metrics.write_text("old")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    status, _, _ = run(["train", files[0], empty, "--hidden-units", 2, *TRAIN, "--metrics", metrics], capsys)
    assert status == 2 and metrics.read_text() == "old"


def test_interrupted_metrics_write_leaves_no_file(files, tmp_path, capsys, monkeypatch):
    from backproplib import files as files_module

    class Full:
        def __init__(self, fd, *args, **kwargs):
            self.handle = open(fd, "w", closefd=True)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, text):
            self.handle.write(text[:10])
            raise OSError("disk full")

    monkeypatch.setattr(files_module.os, "fdopen", Full)
    metrics = tmp_path / "m.json"
    with pytest.raises(OSError, match="disk full"):
        cli.main(["train", *map(str, files), "--hidden-units", "2", *map(str, TRAIN), "--metrics", str(metrics)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test.csv", "train.csv"]


@pytest.mark.parametrize("options, message", [
    (["--hidden-units", 2, "--epochs", 3, "--lr", -0.1, "--init", "random"], "--lr: expected a positive number"),
    (["--hidden-units", 2, "--epochs", 3, "--lr", "nan", "--init", "random"], "--lr: expected a positive number"),
    (["--hidden-units", 2, "--epochs", 0, "--lr", 0.1, "--init", "random"], "--epochs: expected a whole number >= 1"),
    (["--hidden-units", 0, "--epochs", 3, "--lr", 0.1, "--init", "random"], "--hidden-units: expected a whole"),
    (["--hidden-units", 2, 3, 0, "--epochs", 3, "--lr", 0.1, "--init", "random"], "--hidden-units: expected a whole"),
    (["--hidden-units", 2, "--epochs", 3, "--lr", 0.1, "--init", "random", "--activation", "softplus"],
     "--activation: invalid choice: 'softplus'"),
    (["--hidden-units", 2, "--epochs", 3, "--lr", 0.1, "--init", "normal"], "invalid choice: 'normal'"),
    (["--hidden-units", 2, "--epochs", 3, "--lr", 0.1, "--init", "zeros", "--seed", -1], "--seed: expected"),
    (["--hidden-units", 2, "--epochs", 3, "--lr", 0.1], "required: --init"),
    (["--hidden-units", 2, *TRAIN, "--metrics", "/no/such/folder/m.json"], "does not exist"),
])
def test_bad_options_exit_2_with_a_clear_message(files, capsys, options, message):
    status, _, err = run(["train", *files, *options], capsys)
    assert status == 2 and message in err


def test_module_entry_point_lists_the_subcommands():
    result = subprocess.run([sys.executable, "-m", "backproplib", "--help"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and "python -m backproplib" in result.stdout and "train" in result.stdout
    bare = subprocess.run([sys.executable, "-m", "backproplib"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert bare.returncode == 2 and "train" in bare.stderr


# ---------------------------------------------------------------------------- notebooks

SUITE = sorted(p.relative_to(ROOT).as_posix() for pattern in ("notebooks/*.ipynb", "notebooks/live/*.ipynb",
                                                               "exercises/*.ipynb") for p in ROOT.glob(pattern))


def snapshot(folder):
    """{relative path: (bytes, mtime)} of every file under `folder`."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_suite_is_found_in_this_checkout_and_leaves_solutions_out():
    from backproplib import suite
    assert suite.suite_root() == ROOT
    assert suite.suite_files() == SUITE
    assert len([f for f in SUITE if f.startswith("notebooks/live/")]) >= 8
    assert len([f for f in SUITE if f.startswith("exercises/")]) >= 8
    assert not any(f.startswith("solutions/") for f in SUITE)


def test_notebooks_copies_the_suite_with_its_layout(tmp_path, capsys):
    dest = tmp_path / "new" / "course"                    # missing parents are created
    status, out, err = run(["notebooks", dest], capsys)
    assert status == 0 and err == ""
    copied = snapshot(dest)
    assert sorted(copied) == SUITE
    assert all(copied[f][0] == (ROOT / f).read_bytes() for f in SUITE)
    assert (dest / "my-work").is_dir() and not any((dest / "my-work").iterdir())
    assert not (dest / "solutions").exists()
    lines = out.splitlines()
    assert lines[0].startswith(f"Copied {len(SUITE)} notebooks into {dest}: notebooks/ (")
    assert f"Open them with:  jupyter lab {dest}" in lines
    # Relative links between notebooks (../exercises/..., ../01_x.ipynb from live/) still lead somewhere.
    broken = [(f, link) for f in SUITE
              for cell in json.loads(copied[f][0])["cells"] if cell["cell_type"] == "markdown"
              for link in re.findall(r"\]\(([^)\s#]+)(?:#[^)\s]*)?\)", "".join(cell["source"]))
              if not re.match(r"[a-z][a-z0-9+.-]*:|/", link) and not (dest / f).parent.joinpath(link).exists()]
    assert not broken


def test_notebooks_keeps_other_files_in_dest(tmp_path, capsys):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "mine.ipynb").write_text("{}")
    (tmp_path / "my-work").mkdir()
    (tmp_path / "my-work" / "answers.ipynb").write_text("{}")
    status, _, _ = run(["notebooks", tmp_path], capsys)
    assert status == 0
    assert (tmp_path / "notebooks" / "mine.ipynb").read_text() == "{}"
    assert (tmp_path / "my-work" / "answers.ipynb").read_text() == "{}"
    assert set(SUITE) < set(snapshot(tmp_path))


def test_notebooks_never_overwrites_and_copies_nothing_if_a_file_is_in_the_way(tmp_path, capsys):
    mine = tmp_path / [f for f in SUITE if f.startswith("exercises/")][-1]
    mine.parent.mkdir()
    mine.write_text("my answers")
    status, out, err = run(["notebooks", tmp_path], capsys)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and f"exercises/{mine.name}" in err and "nothing was copied" in err
    assert err.startswith("backproplib notebooks: error: ")
    assert snapshot(tmp_path) == {f"exercises/{mine.name}": (b"my answers", mine.stat().st_mtime_ns)}


def test_notebooks_a_second_time_refuses_and_changes_nothing(tmp_path, capsys):
    assert run(["notebooks", tmp_path], capsys)[0] == 0
    before = snapshot(tmp_path)
    status, out, err = run(["notebooks", tmp_path], capsys)
    assert status == 2 and out == "" and err.count("\n") == 1
    assert all(f in err for f in SUITE)
    assert snapshot(tmp_path) == before


def test_notebooks_into_a_file_or_without_a_suite_exits_2(tmp_path, capsys, monkeypatch):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    status, _, err = run(["notebooks", a_file], capsys)
    assert status == 2 and "is not a folder" in err and a_file.read_text() == "x"
    from backproplib import suite
    monkeypatch.setattr(suite, "_PACKAGE", tmp_path / "site-packages" / "backproplib")
    status, _, err = run(["notebooks", tmp_path / "dest"], capsys)
    assert status == 2 and "the notebook suite is not installed" in err and not (tmp_path / "dest").exists()
    status, _, err = run(["notebooks"], capsys)
    assert status == 2 and "DEST" in err


def test_notebooks_from_the_installed_command_and_the_module(tmp_path):
    for i, command in enumerate(([sys.executable, "-m", "backproplib"],
                                 [str(Path(sys.executable).with_name("backproplib"))])):
        if not Path(command[0]).exists():
            pytest.fail(f"{command[0]} is missing: install the package (pip install -e .)")
        dest = tmp_path / f"d{i}"
        first = subprocess.run([*command, "notebooks", str(dest)], cwd=tmp_path, capture_output=True,
                               text=True, timeout=60)
        assert first.returncode == 0 and f"jupyter lab {dest}" in first.stdout
        again = subprocess.run([*command, "notebooks", str(dest)], cwd=tmp_path, capture_output=True,
                               text=True, timeout=60)
        assert again.returncode == 2 and again.stdout == "" and again.stderr.count("\n") == 1
        assert sorted(snapshot(dest)) == SUITE
