"""`saxs watch` (= `saxs batch --watch`): process a beamtime while it is being measured."""

from __future__ import annotations

from ._common import add_command, emit_json

EXAMPLES = """\
  saxs watch demo -o live                                     # until Ctrl-C; carries on when started again
  saxs batch demo -o live --watch --poll 5 --settle 3         # the same through saxs batch
  saxs watch demo -o live --workers 2 --stop-after-idle 600   # stop after 10 min without new files

Each new sample is processed once its raw files are complete (frames all written, scan ended, size
stable for --settle seconds) and again only when its inputs change (a blank or the absolute standard
measured after it); a series is analysed again when one of its members changes. summary.json,
watch_events.jsonl (one line per processed task, with its latency) and report.html follow along.

exit status: 0 stopped (Ctrl-C, or --stop-after-idle) with every task done; 1 some task failed (see
summary.json); 2 bad beamtime file or options.
"""


def add_watch_options(parser) -> None:
    """The options of the watch (shared by ``saxs watch`` and ``saxs batch --watch``)."""
    group = parser.add_argument_group("watch")
    group.add_argument("--poll", type=float, default=2.0, metavar="S",
                       help="seconds between two looks at the folder (default 2)")
    group.add_argument("--settle", type=float, default=2.0, metavar="S",
                       help="a file counts as complete once its size and time are unchanged this long, and its "
                       "frames and scans are complete (default 2)")
    group.add_argument("--stop-after-idle", type=float, default=None, metavar="S",
                       help="stop once no file has changed and nothing has run for S seconds (default: run until "
                       "Ctrl-C)")
    group.add_argument("--report-refresh", type=float, default=10.0, metavar="S",
                       help="report.html reloads itself every S seconds while the watch runs (default 10)")


def register(subparsers) -> None:
    parser = add_command(
        subparsers, "watch",
        help="process a beamtime as its files land (saxs batch --watch)",
        description=(
            "Keep watching a beamtime folder described by a beamtime TOML file and process each sample as "
            "soon as its raw files are complete, exactly as saxs batch would (same outputs in OUTDIR), "
            "then the series it belongs to. Files still being written are never read. Blanks and "
            "standards measured after their samples are picked up and those samples redone. Ctrl-C stops "
            "cleanly; started again on the same OUTDIR it carries on (the fingerprints of --resume)."),
        examples=EXAMPLES)
    parser.add_argument("beamtime_dir", metavar="BEAMTIME_DIR", help="the beamtime folder")
    parser.add_argument("-c", "--config", default="beamtime.toml",
                        help="beamtime TOML file, relative to BEAMTIME_DIR unless absolute (default beamtime.toml)")
    parser.add_argument("-o", "--outdir", required=True, metavar="OUTDIR", help="output folder")
    parser.add_argument("--scheduler", default="none", help="none (default), local or tcp://HOST:PORT, as saxs batch")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: one per CPU core; 1 runs everything in this process)")
    parser.add_argument("--json", action="store_true", help="print the last summary as one JSON object on stdout")
    add_watch_options(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    import os
    import signal
    from pathlib import Path

    from ..errors import InputError
    from ..pipeline.scheduler import parse_scheduler
    from ..watch.loop import WatchOptions, watch

    config_path = Path(args.config)
    if not config_path.is_absolute():
        config_path = Path(args.beamtime_dir) / config_path
    for name in ("poll", "settle", "report_refresh"):
        if not getattr(args, name) > 0 and not (name == "settle" and getattr(args, name) == 0):
            raise InputError(None, f"--{name.replace('_', '-')}", "a positive number of seconds",
                             got=getattr(args, name))
    workers = args.workers if args.workers is not None else max(1, os.cpu_count() or 1)
    options = WatchOptions(outdir=Path(args.outdir), scheduler=parse_scheduler(args.scheduler), workers=workers,
                           poll_s=args.poll, settle_s=args.settle, stop_after_idle_s=args.stop_after_idle,
                           report_refresh_s=args.report_refresh)

    def terminate(signum, frame):  # SIGTERM (kill, a batch system) stops as Ctrl-C does
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        outcome = watch(config_path, options)
    finally:
        signal.signal(signal.SIGTERM, previous)
    summary = outcome["summary"]
    if args.json:
        emit_json({"watch": {k: v for k, v in outcome.items() if k != "summary"}, "summary": summary})
    else:
        print(f"watch stopped ({outcome['stopped_by']}) after {outcome['cycles']} cycle(s), "
              f"{outcome['processed']} task(s) processed; results in {options.outdir}")
    return int(outcome["exit_code"])
