"""``python -m saxs`` runs the command line (and ends the process without the interpreter's teardown)."""

from .cli import console_main

console_main()
