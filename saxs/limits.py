"""Upper bounds of every size-like input, checked before work starts (the error says the limit).

``npt = 1000000000`` used to be accepted and took 23.5 GB before the kernel killed the process.
Each bound is far above any sensible value and far below what exhausts a workstation; the fit's
memory is also estimated (its model matrix: contributions x q points) against the machine's
memory.
"""

from __future__ import annotations

import os

from .errors import InputError

#: name -> (largest accepted value, why). Names are the beamtime.toml keys (CLI: --name).
LIMITS: dict[str, tuple[int, str]] = {
    "npt": (100_000, "q bins; an Eiger2 4M has about 3000 pixels from the beam to its corner"),
    "q_bins": (100_000, "q bins"),
    "contributions": (1_000_000, "spheres per repetition"),
    "repetitions": (10_000, "independent repetitions"),
    "bins": (10_000, "histogram bins"),
    "max_steps": (1_000_000_000, "Monte Carlo proposals per repetition"),
    "extra_steps": (1_000_000_000, "Monte Carlo proposals per repetition"),
    "frames": (100_000, "frames per file"),
    "max_rings": (1000, "calibrant rings"),
    "dpi": (2400, "dots per inch"),
}


def check_limit(name: str, value, *, file=None, field: str | None = None):
    """Raise InputError when ``value`` exceeds the limit of ``name``; return ``value``.

    Examples
    --------
    >>> check_limit("npt", 400)
    400
    """
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        return value
    limit, what = LIMITS[name]
    if value > limit:
        raise InputError(file, field or f"--{name.replace('_', '-')}", f"at most {limit:,} ({what})", got=value)
    return value


def memory_bytes() -> int | None:
    """Physical memory of this machine, bytes (None where unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def check_fit_memory(contributions: int, n_q: int, *, file=None, field: str = "--contributions") -> None:
    """Refuse a fit whose model matrix (contributions x q points, float64, about 3 copies) would
    need more than half of this machine's memory."""
    total = memory_bytes()
    need = 3 * 8 * int(contributions) * int(n_q)
    if total is not None and need > total // 2:
        raise InputError(file, field, f"a fit that fits in memory: {contributions:,} contributions x {n_q:,} q points "
                         f"need about {need / 2**30:.1f} GiB, this machine has {total / 2**30:.1f} GiB",
                         got=contributions)
