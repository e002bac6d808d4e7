"""`saxs peaks`: Bragg peaks, mesophase indexing and peak tracking across a series."""

from __future__ import annotations

from ._common import add_command

EXAMPLES = """\
  saxs peaks demo-out/samples/precursor_T025.h5 --q-range 0.5 6 --json
  saxs peaks demo-out/samples/precursor_T*.h5 --by temperature_C
  saxs peaks demo-out/samples/precursor_T*.h5 --by temperature --json   # alias of temperature_C
  saxs peaks reduced/precursor_T*_scan1_reduced.h5 --values 25 50 100 -o peaks.h5   # reduce outputs, values given
"""

DESCRIPTION = """\
Find sharp (Bragg) peaks above a smooth background, fit each (Gaussian + baseline, lmfit) and keep
those with area / sigma(area) >= --min-significance and FWHM / q <= --max-rel-fwhm (broader
features are the particles' form factor or correlation maxima). Index the peaks as lamellar,
2D hexagonal or cubic (Im3m, Ia3d, Pn3m, Fm3m, Fd3m, Pm3n) by their q ratios and report the
lattice parameter (lamellar d = 2 pi / q1) from a weighted fit of all indexed orders. Broad
maxima of the background are listed apart (broad_maxima), never as peaks.

With several files, peaks are tracked across them: the series value of each file comes from
--values, or from --by KEY, or else the file order (0, 1, 2, ...). KEY is a numeric key the
file carries: the sample metadata of a 'saxs batch' file (e.g. temperature_C), the NXcanSAS
sample temperature (as temperature_C), or a provenance value of 'saxs reduce' / 'saxs subtract'
(e.g. exposure_s, i1, geometry/distance_mm). Alias: a KEY without its unit suffix reads the one
key that adds it (temperature -> temperature_C), and says so on stderr. An unknown KEY is an
error (exit 2) that lists the keys the file has. Each track gives its area +- sigma per file and 'vanishes_at', the first
series value from which on the peak is no longer significant (melting).

JSON (--json): {"files": [{"file", "peaks": [{"q_nm", "q_nm_std", "fwhm_nm", "area",
"significance", "order", ...}], "phase": {"type", "d_nm", "d_nm_std", "orders", "unexplained", ...} or null,
"broad_maxima": [{"q_nm", ...}]}], "tracks": [{"q_nm", "values", "area", "area_std", "present",
"vanishes_at"}], "series_key"}. Phase orders: lamellar n; hexagonal h^2+hk+k^2; cubic h^2+k^2+l^2.
d_nm is the lattice parameter: lamellar d = 2 pi n / q_n; hexagonal a = 4 pi sqrt(N) / (sqrt(3) q);
cubic a = 2 pi sqrt(N) / q. A peak's "order" is null when the phase does not explain it.
"""


