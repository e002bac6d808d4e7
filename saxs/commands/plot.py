"""`saxs plot`: redraw a figure of a batch result file (sample or series) from the file alone."""

from __future__ import annotations

from ._common import add_command, emit_json

EXAMPLES = """\
  saxs plot demo-out/samples/cdse_T200.h5 -o T200_fit.png                  # I(q), fit and residuals
  saxs plot demo-out/samples/cdse_T200.h5 -o T200_dist.png --kind distribution
  saxs plot demo-out/series/nucleation_temperature.h5 -o steps.png --kind stacked
  saxs plot demo-out/series/precursor.h5 -o peaks.png --kind peaks
kinds: fit, distribution (sample files); stacked, waterfall, steps, peaks (series files)
"""


def register(subparsers) -> None:
    parser = add_command(
        subparsers, "plot", help="draw a figure from a batch result file",
        description="Draw a figure (PNG) from a sample result (samples/NAME.h5: I(q) with fit and residuals, "
        "size distribution with the observability limit) or a series summary (series/NAME.h5: stacked "
        "distributions, I(q) waterfall, population radii and families, Bragg peak intensity vs the "
        "series variable), reading nothing but that file.",
        examples=EXAMPLES)
    parser.add_argument("result", metavar="RESULT.h5", help="a sample or series file written by saxs batch")
    parser.add_argument("-o", "--output", required=True, metavar="FIG.png", help="figure file (PNG, written atomically)")
    parser.add_argument("--kind", default=None,
                        choices=("fit", "distribution", "stacked", "waterfall", "steps", "peaks"),
                        help="which figure (default: fit for a sample, stacked for a series)")
    parser.add_argument("--dpi", type=int, default=110, help="resolution (default 110)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.set_defaults(func=run)


def run(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from ..pipeline import results
    from ..plotting import save_figure

    kinds = results.kinds_for(args.result)
    kind = args.kind or kinds[0]
    fig = results.figure(args.result, kind)
    save_figure(fig, args.output, dpi=args.dpi)
    if args.json:
        emit_json({"input": args.result, "output": args.output, "kind": kind, "kinds": list(kinds)})
    return 0
