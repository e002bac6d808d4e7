"""The ``saxs`` command line: a thin dispatcher over ``saxs.commands.<name>`` modules.

Each command module defines ``register(subparsers)`` (adds its parser, sets ``func``) and keeps
its heavy imports inside its ``run`` function so that ``saxs --help`` stays fast. Exit codes:
0 success, 2 bad input (one line on stderr naming the file and the problem), 1 internal error.

:func:`console_main` is the process entry point (``python -m saxs``, the ``saxs`` script): it leaves
with ``os._exit`` once the output is flushed, because the interpreter's normal teardown after numba
and h5py have been loaded costs 0.05-1.4 s (more on a loaded machine) and does nothing a finished
command needs: every command closes its files (atomically renamed) and its worker pools itself.
:func:`main` returns the exit code and is what tests call.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from . import __version__
from .errors import InputError, one_line

#: Command modules in the order ``saxs --help`` lists them (the data flow).
COMMANDS = ("simulate", "reduce", "subtract", "calibrate", "fit", "peaks", "series", "batch", "watch", "report",
            "plot")


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
    except OSError as exc:  # a full disk, a read-only folder: one line, no traceback
        from .guards import file_system_error

        known = None if args.traceback else file_system_error(exc)
        if known is None:
            return _internal(args, exc)
        print(f"saxs {args.command}: error: {known[1]}", file=sys.stderr)
        return known[0]
    except KeyboardInterrupt:
        print(f"saxs {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns crashes into exit code 1
        return _internal(args, exc)


def _internal(args, exc: BaseException) -> int:
    if args.traceback:
        raise exc
    print(f"saxs {args.command}: internal error: {type(exc).__name__}: {one_line(exc)} "
          "(run with --traceback for details)", file=sys.stderr)
    return 1


def console_main() -> None:
    """Run :func:`main` on ``sys.argv``, flush stdout, stderr and the log handlers, and end the process
    with the exit code at once (``os._exit``: no interpreter teardown; see the module docstring)."""
    code = main()
    if len(sys.argv) > 1 and sys.argv[1] in ("batch", "watch"):
        # long runs that start worker processes or a Dask cluster: the 0.4 s teardown is nothing there,
        # and the interpreter's exit handlers are what reap what they started
        sys.exit(code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # reader gone or stream closed: nothing left to deliver
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    console_main()
