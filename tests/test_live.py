"""backproplib.live: the code analysis shared by the live-copy generator and the kernel, and the hook that
makes a cell wait for a blank "type here" cell (driven here through a stand-in shell, exactly as IPython
drives an AST transformer: transform the parsed cell, then run it in the user namespace).  The hook in a
real kernel, under nbclient and nbval, is tested end to end in test_authoring.py."""
import ast
import types

import pytest

from backproplib import live
from backproplib.live import usage

LABEL = "TYPE HERE 1 · Module backward (Case 2): dJ/dβ, dJ/dz"


@pytest.mark.parametrize("source, loads, binds, mutates", [
    ("x = 1\nprint(x, y)", ["print", "y"], ["x"], []),
    ("y = y + 1", ["y"], ["y"], []),                                     # read before it is rebound
    ("x += 1", ["x"], ["x"], []),
    ("for k in range(3):\n    t = k", ["range"], ["k", "t"], []),
    ("def f(a):\n    b = a\n    return b + g\nh = 1", ["g"], ["f", "h"], []),   # g: read when f is called
    ("def f():\n    return helper()\ndef helper():\n    return 1", [], ["f", "helper"], []),
    ("[i * z for i in w]", ["w", "z"], [], []),
    ("f = lambda q: q + r", ["r"], ["f"], []),
    ("a[0] = 1\nb.c = 2\nd = []\nd[0] = 1", ["a", "b"], ["d"], ["a", "b"]),
    ("import numpy as np, os.path\nfrom math import pi as PI", [], ["np", "os", "PI"], []),
    ("with open(p) as fh:\n    data = fh.read()", ["open", "p"], ["fh", "data"], []),
    ("try:\n    pass\nexcept ValueError as err:\n    print(err)", ["ValueError", "print"], ["err"], []),
    ("class A(Base):\n    k = 1\n    def m(self):\n        return k2", ["Base", "k2"], ["A"], []),
    ("print(f'{g_b:.4f} {J}')", ["print", "g_b", "J"], [], []),
    ("(w := 5)\nprint(w)", ["print"], ["w"], []),
    ("del old", ["old"], [], []),
    ("get_ipython().run_line_magic('matplotlib', 'inline')", ["get_ipython"], [], []),
])
def test_usage_lists_free_reads_bindings_and_in_place_changes(source, loads, binds, mutates):
    found = usage(source)
    assert (list(found.loads), list(found.binds), list(found.mutates)) == (loads, binds, mutates)
    assert found.star_import is False


def test_usage_sees_star_imports_and_accepts_a_parsed_module():
    assert usage("from math import *").star_import is True
    assert usage(ast.parse("print(y)")).loads == ("print", "y")


def test_waiting_message_names_the_names_and_the_blank_cells():
    assert live.waiting_message([("dJ_dy", LABEL), ("g_b", LABEL)]) == (
        "⏸ Waiting for dJ_dy, g_b from TYPE HERE 1 above (Module backward (Case 2): dJ/dβ, dJ/dz). "
        "Type that cell and run it, then run the cells from there down to this one.")
    assert live.waiting_message([("y", "TYPE HERE 2 · B"), ("x", "TYPE HERE 1 · A"), ("w", "TYPE HERE 10 · C"),
                                 ("z", "TYPE HERE 1 · A")]) == (
        "⏸ Waiting for x, z from TYPE HERE 1; y from TYPE HERE 2 and w from TYPE HERE 10 above. "
        "Type those cells and run them, then run the cells from there down to this one.")


# ------------------------------------------------------------------ the hook, as IPython drives it

class Shell(types.SimpleNamespace):
    """What the hook uses of IPython's shell: user_ns and ast_transformers; run_cell as IPython does it."""

    def __init__(self):
        super().__init__(user_ns={}, ast_transformers=[])

    def run_cell(self, source):
        tree = ast.parse(source)
        for transformer in list(self.ast_transformers):
            tree = transformer.visit(tree)
        exec(compile(ast.fix_missing_locations(tree), "<cell>", "exec"), self.user_ns)


@pytest.fixture
def shell():
    shell = Shell()
    live.wait_for({LABEL: ["dJ_dy", "g_b", "rows"]}, shell=shell)
    return shell


WAIT_DJ = ("⏸ Waiting for dJ_dy from TYPE HERE 1 above (Module backward (Case 2): dJ/dβ, dJ/dz). "
           "Type that cell and run it, then run the cells from there down to this one.\n")


def test_a_cell_that_needs_a_missing_name_prints_why_and_does_nothing_else(shell, capsys):
    shell.user_ns["ran"] = []
    shell.run_cell("ran.append('table')\nprint(dJ_dy * 2)")
    assert capsys.readouterr().out == WAIT_DJ
    assert shell.user_ns["ran"] == []                                   # the cell's code did not run
    shell.run_cell("dJ_dy = 0.25")                                       # the lecturer types the blank
    shell.run_cell("ran.append('table')\nprint(dJ_dy * 2)")
    assert capsys.readouterr().out == "0.5\n" and shell.user_ns["ran"] == ["table"]


def test_only_missing_names_count_and_a_cell_that_binds_a_name_first_runs(shell, capsys):
    shell.user_ns["g_b"] = 1.0
    shell.run_cell("print(g_b, dJ_dy)")
    assert capsys.readouterr().out.startswith("⏸ Waiting for dJ_dy from TYPE HERE 1 above")
    shell.run_cell("dJ_dy = 3\nprint(dJ_dy)")
    assert capsys.readouterr().out == "3\n"
    with pytest.raises(NameError):                                     # not waited for: the usual error
        shell.run_cell("print(not_waited_for)")


def test_running_twice_out_of_order_and_registering_again_changes_nothing(shell, capsys):
    for _ in range(2):
        shell.run_cell("print(rows)")
        live.wait_for({LABEL: ["dJ_dy", "g_b", "rows"]}, shell=shell)
    assert [t for t in shell.ast_transformers if isinstance(t, live._Waiter)] == shell.ast_transformers
    assert len(shell.ast_transformers) == 1
    assert capsys.readouterr().out == 2 * WAIT_DJ.replace("dJ_dy", "rows", 1)
    shell.run_cell("rows = ['Loss']")
    shell.run_cell("print(rows)")
    assert capsys.readouterr().out == "['Loss']\n"


def test_wait_for_replaces_its_list_keeps_other_transformers_and_stop_waiting_removes_it(shell, capsys):
    other = ast.NodeTransformer()
    shell.ast_transformers.insert(0, other)
    live.wait_for({"TYPE HERE 2 · Other": "q"}, shell=shell)
    assert shell.ast_transformers[0] is other and len(shell.ast_transformers) == 2
    shell.run_cell("print(q)")
    assert capsys.readouterr().out.startswith("⏸ Waiting for q from TYPE HERE 2 above (Other).")
    with pytest.raises(NameError):
        shell.run_cell("print(dJ_dy)")                                   # no longer in the list
    live.stop_waiting(shell)
    assert shell.ast_transformers == [other]
    with pytest.raises(NameError):
        shell.run_cell("print(q)")


def test_the_hook_never_breaks_a_cell(shell, monkeypatch, capsys):
    def broken(code):
        raise RuntimeError("analysis failed")
    monkeypatch.setattr(live, "usage", broken)
    shell.run_cell("print('ran as written')")
    assert capsys.readouterr().out == "ran as written\n"


def test_outside_ipython_wait_for_does_nothing(monkeypatch):
    monkeypatch.setattr(live, "_shell", lambda: None)
    assert live.wait_for({LABEL: ["x"]}) is None
    live.stop_waiting()
