"""Patient-level splits: the proof that no patient is on both sides.

A model evaluated on beats or hours of patients it was trained on is graded on its memory of
those patients, not on how it will do for the next one. :func:`assert_disjoint` is the check
every split in the course passes: it raises, naming the patients, if any group appears in two
splits.
"""
from __future__ import annotations

from itertools import combinations
from typing import Any, Iterable


def assert_disjoint(**splits: Iterable[Any]) -> None:
    """Raise ``ValueError`` if any group (patient, record, RecordID) is in two of ``splits``.

    Example: ``assert_disjoint(train=train_ids, validation=val_ids, test=test_ids)``. Each
    split may list a group many times (one entry per beat, say); only membership counts.
    """
    if len(splits) < 2:
        raise ValueError(f"assert_disjoint: expected at least two named splits, got {list(splits)}")
    sets = {}
    for name, groups in splits.items():
        if isinstance(groups, (str, bytes)):
            raise TypeError(f"{name}: expected a collection of group labels, got the string {groups!r}")
        sets[name] = set(groups.tolist() if hasattr(groups, "tolist") else groups)
    clashes = []
    for (a, ga), (b, gb) in combinations(sets.items(), 2):
        shared = ga & gb
        if shared:
            listed = ", ".join(map(str, sorted(shared, key=str)[:10]))
            more = f" and {len(shared) - 10} more" if len(shared) > 10 else ""
            clashes.append(f"{a} and {b} share {len(shared)} group(s): {listed}{more}")
    if clashes:
        raise ValueError("splits are not patient-disjoint: " + "; ".join(clashes))
