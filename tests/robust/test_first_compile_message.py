"""A batch on a machine whose numba cache lacks the fit kernels says it compiles them (issue 12: never
a silent 10-30 s), and says nothing once they are cached. Real compilation into an empty cache folder."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

MESSAGE = "compiling the fit kernels for this machine, once"


@pytest.mark.slow
def test_batch_says_when_it_compiles_the_fit_kernels(demo, tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))  # empty: the first fit compiles
    command = [sys.executable, "-m", "saxs", "batch", str(demo), "--only", "cdse_T190", "--workers", "1",
               "--no-report"]
    first = subprocess.run([*command, "-o", str(tmp_path / "out1")], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr[-2000:]
    assert MESSAGE in first.stderr
    second = subprocess.run([*command, "-o", str(tmp_path / "out2")], env=env, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr[-2000:]
    assert MESSAGE not in second.stderr  # the kernels are in the cache folder now
