"""`saxs fit` against McSAS3 on every real 1-D curve in ../shared/data (tests/data copies): means per
population, reduced chi2, the NNLS bound for spheres, converged repetitions, steps, wall time.

Per dataset, three runs:
- ``saxs fit`` with its defaults on all points (the command as users run it; 300 contributions, 10
  repetitions, criterion 1, bound-relative stop);
- ``saxs fit --q-bins 100`` (the data re-binned to 100 log q bins, as McSAS3 users usually do);
- McSAS3 (``McData1D(nbins=100, IEmin=0.01)`` -> ``McHat.run`` -> ``McAnalysis``), 300 contributions,
  ``--mcsas3-repetitions`` repetitions, criterion 1, at most ``--mcsas3-max-iter`` steps each (McSAS3
  spends ~10 ms a step here: a curve spheres cannot describe would otherwise take an hour).
Population means compare like with like: McSAS3's volume-weighted mean over each population window
that the ``--q-bins 100`` saxs fit found (its three largest by volume). The bound is ``mcfit``'s
(:mod:`mcfit.bound`) on the points each saxs fit used; McSAS3 re-bins in its own way, so the 100-bin
bound is a close, not exact, reference for it.

Run (needs mcsas3 1.0.6: ``pip install mcsas3`` in a venv with this project installed)::

    python benchmarks/bench_fit_real.py [--skip-mcsas3] [--mcsas3-max-iter N] [--mcsas3-repetitions N]

Prints a Markdown table; writes benchmarks/results/bench_fit_real.json. The machine may be shared.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DATA = ROOT / "tests" / "data"

#: name -> (file, q unit of the file)
DATASETS = {
    "round_robin_1": (DATA / "roundrobin/round_robin_dataset_1.dat", "nm^-1"),
    "round_robin_2": (DATA / "roundrobin/round_robin_dataset_2.dat", "nm^-1"),
    "round_robin_3": (DATA / "roundrobin/round_robin_dataset_3.dat", "nm^-1"),
    "round_robin_4": (DATA / "roundrobin/round_robin_dataset_4.dat", "nm^-1"),
    "nPSize4": (DATA / "npsize/nPSize4.dat", "nm^-1"),
    "quickstartdemo1": (DATA / "quickstart/quickstartdemo1.csv", "nm^-1"),
    "srm3600_glassy_carbon": (DATA / "srm3600/SRM3600_certified_curve.csv", "A^-1"),
}


def run_saxs_fit(path: Path, q_unit: str, out: Path, extra=()):
    """``saxs fit PATH --json`` in-process; returns the JSON summary and the wall time."""
    from saxs.cli import main

    buffer = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(buffer):
        code = main(["fit", str(path), "-o", str(out), "--json", "--seed", "1", "--q-unit", q_unit, *extra])
    wall = time.perf_counter() - t0
    if code != 0:
        raise RuntimeError(f"saxs fit {path} exited {code}")
    summary = json.loads(buffer.getvalue())
    summary["wall_s"] = wall
    import mcfit

    result = mcfit.read_result(out)
    summary["steps_mean"] = float(np.mean(result.steps))
    summary["n_points"] = int(result.q_nm.size)
    summary["all_populations"] = [dict(mean_nm=p.mean_nm, mean_nm_std=p.mean_nm_std, window_nm=list(p.window_nm),
                                       volume_fraction=p.volume_fraction) for p in result.populations]
    return summary


def windows(summary, n=3):
    """The population windows of a saxs fit (reported or withheld), the n largest by volume, by radius."""
    pops = sorted(summary["all_populations"], key=lambda p: -p["volume_fraction"])[:n]
    return sorted((tuple(p["window_nm"]) for p in pops))


def run_mcsas3(q_nm, i, s, ranges, workdir: Path, *, max_iter: int, repetitions: int):
    import pandas as pd
    from mcsas3 import mc_data_1d, mc_hat
    from mcsas3.mc_analysis import McAnalysis

    result_file = workdir / "mcsas3.nxs"
    if result_file.exists():
        result_file.unlink()
    t0 = time.perf_counter()
    df = pd.DataFrame({"Q": q_nm, "I": i, "ISigma": s})
    mds = mc_data_1d.McData1D(df=df, nbins=100, IEmin=0.01)
    mds.store(result_file)
    hat = mc_hat.McHat(modelName="sphere", nContrib=300, nRep=repetitions, convCrit=1.0, maxIter=max_iter,
                       fitParameterLimits={"radius": "auto"}, staticParameters={"sld": 33.0, "sld_solvent": 0.0},
                       seed=None)
    md = mds.measData.copy()
    hat.run(md, result_file)
    hist_ranges = pd.DataFrame([dict(parameter="radius", nBin=100, binScale="log", presetRangeMin=lo,
                                     presetRangeMax=hi, binWeighting="vol", autoRange=False) for lo, hi in ranges])
    analysis = McAnalysis(result_file, md, hist_ranges, store=True)
    wall = time.perf_counter() - t0
    modes = analysis._averagedModes
    opts = analysis._concatOpts
    gof = np.asarray(opts["gof"], dtype=float)
    # McSAS3 works in the units of its input q (only q*R and R**3 enter): q in 1/nm -> radii in nm.
    return {
        "wall_s": wall,
        "chi2_reduced": float(np.mean(gof)),
        "converged_repetitions": int(np.count_nonzero(gof <= 1.0)),
        "repetitions": repetitions,
        "steps_mean": float(np.mean(opts["step"])),
        "means_nm": [float(modes.loc[k, ("mean", "valMean")]) for k in range(len(ranges))],
        "means_nm_std": [float(modes.loc[k, ("mean", "valStd")]) for k in range(len(ranges))],
        "max_iter": max_iter,
    }


def _fmt_means(means, stds=None):
    if not means:
        return "-"
    if stds is None:
        return ", ".join(f"{m:.2f}" for m in means)
    return ", ".join(f"{m:.2f}±{s:.2f}" for m, s in zip(means, stds))


def table(report) -> str:
    lines = ["| dataset | run | points | chi2_r | bound | converged | steps/rep | wall s | population means (nm) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, entry in report["datasets"].items():
        for key, label in (("saxs_fit", "saxs fit"), ("saxs_fit_100", "saxs fit --q-bins 100")):
            s = entry[key]
            pops = s["all_populations"]
            means = _fmt_means([p["mean_nm"] for p in pops][:4], [p["mean_nm_std"] for p in pops][:4])
            flag = "" if s["populations"] else " (withheld)" if pops else ""
            lines.append(f"| {name} | {label} | {s['n_points']} | {s['chi2_reduced']:.3g} | {s['chi2_reduced_bound']:.3g} | "
                         f"{s['converged_repetitions']}/{s['repetitions']} | {s['steps_mean']:.0f} | {s['wall_s']:.1f} | "
                         f"{means}{flag} |")
        if "mcsas3" in entry:
            m = entry["mcsas3"]
            wins = "; ".join(f"{lo:.3g}-{hi:.3g}" for lo, hi in entry["windows_nm"])
            lines.append(f"| {name} | McSAS3 1.0.6 (max {m['max_iter']} steps) | {entry['saxs_fit_100']['n_points']} | {m['chi2_reduced']:.3g} | "
                         f"({entry['saxs_fit_100']['chi2_reduced_bound']:.3g}) | {m['converged_repetitions']}/{m['repetitions']} | "
                         f"{m['steps_mean']:.0f} | {m['wall_s']:.1f} | {_fmt_means(m['means_nm'], m['means_nm_std'])} "
                         f"(windows {wins}) |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-mcsas3", action="store_true")
    parser.add_argument("--mcsas3-max-iter", type=int, default=20_000)
    parser.add_argument("--mcsas3-repetitions", type=int, default=10)
    parser.add_argument("--only", nargs="*", default=None, help="dataset names (default: all)")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # the fits' warnings are in their JSON summaries
    from saxs.nxcansas import load_profile

    report = {"cpu_count": os.cpu_count(), "load_average_start": os.getloadavg(), "datasets": {}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run_saxs_fit(DATA / "quickstart/quickstartdemo1.csv", "nm^-1", tmp / "warm.h5",
                     ["--repetitions", "2", "--max-steps", "100"])  # compile / load the numba cache
        for name, (path, q_unit) in DATASETS.items():
            if args.only and name not in args.only:
                continue
            profile = load_profile(path, q_unit=q_unit)
            entry = {"file": str(path.relative_to(ROOT)), "q_unit": q_unit}
            entry["saxs_fit"] = run_saxs_fit(path, q_unit, tmp / f"{name}.h5")
            entry["saxs_fit_100"] = run_saxs_fit(path, q_unit, tmp / f"{name}_100.h5", ["--q-bins", "100"])
            entry["windows_nm"] = windows(entry["saxs_fit_100"])
            if not args.skip_mcsas3 and entry["windows_nm"]:
                entry["mcsas3"] = run_mcsas3(profile.q_nm, profile.intensity, profile.sigma, entry["windows_nm"], tmp,
                                             max_iter=args.mcsas3_max_iter, repetitions=args.mcsas3_repetitions)
            report["datasets"][name] = entry
            RESULTS.mkdir(parents=True, exist_ok=True)
            (RESULTS / "bench_fit_real.partial.json").write_text(json.dumps(report, indent=1, default=float))
            print(f"done {name}", flush=True)
    report["load_average_end"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_fit_real.json").write_text(json.dumps(report, indent=1, default=float))
    print(table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
