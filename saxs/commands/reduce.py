"""`saxs reduce`: raw ID02 frames (BLISS master / LIMA HDF5 / EDF) -> corrected, integrated I(q) -> NXcanSAS."""

from __future__ import annotations

from .. import defaults as d
from ._common import add_command

EXAMPLES = """\
  saxs reduce demo/raw/cdse_T220.h5 -o reduced-header/      # a BLISS master file (every scan); header geometry
  saxs reduce demo/raw/cdse_T2?0.h5 demo/raw/precursor_T???.h5 demo/raw/solvent_ode_eiger2_4m_bin8_00001_00.h5 \\
      demo/raw/empty_*_eiger2_4m_bin8_00001_00.h5 demo/raw/glassy_carbon.h5 demo/raw/water.h5 \\
      --poni demo/calibrations/geometry.poni --mask demo/calibrations/mask.edf \\
      --dark demo/raw/dark_eiger2_4m_bin8_00001_00.h5 --flat demo/calibrations/flat.edf --npt 400 -o reduced/ --json
  saxs reduce demo/raw/cdse_T220.h5 --scan 1 -o reduced-scan1/                  # one scan of a master file
  saxs reduce demo/raw/solvent_ode_eiger2_4m_bin8_00001_00.h5 --scalers demo/raw/solvent_ode_scalers_00001_00.h5 \\
      -o reduced-scalers/               # a LIMA file and its scalers file (found beside it by name by default)
  saxs reduce demo/raw/dark_eiger2_4m_bin8_00001_00.h5 --no-monitor -o reduced-dark/        # unnormalised: exposure time only
  saxs reduce demo/raw/water.h5 --poni demo/calibrations/geometry.poni --normalize i0 --i0 125000 \\
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
            "root @default), and an I(t, q) NXdata; a BLISS master file gives <stem>_scan<N>_reduced.h5 "
            "per scan; prints each file written on stdout (--json: the summary). I is in arbitrary units: counts per steradian per monitor count x "
            "NormalizationFactor (ID02's normalisation). The monitor is the counter that the header's "
            "HSI1 names (pin number or counter name), from the master file's measurement/ or the LIMA "
            "file's scalers file, as recorded: HSI1Factor and the shutter correction are not applied "
            "(as ewoksid02). A file without monitors is an error unless --no-monitor. Masks, flats and "
            "darks at full detector resolution are rebinned to binned frames (BSize_1/2). A file that "
            "fails is reported and skipped; the exit code is then non-zero."),
        examples=EXAMPLES,
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="BLISS master .h5, LIMA .h5 or EDF files")
    parser.add_argument("--scan", type=int, metavar="N", help="scan of a BLISS master file (default: every scan)")
    parser.add_argument("--scalers", metavar="FILE",
                        help="scalers file of a LIMA file (default: <name>_scalers_<scan>_<sub>.h5 beside it)")
    parser.add_argument("--no-monitor", action="store_true",
                        help="do not read monitors: divide by the exposure time only (unnormalised by flux)")
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
    from ..guards import check_output, check_output_folder
    from ..limits import check_limit
    from ..id02 import list_scans
    from ..id02.crash import crash_error
    from ..pipeline.isolate import Died, IsolatedPool
    from ..reduce import ReductionOptions, default_output_name
    from ._common import emit_json

    log = logging.getLogger("saxs.reduce")
    check_limit("npt", args.npt)
    options = ReductionOptions(
        poni=args.poni, mask=args.mask, dark=args.dark, flat=args.flat, npt=args.npt,
        polarization_factor=args.polarization, normalize=args.normalize, i0=args.i0, i1=args.i1,
        average_uncertainty=args.average_uncertainty, dark_statistic=args.dark_statistic,
        scalers=args.scalers, no_monitor=args.no_monitor,
    )
    for name in ("poni", "mask", "dark", "flat", "scalers"):
        value = getattr(options, name)
        if value is not None and not value.is_file():
            raise InputError(value, "file", f"an existing {name} file (--{name})", got="no such file")
    outdir = check_output_folder(args.output, option="-o/--output",
                                 inputs=[("FILES", f) for f in args.files])

    files = [Path(f) for f in args.files]
    if options.scalers is not None and len(files) != 1:
        raise InputError(options.scalers, "--scalers", "one LIMA file to reduce with it", got=f"{len(files)} files")
    tasks, failures = [], []
    for path in files:       # (file, scan): every scan of a master file unless --scan
        try:
            scans = list_scans(path) if path.is_file() else None
        except InputError:
            scans = None     # reduce_file names the problem
        if scans is None:
            if args.scan is not None and path.is_file():
                raise InputError(path, "--scan", "a BLISS master file (only master files hold scans)",
                                 got=f"--scan {args.scan}")
            tasks.append((path, None))
        elif args.scan is not None:
            tasks.append((path, args.scan))
        else:
            tasks.extend((path, n) for n in scans)
    names = [default_output_name(f, scan=n) for f, n in tasks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(None, "FILES", "inputs with distinct names (outputs would overwrite each other)",
                         got=duplicates)
    inputs = [("FILES", f) for f in files] + [(f"--{n}", getattr(options, n)) for n in ("poni", "mask", "dark", "flat",
                                                                                           "scalers")]
    for name in names:  # a raw file named like an output in OUTDIR must not be replaced by it
        check_output(outdir / name, option="-o/--output", inputs=inputs)
    progress = None
    if not args.json and sys.stderr.isatty() and len(tasks) > 1:
        from tqdm import tqdm

        progress = tqdm(total=len(tasks), unit="file", file=sys.stderr)
    outputs = []

    def take(index: int, result) -> None:
        """Record one file's outcome as it arrives from the worker."""
        path, scan = tasks[index]
        if isinstance(result, Died):  # the reader crashed in native code (a corrupted chunk): file and frame
            error = crash_error(path, result.doing, result.how)
            if options.dark is not None and error.file is not None and Path(error.file) == Path(options.dark):
                raise error  # every file needs the dark: one line, exit 2
            result = {"error": str(error), "kind": "input"}
        elif isinstance(result, BaseException):
            result = {"error": f"{type(result).__name__}: {result}", "kind": "internal"}
        if "error" in result:
            failures.append({"input": str(path), "error": result["error"], "kind": result["kind"]})
            if result["kind"] == "internal" and not result.get("file_system"):
                print(f"saxs reduce: internal error on {path}: {result['error']}", file=sys.stderr)
            else:
                print(f"saxs reduce: error: {result['error']}", file=sys.stderr)
        else:
            outputs.append(result)
            log.info("%s -> %s (%d/%d frames)", path, result["output"], result["frames_used"], result["frames"])
            if not args.json:  # say what was written, one line per file, as it is written
                print(f"wrote {result['output']} ({result['frames_used']}/{result['frames']} frames, "
                      f"{options.npt} q bins)", flush=True)
        if progress is not None:
            progress.update(1)

    # One spawned worker reduces the files in turn (integrator, dark and static corrections cached in
    # it): a reader that crashes in native code fails its file, named with the frame, and a fresh
    # worker takes the rest (saxs.pipeline.isolate). Nothing is decoded twice.
    with IsolatedPool(1) as pool:
        pool.map(_reduce_task, [(path, scan, options, outdir / name) for (path, scan), name in zip(tasks, names)],
                 take)
    if progress is not None:
        progress.close()
    if args.json:
        emit_json({"outputs": outputs, "failures": failures})
    elif failures and len(tasks) > 1:
        print(f"saxs reduce: {len(failures)} of {len(tasks)} file(s) failed", file=sys.stderr)
    kinds = {f["kind"] for f in failures}
    return 1 if "internal" in kinds else 2 if kinds else 0


