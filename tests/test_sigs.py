"""Medication sigs: the documented example, plurals, PRN, every generated sig expands, bad input."""
from __future__ import annotations

import pytest

from rnn_course.data.sigs import FREQUENCIES, expand_sig, random_sigs


def test_the_example_and_the_grammar():
    assert expand_sig("1 tab PO BID x7d") == "take 1 tablet by mouth twice a day for 7 days"
    assert expand_sig("2 puff INH q4h PRN x1d") == "take 2 puffs by inhalation every 4 hours as needed for 1 day"
    assert expand_sig("3 cap PO QHS x14d") == "take 3 capsules by mouth at bedtime for 14 days"
    assert expand_sig("1 tab SL daily x2d") == "take 1 tablet under the tongue once a day for 2 days"


def test_random_sigs_are_seeded_and_all_expand():
    sigs = random_sigs(2000, seed=0)
    assert sigs == random_sigs(2000, seed=0) != random_sigs(2000, seed=1)
    expansions = [expand_sig(s) for s in sigs]
    assert all(e.startswith("take ") for e in expansions)
    assert {s.split()[3] for s in sigs} == set(FREQUENCIES)
    assert any(" PRN " in s for s in sigs) and len(set(sigs)) > 1000


@pytest.mark.parametrize("sig", ["1 tab PO BID", "5 tab PO BID x7d", "1 puff PO BID x7d", "1 tab PO QOD x7d",
                                 "1 cap SL daily x2d", 7])
def test_bad_sigs_are_refused(sig):
    with pytest.raises(ValueError, match="1 tab PO BID x7d"):
        expand_sig(sig)
    with pytest.raises(ValueError, match="non-negative"):
        random_sigs(-1, seed=0)
