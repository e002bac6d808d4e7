"""ID02 header values: decoding, numbers, and the monitor keys ``HSI0`` / ``HSI1`` / ``HSTime``.

A header is a flat mapping ``key -> str`` (LIMA: one string dataset per key under
``<detector>/header``; EDF: the frame header). Values are decoded to ``str`` whatever their
storage (byte strings, numbers, one-element arrays).

``HSI0``, ``HSI1`` and ``HSTime`` name the scaler channel of the incident monitor, the
transmitted monitor and the time counter. Older (SPEC-era) headers give a **1-based pin number**
(``"7"``: the 7th scaler channel, ``HS32N07``); BLISS-era headers give the **counter name**
(``"pin5"``), matched against the channel names (``HS32Nnn`` in the header, ``HS32N`` in a
scalers file) or against a master file's ``measurement/`` datasets. :func:`counter_reference`
tells the two apart.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from ..errors import InputError

#: Header keys of the monitor channels and the time counter.
MONITOR_KEYS = ("HSI0", "HSI1", "HSTime")


def decode_value(value) -> str:
    """Decode one header value (bytes, numpy scalar or array of one element, number) to ``str``."""
    if isinstance(value, np.ndarray):
        if value.size == 1:
            return decode_value(value.reshape(-1)[0])
        return " ".join(decode_value(v) for v in value.reshape(-1))
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8", errors="replace").strip().rstrip("\x00")
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value).strip()


def read_header_group(group) -> dict[str, str]:
    """Every dataset of an HDF5 header group, decoded to ``str`` (sub-groups ignored)."""
    import h5py

    return {key: decode_value(item[()]) for key, item in group.items() if isinstance(item, h5py.Dataset)}


def header_float(header: Mapping[str, str], key: str, file, *, default: float | None = None,
                 required: bool = True) -> float | None:
    """Read ``header[key]`` as a float, naming ``file`` and ``key`` in the error.

    Parameters
    ----------
    header : mapping str -> str
        Decoded header.
    key : str
        Header key.
    file : str or os.PathLike
        The raw file, for the error message.
    default : float, optional
        Returned when the key is absent (then ``required`` is ignored).
    required : bool, optional
        If true and the key is absent (and no default), raise :class:`InputError`; else return None.

    Raises
    ------
    InputError
        If the key is missing (and required) or its value is not a finite number.
    """
    if key not in header:
        if default is not None:
            return float(default)
        if required:
            raise InputError(file, key, "a header key with a number", got="missing")
        return None
    text = header[key]
    try:
        value = float(text)
    except ValueError:
        raise InputError(file, key, "a number", got=text) from None
    if not math.isfinite(value):
        raise InputError(file, key, "a finite number", got=text)
    return value


def counter_reference(header: Mapping[str, str], key: str) -> int | str | None:
    """What ``header[key]`` (``HSI0``, ``HSI1``, ``HSTime``) refers to.

    Returns
    -------
    int, str or None
        The 1-based pin number (an integer-valued number, older headers), the counter name
        (BLISS-era headers), or None when the key is absent or empty.
    """
    text = header.get(key, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    if value == int(value):
        return int(value)
    return text


def header_channel_names(header: Mapping[str, str]) -> list[str] | None:
    """Scaler channel names ``HS32N01..HS32N<HS32Len>`` from a header, or None when absent."""
    n = header.get("HS32Len")
    names = []
    if n is not None:
        try:
            count = int(float(n))
        except ValueError:
            return None
    else:
        count = sum(1 for k in header if k.startswith("HS32N") and k[5:].isdigit())
    for pin in range(1, count + 1):
        name = header.get(f"HS32N{pin:02d}")
        if name is None:
            return None
        names.append(name)
    return names or None


def channel_index(header: Mapping[str, str], key: str, names: Sequence[str], file, *,
                  names_from: str) -> int | None:
    """0-based channel of the counter that ``header[key]`` names (pin number or counter name).

    Parameters
    ----------
    header : mapping str -> str
        Decoded header holding ``key``.
    key : str
        ``"HSI0"``, ``"HSI1"`` or ``"HSTime"``.
    names : sequence of str
        Channel names in channel order (``HS32N``).
    file : str or os.PathLike
        The file whose header holds ``key`` (named in errors).
    names_from : str
        Where ``names`` come from (the scalers file), for the message.

    Returns
    -------
    int or None
        The channel (0-based), or None when the header has no such key.

    Raises
    ------
    InputError
        A pin number outside ``1..len(names)``, or a name that is not a channel.
    """
    ref = counter_reference(header, key)
    if ref is None:
        return None
    if isinstance(ref, int):
        if not 1 <= ref <= len(names):
            raise InputError(file, key, f"a 1-based pin number in 1..{len(names)} (channels of {names_from})",
                             got=header[key])
        return ref - 1
    for index, name in enumerate(names):
        if name == ref:
            return index
    lowered = [n.lower() for n in names]
    if ref.lower() in lowered:
        return lowered.index(ref.lower())
    raise InputError(file, key, f"a counter name among the channels of {names_from} ({', '.join(names)})",
                     got=ref)


__all__ = ["decode_value", "header_float", "read_header_group", "counter_reference", "channel_index",
           "header_channel_names", "MONITOR_KEYS"]
