"""Small real task functions for the scheduler tests (module level: they are pickled to workers)."""

from __future__ import annotations

import os

import numpy as np


def seeded_sum(seed: int, n: int) -> float:
    """Sum of n standard normal numbers drawn with ``seed`` (deterministic)."""
    return float(np.random.default_rng(seed).standard_normal(n).sum())


def fail_if_negative(x: int) -> int:
    """Return x squared; raise ValueError for negative x."""
    if x < 0:
        raise ValueError(f"negative input {x}")
    return x * x


def die() -> None:
    """Kill the worker process outright (as an out-of-memory kill would)."""
    os._exit(3)


def worker_pid() -> int:
    """Process id of the worker that ran the task."""
    return os.getpid()


_WARM = []


def warm() -> None:
    """Warm-up hook: mark this worker process."""
    _WARM.append(os.getpid())


def was_warmed() -> bool:
    """Whether :func:`warm` ran in this worker process."""
    return os.getpid() in _WARM


def segfault_while_writing(folder: str) -> None:
    """Open a temporary output through :func:`saxs.atomic.atomic_path`, say "reading frame 2 of
    x.h5", then crash with SIGSEGV (a read of address 0, as a corrupted chunk does in a filter)."""
    import ctypes

    from saxs import crumbs
    from saxs.atomic import atomic_path

    with atomic_path(os.path.join(folder, "out.h5")) as tmp:
        tmp.write_bytes(b"partial")
        crumbs.doing("reading frame 2 of x.h5")
        ctypes.string_at(0)
