"""Atomic file output: write to a temporary name in the same folder, rename on success."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from . import crumbs


@contextlib.contextmanager
def atomic_path(final_path, *, suffix: str | None = None):
    """Yield a temporary path next to ``final_path``; rename it there only if the block succeeds.

    Nothing partial is ever visible under ``final_path``: on an exception (or a kill) the
    temporary file is removed (or left as an obviously temporary ``.*.tmp`` name).

    Parameters
    ----------
    final_path : str or os.PathLike
        Where the finished file should appear.
    suffix : str, optional
        Suffix of the temporary name (defaults to the final suffix, so format sniffing works).

    Examples
    --------
    >>> import h5py
    >>> with atomic_path("out.h5") as tmp:            # doctest: +SKIP
    ...     with h5py.File(tmp, "w") as f:
    ...         f["x"] = 1
    """
    final = Path(final_path)
    final.parent.mkdir(parents=True, exist_ok=True)
    suffix = final.suffix if suffix is None else suffix
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=f"{suffix}.tmp", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    crumbs.add_temp(tmp)  # a worker that dies in native code leaves it to its parent to remove
    # mkstemp creates the file 0600; give the result the permissions a plain open() would have,
    # so colleagues on a shared beamline account can read it.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    finally:
        crumbs.discard_temp(tmp)


def write_text_atomic(final_path, text: str) -> Path:
    """Write ``text`` to ``final_path`` atomically and return the path."""
    with atomic_path(final_path) as tmp:
        tmp.write_text(text)
    return Path(final_path)
