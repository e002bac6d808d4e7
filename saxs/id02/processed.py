"""Reduced 1-D curves written by others: ID02's ``*_ave.h5`` (dahu, ewoksid02) and plain NXdata.

Layout read (learnt from dahu's ``plugins/id02/single_detector.py`` and ewoksid02's
``tasks/averagetask.py`` / ``id02_format.py``; read, not copied)::

    /                       @default -> entry (optional)
    entry_0000              NXentry, @default = "/entry_0000/PyFAI/result_ave" (an absolute path)
      PyFAI                 NXprocess
        parameters/         the raw header, strings or numbers: Dummy, DDummy, ...
        result_ave          NXdata, @signal = "data", @axes = [".", "q"]
          data              float32, (n_frames, npt) or (npt,); masked bins at Dummy (or NaN)
          data_errors       same shape; only when a variance formula was set
          q                 (npt,), @unit = "q_nm^-1" (pyFAI's unit name)
          t                 (n_frames,), @unit = "s" (not always)

Any other 1-D NXdata (found through the ``@default`` chain, or the only NXdata of an entry)
is read the same way: ``@signal`` names the intensity, the last of ``@axes`` names q, whose
unit (``@units`` or ``@unit``) must be 1/nm or 1/A (converted to 1/nm); the uncertainty is
``<signal>_errors``, ``errors`` or the dataset named by ``@uncertainties``.

What is done with it:

- **masked bins**: a bin that is NaN, infinite or at ``Dummy`` (within ``DDummy``; ``Dummy = 0``
  means "none" at ID02) in *any* frame, or whose uncertainty is not positive and finite, is
  dropped from every frame, so all frames share one q grid (ID02 masks are static, so in
  practice the same bins are masked in every frame);
- **uncertainties**: ``data_errors`` when present (pyFAI's propagated Poisson variance), else the
  square root of ewoksid02's ``data_variance``.
  Without it, the counts cannot be recovered after normalisation, so a Poisson sigma is
  impossible; the file gets instead (and a :class:`ProcessedFileWarning` saying so):

  * with ``n_frames >= 3`` (:data:`MIN_FRAMES_FOR_SCATTER`): the frame-to-frame scatter,
    ``std(I_k, ddof=1)`` per bin, expressed relative to the mean and smoothed in q by a running
    median over :data:`SCATTER_WINDOW` bins (a 3-frame standard deviation scatters by ~50 %
    from bin to bin; the relative noise of an azimuthal average varies slowly with q), times
    ``|mean I|``: every frame gets this sigma, so the average of N frames has sigma / sqrt(N);
  * with fewer frames: ``relative_error * |I|`` (:data:`DEFAULT_RELATIVE_ERROR` = 1 % unless
    the caller gives another), a stated guess that makes chi-square values meaningless;
- the intensity unit is "arbitrary" (nothing in the file says the curve is absolute).

Frames come out as :class:`~saxs.profile.Profile1D` like our own reduction's, so they are
screened and averaged by :mod:`saxs.screen`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..guards import missing_file_reason
from ..profile import Profile1D, SampleInfo, q_unit_factor

#: The NXdata group dahu and ewoksid02 write the azimuthal average to.
AVE_NXDATA = "entry_0000/PyFAI/result_ave"

#: Frames needed to estimate the uncertainty from the frame-to-frame scatter.
MIN_FRAMES_FOR_SCATTER = 3

#: Width (bins, odd) of the running median that smooths the relative frame-to-frame scatter.
SCATTER_WINDOW = 9

#: Relative uncertainty given to a file with no ``data_errors`` and fewer than 3 frames.
DEFAULT_RELATIVE_ERROR = 0.01

#: The error models a :class:`ProcessedCurves` can carry.
ERROR_MODELS = ("data_errors", "frame_scatter", "relative")


class ProcessedFileWarning(UserWarning):
    """A reduced file read with an uncertainty model of our choosing (no ``data_errors``)."""


@dataclass(frozen=True)
class ProcessedCurves:
    """The frames of a reduced 1-D file, masked bins dropped, on one q grid.

    Attributes
    ----------
    path : Path
        The file read.
    nxdata : str
        Absolute HDF5 path of the NXdata group read.
    q_nm : ndarray, shape (n,)
        q of the kept bins, 1/nm, increasing.
    intensity : ndarray, shape (n_frames, n)
        Per-frame intensity of the kept bins (arbitrary units, as normalised by the writer).
    sigma : ndarray, shape (n_frames, n)
        Per-frame standard uncertainty (see ``error_model``).
    t_s : ndarray, shape (n_frames,) or None
        The file's ``t`` (s) when present.
    error_model : str
        ``"data_errors"`` (read from the file), ``"frame_scatter"`` or ``"relative"``.
    relative_error : float or None
        The relative uncertainty used by the ``"relative"`` model.
    masked_bins : int
        Bins dropped (masked in at least one frame, or without a usable uncertainty).
    dummy : float or None
        The Dummy value that marked masked bins (None: only NaN marked them).
    warnings : tuple of str
        What the reader had to assume (also issued as :class:`ProcessedFileWarning`).
    """

    path: Path
    nxdata: str
    q_nm: np.ndarray
    intensity: np.ndarray
    sigma: np.ndarray
    t_s: np.ndarray | None
    error_model: str
    relative_error: float | None
    masked_bins: int
    dummy: float | None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_frames(self) -> int:
        """Number of frames (rows of ``intensity``)."""
        return int(self.intensity.shape[0])

    def provenance(self) -> dict[str, Any]:
        """What every frame's provenance shares: file, group, error model, masking."""
        prov: dict[str, Any] = {
            "input_file": str(self.path), "input_format": "id02_ave" if self.nxdata.endswith("/result_ave")
            else "nxdata", "input_nxdata": self.nxdata, "error_model_input": self.error_model,
            "masked_bins_dropped": int(self.masked_bins), "n_frames": self.n_frames,
        }
        if self.relative_error is not None:
            prov["relative_error"] = float(self.relative_error)
        if self.dummy is not None:
            prov["dummy"] = float(self.dummy)
        if self.warnings:
            prov["warnings"] = list(self.warnings)
        return prov

    def frames(self) -> tuple[Profile1D, ...]:
        """One :class:`~saxs.profile.Profile1D` per frame (``frame_index``, ``t_s`` in provenance)."""
        shared = self.provenance()
        name = sample_name(self.path)
        out = []
        for k in range(self.n_frames):
            prov = dict(shared, frame_index=k)
            if self.t_s is not None:
                prov["t_s"] = float(self.t_s[k])
            out.append(Profile1D(q_nm=self.q_nm, intensity=self.intensity[k], sigma=self.sigma[k],
                                 intensity_unit="arbitrary", sample=SampleInfo(name=name), provenance=prov))
        return tuple(out)


