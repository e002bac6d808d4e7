"""`saxs fit`: Monte Carlo size distribution of spheres (mcfit) for one curve.

OUT.h5 is an NXcanSAS file: the input curve as `/sasentry01`, the fitted model curve as the SASentry
`/fit` and the fit result in `/fit/mcfit`, the layout of a batch sample file's (:mod:`saxs.fit_entry`;
the result group's own layout in the docstring of :mod:`mcfit.results`). The report and the JSON give
reduced chi2 against the sigma the fit used (floored at --min-rel-sigma) and against the data's own
sigma, and flag a poor fit (rule in :mod:`mcfit.quality`).
"""

from __future__ import annotations

from .. import defaults as d
from ._common import add_command

EXAMPLES = """\
  saxs fit demo-out/samples/cdse_T220.h5 -o T220_fit.h5 --radius-range 0.3 4     # seconds; converges
  saxs fit demo-out/samples/cdse_T2[0-2]0.h5 -o fits --radius-range 0.3 4   # several: one process, fits/NAME_fit.h5
  saxs fit subtracted/cdse_T220.h5 -o fit.h5 --radius-range 0.3 4 --log-radius --repetitions 4 --json
  saxs fit demo-out/samples/cdse_T240.h5 -o T240_fit.h5 --q-range 0.5 6 --radius-range 0.3 4 \\
      --range 0.5 1.5 --range 1.5 4 --contrast 34.4 --seed 7
  (text curves too: saxs fit curve.dat --q-unit A^-1 ...; a radius range wider than the clusters
  needs more --max-steps, or --log-radius)
"""

#: mcfit parameter -> what the user typed.
_OPTION = {
    "radius_range_nm": "--radius-range", "contributions": "--contributions", "repetitions": "--repetitions",
    "seed": "--seed", "convergence": "--convergence", "max_steps": "--max-steps", "bins": "--bins",
    "ranges_nm": "--range", "contrast_1e6_per_A2": "--contrast", "q_range_nm": "--q-range",
    "q_bins": "--q-bins", "min_rel_sigma": "--min-rel-sigma", "stop": "--stop", "extra_steps": "--extra-steps",
    "extra_factor": "--extra-factor", "poor_fit_chi2_reduced": "--poor-fit-chi2",
    "poor_fit_durbin_watson": "--poor-fit-dw",
    "q_nm": "q column", "intensity": "intensity column", "sigma": "sigma column",
}


