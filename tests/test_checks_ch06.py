"""Chapter 6 checks: reference answers pass, common mistakes get their specific hint, stubs fail quietly."""
from __future__ import annotations

from datetime import date

import pytest
import torch

from rnn_course.checks.ch06 import (check_birth_year, check_greedy_decode, check_masked_attention,
                                    check_sig_model, check_to_wareki)
from rnn_course.seq2seq.decoding import greedy_decode
from rnn_course.data.sigs import expand_sig, random_sigs
from rnn_course.seq2seq.vocab import EOS_ID, PAD_ID, SOS_ID
from single_thread import one_thread  # noqa: F401  (autouse: one CPU thread)


def _stub(*args, **kwargs):
    raise NotImplementedError


# ---- the era calendar -----------------------------------------------------------------------------
ERAS = [("令和", date(2019, 5, 1)), ("平成", date(1989, 1, 8)), ("昭和", date(1926, 12, 25))]


def to_wareki(day, gannen=True, by_year=False, offset=1, pad=False):
    name, first = next((n, f) for n, f in ERAS if (date(day.year, 12, 31) if by_year else day) >= f)
    year = day.year - first.year + offset
    written = "元" if year == 1 and gannen else str(year)
    return f"{name}{written}年{day.month:02d}月{day.day:02d}日" if pad else f"{name}{written}年{day.month}月{day.day}日"


def test_wareki_reference_passes(capsys):
    assert check_to_wareki(to_wareki)
    assert "✅ check_to_wareki: passed" in capsys.readouterr().out


@pytest.mark.parametrize("kwargs,hint", [
    (dict(gannen=False), "元年"),
    (dict(offset=0), "off by one"),
    (dict(by_year=True), "an era changes on a day"),
    (dict(pad=True), "without leading zeros"),
])
def test_wareki_mistakes_get_specific_hints(kwargs, hint):
    result = check_to_wareki(lambda d: to_wareki(d, **kwargs))
    assert not result and hint in result.message, result.message


def test_wareki_other_failures():
    assert "return a string" in check_to_wareki(lambda d: 2019).message
    assert "expected 昭和元年12月25日" in check_to_wareki(lambda d: "令和").message
    assert "not implemented yet" in check_to_wareki(_stub).message


# ---- two-digit birth years ---------------------------------------------------------------------------
def birth_year(yy, recorded, rule="record"):
    if rule == "posix":
        return (2000 if yy < 69 else 1900) + yy
    if rule == "always_1900":
        return 1900 + yy
    if rule == "nearest":
        return min((c + yy for c in (1800, 1900, 2000, 2100)), key=lambda y: abs(y - recorded.year))
    today = date.today() if rule == "today" else recorded
    year = today.year - (today.year - yy) % 100
    return year - 100 if rule == "strict" and year == recorded.year else year


def test_birth_year_reference_passes(capsys):
    assert check_birth_year(birth_year)
    assert "✅ check_birth_year: passed" in capsys.readouterr().out
    assert birth_year(45, date(2024, 3, 5)) == 1945 and birth_year(20, date(2024, 3, 5)) == 2020


@pytest.mark.parametrize("rule,hint", [
    ("posix", "POSIX pivot"), ("always_1900", "not every patient"), ("nearest", "in the future"),
    ("strict", "a baby born in the record's own year"), ("today", "not on today's"),
])
def test_birth_year_mistakes_get_specific_hints(rule, hint):
    result = check_birth_year(lambda yy, recorded: birth_year(yy, recorded, rule))
    assert not result and hint in result.message, result.message


def test_birth_year_other_failures():
    assert "as an int" in check_birth_year(lambda yy, r: f"19{yy:02d}").message
    assert "as an int" in check_birth_year(lambda yy, r: None).message
    assert "expected 1945, got 1" in check_birth_year(lambda yy, r: 1).message
    assert "not implemented yet" in check_birth_year(_stub).message


# ---- masked attention -------------------------------------------------------------------------------
def attention(query, keys, mask, use_mask=True, dim=-1, after=False, scale=False, invert=False, swap=False):
    scores = query @ keys.transpose(1, 2) / (query.shape[-1] ** 0.5 if scale else 1)
    keep = (~mask if invert else mask)[:, None, :]
    if use_mask and not after:
        scores = scores.masked_fill(~keep, float("-inf"))
    weights = torch.softmax(scores, dim=dim)
    if after:
        weights = weights * keep
    return (weights, weights @ keys) if swap else (weights @ keys, weights)


