"""Helpers of the robustness tests: run the CLI in this process, mount real tmpfs file systems."""

from __future__ import annotations

import contextlib
import io
import subprocess
from pathlib import Path

import pytest

from saxs.cli import main


def run_saxs(*args) -> tuple[int, str, str]:
    """``saxs ARGS`` in this process: (exit code, stdout, the stderr lines the CLI itself printed)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    lines = [line for line in err.getvalue().splitlines() if line.startswith("saxs ")]
    return code, out.getvalue(), "\n".join(lines)


@contextlib.contextmanager
def tmpfs(path: Path, *, size_kb: int, read_only: bool = False, fill_to_kb: int | None = None):
    """Mount a real tmpfs of ``size_kb`` at ``path`` (read-only, or filled up to ``fill_to_kb``).

    Skips the test where mounting is not allowed (not root, no CAP_SYS_ADMIN).
    """
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        if fill_to_kb:
            (path / "filler").write_bytes(b"\0" * fill_to_kb * 1024)
        if read_only:
            subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def listing(folder: Path) -> list[str]:
    """Every file under ``folder`` (hidden ones included), relative, sorted."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
