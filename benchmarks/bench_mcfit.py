"""mcfit against McSAS3 on the same data and settings, side by side in one run.

Settings (issue 3): 300 contributions, 10 repetitions, convergence (reduced chi2) 1, data re-binned to
100 logarithmic q bins, 100 logarithmic histogram bins, 1 % minimum relative uncertainty, radius range
pi/q_max .. pi/q_min, sphere model. McSAS3 runs as its users run it (McData1D -> McHat.run ->
McAnalysis, its default parallelism: one process per core up to the number of repetitions); mcfit runs
with the McSAS stopping rule (``stop="mcsas"``, equal convergence) and with its default ("extra").
Both also run CLI to CLI in fresh processes: ``saxs fit`` (warm numba cache) and McSAS3 (a fresh
Python running McSAS3's API as above; ``--mcsas3-python`` names a Python that has it), interleaved;
reported: process wall time and each tool's own elapsed time, medians. Also measured: ns per (MC step
x q point) of the previous and the current kernel on one core in the same run (n_q = 76 and 737), and
the speed-up from 1 to 2 numba threads. Prints a table; writes JSON to
benchmarks/results/bench_mcfit.json.

Run: ``python benchmarks/bench_mcfit.py [--skip-mcsas3] [--mcsas3-python /tmp/venv-x/bin/python]``.
The machine may be shared: figures are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

DATASETS = {
    # name: (file, radius ranges for the per-population statistics, nm)
    "quickstartdemo1": (ROOT / "tests/data/quickstart/quickstartdemo1.csv", [(3.0, 20.0), (20.0, 70.0), (70.0, 320.0)]),
    "round_robin_1": (ROOT / "tests/data/roundrobin/round_robin_dataset_1.dat", [(10.0, 21.0), (21.0, 45.0)]),
}
SETTINGS = dict(contributions=300, repetitions=10, convergence=1.0, q_bins=100, bins=100, min_rel_sigma=0.01)


def read_columns(path: Path):
    text = path.read_bytes().decode().replace("\r", "\n")
    rows = [line.replace(";", " ").split() for line in text.splitlines() if line.strip()]
    a = np.array(rows, dtype=np.float64)
    return a[:, 0], a[:, 1], a[:, 2]


def run_mcfit(q, i, s, ranges, *, stop, seed=1):
    import mcfit

    result = mcfit.fit(q, i, s, seed=seed, stop=stop, ranges_nm=ranges, bin_scale="log",
                       max_steps=200_000, **SETTINGS)
    return {
        "wall_s": result.elapsed_s,
        "chi2_reduced": result.chi2_reduced,
        "converged": result.converged_repetitions,
        "steps_mean": float(np.mean(result.steps)),
        "range_means_nm": [r.volume_weighted.mean_nm for r in result.ranges],
        "range_means_std_nm": [r.volume_weighted.mean_nm_std for r in result.ranges],
        "populations_nm": [p.mean_nm for p in result.populations],
    }


def run_mcsas3(q, i, s, ranges, workdir: Path):
    import pandas as pd
    from mcsas3 import mc_data_1d, mc_hat
    from mcsas3.mc_analysis import McAnalysis

    result_file = workdir / "mcsas3.nxs"
    if result_file.exists():
        result_file.unlink()
    t0 = time.perf_counter()
    df = pd.DataFrame({"Q": q, "I": i, "ISigma": s})
    mds = mc_data_1d.McData1D(df=df, nbins=SETTINGS["q_bins"], IEmin=SETTINGS["min_rel_sigma"])
    mds.store(result_file)
    hat = mc_hat.McHat(modelName="sphere", nContrib=SETTINGS["contributions"], nRep=SETTINGS["repetitions"],
                       convCrit=SETTINGS["convergence"], maxIter=200_000, fitParameterLimits={"radius": "auto"},
                       staticParameters={"sld": 33.0, "sld_solvent": 0.0}, seed=None)
    md = mds.measData.copy()
    hat.run(md, result_file)
    hist_ranges = pd.DataFrame([
        dict(parameter="radius", nBin=SETTINGS["bins"], binScale="log", presetRangeMin=lo,
             presetRangeMax=hi, binWeighting="vol", autoRange=False)
        for lo, hi in ranges
    ])
    analysis = McAnalysis(result_file, md, hist_ranges, store=True)
    wall = time.perf_counter() - t0
    modes = analysis._averagedModes
    opts = analysis._concatOpts
    # McSAS3 works in the units of its input q (only q*R and R**3 enter): q in 1/nm -> radii in nm.
    means = [float(modes.loc[k, ("mean", "valMean")]) for k in range(len(ranges))]
    stds = [float(modes.loc[k, ("mean", "valStd")]) for k in range(len(ranges))]
    n_q = len(md["Q"])
    return {
        "wall_s": wall,
        "chi2_reduced": float(np.mean(opts["gof"])),
        "steps_mean": float(np.mean(opts["step"])),
        "range_means_raw": means,
        "range_means_std_raw": stds,
        "n_q": n_q,
    }


def kernel_ns_per_step_q(repeats=7, steps=20_000):
    """ns per (MC step x q point) of the previous kernel (mcfit.kernels_v1) and the current one.

    One repetition on one thread, 300 contributions, never converging (fixed step count), on
    quickstart re-binned to 100 bins (n_q = 76) and round robin 1 as given (n_q = 737). The arrays are
    what ``fit()`` passes (``prepare``'s views). Old and new runs alternate (``repeats`` each);
    reported: median and minimum per kernel and the ratio of the medians, from the same run.
    """
    import numba

    from mcfit import kernels, kernels_v1
    from mcfit.data import prepare, radius_limits
    from mcfit.driver import repetition_seeds

    out = {}
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        for name, q_bins in (("quickstartdemo1", 100), ("round_robin_1", 0)):
            data = prepare(*read_columns(DATASETS[name][0]), min_rel_sigma=0.01, q_bins=q_bins)
            r_min, r_max = radius_limits(data.q_nm)
            args = (data.q_nm, data.intensity, 1.0 / data.sigma**2, repetition_seeds(1, 1), 300, r_min, r_max,
                    False, -1.0, kernels.MODE_MCSAS, 0, 0.0, steps, kernels.BG_FIT, 0.0)
            times = {"old": [], "new": []}
            results = {}
            for label, module in (("old", kernels_v1), ("new", kernels)):
                results[label] = module.run_repetitions(*args)  # warm-up (compiled/cached)
            for _ in range(repeats):
                for label, module in (("old", kernels_v1), ("new", kernels)):
                    t0 = time.perf_counter()
                    module.run_repetitions(*args)
                    times[label].append(time.perf_counter() - t0)
            per = steps * data.q_nm.size * 1e-9
            out[name] = {
                "n_q": int(data.q_nm.size),
                "old_ns_median": float(np.median(times["old"]) / per), "old_ns_min": float(np.min(times["old"]) / per),
                "new_ns_median": float(np.median(times["new"]) / per), "new_ns_min": float(np.min(times["new"]) / per),
                "ratio_of_medians": float(np.median(times["old"]) / np.median(times["new"])),
                "same_radii": bool(np.array_equal(results["old"][0], results["new"][0])),
                "load_average": os.getloadavg(),
            }
    finally:
        numba.set_num_threads(before)
    return out


def cli_saxs_fit(name, workdir: Path, *, stop):
    """``saxs fit`` in a fresh process (warm numba cache): wall time of the process and the fit's own
    ``elapsed_s`` (from --json; it includes loading the cached kernels and starting the threads)."""
    path, ranges = DATASETS[name]
    command = [sys.executable, "-m", "saxs", "fit", str(path), "-o", str(workdir / f"{name}_{stop}.h5"), "--json",
               "--seed", "1", "--stop", stop, "--q-bins", str(SETTINGS["q_bins"]),
               "--contributions", str(SETTINGS["contributions"]), "--repetitions", str(SETTINGS["repetitions"]),
               "--convergence", str(SETTINGS["convergence"]), "--bins", str(SETTINGS["bins"]),
               "--min-rel-sigma", str(SETTINGS["min_rel_sigma"])]
    for lo, hi in ranges:
        command += ["--range", str(lo), str(hi)]
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=_env())
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"saxs fit failed: {done.stderr.strip()}")
    summary = json.loads(done.stdout)
    return {"wall_s": wall, "elapsed_s": summary["elapsed_s"], "chi2_reduced": summary["chi2_reduced"],
            "range_means_nm": [r["volume_weighted"]["mean_nm"] for r in summary["ranges"]]}


def cli_mcsas3(name, python):
    """McSAS3 in a fresh process (``python`` must have mcsas3): wall time of the process and the time
    of its own run (reading, McHat.run, McAnalysis)."""
    path, ranges = DATASETS[name]
    command = [python, str(Path(__file__).resolve()), "--mcsas3-worker", name]
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=_env())
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"McSAS3 failed: {done.stderr.strip()[-2000:]}")
    entry = json.loads(done.stdout.strip().splitlines()[-1])
    entry["elapsed_s"] = entry.pop("wall_s")
    entry["wall_s"] = wall
    return entry


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    return env


def _mcsas3_worker(name) -> int:
    path, ranges = DATASETS[name]
    q, i, s = read_columns(path)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        q, i, s = read_columns(path)
        entry = run_mcsas3(q, i, s, ranges, Path(tmp))
        entry["wall_s"] = time.perf_counter() - t0
    print(json.dumps(entry, default=float))
    return 0


def thread_speedup(q, i, s):
    """Best-of-3 wall and CPU (process) time of a full fit on 1 and 2 numba threads.

    On a loaded machine the wall ratio says little; the CPU times show the parallel overhead (equal
    CPU time on 1 and 2 threads means the 2-thread run would take half the wall time on idle cores).
    """
    import numba

    import mcfit

    times, cpu = {}, {}
    before = numba.get_num_threads()
    try:
        for n in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(n)
            times[n] = cpu[n] = np.inf
            for _ in range(3):
                c0 = time.process_time()
                wall = mcfit.fit(q, i, s, seed=1, stop="mcsas", **SETTINGS).elapsed_s
                if wall < times[n]:
                    times[n], cpu[n] = wall, time.process_time() - c0
    finally:
        numba.set_num_threads(before)
    return times, cpu


def _median(entries, key):
    return float(np.median([e[key] for e in entries]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-mcsas3", action="store_true", help="time mcfit only")
    parser.add_argument("--mcsas3-python", default=sys.executable,
                        help="a Python with mcsas3 installed (default: this one)")
    parser.add_argument("--repeats", type=int, default=5, help="fresh `saxs fit` processes per dataset and stop rule")
    parser.add_argument("--mcsas3-repeats", type=int, default=1, help="fresh McSAS3 processes per dataset")
    parser.add_argument("--mcsas3-worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.mcsas3_worker:
        return _mcsas3_worker(args.mcsas3_worker)
    import mcfit

    q0, i0, s0 = read_columns(DATASETS["quickstartdemo1"][0])
    mcfit.fit(q0, i0, s0, seed=0, contributions=10, repetitions=2, max_steps=10)  # compile / load cache
    report = {"settings": SETTINGS, "cpu_count": os.cpu_count(), "load_average_start": os.getloadavg(),
              "datasets": {}}
    report["kernel"] = kernel_ns_per_step_q()
    with tempfile.TemporaryDirectory() as tmp:
        for name, (path, ranges) in DATASETS.items():
            q, i, s = read_columns(path)
            entry = {"ranges_nm": ranges,
                     "mcfit_mcsas_stop": run_mcfit(q, i, s, ranges, stop="mcsas"),
                     "mcfit_default": run_mcfit(q, i, s, ranges, stop="extra")}
            runs = {"cli_mcsas_stop": [], "cli_default": [], "mcsas3": []}
            for repeat in range(args.repeats):  # interleaved: the load drifts
                runs["cli_mcsas_stop"].append(cli_saxs_fit(name, Path(tmp), stop="mcsas"))
                runs["cli_default"].append(cli_saxs_fit(name, Path(tmp), stop="extra"))
                if not args.skip_mcsas3 and repeat < args.mcsas3_repeats:
                    runs["mcsas3"].append(cli_mcsas3(name, args.mcsas3_python))
            for key, entries in runs.items():
                if entries:
                    entry[key] = dict(entries[-1], wall_s=_median(entries, "wall_s"),
                                      elapsed_s=_median(entries, "elapsed_s"), runs=entries)
            if runs["mcsas3"]:
                m3 = entry["mcsas3"]
                for key in ("cli_mcsas_stop", "cli_default"):
                    entry[f"speedup_wall_{key}"] = m3["wall_s"] / entry[key]["wall_s"]
                    entry[f"speedup_elapsed_{key}"] = m3["elapsed_s"] / entry[key]["elapsed_s"]
                entry["speedup_elapsed_in_process_mcsas_stop"] = m3["elapsed_s"] / entry["mcfit_mcsas_stop"]["wall_s"]
            report["datasets"][name] = entry
    times, cpu = thread_speedup(q0, i0, s0)
    report["threads_wall_s"] = {str(k): v for k, v in times.items()}
    report["threads_cpu_s"] = {str(k): v for k, v in cpu.items()}
    report["thread_speedup_1_to_2"] = times[1] / times[max(times)]

    for name, k in report["kernel"].items():
        print(f"kernel, {name} (n_q = {k['n_q']}), one core: old {k['old_ns_median']:.2f} ns (min "
              f"{k['old_ns_min']:.2f}), new {k['new_ns_median']:.2f} ns (min {k['new_ns_min']:.2f}) "
              "per (step x q point); "
              f"old/new {k['ratio_of_medians']:.2f}x; same radii: {k['same_radii']}; load {k['load_average'][0]:.1f}")
    print(f"{'dataset':16s} {'run':22s} {'wall s':>8s} {'fit s':>8s} {'chi2r':>6s}  range means (nm, volume-weighted)")
    for name, entry in report["datasets"].items():
        for key in ("mcsas3", "cli_mcsas_stop", "cli_default", "mcfit_mcsas_stop", "mcfit_default"):
            if key not in entry:
                continue
            e = entry[key]
            means = e.get("range_means_nm", e.get("range_means_raw"))
            elapsed = e.get("elapsed_s", e["wall_s"])
            print(f"{name:16s} {key:22s} {e['wall_s']:8.2f} {elapsed:8.3f} {e['chi2_reduced']:6.3f}  "
                  + ", ".join(f"{m:.2f}" for m in means))
        if "speedup_wall_cli_mcsas_stop" in entry:
            print(f"{name:16s} McSAS3 / saxs fit, fresh processes: CLI wall "
                  f"{entry['speedup_wall_cli_mcsas_stop']:.0f}x "
                  f"(mcsas stop), {entry['speedup_wall_cli_default']:.0f}x (default stop); fit's own elapsed "
                  f"{entry['speedup_elapsed_cli_mcsas_stop']:.0f}x / {entry['speedup_elapsed_cli_default']:.0f}x; "
                  f"warm in-process call {entry['speedup_elapsed_in_process_mcsas_stop']:.0f}x (mcsas stop)")
    print(f"threads: 1 -> 2 speed-up {report['thread_speedup_1_to_2']:.2f} (wall {times}, cpu {cpu})")
    report["load_average_end"] = os.getloadavg()
    print(f"load average (1, 5, 15 min) at start {report['load_average_start']}, end {report['load_average_end']} "
          f"on {os.cpu_count()} cores: above the core count, timings and thread scaling are not meaningful")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "bench_mcfit.json"
    out.write_text(json.dumps(report, indent=1, default=float))
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
