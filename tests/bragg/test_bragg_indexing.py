"""Mesophase indexing: reflection tables, and hexagonal / cubic / lamellar patterns with known truth."""

from __future__ import annotations

import math

import numpy as np
import pytest
from synth_bragg import mesophase_curve

from saxs.bragg import PHASES, Peak, find_peaks, index_peaks

TABLES = {p.name: p.orders for p in PHASES}


@pytest.mark.parametrize("name,first", [
    # independent answer: the sequences tabulated for lipid / surfactant mesophases
    # (e.g. Seddon, Biochim. Biophys. Acta 1031 (1990) 1; Kaasgaard & Drummond, PCCP 8 (2006) 4957)
    ("hexagonal", (1, 3, 4, 7, 9, 12, 13)),
    ("Pn3m", (2, 3, 4, 6, 8, 9, 10, 11, 12, 14)),
    ("Im3m", (2, 4, 6, 8, 10, 12, 14, 16)),
    ("Ia3d", (6, 8, 14, 16, 20, 22, 24, 26)),
    ("Fm3m", (3, 4, 8, 11, 12, 16, 19, 20)),
    ("Fd3m", (3, 8, 11, 12, 16, 19, 24, 27)),
    ("Pm3n", (2, 4, 5, 6, 8, 10, 12, 13, 14)),
])
def test_reflection_tables(name, first):
    assert TABLES[name][: len(first)] == first
    assert TABLES["lamellar"][:4] == (1, 2, 3, 4)


def _peaks(qs, rel_std=2e-4):
    return [Peak(q, rel_std * q, 0.02 * q, 0.0, 1.0, 0.05, 1.0, 0.05, 20.0) for q in qs]


@pytest.mark.parametrize("name,orders,lattice_nm", [
    ("lamellar", (1, 2, 3, 4), 4.0),
    ("hexagonal", (1, 3, 4, 7), 6.0),
    ("Pn3m", (2, 3, 4, 6, 8, 9), 10.0),
    ("Im3m", (2, 4, 6, 8, 10), 12.0),
    ("Ia3d", (6, 8, 14, 16, 20, 22), 15.0),
    ("Fd3m", (3, 8, 11, 12, 16), 14.0),
])
def test_index_exact_patterns(name, orders, lattice_nm):
    spec = next(p for p in PHASES if p.name == name)
    c = spec.lattice_factor / lattice_nm
    qs = [c * spec.s(n) for n in orders]
    phase = index_peaks(_peaks(qs))
    assert phase is not None and phase.type == name
    assert phase.orders == orders
    assert phase.d_nm == pytest.approx(lattice_nm, rel=1e-9)  # exact input, exact answer


def test_two_peaks_do_not_make_a_cubic_phase():
    # sqrt2 : sqrt4 could be the first two Im3m reflections, but two peaks cannot establish a cubic phase
    assert index_peaks(_peaks([1.0, math.sqrt(2.0)])) is None
    assert index_peaks(_peaks([1.0])) is None


def test_unrelated_peaks_are_not_indexed():
    # ratio 1 : 1.37 : 1.61 matches no table within 0.5 %
    assert index_peaks(_peaks([1.0, 1.37, 1.61])) is None


@pytest.mark.parametrize("lattice_nm,seed", [(6.0, 31)])
def test_hexagonal_pattern_found_and_indexed(lattice_nm, seed):
    c = 4 * math.pi / (math.sqrt(3) * lattice_nm)  # q10 = 1.209 1/nm
    truth = [c * math.sqrt(n) for n in (1, 3, 4, 7)]
    found = find_peaks(mesophase_curve(truth, seed=seed))
    np.testing.assert_allclose([p.q_nm for p in found.peaks], truth, rtol=0.003)
    phase = index_peaks(found.peaks)
    assert phase.type == "hexagonal" and phase.orders == (1, 3, 4, 7)
    # positions of 2 %-wide peaks of ~600 counts fit to ~0.05 %; lattice parameter within 0.3 %
    assert phase.d_nm == pytest.approx(lattice_nm, rel=0.003)
    assert phase.d_nm_std < 0.003 * lattice_nm


@pytest.mark.parametrize("name,orders,lattice_nm,seed", [
    ("Pn3m", (2, 3, 4, 6, 8, 9), 9.0, 41),
    ("Im3m", (2, 4, 6, 8, 10), 11.0, 42),
    ("Ia3d", (6, 8, 14, 16, 20), 16.0, 43),
])
def test_cubic_pattern_found_and_indexed(name, orders, lattice_nm, seed):
    truth = [2 * math.pi / lattice_nm * math.sqrt(n) for n in orders]
    found = find_peaks(mesophase_curve(truth, seed=seed, rel_fwhm=0.015, decay=0.85))
    assert len(found.peaks) == len(orders), found.summary()
    phase = index_peaks(found.peaks)
    assert phase.type == name and phase.orders == orders
    assert phase.d_nm == pytest.approx(lattice_nm, rel=0.003)
    assert phase.unexplained_q_nm == ()


def test_unexplained_extra_peak_is_listed():
    # lamellar d = 5 nm (orders 1-3) plus a foreign peak at 1.9 1/nm (ratio 1.51 to q1)
    q1 = 2 * math.pi / 5.0
    truth = [q1, 2 * q1, 3 * q1]
    found = find_peaks(mesophase_curve(truth + [1.9], seed=51, q_max=4.0))
    phase = index_peaks(found.peaks)
    assert phase.type == "lamellar" and phase.orders == (1, 2, 3)
    assert phase.d_nm == pytest.approx(5.0, rel=0.003)
    assert len(phase.unexplained_q_nm) == 1 and phase.unexplained_q_nm[0] == pytest.approx(1.9, rel=0.003)
