"""HDF5 output of ``saxs peaks -o OUT.h5`` (written atomically with h5py).

Layout::

    /                           @NX_class=NXroot, @creator, @default=peaks
    peaks   NXentry             program, version, date, series_key (when a series); @default = track_areas
                                (the tracked peaks' areas +- errors against the series value, NXdata) or
                                peak_areas (the first curve's peak areas against q)
      settings  NXcollection    min_significance, max_rel_fwhm, ... (see PeakSettings)
      file_000  NXcollection    @file = input path, @n_peaks
        peaks   NXcollection    q_nm, q_nm_std, fwhm_nm, fwhm_nm_std, area, area_std,
                                amplitude, amplitude_std, significance   (n,) each, by increasing q
        phase   NXcollection    type, d_nm, d_nm_std, q1_nm, orders (int), indexed_q_nm,
                                unexplained_q_nm      (absent when no phase is indexed)
        broad_maxima NXcollection  q_nm, prominence_ln, significance   (m,) each
        background   NXdata     q_nm, I: the smooth peak-free reference (for plots)
      file_001 ...
      tracks    NXcollection
        track_000  NXcollection  q_nm, fwhm_nm, values (k,), area (k,), area_std (k,),
                                 present (k,) bool, vanishes_at (NaN when none, @defined)

q in 1/nm; areas in (intensity unit) x 1/nm; intensity unit as the input curves.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Sequence

import numpy as np

from .. import __version__
from ..atomic import atomic_h5
from ..units import add_series_units, add_units
from .indexing import Phase
from .peak_types import PeakSearch
from .tracking import Track

_PEAK_COLUMNS = ("q_nm", "q_nm_std", "fwhm_nm", "fwhm_nm_std", "area", "area_std",
                 "amplitude", "amplitude_std", "significance")


def write_peaks_h5(
    path,
    searches: Sequence[PeakSearch],
    phases: Sequence[Phase | None],
    tracks: Sequence[Track] = (),
    *,
    files: Sequence[str] | None = None,
    series_key: str | None = None,
) -> Path:
    """Write peak searches, phases and tracks to ``path`` (atomic: temporary name, then rename).

    Parameters
    ----------
    path : str or os.PathLike
        Output HDF5 file.
    searches : sequence of PeakSearch
        One per input curve.
    phases : sequence of Phase or None
        Indexing result of each curve.
    tracks : sequence of Track, optional
        Peaks followed across the series.
    files : sequence of str, optional
        Input file names (default: each search's ``source``).
    series_key : str, optional
        What the track values are (``temperature``, a provenance key, ``values``, ``index``).

    Returns
    -------
    Path
    """
    import h5py

    if len(searches) != len(phases):
        raise ValueError("searches and phases must have the same length")
    files = [s.source or "" for s in searches] if files is None else list(files)
    with atomic_h5(path) as f:
        f.attrs["NX_class"] = "NXroot"
        f.attrs["creator"] = f"saxs-insitu {__version__}"
        f.attrs["default"] = "peaks"
        g = f.create_group("peaks")
        g.attrs["NX_class"] = "NXentry"  # the root @default names it: NXroot -> NXentry -> NXdata
        g.create_dataset("program", data="saxs-insitu peaks")
        g.create_dataset("version", data=__version__)
        g.create_dataset("date", data=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
        if series_key is not None:
            g.create_dataset("series_key", data=series_key)
        if searches:
            st = g.create_group("settings")
            st.attrs["NX_class"] = "NXcollection"
            settings = searches[0].settings
            for name in settings.__dataclass_fields__:
                st.create_dataset(name, data=np.asarray(getattr(settings, name), dtype=float))
        for k, (search, phase, name) in enumerate(zip(searches, phases, files)):
            fg = g.create_group(f"file_{k:03d}")
            fg.attrs["NX_class"] = "NXcollection"
            fg.attrs["file"] = str(name)
            fg.attrs["n_peaks"] = len(search.peaks)
            pg = fg.create_group("peaks")
            pg.attrs["NX_class"] = "NXcollection"
            for col in _PEAK_COLUMNS:
                pg.create_dataset(col, data=np.array([getattr(p, col) for p in search.peaks], dtype=float))
            if phase is not None:
                ph = fg.create_group("phase")
                ph.attrs["NX_class"] = "NXcollection"
                ph.create_dataset("type", data=phase.type)
                for col in ("d_nm", "d_nm_std", "q1_nm", "score", "reduced_chi2"):
                    ph.create_dataset(col, data=float(getattr(phase, col)))
                ph.create_dataset("orders", data=np.array(phase.orders, dtype=np.int64))
                ph.create_dataset("indexed_q_nm", data=np.array(phase.indexed_q_nm, dtype=float))
                ph.create_dataset("unexplained_q_nm", data=np.array(phase.unexplained_q_nm, dtype=float))
            bm = fg.create_group("broad_maxima")
            bm.attrs["NX_class"] = "NXcollection"
            for col in ("q_nm", "prominence_ln", "significance"):
                bm.create_dataset(col, data=np.array([getattr(b, col) for b in search.broad_maxima], dtype=float))
            bg = fg.create_group("background")
            bg.attrs["NX_class"] = "NXdata"
            bg.attrs["signal"] = "I"
            bg.attrs["axes"] = "q_nm"
            bg.create_dataset("q_nm", data=search.q_nm).attrs["units"] = "1/nm"
            bg.create_dataset("I", data=search.background)
        tg = g.create_group("tracks")
        tg.attrs["NX_class"] = "NXcollection"
        for k, track in enumerate(tracks):
            t = tg.create_group(f"track_{k:03d}")
            t.attrs["NX_class"] = "NXcollection"
            t.create_dataset("q_nm", data=track.q_nm)
            t.create_dataset("fwhm_nm", data=track.fwhm_nm)
            t.create_dataset("values", data=np.array(track.values, dtype=float))
            t.create_dataset("area", data=np.array(track.area, dtype=float))
            t.create_dataset("area_std", data=np.array(track.area_std, dtype=float))
            t.create_dataset("present", data=np.array(track.present, dtype=bool))
            ds = t.create_dataset("vanishes_at", data=np.nan if track.vanishes_at is None else track.vanishes_at)
            ds.attrs["defined"] = track.vanishes_at is not None
        _default_plot(g, searches, tracks, series_key)
        add_series_units(g, series_key, "arbitrary")  # peak amplitudes and the background: the curves' unit, not told
        add_units(g, dict.fromkeys(("amplitude", "amplitude_std", "I"), "arbitrary"))
    return Path(path)


#: Peak areas are in the input curves' intensity unit x 1/nm, which this writer is not told.
AREA_UNITS = "arbitrary"


def _default_plot(entry, searches, tracks, series_key) -> None:
    """The entry's default NXdata: the tracked peaks' areas across the series (one signal per track,
    the first the signal, the others auxiliary), or the first curve's peak areas against q."""
    from ..nexus_views import key_units

    if tracks:
        d = entry.create_group("track_areas")
        d.attrs["NX_class"] = "NXdata"
        names = [f"area_q{t.q_nm:.3f}".replace(".", "_") for t in tracks]
        d.attrs["signal"], d.attrs["axes"] = names[0], "series_value"
        if len(names) > 1:
            d.attrs["auxiliary_signals"] = names[1:]
        for name, t in zip(names, tracks):
            a = d.create_dataset(name, data=np.array(t.area, dtype=float))
            a.attrs["units"] = AREA_UNITS
            a.attrs["long_name"] = f"area of the peak at q = {t.q_nm:.3f} 1/nm (input intensity unit x 1/nm)"
            d.create_dataset(f"{name}_errors", data=np.array(t.area_std, dtype=float)).attrs["units"] = AREA_UNITS
        v = d.create_dataset("series_value", data=np.array(tracks[0].values, dtype=float))
        v.attrs["units"], v.attrs["long_name"] = key_units(series_key), str(series_key or "series value")
    elif searches and searches[0].peaks:
        d = entry.create_group("peak_areas")
        d.attrs["NX_class"] = "NXdata"
        d.attrs["signal"], d.attrs["axes"] = "area", "q"
        peaks = searches[0].peaks
        d.create_dataset("area", data=np.array([p.area for p in peaks], dtype=float)).attrs["units"] = AREA_UNITS
        d.create_dataset("area_errors", data=np.array([p.area_std for p in peaks], dtype=float)).attrs["units"] = AREA_UNITS
        d.create_dataset("q", data=np.array([p.q_nm for p in peaks], dtype=float)).attrs["units"] = "1/nm"
    else:
        return
    entry.attrs["default"] = d.name.rsplit("/", 1)[-1]