def register(subparsers) -> None:
    parser = add_command(
        subparsers, "fit",
        help="Monte Carlo size distribution of spheres (McSAS-style)",
        description=(
            "Fit a distribution of spheres to a curve (NXcanSAS, ID02 *_ave.h5 or 3-column text) by the Monte Carlo "
            "method: volume-weighted contributions, closed-form scale and background, repetitions in "
            "parallel. Writes the curve and the result group (settings, per-repetition contributions, "
            "histograms, statistics, populations, fitted curve) to OUT.h5. Radii in nm."),
        examples=EXAMPLES)
    parser.add_argument("data", nargs="+", help="NXcanSAS HDF5, ID02 *_ave.h5 (frames screened and averaged) or "
                        "3-column text file (q, I, sigma); several: fitted one after another in this process")
    parser.add_argument("-o", "--output", required=True,
                        help="result file (HDF5, written atomically); with several DATA a folder that gets "
                             "one NAME_fit.h5 per curve")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON summary on stdout (with several DATA: one line per curve, then a "
                             "line with the counts)")
    parser.add_argument("--q-unit", default=None, choices=["nm^-1", "A^-1"], help="q unit of a text file (default nm^-1)")
    parser.add_argument("--q-range", nargs=2, type=float, metavar=("MIN", "MAX"), default=d.FIT_Q_RANGE_NM,
                        help="fit only this q range, in the unit of --q-unit (default 1/nm; default range: the "
                             "whole curve, as the batch); it does not move the default radius range")
    parser.add_argument("--drop-zero-sigma", action="store_true",
                        help="drop rows whose sigma is 0 (and say how many) instead of refusing the file")
    parser.add_argument("--q-bins", type=int, default=0, help="logarithmic re-binning of the data (0 = none)")
    parser.add_argument("--min-rel-sigma", type=float, default=0.01, help="minimum relative uncertainty (default 0.01)")
    parser.add_argument("--radius-range", nargs=2, type=float, metavar=("MIN", "MAX"), default=d.FIT_RADIUS_RANGE_NM,
                        help="radius range of the contributions, nm (default pi/q_max to pi/q_min of the whole "
                             "curve, before --q-range, as the batch)")
    parser.add_argument("--contributions", type=int, default=d.FIT_CONTRIBUTIONS,
                        help=f"contributions per repetition (default {d.FIT_CONTRIBUTIONS})")
    parser.add_argument("--repetitions", type=int, default=d.FIT_REPETITIONS,
                        help=f"independent repetitions (default {d.FIT_REPETITIONS})")
    parser.add_argument("--seed", type=int, default=None, help="master seed (recorded; default: drawn and recorded)")
    parser.add_argument("--convergence", type=float, default=1.0, help="reduced chi-square criterion (default 1)")
    parser.add_argument("--max-steps", type=int, default=d.FIT_MAX_STEPS,
                        help=f"maximum steps per repetition (default {d.FIT_MAX_STEPS})")
    parser.add_argument("--stop", choices=["extra", "mcsas"], default="extra",
                        help="extra (default): run further steps after the criterion is met (unbiased); "
                             "mcsas: stop the moment it is met")
    parser.add_argument("--extra-steps", type=int, default=None,
                        help="--stop extra: fixed further steps after the criterion is met (default 0)")
    parser.add_argument("--extra-factor", type=float, default=None,
                        help="--stop extra: further steps as a multiple of the steps it took to meet the "
                             "criterion (default 1: as many again)")
    parser.add_argument("--bins", type=int, default=d.FIT_BINS, help=f"histogram bins (default {d.FIT_BINS})")
    parser.add_argument("--linear-bins", action="store_true", help="linear histogram bins (default logarithmic)")
    parser.add_argument("--range", nargs=2, type=float, action="append", metavar=("MIN", "MAX"),
                        help="radius range for statistics, nm (repeatable; default: everything)")
    parser.add_argument("--contrast", type=float, default=None,
                        help="SLD contrast in 1e-6 1/A^2: absolute volume fractions for data in 1/cm")
    parser.add_argument("--log-radius", action="store_true", help="draw radii log-uniformly")
    parser.add_argument("--poor-fit-chi2", type=float, default=d.POOR_FIT_CHI2_REDUCED,
                        help="poor fit when reduced chi2 against the data's own sigma is above this "
                             f"(default {d.POOR_FIT_CHI2_REDUCED:g}) and the residuals are structured (--poor-fit-dw)")
    parser.add_argument("--poor-fit-dw", type=float, default=d.POOR_FIT_DURBIN_WATSON,
                        help="structured residuals: Durbin-Watson statistic below this "
                             f"(default {d.POOR_FIT_DURBIN_WATSON:g}; 2 = independent)")
    parser.set_defaults(func=run)


def run(args) -> int:
    """One curve: fit it to the output file. Several: one process fits them in turn into the output
    folder (numba's kernels load once), a failure is recorded and the rest go on; the exit code is 0
    when all were fitted, 2 when a curve was bad input, 1 when one failed otherwise."""
    import logging

    from ..errors import InputError, one_line
    from ..guards import check_output, check_output_folder
    from ..limits import check_limit
    from ._common import emit_json

    for name in ("contributions", "repetitions", "bins", "max_steps", "extra_steps", "q_bins"):
        check_limit(name, getattr(args, name))
    if len(args.data) == 1:
        check_output(args.output, option="-o/--output", inputs=[("DATA", args.data[0])])
        _fit_one(args, args.data[0], args.output)
        return 0
    folder = check_output_folder(args.output, option="-o/--output", inputs=[("DATA", d) for d in args.data])
    outputs = _output_names(args.data, folder)
    log = logging.getLogger("saxs.fit")
    failures: list[tuple[str, str, int]] = []
    for data, output in zip(args.data, outputs):
        try:
            check_output(output, option="-o/--output", inputs=[("DATA", d) for d in args.data])
            _fit_one(args, data, output)
        except InputError as error:
            failures.append((data, str(error), 2))
        except Exception as error:  # noqa: BLE001 - a crash on one curve must not lose the others
            failures.append((data, f"{type(error).__name__}: {one_line(error)}", 1))
        else:
            continue
        log.error("%s: not fitted: %s", data, failures[-1][1])
        if args.json:
            emit_json({"data": str(data), "output": None, "error": failures[-1][1]})
    done = len(args.data) - len(failures)
    if args.json:
        emit_json({"fitted": done, "failed": len(failures), "output_folder": str(folder),
                   "failures": {str(d): why for d, why, _ in failures}})
    else:
        print(f"fitted {done} of {len(args.data)} curves into {folder}"
              + (f"; not fitted: {', '.join(str(d) for d, _, _ in failures)}" if failures else ""))
    codes = {code for _, _, code in failures}
    return 1 if 1 in codes else 2 if codes else 0


