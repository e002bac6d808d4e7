"""Every command's ``--help`` examples run as written, in the demo layout they describe.

The examples of ``saxs simulate`` and ``saxs batch`` make ``demo/`` and ``demo-out/``; every other
command's examples run, in the order ``saxs --help`` lists the commands, in the folder holding them
(an example may use what an earlier one wrote: ``reduced/``, ``subtracted/``, ``T220_fit.h5``). Each
is run through the real entry point (:func:`saxs.cli.main`) with its shell patterns expanded, as a
shell would. The fast test checks that each example parses and that every file it reads from the
demo layout is one the demo has; the slow test runs them all.
"""

from __future__ import annotations

import contextlib
import glob
import io
import os
import shlex
import shutil
from pathlib import Path

import pytest

from saxs.cli import COMMANDS, build_parser, main

from .helpers import run_batch, set_fit, simulate

REPO = Path(__file__).resolve().parents[2]

#: Examples that are only parsed, never run by the tests (and why).
PARSED_ONLY = {
    "saxs simulate bench --preset full": "full-size Eiger2 4M frames: minutes and gigabytes",
    "--scheduler tcp://": "needs a running Dask cluster",
    "--scheduler local": "starts a Dask LocalCluster (tested in test_scheduler.py)",
    "saxs watch demo -o live": "watches until Ctrl-C or 10 min idle (tested in tests/watch)",
}


def _subparsers(parser):
    import argparse

    for action in parser._actions:  # argparse keeps its subparsers here; no public accessor
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    return {}


def help_examples() -> list[tuple[str, str]]:
    """(command, example line) of every command's epilog, in the order ``saxs --help`` lists them."""
    out = []
    parsers = _subparsers(build_parser())
    for name in COMMANDS:
        todo = [(name, parsers[name])]
        todo += [(f"{name} {sub}", p) for sub, p in _subparsers(parsers[name]).items()]
        for command, parser in todo:
            text = (parser.epilog or "").replace("\\\n", " ")
            for line in text.splitlines():
                line = line.strip()
                if line.startswith("saxs "):
                    for part in line.split("&&"):
                        out.append((command, shlex.join(shlex.split(part, comments=True))))
    return out


def _argv(example: str, cwd: Path) -> list[str]:
    """The example's arguments after ``saxs``, its patterns expanded (relative to ``cwd``) as a shell would."""
    argv = []
    for word in shlex.split(example)[1:]:
        hits = sorted(glob.glob(word, root_dir=cwd)) if glob.has_magic(word) and not word.startswith("-") else []
        argv += hits or [word]
    return argv


def _parsed_only(example: str) -> bool:
    return any(key in example for key in PARSED_ONLY)


def test_every_command_has_examples_that_parse():
    examples = help_examples()
    commands = {c for c, _ in examples}
    assert {"simulate", "reduce", "subtract", "fit", "peaks", "series", "batch", "plot",
            "calibrate geometry", "calibrate absolute"} <= commands
    parser = build_parser()
    for _, example in examples:
        parser.parse_args(shlex.split(example)[1:])  # argparse exits (SystemExit) on a bad option


def test_examples_read_files_the_demo_has(small_beamtime):
    """Inputs named under demo/ exist in a simulated demo (the same names for every seed and size)."""
    for _, example in help_examples():
        if _parsed_only(example):
            continue
        for word in shlex.split(example)[1:]:
            if word.startswith("demo/") and "--" not in word:
                pattern = str(small_beamtime) + word[len("demo"):]
                assert glob.glob(pattern), f"{example}: {word} is not in the demo layout"


@pytest.mark.slow
def test_help_examples_run_as_written(tmp_path, monkeypatch):
    """All examples, in order, in one folder: exit 0, and every file named after -o/--figure is written.

    The demo is made first (``saxs simulate demo && saxs batch demo -o demo-out``, with test-sized
    fits); the other batch examples then plan (``--dry-run``) instead of running a second batch.
    """
    monkeypatch.chdir(tmp_path)
    os.symlink(REPO / "tests", tmp_path / "tests")  # the geometry examples read tests/data/agbh/SAXS.hdf
    simulate(tmp_path / "demo", frames=2)
    set_fit(tmp_path / "demo", contributions=100, repetitions=3, max_steps=20000)
    code, _ = run_batch("demo", "-o", "demo-out", "--workers", "2")
    assert code == 0
    ran = []
    for _, example in help_examples():
        if _parsed_only(example) or example in ("saxs simulate demo", "saxs batch demo -o demo-out"):
            continue
        argv = _argv(example, tmp_path)
        if argv[0] == "batch" and "--dry-run" not in argv:
            argv.append("--dry-run")  # a second batch of the demo is minutes: plan it
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(argv)
        assert code == 0, f"{example}: exit {code}"
        for flag in ("-o", "--figure"):
            if flag in argv and argv[0] != "batch":
                target = tmp_path / argv[argv.index(flag) + 1]
                assert target.exists(), f"{example}: {target} not written"
        ran.append(example)
    assert len(ran) >= 25, ran
    shutil.rmtree(tmp_path / "demo-seed7", ignore_errors=True)
