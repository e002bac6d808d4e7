"""Every command works on every file the tool writes (issue 10, section 5).

One module fixture makes the files with the real commands on a small simulated beamtime: a batch
(two CdSe samples and the precursor series), ``saxs reduce`` of raw files, ``saxs subtract``,
``saxs fit``, ``saxs series``, ``saxs peaks -o``. Then ``saxs plot`` draws each of them,
``saxs peaks --by`` orders them by the keys they carry, and the batch's ``--dry-run`` and its
end-of-run report say what is true.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import h5py
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from saxs import defaults
from saxs.cli import build_parser, main

from .helpers import copy_beamtime, run_batch

#: The samples of the batch run here (the precursor series gives its peaks series).
SAMPLES = ("cdse_T220", "cdse_T230", "precursor_T025", "precursor_T050", "precursor_T100")
#: Their temperatures as the simulated beamtime.toml writes them ([samples.metadata] temperature_C).
PRECURSOR_T_C = [25.0, 50.0, 100.0]


def _cli(*args) -> tuple[int, str]:
    """Run ``saxs ARGS`` in this process; return (exit code, stdout)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([str(a) for a in args])
    return code, out.getvalue()


@pytest.fixture(scope="module")
def made(small_beamtime, tmp_path_factory):
    """Files written by the real commands: {"batch": outdir, "reduced": [...], "subtracted", "fit", ...}."""
    base = tmp_path_factory.mktemp("commands")
    bt = copy_beamtime(small_beamtime, base / "demo")
    out = base / "demo-out"
    code, summary = run_batch(bt, "-o", out, "--only", *SAMPLES)
    assert code == 0, summary["failed"]
    cal = bt / "calibrations"
    lima = "eiger2_4m_bin8_00001_00"  # the simulator writes master files for samples, LIMA + scalers for blanks
    raw = [bt / "raw" / f"{n}.h5" for n in ("precursor_T025", "precursor_T050", "cdse_T220")]
    raw.append(bt / "raw" / f"solvent_ode_{lima}.h5")
    code, text = _cli("reduce", *raw, "--poni", cal / "geometry.poni", "--mask", cal / "mask.edf",
                      "--dark", bt / "raw" / f"dark_{lima}.h5", "--npt", 300, "-o", base / "reduced")
    assert code == 0
    reduced = {p.name.split("_scan")[0].split(f"_{lima}")[0]: p for p in (base / "reduced").glob("*_reduced.h5")}
    sub = base / "subtracted.h5"
    assert _cli("subtract", reduced["cdse_T220"], "--solvent", reduced["solvent_ode"], "--thickness-mm", 1.5,
                "-o", sub)[0] == 0
    fits = [base / "T220_fit.h5", base / "T230_fit.h5"]
    for name, fit in zip(("cdse_T220", "cdse_T230"), fits):
        assert _cli("fit", out / "samples" / f"{name}.h5", "-o", fit, "--radius-range", 0.3, 4, "--contributions",
                    100, "--repetitions", 3, "--max-steps", 20000, "--seed", 1)[0] == 0
    steps = base / "steps.h5"
    assert _cli("series", *fits, "--values", 220, 230, "-o", steps)[0] == 0
    peaks = base / "peaks.h5"
    precursors = [out / "samples" / f"precursor_T{t:03d}.h5" for t in (25, 50, 100)]
    assert _cli("peaks", *precursors, "--by", "temperature_C", "-o", peaks)[0] == 0
    return {"beamtime": bt, "batch": out, "summary": summary, "reduce_stdout": text, "reduced": reduced,
            "subtracted": sub, "fit": fits[0], "steps": steps, "peaks": peaks, "precursors": precursors}


# --------------------------------------------------------------------------- saxs plot
def _plot(path, tmp_path, kind=None) -> tuple[int, Path]:
    target = tmp_path / f"{Path(path).stem}_{kind}.png"
    code, _ = _cli("plot", path, "-o", target, *(("--kind", kind) if kind else ()))
    return code, target


