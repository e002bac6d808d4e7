"""Checks every command makes before it writes, and the one-line reading of file-system errors.

- an output that is one of the inputs (the same file, also through a symbolic or hard link) is
  refused before any work (exit 2): ``saxs fit in.h5 -o in.h5`` must never replace its input;
- an output file that is an existing folder is refused;
- a file-system error while writing (read-only folder, no permission, disk full) becomes one line
  naming the file, not a traceback: permission and read-only errors are the user's to fix (exit 2),
  a full disk is an environment failure (exit 1); atomic writes (:mod:`saxs.atomic`) leave nothing.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path
from typing import Iterable

from .errors import InputError

#: errno values that mean "you may not write there" (exit 2) and "the disk is full" (exit 1).
NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def same_file(a, b) -> bool:
    """Whether paths ``a`` and ``b`` are one file (same device and inode: links included).

    A path that does not exist is the same as another only if both resolve to the same name.
    """
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_output(path, *, option: str, inputs: Iterable[tuple[str, object]] = ()) -> Path:
    """Refuse an output file that is a folder or one of ``inputs``; return it as a Path.

    Parameters
    ----------
    path : str or os.PathLike
        The output file a command is about to write.
    option : str
        The option that named it (``"-o/--output"``), for the message.
    inputs : iterable of (str, path)
        ``(what, path)`` of every input file (``("SAMPLE", "s.h5")``, ``("--solvent", ...)``);
        ``None`` paths are skipped.

    Raises
    ------
    InputError
        ``"s.h5: -o/--output: expected a file that is not an input (it is the SAMPLE file s.h5;
        writing it would replace it)"``.
    """
    out = Path(path)
    if out.is_dir():
        raise InputError(out, option, "a file name to write", got="an existing folder")
    check_writable(out.parent, file=out, option=option)
    for what, given in inputs:
        if given is None:
            continue
        if same_file(out, given):
            link = "" if os.fspath(given) == os.fspath(out) else f" {given} (the same file through a link)"
            raise InputError(out, option, f"a file that is not an input (it is the {what} file{link}; "
                             "writing it would replace it)")
    return out


def check_output_folder(path, *, option: str, inputs: Iterable[tuple[str, object]] = ()) -> Path:
    """Refuse an output folder that is an existing file (an input file included); return it."""
    out = Path(path)
    for what, given in inputs:
        if given is not None and same_file(out, given):
            raise InputError(out, option, f"an output folder (it is the {what} file)")
    if out.exists() and not out.is_dir():
        raise InputError(out, option, "an output folder", got="an existing file")
    check_writable(out, file=out, option=option)
    return out


def check_writable(folder, *, file, option: str) -> None:
    """Refuse before any work when ``folder`` (or the nearest existing folder above it, where it
    would be created) cannot be written: a read-only file system or no permission (exit 2)."""
    here = Path(os.path.abspath(folder))
    while not here.exists() and here != here.parent:
        here = here.parent
    if not here.is_dir():
        raise InputError(file, option, "a path inside a folder", got=f"{here} is a file")
    if os.access(here, os.W_OK | os.X_OK):
        return
    read_only = bool(os.statvfs(here).f_flag & os.ST_RDONLY)
    raise InputError(file, option, "a writable folder", got=f"{here}: "
                     + ("read-only file system" if read_only else "permission denied"))


def _errno_of(exc: BaseException) -> int | None:
    """The errno of an OSError, also when h5py only gives it in the message (``errno = 28``)."""
    if getattr(exc, "errno", None):
        return exc.errno
    match = re.search(r"errno = (\d+)", str(exc))
    if match:
        return int(match.group(1))
    text = str(exc)
    if "No space left on device" in text:
        return errno.ENOSPC
    if "Read-only file system" in text:
        return errno.EROFS
    if "Permission denied" in text:
        return errno.EACCES
    return None


def file_system_error(exc: BaseException) -> tuple[int, str] | None:
    """``(exit code, one-line message)`` for a file-system error while writing, else None.

    Examples
    --------
    >>> file_system_error(OSError(28, "No space left on device", "out/x.h5"))
    (1, 'out/x.h5: no space left on device (the disk is full; nothing was written)')
    """
    code = _errno_of(exc)
    if code is None:
        # h5py buries errors of a chained OSError; look one level down
        cause = exc.__cause__ or exc.__context__
        return file_system_error(cause) if isinstance(cause, OSError) else None
    name = _final_name(getattr(exc, "filename", None) or _h5_name(str(exc)) or "output")
    if code in DISK_FULL:
        return 1, f"{name}: no space left on device (the disk is full; nothing was written)"
    if code in NOT_WRITABLE:
        why = "read-only file system" if code == errno.EROFS else "permission denied"
        return 2, f"{name}: expected a writable location, got {why}"
    return None


def _final_name(name) -> str:
    """The file a temporary name of :func:`saxs.atomic.atomic_path` stands for (``.x.ab12cd34.h5.tmp`` -> ``x.h5``)."""
    name = os.fspath(name)
    folder, base = os.path.split(name)
    match = re.fullmatch(r"\.(.+)\.[A-Za-z0-9_]{8}(\.[^.]*)?\.tmp", base)
    return os.path.join(folder, match.group(1) + (match.group(2) or "")) if match else name


def _h5_name(text: str) -> str | None:
    match = re.search(r"name = '([^']+)'", text)
    return match.group(1) if match else None


def check_curve(profile, file, *, role: str = "curve", need_signal: bool = True):
    """Refuse a loaded curve with NaN/inf intensities or uncertainties, or (``need_signal``) with
    no signal at all (every intensity zero); return it unchanged.

    A curve written by ``saxs reduce`` or ID02's pipeline has its masked bins dropped, so a
    non-finite value is damage, not a mask: subtracting, calibrating or fitting it would carry the
    NaN into every result (or give chi2 = 0 for an all-zero curve) and still exit 0.

    Raises
    ------
    InputError
        ``"s.h5: I: expected finite intensities of the sample curve, got '3 of 400 bins NaN or inf,
        the first at q = 0.512 1/nm'"``.
    """
    import numpy as np

    q = np.asarray(profile.q_nm, dtype=float)
    for field, values in (("I", profile.intensity), ("Idev", profile.sigma)):
        values = np.asarray(values)
        bad = ~np.isfinite(values)
        if bad.any():
            what = "intensities" if field == "I" else "uncertainties"
            raise InputError(file, field, f"finite {what} of the {role}", got=f"{int(bad.sum())} of {values.size} "
                             f"bins NaN or inf, the first at q = {q[np.argmax(bad)]:.4g} 1/nm")
    if need_signal and not np.any(np.asarray(profile.intensity) != 0):
        raise InputError(file, "I", f"a {role} with some scattering", got=f"all {q.size} intensities zero")
    return profile


def missing_file_reason(path) -> str:
    """Why ``path`` is not a readable file, in words: "a folder", "a symbolic link loop",
    "a broken symbolic link", or "no such file"."""
    path = Path(path)
    if path.is_dir():
        return "a folder"
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except RuntimeError:
            return "a symbolic link loop"
        except OSError as exc:
            return "a symbolic link loop" if exc.errno == errno.ELOOP else "a broken symbolic link"
    return "no such file"
