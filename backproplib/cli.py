"""The command line: ``python -m backproplib COMMAND ...`` (also installed as ``backproplib``).

    python -m backproplib train TRAIN.csv TEST.csv --hidden-units H [H2] --epochs E --lr γ
                                --init zeros|random [--seed S] [--shuffle] [--metrics OUT.json]

trains the lecture's sigmoid network (one hidden layer of H units, or two of
H and H2) with a softmax output over the integer labels 0..K-1 of label-first
CSV files, by Algorithm 1 (per-example SGD in file order unless --shuffle),
printing the mean train and test cross-entropy after every epoch and the final
error rates.

Bad input (a missing or malformed file, a bad option) ends the program with
one line on stderr, "PROG: error: FILE:LINE: what is wrong", and exit status
2; the metrics file is written only when training has finished, atomically.

Adding a subcommand: write ``add_NAME(subparsers)`` that adds its parser and
sets ``run`` (a function of the parsed arguments returning the exit status),
and list it in SUBCOMMANDS.
"""
import argparse
import json
import math
import os
import sys
import tempfile

import numpy as np

from .data import DataFileError, load_csv
from .models import OneHiddenLayerNet, TwoHiddenLayerNet
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
        "train", help="train a 1- or 2-hidden-layer sigmoid network with softmax output on CSV files",
        description="Train the lecture's sigmoid network with a softmax output by SGD (Algorithm 1) on "
                    "label-first CSV files (each row: the class label 0..K-1, then the features; x_0 = 1 "
                    "is added). Prints the mean train and test cross-entropy after every epoch and the "
                    "final error rates.")
    parser.add_argument("train_file", metavar="TRAIN.csv", help="training data, label-first CSV")
    parser.add_argument("test_file", metavar="TEST.csv", help="test data, label-first CSV")
    parser.add_argument("--hidden-units", metavar="H", nargs="+", type=_POSITIVE_INT, required=True,
                        help="hidden units: one size D (1 hidden layer) or two sizes D1 D2 (2 hidden layers)")
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


def run_train(args):
    """Load the data, build the network, train it and report; returns the exit status."""
    if len(args.hidden_units) > 2:
        raise CommandError(f"--hidden-units takes one size (1 hidden layer) or two (2 hidden layers), "
                           f"got {len(args.hidden_units)}: {' '.join(map(str, args.hidden_units))}")
    if args.metrics:
        _check_writable(args.metrics)
    X_train, y_train = load_csv(args.train_file)
    X_test, y_test = load_csv(args.test_file)
    M = X_train.shape[1]
    if X_test.shape[1] != M:
        raise DataFileError(args.test_file, None, f"rows have {X_test.shape[1]} features, but the rows "
                                                  f"of {args.train_file} have {M}")
    K = int(max(y_train.max(), y_test.max())) + 1
    if K < 2:
        raise DataFileError(args.train_file, None, "every label is 0: the softmax output needs at least "
                                                   "two classes 0..K-1")
    network = OneHiddenLayerNet if len(args.hidden_units) == 1 else TwoHiddenLayerNet
    model = network(M, *args.hidden_units, K=K, init=args.init, seed=args.seed)
    print(f"{network.__name__}: M = {M} features, hidden units {' and '.join(map(str, args.hidden_units))}, "
          f"K = {K} classes; {len(y_train)} training and {len(y_test)} test examples; "
          f"init {args.init}, γ = {args.lr:g}, {args.epochs} epochs, "
          f"{'shuffled' if args.shuffle else 'file'} order")

    def show(epoch, history):
        row = history[-1]
        print(f"epoch {epoch}: train cross-entropy {row['train_cross_entropy']:.7g}, "
              f"test cross-entropy {row['test_cross_entropy']:.7g}", flush=True)

    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            history = sgd(model, X_train, y_train, X_test, y_test, epochs=args.epochs, lr=args.lr,
                          shuffle=args.shuffle, seed=args.seed, callback=show)
        except FloatingPointError as err:
            raise CommandError(f"training diverged ({err}); try a smaller --lr") from None
    final = history[-1]
    print(f"final error rate: train {final['train_error']:.4f}, test {final['test_error']:.4f}")
    if args.metrics:
        _write_json_atomically(args.metrics, {
            "epochs": [{k: row[k] for k in ("epoch", "train_cross_entropy", "test_cross_entropy")}
                       for row in history],
            "train_error": final["train_error"], "test_error": final["test_error"],
        })
    return 0


def _check_writable(path):
    """Fail before training, not after, if the metrics file cannot be created."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise CommandError(f"--metrics {path}: is a directory")
    if not os.path.isdir(folder):
        raise CommandError(f"--metrics {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise CommandError(f"--metrics {path}: the folder {folder} is not writable")


def _write_json_atomically(path, document):
    """Write to a temporary file next to `path`, then rename it: readers never see half a file."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(document, fh, indent=2)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


# ---------------------------------------------------------------------------- entry point

SUBCOMMANDS = (add_train,)


def build_parser(prog="backproplib"):
    """The argument parser with every subcommand of SUBCOMMANDS."""
    parser = argparse.ArgumentParser(
        prog=prog, description="backproplib: backpropagation as taught in CMU 10-301/601 Lecture 13.")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    for add in SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv=None, prog="backproplib"):
    """Run the command line; returns the exit status (0 ok, 2 bad input or options)."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.run(args)
    except (CommandError, DataFileError) as err:
        print(f"{parser.prog} {args.command}: error: {err}", file=sys.stderr)
        return 2
