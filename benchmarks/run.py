"""Benchmarks of backproplib against its peers (issue 6).  `make bench` runs this file.

    python benchmarks/run.py                 # every section; writes benchmarks/RESULTS.md
    python benchmarks/run.py --sections 1,3  # some sections only
    python benchmarks/run.py --smoke         # tiny sizes, one repeat: does it still work? (make test)

Sections, each printed as a Markdown table of medians and ratios:

1. the scalar engine against micrograd (PyPI), build + backward in ns per node;
2. vectorised networks against hand-written numpy and PyTorch CPU (`baselines.py`);
3. the cost of backward relative to forward (the cheap-gradient principle);
4. a full gradient by reverse mode against finite differences, as parameters grow;
5. the widgets' callbacks (headless, matplotlib Agg), in the notebook look and in presentation mode;
6. the wall time of the unit tests and of the notebooks (not in --smoke).

Sections 1–4 time single-threaded CPU time (time.process_time, with numpy's
BLAS and torch limited to one thread): on a shared machine that is what
stays put from run to run, and at these sizes more threads do not help.
Contenders take turns round after round, and medians are reported.
Sections 5 and 6 are wall-clock time, what a user waits for.
The garbage collector stays on, as it is for every user: at 10⁵–10⁶ nodes
its collections are part of the cost and are reported separately in
section 1.  Every comparison first checks that both sides compute the same
numbers.
"""
import os

USER_ENVIRONMENT = dict(os.environ)          # section 6 runs the test suite as `make test` would
for _threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")     # before numpy is imported

import argparse  # noqa: E402
import datetime  # noqa: E402
import gc  # noqa: E402
import importlib.metadata  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import baselines  # noqa: E402

CLOCK = time.process_time
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "RESULTS.md"


# ---------------------------------------------------------------------------------- timing and tables

class Settings:
    """How hard to measure: `repeat` timed runs per median, each at least `min_time` seconds long."""

    def __init__(self, smoke):
        self.smoke = smoke
        self.repeat = 1 if smoke else 7
        self.min_time = 0.0 if smoke else 0.05


def per_call(fns, settings, repeat=None):
    """Median seconds per call of each zero-argument function in `fns` (or of one function).

    The functions take turns, round after round (A B C A B C ...), so that a
    change in the machine's load hits them alike and their ratios stay fair;
    in each round a function is called enough times to last `min_time`.
    """
    single = callable(fns)
    fns = [fns] if single else list(fns)
    numbers = []
    for fn in fns:
        start = CLOCK()
        fn()
        once = CLOCK() - start
        numbers.append(max(1, int(settings.min_time / max(once, 1e-9))))
    times = [[] for _ in fns]
    for _ in range(repeat or settings.repeat):
        for fn, number, record in zip(fns, numbers, times):
            start = CLOCK()
            for _ in range(number):
                fn()
            record.append((CLOCK() - start) / number)
    medians = [float(np.median(t)) for t in times]
    return medians[0] if single else medians


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt(value, digits=3):
    """A number with `digits` significant digits, thousands separated; '–' for None."""
    if value is None:
        return "–"
    if abs(value) >= 10 ** digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def ratio(a, b):
    return None if a is None or b is None else a / b


class Section:
    """A titled Markdown table, notes under it, and the issue's targets it checks (text, measured, met)."""

    def __init__(self, title, header, rows, notes=(), targets=()):
        self.title, self.header, self.rows = title, header, rows
        self.notes, self.targets = list(notes), list(targets)

    def markdown(self):
        parts = [f"## {self.title}", "", markdown_table(self.header, self.rows)]
        if self.notes:
            parts += [""] + [f"- {note}" for note in self.notes]
        return "\n".join(parts)


