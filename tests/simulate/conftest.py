"""One simulated cdse-demo beamtime shared by the simulator tests (written once per session)."""

from __future__ import annotations

import pytest

from saxs.simulate.beamtime import simulate_beamtime

SEED = 4242
FRAMES = 5


@pytest.fixture(scope="session")
def beamtime(tmp_path_factory):
    """``(outdir, summary)`` of ``simulate_beamtime(preset="cdse-demo", seed=4242, frames=5)``."""
    out = tmp_path_factory.mktemp("sim") / "bt"
    summary = simulate_beamtime(out, preset="cdse-demo", seed=SEED, frames=FRAMES)
    return out, summary
