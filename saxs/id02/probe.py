"""Decode every frame of a raw file in a child process first, so that a corrupted compressed chunk
that crashes the decompression filter (SIGSEGV in native code, no Python exception) becomes an
:class:`~saxs.errors.InputError` naming the file and the frame, instead of killing the command.

``python -m saxs.id02.probe FILE [SCAN]`` is the child: it opens the file with
:func:`saxs.id02.open_raw`, reads each frame and prints its breadcrumbs (:mod:`saxs.crumbs`,
"reading frame 2 of X_eiger2_...h5") as JSON lines before each read. It imports only NumPy, h5py,
hdf5plugin and fabio: about 0.2 s, plus one decompression of each frame (LZ4: fast).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from ..errors import InputError


def _how(returncode: int) -> str:
    try:
        return f"signal {-returncode} ({signal.Signals(-returncode).name})"
    except ValueError:
        return f"signal {-returncode}"


def check_frames_decode(path, *, scan: int | None = None, timeout_s: float = 600.0) -> None:
    """Raise InputError if decoding a frame of ``path`` (one ``scan`` of a master file) crashes.

    Only a crash is reported: an ordinary read error (a Python exception in the child) is left to
    the real reader, which names it itself.

    Parameters
    ----------
    path : str or os.PathLike
        A raw file :func:`saxs.id02.open_raw` reads.
    scan : int, optional
        Scan of a BLISS master file (default: every scan is checked by the caller, one at a time).
    timeout_s : float
        A child still running after this long is killed and the file reported, s.

    Raises
    ------
    InputError
        ``"<LIMA file>: frame 2: expected compressed data the HDF5 filter can decode (reading it
        crashed the reader with signal 11 (SIGSEGV); read through <master file>), got 'a
        corrupted chunk'"``.
    """
    path = Path(path)
    command = [sys.executable, "-m", "saxs.id02.probe", os.fspath(path)] + ([str(scan)] if scan is not None else [])
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = package_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, env=env)
    except subprocess.TimeoutExpired as exc:
        raise InputError(path, "frames", f"frames that decode within {timeout_s:g} s", got="still decoding") from exc
    if done.returncode >= 0:
        return
    doing = ""
    for line in reversed(done.stdout.splitlines()):
        try:
            doing = json.loads(line).get("doing", "")
        except ValueError:
            continue
        if doing:
            break
    match = re.fullmatch(r"reading frame (\d+) of (.+)", doing)
    file, field = (match.group(2), f"frame {match.group(1)}") if match else (os.fspath(path), "frames")
    via = f"; read through {path}" if match and Path(match.group(2)) != path else ""
    raise InputError(file, field, f"compressed data the HDF5 filter can decode (reading it crashed the reader "
                     f"with {_how(done.returncode)}{via})", got="a corrupted chunk")


class _PrintSlot:
    """Stands in for the shared buffer of :mod:`saxs.crumbs`: each breadcrumb becomes a line."""

    @property
    def value(self) -> bytes:
        return b""

    @value.setter
    def value(self, data: bytes) -> None:
        sys.stdout.write(data.decode() + "\n")
        sys.stdout.flush()


def _main(argv: list[str]) -> int:
    from .. import crumbs
    from .raw import open_raw

    crumbs.install(_PrintSlot())
    scan = int(argv[1]) if len(argv) > 1 else None
    with open_raw(argv[0], scan=scan) as raw:
        for index in range(raw.n_frames):
            raw.frame(index)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