def sample_name(path) -> str:
    """Name of the measurement behind a reduced file: its stem without ``_ave``."""
    stem = Path(path).stem
    return stem[:-4] if stem.endswith("_ave") else stem


# --------------------------------------------------------------------------- finding the NXdata
def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, np.ndarray):
        if value.shape == ():
            return _text(value[()])
        if value.size == 1:
            return _text(value.ravel()[0])
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


def _attr(obj, name: str) -> str | None:
    return _text(obj.attrs[name]) if name in obj.attrs else None


def _nx_class(obj) -> str:
    return _attr(obj, "NX_class") or ""


def _resolve(f, base, target: str):
    """The object ``target`` names, relative to ``base`` or absolute; None if absent."""
    try:
        obj = f[target] if target.startswith("/") else base.get(target)
    except (KeyError, ValueError):
        return None
    return obj


def _default_nxdata(f):
    """Follow the ``@default`` chain from the root to an NXdata group (or None)."""
    import h5py

    node = f
    for _ in range(4):  # root -> entry -> (process ->) data
        target = _attr(node, "default")
        if target is None:
            break
        nxt = _resolve(f, node, target)
        if not isinstance(nxt, h5py.Group):
            break
        if _nx_class(nxt) == "NXdata" or "signal" in nxt.attrs:
            return nxt
        node = nxt
    return None


def find_nxdata(f):
    """The 1-D NXdata group of a reduced file that is not NXcanSAS, or None.

    Looks at, in order: ``entry_0000/PyFAI/result_ave``; the root's ``@default`` chain; every
    top-level NXentry's ``@default`` (an absolute path at ID02); the only NXdata of the only entry.
    """
    import h5py

    if AVE_NXDATA in f and isinstance(f[AVE_NXDATA], h5py.Group):
        return f[AVE_NXDATA]
    found = _default_nxdata(f)
    if found is not None:
        return found
    entries = [g for g in f.values() if isinstance(g, h5py.Group) and _nx_class(g) == "NXentry"]
    for entry in entries:
        target = _attr(entry, "default")
        if target is not None:
            obj = _resolve(f, entry, target)
            if isinstance(obj, h5py.Group) and "signal" in obj.attrs:
                return obj
    if len(entries) == 1:
        datas = [g for g in entries[0].values() if isinstance(g, h5py.Group) and _nx_class(g) == "NXdata"]
        if len(datas) == 1:
            return datas[0]
    return None


