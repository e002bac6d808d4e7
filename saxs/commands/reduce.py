"""`saxs reduce`: raw ID02 frames (LIMA HDF5 / EDF) -> corrected, integrated I(q) -> NXcanSAS."""

from __future__ import annotations

from .. import defaults as d
from ._common import add_command

EXAMPLES = """\
  saxs reduce demo/raw/cdse_T220_0000.h5 -o reduced-header/          # geometry from the raw header
  saxs reduce demo/raw/cdse_T2*.h5 demo/raw/precursor_T*.h5 demo/raw/solvent_ode_0000.h5 demo/raw/empty_*.h5 \\
      demo/raw/glassy_carbon_0000.h5 demo/raw/water_0000.h5 --poni demo/calibrations/geometry.poni \\
      --mask demo/calibrations/mask.edf --dark demo/raw/dark_0000.h5 --flat demo/calibrations/flat.edf \\
      --npt 400 -o reduced/ --json                 # not the dark itself: it has no monitor to divide by
  saxs reduce demo/raw/water_0000.h5 --poni demo/calibrations/geometry.poni --normalize i0 --i0 125000 \\
      -o reduced-i0/                                    # a given incident monitor (EDF files alike)
"""


def register(subparsers) -> None:
    parser = add_command(
        subparsers, "reduce",
        help="raw frames -> corrected, azimuthally integrated I(q) (NXcanSAS)",
        description=(
            "Correct (dark, flat, mask, absolute solid angle, polarisation, monitor) and azimuthally "
            "integrate every frame of each raw file with pyFAI; average the frames. Writes OUTDIR/"
            "<stem>_reduced.h5 per input: one NXcanSAS SASentry per frame plus the average (the "
            "root @default), and an I(t, q) NXdata; prints each file written on stdout (--json: the summary). I is in arbitrary units: counts per steradian "
            "per monitor count x NormalizationFactor. A file that fails is reported and skipped; the "
            "exit code is then non-zero."),
        examples=EXAMPLES,
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="raw LIMA .h5 or EDF files")
    parser.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output folder")
    parser.add_argument("--poni", metavar="P", help="pyFAI PONI file (overrides the header geometry)")
    parser.add_argument("--mask", metavar="M", help="mask image (EDF/TIFF/.npy, nonzero = masked)")
    parser.add_argument("--dark", metavar="D", help="dark stack (raw file; per-pixel median) or .npy image")
    parser.add_argument("--flat", metavar="F", help="flat-field image (relative efficiency)")
    parser.add_argument("--npt", type=int, default=d.NPT, metavar="N",
                        help=f"number of q bins (default {d.NPT}, as the batch)")
    parser.add_argument("--normalize", choices=("i1", "i0", "none"), default="i1",
                        help="monitor to divide by (default i1, the transmitted flux)")
    parser.add_argument("--i0", type=float, help="explicit incident monitor value (all frames)")
    parser.add_argument("--i1", type=float, help="explicit transmitted monitor value (all frames)")
    parser.add_argument("--polarization", type=float, metavar="P",
                        help="pyFAI polarisation factor (default: header polarization_factor or 0.99)")
    parser.add_argument("--average-uncertainty", choices=("poisson", "max"), default="poisson",
                        help="uncertainty of the frame average: propagated Poisson (default) or the larger "
                             "of that and the frame-to-frame scatter")
    parser.add_argument("--dark-statistic", choices=d.DARK_STATISTICS, default=d.DARK_STATISTIC,
                        help=f"per-pixel statistic of the dark stack (default {d.DARK_STATISTIC}, as the batch; "
                             "clipped_mean is unbiased for darks of a few counts and still rejects zingers)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.set_defaults(func=run)


def run(args) -> int:
    import logging
    import sys
    from pathlib import Path

    from ..errors import InputError
    from ..reduce import ReductionOptions, default_output_name, reduce_file, write_reduced
    from ._common import emit_json

    log = logging.getLogger("saxs.reduce")
    options = ReductionOptions(
        poni=args.poni, mask=args.mask, dark=args.dark, flat=args.flat, npt=args.npt,
        polarization_factor=args.polarization, normalize=args.normalize, i0=args.i0, i1=args.i1,
        average_uncertainty=args.average_uncertainty, dark_statistic=args.dark_statistic,
    )
    for name in ("poni", "mask", "dark", "flat"):
        value = getattr(options, name)
        if value is not None and not value.is_file():
            raise InputError(value, "file", f"an existing {name} file (--{name})", got="no such file")
    outdir = Path(args.output)
    if outdir.exists() and not outdir.is_dir():
        raise InputError(outdir, "-o/--output", "a folder", got="an existing file")

    files = [Path(f) for f in args.files]
    names = [default_output_name(f) for f in files]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(None, "FILES", "inputs with distinct names (outputs would overwrite each other)",
                         got=duplicates)
    progress = None
    if not args.json and sys.stderr.isatty() and len(files) > 1:
        from tqdm import tqdm

        progress = tqdm(total=len(files), unit="file", file=sys.stderr)
    outputs, failures = [], []
    bad_input = internal = 0
    for path, name in zip(files, names):
        try:
            reduced = reduce_file(path, options)
            out = write_reduced(reduced, outdir / name)
            outputs.append({"input": str(path), "output": str(out), "frames": reduced.n_frames,
                            "frames_used": reduced.frames_used, "warnings": list(reduced.warnings)})
            log.info("%s -> %s (%d/%d frames)", path, out, reduced.frames_used, reduced.n_frames)
            if not args.json:  # say what was written, one line per file, as it is written
                print(f"wrote {out} ({reduced.frames_used}/{reduced.n_frames} frames, {options.npt} q bins)",
                      flush=True)
        except InputError as exc:
            bad_input += 1
            failures.append({"input": str(path), "error": str(exc), "kind": "input"})
            print(f"saxs reduce: error: {exc}", file=sys.stderr)
        except Exception as exc:  # noqa: BLE001 - a batch records the failure and carries on
            internal += 1
            message = " ".join(str(exc).split()) or type(exc).__name__
            failures.append({"input": str(path), "error": f"{type(exc).__name__}: {message}", "kind": "internal"})
            print(f"saxs reduce: internal error on {path}: {type(exc).__name__}: {message}", file=sys.stderr)
            log.debug("traceback", exc_info=True)
        if progress is not None:
            progress.update(1)
    if progress is not None:
        progress.close()
    if args.json:
        emit_json({"outputs": outputs, "failures": failures})
    elif failures:
        print(f"saxs reduce: {len(failures)} of {len(files)} file(s) failed", file=sys.stderr)
    if internal:
        return 1
    if bad_input:
        return 2
    return 0
