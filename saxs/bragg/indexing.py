"""Index a set of Bragg peaks as a mesophase by the ratios of their positions.

Each phase is a table of allowed reflections, written as an integer ``N`` per reflection:

- lamellar: ``q_n = n * 2 pi / d``; ``N = n`` (the order); lattice parameter ``d``.
- 2D hexagonal: ``q = (4 pi / (sqrt 3 a)) * sqrt(N)`` with ``N = h^2 + hk + k^2`` (1, 3, 4, 7, ...).
- cubic: ``q = (2 pi / a) * sqrt(N)`` with ``N = h^2 + k^2 + l^2``, the reflections allowed by the
  space group's reflection conditions (International Tables for Crystallography, vol. A), applied
  below per class of reflection (hkl, 0kl, hhl, h00; cubic symmetry makes them hold for every
  permutation). ``N`` is allowed when at least one triple with that sum of squares is allowed.

Matching: for every phase, every peak ``i`` taken as each of the phase's first few reflections
``k`` gives a starting scale ``c = q_i / s_k`` that predicts ``c * s(N)``; a peak is indexed by the
nearest prediction when within ``sqrt((k_sigma * q_std)^2 + (ratio_tolerance * q)^2)``. The scale
is refined by weighted least squares over the indexed peaks (``q = c * s``, weights
``1 / q_std^2``; its standard error scaled by ``sqrt(max(1, reduced chi2))``) and the peaks are
re-indexed, until the indexed set no longer changes. The phase's first reflection must be seen
(it is the strongest in these phases).

Choice among phases: score = (indexed peaks) - ``missing_penalty`` x (allowed reflections between
the first and the highest indexed one that were not seen). Dense tables (Pn3m, Pm3n) explain random
peak sets easily; the penalty makes the sparsest consistent table win (1:2:3 is lamellar, not cubic
with a large lattice). Ties go to the simpler phase (the order of :data:`PHASES`). At least two
indexed peaks are needed for lamellar and hexagonal phases, three for cubic ones; otherwise no phase.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .peak_types import Peak


def _classes(h: int, k: int, l: int):
    """Reflection classes of a triple (sorted descending), with the indices each condition uses.

    Returns a list of (class name, indices) pairs: ``("h00", (h,))``, ``("0kl", (k, l))``,
    ``("hhl", (h, l))``; the general class ``hkl`` always applies.
    """
    a, b, c = sorted((abs(h), abs(k), abs(l)), reverse=True)
    out = []
    if b == 0 and c == 0:
        out.append(("h00", (a,)))
    if c == 0:
        out.append(("0kl", (a, b)))
    if a == b:
        out.append(("hhl", (a, c)))
    if b == c:
        out.append(("hhl", (b, a)))
    return out


def _pn3m(h, k, l):  # No. 224: 0kl: k + l = 2n; h00: h = 2n
    for cls, idx in _classes(h, k, l):
        if cls == "0kl" and (idx[0] + idx[1]) % 2:
            return False
        if cls == "h00" and idx[0] % 2:
            return False
    return True


def _im3m(h, k, l):  # No. 229: hkl: h + k + l = 2n
    return (h + k + l) % 2 == 0


def _ia3d(h, k, l):  # No. 230: hkl: h+k+l = 2n; 0kl: k, l = 2n; hhl: 2h + l = 4n; h00: h = 4n
    if (h + k + l) % 2:
        return False
    for cls, idx in _classes(h, k, l):
        if cls == "0kl" and (idx[0] % 2 or idx[1] % 2):
            return False
        if cls == "hhl" and (2 * idx[0] + idx[1]) % 4:
            return False
        if cls == "h00" and idx[0] % 4:
            return False
    return True


def _fm3m(h, k, l):  # No. 225: hkl: h + k, h + l, k + l = 2n (all even or all odd)
    return h % 2 == k % 2 == l % 2


def _fd3m(h, k, l):  # No. 227: F-centring; 0kl: k + l = 4n; hhl: h + l = 2n; h00: h = 4n
    if not _fm3m(h, k, l):
        return False
    for cls, idx in _classes(h, k, l):
        if cls == "0kl" and (idx[0] + idx[1]) % 4:
            return False
        if cls == "hhl" and (idx[0] + idx[1]) % 2:
            return False
        if cls == "h00" and idx[0] % 4:
            return False
    return True


def _pm3n(h, k, l):  # No. 223: hhl: l = 2n; h00: h = 2n
    for cls, idx in _classes(h, k, l):
        if cls == "hhl" and idx[1] % 2:
            return False
        if cls == "h00" and idx[0] % 2:
            return False
    return True


def _cubic_orders(allowed: Callable[[int, int, int], bool], n_max: int = 60) -> tuple[int, ...]:
    found = set()
    top = int(math.isqrt(n_max)) + 1
    for h, k, l in itertools.product(range(top), repeat=3):
        n = h * h + k * k + l * l
        if 0 < n <= n_max and allowed(h, k, l):
            found.add(n)
    return tuple(sorted(found))


def _hexagonal_orders(n_max: int = 60) -> tuple[int, ...]:
    top = int(math.isqrt(n_max)) + 1
    return tuple(sorted({h * h + h * k + k * k for h in range(top) for k in range(top)
                         if 0 < h * h + h * k + k * k <= n_max}))


@dataclass(frozen=True)
class PhaseSpec:
    """A phase's table of allowed reflections.

    Attributes
    ----------
    name : str
        ``"lamellar"``, ``"hexagonal"``, ``"Pn3m"``, ...
    orders : tuple of int
        Allowed ``N`` (see the module docstring), increasing.
    sqrt_scale : bool
        True when q is proportional to sqrt(N) (hexagonal, cubic); False for lamellar (q ~ N).
    lattice_factor : float
        Lattice parameter = ``lattice_factor / c`` for the scale ``c`` (1/nm) of ``q = c * s(N)``:
        2 pi (lamellar d, cubic a), 4 pi / sqrt(3) (hexagonal a).
    min_peaks : int
        Fewest indexed peaks that establish the phase.
    """

    name: str
    orders: tuple
    sqrt_scale: bool
    lattice_factor: float
    min_peaks: int

    def s(self, order: int) -> float:
        """The ratio of reflection ``order`` to the scale: N or sqrt(N)."""
        return math.sqrt(order) if self.sqrt_scale else float(order)


#: The phases tried, simplest first (ties go to the earlier one).
PHASES: tuple[PhaseSpec, ...] = (
    PhaseSpec("lamellar", tuple(range(1, 31)), False, 2 * math.pi, 2),
    PhaseSpec("hexagonal", _hexagonal_orders(), True, 4 * math.pi / math.sqrt(3), 2),
    PhaseSpec("Im3m", _cubic_orders(_im3m), True, 2 * math.pi, 3),
    PhaseSpec("Ia3d", _cubic_orders(_ia3d), True, 2 * math.pi, 3),
    PhaseSpec("Pn3m", _cubic_orders(_pn3m), True, 2 * math.pi, 3),
    PhaseSpec("Fm3m", _cubic_orders(_fm3m), True, 2 * math.pi, 3),
    PhaseSpec("Fd3m", _cubic_orders(_fd3m), True, 2 * math.pi, 3),
    PhaseSpec("Pm3n", _cubic_orders(_pm3n), True, 2 * math.pi, 3),
)


@dataclass(frozen=True)
class Phase:
    """An indexed mesophase.

    Attributes
    ----------
    type : str
        Phase name (see :data:`PHASES`).
    d_nm, d_nm_std : float
        Lattice parameter (lamellar repeat distance d, hexagonal or cubic lattice constant a), nm,
        from the weighted fit of all indexed peaks, and its standard uncertainty.
    q1_nm : float
        Fitted position of the phase's first reflection, 1/nm.
    orders : tuple of int
        ``N`` of each indexed peak (lamellar order n; h^2+hk+k^2; h^2+k^2+l^2).
    indexed_q_nm : tuple of float
        Positions of the indexed peaks, in the order of ``orders``.
    unexplained_q_nm : tuple of float
        Positions of the peaks this phase does not explain.
    score : float
        Indexed peaks minus the penalty for missing reflections.
    reduced_chi2 : float
        Of the weighted fit ``q = c * s(N)`` (nan with one degree of freedom or fewer).
    """

    type: str
    d_nm: float
    d_nm_std: float
    q1_nm: float
    orders: tuple
    indexed_q_nm: tuple
    unexplained_q_nm: tuple
    score: float
    reduced_chi2: float

    def as_dict(self) -> dict:
        return {
            "type": self.type, "d_nm": self.d_nm, "d_nm_std": self.d_nm_std, "q1_nm": self.q1_nm,
            "orders": [int(o) for o in self.orders], "indexed_q_nm": list(self.indexed_q_nm),
            "unexplained": [{"q_nm": q} for q in self.unexplained_q_nm],
            "score": self.score, "reduced_chi2": self.reduced_chi2,
        }


def _assign(q, tol, spec: PhaseSpec, c: float):
    """Nearest allowed reflection for each peak within tolerance; one peak per reflection."""
    s = np.array([spec.s(n) for n in spec.orders])
    best: dict[int, tuple[float, int]] = {}
    for j, (qj, tj) in enumerate(zip(q, tol)):
        k = int(np.argmin(np.abs(c * s - qj)))
        dev = abs(c * s[k] - qj)
        if dev <= tj and (k not in best or dev < best[k][0]):
            best[k] = (dev, j)
    return {j: k for k, (_, j) in best.items()}  # peak index -> reflection index


def _refine(q, q_std, spec: PhaseSpec, assign: dict[int, int]):
    """Weighted least squares of q = c * s over the indexed peaks: (c, c_std, reduced chi2)."""
    js = sorted(assign)
    s = np.array([spec.s(spec.orders[assign[j]]) for j in js])
    y = q[js]
    w = 1.0 / q_std[js] ** 2
    c = float(np.sum(w * s * y) / np.sum(w * s * s))
    c_std = float(1.0 / math.sqrt(np.sum(w * s * s)))
    dof = len(js) - 1
    redchi = float(np.sum(w * (y - c * s) ** 2) / dof) if dof > 0 else float("nan")
    if dof > 0:
        c_std *= math.sqrt(max(1.0, redchi))
    return c, c_std, redchi


def index_peaks(
    peaks: Sequence[Peak],
    *,
    phases: Sequence[PhaseSpec] = PHASES,
    ratio_tolerance: float = 0.005,
    k_sigma: float = 3.0,
    missing_penalty: float = 0.5,
    n_anchor: int = 6,
) -> Phase | None:
    """Index peaks as the best-fitting mesophase, or None when nothing is indexed.

    Parameters
    ----------
    peaks : sequence of Peak
        Significant peaks (``q_nm``, ``q_nm_std`` used).
    phases : sequence of PhaseSpec, optional
        Phases to try (default :data:`PHASES`).
    ratio_tolerance : float, optional
        Relative tolerance floor of a match (default 0.5 %: calibration tilts and sample
        effects shift orders a little even when the fitted position uncertainty is tiny).
    k_sigma : float, optional
        Matches within ``k_sigma`` fitted standard deviations are accepted (default 3).
    missing_penalty : float, optional
        Score lost per allowed reflection not seen below the highest indexed one (default 0.5).
    n_anchor : int, optional
        Each peak is tried as each of the phase's first ``n_anchor`` reflections to start the
        scale (default 6), so that one displaced order does not spoil the whole indexing.

    Returns
    -------
    Phase or None

    Examples
    --------
    >>> from saxs.bragg.peak_types import Peak
    >>> ps = [Peak(q, 1e-3, 0.05, 0, 1, 0.1, 1, 0.1, 10) for q in (1.0, 2.0, 3.0)]
    >>> index_peaks(ps).type
    'lamellar'
    """
    if len(peaks) < 2:
        return None
    q = np.array([p.q_nm for p in peaks], dtype=float)
    q_std = np.array([p.q_nm_std if np.isfinite(p.q_nm_std) and p.q_nm_std > 0 else ratio_tolerance * p.q_nm
                      for p in peaks], dtype=float)
    tol = np.sqrt((k_sigma * q_std) ** 2 + (ratio_tolerance * q) ** 2)
    best = None
    for rank, spec in enumerate(phases):
        # anchors: each peak taken as each of the phase's first few reflections; then the scale
        # is refined on the indexed peaks and the peaks re-indexed until the set is stable
        tried: set[tuple] = set()
        for i in range(q.size):
            for k in range(min(n_anchor, len(spec.orders))):
                assign = _assign(q, tol, spec, q[i] / spec.s(spec.orders[k]))
                for _ in range(4):
                    if len(assign) < spec.min_peaks:
                        break
                    c, c_std, redchi = _refine(q, q_std, spec, assign)
                    new = _assign(q, tol, spec, c)
                    if new == assign:
                        break
                    assign = new
                key_set = tuple(sorted(assign.items()))
                if key_set in tried or 0 not in assign.values() or len(assign) < spec.min_peaks:
                    continue
                tried.add(key_set)
                c, c_std, redchi = _refine(q, q_std, spec, assign)
                top = max(assign.values())
                missing = (top + 1) - len(assign)
                score = len(assign) - missing_penalty * missing
                key = (score, -rank, -(redchi if np.isfinite(redchi) else 0.0))
                if best is None or key > best[0]:
                    best = (key, spec, assign, c, c_std, redchi, score)
    if best is None:
        return None
    _, spec, assign, c, c_std, redchi, score = best
    js = sorted(assign, key=lambda j: q[j])
    lattice = spec.lattice_factor / c
    return Phase(
        type=spec.name,
        d_nm=float(lattice),
        d_nm_std=float(lattice * c_std / c),
        q1_nm=float(c * spec.s(spec.orders[0])),
        orders=tuple(int(spec.orders[assign[j]]) for j in js),
        indexed_q_nm=tuple(float(q[j]) for j in js),
        unexplained_q_nm=tuple(float(q[j]) for j in range(q.size) if j not in assign),
        score=float(score),
        reduced_chi2=float(redchi),
    )
