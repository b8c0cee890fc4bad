"""The command line: ``python -m backproplib COMMAND ...`` (also installed as ``backproplib``).

    python -m backproplib train TRAIN.csv TEST.csv --hidden-units H1 [H2 ...] --epochs E --lr γ
                                --init zeros|random [--activation sigmoid|tanh|relu] [--seed S]
                                [--shuffle] [--metrics OUT.json]

trains the lecture's network (one hidden layer of H1 units, two of H1 and H2,
or as many as sizes are given; sigmoid hidden units unless --activation says
otherwise) with a softmax output over the integer labels 0..K-1 of label-first
CSV files, by Algorithm 1 (per-example SGD in file order unless --shuffle),
printing the mean train and test cross-entropy after every epoch and the final
error rates.

    python -m backproplib notebooks DEST

copies the notebook suite (notebooks/, notebooks/live/, exercises/, in that
layout) into the folder DEST, creating it if needed, and says how to open it.
It never overwrites: if any of the files is already there, nothing is copied
(see backproplib.suite).

Exit status: 0 done; 2 bad input (a missing or malformed file, a bad option), with one line on stderr
"PROG COMMAND: error: FILE:LINE: what is wrong"; 3 training diverged; 130 interrupted (Ctrl-C).  The
metrics file is written atomically, once: at the end, or with the epochs completed so far and its
"status" ("finished", "diverged", "interrupted"); a symlink given as --metrics is followed.

Adding a subcommand: write ``add_NAME(subparsers)`` that adds its parser and
sets ``run`` (a function of the parsed arguments returning the exit status),
and list it in SUBCOMMANDS.
"""
import argparse
import importlib.util
import json
import math
import os
import shlex
import sys

import numpy as np

from . import suite
from .data import DataFileError, load_csv
from .files import write_atomically
from .grading import add_grade
from .activations import ACTIVATIONS
from .models import init_params, model_from_params
from .training import sgd

__all__ = ["main", "build_parser", "CommandError", "SUBCOMMANDS"]


class CommandError(Exception):
    """A problem with the command's input: one line on stderr and exit status 2."""


def _option_type(convert, accept, expected):
    """An argparse type: convert(text), kept if accept(value), else "expected ..., got 'text'"."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value
    return parse


_POSITIVE_INT = _option_type(int, lambda v: v >= 1, "a whole number >= 1")
_NATURAL_INT = _option_type(int, lambda v: v >= 0, "a whole number >= 0")
_POSITIVE_FLOAT = _option_type(float, lambda v: math.isfinite(v) and v > 0, "a positive number")


# ---------------------------------------------------------------------------- train

def add_train(subparsers):
    """The `train` subcommand."""
    parser = subparsers.add_parser(
        "train", help="train a network of any depth (sigmoid, tanh or ReLU units) with softmax output on CSV files",
        description="Train the lecture's network with a softmax output by SGD (Algorithm 1) on "
                    "label-first CSV files (each row: the class label 0..K-1, then the features; x_0 = 1 "
                    "is added). Prints the mean train and test cross-entropy after every epoch and the "
                    "final error rates.")
    parser.add_argument("train_file", metavar="TRAIN.csv", help="training data, label-first CSV")
    parser.add_argument("test_file", metavar="TEST.csv", help="test data, label-first CSV")
    parser.add_argument("--hidden-units", metavar="H", nargs="+", type=_POSITIVE_INT, required=True,
                        help="hidden units, one size per hidden layer: D (1 hidden layer), D1 D2 (2), "
                             "H1 H2 H3 ... (any depth)")
    parser.add_argument("--activation", choices=tuple(ACTIVATIONS), default="sigmoid",
                        help="the hidden units' activation (default sigmoid, the lecture's)")
    parser.add_argument("--epochs", metavar="E", type=_POSITIVE_INT, required=True,
                        help="number of passes over the training data")
    parser.add_argument("--lr", metavar="γ", type=_POSITIVE_FLOAT, required=True,
                        help="learning rate γ of the SGD update")
    parser.add_argument("--init", choices=("zeros", "random"), required=True,
                        help="initial parameters: all zeros, or seeded uniform U(-0.1, 0.1) weights")
    parser.add_argument("--seed", metavar="S", type=_NATURAL_INT, default=0,
                        help="seed for the random initialisation and --shuffle (default 0)")
    parser.add_argument("--shuffle", action="store_true",
                        help="visit the training examples in a fresh seeded order each epoch")
    parser.add_argument("--metrics", metavar="OUT.json",
                        help="write the per-epoch cross-entropies and final error rates as JSON")
    parser.set_defaults(run=run_train)


DIVERGED_NATS = 100.0        # a mean cross-entropy above this (p(y*) < e^-100) means training has diverged
MEMORY_SHARE = 0.5           # the network may use at most this share of the memory available now


class _Stopped(Exception):
    """Training ended early; `status` is the exit status, `message` the line on stderr."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


