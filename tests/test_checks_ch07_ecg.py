"""Chapter 7 (ECG) checks: reference answers pass, common mistakes get their specific hint,
stubs and crashes fail quietly."""
from __future__ import annotations

import numpy as np
import pytest

from rnn_course.checks.ch07_ecg import check_ppv_from_rates, check_relative_pre_rr, check_se_and_ppv
from rnn_course.data import rr_features


# ---- relative pre-RR ----------------------------------------------------------------------------
def ratio(beat_samples, fs, local=10, window=None, first=np.nan):
    """The reference loop, or a slip chosen by `window(i, k) -> (lo, hi)` over rr indices."""
    rr = np.diff(beat_samples) / fs
    window = window or (lambda i, k: (i - 1 - k, i - 1))
    out = np.full(len(beat_samples), np.nan)
    out[:2] = first
    for i in range(2, len(beat_samples)):
        lo, hi = window(i, local)
        out[i] = rr[i - 1] / rr[max(lo, 0):min(hi, len(rr))].mean()
    return out


def test_relative_pre_rr_reference_passes(capsys):
    assert check_relative_pre_rr(ratio)
    assert check_relative_pre_rr(lambda s, fs, local=10: (lambda r: r[:, 0] / r[:, 2])(
        rr_features(s, fs, local=local)))
    assert "✅ check_relative_pre_rr: passed" in capsys.readouterr().out


@pytest.mark.parametrize("fn,hint", [
    (lambda s, fs, k=10: ratio(s, fs, k, window=lambda i, k: (i - k, i)), "includes the beat's own interval"),
    (lambda s, fs, k=10: ratio(s, fs, k, window=lambda i, k: (i - 1 - k // 2, i - 1 + k - k // 2)),
     "into the future (centred)"),
    (lambda s, fs, k=10: ratio(s, fs, k, window=lambda i, k: (i - 2 - k, i - 1)), "one too many"),
    (lambda s, fs, k=10: ratio(s, fs, k, window=lambda i, k: (i - k, i - 1)), "one too few"),
    (lambda s, fs, k=10: ratio(s, fs, k, first=1.0), "return NaN there"),
    (lambda s, fs, k=10: ratio(s, fs, k)[2:], "Keep the first beats (as NaN)"),
    (lambda s, fs, k=10: np.r_[np.nan, np.nan, np.diff(s)[1:] / np.diff(s).mean()], "whole record"),
    (lambda s, fs, k=10: 1 / ratio(s, fs, k), "upside down"),
])
def test_relative_pre_rr_mistakes_get_specific_hints(fn, hint):
    result = check_relative_pre_rr(fn)
    assert not result and hint in result.message, result.message


def test_relative_pre_rr_other_wrong_answers():
    result = check_relative_pre_rr(lambda s, fs, k=10: ratio(s, fs, k) * 1.1)
    assert not result and "wrong values" in result.message and "local=10" in result.message
    result = check_relative_pre_rr(lambda s, fs, k=10: "ratios")
    assert not result and "return an array" in result.message


# ---- Se and +P ----------------------------------------------------------------------------------
def se_ppv(c):
    c = np.asarray(c, dtype=float)
    return np.diag(c) / c.sum(1), np.diag(c) / c.sum(0)


def test_se_and_ppv_reference_passes():
    assert check_se_and_ppv(se_ppv)


@pytest.mark.parametrize("fn,hint", [
    (lambda c: se_ppv(c)[::-1], "swapped"),
    (lambda c: tuple(100 * v for v in se_ppv(c)), "not percent"),
    (lambda c: (np.diag(c) / c.sum(), np.diag(c) / c.sum()), "not by the total"),
    (lambda c: (se_ppv(c)[0], se_ppv(c)[0]), "ppv holds the other metric"),
    (lambda c: se_ppv(c)[0], "return a pair (se, ppv)"),
    (lambda c: (se_ppv(c)[0][:-1], se_ppv(c)[1]), "wrong shape"),
])
def test_se_and_ppv_mistakes_get_specific_hints(fn, hint):
    result = check_se_and_ppv(fn)
    assert not result and hint in result.message, result.message


# ---- PPV from rates -----------------------------------------------------------------------------
def ppv(se, sp, prev):
    return se * prev / (se * prev + (1 - sp) * (1 - prev))


def test_ppv_from_rates_reference_passes():
    assert check_ppv_from_rates(ppv)


@pytest.mark.parametrize("fn,hint", [
    (lambda se, sp, prev: se, "that is the sensitivity"),
    (lambda se, sp, prev: se * prev / (se * prev + sp * (1 - prev)), "(1 - specificity) * (1 - prevalence)"),
    (lambda se, sp, prev: se / (se + 1 - sp), "left out the prevalence"),
    (lambda se, sp, prev: sp * (1 - prev) / (sp * (1 - prev) + (1 - se) * prev), "negative predictive value"),
    (lambda se, sp, prev: None, "forget to `return`"),
])
def test_ppv_from_rates_mistakes_get_specific_hints(fn, hint):
    result = check_ppv_from_rates(fn)
    assert not result and hint in result.message, result.message


# ---- stubs and crashes ----------------------------------------------------------------------------
@pytest.mark.parametrize("check", [check_relative_pre_rr, check_se_and_ppv, check_ppv_from_rates])
def test_stubs_and_crashes_fail_without_raising(check, capsys):
    def stub(*args):
        raise NotImplementedError

    def crash(*args):
        return 1 / 0

    assert not check(stub) and "not implemented yet" in check(stub).message
    result = check(crash)
    assert not result and "ZeroDivisionError" in result.message
    assert "❌" in capsys.readouterr().out
