"""The nbgrader tests need nbgrader, which is not in the `test` extra: `make test-nbgrader` installs it
(with backproplib) into .venv-nbgrader and runs them there."""
from pathlib import Path


def pytest_ignore_collect(collection_path, config):
    """Collected only when tests/nbgrader (or something in it) is named on the command line, as
    `make test-nbgrader` does; a plain `pytest tests` stays quick and nbgrader-free."""
    here = Path(__file__).parent
    named = (Path(config.invocation_params.dir, arg.split("::")[0]).resolve() for arg in config.args)
    return not any(path == here or here in path.parents for path in named)