def _reduce_task(item) -> dict:
    """Reduce one file and write its output, in the worker: the record of what was written, or
    ``{"error": ..., "kind": "input" | "internal"}`` (``"file_system": True`` for a full disk or a
    read-only folder, said in one plain line) (the worker never raises)."""
    import logging

    from ..errors import InputError, one_line
    from ..guards import file_system_error
    from ..reduce import reduce_file, write_reduced

    path, scan, options, out_path = item
    try:
        reduced = reduce_file(path, options, scan=scan)
        out = write_reduced(reduced, out_path)
    except InputError as exc:
        return {"error": str(exc), "kind": "input"}
    except Exception as exc:  # noqa: BLE001 - a batch records the failure and carries on
        known = file_system_error(exc) if isinstance(exc, OSError) else None
        if known is not None:  # a full disk (exit 1), a read-only folder (exit 2): one line
            return {"error": known[1], "kind": "input" if known[0] == 2 else "internal", "file_system": True}
        logging.getLogger("saxs.reduce").debug("traceback", exc_info=True)
        return {"error": f"{type(exc).__name__}: {one_line(exc)}", "kind": "internal"}
    record = {"input": str(path), "output": str(out), "frames": reduced.n_frames,
              "frames_used": reduced.frames_used, "warnings": list(reduced.warnings)}
    if scan is not None:
        record["scan"] = scan
    return record
