"""Read 1D curves from plain-text columns (q, I, sigma).

Separators ``;``, ``,``, tab or spaces; line endings CR, LF or CRLF; comment lines start with
``#``; non-numeric header lines before the data are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .errors import InputError
from .profile import Profile1D, SampleInfo, q_unit_factor

_SPLIT = re.compile(r"[;,\s]+")


def read_text_profile(path, *, q_unit: str = "nm^-1", intensity_unit: str = "arbitrary") -> Profile1D:
    """Read a three-column text file into a :class:`~saxs.profile.Profile1D` with q in 1/nm.

    Parameters
    ----------
    path : str or os.PathLike
        The text file.
    q_unit : str, optional
        Unit of the first column, ``"nm^-1"`` (default) or ``"A^-1"``; converted to 1/nm here.
    intensity_unit : str, optional
        ``"arbitrary"`` (default) or ``"1/cm"``.

    Returns
    -------
    Profile1D
        Points in file order; rows with a non-finite value are kept (validation is the
        consumer's job, so that it can name the problem).

    Raises
    ------
    InputError
        If the file has no numeric rows, fewer than three columns, or ragged rows.

    Examples
    --------
    >>> p = read_text_profile("tests/data/quickstart/quickstartdemo1.csv")   # doctest: +SKIP
    >>> p.n_points                                                              # doctest: +SKIP
    101
    """
    path = Path(path)
    try:
        factor = q_unit_factor(q_unit)
    except ValueError as exc:
        raise InputError(None, "--q-unit", "nm^-1 or A^-1", got=q_unit) from exc
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise InputError(path, "file", "a readable text file", got=exc.strerror) from exc
    rows: list[list[float]] = []
    for line_no, raw in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", "%", "!")):
            continue
        fields = [f for f in _SPLIT.split(line) if f]
        try:
            values = [float(f) for f in fields]
        except ValueError:
            if rows:
                raise InputError(path, f"line {line_no}", "numeric columns q, I, sigma", got=line[:60]) from None
            continue  # a header line before the data
        if len(values) < 3:
            raise InputError(path, f"line {line_no}", "three columns q, I, sigma", got=f"{len(values)} column(s)")
        rows.append(values[:3])
    if not rows:
        raise InputError(path, "data", "rows of numbers q, I, sigma", got="no numeric rows")
    data = np.asarray(rows, dtype=np.float64)
    return Profile1D(
        q_nm=data[:, 0] * factor,
        intensity=data[:, 1],
        sigma=data[:, 2],
        intensity_unit=intensity_unit,
        sample=SampleInfo(name=path.stem),
        provenance={"input_file": str(path), "input_q_unit": q_unit},
    )
