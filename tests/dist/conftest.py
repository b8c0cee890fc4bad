"""The distribution test (tests/dist/test_dist.py) builds the wheel and sdist and installs them in fresh
virtual environments, so it needs PyPI and a few minutes: run it with `make test-dist`."""
from pathlib import Path


def pytest_ignore_collect(collection_path, config):
    """Collected only when tests/dist (or something in it) is named on the command line, as
    `make test-dist` does; a plain `pytest tests` stays quick and offline."""
    here = Path(__file__).parent
    named = (Path(config.invocation_params.dir, arg.split("::")[0]).resolve() for arg in config.args)
    return not any(path == here or here in path.parents for path in named)
