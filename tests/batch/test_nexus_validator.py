"""A NeXus validator from PyPI (nexusformat's ``nxvalidate`` and ``nxcheck``) on one file of each kind.

``nxvalidate`` checks an entry against its application definition (NXcanSAS for the curves);
``nxcheck`` checks an entry's groups and fields against the NeXus base classes. Each must report
0 errors. Scope: the NXentry a file's root ``@default`` names, and every SASentry. Known and
stated: a batch series file keeps its script-facing groups (``members/``, ``histograms/``,
``curves/``, ...) at the root beside ``entry``, which the base classes do not allow (NXroot holds
only NXentry), so the root of that file is not checked.
"""

from __future__ import annotations

import re
import subprocess
import sys

import h5py
import pytest

pytest.importorskip("nexusformat")


def _errors(tool: str, path, entry: str) -> tuple[int, str]:
    code = f"import sys; from nexusformat.scripts.{tool} import main; sys.exit(main())"
    done = subprocess.run([sys.executable, "-c", code, "-e", "-p", entry, str(path)], capture_output=True,
                          text=True, timeout=300)
    text = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)
    found = re.search(r"Total number of errors: (\d+)", text)
    assert found, f"{tool} {path} {entry}: no error count in its output:\n{text[-2000:]}"
    return int(found.group(1)), text


def _sasentries(path) -> list[str]:
    with h5py.File(path, "r") as f:
        return [f"/{k}" for k, g in f.items() if isinstance(g, h5py.Group) and g.attrs.get("canSAS_class") == "SASentry"]


def _default_entry(path) -> str:
    with h5py.File(path, "r") as f:
        name = f.attrs["default"]
        return "/" + (name.decode() if isinstance(name, bytes) else str(name))


def test_nexus_validator_on_every_kind_of_output(small_beamtime, small_batch_out, tmp_path):
    from saxs.cli import main

    samples = small_batch_out / "samples"
    assert main(["reduce", str(small_beamtime / "raw" / "cdse_T220.h5"), "-o", str(tmp_path / "red")]) == 0
    (reduced,) = sorted((tmp_path / "red").glob("*.h5"))
    assert main(["fit", str(samples / "cdse_T240.h5"), "-o", str(tmp_path / "fit.h5"), "--radius-range", "0.3", "4",
                 "--repetitions", "2", "--contributions", "100", "--max-steps", "20000"]) == 0
    fits = [str(samples / f"cdse_T{t}.h5") for t in (190, 200, 240)]
    assert main(["series", *fits, "--values", "190", "200", "240", "-o", str(tmp_path / "series.h5")]) == 0
    pre = [str(samples / f"precursor_T{t}.h5") for t in ("025", "050", "100")]
    assert main(["peaks", *pre, "--by", "temperature_C", "-o", str(tmp_path / "peaks.h5")]) == 0
    canSAS = [samples / "cdse_T240.h5", samples / "precursor_T025.h5", small_batch_out / "blanks" / "solvent_ode.h5",
              reduced, tmp_path / "fit.h5"]
    checks = [("nxvalidate", p, e) for p in canSAS for e in _sasentries(p)]
    checks += [("nxcheck", reduced, "/series"),  # the I(t, q) of the frames
               ("nxcheck", small_batch_out / "series" / "nucleation_temperature.h5", "/entry"),
               ("nxcheck", small_batch_out / "series" / "precursor_mesophase.h5", "/entry"),
               ("nxcheck", tmp_path / "series.h5", _default_entry(tmp_path / "series.h5")),
               ("nxcheck", tmp_path / "peaks.h5", _default_entry(tmp_path / "peaks.h5"))]
    assert len(checks) >= 12
    report = []
    for tool, path, entry in checks:
        n, text = _errors(tool, path, entry)
        if n:
            report.append(f"{tool} {path.name}:{entry}: {n} errors\n{text[-1500:]}")
    assert not report, "\n".join(report)
