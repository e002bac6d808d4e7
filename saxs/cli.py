"""The ``saxs`` command line: a thin dispatcher over ``saxs.commands.<name>`` modules.

Each command module defines ``register(subparsers)`` (adds its parser, sets ``func``) and keeps
its heavy imports inside its ``run`` function so that ``saxs --help`` stays fast. Exit codes:
0 success, 2 bad input (one line on stderr naming the file and the problem), 1 internal error.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from . import __version__
from .errors import InputError

#: Command modules in the order ``saxs --help`` lists them (the data flow).
COMMANDS = ("simulate", "reduce", "subtract", "calibrate", "fit", "peaks", "series", "batch", "watch", "plot")


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="saxs",
        description="In situ SAXS for ID02 nanocrystal beamtimes: raw frames -> absolute I(q) -> "
        "Monte Carlo size distributions -> magic-size steps and mesophase peaks.",
        epilog="Run 'saxs COMMAND --help' for the options and examples of each command.",
    )
    parser.add_argument("--version", action="version", version=f"saxs-insitu {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("--traceback", action="store_true", help="show the full traceback of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"saxs.commands.{name}")
        module.register(sub)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``saxs`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.captureWarnings(True)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"saxs {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"saxs {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns crashes into exit code 1
        if args.traceback:
            raise
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"saxs {args.command}: internal error: {type(exc).__name__}: {message} "
              "(run with --traceback for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