def is_processed_file(path) -> bool:
    """True for an HDF5 file holding a reduced curve as NXdata (ID02 ``_ave.h5`` or plain NXdata)
    and no NXcanSAS SASentry (those are read by :mod:`saxs.nxcansas`)."""
    import h5py

    path = Path(path)
    if not path.is_file() or not h5py.is_hdf5(path):
        return False
    try:
        with h5py.File(path, "r") as f:
            creator = (_attr(f, "creator") or "").lower()
            if "lima" in creator or "bliss" in creator:  # raw frames (LIMA) or a BLISS master file
                return False
            if any(isinstance(g, h5py.Group) and _attr(g, "canSAS_class") == "SASentry" for g in f.values()):
                return False
            nxdata = find_nxdata(f)
            return nxdata is not None and (nxdata.name == "/" + AVE_NXDATA or _looks_like_curve(nxdata))
    except OSError:
        return False


def _signal_and_axis(nxdata) -> tuple[str, str]:
    """Names of the signal (``@signal``, else "data") and of the q axis (last of ``@axes``, else "q")."""
    signal = _attr(nxdata, "signal") or "data"
    axes = nxdata.attrs.get("axes")
    axes = [_text(a) for a in np.atleast_1d(axes)] if axes is not None else []
    return signal, (axes[-1] if axes and axes[-1] not in (".", "") else "q")


def _looks_like_curve(nxdata) -> bool:
    """A 1-D (or frames x q) signal against an axis called q or carrying a q unit: not a counter plot."""
    signal, q_name = _signal_and_axis(nxdata)
    if signal not in nxdata or q_name not in nxdata or nxdata[signal].ndim not in (1, 2):
        return False
    if q_name.lower() == "q":
        return True
    unit = _attr(nxdata[q_name], "units") or _attr(nxdata[q_name], "unit")
    try:
        return unit is not None and q_unit_factor(unit) > 0
    except ValueError:
        return False


# --------------------------------------------------------------------------- reading
def _header_number(entry, key: str):
    """A number from ``<entry>/PyFAI/parameters/<key>`` (string or numeric), or None."""
    import h5py

    for where in ("PyFAI/parameters", "PyFAI/headers", "parameters"):
        group = entry.get(where) if entry is not None else None
        if isinstance(group, h5py.Group) and key in group:
            try:
                return float(_text(group[key][()]).strip())
            except ValueError:
                return None
    return None


def _entry_of(f, nxdata):
    """The top-level group that holds ``nxdata``."""
    top = nxdata.name.strip("/").split("/")[0]
    return f[top] if top else None


def _q_factor(path, nxdata, q_name: str) -> float:
    q = nxdata[q_name]
    unit = _attr(q, "units") or _attr(q, "unit")
    where = f"{nxdata.name}/{q_name}@unit"
    if unit is None:
        raise InputError(path, where, "a q unit (q_nm^-1, 1/nm or q_A^-1, 1/A)", got="no unit attribute")
    try:
        return q_unit_factor(unit)
    except ValueError:
        raise InputError(path, where, "q in 1/nm or 1/A (q_nm^-1 or q_A^-1)", got=unit) from None


def _errors_name(nxdata, signal: str) -> tuple[str | None, bool]:
    """(name of the uncertainty dataset, True if it holds variances) or (None, False).

    Standard deviations first (``@uncertainties``, ``<signal>_errors``, ``errors``), then
    ewoksid02's ``<signal>_variance`` (written beside ``data_errors`` when ``save_variance``).
    """
    named = _attr(nxdata[signal], "uncertainties")
    for name in (named, f"{signal}_errors", "errors"):
        if name and name in nxdata:
            return name, False
    if f"{signal}_variance" in nxdata:
        return f"{signal}_variance", True
    return None, False


