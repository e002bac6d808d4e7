"""Size-like inputs have upper bounds checked before work starts; the error says the limit
(issue 13, item 2: ``npt = 1000000000`` took 23.5 GB before the kernel killed it)."""

from __future__ import annotations

import shutil

import pytest
from robust_helpers import run_saxs

from saxs.errors import InputError
from saxs.limits import LIMITS, check_fit_memory, memory_bytes


@pytest.mark.parametrize(("argv", "message"), [
    (["reduce", "{raw}", "-o", "{tmp}/o", "--npt", "1000000000"],
     "saxs reduce: error: --npt: expected at most 100,000 (q bins; an Eiger2 4M has about 3000 pixels from the "
     "beam to its corner), got 1000000000"),
    (["fit", "{curve}", "-o", "{tmp}/f.h5", "--contributions", "100000000"],
     "saxs fit: error: --contributions: expected at most 1,000,000 (spheres per repetition), got 100000000"),
    (["fit", "{curve}", "-o", "{tmp}/f.h5", "--repetitions", "100000"],
     "saxs fit: error: --repetitions: expected at most 10,000 (independent repetitions), got 100000"),
    (["fit", "{curve}", "-o", "{tmp}/f.h5", "--bins", "1000000"],
     "saxs fit: error: --bins: expected at most 10,000 (histogram bins), got 1000000"),
    (["fit", "{curve}", "-o", "{tmp}/f.h5", "--max-steps", "10000000000"],
     "saxs fit: error: --max-steps: expected at most 1,000,000,000 (Monte Carlo proposals per repetition), "
     "got 10000000000"),
    (["fit", "{curve}", "-o", "{tmp}/f.h5", "--q-bins", "10000000"],
     "saxs fit: error: --q-bins: expected at most 100,000 (q bins), got 10000000"),
    (["simulate", "{tmp}/sim", "--frames", "10000000"],
     "saxs simulate: error: --frames: expected at most 100,000 (frames per file), got 10000000"),
    (["plot", "{curve}", "-o", "{tmp}/p.png", "--dpi", "100000"],
     "saxs plot: error: --dpi: expected at most 2,400 (dots per inch), got 100000"),
])
def test_command_line_limits(demo, reduced, tmp_path, argv, message):
    values = {"raw": demo / "raw" / "cdse_T220.h5", "curve": reduced["sample"], "tmp": tmp_path}
    code, out, err = run_saxs(*[a.format(**values) for a in argv])
    assert (code, out, err) == (2, "", message)
    assert list(tmp_path.iterdir()) == []  # refused before any work


@pytest.mark.parametrize(("table", "key", "value"), [("instrument", "npt", 1_000_000_000),
                                                     ("fit", "contributions", 10**8), ("fit", "repetitions", 10**6),
                                                     ("fit", "bins", 10**6), ("fit", "max_steps", 10**12)])
def test_beamtime_file_limits(demo, tmp_path, table, key, value):
    bt = tmp_path / "bt"
    bt.mkdir()
    text = (demo / "beamtime.toml").read_text()
    text = text.replace(f"[{table}]\n", f"[{table}]\n{key} = {value}\n", 1)
    import re

    text = re.sub(rf"(?m)^({key} = .*\n)((?:.*\n)*?){key} = .*\n", r"\1\2", text)  # the demo's own value goes
    (bt / "beamtime.toml").write_text(text)
    for sub in ("raw", "calibrations"):
        (bt / sub).symlink_to(demo / sub)
    code, _, err = run_saxs("batch", bt, "-o", tmp_path / "out")
    limit, why = LIMITS[key]
    assert (code, err) == (2, f"saxs batch: error: {bt / 'beamtime.toml'}: {table}.{key}: expected an integer <= "
                              f"{limit:,} ({why}), got {value}")
    assert not (tmp_path / "out").exists()


def test_fit_memory_estimate():
    # independent answer: 10**6 contributions x 10**6 q points x 8 B x 3 copies = 24 TB, more than any machine here
    total = memory_bytes()
    assert total is not None and total > 2**28
    with pytest.raises(InputError, match=r"need about 22351\.7 GiB"):
        check_fit_memory(10**6, 10**6, file="x.h5")
    check_fit_memory(300, 400, file="x.h5")  # the default fit: 2.9 MB