def _output_names(data, folder):
    """``folder/NAME_fit.h5`` per input (NAME: the file name without its suffix); two inputs with the
    same name are refused before any fit (exit 2)."""
    from pathlib import Path

    from ..errors import InputError

    outputs, seen = [], {}
    for given in data:
        out = Path(folder) / f"{Path(given).stem}_fit.h5"
        if out in seen:
            raise InputError(given, "DATA", f"a file name not used by another input (its result would be {out}, "
                             f"as for {seen[out]})")
        seen[out] = given
        outputs.append(out)
    return outputs


def _fit_one(args, data, output) -> None:
    """Fit one curve ``data`` and write ``output``; warnings and the report name ``data``."""
    import logging
    import warnings

    import h5py
    import numpy as np

    import mcfit

    from ..errors import InputError
    from ..fit_entry import write_fit_entry
    from ..guards import check_curve
    from ..limits import check_fit_memory
    from ..nxcansas import load_profile, write_nxcansas
    from ..profile import q_unit_doubt, q_unit_factor
    from ._common import emit_json

    log = logging.getLogger("saxs.fit")
    profile = check_curve(load_profile(data, q_unit=args.q_unit), data, role="curve to fit")
    check_fit_memory(args.contributions, profile.q_nm.size, file=data)
    q_unit = args.q_unit or "nm^-1"
    if h5py.is_hdf5(data):
        doubt = q_unit_doubt(profile.q_nm, "nm^-1")
        if doubt:
            log.warning("%s: %s: check the file's Q@units", data, doubt)
    else:
        doubt = q_unit_doubt(profile.q_nm, q_unit)
        if doubt:
            other = "A^-1" if q_unit == "nm^-1" else "nm^-1"
            log.warning("%s: %s: if so, give --q-unit %s", data, doubt, other)
    q_range_nm = None
    if args.q_range is not None:
        q_range_nm = tuple(float(v) * q_unit_factor(q_unit) for v in args.q_range)
    if args.drop_zero_sigma:
        zero = profile.sigma == 0
        if zero.any():
            log.warning("%s: dropped %d of %d rows with sigma = 0 (--drop-zero-sigma)", data,
                        int(np.count_nonzero(zero)), profile.n_points)
            profile = profile.select(~zero).replace(provenance={"dropped_zero_sigma_rows": int(np.count_nonzero(zero))})
    if args.contrast is not None and profile.intensity_unit != "1/cm":
        log.warning("%s: intensity is %s, not 1/cm: volume fractions are not absolute despite --contrast",
                    data, profile.intensity_unit)
    from mcfit.kernels import kernels_cached

    if not kernels_cached():
        log.warning("compiling the fit kernels for this machine, once (10-30 s); later runs load them "
                    "from numba's cache")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", mcfit.FitWarning)
            result = mcfit.fit(
                profile.q_nm, profile.intensity, profile.sigma,
                radius_range_nm=args.radius_range, log_radius=args.log_radius, contributions=args.contributions,
                repetitions=args.repetitions, seed=args.seed, convergence=args.convergence,
                max_steps=args.max_steps, stop=args.stop, extra_steps=args.extra_steps, extra_factor=args.extra_factor,
                q_range_nm=q_range_nm, q_bins=args.q_bins, min_rel_sigma=args.min_rel_sigma,
                bins=args.bins, bin_scale="linear" if args.linear_bins else "log", ranges_nm=args.range,
                contrast_1e6_per_A2=args.contrast, poor_fit_chi2_reduced=args.poor_fit_chi2,
                poor_fit_durbin_watson=args.poor_fit_dw)
    except mcfit.FitInputError as error:
        field = _OPTION.get(error.parameter, error.parameter)
        problem = error.problem
        for prefix in ("must be ", "must "):
            if problem.startswith(prefix):
                problem = problem[len(prefix):]
                break
        if error.parameter == "sigma" and "<= 0" in problem and not args.drop_zero_sigma:
            problem += " (--drop-zero-sigma drops rows with sigma = 0)"
        raise InputError(data, field, problem) from None
    for w in caught:
        log.warning("%s: %s", data, w.message)
    if result.quality.poor_fit:
        log.warning("%s: POOR FIT: %s", data, result.quality.poor_fit_reason)
    if result.quality.populations_withheld:
        log.warning("%s: no populations reported: %s", data, result.quality.populations_withheld)

    def extra(h5):
        # the batch's layout: the SASentry /fit with the result in /fit/mcfit (saxs/fit_entry.py)
        write_fit_entry(h5, result, fitted_entry="sasentry01", intensity_unit=profile.intensity_unit,
                        sample=profile.sample)  # opens at the histogram; read as a curve: sasentry01

    write_nxcansas(output, [("sasentry01", profile)], extra=extra)
    if args.json:
        summary = result.summary()
        summary["output"] = str(output)
        summary["data"] = str(data)
        emit_json(summary)
    else:
        print(result.report())
        print(f"written: {output}")
