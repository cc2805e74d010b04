"""A guard around a time-stamp normaliser: checks that do not trust the model.

A sequence model answers every input with fluent ISO text, even where no answer exists
(平成35年, 30 February) or where the input lies outside the years it was trained on. In a record
system a silent wrong date is worse than none, so :func:`guard` sorts each answer into one of
three outcomes, with the reason:

- ``"refused"``: the input names an era year or date that never existed, or lies outside the
  model's range; or the output is not a real date and time, lies outside the range, or
  contradicts the input's era year. No date is written.
- ``"flagged"``: an answer, but the model's confidence (the smallest probability it gave to a
  character of its output) is below a threshold chosen on validation data, or the answer does
  not write back to the input in any known format. A person checks it.
- ``"answer"``: none of the above.

The eras with their first and last days (Gregorian). Before Heisei an era changed on the day of
an accession, so 1912-07-30 and 1926-12-25 belong to two eras each; Heisei and Reiwa began the
day after the change. Dates before 明治6年 (1873) were written in the lunisolar calendar; for
them only the era year is checked.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Callable, Iterable, NamedTuple, Sequence

import numpy as np
import torch

from .decoding import translate
from ..data.timestamps import FIRST_MOMENT, FORMATS, LAST_MOMENT, write
from .vocab import encode_pairs

# name: (letter, first day, last day or None while the era lasts)
ERA_SPANS: dict[str, tuple[str, date, date | None]] = {
    "明治": ("M", date(1868, 1, 25), date(1912, 7, 30)),
    "大正": ("T", date(1912, 7, 30), date(1926, 12, 25)),
    "昭和": ("S", date(1926, 12, 25), date(1989, 1, 7)),
    "平成": ("H", date(1989, 1, 8), date(2019, 4, 30)),
    "令和": ("R", date(2019, 5, 1), None),
}
_BY_LETTER = {letter: name for name, (letter, _, _) in ERA_SPANS.items()}
_KANJI = re.compile(r"(明治|大正|昭和|平成|令和)(元|\d+)年(?:(\d+)月(?:(\d+)日)?)?")
_LETTER = re.compile(r"([MTSHR])(\d+)\.(\d+)\.(\d+)")
OUTCOMES = ("answer", "flagged", "refused")


class Guarded(NamedTuple):
    """One input's outcome (one of :data:`OUTCOMES`), the answer (``None`` if refused), why,
    and the model's confidence (``nan`` if the model was not run)."""

    outcome: str
    text: str | None
    reason: str
    confidence: float


def era_problem(source: str, first: date = FIRST_MOMENT.date(),
                last: date = LAST_MOMENT.date()) -> str | None:
    """Why the era date in ``source`` cannot be normalised, or ``None`` (also when it has none).

    Checks the era year against the era's span (平成 has years 1-31), the day against the
    calendar and the era's first and last days, and the day against ``first``-``last``, the
    range the model was trained on. Full-width digits are read as ASCII.
    """
    if not isinstance(source, str):
        raise TypeError(f"source: expected a str, got {type(source).__name__}")
    text = unicodedata.normalize("NFKC", source)
    found = _KANJI.search(text)
    if found:
        era, year, month, day = found.groups()
    elif (found := _LETTER.match(text)):
        letter, year, month, day = found.groups()
        era = _BY_LETTER[letter]
    else:
        return None
    letter, start, end = ERA_SPANS[era]
    year = 1 if year == "元" else int(year)
    last_year = end.year - start.year + 1 if end else None  # the present era: no last year
    if year < 1 or (last_year and year > last_year):
        return f"{era}{year}年 never existed: {era} has years 1-{last_year or '...'}"
    if month is None or day is None:
        return None
    try:
        when = date(start.year + year - 1, int(month), int(day))
    except ValueError:
        return f"{era}{year}年{month}月{day}日 is not a day of the calendar"
    if when < start or (end is not None and when > end):
        return f"{when} is not in {era} ({start} to {end or '...'})"
    if not first <= when <= last:
        return f"{when} is outside the model's range {first.year}-{last.year}"
    return None


def output_problem(text: str, source: str, first: datetime = FIRST_MOMENT,
                   last: datetime = LAST_MOMENT) -> str | None:
    """Why the output ``text`` cannot be written into a record, or ``None``: it must be a real
    ``YYYY-MM-DDTHH:MM`` (read by ``datetime``), within ``first``-``last``, and in the Gregorian
    year of the era year that ``source`` names, if it names one."""
    try:
        moment = datetime.fromisoformat(text)
        if moment.strftime("%Y-%m-%dT%H:%M") != text:
            raise ValueError
    except ValueError:
        return f"{text!r} is not a real date and time in YYYY-MM-DDTHH:MM"
    if not first <= moment <= last:
        return f"{text} is outside the model's range {first.year}-{last.year}"
    named = _era_year(source)
    if named:
        era, year = named
        gregorian = ERA_SPANS[era][1].year + year - 1
        if moment.year != gregorian:
            return f"{text} contradicts {era}{year}年 (= {gregorian})"
    return None


