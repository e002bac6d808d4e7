"""Fixtures of the watch tests: a small finished beamtime (the source the writer copies from)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "batch"))

from helpers import set_fit, simulate  # noqa: E402
from watch_samples import SAMPLES, keep_samples  # noqa: E402

@pytest.fixture(scope="session")
def finished_beamtime(tmp_path_factory):
    """The cdse-demo beamtime cut to :data:`SAMPLES`, 2 frames per file, test-sized fits."""
    folder = simulate(tmp_path_factory.mktemp("watch-source") / "demo", frames=2)
    set_fit(folder, contributions=100, repetitions=3, max_steps=20000)
    keep_samples(folder / "beamtime.toml", SAMPLES)
    return folder
