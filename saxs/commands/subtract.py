"""`saxs subtract`: screen frames, subtract the solvent (and empty capillary), divide by thickness, scale to 1/cm."""

from __future__ import annotations

from ._common import add_command

EXAMPLES = """\
  saxs subtract reduced/cdse_T220_scan1_reduced.h5 --solvent reduced/solvent_ode_eiger2_4m_bin8_00001_00_reduced.h5 \\
      --thickness-mm 1.5 --calibration demo-out/calibration/absolute.toml -o subtracted/cdse_T220.h5
  saxs subtract reduced/cdse_T220_scan1_reduced.h5 --solvent reduced/solvent_ode_eiger2_4m_bin8_00001_00_reduced.h5 \\
      --empty reduced/empty_capillary_eiger2_4m_bin8_00001_00_reduced.h5 --volume-fraction 0.003 --thickness-mm 1.5 \\
      --empty-beam reduced/empty_beam_eiger2_4m_bin8_00001_00_reduced.h5 -o out.h5 --json
  saxs subtract reduced/solvent_ode_eiger2_4m_bin8_00001_00_reduced.h5 --solvent reduced/empty_capillary_eiger2_4m_bin8_00001_00_reduced.h5 \\
      --thickness-mm 1.5 -o solvent_own.h5                            # the solvent's own scattering
"""


