"""`saxs calibrate absolute`: absolute-intensity factor from glassy carbon (NIST SRM 3600) or water."""

from __future__ import annotations

from ._common import add_command

EXAMPLES = """\
  saxs calibrate absolute reduced/glassy_carbon_scan1_reduced.h5 --standard srm3600 --thickness-mm 1.055 \\
      -o calibrations/absolute.toml
  saxs calibrate absolute reduced/water_scan1_reduced.h5 --standard water --thickness-mm 1.5 \\
      --empty reduced/empty_capillary_eiger2_4m_bin8_00001_00_reduced.h5 --temperature-c 22 -o calibrations/water.toml --json
"""


def register(subparsers) -> None:
    parser = add_command(
        subparsers, "absolute",
        help="absolute-intensity factor from a standard (glassy carbon SRM 3600, water)",
        description=(
            "Fit the reference curve of a standard to its measured, reduced curve (frames screened and "
            "averaged, blank subtracted, divided by the thickness): glassy carbon against the NIST SRM 3600 "
            "certified curve (shipped with saxs), or water (0.01632 1/cm at 20 C, with its temperature "
            "dependence). Writes the factor, its uncertainty and provenance as a versioned TOML that "
            "'saxs subtract --calibration' applies (I in 1/cm)."),
        examples=EXAMPLES,
    )
    parser.add_argument("standard_file", metavar="STANDARD", help="reduced file of the standard")
    parser.add_argument("--standard", required=True, choices=("srm3600", "water"), help="which standard")
    parser.add_argument("--thickness-mm", type=float, metavar="T",
                        help="thickness of the standard, mm (1.055 for the SRM 3600 coupon)")
    parser.add_argument("--empty", metavar="E",
                        help="reduced blank to subtract (empty capillary for water; optional for glassy carbon)")
    parser.add_argument("--temperature-c", type=float, default=20.0, metavar="C", help="water temperature (default 20)")
    parser.add_argument("--q-range-nm", type=float, nargs=2, metavar=("QMIN", "QMAX"),
                        help="q range used, 1/nm (default: SRM 3600 certified range, or 0.3-3 for water)")
    parser.add_argument("--empty-beam", metavar="EB", help="reduced empty beam (monitors -> transmissions)")
    parser.add_argument("--transmission", type=float, metavar="T", help="transmission of the standard")
    parser.add_argument("--empty-transmission", type=float, metavar="T", help="transmission of the blank")
    parser.add_argument("--no-screen", action="store_true", help="average all frames without screening")
    parser.add_argument("--q-unit", default="nm^-1", help="q unit of text inputs (nm^-1 or A^-1)")
    parser.add_argument("-o", "--output", required=True, metavar="NAME.toml", help="calibration TOML to write")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.set_defaults(func=run)


def run(args) -> int:
    import sys

    from ..absolute import calibrate_absolute, save_calibration
    from ..errors import InputError
    from ..guards import check_curve, check_output
    from ._common import emit_json
    from .subtract import load_measurement, transmission_for

    if args.thickness_mm is None:
        raise InputError(args.standard_file, "--thickness-mm", "the thickness of the standard in mm "
                         "(1.055 for the SRM 3600 coupon)")
    check_output(args.output, option="-o/--output", inputs=[
        ("STANDARD", args.standard_file), ("--empty", args.empty), ("--empty-beam", args.empty_beam)])
    opts = dict(screen=not args.no_screen, q_unit=args.q_unit)
    standard, s_screen, s_mon = load_measurement(args.standard_file, **opts)
    empty, e_screen, e_mon = load_measurement(args.empty, **opts) if args.empty else (None, None, None)
    check_curve(standard, args.standard_file, role="standard's curve")
    if empty is not None:
        check_curve(empty, args.empty, role="empty cell's curve", need_signal=False)
    eb_mon = None
    if args.empty_beam:
        _, _, eb_mon = load_measurement(args.empty_beam, screen=False, q_unit=args.q_unit)
    t_std = transmission_for(args.standard_file, s_mon, eb_mon, args.transmission)
    t_empty = transmission_for(args.empty, e_mon, eb_mon, args.empty_transmission) if args.empty else None
    cal = calibrate_absolute(
        standard, standard=args.standard, thickness_mm=args.thickness_mm, temperature_C=args.temperature_c,
        empty=empty, q_range_nm=tuple(args.q_range_nm) if args.q_range_nm else None,
        transmission=t_std, empty_transmission=t_empty,
    )
    path = save_calibration(cal, args.output)
    if not args.json:
        print(f"wrote {path}: factor {cal.factor:.6g} +- {cal.factor_std:.2g} ({100 * cal.rel_std:.2f} %) from "
              f"{cal.standard}, {cal.n_points} points in {cal.q_range_nm[0]:.3g}-{cal.q_range_nm[1]:.3g} 1/nm, "
              f"chi2_red {cal.chi2_red:.3g}", file=sys.stderr)
    else:
        emit_json({
            "calibration": str(path),
            **cal.summary(),
            "frames_used": None if s_screen is None else list(s_screen.used),
            "frames_dropped": None if s_screen is None else {str(k): v for k, v in s_screen.reasons.items()},
        })
    return 0
