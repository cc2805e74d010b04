"""Seeded medication instructions ("sigs") in pharmacy shorthand, with their plain-English expansion.

``1 tab PO BID x7d`` -> ``take 1 tablet by mouth twice a day for 7 days``: a toy version of
abbreviation expansion, a sequence-to-sequence task of clinical text. A sig is
``<dose> <form> <route> <frequency>[ PRN] x<days>d``:

- dose 1-4; form ``tab`` (tablet), ``cap`` (capsule) or ``puff``, plural after doses above 1;
- route ``PO`` (by mouth) or ``SL`` (under the tongue) for tablets, ``PO`` for capsules,
  ``INH`` (by inhalation) for puffs;
- frequency ``daily``, ``BID``, ``TID``, ``QID``, ``q4h``, ``q6h``, ``q8h`` or ``QHS`` (at
  bedtime), optionally followed by ``PRN`` (as needed);
- duration ``x<n>d`` with n from 1 to 14 (``for 1 day``, ``for 2 days``, ...).

The grammar is closed and small, so a few dozen lines of rules expand it exactly; the point of
the exercise is what a learned model does with it, and with what it has not seen.
"""
from __future__ import annotations

import random
import re

from ..validation import expect_int

FORMS = {"tab": ("tablet", "tablets"), "cap": ("capsule", "capsules"), "puff": ("puff", "puffs")}
ROUTES = {"PO": "by mouth", "SL": "under the tongue", "INH": "by inhalation"}
ROUTES_FOR_FORM = {"tab": ("PO", "SL"), "cap": ("PO",), "puff": ("INH",)}
FREQUENCIES = {"daily": "once a day", "BID": "twice a day", "TID": "three times a day",
               "QID": "four times a day", "q4h": "every 4 hours", "q6h": "every 6 hours",
               "q8h": "every 8 hours", "QHS": "at bedtime"}
MAX_DAYS = 14
_SIG = re.compile(r"([1-4]) (tab|cap|puff) (PO|SL|INH) (\w+)( PRN)? x(\d+)d")


def random_sigs(n: int, *, seed: int) -> list[str]:
    """``n`` random sigs (repeats possible: there are only a few thousand different ones)."""
    expect_int("n", n, low=0)
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        form = rng.choice(list(FORMS))
        prn = " PRN" if rng.random() < 0.25 else ""
        out.append(f"{rng.randint(1, 4)} {form} {rng.choice(ROUTES_FOR_FORM[form])} "
                   f"{rng.choice(list(FREQUENCIES))}{prn} x{rng.randint(1, MAX_DAYS)}d")
    return out


def expand_sig(sig: str) -> str:
    """The plain-English instruction of a sig in the grammar above (``ValueError`` otherwise)."""
    match = _SIG.fullmatch(sig) if isinstance(sig, str) else None
    if match is None or match.group(4) not in FREQUENCIES or match.group(3) not in ROUTES_FOR_FORM[match.group(2)]:
        raise ValueError(f"sig: expected '<dose 1-4> <tab|cap|puff> <route> <frequency>[ PRN] x<days>d' "
                         f"such as '1 tab PO BID x7d', got {sig!r}")
    dose, form, route, frequency, prn, days = match.groups()
    unit = FORMS[form][0 if dose == "1" else 1]
    return (f"take {dose} {unit} {ROUTES[route]} {FREQUENCIES[frequency]}{' as needed' if prn else ''} "
            f"for {days} day{'' if days == '1' else 's'}")