def run_train(args):
    """Load the data, build the network, train it and report; returns the exit status:
    0 trained, 2 bad input, 3 training diverged, 130 interrupted (Ctrl-C)."""
    metrics = _metrics_target(args.metrics, (args.train_file, args.test_file)) if args.metrics is not None else None
    X_train, y_train = load_csv(args.train_file)
    X_test, y_test = load_csv(args.test_file)
    M = X_train.shape[1]
    if X_test.shape[1] != M:
        raise DataFileError(args.test_file, None, f"rows have {X_test.shape[1]} features, but the rows "
                                                  f"of {args.train_file} have {M}")
    for path, X in ((args.train_file, X_train), (args.test_file, X_test)):
        if np.abs(X).max() > 1e100:
            raise DataFileError(path, None, f"a feature value reaches {np.abs(X).max():.3g}; values this large "
                                            "overflow the network's sums: scale the features first")
    K = int(max(y_train.max(), y_test.max())) + 1
    if K < 2:
        raise DataFileError(args.train_file, None, "every label is 0: the softmax output needs at least "
                                                   "two classes 0..K-1")
    _check_memory(M, args.hidden_units, K, len(y_train) + len(y_test))
    for note in _label_notes(args.train_file, y_train, args.test_file, y_test, K):
        print(f"note: {note}", file=sys.stderr)
    model = model_from_params(init_params("mlp", M, *args.hidden_units, K=K, init=args.init, seed=args.seed),
                              args.activation)
    act = "" if args.activation == "sigmoid" else f", {args.activation} units"
    print(f"{type(model).__name__}: M = {M} features, hidden units {_joined(args.hidden_units)}{act}, "
          f"K = {K} classes; {len(y_train)} training and {len(y_test)} test examples; "
          f"init {args.init}, γ = {args.lr:g}, {args.epochs} epochs, "
          f"{'shuffled' if args.shuffle else 'file'} order")
    history, stopped = [], None

    def show(epoch, so_far):
        row = so_far[-1]
        history[:] = so_far
        print(f"epoch {epoch}: train cross-entropy {row['train_cross_entropy']:.7g}, "
              f"test cross-entropy {row['test_cross_entropy']:.7g}", flush=True)
        loss = row["train_cross_entropy"]
        if not math.isfinite(loss) or loss > DIVERGED_NATS:
            raise _Stopped(3, f"training diverged at epoch {epoch}: the train cross-entropy is {loss:.4g} "
                              f"(more than {DIVERGED_NATS:g} means p(y*) < e^-{DIVERGED_NATS:g}); "
                              "try a smaller --lr")

    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            try:
                sgd(model, X_train, y_train, X_test, y_test, epochs=args.epochs, lr=args.lr,
                    shuffle=args.shuffle, seed=args.seed, callback=show)
            except FloatingPointError as err:
                raise _Stopped(3, f"training diverged in epoch {len(history) + 1} ({err}); "
                                  "try a smaller --lr") from None
    except KeyboardInterrupt:
        stopped = _Stopped(130, f"interrupted during epoch {len(history) + 1}; {len(history)} epochs "
                                "completed" + (f", kept in {args.metrics}" if metrics else ""))
    except _Stopped as err:
        stopped = err
    if history and not stopped:
        final = history[-1]
        print(f"final error rate: train {final['train_error']:.4f}, test {final['test_error']:.4f}")
    if metrics:
        status = {None: "finished", 3: "diverged", 130: "interrupted"}[stopped and stopped.status]
        document = {"status": status,
                    "epochs": [{k: row[k] for k in ("epoch", "train_cross_entropy", "test_cross_entropy")}
                               for row in history]}
        if history:
            document.update(train_error=history[-1]["train_error"], test_error=history[-1]["test_error"])
        write_atomically(metrics, json.dumps(document, indent=2) + "\n")
    if stopped:
        print(f"{_prog(args)} train: {'error: ' if stopped.status != 130 else ''}{stopped.message}", file=sys.stderr)
        return stopped.status
    return 0


def _joined(sizes):
    """'4', '5 and 3', '8, 8 and 4'."""
    words = list(map(str, sizes))
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _prog(args):
    return getattr(args, "prog", "backproplib")


