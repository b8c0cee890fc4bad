"""``python -m backproplib COMMAND ...``: see backproplib.cli."""
from .cli import main

raise SystemExit(main(prog="python -m backproplib"))
