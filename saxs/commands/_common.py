"""Helpers shared by the command modules: JSON output and parser formatting."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return _jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None  # JSON has no NaN/inf; null says "not available"
    if isinstance(obj, Path):
        return str(obj)
    return obj


def emit_json(obj) -> None:
    """Print ``obj`` as one JSON object on stdout (NaN/inf become null, numpy types plain)."""
    sys.stdout.write(json.dumps(_jsonable(obj)) + "\n")
    sys.stdout.flush()


def add_command(subparsers, name: str, *, help: str, description: str, examples: str):
    """Add a subcommand parser with a description and an examples epilog."""
    return subparsers.add_parser(
        name,
        help=help,
        description=description,
        epilog="examples:\n" + examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