def test_attention_reference_passes():
    assert check_masked_attention(attention)
    # masking after the softmax and renormalising is also right
    assert check_masked_attention(lambda q, k, m: (lambda w: (w @ k, w))(
        (lambda w: w / w.sum(-1, keepdim=True))(torch.softmax(q @ k.transpose(1, 2), -1) * m[:, None, :])))


@pytest.mark.parametrize("kwargs,hint", [
    (dict(use_mask=False), "padded positions get weight"),
    (dict(invert=True), "mask is inverted"),
    (dict(dim=1), "wrong axis"),
    (dict(after=True), "no longer sums to 1"),
    (dict(scale=True), "unscaled"),
    (dict(swap=True), "you returned (weights, context)"),
])
def test_attention_mistakes_get_specific_hints(kwargs, hint):
    result = check_masked_attention(lambda q, k, m: attention(q, k, m, **kwargs))
    assert not result and hint in result.message, result.message


def test_attention_other_failures():
    assert "return a pair" in check_masked_attention(lambda q, k, m: q).message
    assert "wrong shape" in check_masked_attention(lambda q, k, m: (q, q)).message
    assert "not implemented yet" in check_masked_attention(_stub).message


# ---- greedy decoding ----------------------------------------------------------------------------------
@torch.no_grad()
def greedy(model, src, lengths, max_len, pad_after=True, feed_back=True, keep_eos=True, early_stop=True):
    memory = model.encode(src, lengths)
    state = model.start(memory)
    token = torch.full((src.shape[0],), SOS_ID)
    done = torch.zeros(src.shape[0], dtype=torch.bool)
    out = []
    for _ in range(max_len):
        log_probs, state, _ = model.step(token if feed_back else torch.full_like(token, SOS_ID), state, memory)
        token = log_probs.argmax(-1)
        emitted = token.masked_fill(done, PAD_ID) if pad_after else token
        out.append(emitted.masked_fill(emitted == EOS_ID, PAD_ID) if not keep_eos else emitted)
        done |= token == EOS_ID
        if early_stop and done.all():
            break
    return torch.stack(out, 1)


def test_greedy_reference_passes():
    assert check_greedy_decode(greedy)
    assert check_greedy_decode(lambda m, s, l, n: greedy(m, s, l, n, early_stop=False))  # no early stop: fine
    assert check_greedy_decode(lambda m, s, l, n: greedy_decode(m, s, l, max_len=n).tokens)


@pytest.mark.parametrize("kwargs,hint", [
    (dict(pad_after=False), "must be PAD"),
    (dict(feed_back=False), "feed the token you just chose back"),
    (dict(keep_eos=False), "keep the EOS token"),
])
def test_greedy_mistakes_get_specific_hints(kwargs, hint):
    result = check_greedy_decode(lambda m, s, l, n: greedy(m, s, l, n, **kwargs))
    assert not result and hint in result.message, result.message


def test_greedy_other_failures():
    assert "(batch, L) tensor" in check_greedy_decode(lambda m, s, l, n: [1, 2]).message
    assert "stop after max_len" in check_greedy_decode(
        lambda m, s, l, n: torch.full((12, n + 3), EOS_ID)).message
    sampled = check_greedy_decode(lambda m, s, l, n: torch.full((12, n), EOS_ID))
    assert not sampled and "expected" in sampled.message
    assert "not implemented yet" in check_greedy_decode(_stub).message


# ---- the medication sigs ------------------------------------------------------------------------------
def test_sig_check_passes_a_perfect_expander_and_names_number_errors():
    train = random_sigs(500, seed=0)
    assert check_sig_model(lambda sigs: [expand_sig(s) for s in sigs], train)
    wrong_days = check_sig_model(lambda sigs: [expand_sig(s).replace(" for 1", " for 7") for s in sigs], train)
    # "for 1 day"/"for 1x days" become "for 7..." in about a third of the sigs: most errors are numbers only
    assert not wrong_days and "have every word right and a number wrong" in wrong_days.message


@pytest.mark.slow
def test_sig_check_other_failures():
    train = random_sigs(500, seed=0)
    assert "one string per sig" in check_sig_model(lambda sigs: sigs[:3], train).message
    everything = random_sigs(200000, seed=2024)
    assert "hold some out" in check_sig_model(lambda sigs: sigs, everything).message
    assert "not implemented yet" in check_sig_model(_stub, train).message
    # the student notebook's stubs leave both names None: a hint, not a TypeError
    assert "train_sigs is None" in check_sig_model(_stub, None).message
    assert "expand is None" in check_sig_model(None, train).message
