"""NeXus validators from PyPI on one file of each kind the tool writes, the WHOLE file each time.

``nxvalidate`` (nexusformat) checks every SASentry against the NXcanSAS application definition;
``nxcheck`` (nexusformat) checks the whole file, root first, against the NeXus base classes; ``punx``
(its own NXDL cache, shipped in the package: it runs offline) validates the whole file. Each must
report 0 errors. Kinds: a batch sample (fitted, with its /fit SASentry, and unfitted with peaks), a
blank, both batch series files (steps and peaks), ``saxs reduce`` (frames and I(t, q)), ``saxs fit``,
``saxs series`` and ``saxs peaks`` files.
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


@pytest.fixture(scope="module")
def every_kind(small_beamtime, small_batch_out, tmp_path_factory) -> list:
    """One file of each kind the tool writes (the batch's from the shared OUTDIR, the commands' made here)."""
    from saxs.cli import main

    tmp_path = tmp_path_factory.mktemp("kinds")
    samples = small_batch_out / "samples"
    assert main(["reduce", str(small_beamtime / "raw" / "cdse_T220.h5"), "-o", str(tmp_path / "red")]) == 0
    (reduced,) = sorted((tmp_path / "red").glob("*.h5"))
    assert main(["fit", str(samples / "cdse_T240.h5"), "-o", str(tmp_path / "fit.h5"), "--radius-range", "0.3", "4",
                 "--repetitions", "2", "--contributions", "100", "--max-steps", "20000"]) == 0
    fits = [str(samples / f"cdse_T{t}.h5") for t in (190, 200, 240)]
    assert main(["series", *fits, "--values", "190", "200", "240", "-o", str(tmp_path / "series.h5")]) == 0
    pre = [str(samples / f"precursor_T{t}.h5") for t in ("025", "050", "100")]
    assert main(["peaks", *pre, "--by", "temperature_C", "-o", str(tmp_path / "peaks.h5")]) == 0
    return [samples / "cdse_T240.h5", samples / "precursor_T025.h5", small_batch_out / "blanks" / "solvent_ode.h5",
            small_batch_out / "series" / "nucleation_temperature.h5",
            small_batch_out / "series" / "precursor_mesophase.h5", reduced, tmp_path / "fit.h5",
            tmp_path / "series.h5", tmp_path / "peaks.h5"]


def test_nexus_validator_on_every_kind_of_output(every_kind):
    checks = [("nxvalidate", p, e) for p in every_kind for e in _sasentries(p)]
    checks += [("nxcheck", p, "/") for p in every_kind]  # the whole file, from its root
    assert len(checks) >= 9 + 9 and ("nxvalidate", every_kind[0], "/fit") in checks
    report = []
    for tool, path, entry in checks:
        n, text = _errors(tool, path, entry)
        if n:
            report.append(f"{tool} {path.name}:{entry}: {n} errors\n{text[-1500:]}")
    assert not report, "\n".join(report)


def test_punx_on_every_kind_of_output(every_kind):
    """punx validates each whole file with 0 errors (its summary table's ERROR row)."""
    pytest.importorskip("punx")
    code = "import sys; from punx.main import main; sys.argv = ['punx', 'validate', sys.argv[1]]; main()"
    report = []
    for path in every_kind:
        done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=300)
        found = re.search(r"^ERROR\s+(\d+)\s", done.stdout, re.M)
        assert done.returncode == 0 and found, f"punx {path.name}: no summary\n{(done.stdout + done.stderr)[-2000:]}"
        if int(found.group(1)):
            errors = [line for line in done.stdout.splitlines() if re.match(r"^/\S*\s+ERROR", line)]
            report.append(f"punx {path.name}: {found.group(1)} errors\n" + "\n".join(errors[:20]))
    assert not report, "\n".join(report)
