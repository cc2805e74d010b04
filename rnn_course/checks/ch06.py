"""Exercise checks of chapter 6 (sequence-to-sequence models with attention).

- ``check_to_wareki(fn)``: ``fn(day: date) -> str``, the Japanese era date, e.g. ``令和元年5月1日``.
- ``check_birth_year(fn)``: ``fn(yy: int, recorded: date) -> int``, the four-digit birth year of a
  two-digit one, never after the record's year (``45`` in a record of 2024 -> 1945).
- ``check_masked_attention(fn)``: ``fn(query, keys, mask) -> (context, weights)``, dot-product
  attention (Luong et al.) with padded positions at exactly zero weight.
- ``check_greedy_decode(fn)``: ``fn(model, src, lengths, max_len) -> tokens (batch, L)``, greedy
  decoding that stops at EOS and pads after it.
- ``check_sig_model(expand, train_sigs)``: a trained sig expander, graded on sigs it was not
  trained on.

When an answer is wrong, the checks rebuild the usual mistakes and name the one that reproduces
the learner's output.
"""
from __future__ import annotations

import random
import re
from datetime import date, timedelta
from typing import Callable, Sequence

import numpy as np
import torch

from ..data.sigs import expand_sig, random_sigs
from ..data.timestamps import ERAS, era_of
from ..i18n import N_, _
from ..seq2seq import EOS_ID, PAD_ID, SOS_ID, Seq2Seq, greedy_decode
from . import compare, exercise_check, matches, to_numpy

# ---------------------------------------------------------------------------- the era calendar
_DAYS = [date(1926, 12, 25), date(1989, 1, 7), date(1989, 1, 8), date(2019, 4, 30), date(2019, 5, 1),
         date(2019, 12, 31), date(2020, 1, 1), date(1970, 6, 15), date(2024, 3, 5)]
_DAYS += [date(1927, 1, 1) + timedelta(days=random.Random(6).randrange(40000)) for _ in range(40)]


def _wareki(day: date, *, gannen: bool = True, by_year: bool = False, offset: int = 1, pad: bool = False) -> str:
    """The reference (default options) and its usual mistakes."""
    if by_year:  # the era of 1 January: a whole year in one era
        name, _start, _end = era_of(date(day.year, 12, 31))
        first = next(f for n, _, f in ERAS if n == name)
        year = day.year - first.year + offset
    else:
        name, _start, year = era_of(day)
        year += offset - 1
    written = "元" if (year == 1 and gannen) else str(year)
    month, dom = (f"{day.month:02d}", f"{day.day:02d}") if pad else (day.month, day.day)
    return f"{name}{written}年{month}月{dom}日"


_WAREKI_MISTAKES = [
    (dict(gannen=False), N_("the first year of an era is written 元年 (gannen), not 1年: 令和元年5月1日.")),
    (dict(offset=0), N_("off by one: the first year of an era is year 1 (元年), so the era year is "
                        "year - first_year + 1 (2019 -> 令和元年, 2024 -> 令和6年).")),
    (dict(by_year=True), N_("an era changes on a day, not on 1 January: 2019-04-30 is 平成31年, 2019-05-01 is "
                            "令和元年; 1989-01-07 is 昭和64年, 1989-01-08 is 平成元年. Compare the whole date.")),
    (dict(pad=True), N_("write month and day without leading zeros, as in 令和6年3月5日.")),
]


@exercise_check
def check_to_wareki(fn: Callable[[date], str]) -> tuple[bool, str]:
    """Check ``fn(day) -> '令和元年5月1日'`` on era boundaries and random days since 1926-12-25."""
    for day in _DAYS:
        got, want = fn(day), _wareki(day)
        if got == want:
            continue
        if not isinstance(got, str):
            return False, _("return a string such as '令和6年3月5日', got {type}.").format(type=type(got).__name__)
        for options, hint in _WAREKI_MISTAKES:
            if got == _wareki(day, **options):
                return False, _("{hint} (for {day}: expected {expected}, got {got})").format(
                    hint=_(hint), day=day, expected=want, got=got)
        return False, _("for {day}: expected {expected}, got {got!r}.").format(day=day, expected=want, got=got)
    return True, _("right on all {n} days, the last days of Shōwa and Heisei included.").format(n=len(_DAYS))


# ---------------------------------------------------------------------------- two-digit birth years
# (two-digit year, day of the record): a birth year is never after the record's year
_BIRTHS = [(45, date(2024, 3, 5)), (5, date(2024, 3, 5)), (24, date(2024, 3, 5)), (25, date(2024, 3, 5)),
           (98, date(1995, 6, 1)), (0, date(1999, 12, 31)), (0, date(2000, 1, 1)), (69, date(2026, 1, 1)),
           (30, date(2031, 7, 1)), (99, date(2026, 11, 2)), (12, date(2011, 4, 1)), (70, date(2070, 2, 2))]


