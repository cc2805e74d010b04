"""Seeded clinical time stamps, written the many ways records write them, with ISO 8601 targets.

One moment (to the minute) becomes a pair ``(source, target)``: ``source`` is the moment in one
of the :data:`FORMATS` (English or Japanese, Gregorian years or the imperial era calendar,
12- or 24-hour clocks, two-digit years, full-width digits) and ``target`` is
``YYYY-MM-DDTHH:MM``. Examples for 2024-03-05 14:30:

==================  ==============================
``era_kanji``       ``令和6年3月5日 14時30分``
``era_letter``      ``R6.3.5 14:30``
``era_fullwidth``   ``令和６年３月５日　１４時３０分``
``jp_ampm``         ``2024/03/05 午後2時30分``
``en_ampm``         ``5 Mar 2024 2:30 pm``
``us_slash``        ``03/05/2024 14:30``
``dd_mon_yy``       ``5-MAR-24 1430``
``compact``         ``20240305 1430``
``western_kanji``   ``2024年3月5日 14:30``
==================  ==============================

Conventions (a real record needs them stated, and so does a model):

- Eras: 昭和 (S) from 1926-12-25, 平成 (H) from 1989-01-08, 令和 (R) from 2019-05-01. The
  first year of an era is written 元年 in kanji (令和元年 = 2019) and 1 after a letter (R1).
  平成31年4月30日 is the last day of Heisei; there is no 平成31年5月1日.
- 12-hour clocks: ``12 am`` is 00:xx and ``12 pm`` is 12:xx; 午前0時 is 00:xx and 午後0時 is
  12:xx (hours 0-11 after 午前/午後).
- Two-digit years: 00-68 mean 2000-2068 and 69-99 mean 1969-1999 (the POSIX rule of
  ``time.strptime``); moments lie in 1970-2039, so every two-digit year is unambiguous.
- ``us_slash`` is month/day/year; nothing in ``03/05/2024`` itself says so.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Callable, Iterable, NamedTuple, Sequence

from ..validation import expect_int

FIRST_MOMENT = datetime(1970, 1, 1, 0, 0)
LAST_MOMENT = datetime(2039, 12, 31, 23, 59)
_N_MINUTES = int((LAST_MOMENT - FIRST_MOMENT).total_seconds() // 60) + 1

# (kanji name, letter, first day), newest first.
ERAS: tuple[tuple[str, str, date], ...] = (
    ("令和", "R", date(2019, 5, 1)),
    ("平成", "H", date(1989, 1, 8)),
    ("昭和", "S", date(1926, 12, 25)),
)
ERA_BOUNDARIES = tuple(first for _, _, first in ERAS[:2])  # first days of Reiwa and Heisei
# The days that sample_moments(near_era_change=...) can reach: three days either side.
ERA_CHANGE_DAYS = tuple(b + timedelta(days=k) for b in ERA_BOUNDARIES for k in range(-3, 3))
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FULLWIDTH = str.maketrans("0123456789: ", "０１２３４５６７８９：\u3000")


class Example(NamedTuple):
    """One pair: ``source`` written in format ``fmt``, ``target`` in ISO 8601 (to the minute)."""

    source: str
    target: str
    fmt: str


def era_of(day: date) -> tuple[str, str, int]:
    """``(kanji name, letter, year of the era)`` of a day, e.g. 2019-05-01 -> ('令和', 'R', 1)."""
    if not isinstance(day, date):
        raise TypeError(f"day: expected a datetime.date, got {type(day).__name__}")
    day = day.date() if isinstance(day, datetime) else day
    for name, letter, first in ERAS:
        if day >= first:
            return name, letter, day.year - first.year + 1
    raise ValueError(f"day: expected a day from {ERAS[-1][2]} (the start of Shōwa) on, got {day}")


def era_year_to_gregorian(era: str, year: int) -> int:
    """Gregorian year of ``year`` of an era given by name or letter: ('令和', 6) -> 2024."""
    for name, letter, first in ERAS:
        if era in (name, letter):
            expect_int("year", year, hint="1 is written 元年")
            return first.year + year - 1
    raise ValueError(f"era: expected one of {[e[0] for e in ERAS] + [e[1] for e in ERAS]}, got {era!r}")


def to_fullwidth(text: str) -> str:
    """Digits, colons and spaces as their full-width forms (０-９, ：, the ideographic space)."""
    return text.translate(_FULLWIDTH)


def iso_minute(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM``: ISO 8601 to the minute (what ``datetime.fromisoformat`` reads)."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def _era_kanji(m: datetime) -> str:
    name, _, year = era_of(m)
    return f"{name}{'元' if year == 1 else year}年{m.month}月{m.day}日 {m.hour}時{m.minute}分"


def _era_letter(m: datetime) -> str:
    _, letter, year = era_of(m)
    return f"{letter}{year}.{m.month}.{m.day} {m:%H:%M}"


def _jp_ampm(m: datetime) -> str:
    half = "午前" if m.hour < 12 else "午後"
    return f"{m:%Y/%m/%d} {half}{m.hour % 12}時{m.minute}分"


def _en_ampm(m: datetime) -> str:
    return f"{m.day} {MONTHS[m.month - 1]} {m.year} {(m.hour + 11) % 12 + 1}:{m:%M} {'am' if m.hour < 12 else 'pm'}"


FORMATS: dict[str, Callable[[datetime], str]] = {
    "era_kanji": _era_kanji,
    "era_letter": _era_letter,
    "era_fullwidth": lambda m: to_fullwidth(_era_kanji(m)),
    "jp_ampm": _jp_ampm,
    "en_ampm": _en_ampm,
    "us_slash": lambda m: f"{m:%m/%d/%Y %H:%M}",
    "dd_mon_yy": lambda m: f"{m.day}-{MONTHS[m.month - 1].upper()}-{m:%y %H%M}",
    "compact": lambda m: f"{m:%Y%m%d %H%M}",
    "western_kanji": lambda m: f"{m.year}年{m.month}月{m.day}日 {m:%H:%M}",
}


def write(moment: datetime, fmt: str) -> str:
    """``moment`` written in format ``fmt`` (a key of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise ValueError(f"fmt: expected one of {list(FORMATS)}, got {fmt!r}")
    if not isinstance(moment, datetime):
        raise TypeError(f"moment: expected a datetime.datetime, got {type(moment).__name__}")
    if not FIRST_MOMENT <= moment <= LAST_MOMENT:
        raise ValueError(f"moment: expected {FIRST_MOMENT} to {LAST_MOMENT}, got {moment}")
    return FORMATS[fmt](moment)


def sample_moments(n: int, *, seed: int, near_era_change: float = 0.05,
                   exclude: Sequence[datetime] = (),
                   exclude_days: Iterable[date] = ()) -> list[datetime]:
    """``n`` distinct moments (whole minutes) in 1970-2039, none of them in ``exclude`` and none
    on a calendar day in ``exclude_days``.

    A share ``near_era_change`` of the draws falls within three days of an era change (the last
    days of Shōwa and Heisei, the first of Heisei and Reiwa), so that the boundaries are seen;
    a draw on an excluded day is redrawn. To split by day, pass the days of the sets drawn
    before (:func:`days_of`): every calendar day then belongs to one set only.
    """
    expect_int("n", n, low=0)
    if not 0.0 <= near_era_change <= 1.0:
        raise ValueError(f"near_era_change: expected a share in [0, 1], got {near_era_change}")
    taken_days = set(exclude_days)
    if not all(isinstance(d, date) and not isinstance(d, datetime) for d in taken_days):
        raise TypeError("exclude_days: expected datetime.date values (use days_of(moments))")
    if near_era_change == 1.0 and n and set(ERA_CHANGE_DAYS) <= taken_days:
        raise ValueError("near_era_change=1 but every day near an era change is in exclude_days")
    rng = random.Random(seed)
    taken = set(exclude)
    moments: list[datetime] = []
    while len(moments) < n:
        if rng.random() < near_era_change:
            boundary = datetime.combine(rng.choice(ERA_BOUNDARIES), datetime.min.time())
            moment = boundary + timedelta(minutes=rng.randrange(-3 * 1440, 3 * 1440))
        else:
            moment = FIRST_MOMENT + timedelta(minutes=rng.randrange(_N_MINUTES))
        if moment not in taken and moment.date() not in taken_days:
            taken.add(moment)
            moments.append(moment)
    return moments


def days_of(moments: Iterable[datetime]) -> set[date]:
    """The calendar days on which ``moments`` fall (for ``sample_moments(exclude_days=...)``)."""
    return {m.date() for m in moments}


def make_examples(moments: Sequence[datetime], formats: Sequence[str], *, seed: int) -> list[Example]:
    """One :class:`Example` per moment, its format drawn uniformly from ``formats``."""
    if not formats:
        raise ValueError("formats: expected at least one format name")
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"formats: unknown {unknown}; expected names from {list(FORMATS)}")
    rng = random.Random(seed)
    out = []
    for moment in moments:
        fmt = rng.choice(list(formats))
        out.append(Example(write(moment, fmt), iso_minute(moment), fmt))
    return out
