"""Bias of the Monte Carlo histogram against known truth for several stop rules (issue 12, point 4).

Curves with known truth: quickstartdemo1 (the three Gaussian number distributions it was simulated
from: R = 8+-3, 40+-10, 100+-10 nm, number fractions 0.4, 0.0135, 0.00105), 0.9 nm clusters measured to
q = 6 1/nm (counting-statistics-like sigma, seeded noise; as tests/mcfit/test_mcfit_fit.py), and a
bimodal 3 + 12 nm synthetic curve (1 % noise). Truth per radius range: the volume-weighted mean
<R^4>/<R^3> of the generating distribution restricted to that range. Rules: stop at the crossing
(``mcsas``), the current default (``extra``, as many steps again), half as many again, and fixed further
steps per contribution (10 and 30 x contributions). For each rule and seed: the relative bias of every
range's volume-weighted mean, the reduced chi2 it ends at and the mean steps. Prints a table; writes
benchmarks/results/bench_stop.json.

Run: ``python benchmarks/bench_stop.py [--seeds 1 2 3]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "tests" / "mcfit"))

RULES = {
    "mcsas (stop at crossing)": dict(stop="mcsas"),
    "extra, factor 1 (default)": dict(stop="extra"),
    "extra, factor 0.5": dict(stop="extra", extra_factor=0.5),
    "10 x contributions further": dict(stop="extra", extra_factor=0.0, extra_steps_per_contribution=10),
    "30 x contributions further": dict(stop="extra", extra_factor=0.0, extra_steps_per_contribution=30),
}


def cases():
    from mcfit_synth import DATA, gaussian_number_curve, read_columns, truth_moments

    q, i, s = read_columns(DATA / "quickstart" / "quickstartdemo1.csv")
    radius, number = gaussian_number_curve(np.array([0.1]), [(8, 3, 0.4), (40, 10, 0.0135), (100, 10, 0.00105)])[1:]
    ranges = [(3.0, 20.0), (20.0, 70.0), (70.0, 320.0)]
    yield "quickstartdemo1", (q, i, s), dict(q_bins=100, contributions=300), ranges, [
        truth_moments(radius, number, lo, hi)[0] for lo, hi in ranges]

    q = np.geomspace(0.3, 6.0, 200)
    intensity, radius, number = gaussian_number_curve(q, [(0.9, 0.02, 1.0)])
    intensity = intensity / intensity[0]
    sigma = np.sqrt((intensity + 0.1) / 1e4)
    noisy = intensity + np.random.default_rng(5).normal(0, 1, q.size) * sigma
    yield "clusters 0.9 nm", (q, noisy, sigma), dict(contributions=300), [(0.0, np.inf)], [
        truth_moments(radius, number, 0.0, np.inf)[0]]

    q = np.geomspace(0.05, 3.0, 120)
    intensity, radius, number = gaussian_number_curve(q, [(3.0, 0.3, 64.0), (12.0, 1.2, 1.0)])
    intensity = intensity / intensity[0] * 100.0 + 1.0
    sigma = 0.01 * intensity
    noisy = intensity + np.random.default_rng(5).normal(0, 1, q.size) * sigma
    ranges = [(1.0, 6.0), (6.0, 30.0)]
    yield "bimodal 3 + 12 nm", (q, noisy, sigma), dict(contributions=200), ranges, [
        truth_moments(radius, number, lo, hi)[0] for lo, hi in ranges]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args(argv)
    import warnings

    import mcfit

    report = {}
    for name, (q, i, s), settings, ranges, truths in cases():
        report[name] = {}
        for rule, options in RULES.items():
            options = dict(options)
            per = options.pop("extra_steps_per_contribution", None)
            if per is not None:
                options["extra_steps"] = per * settings["contributions"]
            biases, chi2, steps = [], [], []
            for seed in args.seeds:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    result = mcfit.fit(q, i, s, seed=seed, ranges_nm=ranges, **settings, **options)
                biases.append([r.volume_weighted.mean_nm / t - 1 for r, t in zip(result.ranges, truths)])
                chi2.append(result.chi2_reduced)
                steps.append(float(np.mean(result.steps)))
            biases = np.array(biases) * 100
            report[name][rule] = {"bias_percent_mean": biases.mean(0).tolist(),
                                  "bias_percent_min": biases.min(0).tolist(),
                                  "bias_percent_max": biases.max(0).tolist(),
                                  "chi2_reduced_mean": float(np.mean(chi2)), "steps_mean": float(np.mean(steps))}
            e = report[name][rule]
            print(f"{name:18s} {rule:28s} bias % " + ", ".join(
                f"{m:+.2f} [{lo:+.2f}, {hi:+.2f}]" for m, lo, hi in
                zip(e["bias_percent_mean"], e["bias_percent_min"], e["bias_percent_max"]))
                + f"  chi2r {e['chi2_reduced_mean']:.3f}  steps {e['steps_mean']:.0f}", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_stop.json").write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