def agree(a, b, what, rtol=1e-9):
    """Refuse to time two implementations that do not compute the same numbers."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if not np.allclose(a, b, rtol=rtol, atol=rtol):
        raise AssertionError(f"{what}: the implementations disagree (max |difference| {np.max(np.abs(a - b)):.3g})")


# ---------------------------------------------------------------------------------- 1. scalar engine

def chain_graph(Var, relu, n):
    """A chain y ← y·1.0000001 ← y + 0.001 ... from one leaf.  Each op also makes a constant node
    for its Python number (both engines do), so n nodes are n/2 ops.  Returns (leaves, y, nodes)."""
    x = Var(0.5)
    y = x
    for _ in range(n // 4):
        y = y * 1.0000001
        y = y + 0.001
    return [x], y, 1 + 4 * (n // 4)


def wide_graph(Var, relu, n):
    """W = n/100 leaves, then 99 layers alternating u_i = v_i + v_(i+1 mod W) and u_i = relu(v_i),
    then a pairwise-sum tree down to one output: depth ~110 whatever n.  Returns (leaves, y, nodes)."""
    width = max(n // 100, 2)
    leaves = [Var(0.5 + 0.5 * (i * 0.6180339887498949 % 1.0)) for i in range(width)]
    layer = leaves
    for depth in range(99):
        if depth % 2 == 0:
            layer = [a + b for a, b in zip(layer, layer[1:] + layer[:1])]
        else:
            layer = [relu(v) for v in layer]
    nodes = 100 * width
    while len(layer) > 1:
        pairs = [a + b for a, b in zip(layer[0::2], layer[1::2])]
        nodes += len(pairs)
        layer = pairs + layer[len(layer) - len(layer) % 2:]
    return leaves, layer[0], nodes


GRAPHS = {"chain": chain_graph, "wide": wide_graph}


def scalar_case(engine, graph, n, repeat, recursion_limit=None):
    """Build `graph` with n nodes in `engine` and backpropagate, `repeat` times; a dict of medians.

    Call it through `run_scalar_case`: a fresh process per case, so that no case inherits another's
    heap (the garbage collector's full collections cost more the more objects the process holds).
    """
    if engine == "micrograd":
        from micrograd.engine import Value as Var
        relu = Var.relu
    elif engine == "bare":
        Var = baselines.BareNode
        relu = Var.relu
    else:
        import backproplib as bp
        Var, relu = bp.Var, bp.relu
    if recursion_limit:
        sys.setrecursionlimit(recursion_limit)
    in_gc, started = [0.0], [0.0]

    def gc_clock(phase, info):
        if phase == "start":
            started[0] = CLOCK()
        else:
            in_gc[0] += CLOCK() - started[0]

    gc.callbacks.append(gc_clock)
    builds, backwards, collecting = [], [], []
    for _ in range(repeat):
        gc.collect()
        in_gc[0] = 0.0
        start = CLOCK()
        leaves, y, nodes = GRAPHS[graph](Var, relu, n)
        built = CLOCK()
        try:
            y.backward()
        except RecursionError:
            return {"error": "RecursionError"}
        done = CLOCK()
        builds.append((built - start) / nodes)
        backwards.append((done - built) / nodes)
        collecting.append(in_gc[0] / nodes)
        value = y.data if engine == "micrograd" else y.value
        grad = None if engine == "bare" else math.fsum(float(leaf.grad) for leaf in leaves)  # may be ints
        del leaves, y
    gc.callbacks.remove(gc_clock)
    return {"nodes": nodes, "build": float(np.median(builds)), "backward": float(np.median(backwards)),
            "gc": float(np.median(collecting)), "value": value, "grad": grad}


def run_scalar_case(engine, graph, n, repeat, recursion_limit=None):
    """`scalar_case` in a fresh Python process; its dict, or {"error": ...}."""
    spec = json.dumps({"engine": engine, "graph": graph, "n": n, "repeat": repeat,
                       "recursion_limit": recursion_limit})
    result = subprocess.run([sys.executable, str(Path(__file__)), "--scalar-case", spec],
                            capture_output=True, text=True, cwd=REPO)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["exit status " + str(result.returncode)])[-1]
        return {"error": last}
    return json.loads(result.stdout)


def micrograd_version():
    try:
        return importlib.metadata.version("micrograd")
    except importlib.metadata.PackageNotFoundError:
        return None


def section_scalar(settings):
    sizes = (100, 1000) if settings.smoke else (10**3, 10**4, 10**5, 10**6)
    have_micrograd = micrograd_version() is not None
    raised = 10**7
    rows, ours_total, ours_own, mg_ratio_at = [], {}, {}, {}
    for graph in GRAPHS:
        for n in sizes:
            repeat = 1 if settings.smoke else (7 if n <= 10**4 else 3)
            rounds = 1 if settings.smoke or n >= 10**6 else 3
            runs = {"ours": [], "bare": [], "default": [], "raised": []}
            for _ in range(rounds):         # the contenders take turns, each in a fresh process
                runs["ours"].append(run_scalar_case("backproplib", graph, n, repeat))
                runs["bare"].append(run_scalar_case("bare", graph, n, repeat))
                if have_micrograd and not (settings.smoke and n > 100):
                    if not runs["raised"]:
                        runs["default"].append(run_scalar_case("micrograd", graph, n,
                                                               1 if n >= 10**6 else repeat))
                    if "error" in runs["default"][0]:
                        runs["raised"].append(run_scalar_case("micrograd", graph, n,
                                                              1 if n >= 10**5 else repeat, raised))
            ours, bare, mg_default, mg_raised = (_median_case(runs[k]) for k in runs)
            for who, result in (("backproplib", ours), ("bare nodes", bare)):
                if "error" in result:
                    raise RuntimeError(f"{who} {graph} n={n}: {result['error']}")
            total = ours["build"] + ours["backward"]
            ours_total[graph, n], ours_own[graph, n] = total, total - ours["gc"]
            cells = [_mg_cell(mg_default, ours), _mg_cell(mg_raised, ours)]
            best = next((m for m in (mg_default, mg_raised) if m and "error" not in m), None)
            speedup = ratio(best["build"] + best["backward"], total) if best else None
            if speedup is not None:
                mg_ratio_at[graph, n] = speedup
            rows.append([graph, f"{ours['nodes']:,}", fmt(ours["build"] * 1e9), fmt(ours["backward"] * 1e9),
                         fmt(total * 1e9), fmt(ours["gc"] * 1e9), fmt((total - ours["gc"]) * 1e9),
                         f"{fmt(bare['build'] * 1e9)} ({fmt(bare['gc'] * 1e9)})", *cells,
                         "–" if speedup is None else f"{speedup:.1f}×"])
    header = ["graph", "nodes", "build ns/node", "backward ns/node", "**total ns/node**", "of which GC",
              "total without GC", "bare node: build (of which GC)",
              "micrograd ns/node (default recursion limit)", f"micrograd ns/node (limit raised to {raised:,})",
              "micrograd / backproplib"]
    big, small = max(sizes), min(sizes)
    own_spread = max(ours_own[g, big] / ours_own[g, small] for g in GRAPHS)
    notes = [
        "A node is every Var/Value the graph holds: leaves, constants and op results.  In the chain every op "
        "(`y * 1.0000001`, `y + 0.001`) also makes a constant node for its Python number, in both engines, "
        "so ns per *op* is twice ns per node there; the wide graph has no constants.",
        "chain: one leaf, then alternately `y * 1.0000001` and `y + 0.001` (depth n/2).  wide: n/100 leaves, "
        "99 layers alternating `v_i + v_(i+1)` and `relu(v_i)`, then a pairwise-sum tree (depth ~110).",
        "build = creating the graph (forward values included); backward = `y.backward()` (topological order "
        "+ chain rule).  Each case runs in a fresh process, the contenders taking turns for three rounds "
        "(one at 10⁶ nodes), and medians are shown; the garbage collector stays on; 'of which GC' is "
        "the time spent in its collections during build + backward (gc.callbacks).",
        "bare node = `baselines.BareNode`, an object holding a value and its two inputs and nothing else, "
        "building the same graph: the floor for any engine with one Python object per node.  Its GC share "
        "grows with the graph just as ours does: CPython's full collections pass over every live object, "
        "so their cost per node rises as the graph outgrows the CPU's caches.",
        f"Without the collector's time our engine's own cost per node changes by {own_spread:.2f}× from "
        f"{small:,} to {big:,} nodes (worst graph); the growth of the total is the collector's.",
        "micrograd's `backward` recurses once per level of depth: at Python's default recursion limit (1,000) "
        "it raises RecursionError on any graph deeper than ~1,000 (here every chain from 10⁴ nodes on).  "
        "The next column reruns those cases "
        f"with `sys.setrecursionlimit({raised:,})`; the ratio uses that column where the default fails.",
        "Both engines' output values and leaf gradients agree to 1e-9 wherever both ran.",
    ]
    if not have_micrograd:
        notes.append("micrograd is not installed here (`pip install micrograd`, the `bench` extra).")
    targets = []
    for n in sizes:
        worst = max(ours_total[g, n] for g in GRAPHS)
        targets.append((f"scalar engine ≤ 1,000 ns per node (build + backward) at {n:,} nodes, worst graph",
                        f"{worst * 1e9:,.0f} ns/node", worst <= 1e-6))
    spread = max(ours_total[g, big] / ours_total[g, small] for g in GRAPHS)
    targets.append((f"flat from {small:,} to {big:,} nodes (taken as: largest / smallest size ≤ 1.5×, "
                    "worst graph)", f"{spread:.2f}× (without GC: {own_spread:.2f}×)", spread <= 1.5))
    at = 10**5 if not settings.smoke else 100
    if all((g, at) in mg_ratio_at for g in GRAPHS):
        slowest = min(mg_ratio_at[g, at] for g in GRAPHS)
        targets.append((f"≥ 5× faster than micrograd at {at:,} nodes (both graphs)", f"{slowest:.2f}×",
                        slowest >= 5))
    return Section("1. Scalar engine vs micrograd: build + backward, ns per node", header, rows, notes, targets)


def _median_case(results):
    """Several `scalar_case` results as one: the median of each time, or the first error (None for none)."""
    if not results:
        return None
    errors = [r for r in results if "error" in r]
    if errors:
        return errors[0]
    merged = dict(results[0])
    for key in ("build", "backward", "gc"):
        merged[key] = float(np.median([r[key] for r in results]))
    return merged


def _mg_cell(result, ours):
    if result is None:
        return "–"
    if "error" in result:
        return result["error"]
    agree([result["value"], result["grad"]], [ours["value"], ours["grad"]], "micrograd vs backproplib")
    return fmt((result["build"] + result["backward"]) * 1e9)


# ---------------------------------------------------------------------------------- 2. vectorised networks

def two_hidden_problem():
    """The 2-16-16-1 network on 100 moons points: (model, X, y*) with y* as floats 0/1."""
    import backproplib as bp
    X, y = bp.make_moons(n=100, noise=0.1, seed=0)
    model = bp.TwoHiddenLayerNet(2, 16, 16, init="random", seed=0, scale=1.0)
    return model, X, y.astype(np.float64)


def digits_problem():
    """The 1-hidden-layer softmax network (D = 32, K = 10) and the digits training split."""
    import backproplib as bp
    X, y = bp.load_digits()
    split = bp.train_test_split(X, y, test_fraction=0.25, seed=0)
    model = bp.OneHiddenLayerNet(64, 32, K=10, init="random", seed=0)
    return model, split.X_train, split.y_train


EPOCHS = 5     # the epoch rows time a run of this many epochs and divide
DEPTH_REPEAT = 11   # rounds for the depth × activation rows: one epoch (~50 ms) each, so more rounds steady the median
STEP_REPEAT = 21    # rounds for the single-step rows: a step takes microseconds, so a noisy moment sways a round


def library_step(model, x, y, lr):
    """One step of `training.sgd`'s loop on prepared (x, y): NNFORWARD, NNBACKWARD seeded with γ, update."""
    o = model.forward_prepared(x, None)
    for p, lr_g in zip([model.params[n] for n in model.param_names], model.backward_prepared(x, y, o, lr)):
        p -= lr_g


def engine_step(model, x, y, lr):
    """The same step on prepared (x, y) with the gradient from the engine's reverse mode
    (`model.engine_loss_prepared`: the graph of J built from Vars, then backward)."""
    J, V = model.engine_loss_prepared(x, y)
    J.backward()
    for name, v in V.items():
        model.params[name] -= lr * v.grad


def section_networks(settings, use_torch):
    import backproplib as bp
    lr = 0.1
    rows, ratios_numpy, ratios_torch = [], [], []
    torch = None
    if use_torch:
        import torch
        torch.set_num_threads(1)

    # one SGD step of the 2-16-16-1 network on 100 points
    model, X, y = two_hidden_problem()
    start = {n: p.copy() for n, p in model.params.items()}
    x_prep, y_prep = model.prepare(X, y)
    hand = baselines.NumpyTwoHidden(start)
    agree(model.forward_prepared(x_prep, y_prep).J, hand.loss(X, y), "2-16-16-1 loss")
    library_step(model, x_prep, y_prep, lr)
    hand.step(X, y, lr)
    for n in model.param_names:
        agree(model.params[n], hand.p[n], f"2-16-16-1 {n} after one step")
    contenders = [lambda: library_step(model, x_prep, y_prep, lr), lambda: engine_step(model, x_prep, y_prep, lr),
                  lambda: hand.step(X, y, lr)]
    if torch:
        net = baselines.TorchTwoHidden(start)
        Xt, yt = torch.tensor(X), torch.tensor(y)
        fresh = baselines.NumpyTwoHidden(start)
        agree(net.step(Xt, yt, lr), fresh.loss(X, y), "torch 2-16-16-1 loss")
        fresh.step(X, y, lr)
        for n in model.param_names:
            agree(net.p[n].detach().numpy(), fresh.p[n], f"torch 2-16-16-1 {n} after one step")
        contenders.append(lambda: net.step(Xt, yt, lr))
    t_ours, t_engine, t_numpy_step, *t_torch = per_call(contenders, settings,
                                                        repeat=STEP_REPEAT if not settings.smoke else None)
    t_torch = t_torch[0] if t_torch else None
    rows.append(_network_row("SGD step, 2-16-16-1 net, 100 points (hand-written backward)", 1e6, "µs",
                             t_ours, t_numpy_step, t_torch, ratios_numpy, ratios_torch))
    rows.append(_network_row("the same step through the engine (autodiff, `engine_loss_prepared`)", 1e6, "µs",
                             t_engine, t_numpy_step, t_torch, None, None))

    # one epoch on the digits, per example (Algorithm 1) and in minibatches of 32
    model, X, y = digits_problem()
    start = {n: p.copy() for n, p in model.params.items()}
    epochs = 1 if settings.smoke else EPOCHS
    for batch_size, label in ((1, "epoch of Algorithm 1 (per-example SGD)"), (32, "epoch of minibatch SGD, B = 32")):
        model.set_params({n: p.copy() for n, p in start.items()})
        hand = baselines.NumpyOneHiddenSoftmax(start)
        history = bp.sgd(model, X, y, epochs=1, lr=lr, batch_size=batch_size)
        agree(history[-1]["train_cross_entropy"], hand.epoch(X, y, lr, batch_size)[0], f"digits {label}")
        contenders = [lambda: bp.sgd(model, X, y, epochs=epochs, lr=lr, batch_size=batch_size),
                      lambda: [hand.epoch(X, y, lr, batch_size) for _ in range(epochs)]]
        if torch:
            net = baselines.TorchOneHiddenSoftmax(start)
            Xt, yt = torch.tensor(X), torch.tensor(y)
            agree(net.epoch(Xt, yt, lr, batch_size)[0],
                  baselines.NumpyOneHiddenSoftmax(start).epoch(X, y, lr, batch_size)[0], f"torch digits {label}")
            contenders.append(lambda: [net.epoch(Xt, yt, lr, batch_size) for _ in range(epochs)])
        t_ours, t_numpy, *t_torch = (t / epochs for t in per_call(contenders, settings))
        t_torch = t_torch[0] if t_torch else None
        rows.append(_network_row(f"{label}, 1-hidden softmax net D = 32, digits ({len(y)} training rows)",
                                 1e3, "ms", t_ours, t_numpy, t_torch, ratios_numpy, ratios_torch))

    # one epoch of Algorithm 1 on the digits for 1–4 hidden layers of 32 units, each activation
    depth_ratios_numpy, depth_ratios_torch = [], []
    depths = (1, 2) if settings.smoke else (1, 2, 3, 4)
    lr_depth = 0.02             # at 0.1 the deeper tanh nets amplify rounding differences past 1e-9 in an epoch
    for L in depths:
        for activation in ("sigmoid", "tanh", "relu"):
            model = bp.MLP(64, [32] * L, K=10, activation=activation, init="random", seed=0, scale=0.3)
            start = {n: p.copy() for n, p in model.params.items()}
            hand = baselines.NumpyMLP(start, L, activation)
            history = bp.sgd(model, X, y, epochs=1, lr=lr_depth)
            agree(history[-1]["train_cross_entropy"], hand.epoch(X, y, lr_depth)[0], f"digits L = {L} {activation}")
            contenders = [lambda: bp.sgd(model, X, y, epochs=1, lr=lr_depth), lambda: hand.epoch(X, y, lr_depth)]
            if torch:
                net = baselines.TorchMLP(start, L, activation)
                Xt, yt = torch.tensor(X), torch.tensor(y)
                agree(net.epoch(Xt, yt, lr_depth)[0],
                      baselines.NumpyMLP(start, L, activation).epoch(X, y, lr_depth)[0],
                      f"torch digits L = {L} {activation}")
                contenders.append(lambda: net.epoch(Xt, yt, lr_depth))
            t_ours, t_numpy, *t_torch = per_call(contenders, settings, DEPTH_REPEAT if not settings.smoke else None)
            rows.append(_network_row(f"epoch of Algorithm 1, {L} hidden layer{'s' if L > 1 else ''} of 32 "
                                     f"{activation} units, K = 10, digits", 1e3, "ms", t_ours, t_numpy,
                                     t_torch[0] if t_torch else None, depth_ratios_numpy, depth_ratios_torch))

    header = ["task", "backproplib", "hand-written numpy", "PyTorch CPU", "backproplib / numpy",
              "backproplib / torch"]
    notes = [
        "backproplib step = what `bp.sgd` does per update: `forward_prepared`, `backward_prepared` seeded "
        "with γ, in-place update.  An epoch is the time per epoch of `bp.sgd(model, X, y, "
        f"epochs={EPOCHS}, ...)` itself, with its input checks (once per call) and the end-of-epoch training "
        "cross-entropy and error, which the numpy and torch epochs compute too.",
        "Hand-written numpy and torch versions are in `benchmarks/baselines.py`; all start from the same "
        "parameters and agree with backproplib to 1e-9 after a step/epoch before they are timed.",
        "The depth × activation rows train `bp.MLP(64, [32] * L, K=10, activation=...)` for one epoch of "
        "`bp.sgd` against `NumpyMLP` (the per-example loop written by hand for that network) and `TorchMLP`, "
        f"one epoch per round, medians of {DEPTH_REPEAT} rounds (a single ~50 ms epoch is easily disturbed by a "
        "loaded machine).",
        "float64 everywhere, one thread each" + ("." if torch else "; torch is not installed here, so its "
                                                 "columns are empty."),
    ]
    engine_ratio = t_engine / t_numpy_step
    targets = [("network steps within 1.25× of hand-written numpy",
                f"{min(ratios_numpy):.2f}–{max(ratios_numpy):.2f}×", max(ratios_numpy) <= 1.25),
               ("Algorithm 1 epochs, 1–4 hidden layers × sigmoid/tanh/relu, within 1.25× of hand-written numpy",
                f"{min(depth_ratios_numpy):.2f}–{max(depth_ratios_numpy):.2f}×", max(depth_ratios_numpy) <= 1.25),
               ("the engine's SGD step (2-16-16-1) within 2× of hand-written numpy", f"{engine_ratio:.2f}×",
                engine_ratio <= 2.0)]
    if ratios_torch:
        targets.append(("network steps faster than PyTorch CPU", f"{min(ratios_torch):.2f}–{max(ratios_torch):.2f}×",
                        max(ratios_torch) < 1.0))
    if depth_ratios_torch:
        targets.append(("Algorithm 1 epochs, 1–4 hidden layers × sigmoid/tanh/relu, faster than PyTorch CPU",
                        f"{min(depth_ratios_torch):.2f}–{max(depth_ratios_torch):.2f}×",
                        max(depth_ratios_torch) < 1.0))
    return Section("2. Vectorised networks vs hand-written numpy and PyTorch CPU (medians)", header, rows, notes,
                   targets)


def _network_row(label, scale, unit, ours, numpy_time, torch_time, ratios_numpy, ratios_torch):
    r_numpy, r_torch = ratio(ours, numpy_time), ratio(ours, torch_time)
    if ratios_numpy is not None:
        ratios_numpy.append(r_numpy)
        if r_torch is not None:
            ratios_torch.append(r_torch)
    cell = lambda t: "–" if t is None else f"{fmt(t * scale)} {unit}"  # noqa: E731
    return [label, cell(ours), cell(numpy_time), cell(torch_time), f"{r_numpy:.2f}×",
            "–" if r_torch is None else f"{r_torch:.2f}×"]


# ---------------------------------------------------------------------------------- 3. backward / forward

def section_cheap_gradient(settings):
    import backproplib as bp
    rows, ratios = [], []

    def add(label, forward_seconds, backward_seconds, unit_scale, unit):
        r = backward_seconds / forward_seconds
        ratios.append(r)
        rows.append([label, f"{fmt(forward_seconds * unit_scale)} {unit}",
                     f"{fmt(backward_seconds * unit_scale)} {unit}", f"{r:.2f}"])

    n = 1000 if settings.smoke else 10**5
    for graph in GRAPHS:
        result = run_scalar_case("backproplib", graph, n, 1 if settings.smoke else 3)
        add(f"engine, scalar {graph} graph, {result['nodes']:,} nodes (per node)", result["build"],
            result["backward"], 1e9, "ns")

    model, X, y = two_hidden_problem()
    x, y_star = model.prepare(X, y)
    V = {name: bp.Var(p, name=name) for name, p in model.params.items()}

    def engine_forward():
        z1 = bp.sigmoid(x @ V["alpha1"] + V["b1"])
        z2 = bp.sigmoid(z1 @ V["alpha2"] + V["b2"])
        return bp.sigmoid_cross_entropy(z2 @ V["beta"] + V["beta0"], y_star)

    J = engine_forward()
    agree(J.value, model.forward_prepared(x, y_star).J, "engine vs modules forward")
    add("engine, 2-16-16-1 net, 100 points (graph build vs `J.backward()`)",
        *per_call([engine_forward, J.backward], settings), 1e6, "µs")

    o = model.forward_prepared(x, y_star)
    add("modules, 2-16-16-1 net, 100 points (`forward_prepared` vs `backward_prepared`)",
        *per_call([lambda: model.forward_prepared(x, y_star), lambda: model.backward_prepared(x, y_star, o)],
                  settings), 1e6, "µs")

    model, X, y = digits_problem()
    for rows_used, label in ((1, "one example"), (32, "a batch of 32")):
        x, labels = model.prepare(X[0] if rows_used == 1 else X[:rows_used], y[0] if rows_used == 1 else y[:rows_used])
        o = model.forward_prepared(x, labels)
        add(f"modules, 1-hidden softmax net D = 32, digits, {label}",
            *per_call([lambda: model.forward_prepared(x, labels), lambda: model.backward_prepared(x, labels, o)],
                      settings), 1e6, "µs")

    notes = ["The cheap-gradient principle: reverse mode costs a small constant times the forward pass.  "
             "For the engine, forward = building the graph (values computed on the way); backward = "
             "topological order + chain rule.  For the modules, backward reuses the forward's cache."]
    targets = [("backward ≤ 3× forward", f"{min(ratios):.2f}–{max(ratios):.2f}×", max(ratios) <= 3)]
    return Section("3. Backward / forward cost", ["computation", "forward", "backward", "backward / forward"],
                   rows, notes, targets)


# ---------------------------------------------------------------------------------- 4. reverse mode vs FD

def section_finite_differences(settings):
    import backproplib as bp
    X, y = bp.load_digits()
    X, y = X[:100], y[:100]
    rows = []
    for D in ((2, 8) if settings.smoke else (4, 16, 64, 256)):
        model = bp.OneHiddenLayerNet(64, D, K=10, init="random", seed=0)
        x, labels = model.prepare(X, y)
        P = sum(p.size for p in model.params.values())

        def reverse():
            return model.backward_prepared(x, labels, model.forward_prepared(x, labels))

        def engine():
            J, V = model.engine_loss(X, y)
            J.backward()
            return [V[n].grad for n in model.param_names]

        def finite_differences(eps=1e-6):
            grads = []
            for p in model.params.values():
                g = np.empty_like(p)
                flat, out = p.reshape(-1), g.reshape(-1)
                for i in range(flat.size):
                    keep = flat[i]
                    flat[i] = keep + eps
                    plus = model.forward_prepared(x, labels).J
                    flat[i] = keep - eps
                    minus = model.forward_prepared(x, labels).J
                    flat[i] = keep
                    out[i] = (plus - minus) / (2 * eps)
                grads.append(g)
            return grads

        start = CLOCK()
        numeric = finite_differences()                  # long enough to be timed once
        t_fd = CLOCK() - start
        analytic = reverse()
        scale = max(float(np.max(np.abs(a))) for a in analytic)
        gap = max(float(np.max(np.abs(a - n))) for a, n in zip(analytic, numeric)) / scale
        for a, e in zip(analytic, engine()):
            agree(a, e, "engine vs hand-written gradient", rtol=1e-10)
        t_rev, t_eng = per_call([reverse, engine], settings)
        rows.append([f"{P:,} (D = {D})", f"{fmt(t_rev * 1e6)} µs", f"{fmt(t_eng * 1e6)} µs",
                     f"{fmt(t_fd * 1e3)} ms", f"{t_fd / t_rev:,.0f}×", f"{gap:.1e}"])
    notes = ["1-hidden-layer softmax net on 100 digits (M = 64, K = 10), P = D(M+1) + K(D+1) parameters.  "
             "Reverse mode: one forward and one backward, whatever P (hand-written `backward_prepared`, or the "
             "engine's `engine_loss` + `backward`).  Central finite differences: 2P forward passes, so their cost "
             "grows linearly with P (and the ratio with it).  Last column: the largest absolute difference between the "
             "two gradients, relative to the largest gradient entry (the finite differences' own truncation "
             "and rounding error, ε = 1e-6)."]
    header = ["parameters P", "reverse mode (modules)", "reverse mode (engine)", "finite differences",
              "FD / reverse (modules)", "largest difference / largest gradient entry"]
    return Section("4. A full gradient: reverse mode vs finite differences", header, rows, notes)


# ---------------------------------------------------------------------------------- 5. widgets

def section_widgets(settings):
    import matplotlib
    matplotlib.use("Agg")
    import backproplib as bp

    rows, worst = [], []
    looks = [("notebook", {"on": False}), ("presentation, pixel ratio 2", {"on": True}),
             ("presentation, high contrast, pixel ratio 2", {"on": True, "high_contrast": True})]
    try:
        for look, options in looks[:2] if settings.smoke else looks:
            bp.present(**options)
            _widget_rows(settings, look, rows, worst)
    finally:
        bp.present(False)
    notes = ["Headless (matplotlib Agg, ipywidgets without a front end): the time from setting a control "
             "in Python to the new PNG being in the widget, which is what the browser then displays.",
             "Each look is the style `bp.present` sets: the notebook look draws figures at 80 px per inch; "
             "presentation mode at 100 CSS px per inch × a device-pixel ratio of 2 (about 2.4 times the "
             "pixels), with larger text and thicker lines.",
             "Training redraw: (wall time of Train − epochs × the panel's own seconds_per_epoch of SGD) / "
             "epochs: the per-epoch callback (progress bar, loss curves, boundary, PNG)."]
    targets = [("every widget callback ≤ 50 ms, in every look", f"worst median {max(worst) * 1e3:.1f} ms",
                max(worst) <= 0.05)]
    return Section("5. Widget responsiveness (ms per callback)", ["look", "callback", "median ms", "max ms",
                                                                 "calls"], rows, notes, targets)


def _widget_rows(settings, look, rows, worst):
    """Time every widget's callbacks in the presentation style in force; rows and medians are appended."""
    import backproplib as bp
    from backproplib import panels, widgets

    xs = np.linspace(-1.5, 1.5, 3 if settings.smoke else 15)

    def timed(label, calls):
        times = []
        for call in calls:
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
        median = float(np.median(times))
        worst.append(median)
        rows.append([look, label, f"{median * 1e3:.1f}", f"{max(times) * 1e3:.1f}", len(times)])

    f = lambda v: bp.cos(bp.sin(v ** 2) + 3 * v ** 2)  # noqa: E731
    tangent = widgets.TangentExplorer(f)
    timed("TangentExplorer: move the x slider", [lambda x=x: setattr(tangent.slider, "value", x) for x in xs])
    chain = widgets.ChainRuleExplorer(lambda v: v ** 2, bp.sin)
    timed("ChainRuleExplorer: move the x slider", [lambda x=x: setattr(chain.slider, "value", x) for x in xs])

    x = bp.Var(2.0, name="x")
    t = (x ** 2).named("t")
    J = bp.cos((bp.sin(t).named("u1") + (3 * t).named("u2")).named("u")).named("J")   # the lecture's example
    start = time.perf_counter()
    stepper = widgets.BackwardStepper(J)
    built = time.perf_counter() - start
    rows.append([look, "BackwardStepper: build (draws every frame once; a notebook cell, not a callback)",
                 f"{built * 1e3:.1f}", f"{built * 1e3:.1f}", 1])
    steps = len(stepper.steps)
    timed("BackwardStepper: step button", [stepper.step_button.click for _ in range(steps)])
    timed("BackwardStepper: step slider", [lambda k=k: stepper.go(k) for k in range(steps, -1, -1)])

    split = bp.load_dataset("moons", n=200, seed=0)
    sliders = panels.ThetaSliders(split, epochs=5 if settings.smoke else 20)
    timed("ThetaSliders: move a θ slider", [lambda v=v: setattr(sliders.sliders[1], "value", float(v)) for v in xs])
    timed("ThetaSliders: set all three θ (one redraw)", [lambda v=v: sliders.set_theta((0.1 * v, 1.0, v)) for v in xs])
    rows.append([look, *_training_redraw_row("ThetaSliders", sliders, worst)])
    timed("ThetaSliders: Reset", [sliders.reset_button.click for _ in xs[:5]])

    panel = panels.TrainingPanel(epochs=5 if settings.smoke else 20, n=200)
    timed("TrainingPanel: choose a data set", [lambda d=d: setattr(panel.dataset, "value", d)
                                              for d in ("xor", "spirals", "moons")])
    rows.append([look, *_training_redraw_row("TrainingPanel (1 hidden layer, 8 units)", panel, worst)])
    timed("TrainingPanel: Reset", [panel.reset_button.click for _ in xs[:5]])


def _training_redraw_row(label, panel, worst):
    start = time.perf_counter()
    panel.train()
    wall = time.perf_counter() - start
    epochs = len(panel.history)
    redraw = (wall - epochs * panel.seconds_per_epoch) / epochs
    worst.append(redraw)
    return [f"{label}: training redraw per epoch ({epochs} epochs; "
            f"SGD alone {panel.seconds_per_epoch * 1e3:.1f} ms/epoch)", f"{redraw * 1e3:.1f}", "–", epochs]


# ---------------------------------------------------------------------------------- 6. suite cost

def section_suite(settings):
    parts = [("unit tests: `pytest tests -p no:nbval`", ["tests", "-p", "no:nbval", "-o", "addopts="]),
             ("notebooks, solutions and exercises under nbval", ["notebooks", "solutions", "exercises"])]
    rows, total, slowest = [], 0.0, []
    for label, args in parts:
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=5",
                                 *args], cwd=REPO, capture_output=True, text=True, env=USER_ENVIRONMENT)
        seconds = time.perf_counter() - start
        total += seconds
        lines = result.stdout.strip().splitlines()
        slowest += [line.split(None, 2) for line in lines if line.split()[1:2] in (["call"], ["setup"])][:5]
        rows.append([label, f"{seconds:.1f}", lines[-1] if lines else "(no output)"])
    rows.append(["**all of `make test`**", f"**{total:.1f}**", ""])
    notes = [f"Run one after the other on this machine ({os.cpu_count()} cores), as `make test` runs them."]
    if slowest:
        notes.append("Slowest: " + ", ".join(f"`{test}` {seconds}" for seconds, _, test in slowest) + ".")
    targets = [("`make test` ≤ 5 minutes", f"{total:.0f} s", total <= 300)]
    return Section("6. Suite cost (wall time)", ["part", "seconds", "pytest summary"], rows, notes, targets)