def _metrics_target(path, inputs):
    """The file --metrics will write (a symlink's target: the link is followed), checked before any work:
    a file name, not a folder, in a writable folder, and never one of the input files."""
    if not path.strip():
        raise CommandError("--metrics: expected a file name, got an empty string")
    target = os.path.realpath(path)
    if os.path.isdir(target):
        raise CommandError(f"--metrics {path}: is a directory")
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise CommandError(f"--metrics {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (os.path.exists(target) and not os.access(target, os.W_OK)):
        raise CommandError(f"--metrics {path}: not writable")
    for name in inputs:
        if os.path.realpath(name) == target or (os.path.exists(name) and os.path.exists(target)
                                                and os.path.samefile(name, target)):
            raise CommandError(f"--metrics {path}: is the data file {name}; the metrics would replace it, "
                               "name another file")
    return target


def _available_memory():
    """Bytes of memory available now (Linux: MemAvailable), or None where it cannot be told."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _check_memory(M, hidden, K, examples):
    """Refuse, before allocating anything, a network that would not fit in memory."""
    sizes = [M, *hidden, K]
    parameters = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    need = 8 * (4 * parameters + 2 * examples * (M + 1 + sum(hidden) + K))  # params, grads, steps; activations
    available = _available_memory()
    if available is not None and need > MEMORY_SHARE * available:
        raise CommandError(f"--hidden-units {' '.join(map(str, hidden))}: with M = {M} features and K = {K} "
                           f"classes the network has {parameters:,} parameters and needs about "
                           f"{need / 2**30:,.1f} GiB, more than this machine can give it "
                           f"({available / 2**30:,.1f} GiB available)")


def _label_notes(train_file, y_train, test_file, y_test, K):
    """Unusual labels, in words: classes with no example anywhere, classes seen only in the test file."""
    seen_train, seen_test = set(np.unique(y_train).tolist()), set(np.unique(y_test).tolist())
    notes = []
    missing = sorted(set(range(K)) - seen_train - seen_test)
    if missing:
        notes.append(f"K = {K} classes (labels 0..{K - 1}), but no example has label "
                     f"{_listed(missing)}; their outputs are trained only to say no")
    only_test = sorted(seen_test - seen_train)
    if only_test:
        notes.append(f"label {_listed(only_test)} appears only in {test_file}: the network never sees it in "
                     f"training ({train_file}), so it cannot predict it")
    return notes


def _listed(values, most=8):
    text = ", ".join(map(str, values[:most]))
    return text + (f" and {len(values) - most} more" if len(values) > most else "")


# ---------------------------------------------------------------------------- notebooks

def add_notebooks(subparsers):
    """The `notebooks` subcommand."""
    parser = subparsers.add_parser(
        "notebooks", help="copy the lecture notebooks, their live copies and the exercises into a folder",
        description="Copy the notebook suite -- the lecture notebooks (notebooks/), their live-coding copies "
                    "(notebooks/live/) and the exercise sets (exercises/), in that layout -- into DEST, "
                    "creating it if needed. Nothing is ever overwritten: if any of the files is already "
                    "in DEST, nothing is copied and the exit status is 2.")
    parser.add_argument("dest", metavar="DEST", help="the folder to copy the suite into")
    parser.set_defaults(run=run_notebooks)


def run_notebooks(args):
    """Copy the suite into args.dest; returns the exit status."""
    try:
        copied = suite.copy_suite(args.dest)
    except suite.SuiteInTheWay as err:
        raise CommandError(f"{args.dest} already holds {len(err.paths)} of the suite's files, so nothing "
                           f"was copied (nothing is ever overwritten): {', '.join(err.paths)}") from None
    except (suite.SuiteNotFound, OSError) as err:
        raise CommandError(str(err)) from None
    counts = {}
    for name in copied:
        counts[os.path.dirname(name)] = counts.get(os.path.dirname(name), 0) + 1
    order = [os.path.dirname(pattern) for pattern in suite.PATTERNS]
    print(f"Copied {len(copied)} notebooks into {args.dest}: "
          + ", ".join(f"{folder}/ ({counts[folder]})" for folder in order if folder in counts) + ".")
    print(f"Open them with:  jupyter lab {shlex.quote(args.dest)}")
    if importlib.util.find_spec("jupyterlab") is None:
        print("(JupyterLab is not installed here: pip install jupyterlab)")
    start = next((name for name in copied if name.startswith("notebooks/00_")), copied[0])
    print(f"then start with {start}; your own copies of the exercises go in {suite.WORK_FOLDER}/.")
    return 0


# ---------------------------------------------------------------------------- entry point

SUBCOMMANDS = (add_train, add_notebooks, add_grade)


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line ("PROG: error: what"), exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser(prog="backproplib"):
    """The argument parser with every subcommand of SUBCOMMANDS."""
    parser = _Parser(
        prog=prog, description="backproplib: backpropagation as taught in CMU 10-301/601 Lecture 13.")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    for add in SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv=None, prog="backproplib"):
    """Run the command line; returns the exit status (0 ok, 2 bad input or options, 3 training diverged,
    130 interrupted)."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help(sys.stderr)
        return 2
    args.prog = parser.prog
    try:
        return args.run(args)
    except (CommandError, DataFileError) as err:
        print(f"{parser.prog} {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{parser.prog} {args.command}: interrupted", file=sys.stderr)
        return 130