def test_plot_draws_every_file_the_tool_writes(made, tmp_path):
    from saxs.plot_any import kinds_for

    files = {
        "reduce": (made["reduced"]["precursor_T025"], ("curve", "frames")),
        "subtract": (made["subtracted"], ("curve",)),
        "blank (batch)": (made["batch"] / "blanks" / "solvent_ode.h5", ("curve",)),
        "fit": (made["fit"], ("fit", "distribution")),
        "series": (made["steps"], ("stacked", "steps")),
        "peaks -o": (made["peaks"], ("peaks",)),
        "batch sample": (made["batch"] / "samples" / "cdse_T220.h5", ("fit", "distribution")),
        # the precursors get no sphere fit (a peaks series), so their series has no size distributions to stack
        "batch series": (made["batch"] / "series" / "precursor_mesophase.h5", ("waterfall", "peaks")),
        "batch steps series": (made["batch"] / "series" / "nucleation_temperature.h5",
                               ("stacked", "waterfall", "steps")),
    }
    for what, (path, kinds) in files.items():
        assert kinds_for(path) == kinds, what
        for kind in (None,) + kinds:
            code, target = _plot(path, tmp_path, kind)
            assert code == 0, (what, kind)
            assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", (what, kind)


def test_plot_curve_shows_the_files_own_points(made):
    """The curve of a reduce file is its @default entry (the frame average), read independently with h5py."""
    from saxs.plot_any import figure

    path = made["reduced"]["precursor_T025"]
    with h5py.File(path, "r") as f:
        entry = f.attrs["default"]
        q = f[f"{entry}/sasdata/Q"][()]
        i = f[f"{entry}/sasdata/I"][()]
    ax = figure(path, "curve").axes[0]
    (container,) = ax.containers
    x, y = container.lines[0].get_data()
    good = i > 0
    np.testing.assert_array_equal(x, q[good])  # same points, exactly: nothing resampled
    np.testing.assert_array_equal(y, i[good])
    assert ax.get_ylabel() == "I(q) (arbitrary units)" and ax.get_xscale() == "log"
    # points a log axis cannot show are counted in the title (independent count with h5py)
    with h5py.File(made["subtracted"], "r") as f:
        n_hidden = int(np.sum(~(f[f"{f.attrs['default']}/sasdata/I"][()] > 0)))
    title = figure(made["subtracted"], "curve").axes[0].get_title()
    assert (f"({n_hidden} points <= 0 not drawn)" in title) if n_hidden else ("not drawn" not in title)
    frames = figure(path, "frames").axes[0]
    with h5py.File(path, "r") as f:
        n_frames = sum(1 for k in f if k.startswith("frame"))
    assert len([l for l in frames.get_lines() if l.get_label().startswith("frame")]) == n_frames


def test_plot_refuses_a_file_with_nothing_to_plot(made, tmp_path, capsys):
    text = tmp_path / "notes.txt"
    text.write_text("not a result\n")
    single = tmp_path / "one_peaks.h5"
    assert _cli("peaks", made["precursors"][0], "-o", single)[0] == 0
    for path, says in ((made["beamtime"] / "raw" / "dark_eiger2_4m_bin8_00001_00.h5", "nothing to plot"),
                       (text, "not an HDF5 file"), (single, "peaks/tracks"),
                       (tmp_path / "missing.h5", "no such file")):
        capsys.readouterr()
        code, target = _plot(path, tmp_path)
        err = capsys.readouterr().err.strip()
        assert code == 2 and not target.exists()
        assert len(err.splitlines()) == 1 and str(path) in err and says in err, err
    # a kind the file does not give: exit 2, the kinds it gives are listed
    code, _ = _plot(made["subtracted"], tmp_path, "distribution")
    assert code == 2 and "one of curve" in capsys.readouterr().err


# --------------------------------------------------------------------------- saxs peaks --by
def test_peaks_by_the_keys_batch_files_carry(made, capsys):
    files = made["precursors"]
    code, text = _cli("peaks", *files, "--by", "temperature_C", "--json")
    assert code == 0
    summary = json.loads(text)
    assert summary["series_key"] == "temperature_C"
    assert summary["tracks"] and all(t["values"] == PRECURSOR_T_C for t in summary["tracks"])
    assert capsys.readouterr().err == ""  # the key as written: nothing to say
    # the documented alias: the same values, and it says which key it read
    code, text = _cli("peaks", *files, "--by", "temperature", "--json")
    assert code == 0 and json.loads(text)["tracks"][0]["values"] == PRECURSOR_T_C
    assert json.loads(text)["series_key"] == "temperature_C"
    err = capsys.readouterr().err
    assert err.count("--by temperature reads 'temperature_C'") == 3 and "alias" in err
    # an unknown key: exit 2, one line naming the file and listing the keys it has
    code, _ = _cli("peaks", *files, "--by", "pressure")
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert str(files[0]) in err and "--by pressure" in err and "temperature_C" in err and "lamellar_d_nm" in err