def _birth_year(yy: int, recorded: date, *, rule: str = "record") -> int:
    """The reference (``rule="record"``) and the usual mistakes."""
    if rule == "posix":  # time.strptime's %y: 00-68 -> 2000s, 69-99 -> 1900s
        return (2000 if yy < 69 else 1900) + yy
    if rule == "always_1900":
        return 1900 + yy
    if rule == "today":  # the pivot taken from the day the code runs, not from the record
        recorded = date.today()
    if rule == "nearest":  # the closest year to the record, future or past
        return min((c + yy for c in (1800, 1900, 2000, 2100)), key=lambda y: abs(y - recorded.year))
    year = recorded.year - (recorded.year - yy) % 100
    return year - 100 if rule == "strict" and year == recorded.year else year


_BIRTH_MISTAKES = [
    ("posix", N_("that is the fixed POSIX pivot of time.strptime (69-99 -> 1900s, 00-68 -> 2000s); "
                 "a birth year is never after the record, so the pivot moves with the record's date.")),
    ("always_1900", N_("not every patient was born in the 1900s: in a record of 2024, '05' is a child born "
                       "in 2005.")),
    ("nearest", N_("the nearest year can lie in the future: in a record of 2024, '25' is 1925, "
                   "not 2025. Take the latest year that is not after the record's year.")),
    ("strict", N_("a baby born in the record's own year: in a record of 2024, '24' is 2024 (not after "
                  "the record, so allowed).")),
    ("today", N_("pivot on the record's date, not on today's: in a record of 1995, '98' is 1898, "
                 "since 1998 had not come yet.")),
]


@exercise_check
def check_birth_year(fn: Callable[[int, date], int]) -> tuple[bool, str]:
    """Check ``fn(yy, recorded) -> four-digit year``: the latest year ending in ``yy`` that is not
    after ``recorded.year``. A wrong answer that one usual mistake reproduces on every record
    gets that mistake's hint."""
    answers = []
    for yy, recorded in _BIRTHS:
        got = fn(yy, recorded)
        if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
            return False, _("return the year as an int such as 1945, got {got!r}.").format(got=got)
        answers.append(int(got))
    wrong = [(case, got) for case, got in zip(_BIRTHS, answers) if got != _birth_year(*case)]
    if not wrong:
        return True, _("right on all {n} records, newborns and the turn of the century "
                       "included.").format(n=len(_BIRTHS))
    (yy, recorded), got = wrong[0]
    where = dict(yy=f"{yy:02d}", day=recorded, expected=_birth_year(yy, recorded), got=got)
    for rule, hint in _BIRTH_MISTAKES:
        if answers == [_birth_year(*case, rule=rule) for case in _BIRTHS]:
            return False, _("{hint} (for {yy} in a record of {day}: expected {expected}, "
                            "got {got})").format(hint=_(hint), **where)
    return False, _("for {yy} in a record of {day}: expected {expected}, got {got}.").format(**where)


# ---------------------------------------------------------------------------- masked attention
def _attention_inputs(seed: int):
    g = torch.Generator().manual_seed(seed)
    query = torch.randn(3, 2, 4, generator=g, dtype=torch.float64)
    keys = torch.randn(3, 5, 4, generator=g, dtype=torch.float64)
    mask = torch.arange(5) < torch.tensor([4, 3, 1])[:, None]  # no full row: an inverted mask still has a True
    return query, keys, mask


def _attention(query, keys, mask, *, use_mask=True, invert=False, dim=-1, after=False, scale=False):
    scores = query @ keys.transpose(1, 2) / (query.shape[-1] ** 0.5 if scale else 1.0)
    keep = (~mask if invert else mask)[:, None, :]
    if use_mask and not after:
        scores = scores.masked_fill(~keep, float("-inf"))
    weights = torch.softmax(scores, dim=dim)
    if use_mask and after:
        weights = weights * keep
    return weights @ keys, weights


_ATTENTION_MISTAKES = [
    (dict(use_mask=False), N_("the padded positions get weight: fill their scores with -inf (masked_fill(~mask, "
                              "float('-inf'))) before the softmax.")),
    (dict(invert=True), N_("the mask is inverted: it is True on real positions, so fill the scores where it is False.")),
    (dict(dim=1), N_("the softmax runs over the wrong axis: weights must sum to 1 over the source positions "
                     "(the last axis of the (batch, T, S) scores).")),
    (dict(after=True), N_("you zeroed the padded weights after the softmax, so the rest no longer sums to 1: mask "
                          "the scores before the softmax (or renormalise).")),
    (dict(scale=True), N_("you divided by sqrt(d): that is the scaled dot product of transformers; Luong et al.'s "
                          "dot score is q^T k, unscaled.")),
]