def register(subparsers) -> None:
    parser = add_command(subparsers, "peaks", help="Bragg peaks, mesophase indexing, tracking across a series",
                         description=DESCRIPTION, examples=EXAMPLES)
    parser.add_argument("data", nargs="+", metavar="DATA", help="NXcanSAS HDF5, ID02 *_ave.h5 or 3-column text curves")
    parser.add_argument("--q-unit", default=None, metavar="UNIT",
                        help="unit of q in text files: nm^-1 (default) or A^-1 (NXcanSAS files carry their own)")
    parser.add_argument("--q-range", nargs=2, type=float, metavar=("MIN", "MAX"), default=None,
                        help="use only MIN <= q <= MAX, in the --q-unit when given, else in 1/nm")
    parser.add_argument("--min-significance", type=float, default=5.0, metavar="S",
                        help="smallest accepted area / sigma(area) of a peak (default 5)")
    parser.add_argument("--max-rel-fwhm", type=float, default=0.15, metavar="W",
                        help="largest accepted FWHM / q of a Bragg peak (default 0.15)")
    parser.add_argument("--ratio-tolerance", type=float, default=0.005, metavar="R",
                        help="relative tolerance of a peak's match to a phase's reflection, on top of 3 fitted "
                             "standard deviations (default 0.005)")
    series = parser.add_mutually_exclusive_group()
    series.add_argument("--by", metavar="KEY", default=None,
                        help="series value of each file from its metadata (e.g. temperature_C; 'temperature' is its alias); "
                             "an unknown KEY lists the keys the file has")
    series.add_argument("--values", nargs="+", type=float, metavar="V", default=None,
                        help="series value of each DATA file, in order")
    parser.add_argument("-o", "--output", metavar="OUT.h5", default=None, help="write peaks, phases, tracks (HDF5)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.set_defaults(func=run)


def _order_of(q_nm: float, phase) -> int | None:
    """The phase's order N of the peak at ``q_nm``, or None when the peak is not indexed."""
    if phase is None:
        return None
    for q, order in zip(phase.indexed_q_nm, phase.orders):
        if q == q_nm:
            return int(order)
    return None


def run(args) -> int:
    import logging
    import sys

    from ..bragg import PeakSettings, find_peaks, index_peaks, track_peaks
    from ..errors import InputError
    from ..guards import check_output
    from ..nxcansas import load_profile
    from ._common import emit_json

    log = logging.getLogger("saxs.peaks")
    if args.output is not None:
        check_output(args.output, option="-o/--output", inputs=[("DATA", p) for p in args.data])
    if args.values is not None and len(args.values) != len(args.data):
        raise InputError(None, "--values", f"{len(args.data)} numbers, one per DATA file", got=len(args.values))
    settings = PeakSettings(min_significance=args.min_significance, max_rel_fwhm=args.max_rel_fwhm)
    if not (0 < args.ratio_tolerance < 0.1):
        raise InputError(None, "--ratio-tolerance", "a relative tolerance between 0 and 0.1", got=args.ratio_tolerance)
    q_range = None
    if args.q_range is not None:
        if not args.q_range[0] < args.q_range[1]:
            raise InputError(None, "--q-range", "MIN < MAX", got=f"{args.q_range[0]:g} {args.q_range[1]:g}")
        factor = 1.0
        if args.q_unit is not None:
            from ..profile import q_unit_factor

            try:
                factor = q_unit_factor(args.q_unit)
            except ValueError:
                raise InputError(None, "--q-unit", "nm^-1 or A^-1", got=args.q_unit) from None
        q_range = (args.q_range[0] * factor, args.q_range[1] * factor)  # in 1/nm from here on

    resolved = []
    if args.by is not None:  # before any work: an unknown key is bad input
        from ..metadata import resolve_series_key

        resolved = [resolve_series_key(path, args.by) for path in args.data]
        for path, r in zip(args.data, resolved):
            if r.alias:
                print(f"saxs peaks: {path}: --by {args.by} reads '{r.key}' ({r.location}), its alias",
                      file=sys.stderr)

    profiles, searches, phases = [], [], []
    for path in args.data:
        profile = load_profile(path, q_unit=args.q_unit)
        search = find_peaks(profile, settings=settings, q_range=q_range, source=str(path))
        phase = index_peaks(search.peaks, ratio_tolerance=args.ratio_tolerance)
        log.info("%s: %d peak(s), phase %s", path, len(search.peaks), phase.type if phase else None)
        profiles.append(profile)
        searches.append(search)
        phases.append(phase)

    if args.values is not None:
        values, series_key = [float(v) for v in args.values], "values"
    elif args.by is not None:
        values = [r.value for r in resolved]
        read = sorted({r.key for r in resolved})
        series_key = read[0] if len(read) == 1 else args.by  # the key read (temperature_C for its alias)
    else:
        values, series_key = [float(k) for k in range(len(args.data))], "index"
    tracks = track_peaks(profiles, searches, values) if len(args.data) > 1 else []

    if args.output is not None:
        from ..bragg.store import write_peaks_h5

        write_peaks_h5(args.output, searches, phases, tracks, files=[str(p) for p in args.data],
                       series_key=series_key if len(args.data) > 1 else None)

    if args.json:
        emit_json({
            "files": [
                {
                    "file": str(path),
                    "peaks": [dict(p.as_dict(), order=_order_of(p.q_nm, phase)) for p in search.peaks],
                    "phase": phase.as_dict() if phase is not None else None,
                    "broad_maxima": [b.as_dict() for b in search.broad_maxima],
                    "settings": {"min_significance": settings.min_significance, "max_rel_fwhm": settings.max_rel_fwhm,
                                 "ratio_tolerance": args.ratio_tolerance,
                                 "q_range_nm": list(q_range) if q_range else None},
                }
                for path, search, phase in zip(args.data, searches, phases)
            ],
            "tracks": [t.as_dict() for t in tracks],
            "series_key": series_key if len(args.data) > 1 else None,
            "output": args.output,
        })
    else:
        for path, search, phase in zip(args.data, searches, phases):
            print(f"{path}: {search.summary()}")
            if phase is not None:
                print(f"  phase {phase.type}: d = {phase.d_nm:.5g} +- {phase.d_nm_std:.2g} nm, "
                      f"orders {list(phase.orders)}, unexplained {[round(q, 4) for q in phase.unexplained_q_nm]}")
            else:
                print("  no phase indexed")
        for t in tracks:
            print(f"track q = {t.q_nm:.4g} 1/nm: present {list(t.present)} at {list(t.values)} ({series_key}); "
                  f"vanishes at {t.vanishes_at}")
    return 0
