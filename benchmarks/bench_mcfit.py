"""mcfit against McSAS3 on the same data and settings, side by side in one run.

Settings (issue 3): 300 contributions, 10 repetitions, convergence (reduced chi2) 1, data re-binned to
100 logarithmic q bins, 100 logarithmic histogram bins, 1 % minimum relative uncertainty, radius range
pi/q_max .. pi/q_min, sphere model. McSAS3 runs as its users run it (McData1D -> McHat.run ->
McAnalysis, its default parallelism: one process per core up to the number of repetitions); mcfit runs
with the McSAS stopping rule (``stop="mcsas"``, equal convergence) and with its default ("extra").
Also measured: ns per (MC step x q point) of the kernel on one core, and the speed-up from 1 to 2
numba threads. Prints a table; writes JSON to benchmarks/results/bench_mcfit.json.

Run: ``python benchmarks/bench_mcfit.py [--skip-mcsas3]``. The machine may be shared: figures are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
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


def kernel_ns_per_step_q(q, i, s, *, steps=20_000):
    """ns per (MC step x q point), one repetition on one thread, never converging (fixed step count)."""
    import numba

    from mcfit import kernels
    from mcfit.data import prepare, radius_limits
    from mcfit.fit import repetition_seeds

    data = prepare(q, i, s, min_rel_sigma=0.01)
    r_min, r_max = radius_limits(data.q_nm)
    w = 1.0 / data.sigma**2
    args = (data.q_nm, data.intensity, w, repetition_seeds(1, 1), 300, r_min, r_max, False, -1.0,
            kernels.MODE_MCSAS, 0, 0.0, steps, kernels.BG_FIT, 0.0)
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        kernels.run_repetitions(*args[:12], 10, *args[13:])  # warm-up (compiled/cached)
        best = np.inf
        for _ in range(3):
            t0 = time.perf_counter()
            kernels.run_repetitions(*args)
            best = min(best, time.perf_counter() - t0)
    finally:
        numba.set_num_threads(before)
    return best / (steps * data.q_nm.size) * 1e9, data.q_nm.size


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-mcsas3", action="store_true", help="time mcfit only")
    args = parser.parse_args(argv)
    import mcfit

    q0, i0, s0 = read_columns(DATASETS["quickstartdemo1"][0])
    mcfit.fit(q0, i0, s0, seed=0, contributions=10, repetitions=2, max_steps=10)  # compile / load cache
    report = {"settings": SETTINGS, "cpu_count": os.cpu_count(), "load_average_start": os.getloadavg(),
              "datasets": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (path, ranges) in DATASETS.items():
            q, i, s = read_columns(path)
            entry = {"ranges_nm": ranges,
                     "mcfit_mcsas_stop": run_mcfit(q, i, s, ranges, stop="mcsas"),
                     "mcfit_default": run_mcfit(q, i, s, ranges, stop="extra")}
            if not args.skip_mcsas3:
                entry["mcsas3"] = run_mcsas3(q, i, s, ranges, Path(tmp))
                entry["speedup_equal_convergence"] = entry["mcsas3"]["wall_s"] / entry["mcfit_mcsas_stop"]["wall_s"]
                entry["speedup_default"] = entry["mcsas3"]["wall_s"] / entry["mcfit_default"]["wall_s"]
            report["datasets"][name] = entry
    q1, i1, s1 = read_columns(DATASETS["round_robin_1"][0])
    ns, n_q = kernel_ns_per_step_q(q1, i1, s1)
    report["kernel_ns_per_step_q_one_core"] = ns
    report["kernel_n_q"] = n_q
    times, cpu = thread_speedup(q0, i0, s0)
    report["threads_wall_s"] = {str(k): v for k, v in times.items()}
    report["threads_cpu_s"] = {str(k): v for k, v in cpu.items()}
    report["thread_speedup_1_to_2"] = times[1] / times[max(times)]

    print(f"{'dataset':16s} {'engine':18s} {'wall s':>8s} {'chi2r':>6s} {'steps':>8s}  range means (nm, volume-weighted)")
    for name, entry in report["datasets"].items():
        for engine in ("mcsas3", "mcfit_mcsas_stop", "mcfit_default"):
            if engine not in entry:
                continue
            e = entry[engine]
            means = e.get("range_means_nm", e.get("range_means_raw"))
            print(f"{name:16s} {engine:18s} {e['wall_s']:8.2f} {e['chi2_reduced']:6.3f} {e['steps_mean']:8.0f}  "
                  + ", ".join(f"{m:.2f}" for m in means))
        if "speedup_equal_convergence" in entry:
            print(f"{name:16s} speed-up vs McSAS3: {entry['speedup_equal_convergence']:.0f}x (mcsas stop), "
                  f"{entry['speedup_default']:.0f}x (default stop)")
    print(f"kernel: {ns:.2f} ns per (step x q point), one core, n_q = {n_q}")
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
