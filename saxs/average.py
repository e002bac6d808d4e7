"""Plain average of frame profiles on a common q grid, with the uncertainty of the mean.

The uncertainty of the mean of N frames is the Poisson-propagated one,
``sqrt(sum sigma_k^2) / N`` (``uncertainty="poisson"``, the default), or the larger of that and
the frame-to-frame scatter ``std(I_k, ddof=1) / sqrt(N)`` (``uncertainty="max"``); never the
scatter of a handful of frames alone (DESIGN.md). Screening frames is not done here.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from .profile import Profile1D

#: Accepted rules for the uncertainty of the mean.
UNCERTAINTY_RULES = ("poisson", "max")


def average_profiles(
    profiles: Sequence[Profile1D],
    *,
    uncertainty: str = "poisson",
    provenance: Mapping[str, Any] | None = None,
) -> Profile1D:
    """Mean of profiles sharing one q grid, with the standard uncertainty of the mean.

    Parameters
    ----------
    profiles : sequence of Profile1D, length N >= 1
        Same ``q_nm`` (shape (n,)) and the same intensity unit.
    uncertainty : {"poisson", "max"}, optional
        ``"poisson"``: ``sqrt(sum sigma_k^2) / N``; ``"max"``: the larger of that and
        ``std(I_k, ddof=1) / sqrt(N)`` per point (N >= 2).
    provenance : mapping, optional
        Provenance of the average; ``averaged_frames`` and ``average_uncertainty`` are added.

    Returns
    -------
    Profile1D
        The mean, shape (n,); sample information of the first profile.

    Raises
    ------
    ValueError
        No profiles, different q grids or units, or an unknown rule.

    Examples
    --------
    >>> p = Profile1D([0.1, 0.2], [2.0, 4.0], [1.0, 1.0])
    >>> average_profiles([p, p]).sigma.round(3).tolist()
    [0.707, 0.707]
    """
    if uncertainty not in UNCERTAINTY_RULES:
        raise ValueError(f"uncertainty must be one of {UNCERTAINTY_RULES}; got {uncertainty!r}")
    if not profiles:
        raise ValueError("average_profiles needs at least one profile")
    first = profiles[0]
    for k, p in enumerate(profiles[1:], start=1):
        if p.q_nm.shape != first.q_nm.shape or not np.allclose(p.q_nm, first.q_nm, rtol=1e-9, atol=0.0):
            raise ValueError(f"profile {k} has a different q grid from profile 0")
        if p.intensity_unit != first.intensity_unit:
            raise ValueError(f"profile {k} is in {p.intensity_unit}, profile 0 in {first.intensity_unit}")
    n = len(profiles)
    stack = np.stack([p.intensity for p in profiles])
    sigma = np.sqrt(np.sum(np.stack([p.sigma for p in profiles]) ** 2, axis=0)) / n
    if uncertainty == "max" and n >= 2:
        scatter = np.std(stack, axis=0, ddof=1) / np.sqrt(n)
        sigma = np.maximum(sigma, scatter)
    prov = dict(provenance or {})
    prov.update({"averaged_frames": n, "average_uncertainty": uncertainty})
    return Profile1D(q_nm=first.q_nm, intensity=stack.mean(axis=0), sigma=sigma,
                     intensity_unit=first.intensity_unit, sample=first.sample, provenance=prov)


__all__ = ["average_profiles", "UNCERTAINTY_RULES"]
