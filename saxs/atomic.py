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
        try:
            yield tmp
        except OSError as exc:
            raise _named(exc, final) from exc
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


def _named(exc: OSError, final: Path) -> OSError:
    """The error again, naming the final file instead of the temporary one (or none: h5py)."""
    code = exc.errno
    if not code:
        import re

        match = re.search(r"errno = (\d+)", str(exc))
        code = int(match.group(1)) if match else None
    if code is None:
        return exc
    return OSError(code, os.strerror(code), str(final))


@contextlib.contextmanager
def atomic_h5(final_path):
    """Yield a new HDF5 file (h5py, in memory) that appears complete at ``final_path`` on success.

    The file is built in memory and its bytes written with plain writes: a full disk is then an
    ordinary ``OSError`` (ENOSPC) naming the file, never a failure inside HDF5's own writes (which
    leaves the library in a state that crashes the interpreter at exit). Results files here are
    at most a few MB.

    Examples
    --------
    >>> with atomic_h5("out.h5") as f:            # doctest: +SKIP
    ...     f["x"] = 1
    """
    import h5py

    with atomic_path(final_path) as tmp:
        with h5py.File(tmp, "w", driver="core", backing_store=False) as f:
            yield f
            f.flush()
            image = f.id.get_file_image()
        with open(tmp, "wb") as handle:
            handle.write(image)