def _same(got, ref) -> bool:
    arr, want = to_numpy(got), to_numpy(ref)
    return (arr is not None and arr.dtype != object and arr.shape == want.shape
            and bool(np.allclose(arr, want, atol=1e-8, rtol=1e-6, equal_nan=True)))


def _mask_without_time_axis(error: RuntimeError, query, mask) -> bool:
    """True if ``error`` is the broadcast failure of a (batch, S) mask against (batch, T, S) scores:
    torch names the two sizes that clash, T and batch."""
    text = str(error)
    sizes = {int(n) for n in re.findall(r"\((\d+)\)", text)}
    return "must match the size" in text and sizes == {query.shape[1], mask.shape[0]}


@exercise_check
def check_masked_attention(fn: Callable) -> tuple[bool, str]:
    """Check ``fn(query (B, T, D), keys (B, S, D), mask (B, S)) -> (context (B, T, D), weights (B, T, S))``."""
    for seed in range(2):
        query, keys, mask = _attention_inputs(seed)
        try:
            out = fn(query.clone(), keys.clone(), mask.clone())
        except RuntimeError as e:
            if _mask_without_time_axis(e, query, mask):
                return False, _("your code raised RuntimeError ({error}): the mask is (batch, S) = {mask} but the "
                                "scores are (batch, T, S) = {scores}. Give the mask a time axis, mask[:, None, :] "
                                "of shape (batch, 1, S), so it applies to every output step.").format(
                    error=str(e).splitlines()[0], mask=tuple(mask.shape),
                    scores=(query.shape[0], query.shape[1], mask.shape[1]))
            raise
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            return False, _("return a pair (context, weights), got {type}.").format(type=type(out).__name__)
        context, weights = out
        ref_context, ref_weights = _attention(query, keys, mask)
        if matches(context, ref_weights) and matches(weights, ref_context):
            return False, _("you returned (weights, context); return (context, weights).")
        for name, got, ref in (("weights", weights, ref_weights), ("context", context, ref_context)):
            if _same(got, ref):
                continue
            for options, hint in _ATTENTION_MISTAKES:  # a mistake may give NaN (softmax over all -inf)
                if _same(got, _attention(query, keys, mask, **options)[name == "weights"]):
                    return False, _(hint)
            axes = "(batch, T, S)" if name == "weights" else "(batch, T, D)"
            return False, compare(name, got, ref, atol=1e-8, rtol=1e-6, axes=axes) or _("{name} differs.").format(
                name=name)
    if not bool((weights[~mask[:, None, :].expand_as(weights)] == 0).all()):
        return False, _("padded positions must get a weight of exactly 0.")
    return True, _("weights sum to 1 over the real positions and are exactly 0 on the padding.")


# ---------------------------------------------------------------------------- greedy decoding
def _toy_model(seed: int = 0) -> Seq2Seq:
    torch.manual_seed(seed)
    model = Seq2Seq(9, 8, emb_size=4, hidden_size=6, attention="general").double().eval()
    with torch.no_grad():  # peaky outputs and a likely EOS: sequences of different lengths
        model.decoder.out.weight.mul_(4.0)
        model.decoder.out.bias[EOS_ID] += 1.0
        model.decoder.out.bias[[PAD_ID, SOS_ID]] -= 100.0
    return model


def _toy_batch(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, 7, (12,), generator=g)
    src = torch.randint(4, 9, (12, 6), generator=g)
    src[torch.arange(6) >= lengths[:, None]] = PAD_ID
    return src, lengths


@torch.no_grad()
def _greedy_variant(model, src, lengths, max_len, *, feed_back=True, keep_state=True, pad_after=True):
    memory = model.encode(src, lengths)
    state = start = model.start(memory)
    token = torch.full((src.shape[0],), SOS_ID, dtype=torch.int64)
    done = torch.zeros(src.shape[0], dtype=torch.bool)
    out = []
    for _step in range(max_len):
        log_probs, new_state, _weights = model.step(token if feed_back else torch.full_like(token, SOS_ID),
                                                    state, memory)
        state = new_state if keep_state else start
        token = log_probs.argmax(-1)
        out.append(token.masked_fill(done, PAD_ID) if pad_after else token)
        done |= token == EOS_ID
    return torch.stack(out, 1)


