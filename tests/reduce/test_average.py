"""Frame average: mean and the uncertainty of the mean (propagated Poisson, or the larger of that and scatter)."""

from __future__ import annotations

import numpy as np
import pytest

from saxs.average import average_profiles
from saxs.profile import Profile1D


def _profiles(values, sigma):
    q = [0.1, 0.2, 0.3]
    return [Profile1D(q, v, sigma, provenance={"frame_index": k}) for k, v in enumerate(values)]


def test_poisson_rule_is_propagated_sigma_of_mean():
    frames = _profiles([[10.0, 20.0, 30.0], [12.0, 20.0, 28.0], [11.0, 20.0, 29.0], [9.0, 20.0, 33.0]],
                       [1.0, 2.0, 3.0])
    avg = average_profiles(frames, provenance={"input_file": "x.h5"})
    np.testing.assert_allclose(avg.intensity, [10.5, 20.0, 30.0])
    np.testing.assert_allclose(avg.sigma, np.array([1.0, 2.0, 3.0]) / 2)   # sqrt(4 sigma^2) / 4
    assert avg.provenance["averaged_frames"] == 4 and avg.provenance["input_file"] == "x.h5"


def test_max_rule_takes_scatter_where_larger():
    frames = _profiles([[10.0, 20.0, 30.0], [12.0, 20.0, 28.0], [11.0, 20.0, 29.0], [9.0, 20.0, 33.0]],
                       [0.1, 2.0, 0.1])
    avg = average_profiles(frames, uncertainty="max")
    scatter = np.std([[10, 12, 11, 9], [20, 20, 20, 20], [30, 28, 29, 33]], axis=1, ddof=1) / 2
    np.testing.assert_allclose(avg.sigma, [scatter[0], 1.0, scatter[2]])
    assert avg.provenance["average_uncertainty"] == "max"


def test_mismatched_frames_are_refused():
    a = Profile1D([0.1, 0.2], [1.0, 1.0], [0.1, 0.1])
    b = Profile1D([0.1, 0.25], [1.0, 1.0], [0.1, 0.1])
    with pytest.raises(ValueError, match="q grid"):
        average_profiles([a, b])
    with pytest.raises(ValueError, match="uncertainty"):
        average_profiles([a], uncertainty="scatter")
    with pytest.raises(ValueError):
        average_profiles([])