def _running_median(values: np.ndarray, window: int) -> np.ndarray:
    """Running median of a 1-D array over ``window`` (odd) points, NaN ignored, edges shrunk."""
    half = window // 2
    n = values.size
    if n == 0:
        return values.copy()
    padded = np.concatenate([np.full(half, np.nan), values, np.full(half, np.nan)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, window)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows give NaN, handled by the caller
        return np.nanmedian(windows, axis=1)


def scatter_sigma(intensity: np.ndarray, *, window: int = SCATTER_WINDOW) -> np.ndarray:
    """Per-frame uncertainty from the frame-to-frame scatter (no ``data_errors`` in the file).

    Parameters
    ----------
    intensity : ndarray, shape (n_frames, n), n_frames >= 2
    window : int, optional
        Width (bins, odd) of the running median over q.

    Returns
    -------
    ndarray, shape (n,)
        ``median_window(std_k(I, ddof=1) / |mean_k I|) * |mean_k I|``: the sigma of one frame.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> I = 100 + 10 * rng.standard_normal((50, 200))
    >>> bool(abs(np.median(scatter_sigma(I)) / 10 - 1) < 0.05)
    True
    """
    mean = np.mean(intensity, axis=0)
    std = np.std(intensity, axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(np.abs(mean) > 0, std / np.abs(mean), np.nan)
    smooth = _running_median(rel, window)
    fallback = np.nanmedian(rel) if np.isfinite(rel).any() else 0.0
    smooth = np.where(np.isfinite(smooth), smooth, fallback)
    return smooth * np.abs(mean)


def read_processed(path, *, relative_error: float = DEFAULT_RELATIVE_ERROR) -> ProcessedCurves:
    """Read the frames of an ID02 ``*_ave.h5`` (or another program's 1-D NXdata).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    relative_error : float, optional
        Relative uncertainty used when the file has no ``data_errors`` and fewer than
        :data:`MIN_FRAMES_FOR_SCATTER` frames (default :data:`DEFAULT_RELATIVE_ERROR`).

    Returns
    -------
    ProcessedCurves
        Masked bins dropped, q in 1/nm.

    Raises
    ------
    InputError
        Not HDF5, no 1-D NXdata, q in another unit than 1/nm or 1/A, shapes that disagree, or
        no bin left after masking (the message names the file and the dataset).

    Warns
    -----
    ProcessedFileWarning
        When the uncertainty is not the file's own (no ``data_errors``).
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file", "an existing reduced file", got=missing_file_reason(path))
    if not relative_error > 0:
        raise InputError(None, "relative_error", "a positive relative uncertainty", got=relative_error)
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise InputError(path, "file", "a readable HDF5 file", got=str(exc).split(":")[0]) from exc
    with f:
        nxdata = find_nxdata(f)
        if nxdata is None:
            raise InputError(path, AVE_NXDATA, "an NXdata group with the reduced curve (ID02 _ave.h5 layout, "
                             "or @default pointing at a 1-D NXdata)", got="missing")
        where = nxdata.name
        signal, q_name = _signal_and_axis(nxdata)
        if signal not in nxdata:
            raise InputError(path, f"{where}/{signal}", "the intensity dataset named by @signal", got="missing")
        if q_name not in nxdata:
            raise InputError(path, f"{where}/{q_name}", "the q axis dataset", got="missing")
        factor = _q_factor(path, nxdata, q_name)
        q_nm = np.asarray(nxdata[q_name][()], dtype=np.float64).ravel() * factor
        data = np.asarray(nxdata[signal][()], dtype=np.float64)
        if data.ndim == 1:
            data = data[np.newaxis, :]
        if data.ndim != 2 or data.shape[1] != q_nm.size:
            raise InputError(path, f"{where}/{signal}", f"shape (n_frames, {q_nm.size}) or ({q_nm.size},) "
                             "to match q (a 1-D curve per frame)", got=tuple(nxdata[signal].shape))
        err_name, is_variance = _errors_name(nxdata, signal)
        errors = None
        if err_name is not None:
            if nxdata[err_name].size != data.size:
                raise InputError(path, f"{where}/{err_name}", f"the same shape as {signal} {data.shape}",
                                 got=tuple(nxdata[err_name].shape))
            errors = np.asarray(nxdata[err_name][()], dtype=np.float64).reshape(-1, q_nm.size)
            if is_variance:  # a non-positive variance marks a masked bin (dropped below)
                errors = np.sqrt(np.where(errors > 0, errors, np.nan))
        t_s = None
        if "t" in nxdata:
            t = np.asarray(nxdata["t"][()], dtype=np.float64).ravel()
            t_s = t if t.size == data.shape[0] else None
        entry = _entry_of(f, nxdata)
        dummy = _header_number(entry, "Dummy")
        ddummy = _header_number(entry, "DDummy") or 0.0
    if dummy == 0.0:  # ID02 convention: Dummy = 0 means no dummy value
        dummy = None

    n_total = int(q_nm.size)
    bad = ~np.isfinite(data)
    if dummy is not None:
        bad |= np.abs(data - dummy) <= max(ddummy, 0.0)
    if errors is not None:
        bad |= ~(np.isfinite(errors) & (errors > 0))
    bad |= ~np.isfinite(q_nm)[np.newaxis, :]
    keep = ~bad.any(axis=0)
    if not keep.any():
        raise InputError(path, f"{where}/{signal}", "at least one q bin not masked (Dummy/NaN) in every frame",
                         got="all bins masked")
    q_nm, data = q_nm[keep], data[:, keep]
    order = np.argsort(q_nm, kind="stable")
    q_nm, data = q_nm[order], data[:, order]
    if np.any(np.diff(q_nm) <= 0):
        raise InputError(path, f"{where}/{q_name}", "distinct q values", got="repeated values")

    notes: list[str] = []
    if errors is not None:
        sigma, model, rel = errors[:, keep][:, order], "data_errors", None
    elif data.shape[0] >= MIN_FRAMES_FOR_SCATTER:
        sigma = np.broadcast_to(scatter_sigma(data), data.shape).copy()
        model, rel = "frame_scatter", None
        notes.append(f"{path}: no uncertainties ({where}/data_errors missing): sigma of each frame = frame-to-frame "
                     f"scatter of the {data.shape[0]} frames, relative to the mean and smoothed over "
                     f"{SCATTER_WINDOW} q bins")
        if not np.all(sigma > 0):
            raise InputError(path, f"{where}/{signal}", "frames that differ (their scatter is the only "
                             "uncertainty available without data_errors)", got="identical frames")
    else:
        sigma, model, rel = relative_error * np.abs(data), "relative", float(relative_error)
        notes.append(f"{path}: no uncertainties ({where}/data_errors missing) and {data.shape[0]} frame(s): "
                     f"sigma = {relative_error:g} x |I| (a stated guess: reduced chi-square is not meaningful)")
        zero = ~np.all(sigma > 0, axis=0)  # I == 0 exactly: no relative uncertainty, bin dropped
        q_nm, data, sigma = q_nm[~zero], data[:, ~zero], sigma[:, ~zero]
    for note in notes:
        warnings.warn(note, ProcessedFileWarning, stacklevel=2)
    masked = int(n_total - q_nm.size)
    for arr in (q_nm, data, sigma):
        arr.flags.writeable = False
    return ProcessedCurves(path=path, nxdata=where, q_nm=q_nm, intensity=data, sigma=sigma, t_s=t_s,
                           error_model=model, relative_error=rel, masked_bins=masked, dummy=dummy,
                           warnings=tuple(notes))


def load_processed_average(path, *, screen: bool = True, alpha: float = 1e-3, error_model: str = "poisson",
                           relative_error: float = DEFAULT_RELATIVE_ERROR):
    """Frames of a reduced file, screened (:func:`saxs.screen.screen_frames`) and averaged.

    Parameters
    ----------
    path : str or os.PathLike
    screen : bool, optional
        Drop outlier frames first (as for our own reduced files); False averages all frames.
    alpha, error_model
        As in :func:`saxs.screen.screen_frames`.
    relative_error : float, optional
        See :func:`read_processed`.

    Returns
    -------
    (Profile1D, ScreenResult or None)
        The average (arbitrary units; provenance names the file, the error model and the
        frames kept) and the screening (None with ``screen=False`` or a single frame).
    """
    from ..screen import average_frames, screen_frames

    curves = read_processed(path, relative_error=relative_error)
    frames = curves.frames()
    if len(frames) == 1:
        return frames[0].replace(provenance={"frame_index": "average", "averaged_frames": 1}), None
    if screen:
        result = screen_frames(frames, alpha=alpha, error_model=error_model)
        return result.average, result
    return average_frames(frames, error_model=error_model), None


__all__ = ["ProcessedCurves", "ProcessedFileWarning", "read_processed", "load_processed_average",
           "is_processed_file", "find_nxdata", "scatter_sigma", "sample_name", "AVE_NXDATA",
           "MIN_FRAMES_FOR_SCATTER", "SCATTER_WINDOW", "DEFAULT_RELATIVE_ERROR", "ERROR_MODELS"]
