"""`saxs peaks`: not implemented yet (placeholder registered so the command list is complete)."""

from ._common import add_command


def register(subparsers) -> None:
    parser = add_command(subparsers, "peaks", help="(not implemented yet)", description="Not implemented yet.", examples="  -")
    parser.set_defaults(func=run)


def run(args) -> int:
    raise NotImplementedError("saxs peaks is not implemented yet")