def test_peaks_by_the_keys_reduce_files_carry(made, capsys):
    files = [made["reduced"]["precursor_T025"], made["reduced"]["precursor_T050"]]
    code, _ = _cli("peaks", *files, "--by", "temperature")  # reduce files carry no temperature
    err = capsys.readouterr().err
    assert code == 2 and "exposure_s" in err and "--by temperature" in err
    code, text = _cli("peaks", *files, "--by", "exposure_s", "--json")
    assert code == 0
    with h5py.File(files[0], "r") as f:  # the value written by reduce, read independently
        exposure = float(f["average/sasprocess/provenance/exposure_s"][()])
    assert json.loads(text)["tracks"][0]["values"] == [exposure, exposure]


def test_series_keys_and_alias_rules(made):
    from saxs.errors import InputError
    from saxs.metadata import resolve_series_key, series_keys

    keys = series_keys(made["precursors"][1])
    assert keys["temperature_C"].value == 50.0 and keys["temperature_C"].location.endswith("metadata/temperature_C")
    assert keys["geometry/distance_mm"].value == keys["distance_mm"].value  # path and unique last part
    r = resolve_series_key(made["precursors"][1], "temperature")
    assert (r.key, r.value, r.alias) == ("temperature_C", 50.0, True)
    assert not resolve_series_key(made["precursors"][1], "temperature_C").alias
    # saxs series reads batch files by the same rule (its own lookup first)
    from saxs.series import series_value

    assert series_value(made["precursors"][2], "temperature") == 100.0
    with pytest.raises(InputError, match="no numeric metadata"):
        resolve_series_key(made["beamtime"] / "beamtime.toml", "temperature")


# --------------------------------------------------------------------------- defaults
def test_defaults_are_the_same_by_hand_and_in_the_batch(tmp_path):
    from saxs.config import FitConfig, load_beamtime
    from saxs.reduce import ReductionOptions

    parsers = {name: build_parser().parse_args(args) for name, args in (
        ("reduce", ["reduce", "x.h5", "-o", "out"]), ("fit", ["fit", "x.h5", "-o", "f.h5"]))}
    toml = tmp_path / "beamtime.toml"
    toml.write_text('version = 1\n[[samples]]\nname = "a"\nfiles = ["a.h5"]\n')
    config = load_beamtime(toml)  # no [instrument], no [fit]: every default
    reduce, fit = parsers["reduce"], parsers["fit"]
    assert reduce.npt == config.instrument.npt == ReductionOptions().npt == defaults.NPT
    assert reduce.dark_statistic == config.instrument.dark_statistic == ReductionOptions().dark_statistic \
        == defaults.DARK_STATISTIC
    assert fit.q_range == config.fit.q_range_nm == defaults.FIT_Q_RANGE_NM
    assert fit.radius_range == config.fit.radius_range_nm == defaults.FIT_RADIUS_RANGE_NM
    assert (fit.contributions, fit.repetitions, fit.bins, fit.max_steps) == (
        config.fit.contributions, config.fit.repetitions, config.fit.bins, config.fit.max_steps) == (
        FitConfig().contributions, FitConfig().repetitions, FitConfig().bins, FitConfig().max_steps)


