"""A TrainingPanel on your own data with a deeper ReLU network (issue 14), driven in Voilà by a person's clicks.

A tiny notebook in a temporary folder builds a two-ring data set of its own (not one of the built-in
sets) and shows ``TrainingPanel(data=split)``; Voilà serves that folder as `make demo` serves the lecture
notebooks.  In the page: the data-set control says "your data"; a first Train at the start depth
(1 sigmoid layer); choosing 3 hidden layers makes the run stale ("not trained yet"); choosing ReLU, then
Train: the numbers shown are those of `bp.sgd` on `models.MLP(2, [H] * 3, activation="relu")` from
the same start, and the loss went down.  The kernel imports backproplib from this checkout.
"""
import os
import textwrap
from pathlib import Path

import nbformat
import pytest

from backproplib import models, training

from . import checks, dom, servers
from .servers import SCREENSHOTS

ROOT = Path(__file__).resolve().parents[2]
NOT_TRAINED = "not trained yet: press Train"
UNITS, LR, EPOCHS, SCALE = 6, 0.1, 12, 1.0

# The notebook's code; the test runs the same lines to build its oracle's data.
RINGS = textwrap.dedent("""\
    import numpy as np
    from backproplib import data

    rng = np.random.default_rng(7)
    radius = np.r_[rng.uniform(0.0, 1.0, 60), rng.uniform(1.6, 2.4, 60)]
    angle = rng.uniform(0.0, 2 * np.pi, 120)
    X = np.c_[radius * np.cos(angle), radius * np.sin(angle)]
    y = (radius > 1.3).astype(int)                   # inner disc 0, outer ring 1
    split = data.train_test_split(X, y, seed=7)
    """)
PANEL = (f"from backproplib import panels\n"
         f"panels.TrainingPanel(data=split, hidden_units={UNITS}, learning_rate={LR}, epochs={EPOCHS}, "
         f"init_scale={SCALE})")


def rings_split():
    space = {}
    exec(RINGS, space)                                   # the notebook's own lines
    return space["split"]


@pytest.fixture(scope="module")
def depth_server(tmp_path_factory):
    """Voilà (started as tests/browser/demo.sh starts it) on a temporary folder holding one notebook."""
    folder = tmp_path_factory.mktemp("panel-depth")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import backproplib\nprint('backproplib from', backproplib.__file__)"),
                nbformat.v4.new_code_cell(RINGS), nbformat.v4.new_code_cell(PANEL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "panel_depth.ipynb")
    server = servers.Server([str(servers.BIN / "voila"), str(folder), "--classic-tree", "--Voila.ip={host}",
                             "--Voila.port={port}", "--token", "--no-browser", "--Voila.token={token}",
                             "--show_tracebacks=True"],
                            cwd=folder, log_path=SCREENSHOTS / "voila-panel-depth.log", ready_path="/",
                            env={"PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))})
    yield server
    server.stop()


def select(root, label):
    return root.locator(".widget-dropdown").filter(has_text=label).locator("select")


def options(select_locator):
    """The choices a drop-down lists, as text (ipywidgets shows spaces as no-break spaces)."""
    return [text.replace("\xa0", " ") for text in select_locator.locator("option").all_inner_texts()]


def oracle(split, hidden, activation):
    """The history of Algorithm 1 for the network the panel builds for these controls."""
    model = models.MLP(2, hidden, activation=activation, seed=0, scale=SCALE)
    return training.sgd(model, *split, epochs=EPOCHS, lr=LR)


def test_your_data_with_three_relu_layers_in_voila(depth_server, new_page, report):
    page = new_page()
    page.goto(depth_server.url("voila/render/panel_depth.ipynb"), timeout=180_000)
    (root,) = dom.wait_rendered(page, 1, timeout=120)
    assert dom.kind_of(root) == "training"
    body = page.locator("body").inner_text()
    assert f"backproplib from {ROOT / 'backproplib' / '__init__.py'}" in body, body[:500]

    split = rings_split()
    dataset = select(root, "data set")
    assert dataset.input_value() == "your data"
    assert options(dataset) == ["your data", "xor", "moons", "spirals"]
    assert dom.readout(root) == NOT_TRAINED
    assert [options(select(root, "hidden layers")), options(select(root, "activation"))] == [
        ["1", "2", "3", "4"], ["sigmoid", "tanh", "relu"]]
    problems = []
    checks.learning_rate(root, "depth", LR, problems)
    assert int(dom.slider_value(dom.slider(root, "hidden units"))) == UNITS
    assert int(dom.slider_value(dom.slider(root, "epochs"))) == EPOCHS

    # the start depth: one sigmoid layer on your data, the lecture's OneHiddenLayerNet
    shallow = oracle(split, [UNITS], "sigmoid")
    first = checks.check_training(root, "panel-depth-1-sigmoid", problems, shallow[-1], EPOCHS)

    # 3 hidden layers: the last run no longer applies
    trained, before = dom.readout(root), dom.image_src(root)
    select(root, "hidden layers").select_option("3")
    dom.wait_change(lambda: dom.readout(root), trained, "the status after choosing 3 hidden layers")
    status = dom.settled(lambda: dom.readout(root), "the status after choosing 3 hidden layers")
    assert status == NOT_TRAINED, status
    assert dom.image_src(root) != before                  # the trained boundary and curves are gone
    select(root, "activation").select_option("relu")
    assert dom.settled(lambda: dom.readout(root), "the status after choosing ReLU") == NOT_TRAINED
    assert select(root, "activation").input_value() == "relu"

    deep = oracle(split, [UNITS] * 3, "relu")
    assert deep[-1]["train_cross_entropy"] < 0.5 * deep[0]["train_cross_entropy"]      # it learns
    second = checks.check_training(root, "panel-depth-3-relu", problems, deep[-1], EPOCHS)
    assert not problems, "widget problems:\n" + "\n".join(problems)
    report(f"Voilà TrainingPanel(data=two rings of its own): 'your data' chosen, depths 1-4 and "
           f"sigmoid/tanh/relu offered; 1 sigmoid layer: {first}; 3 hidden layers → '{NOT_TRAINED}'; "
           f"ReLU → '{NOT_TRAINED}'; 3 ReLU layers: {second}")
