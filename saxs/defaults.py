"""The defaults shared by the commands run by hand and the batch (one place defines them).

``saxs reduce`` / ``saxs fit`` (their parsers) and a beamtime file without the key
(:mod:`saxs.config`) both read these values, so a sample reduced and fitted by hand with no options
is treated as the batch treats it when ``beamtime.toml`` does not set the key. A beamtime file
that sets a key (the simulated demo sets ``npt``, ``dark_statistic``, ``q_range_nm``,
``radius_range_nm`` and ``bins``) overrides it, exactly as the option does on the command line.
"""

from __future__ import annotations

#: Number of q bins of the azimuthal integration (``saxs reduce --npt``, ``[instrument] npt``).
NPT = 1000

#: Per-pixel statistic of the dark stack (``--dark-statistic``, ``[instrument] dark_statistic``).
DARK_STATISTIC = "median"
DARK_STATISTICS = ("median", "clipped_mean")

#: Fitted q range, 1/nm (``saxs fit --q-range``, ``[fit] q_range_nm``); None: the whole curve.
FIT_Q_RANGE_NM: tuple[float, float] | None = None

#: Radius range of the contributions, nm (``--radius-range``, ``[fit] radius_range_nm``);
#: None: pi / q_max .. pi / q_min of the fitted q range.
FIT_RADIUS_RANGE_NM: tuple[float, float] | None = None

#: Contributions per repetition, repetitions, histogram bins, most proposals per repetition.
FIT_CONTRIBUTIONS = 300
FIT_REPETITIONS = 10
FIT_BINS = 100
FIT_MAX_STEPS = 200_000


#: Poor-fit rule thresholds (``saxs fit --poor-fit-chi2/--poor-fit-dw``, ``[fit] poor_fit_*``): the
#: fitter's own defaults (:mod:`mcfit.quality`), so a fit by hand and in the batch judge alike.
from mcfit.quality import MAX_CHI2_REDUCED as POOR_FIT_CHI2_REDUCED  # noqa: E402
from mcfit.quality import MAX_DURBIN_WATSON as POOR_FIT_DURBIN_WATSON  # noqa: E402
