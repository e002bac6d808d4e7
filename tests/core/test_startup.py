"""Start-up path of the command line (issue 12): the process entry point ends with ``os._exit`` after
flushing, and the fit kernels load without ``scipy.linalg``. Each check runs a fresh interpreter,
since what matters is what a new process imports and writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import mcfit

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "tests" / "data" / "quickstart" / "quickstartdemo1.csv"


def _run(args, **kwargs):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), MPLBACKEND="Agg")
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
                          **kwargs)


def test_python_m_saxs_fit_flushes_everything_before_its_fast_exit(tmp_path):
    # The fast exit skips the interpreter's teardown: the JSON on stdout must still be complete, the
    # result file closed and readable, and the exit code the command's own.
    out = tmp_path / "fit.h5"
    done = _run(["-m", "saxs", "fit", str(QUICKSTART), "-o", str(out), "--q-bins", "100", "--contributions", "50",
                 "--repetitions", "2", "--seed", "3", "--json"])
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["repetitions"] == 2 and summary["output"] == str(out)
    result = mcfit.read_result(out)
    assert result.radii_nm.shape == (2, 50) and np.all(np.isfinite(result.radii_nm))


def test_python_m_saxs_keeps_exit_code_2_and_its_message_on_bad_input(tmp_path):
    done = _run(["-m", "saxs", "fit", str(QUICKSTART), "-o", str(tmp_path / "x.h5"), "--contributions", "0"])
    assert done.returncode == 2
    # (a cold numba cache adds the compile hint as a line before the error)
    assert "--contributions" in done.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "x.h5").exists()


def test_fit_kernels_load_and_run_without_scipy_linalg():
    # numba's target set-up imports scipy.linalg.cython_blas; mcfit.kernels loads that one extension
    # alone. Afterwards scipy.linalg (and numba's BLAS through it) must still work as usual.
    code = """
import sys
import numpy as np
import numba
import mcfit
print("linalg after import:", "scipy.linalg" in sys.modules)
q = np.geomspace(0.1, 3.0, 60)
i = 1.0 / (1.0 + q**4)
mcfit.fit(q, i, 0.01 * i, seed=1, contributions=20, repetitions=2, max_steps=500)
import scipy.linalg
from scipy.linalg import cython_blas
assert cython_blas is sys.modules["scipy.linalg.cython_blas"]
assert np.allclose(scipy.linalg.solve(2.0 * np.eye(3), np.ones(3)), 0.5)
dot = numba.njit(lambda a, b: np.dot(a, b))
assert dot(np.ones(4), np.arange(4.0)) == 6.0
print("ok")
"""
    done = _run(["-W", "ignore", "-c", code])
    assert done.returncode == 0, done.stderr
    # importing mcfit does not load scipy.linalg (the fit's NNLS bound, scipy.optimize, does later)
    assert done.stdout.split() == ["linalg", "after", "import:", "False", "ok"]


def test_kernels_cached_says_false_for_an_empty_cache(tmp_path):
    # The hint `saxs fit` prints before a 10-30 s compilation: False with an empty numba cache
    # directory, True in this process's cache once the kernel has run.
    code = "from mcfit.kernels import kernels_cached; print(kernels_cached())"
    env = dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    empty = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                           timeout=120)
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.strip() == "False"
    from mcfit.kernels import kernels_cached

    mcfit.fit(np.geomspace(0.1, 3.0, 40), np.ones(40), 0.01 * np.ones(40), seed=1, contributions=5, repetitions=1,
              max_steps=10)
    if not os.environ.get("NUMBA_DISABLE_JIT"):
        assert kernels_cached()
