"""`make bench` still works: benchmarks/run.py runs once at tiny sizes (--smoke) in a few seconds.

Not a timing test: the speed claims live in benchmarks/RESULTS.md, which `make bench` writes.
"""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_benchmark_runs_at_tiny_sizes_and_writes_its_report(tmp_path):
    results = REPO / "benchmarks" / "RESULTS.md"
    before = results.stat().st_mtime_ns if results.exists() else None
    out = tmp_path / "RESULTS.md"
    run = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--smoke", "--out", str(out)],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-4000:]
    report = out.read_text(encoding="utf-8")
    for title in ("## 1. Scalar engine vs micrograd", "## 2. Vectorised networks", "## 3. Backward / forward",
                  "## 4. A full gradient", "## 5. Widget responsiveness", "## Targets (issue 6)"):
        assert title in report
    assert "## 6." not in report                       # the suite timing is left out of the smoke run
    assert "| chain | 101 |" in report and "| wide | 1,009 |" in report
    assert "Python " in report and "numpy " in report and " cores " in report
    assert "## Targets" in run.stdout                  # the tables are printed as well
    assert (results.stat().st_mtime_ns if results.exists() else None) == before   # the real report is untouched