def register(subparsers) -> None:
    parser = add_command(
        subparsers, "subtract",
        help="subtract blanks, divide by thickness, put on the absolute scale (1/cm)",
        description=(
            "Screen the frames of each reduced file (chi-square of every frame against the median of the "
            "others; outliers such as bubbles are dropped with a reason), average the rest, then compute "
            "(sample - (1 - phi) solvent - phi empty) / thickness, each curve per its own transmitted flux "
            "(curves normalised by I0 are divided by their transmission). With --calibration the result is "
            "in 1/cm. Negative values are kept and counted. Inputs are files from 'saxs reduce', ID02's own "
            "*_ave.h5 files (dahu, ewoksid02; frames screened alike, masked bins dropped; without "
            "data_errors the frame-to-frame scatter is the uncertainty, with a warning), or any NXcanSAS / "
            "3-column text curve, used as is. Writes one NXcanSAS file."),
        examples=EXAMPLES,
    )
    parser.add_argument("sample", metavar="SAMPLE", help="reduced sample file")
    parser.add_argument("--solvent", required=True, metavar="S", help="reduced solvent-filled capillary (same cell)")
    parser.add_argument("--empty", metavar="E", help="reduced empty capillary (used with --volume-fraction)")
    parser.add_argument("--thickness-mm", type=float, metavar="T", help="sample thickness (path length), mm")
    parser.add_argument("--thickness-sigma-mm", type=float, default=0.0, metavar="DT",
                        help="uncertainty of the thickness, mm (recorded as a scale uncertainty)")
    parser.add_argument("--volume-fraction", type=float, metavar="PHI",
                        help="particle volume fraction: the solvent is scaled by 1 - PHI (needs --empty)")
    parser.add_argument("--calibration", metavar="C", help="absolute calibration TOML (saxs calibrate absolute)")
    parser.add_argument("--empty-beam", metavar="EB",
                        help="reduced empty-beam file: its monitors give the transmissions T = (I1/I0)/(I1/I0)_EB")
    parser.add_argument("--transmission", type=float, metavar="T", help="sample transmission (overrides monitors)")
    parser.add_argument("--solvent-transmission", type=float, metavar="T", help="solvent transmission")
    parser.add_argument("--empty-transmission", type=float, metavar="T", help="empty-capillary transmission")
    parser.add_argument("--no-screen", action="store_true", help="average all frames without screening")
    parser.add_argument("--alpha", type=float, default=1e-3,
                        help="false-alarm probability of the frame screening per file (default 1e-3)")
    parser.add_argument("--error-model", choices=("poisson", "max"), default="poisson",
                        help="uncertainty of the frame average (default poisson)")
    parser.add_argument("--q-unit", default="nm^-1", help="q unit of text inputs (nm^-1 or A^-1)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="output NXcanSAS file")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.set_defaults(func=run)


def load_measurement(path, *, screen: bool = True, alpha: float = 1e-3, error_model: str = "poisson",
                     q_unit: str = "nm^-1"):
    """Load a reduced file: screened frame average, screening result (or None), monitors (or None).

    Files written by ``saxs reduce`` (an ``average`` entry plus ``frame####`` entries) and ID02's
    own ``*_ave.h5`` (or another program's 1-D NXdata: no monitors then) are screened frame by
    frame; any other NXcanSAS or text curve is used as it is.

    Returns
    -------
    (Profile1D, ScreenResult or None, (i0, i1) arrays or None)
        The monitors are those of the frames averaged.
    """
    from pathlib import Path

    import h5py
    import numpy as np

    from ..errors import InputError
    from ..guards import missing_file_reason
    from ..nxcansas import list_entries, load_profile
    from ..reduce import AVERAGE_ENTRY, read_reduced
    from ..screen import average_frames, screen_frames
    from ..transmission import monitors_from_provenance

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file", "an existing reduced file", got=missing_file_reason(path))
    if h5py.is_hdf5(path) and AVERAGE_ENTRY in list_entries(path):
        reduced = read_reduced(path)
        frames = list(reduced.frames)
        monitors = [monitors_from_provenance(f.provenance) for f in frames]
        have = all(m is not None for m in monitors)
        ratios = [float(m[1].sum() / m[0].sum()) for m in monitors] if have else None
        if not frames:
            return reduced.average.replace(provenance={"reduced_file": str(path)}), None, None
        if screen:
            result = screen_frames(frames, alpha=alpha, error_model=error_model, transmissions=ratios)
            keep, average = result.keep, result.average
        else:
            result, keep = None, (True,) * len(frames)
            average = average_frames(frames, error_model=error_model)
        mon = None
        if have:
            mon = (np.concatenate([m[0] for m, k in zip(monitors, keep) if k]),
                   np.concatenate([m[1] for m, k in zip(monitors, keep) if k]))
        return average.replace(provenance={"reduced_file": str(path)}), result, mon
    from ..id02.processed import is_processed_file, load_processed_average

    if is_processed_file(path):  # ID02 *_ave.h5 (dahu, ewoksid02) or a plain NXdata: frames screened too
        average, result = load_processed_average(path, screen=screen, alpha=alpha, error_model=error_model)
        return average.replace(provenance={"reduced_file": str(path)}), result, None
    profile = load_profile(path, q_unit=q_unit)
    return profile, None, monitors_from_provenance(profile.provenance)


def transmission_for(label, monitors, empty_beam_monitors, given):
    """A Transmission from a given value, or from the monitors and the empty beam's, or None."""
    from ..transmission import transmission_from_monitors, transmission_given

    if given is not None:
        return transmission_given(given, file=label)
    if monitors is not None and empty_beam_monitors is not None:
        return transmission_from_monitors(monitors[0], monitors[1], empty_beam_monitors[0], empty_beam_monitors[1],
                                          file=label)
    return None


def _entry_name(name: str) -> str:
    import re

    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", name.split(" (")[0]).strip("_.")
    return cleaned or "sample"


def run(args) -> int:
    import sys
    from pathlib import Path

    from ..absolute import load_calibration
    from ..errors import InputError
    from ..guards import check_curve, check_output
    from ..nxcansas import write_nxcansas
    from ..subtract import subtract_blank
    from ._common import emit_json

    if args.thickness_mm is None:
        raise InputError(args.sample, "--thickness-mm", "the sample thickness in mm (path length through the sample)")
    check_output(args.output, option="-o/--output", inputs=[
        ("SAMPLE", args.sample), ("--solvent", args.solvent), ("--empty", args.empty),
        ("--empty-beam", args.empty_beam), ("--calibration", args.calibration)])
    calibration = load_calibration(args.calibration) if args.calibration else None
    opts = dict(screen=not args.no_screen, alpha=args.alpha, error_model=args.error_model, q_unit=args.q_unit)
    sample, s_screen, s_mon = load_measurement(args.sample, **opts)
    solvent, b_screen, b_mon = load_measurement(args.solvent, **opts)
    empty, e_screen, e_mon = (load_measurement(args.empty, **opts) if args.empty else (None, None, None))
    check_curve(sample, args.sample, role="sample curve")
    check_curve(solvent, args.solvent, role="solvent curve", need_signal=False)
    if empty is not None:
        check_curve(empty, args.empty, role="empty-capillary curve", need_signal=False)
    eb_mon = None
    if args.empty_beam:
        _, _, eb_mon = load_measurement(args.empty_beam, screen=False, q_unit=args.q_unit)
        if eb_mon is None:
            raise InputError(args.empty_beam, "monitors", "the I0/I1 monitor values of the empty beam", got="none")
    t_sample = transmission_for(args.sample, s_mon, eb_mon, args.transmission)
    t_solvent = transmission_for(args.solvent, b_mon, eb_mon, args.solvent_transmission)
    t_empty = transmission_for(args.empty, e_mon, eb_mon, args.empty_transmission) if args.empty else None
    screening = {role: (None if r is None else r.summary())
                 for role, r in (("sample", s_screen), ("solvent", b_screen), ("empty", e_screen))}
    result = subtract_blank(
        sample, solvent, thickness_mm=args.thickness_mm, empty=empty, displacement=args.volume_fraction,
        sample_transmission=t_sample, solvent_transmission=t_solvent, empty_transmission=t_empty,
        thickness_sigma_mm=args.thickness_sigma_mm, calibration=calibration,
    )
    result = result.replace(provenance={"inputs_screening": screening, "command": "saxs subtract"})
    out = Path(args.output)
    write_nxcansas(out, [(_entry_name(result.sample.name or Path(args.sample).stem), result)])
    if not args.json:
        dropped = "" if s_screen is None or not s_screen.reasons else "; dropped " + "; ".join(
            f"frame {s_screen.labels[k]}: {reason}" for k, reason in s_screen.reasons.items())
        used = "" if s_screen is None else f", {s_screen.n_used}/{s_screen.n_frames} sample frames used"
        print(f"wrote {out}: {result.n_points} points in {result.intensity_unit}, "
              f"{result.provenance['negative_points']} negative ({result.provenance['negative_points_2sigma']} "
              f"below -2 sigma){used}{dropped}", file=sys.stderr)
    else:
        def t_dict(t):
            return None if t is None else t.as_dict()

        emit_json({
            "output": str(out),
            "sample": args.sample, "solvent": args.solvent, "empty": args.empty,
            "thickness_mm": args.thickness_mm,
            "volume_fraction": args.volume_fraction,
            "intensity_unit": result.intensity_unit,
            "n_points": result.n_points,
            "q_range_nm": [float(result.q_nm[0]), float(result.q_nm[-1])],
            "negative_points": result.provenance["negative_points"],
            "negative_points_2sigma": result.provenance["negative_points_2sigma"],
            "transmission": None if t_sample is None else t_sample.value,
            "transmissions": {"sample": t_dict(t_sample), "solvent": t_dict(t_solvent), "empty": t_dict(t_empty)},
            "calibration": args.calibration,
            "calibration_factor": None if calibration is None else calibration.factor,
            "calibration_factor_std": None if calibration is None else calibration.factor_std,
            "frames_used": None if s_screen is None else list(s_screen.used),
            "frames_dropped": None if s_screen is None else {str(k): v for k, v in s_screen.reasons.items()},
            "screening": screening,
            "systematic_rel_std": dict(result.provenance.get("systematic_rel_std", {})),
        })
    return 0
