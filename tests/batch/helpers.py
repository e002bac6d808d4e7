"""Helpers of the batch tests: a simulated beamtime with test-sized fit settings, running the CLI, comparing outputs."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path

import h5py
import numpy as np

from saxs.cli import main

#: Names of datasets / attributes that legitimately differ between two runs of the same batch.
VOLATILE = {"date", "file_time", "elapsed_s"}


def simulate(folder: Path, *, frames: int = 3, seed: int = 20261124) -> Path:
    """The cdse-demo beamtime (CdSe + precursor series, blanks, darks, standard) in ``folder``."""
    from saxs.simulate.beamtime import simulate_beamtime

    simulate_beamtime(folder, preset="cdse-demo", seed=seed, frames=frames)
    return folder


def set_fit(beamtime_dir: Path, **values) -> None:
    """Replace keys of the [fit] table of ``beamtime_dir/beamtime.toml`` (test-sized fits)."""
    path = beamtime_dir / "beamtime.toml"
    text = path.read_text()
    for key, value in values.items():
        text, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {json.dumps(value)}", text)
        if n == 0:
            text, n = re.subn(r"(?m)^\[fit\]$", f"[fit]\n{key} = {json.dumps(value)}", text)
        assert n == 1, key
    path.write_text(text)


def copy_beamtime(src: Path, dst: Path) -> Path:
    """A private copy (the file times are kept, so fingerprints stay comparable)."""
    shutil.copytree(src, dst, copy_function=shutil.copy2)
    return dst


def run_batch(*args) -> tuple[int, dict | None]:
    """``saxs batch ARGS --json --no-progress`` (``--workers 1`` unless given: in this process).

    Returns (exit code, parsed JSON summary or None).
    """
    args = [str(a) for a in args]
    if "--workers" not in args:
        args += ["--workers", "1"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["batch", *args, "--json", "--no-progress"])
    text = out.getvalue().strip()
    return code, (json.loads(text.splitlines()[-1]) if text else None)


def _norm(value, roots):
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    if isinstance(value, str):
        for root, tag in roots:
            value = value.replace(str(root), tag)
        return value
    return value


def h5_content(path: Path, roots) -> dict:
    """Every dataset and attribute of an HDF5 file, with volatile entries removed and paths normalised."""
    content = {}
    with h5py.File(path, "r") as f:
        def attrs(name, obj):
            for key, value in obj.attrs.items():
                if key not in VOLATILE:
                    content[f"{name}@{key}"] = _norm(value, roots) if not isinstance(value, np.ndarray) else value

        attrs("/", f)

        def visit(name, obj):
            if name.split("/")[-1] in VOLATILE:
                return
            attrs(name, obj)
            if isinstance(obj, h5py.Dataset):
                value = obj[()]
                if isinstance(value, np.ndarray) and value.dtype.kind == "O":
                    value = [_norm(v, roots) for v in value.ravel()]
                content[name] = _norm(value, roots)

        f.visititems(visit)
    return content


def assert_same_results(a: Path, b: Path, *, rtol: float = 0.0) -> int:
    """Assert two OUTDIRs hold the same results (HDF5 content, calibration, figure names); return files compared.

    Floats must be bit-identical (``rtol=0``, the default) or equal to ``rtol``; the Monte Carlo
    radii are always compared exactly. Ignored: dates and run times (:data:`VOLATILE`), the OUTDIR
    path inside strings, summary.json and batch.log (they describe the run, not the results).
    """
    roots = [(a, "<OUT>"), (b, "<OUT>")]
    names_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file() and not p.name.startswith("."))
    names_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file() and not p.name.startswith("."))
    assert names_a == names_b
    n = 0
    for rel in names_a:
        if rel.suffix == ".h5":
            ca, cb = h5_content(a / rel, roots), h5_content(b / rel, roots)
            assert sorted(ca) == sorted(cb), rel
            for key in ca:
                va, vb = np.asarray(ca[key]), np.asarray(cb[key])
                if va.dtype.kind in "fc" and (rtol == 0 or key.endswith("repetitions/radii_nm")):
                    # bit-identical (NaN where NaN): the same seed gives the same Monte Carlo moves on any
                    # worker, and the same arithmetic follows (checked: in-process, process pool, Dask)
                    np.testing.assert_array_equal(va, vb, err_msg=f"{rel}:{key}")
                elif va.dtype.kind in "fc":
                    np.testing.assert_allclose(va, vb, rtol=rtol, atol=0, equal_nan=True, err_msg=f"{rel}:{key}")
                else:
                    assert va.shape == vb.shape and np.array_equal(va, vb), f"{rel}:{key}"
            n += 1
        elif rel.suffix == ".png":
            assert (a / rel).read_bytes()[:8] == (b / rel).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", rel
        elif rel.suffix == ".toml":
            strip = lambda t: [l for l in t.splitlines() if not re.match(r"\s*(date|created\w*)\s*=", l)]  # noqa: E731
            assert strip((a / rel).read_text()) == strip((b / rel).read_text()), rel
            n += 1
    return n


#: summary.json keys that describe a run rather than its results (timings, workers, what ran now).
RUN_KEYS = {"status", "reason", "seconds", "worker", "pid", "timings_s", "started", "elapsed_s", "resume", "log",
            "outdir", "counts"}


def comparable_summary(outdir: Path) -> dict:
    """OUTDIR/summary.json without :data:`RUN_KEYS` and with OUTDIR in paths replaced by ``<OUT>``."""
    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in RUN_KEYS}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return _norm(value, [(outdir, "<OUT>")])

    return clean(json.loads((outdir / "summary.json").read_text()))
