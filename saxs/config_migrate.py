"""Old beamtime files: bring a parsed document to the current version, one explicit step at a time.

Version 0 is the layout written before the ``version`` key existed (samples as ``[samples.NAME]``
tables, ``fit.q_min_nm`` / ``fit.q_max_nm``); :func:`_migrate_v0_to_v1` turns it into version 1.
A file newer than :data:`CURRENT_VERSION` is refused. :func:`saxs.config.parse_beamtime` calls
:func:`migrate` before it validates anything.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from .errors import InputError

#: The beamtime file version this code writes and reads natively.
CURRENT_VERSION = 1


def _migrate_v0_to_v1(doc: dict) -> dict:
    """Version 0 (no ``version`` key) -> 1.

    Version 0 wrote samples as tables keyed by name (``[samples.cdse_T190]``) and the fitted q
    range as ``fit.q_min_nm`` / ``fit.q_max_nm``. Version 1 uses an array of tables with a
    ``name`` key and ``fit.q_range_nm = [min, max]``.
    """
    doc = dict(doc)
    samples = doc.get("samples")
    if isinstance(samples, dict):
        doc["samples"] = [{"name": name, **dict(body)} if isinstance(body, dict) else body
                          for name, body in samples.items()]
    fit = doc.get("fit")
    if isinstance(fit, dict) and ("q_min_nm" in fit or "q_max_nm" in fit):
        fit = dict(fit)
        # a missing bound is open (the data's end), as the whole curve is the default range
        q_min = fit.pop("q_min_nm", 1e-9)
        q_max = fit.pop("q_max_nm", 1e9)
        fit["q_range_nm"] = [q_min, q_max]
        doc["fit"] = fit
    doc["version"] = 1
    return doc


#: ``version -> function`` turning a document of that version into the next one.
_MIGRATIONS: dict[int, Callable[[dict], dict]] = {0: _migrate_v0_to_v1}


def migrate(doc: Mapping[str, Any], *, file=None) -> dict:
    """Bring a parsed beamtime document to :data:`CURRENT_VERSION`, one explicit step at a time.

    Parameters
    ----------
    doc : mapping
        The parsed TOML document; no ``version`` key means version 0.
    file : path, optional
        Named in error messages.

    Returns
    -------
    dict
        The document in the current version (``doc["version"] == CURRENT_VERSION``).
    """
    doc = dict(doc)
    version = doc.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise InputError(file, "version", f"an integer from 0 to {CURRENT_VERSION}", got=version)
    if version > CURRENT_VERSION:
        raise InputError(file, "version", f"at most {CURRENT_VERSION} (this saxs-insitu reads beamtime files "
                         f"up to version {CURRENT_VERSION}; upgrade saxs-insitu)", got=version)
    while version < CURRENT_VERSION:
        doc = _MIGRATIONS[version](doc)
        version += 1
        doc["version"] = version
    return doc

