"""`saxs calibrate geometry`: not implemented yet (placeholder)."""

from ._common import add_command


def register(subparsers) -> None:
    parser = add_command(subparsers, "geometry", help="(not implemented yet)", description="Not implemented yet.", examples="  -")
    parser.set_defaults(func=run)


def run(args) -> int:
    raise NotImplementedError("saxs calibrate geometry is not implemented yet")
