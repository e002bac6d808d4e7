"""`saxs batch`: a whole beamtime folder from raw frames to findings, locally or on a Dask cluster."""

from __future__ import annotations

from ._common import add_command, emit_json

EXAMPLES = """\
  saxs simulate demo && saxs batch demo -o demo-out          # the example beamtime, local processes
  saxs batch demo -c beamtime.toml -o results --workers 4     # -c: relative to BEAMTIME_DIR
  saxs batch demo -o demo-out --workers 1                     # everything in this process (debugging)
  saxs batch demo -o demo-out --resume                        # finish an interrupted batch
  saxs batch demo -o demo-out --only 'cdse_T2*' --overwrite   # redo some samples
  saxs batch demo -o demo-out --scheduler local --workers 4   # Dask LocalCluster on 127.0.0.1
  saxs batch demo -o demo-out --scheduler tcp://10.0.0.5:8786 # an existing Dask cluster
  saxs batch demo -o demo-out --dry-run --json                # what would run
  saxs batch demo -o demo-out --resume --no-report            # skip report.html (saxs report writes it)
  saxs batch demo -o live --watch --stop-after-idle 5         # during the beamtime (see saxs watch --help)

exit status: 0 everything succeeded; 1 some samples (blanks, series) failed - the summary and
summary.json say which and why, all others were processed; 2 bad beamtime file or options.
"""


def register(subparsers) -> None:
    parser = add_command(
        subparsers, "batch",
        help="process a whole beamtime: reduce, subtract, absolute scale, fit, peaks, series",
        description=(
            "Run every sample of a beamtime folder described by a beamtime TOML file: reduce the raw "
            "frames, screen and average them, subtract the blanks, put the curve on the absolute scale, "
            "fit a Monte Carlo size distribution, find Bragg peaks; then analyse each series (quantized "
            "steps or mesophase peaks). One task per sample on local processes (default), a Dask "
            "LocalCluster or an existing Dask cluster. Writes OUTDIR/samples/*.h5 (NXcanSAS + fit + peaks), "
            "OUTDIR/series/*.h5, OUTDIR/figures/*.png, OUTDIR/summary.json, OUTDIR/batch.log and OUTDIR/report.html "
            "(the beamtime report, see saxs report). A failing "
            "sample is recorded with its reason and the batch goes on."),
        examples=EXAMPLES)
    parser.add_argument("beamtime_dir", metavar="BEAMTIME_DIR", help="the beamtime folder")
    parser.add_argument("-c", "--config", default="beamtime.toml",
                        help="beamtime TOML file, relative to BEAMTIME_DIR unless absolute (default beamtime.toml); "
                        "the paths inside it are relative to its own folder")
    parser.add_argument("-o", "--outdir", required=True, metavar="OUTDIR", help="output folder")
    parser.add_argument("--scheduler", default="none",
                        help="none (local processes, default), local (Dask LocalCluster on 127.0.0.1) or "
                        "tcp://HOST:PORT (an existing Dask scheduler; its workers need saxs-insitu installed "
                        "and the same paths)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: one per CPU core; 1 runs everything in this process)")
    parser.add_argument("--only", nargs="+", metavar="SAMPLE", default=(),
                        help="process only these samples (names or shell patterns)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--resume", action="store_true",
                      help="skip samples whose outputs exist for the same inputs and settings; redo the rest")
    mode.add_argument("--overwrite", action="store_true", help="recompute everything even if OUTDIR has results")
    parser.add_argument("--dry-run", action="store_true", help="say what would run; write nothing")
    parser.add_argument("--no-report", action="store_true",
                        help="do not write OUTDIR/report.html (the beamtime report; saxs report OUTDIR writes it later)")
    parser.add_argument("--no-progress", action="store_true", help="plain log lines even on a terminal")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object on stdout")
    parser.add_argument("--watch", action="store_true",
                        help="keep running and process the files as they land (as saxs watch; see its --help)")
    from .watch import add_watch_options

    add_watch_options(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from ..config import load_beamtime
    from ..guards import check_output_folder
    from ..pipeline.batch import BatchOptions, run_batch
    from ..pipeline.scheduler import parse_scheduler

    if args.watch and not args.dry_run:  # --dry-run plans the beamtime as it is now, as without --watch
        from .watch import run as run_watch

        from ..errors import InputError

        if args.only:
            raise InputError(None, "--only", "no --only with --watch (the watch processes every sample)")
        if args.overwrite:
            raise InputError(None, "--overwrite", "no --overwrite with --watch (it carries on from OUTDIR's results "
                             "as --resume does; give a new OUTDIR to start afresh)")
        return run_watch(args)
    config_path = Path(args.config)
    if not config_path.is_absolute():
        config_path = Path(args.beamtime_dir) / config_path
    check_output_folder(args.outdir, option="-o/--outdir", inputs=[("beamtime", config_path)])
    config = load_beamtime(config_path)
    import os

    workers = args.workers if args.workers is not None else max(1, os.cpu_count() or 1)
    options = BatchOptions(outdir=Path(args.outdir), scheduler=parse_scheduler(args.scheduler), workers=workers,
                           only=tuple(args.only), resume=args.resume, overwrite=args.overwrite,
                           dry_run=args.dry_run, progress=False if args.no_progress else None)
    summary = run_batch(config, options)
    if not args.dry_run and not args.no_report:
        summary["report"] = _write_report(Path(args.outdir), summary)
    if args.json:
        emit_json(summary)
    elif args.dry_run:
        for row in summary["tasks"]:
            reason = f" ({row['reason']})" if row["reason"] else ""
            print(f"{row['kind']:8s} {row['name']:24s} {row['status']}{reason}")
        if summary.get("refused"):
            print(summary["note"])
        else:
            print(f"{summary['to_run']} task(s) to run")
    else:
        c = summary["counts"]
        print(f"{c['done']} sample(s) done, {c['skipped']} up to date, {c['failed']} failed; "
              f"{c['series_done']}/{c['series']} series; results in {summary['outdir']} "
              f"(summary.json, figures/{', report.html' if summary.get('report') else ''})")
        for f in summary["failed"]:
            print(f"FAILED {f['kind']} {f['name']}: {f['reason']}")
        from ..pipeline.notes import format_warnings

        for line in format_warnings(summary.get("warnings", [])):  # counted and shown, not only logged
            print(line)
    if args.dry_run:
        return 0
    return int(summary["exit_code"])


def _write_report(outdir, summary) -> str | None:
    """Write OUTDIR/report.html; a report that cannot be written is a warning, not a failed batch."""
    import logging

    from ..report import write_report

    try:
        return str(write_report(outdir, summary=summary))
    except Exception as exc:  # noqa: BLE001 - the results are written; the report can be redone with saxs report
        logging.getLogger("saxs.batch").warning("report.html not written (%s: %s); run saxs report %s",
                                                type(exc).__name__, exc, outdir)
        return None
