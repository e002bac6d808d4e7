"""Fixtures of the robustness tests: a small simulated beamtime, reduced curves, real tmpfs mounts."""

from __future__ import annotations

from pathlib import Path

import pytest
from robust_helpers import run_saxs


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """The cdse-demo beamtime, 2 frames per file (real ID02 layouts, bitshuffle-LZ4 frames)."""
    from saxs.simulate.beamtime import simulate_beamtime

    folder = tmp_path_factory.mktemp("robust") / "demo"
    simulate_beamtime(folder, preset="cdse-demo", seed=20261130, frames=2)
    return folder


@pytest.fixture(scope="session")
def reduced(demo, tmp_path_factory) -> dict[str, Path]:
    """``saxs reduce`` outputs of a sample, its solvent and the glassy-carbon standard."""
    out = tmp_path_factory.mktemp("reduced")
    raw = demo / "raw"
    files = {"sample": raw / "cdse_T220.h5", "solvent": raw / "solvent_ode_eiger2_4m_bin8_00001_00.h5",
             "standard": raw / "glassy_carbon.h5"}
    code, _, err = run_saxs("reduce", *files.values(), "-o", out, "--poni", demo / "calibrations" / "geometry.poni",
                            "--mask", demo / "calibrations" / "mask.edf", "--npt", "200")
    assert code == 0, err
    return {"sample": out / "cdse_T220_scan1_reduced.h5",
            "solvent": out / "solvent_ode_eiger2_4m_bin8_00001_00_reduced.h5",
            "standard": out / "glassy_carbon_scan1_reduced.h5"}
