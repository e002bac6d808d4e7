"""Errors that reach the user as one line naming the file, the field and what was expected."""

from __future__ import annotations

import os


class InputError(ValueError):
    """Bad user input: a file, a field in it and what was expected.

    The command line prints ``str(error)`` as a single line and exits with status 2.

    Parameters
    ----------
    file : str or os.PathLike or None
        The file that is wrong (the mask file for a bad mask, the raw file for a missing key).
        ``None`` when the problem is a command-line option rather than a file.
    field : str
        The key, dataset, column or option that is wrong.
    expected : str
        What was expected, in words a user understands.
    got : object, optional
        What was found instead.

    Examples
    --------
    >>> str(InputError("run1.h5", "HSI1", "a number", got="abc"))
    "run1.h5: HSI1: expected a number, got 'abc'"
    """

    def __init__(self, file, field: str, expected: str, *, got=None):
        self.file = None if file is None else os.fspath(file)
        self.field = field
        self.expected = expected
        self.got = got
        where = f"{self.file}: " if self.file is not None else ""
        tail = "" if got is None else f", got {got!r}"
        message = f"{where}{field}: expected {expected}{tail}"
        super().__init__(" ".join(message.split()))


class ProcessingError(RuntimeError):
    """A stage could not produce a result from otherwise valid input (e.g. a fit that failed)."""


def one_line(exc: BaseException) -> str:
    """``exc``'s message on one line (whitespace runs folded), or its class name when it has none.

    Examples
    --------
    >>> one_line(OSError("disk\\n  full"))
    'disk full'
    >>> one_line(KeyError())
    'KeyError'
    """
    return " ".join(str(exc).split()) or type(exc).__name__
