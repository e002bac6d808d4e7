"""Where a sphere fit lives in a result file: one layout for ``saxs fit -o`` and a batch sample file.

The fit is a SASentry of its own, ``/fit`` (NXcanSAS): its ``sasdata`` is the fitted model curve
I(q) (the mean over repetitions, ``Idev`` their standard deviation, on the fitted q points), and
``/fit/mcfit`` is the whole result (NXprocess, layout in :mod:`mcfit.results`).

Why not inside the fitted curve's SASentry: SasView's loader (sasdata 0.11,
``cansas_reader_HDF5.Reader.read_children``) walks the whole file and turns every dataset whose
parent group is not an NXcanSAS class into metadata of the SASentry it opened last, one key per
array element (a fit gave ~3300 keys on the sample's curve); a non-canSAS group met before the first
SASentry makes it fail the file. A SASentry resets that metadata, so the fit's arrays land on the fit's
own data set (the model curve SasView draws beside the measured ones) and the measured curves keep
only their own metadata.
"""

from __future__ import annotations

from .profile import Profile1D, SampleInfo

#: The fit's SASentry (root level) and its result group.
FIT_ENTRY = "fit"
FIT_PROCESS = "mcfit"


def write_fit_entry(f, result, *, fitted_entry: str, intensity_unit: str, sample: SampleInfo | None = None,
                    opens_at: str = "histogram") -> None:
    """Write ``/fit`` (the model curve, NXcanSAS) and ``/fit/mcfit`` (the result) into an open file.

    Parameters
    ----------
    f : h5py.File
        The result file, open for writing (inside :func:`saxs.nxcansas.write_nxcansas`'s ``extra``).
    result : mcfit.FitResult
        The fit.
    fitted_entry : str
        Name of the SASentry that was fitted (recorded in the entry's provenance).
    intensity_unit : str
        ``"1/cm"`` or ``"arbitrary"``: the fitted curve's unit.
    sample : SampleInfo, optional
        The fitted curve's sample (name, thickness, ...).
    opens_at : {"histogram", "data"}
        What a NeXus viewer opening the file shows (the root ``@default`` is set to ``fit``): the
        volume-weighted histogram +- its spread (a ``saxs fit`` file), or the fitted data with the fit
        over them on log axes (a batch sample file). :func:`saxs.nxcansas.curve_entry` still finds the
        measured curve.
    """
    from .nxcansas import write_sasentry

    name = sample.name if sample is not None and sample.name else fitted_entry
    model = Profile1D(q_nm=result.q_nm, intensity=result.fit_intensity, sigma=result.fit_intensity_std,
                      intensity_unit=intensity_unit, sample=sample or SampleInfo(name=name),
                      provenance={"program": "mcfit", "fitted_entry": fitted_entry,
                                  "meaning": "the mean fitted curve over the repetitions (Idev: their standard "
                                             "deviation) on the fitted q points; the result is in fit/mcfit"})
    entry = write_sasentry(f, FIT_ENTRY, model, title=f"{name}: mcfit model (spheres)")
    result.to_hdf5(entry.create_group(FIT_PROCESS))
    # A viewer that opens the fit follows fit@default -> mcfit -> its @default; readers of the model curve
    # take the entry's SASdata (saxs.nxcansas.read_nxcansas checks the class).
    entry.attrs["default"] = FIT_PROCESS
    f.attrs["default"] = FIT_ENTRY
    if opens_at == "data":
        entry[FIT_PROCESS].attrs["default"] = "data"
    elif opens_at != "histogram":
        raise ValueError(f"opens_at must be 'histogram' or 'data', not {opens_at!r}")
