"""The simulator's raw files in ID02's layouts (:mod:`saxs.id02`).

Samples and standards are written as BLISS datasets: a master file ``raw/<name>.h5`` (scan 1.1,
the counters in ``measurement/``; header keys HSI0/HSI1/HSTime are counter names, BLISS era) with
its LIMA file ``raw/<name>_<detector>_00001_00.h5``. Darks, the empty beam and the blanks are
written as a LIMA file with its scalers file ``raw/<name>_scalers_00001_00.h5`` beside it (HSI0/
HSI1/HSTime are 1-based pin numbers, SPEC era). Both carry the same monitor values
(:mod:`saxs.simulate.truth`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..id02.bliss import ScanSpec, write_master
from ..id02.lima import lima_file_name, scalers_file_name, write_lima
from ..id02.scalers import write_scalers
from .truth import GroundTruth

#: Scaler channels written in every file (HS32N); HSI0 / HSI1 / HSTime name the monitors and the clock.
SCALER_NAMES = ("time", "pin41", "pin5", "pin6")
#: 1-based pin numbers of the incident monitor, the transmitted monitor and the time counter.
HSI0, HSI1, HSTIME = 2, 3, 1
#: Scaler dark rates HS32Z, counts/s per channel, and factors HS32F (the clock counts microseconds).
SCALER_DARK_PER_S = (0.0, 2000.0, 1500.0, 50.0)
SCALER_FACTORS = (1.0e-6, 0.5, 2.0, 1.0)
#: Scan number of every simulated acquisition.
SCAN = 1


def uses_master(kind: str) -> bool:
    """Samples and standards are written as BLISS datasets, the rest as LIMA + scalers files."""
    return kind in ("sample", "standard")


def raw_file_name(name: str, kind: str, detector: str) -> str:
    """The file to reduce, relative to the beamtime folder: the master file or the LIMA file."""
    if uses_master(kind):
        return f"raw/{name}.h5"
    return f"raw/{lima_file_name(name, detector, SCAN)}"


def scaler_counts(truth: GroundTruth) -> np.ndarray:
    """Raw scaler counts HS32C, shape (n_frames, n_channels): ``rint(value / HS32F + HS32Z t)``, so
    that ``HS32V = (HS32C - HS32Z t) HS32F`` gives the monitors back within half a count x HS32F."""
    t = truth.exposure_time_s
    zeros = np.asarray(SCALER_DARK_PER_S)
    factors = np.asarray(SCALER_FACTORS)
    values = np.zeros((truth.n_frames, len(SCALER_NAMES)))
    for k in range(truth.n_frames):
        i0, i1 = truth.monitors(k)
        values[k, HSTIME - 1] = t
        values[k, HSI0 - 1] = i0
        values[k, HSI1 - 1] = i1
    return np.rint(values / factors + zeros * t).astype(np.int64)


def write_measurement(outdir: Path, truth: GroundTruth, frames, header: dict, *, detector: str) -> list[str]:
    """Write one measurement in its ID02 layout (module docstring); return the files written (relative).

    Parameters
    ----------
    outdir : Path
        The beamtime folder (files go to ``outdir/raw``).
    truth : GroundTruth
        The measurement (name, kind, monitors, exposure time; ``truth.raw_file`` is the file to reduce).
    frames : iterable of ndarray, shape (ny, nx)
        Counts, written one at a time.
    header : dict
        The detector header (HSI0/HSI1/HSTime as pins or names to suit the layout).
    detector : str
        Detector name (LIMA group and file name).
    """
    lima = lima_file_name(truth.name, detector, SCAN)
    write_lima(outdir / "raw" / lima, frames, header, detector=detector, exposure_s=truth.exposure_time_s)
    counts = scaler_counts(truth)
    t = np.full(truth.n_frames, truth.exposure_time_s)
    zeros, factors = np.asarray(SCALER_DARK_PER_S), np.asarray(SCALER_FACTORS)
    values = (counts - zeros * t[:, np.newaxis]) * factors
    if uses_master(truth.kind):
        counters = {name: values[:, k] for k, name in enumerate(SCALER_NAMES)}
        counters["elapsed_time"] = np.concatenate([[0.0], np.cumsum(t)[:-1]])
        write_master(outdir / truth.raw_file, [ScanSpec(
            number=SCAN, lima_files=[lima], counters=counters, detector=detector,
            title=header["Title"], sample_name=truth.name)])
        return [truth.raw_file, f"raw/{lima}"]
    scalers = scalers_file_name(truth.name, SCAN)
    write_scalers(outdir / "raw" / scalers, counts, names=SCALER_NAMES, zeros=zeros, factors=factors,
                  exposure_s=t, hsi0=HSI0, hsi1=HSI1, hstime=HSTIME, hsi0_factor=truth.hsi0_factor,
                  hsi1_factor=truth.hsi1_factor, header=header)
    return [f"raw/{lima}", f"raw/{scalers}"]


__all__ = ["write_measurement", "raw_file_name", "uses_master", "scaler_counts", "SCALER_NAMES", "HSI0", "HSI1",
           "HSTIME", "SCAN"]
