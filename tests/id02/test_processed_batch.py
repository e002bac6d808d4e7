"""A beamtime whose samples and blanks are ID02 ``*_ave.h5`` files (no raw frames): `saxs batch`.

Users often take home only the beamline's reduced curves. The beamtime file names them in
``files`` like raw frames; their frames are screened and averaged like ours, the solvent
subtracted, the curve fitted, the series analysed. Truth: spheres of known radii in a flat
solvent, Poisson counts.
"""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np

from saxs.cli import main

from ave_synth import poisson_frames, sphere_intensity, write_ave

Q_NM = np.linspace(0.1, 4.0, 300)
RADII_NM = {"s190": 2.0, "s200": 2.0, "s210": 2.6}

BEAMTIME = """\
version = 1
title = "reduced curves only"

[blanks.solvent]
files = ["reduced/solvent_ave.h5"]

{samples}

[fit]
q_range_nm = [0.1, 4.0]
radius_range_nm = [0.5, 5.0]
contributions = 100
repetitions = 2
seed = 7
bins = 40
max_steps = 30000

[[series]]
name = "temperature"
by = "temperature_C"
samples = ["s*"]
analysis = "steps"
"""

SAMPLE = """\
[[samples]]
name = "{name}"
files = ["reduced/{name}_ave.h5"]
solvent = "solvent"
thickness_mm = 1.0
[samples.metadata]
temperature_C = {temperature}
"""


def test_batch_on_ave_files_only(tmp_path):
    folder = tmp_path / "beamtime"
    (folder / "reduced").mkdir(parents=True)
    solvent = np.full_like(Q_NM, 10.0)
    data, sigma, _ = poisson_frames(Q_NM, solvent, n_frames=5, counts_scale=500.0, seed=1)
    write_ave(folder / "reduced" / "solvent_ave.h5", Q_NM, data, sigma, masked_bins=(0, 1))
    samples = []
    for k, (name, radius) in enumerate(RADII_NM.items()):
        truth = sphere_intensity(Q_NM, radius, scale=2000.0) + solvent
        data, sigma, _ = poisson_frames(Q_NM, truth, n_frames=5, counts_scale=500.0, seed=10 + k)
        if name == "s200":
            data[2] *= 0.85  # a bubble: the screening must drop frame 2
        write_ave(folder / "reduced" / f"{name}_ave.h5", Q_NM, data, sigma, masked_bins=(0, 1))
        samples.append(SAMPLE.format(name=name, temperature=190 + 10 * k))
    (folder / "beamtime.toml").write_text(BEAMTIME.format(samples="\n".join(samples)))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["batch", str(folder), "-o", str(tmp_path / "out"), "--workers", "1", "--json", "--no-progress"])
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert code == 0, summary["failed"]
    assert summary["counts"]["failed"] == 0 and summary["counts"]["done"] == 3
    s = {entry["name"]: entry for entry in summary["samples"]}
    # the bubble frame of s200 is dropped, the others keep their 5 frames
    assert s["s200"]["frames_used"] == 4 and s["s190"]["frames_used"] == 5
    # monodisperse spheres: the dominant population at the written radius within 3 % (the Monte
    # Carlo histogram of one radius is a few % wide; 2 repetitions of 100 contributions)
    for name, radius in RADII_NM.items():
        pops = s[name]["populations"]
        main_pop = max(pops, key=lambda p: p.get("volume_fraction") or p.get("fraction") or 0)
        assert abs(main_pop["mean_nm"] / radius - 1) < 0.03, (name, pops)
    # the series: two families (2.0 nm at 190 and 200 C, 2.6 nm at 210 C) and one step between them
    assert summary["counts"]["series_done"] == 1
    series = summary["series"][0]
    radii = sorted(f["radius_nm"] for f in series["families"])
    assert len(radii) == 2 and abs(radii[0] / 2.0 - 1) < 0.03 and abs(radii[1] / 2.6 - 1) < 0.03
    assert [step["between"] for step in series["steps"]] == [[200.0, 210.0]]
