"""The public side of backproplib.checks: CheckResult, RESULTS, strict mode, and the API course staff use to
write a check in a solution notebook (check_value, check_function, expect), down to a blank exercise copy."""
import dataclasses
import linecache

import nbformat
import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell
from nbformat.v4 import new_code_cell, new_notebook

import backproplib as bp
from backproplib import authoring, checks
from backproplib.checks.verdict import CHECK_FAILED, wrapped
from test_checks import lenient  # noqa: F401  (autouse: strict mode off, RESULTS empty)


def square(x):
    return x * x


def stub(x):
    raise NotImplementedError("square")


# ------------------------------------------------------------------ results

def test_a_check_returns_the_result_it_printed_and_collects_it(capsys):
    result = checks.check_chain_rule_1d(lambda x: 0.0)
    assert capsys.readouterr().out == result.message + "\n"
    assert (result.id, result.title, result.status, result.earned, result.possible) == \
        ("check_chain_rule_1d", "df/dx of sin(x³)", "fail", 0.0, 1.0)
    assert result.as_dict() == dataclasses.asdict(result) and set(result.as_dict()) == \
        {"id", "title", "status", "message", "earned", "possible"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = "pass"
    assert checks.RESULTS == [result]
    checks.reset_results()
    assert checks.RESULTS == []


def test_a_result_adds_no_out_prompt_in_a_notebook():
    result = checks.check_value("one", 1.0, 1.0)
    try:
        assert InteractiveShell.instance().display_formatter.format(result) == ({}, {})
    finally:
        InteractiveShell.clear_instance()        # a lingering shell breaks pyplot on matplotlib < 3.9


@pytest.mark.parametrize("turn_on", ["environment", "call"])
def test_strict_mode_raises_after_printing_anything_but_a_pass(capsys, monkeypatch, turn_on):
    if turn_on == "environment":
        monkeypatch.setenv("BACKPROPLIB_STRICT", "1")
    else:
        checks.set_strict(True)
    assert checks.check_value("one", 1.0, 1.0).status == "pass"
    for answer in (2.0, None):
        with pytest.raises(AssertionError) as failed:
            checks.check_value("one", answer, 1.0)
        assert capsys.readouterr().out.endswith(str(failed.value) + "\n")
    assert [r.status for r in checks.RESULTS] == ["pass", "fail", "todo"]
    checks.set_strict(False)
    assert checks.check_value("one", 2.0, 1.0).status == "fail"


# ------------------------------------------------------------------ check_value and check_function

def test_check_value_judges_and_names_a_listed_mistake(capsys):
    assert checks.check_value("the slope at x = 1", 2.0, 2.0, points=3).as_dict() == {
        "id": "the-slope-at-x-1", "title": "the slope at x = 1", "status": "pass",
        "message": "✓ the slope at x = 1 is right.", "earned": 3.0, "possible": 3.0}
    wrong = checks.check_value("the slope at x = 1", 1.0, 2.0, mistakes=[(1.0, "that is f(1), not f′(1)")])
    assert wrong.message == ("✗ the slope at x = 1 is 1 but should be 2 (off by 1)\n"
                             "  Likely cause: that is f(1), not f′(1).")
    hinted = checks.check_value("g", np.ones(3), np.zeros(3), hint="g is a gradient at a minimum", id="ex-12")
    assert hinted.id == "ex-12" and hinted.message.endswith("Hint: g is a gradient at a minimum")
    assert checks.check_value("g", None, 1.0).status == "todo"
    assert "complex" in checks.check_value("g", 1 + 2j, 1.0).message
    capsys.readouterr()


def test_check_function_compares_at_every_input(capsys):
    assert checks.check_function("x²", square, lambda x: x**2, [1.0, 2.0, -3.0]).status == "pass"
    wrong = checks.check_function("x²", lambda x: 2 * x, lambda x: x**2, [1.0, 3.0],
                                  mistakes=[(lambda x: 2 * x, "that is the derivative")])
    assert "entry [1] (input 3): 6 instead of 9" in wrong.message
    assert "Likely cause: that is the derivative" in wrong.message
    arrays = checks.check_function("outer", lambda a, b: np.outer(b, a), np.outer,
                                   [(np.arange(2.0), np.arange(3.0))])
    assert arrays.status == "fail" and "transposed" in arrays.message
    assert checks.check_function("x²", stub, lambda x: x**2, [1.0]).status == "todo"
    raised = checks.check_function("x²", lambda x: x.nope, lambda x: x**2, [1.0])
    assert raised.status == "error" and "AttributeError" in raised.message and "x.nope" in raised.message
    broken = checks.check_function("x²", square, lambda x: 1 / 0, [1.0])
    assert broken.status == "error" and CHECK_FAILED in broken.message
    capsys.readouterr()


# ------------------------------------------------------------------ expect: plain asserts

def cell(source, **names):
    """Run `source` as a notebook cell would (no pytest assert rewriting; its lines known to linecache)."""
    filename = f"<cell {abs(hash(source))}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"bp": bp, "stub": stub, "square": square, **names}
    exec(compile(source, filename, "exec"), namespace)
    return namespace["verdict"].result


def test_expect_turns_asserts_into_a_verdict(capsys):
    check = ('with bp.checks.expect("the slope", slope=slope) as verdict:\n'
             '    assert slope == 2, "the slope of x² at 1 is 2"')
    assert cell(check, slope=2.0).message == "✓ the slope."
    assert cell(check, slope=3.0).message == "✗ the slope: the slope of x² at 1 is 2"
    assert cell(check, slope=None).message.startswith("○ not implemented yet — `slope` is still None")
    bare = cell('with bp.checks.expect("the slope") as verdict:\n    assert slope == 2', slope=3.0)
    assert bare.status == "fail"
    assert bare.message.endswith("the assertion failed\n  at line 2 of your cell: assert slope == 2")
    blank = cell('with bp.checks.expect("x²") as verdict:\n    assert stub(2.0) == 4')
    assert blank.status == "todo" and "`square`" in blank.message
    raised = cell('with bp.checks.expect("x²") as verdict:\n    assert square("2") == 4')
    assert raised.status == "error" and "TypeError" in raised.message and "of `square`: return x * x" in raised.message
    checks.set_strict(True)
    with pytest.raises(AssertionError, match="the slope of x² at 1 is 2"):
        cell(check, slope=3.0)
    capsys.readouterr()


def test_staff_checks_run_in_a_solution_and_show_todo_in_the_blank_exercise(tmp_path):
    """A new exercise using only the public API: the solution passes, the generated blank copy shows ○."""
    (tmp_path / "solutions").mkdir()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "pyproject.toml").write_text(f'[project]\nversion = "{bp.__version__}"\n'
                                             '[project.urls]\nRepository = "https://example.org/demo"\n')
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells = [
        new_code_cell("import backproplib as bp", id="c1"),
        new_code_cell("def slope(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", id="c2"),
        new_code_cell('bp.checks.check_function("the slope of x²", slope, lambda x: 2 * x, [0.5, 1.0, -2.0],\n'
                      '                         mistakes=[(lambda x: x**2, "that is f(x), not f′(x)")])',
                      id="c3", metadata={"tags": ["check"]}),
        new_code_cell("### BEGIN SOLUTION\nroot = 0.0\n### END SOLUTION", id="c4"),
        new_code_cell('with bp.checks.expect("the minimum of x²", root=root):\n    assert slope(root) == 0',
                      id="c5", metadata={"tags": ["check"]}),
    ]
    nbformat.write(nb, tmp_path / "solutions" / "12_new.ipynb")
    assert authoring.main(["exercises", "--root", str(tmp_path)]) == 0
    outputs = [[o.text for o in c.outputs] for c in nbformat.read(tmp_path / "solutions" / "12_new.ipynb", 4).cells]
    assert outputs[2] == ["✓ the slope of x²: right at all 3 inputs.\n"]
    assert outputs[4] == ["✓ the minimum of x².\n"]
    blank = [[o.text for o in c.outputs] for c in nbformat.read(tmp_path / "exercises" / "12_new.ipynb", 4).cells]
    assert blank[2][0].startswith("○ not implemented yet — replace the stub in `slope`")
    assert blank[4][0].startswith("○ not implemented yet — `root` is still None")


# ------------------------------------------------------------------ how a verdict is printed

def test_in_a_notebook_a_long_verdict_wraps_between_words_and_keeps_every_word(capsys, monkeypatch):
    from backproplib.checks import verdict
    from backproplib.checks.verdict import WIDTH
    assert not verdict._notebook_output()                  # here (pytest): printed exactly as the message
    monkeypatch.setattr(verdict, "_notebook_output", lambda: True)
    long_cause = " ".join(["because the gradient was transposed"] * 8)
    result = checks.check_value("a long one", 1.0, 2.0, mistakes=[(1.0, long_cause)])
    printed = capsys.readouterr().out.rstrip("\n").splitlines()
    assert len(printed) > 1 and all(len(line) <= WIDTH for line in printed)
    assert all(line.startswith("  ") for line in printed[1:])              # continuation lines are indented
    assert " ".join(line.strip() for line in printed) == " ".join(result.message.split())
    assert result.message.count("\n") < len(printed) - 1                   # the result itself is not wrapped
    assert wrapped("short") == "short"
    path = "/a/" + "very-long-directory-name/" * 6 + "file.py"
    assert path in wrapped("see " + path + " for where it went wrong", width=40)   # a long word stays whole