def _to_width(tokens, width: int):
    tokens = torch.as_tensor(tokens)
    if tokens.shape[1] >= width:
        return tokens[:, :width]
    return torch.nn.functional.pad(tokens, (0, width - tokens.shape[1]), value=PAD_ID)


@exercise_check
def check_greedy_decode(fn: Callable) -> tuple[bool, str]:
    """Check ``fn(model, src, lengths, max_len) -> tokens (batch, L)`` against greedy search."""
    model, max_len = _toy_model(), 10
    src, lengths = _toy_batch()
    got = fn(model, src.clone(), lengths.clone(), max_len)
    if not isinstance(got, torch.Tensor) or got.ndim != 2 or got.shape[0] != src.shape[0]:
        return False, _("return a (batch, L) tensor of token ids with batch = {batch}, got "
                        "{got}.").format(batch=src.shape[0], got=getattr(got, 'shape', type(got).__name__))
    if got.shape[1] > max_len:
        return False, _("stop after max_len = {max_len} tokens; you returned {got}.").format(
            max_len=max_len, got=got.shape[1])
    ref = _to_width(greedy_decode(model, src, lengths, max_len=max_len).tokens, max_len)
    got = _to_width(got.long(), max_len)
    if torch.equal(got, ref):
        return True, _("same tokens as greedy search: one token fed back per step, stopped and padded after EOS.")
    if not (got == EOS_ID).any() and (ref == EOS_ID).any():
        return False, _("some outputs have no EOS: keep the EOS token in the output, it says where the sequence ends.")
    variants = [(dict(pad_after=False), _("after a sequence has emitted EOS, its later positions must be PAD "
                                          "(the sequence has ended; it should not go on generating).")),
                (dict(feed_back=False), _("feed the token you just chose back in as the next input; you fed SOS "
                                          "at every step.")),
                (dict(keep_state=False), _("carry the decoder state from step to step; you restarted from the "
                                           "initial state at every step."))]
    for options, hint in variants:
        if torch.equal(got, _to_width(_greedy_variant(model, src, lengths, max_len, **options), max_len)):
            return False, hint
    row = int((got != ref).any(dim=1).nonzero()[0])
    return False, _("row {row}: expected {expected}, got {got}. Take the argmax of the "
                    "log-probabilities at every step.").format(row=row, expected=ref[row].tolist(),
                                                               got=got[row].tolist())


# ---------------------------------------------------------------------------- the medication sigs
@exercise_check
def check_sig_model(expand: Callable[[list[str]], list[str]], train_sigs: Sequence[str]) -> tuple[bool, str]:
    """Grade ``expand(list_of_sigs) -> list_of_expansions`` on 300 sigs that are not in ``train_sigs``."""
    if train_sigs is None or expand is None:
        what = "train_sigs" if train_sigs is None else "expand"
        return False, _("{name} is None: build the 4,000 training sigs (`random_sigs(4000, seed=...)`) and "
                        "define expand(sigs) before calling the check.").format(name=what)
    seen = set(train_sigs)
    test = [s for s in dict.fromkeys(random_sigs(3000, seed=2024)) if s not in seen][:300]
    if len(test) < 100:
        return False, _("almost every possible sig is in train_sigs: hold some out, or nothing measures generalisation.")
    got = expand(list(test))
    if not isinstance(got, (list, tuple)) or len(got) != len(test):
        return False, _("expand must return one string per sig ({n}), got {type}").format(
            n=len(test), type=type(got).__name__) + \
            (_(" of length {n}").format(n=len(got)) if isinstance(got, (list, tuple)) else "")
    want = [expand_sig(s) for s in test]
    wrong = [(s, g, w) for s, g, w in zip(test, got, want) if g != w]
    accuracy = 1 - len(wrong) / len(test)
    if accuracy >= 0.95:
        return True, _("exact match {accuracy:.1%} on {n} sigs the model never saw.").format(
            accuracy=accuracy, n=len(test))
    numbers = sum(1 for _, g, w in wrong if [t for t in str(g).split() if not t.isdigit()]
                  == [t for t in w.split() if not t.isdigit()])
    sig, g, w = wrong[0]
    hint = _("exact match {accuracy:.1%} on {n} unseen sigs (at least 95% needed). "
             "{numbers} of the {wrong} errors have every word right and a number wrong. "
             "First error: {sig!r} -> {got!r}, expected {expected!r}. Train longer or check the split.").format(
        accuracy=accuracy, n=len(test), numbers=numbers, wrong=len(wrong), sig=sig, got=g, expected=w)

    return False, hint