# ---------------------------------------------------------------------------------- report

def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {"Python": platform.python_version(), "numpy": np.__version__,
                "micrograd": micrograd_version() or "not installed"}
    try:
        versions["torch"] = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        versions["torch"] = "not installed"
    return cpu, versions


def report(sections, started, load_before, seconds):
    cpu, versions = machine()
    head = [
        "# backproplib benchmark results",
        "",
        "Written by `make bench` (`python benchmarks/run.py`); see that file for what each number means.",
        "",
        f"- date: {started:%Y-%m-%d %H:%M} UTC; whole run {seconds / 60:.1f} min",
        f"- machine: {cpu}, {os.cpu_count()} cores ({platform.system()} {platform.release()})",
        "- " + ", ".join(f"{name} {version}" for name, version in versions.items()),
        f"- load average before / after: {load_before} / {_load()} (a shared machine: medians, not minima)",
    ]
    targets = [t for s in sections for t in s.targets]
    summary = ["## Targets (issue 6)", "",
               markdown_table(["target", "measured", "met"],
                              [[t, m, "yes" if ok else "**no**"] for t, m, ok in targets])]
    return "\n\n".join(["\n".join(head), *(s.markdown() for s in sections), "\n".join(summary)]) + "\n"


def _load():
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "?"


SECTIONS = {1: section_scalar, 2: section_networks, 3: section_cheap_gradient, 4: section_finite_differences,
            5: section_widgets, 6: section_suite}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one repeat, no torch, no section 6")
    parser.add_argument("--sections", default=None, help="comma-separated section numbers (default: all)")
    parser.add_argument("--out", default=None, help="where to write the Markdown report "
                        "(default: benchmarks/RESULTS.md for a full run of every section, nowhere otherwise)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if it is installed")
    parser.add_argument("--scalar-case", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scalar_case:
        print(json.dumps(scalar_case(**json.loads(args.scalar_case))))
        return 0
    settings = Settings(args.smoke)
    chosen = [int(s) for s in args.sections.split(",")] if args.sections else [n for n in SECTIONS if not
                                                                                (args.smoke and n == 6)]
    use_torch = not (args.smoke or args.no_torch) and baselines.torch_available()
    started, load_before, clock = datetime.datetime.now(datetime.timezone.utc), _load(), time.perf_counter()
    sections = []
    for number in chosen:
        section = SECTIONS[number](settings, use_torch) if number == 2 else SECTIONS[number](settings)
        sections.append(section)
        print(section.markdown(), end="\n\n", flush=True)
    text = report(sections, started, load_before, time.perf_counter() - clock)
    out = args.out or (RESULTS if not args.smoke and args.sections is None else None)
    if out:
        Path(out).write_text(text, encoding="utf-8")
        print(f"written to {out}")
    print(text[text.index("## Targets"):])
    return 0


if __name__ == "__main__":
    sys.exit(main())