def _era_year(source: str) -> tuple[str, int] | None:
    """``(era name, era year)`` named in ``source`` (kanji or letter form), or ``None``."""
    text = unicodedata.normalize("NFKC", source)
    if (found := _KANJI.search(text)):
        return found.group(1), 1 if found.group(2) == "元" else int(found.group(2))
    if (found := _LETTER.match(text)):
        return _BY_LETTER[found.group(1)], int(found.group(2))
    return None


def writes_back(text: str, source: str, formats: Iterable[str] = FORMATS) -> bool:
    """Whether the moment ``text`` (ISO, already checked) written in one of ``formats`` gives
    ``source`` again: a round trip that does not trust the model."""
    moment = datetime.fromisoformat(text)
    return any(write(moment, fmt) == source for fmt in formats)


def guard(source: str, text: str | None, confidence: float, *, threshold: float,
          formats: Iterable[str] = FORMATS) -> Guarded:
    """The outcome for one input and the model's output (``None`` if it was not run).

    ``confidence`` is the smallest probability the model gave to a character of ``text``
    (see :func:`min_char_prob`); below ``threshold`` the answer is flagged.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold: expected a probability in [0, 1], got {threshold}")
    problem = era_problem(source)
    if problem:
        return Guarded("refused", None, problem, float("nan"))
    if text is None:
        raise ValueError("text: expected the model's output for an input that passed its checks")
    problem = output_problem(text, source)
    if problem:
        return Guarded("refused", None, problem, confidence)
    if confidence < threshold:
        return Guarded("flagged", text, f"confidence {confidence:.3f} < {threshold:.3f}",
                       confidence)
    if not writes_back(text, source, formats):
        return Guarded("flagged", text, "the answer does not write back to the input",
                       confidence)
    return Guarded("answer", text, "", confidence)


@torch.no_grad()
def min_char_prob(model, sources: Sequence[str], outputs: Sequence[str], src_vocab,
                  tgt_vocab) -> np.ndarray:
    """``(N,)``: for each output, the smallest probability the model gives to one of its
    characters or its ``<eos>``, reading its own output as the decoder's input (as greedy
    decoding did)."""
    if len(sources) != len(outputs):
        raise ValueError(f"sources and outputs: expected equal lengths, got {len(sources)} "
                         f"and {len(outputs)}")
    model.eval()
    device = next(model.parameters()).device
    pairs = encode_pairs(list(sources), list(outputs), src_vocab, tgt_vocab)
    logits = model(pairs.src.to(device), pairs.lengths, pairs.tgt_in.to(device))
    probs = torch.softmax(logits, -1).gather(-1, pairs.tgt_out.to(device)[..., None])[..., 0]
    probs = probs.masked_fill(pairs.tgt_out.to(device) == 0, 1.0)  # padding counts for nothing
    return probs.min(1).values.cpu().numpy()


def guarded_normalise(translate_fn: Callable[[list[str]], list[str]],
                      confidence_fn: Callable[[list[str], list[str]], np.ndarray],
                      sources: Sequence[str], *, threshold: float,
                      formats: Iterable[str] = FORMATS) -> list[Guarded]:
    """:func:`guard` every source: inputs with an impossible or out-of-range era date are
    refused before the model runs; the rest are translated (``translate_fn(sources) ->
    texts``), scored (``confidence_fn(sources, texts) -> (N,)``) and checked."""
    if isinstance(sources, str):
        raise TypeError("sources: expected a list of strings, got one string")
    formats = list(formats)
    run = [s for s in sources if era_problem(s) is None]
    texts = translate_fn(run) if run else []
    confidence = confidence_fn(run, texts) if run else []
    answers = dict(zip(run, zip(texts, confidence)))
    return [guard(s, *answers.get(s, (None, float("nan"))), threshold=threshold,
                  formats=formats) for s in sources]


# ---------------------------------------------------------------- inputs that have no answer
_MON = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def _gregorian(fmt: str, y: int, mo: int, d: int, h: int, mi: int) -> str:
    """Fields written as the formats write them, whether or not they make a real moment."""
    return {"us_slash": f"{mo:02d}/{d:02d}/{y:04d} {h:02d}:{mi:02d}",
            "compact": f"{y:04d}{mo:02d}{d:02d} {h:02d}{mi:02d}",
            "jp_ampm": f"{y:04d}/{mo:02d}/{d:02d} {'午前' if h < 12 else '午後'}{h % 12}時{mi}分",
            "dd_mon_yy": f"{d}-{_MON[(mo - 1) % 12]}-{y % 100:02d} {h:02d}{mi:02d}"}[fmt]


def _era(fmt: str, era: str, year: int, mo: int, d: int, h: int, mi: int) -> str:
    if fmt == "era_letter":
        return f"{ERA_SPANS[era][0]}{year}.{mo}.{d} {h:02d}:{mi:02d}"
    return f"{era}{'元' if year == 1 else year}年{mo}月{d}日 {h}時{mi}分"


def impossible_inputs(n_per_kind: int = 20, *, seed: int = 0) -> list[tuple[str, str]]:
    """``(source, kind)`` pairs that no normaliser trained on 1970-2039 should answer:

    - ``"era year never existed"``: 平成32-40年, 昭和65-80年, 令和0年;
    - ``"day outside its era"``: 平成31年5月1日, 昭和64年1月8日, 平成元年1月7日, 令和元年4月30日;
    - ``"era date before 1970"``: 明治, 大正 and 昭和1-44年;
    - ``"year outside 1970-2039"``: Gregorian years 1900-1969 and 2040-2068 (two-digit years
      40-69, which the POSIX rule reads as 2040-2068 and 1969);
    - ``"impossible day or time"``: 30 February, 29 February of a common year, 31 April,
      month 13, day 32, hour 24 or 25, minute 60.
    """
    rng = np.random.default_rng(seed)
    era_fmts, greg_fmts = ("era_kanji", "era_letter"), ("us_slash", "compact", "jp_ampm",
                                                         "dd_mon_yy")
    out: list[tuple[str, str]] = []

    def add(kind: str, make: Callable[[int, int, int], str]) -> None:
        for _ in range(n_per_kind):
            h, mi, pick = int(rng.integers(24)), int(rng.integers(60)), int(rng.integers(1000))
            out.append((make(h, mi, pick), kind))

    add("era year never existed", lambda h, mi, k: _era(
        era_fmts[k % 2], *[("平成", 32 + k % 9), ("昭和", 65 + k % 16), ("令和", 0)][k % 3],
        1 + k % 12, 1 + k % 28, h, mi))
    add("day outside its era", lambda h, mi, k: _era(
        era_fmts[k % 2], *[("平成", 31, 5, 1 + k % 30), ("昭和", 64, 1, 8 + k % 20),
                           ("平成", 1, 1, 1 + k % 7), ("令和", 1, 4, 1 + k % 30)][k % 4], h, mi))
    add("era date before 1970", lambda h, mi, k: _era(
        era_fmts[k % 2], *[("明治", 1 + k % 45), ("大正", 1 + k % 14), ("昭和", 2 + k % 43)][k % 3],
        1 + k % 12, 1 + k % 28, h, mi))
    add("year outside 1970-2039", lambda h, mi, k: _gregorian(  # two digits: 40-68, 69 = 1969
        greg_fmts[k % 4], 2040 + k % 30 if k % 4 == 3 else [1900 + k % 70, 2040 + k % 29][k // 4 % 2],
        1 + k % 12, 1 + k % 28, h, mi))
    bad = [(2, 30, 0, 0), (2, 29, 0, 0), (4, 31, 0, 0), (13, 5, 0, 0), (6, 32, 0, 0),
           (6, 5, 24, 0), (6, 5, 25, 0), (6, 5, 0, 60)]
    add("impossible day or time", lambda h, mi, k: _gregorian(  # 12-hour clocks hide hour 24
        greg_fmts[k % (2 if bad[k % 8][2] else 3)], 2023 if bad[k % 8][:2] == (2, 29) else 1970 + k % 70,
        bad[k % 8][0], bad[k % 8][1], bad[k % 8][2] or h, bad[k % 8][3] or mi))
    return out


def tally(guarded: Sequence[Guarded], truths: Sequence[str | None]) -> dict[str, int]:
    """Counts of outcomes against the truth (``None`` where no answer exists): answered right,
    answered wrong (silently: nothing said it might be), flagged, refused."""
    if len(guarded) != len(truths):
        raise ValueError(f"guarded and truths: expected equal lengths, got {len(guarded)} "
                         f"and {len(truths)}")
    answered = [g.text == t for g, t in zip(guarded, truths) if g.outcome == "answer"]
    return {"inputs": len(guarded), "answered right": sum(answered),
            "silently wrong": len(answered) - sum(answered),
            "flagged": sum(g.outcome == "flagged" for g in guarded),
            "refused": sum(g.outcome == "refused" for g in guarded)}


def guarded_translate(model, sources: Sequence[str], src_vocab, tgt_vocab, *, threshold: float,
                      max_len: int = 18, formats: Iterable[str] = FORMATS) -> list[Guarded]:
    """:func:`guarded_normalise` with a sequence-to-sequence ``model``: greedy decoding
    (:func:`rnn_course.seq2seq.decoding.translate`) and :func:`min_char_prob` as the confidence."""
    return guarded_normalise(
        lambda s: translate(model, s, src_vocab, tgt_vocab, max_len=max_len).texts,
        lambda s, t: min_char_prob(model, s, t, src_vocab, tgt_vocab),
        sources, threshold=threshold, formats=formats)
