"""Corrupt one compressed frame of a LIMA file in place (same file size), as a bad disk or a
broken transfer would: the patterns the robustness tests feed the readers."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

#: Patterns of :func:`corrupt_chunk`; "random" crashes the bitshuffle-LZ4 filter (SIGSEGV),
#: the others make it return an error.
PATTERNS = ("random", "random2", "zeros", "ones", "bitflips")


def corrupt_chunk(path: Path, *, frame: int = 1, pattern: str = "random", n_bytes: int = 20000) -> None:
    """Overwrite ``n_bytes`` in the middle of frame ``frame``'s compressed chunk of LIMA file ``path``.

    ``bitflips`` flips one bit in 50 bytes of the chunk instead. The file keeps its size.
    """
    with h5py.File(path, "r") as f:
        info = f["entry_0000/measurement/data"].id.get_chunk_info(frame)
    data = bytearray(path.read_bytes())
    size = len(data)
    n = min(n_bytes, info.size - 16)
    start = info.byte_offset + (info.size - n) // 2
    rng = np.random.default_rng({"random": 1, "random2": 7}.get(pattern, 3))
    if pattern.startswith("random"):
        data[start:start + n] = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
    elif pattern == "zeros":
        data[start:start + n] = bytes(n)
    elif pattern == "ones":
        data[start:start + n] = b"\xff" * n
    elif pattern == "bitflips":
        for k in rng.integers(info.byte_offset, info.byte_offset + info.size, 50):
            data[k] ^= 0x10
    else:
        raise ValueError(pattern)
    path.write_bytes(bytes(data))
    assert path.stat().st_size == size
