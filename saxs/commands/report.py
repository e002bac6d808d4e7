"""`saxs report`: the beamtime report (one self-contained HTML page) of a batch output folder."""

from __future__ import annotations

from ._common import add_command, emit_json

EXAMPLES = """\
  saxs report demo-out                        # writes demo-out/report.html; open it in any browser
  saxs report demo-out --refresh 30           # the page reloads itself every 30 s (during a beamtime)
  saxs report demo-out --json                 # {"report": "demo-out/report.html", ...}
"""


def register(subparsers) -> None:
    parser = add_command(
        subparsers, "report",
        help="write OUTDIR/report.html: the beamtime at a glance, a sortable sample table, series findings",
        description=(
            "Write OUTDIR/report.html from a batch output folder (summary.json, samples/, series/, "
            "figures/): the beamtime at a glance (counts, failures and why, warnings by kind, settings, "
            "software versions, seed), a sortable sample table (populations +- spread, both reduced chi2, "
            "poor-fit flags, frames, transmission, peaks, phase) linking to each sample's figures, each "
            "series' conclusions in plain words with its figures, and the model assumptions they rest on. "
            "One self-contained page: figures embedded, no network; it opens from a USB stick. "
            "saxs batch writes it at its end unless given --no-report."),
        examples=EXAMPLES)
    parser.add_argument("outdir", metavar="OUTDIR", help="a saxs batch output folder")
    parser.add_argument("--refresh", type=int, default=None, metavar="SECONDS",
                        help="make the page reload itself every SECONDS seconds")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from ..errors import InputError
    from ..report import write_report

    if args.refresh is not None and args.refresh <= 0:
        raise InputError(None, "--refresh", "a positive number of seconds", got=args.refresh)
    if not Path(args.outdir).is_dir():
        raise InputError(args.outdir, "OUTDIR", "a saxs batch output folder")
    path = write_report(args.outdir, refresh_seconds=args.refresh)
    if args.json:
        emit_json({"report": str(path), "bytes": path.stat().st_size})
    else:
        print(f"written: {path}")
    return 0