# --------------------------------------------------------------------------- batch: dry run, warnings
def test_dry_run_tells_what_the_outdir_holds(made):
    bt, out = made["beamtime"], made["batch"]
    only = ("--only", *SAMPLES)
    code, plan = run_batch(bt, "-o", out, *only, "--dry-run")
    assert code == 0 and plan["refused"] and plan["outdir_has_results"] and plan["to_run"] == 0
    samples = [t for t in plan["tasks"] if t["kind"] == "sample"]
    assert {t["status"] for t in samples} == {"refused"} and {t["existing"] for t in samples} == {"up-to-date"}
    n_series = sum(t["kind"] == "series" for t in plan["tasks"])  # series are always redone from their members
    assert "would be refused (exit 2)" in plan["note"]
    assert f"with --resume {len(plan['tasks']) - n_series} task(s) would be skipped" in plan["note"]
    # --resume: the up-to-date samples are skipped, the series redone; --overwrite: everything redone
    code, plan = run_batch(bt, "-o", out, *only, "--dry-run", "--resume")
    assert not plan["refused"] and plan["to_run"] == n_series
    assert all(t["status"] == "up-to-date" and "skipped" in t["reason"] for t in plan["tasks"] if t["kind"] == "sample")
    code, plan = run_batch(bt, "-o", out, *only, "--dry-run", "--overwrite")
    assert all(t["status"] == "todo" and "redone (--overwrite)" in t["reason"]
               for t in plan["tasks"] if t["kind"] == "sample")
    # a changed setting: outdated results, redone under --resume
    other = bt / "other.toml"
    other.write_text((bt / "beamtime.toml").read_text().replace("contributions = 100", "contributions = 99"))
    code, plan = run_batch(bt, "-c", other, "-o", out, *only, "--dry-run", "--resume")
    fitted = [t for t in plan["tasks"] if t["kind"] == "sample" and t["name"].startswith("cdse")]
    assert fitted and all(t["existing"] == "outdated" and t["status"] == "todo" for t in fitted)
    # the precursors get no sphere fit (a peaks series): a fit setting leaves their results up to date
    assert all(t["existing"] == "up-to-date" for t in plan["tasks"]
               if t["kind"] == "sample" and t["name"].startswith("precursor"))
    # the plain-text form says it too
    code, text = _cli("batch", bt, "-o", out, *only, "--dry-run")
    assert code == 0 and "refused (results up to date: skipped with --resume" in text and "exit 2" in text


def test_batch_warnings_counted_and_grouped(made):
    from saxs.pipeline.notes import format_warnings, group_warnings, warning_kind

    assert warning_kind("10 of 10 repetitions ... (best 973)") == warning_kind("3 of 10 repetitions ... (best 5.7e+01)")
    summary = made["summary"]
    groups = summary["warnings"]
    n = sum(len(s.get("warnings") or ()) for s in summary["samples"])
    assert n > 0 and sum(g["count"] for g in groups) >= n  # the test-sized fit of cdse_T220 warns
    assert groups == group_warnings(summary) == json.loads((made["batch"] / "summary.json").read_text())["warnings"]
    lines = format_warnings(groups)
    assert lines[0].startswith(f"{sum(g['count'] for g in groups)} warning(s) of {len(groups)} kind(s)")
    # shown at the end of a plain run (here: --resume, the warnings read back from the skipped files)
    code, text = _cli("batch", made["beamtime"], "-o", made["batch"], "--only", *SAMPLES, "--resume",
                      "--no-progress", "--workers", "1")
    assert code == 0 and "warning(s) of" in text and "cdse_T220" in text.split("warning(s) of")[1]


# --------------------------------------------------------------------------- reduce output, pyFAI noise
def test_reduce_says_what_it_wrote(made):
    lines = made["reduce_stdout"].splitlines()
    assert len(lines) == 4 and all(line.startswith("wrote ") for line in lines)
    written = [Path(line.split()[1]) for line in lines]
    assert sorted(written) == sorted(made["reduced"].values()) and all(p.is_file() for p in written)


def test_no_pyopencl_notice_from_the_entry_point(made, tmp_path):
    """The real console entry point, as a user runs it: silx's OpenCL notice does not reach stderr."""
    raw = made["beamtime"] / "raw" / "precursor_T025.h5"
    run = subprocess.run([sys.executable, "-m", "saxs", "reduce", str(raw), "--npt", "50", "-o", str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "pyOpenCl" not in run.stderr and "wrote " in run.stdout


def test_only_the_opencl_notice_is_dropped(caplog):
    import logging

    import saxs  # noqa: F401 - installs the filter

    log = logging.getLogger("silx.opencl.common")
    with caplog.at_level(logging.WARNING, logger="silx.opencl.common"):
        log.warning("Unable to import pyOpenCl. Please install it from: https://pypi.org/project/pyopencl")
        log.warning("another silx warning")
    assert [r.getMessage() for r in caplog.records] == ["another silx warning"]
