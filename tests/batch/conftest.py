"""Fixtures of the batch tests: one small simulated beamtime shared by the modules."""

from __future__ import annotations

import pytest

from .helpers import set_fit, simulate


@pytest.fixture(scope="session")
def small_beamtime(tmp_path_factory):
    """The cdse-demo beamtime with 2 frames per file and test-sized fits (100 contributions x 3).

    Shared read-only: tests that change files work on a copy (helpers.copy_beamtime).
    """
    folder = simulate(tmp_path_factory.mktemp("beamtime") / "demo", frames=2)
    set_fit(folder, contributions=100, repetitions=3, max_steps=20000)
    return folder


@pytest.fixture(scope="session")
def small_batch_out(small_beamtime, tmp_path_factory):
    """OUTDIR of one batch of ``small_beamtime`` (with its report.html); shared read-only."""
    from .helpers import run_batch

    out = tmp_path_factory.mktemp("batch-out") / "out"
    code, summary = run_batch(small_beamtime, "-o", out)
    assert code == 0, summary
    return out
