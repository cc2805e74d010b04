"""Exercise checks of chapter 7, part 1 (arrhythmia beats on MIT-BIH, across patients).

- ``check_relative_pre_rr(fn)``: ``fn(beat_samples, fs, local=10) -> (n_beats,)``, each beat's
  RR interval to the previous beat divided by the mean of the ``local`` RR intervals before
  it (the past only); NaN for the first two beats.
- ``check_se_and_ppv(fn)``: ``fn(confusion) -> (se, ppv)``, per-class sensitivity and positive
  predictivity of a ``(K, K)`` confusion matrix, rows true class, columns predicted.
- ``check_ppv_from_rates(fn)``: ``fn(sensitivity, specificity, prevalence) -> ppv`` (Bayes' rule).

Wrong answers are compared with the usual slips (a window that includes the beat itself or
the future, rows and columns swapped, specificity where its complement belongs, ...) and
the hint names the one that reproduces the learner's numbers.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..data.mitbih_beats import rr_features
from ..i18n import _
from . import diagnose, exercise_check, matches, to_numpy


# ----------------------------------------------------------------------------- relative RR
def _beats(seed: int, n: int = 40) -> np.ndarray:
    """Synthetic R-peak positions at 360 Hz: a drifting rhythm with a few premature beats."""
    rng = np.random.default_rng(seed)
    rr = 0.8 + 0.1 * np.sin(np.arange(n) / 5) + 0.02 * rng.standard_normal(n)
    rr[rng.choice(np.arange(5, n), size=4, replace=False)] *= 0.6          # premature beats
    return np.round(np.cumsum(rr) * 360).astype(np.int64)


def _ratio_to_window(samples: np.ndarray, fs: float, window) -> np.ndarray:
    """rr_pre / mean(rr[window(i)]) for beats 2..n-1 (NaN for 0 and 1); rr[j] ends at beat j+1."""
    rr = np.diff(samples) / fs
    out = np.full(len(samples), np.nan)
    for i in range(2, len(samples)):
        lo, hi = window(i)
        lo, hi = max(lo, 0), min(hi, len(rr))
        out[i] = rr[i - 1] / rr[lo:hi].mean()
    return out


def _relative_mistakes(samples: np.ndarray, fs: float, k: int) -> list[tuple[np.ndarray, str]]:
    rr = np.diff(samples) / fs
    pre = np.full(len(samples), np.nan)
    pre[1:] = rr
    post = np.full(len(samples), np.nan)
    post[:-1] = rr
    ref_mean = rr_features(samples, fs, local=k)[:, 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        return [
            (_ratio_to_window(samples, fs, lambda i: (i - k, i)),
             _("your mean includes the beat's own interval rr_pre: average the `local` intervals "
               "*before* it, or a premature beat pulls its own reference down.")),
            (_ratio_to_window(samples, fs, lambda i: (i - 1 - k // 2, i - 1 + k - k // 2)),
             _("your window reaches past the beat into the future (centred): a monitor cannot know "
               "the intervals that have not happened yet. Use the `local` intervals before rr_pre.")),
            (_ratio_to_window(samples, fs, lambda i: (i - 1 - k, i - 1 + k)),
             _("your window reaches past the beat into the future: use only the `local` intervals "
               "before rr_pre.")),
            (np.where(np.arange(len(samples)) >= 2, pre / rr.mean(), np.nan),
             _("you divided by the mean RR of the whole record, which includes the future. Use the "
               "mean of the `local` intervals just before the beat.")),
            (post / ref_mean, _("you used the interval to the *next* beat (rr_post); the question is "
                                "how early this beat came after the previous one (rr_pre).")),
            (ref_mean / pre, _("the ratio is upside down: rr_pre divided by the local mean, so that a "
                               "premature beat is below 1.")),
            (_ratio_to_window(samples, fs, lambda i: (i - 2 - k, i - 1)),
             _("your window holds {n} intervals, one too many: take the last `local` = {k}.").format(n=k + 1, k=k)),
            (_ratio_to_window(samples, fs, lambda i: (i - k, i - 1)),
             _("your window holds {n} intervals, one too few: take the last `local` = {k}.").format(n=k - 1, k=k)),
        ]


@exercise_check
def check_relative_pre_rr(fn: Callable) -> tuple[bool, str]:
    """Check ``fn(beat_samples, fs, local) -> (n,)`` against :func:`rr_features` (pre/local)."""
    for seed, fs, k in [(0, 360.0, 10), (1, 360.0, 3), (2, 250.0, 5)]:
        samples = _beats(seed)
        if fs != 360.0:
            samples = np.round(samples * fs / 360).astype(np.int64)
        rr = rr_features(samples, fs, local=k)
        ref = rr[:, 0] / rr[:, 2]
        got = to_numpy(fn(samples.copy(), fs, k))
        where = _("(fs={fs:g} Hz, local={k}, {n} beats)").format(fs=fs, k=k, n=len(samples))
        if got is None or got.dtype == object:
            return False, _("return an array of one ratio per beat, got {type}.").format(type=type(got).__name__)
        if got.shape != ref.shape:
            return False, _("expected one value per beat, shape {expected}, got {got} {where}. "
                            "Keep the first beats (as NaN) so that the output lines up with the beats.").format(
                expected=ref.shape, got=got.shape, where=where)
        defined = np.isfinite(ref)
        if matches(got[defined], ref[defined]) and not np.isnan(got[~defined]).all():
            return False, _("the first two beats have no RR interval before their rr_pre, so their ratio "
                            "is undefined: return NaN there (np.nan), not a number.")
        if np.isnan(got[defined]).any():
            bad = int(np.flatnonzero(np.isnan(got) & defined)[0])
            return False, _("NaN at beat {beat}, where the ratio is defined {where}. Beats from index 2 on "
                            "have at least one earlier interval: average the ones there are.").format(beat=bad, where=where)
        mistakes = [(m[defined], hint) for m, hint in _relative_mistakes(samples, fs, k)]
        hint = diagnose("ratio", got[defined], ref[defined], mistakes)
        if hint:
            return False, _("{hint} {where}").format(hint=hint, where=where)
    return True, _("your ratios match rr_features on three rhythms (premature beats, other rates and windows).")


# ----------------------------------------------------------------------------- Se and +P
_CONFUSIONS = [
    np.array([[500, 10, 5, 2], [30, 40, 4, 1], [12, 3, 80, 6], [4, 0, 9, 15]]),
    np.array([[90, 7], [3, 20]]),
]


@exercise_check
def check_se_and_ppv(fn: Callable) -> tuple[bool, str]:
    """Check ``fn(confusion) -> (se, ppv)`` on confusion matrices with rows = true class."""
    for c in _CONFUSIONS:
        out = fn(c.copy())
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            return False, _("return a pair (se, ppv) of per-class arrays, got {type}.").format(type=type(out).__name__)
        tp, rows, cols = np.diag(c), c.sum(axis=1), c.sum(axis=0)
        se, ppv = tp / rows, tp / cols
        slips = [
            ((ppv, se), _("Se and +P are swapped: the rows are the true classes, so Se = diagonal / row "
                          "sums (beats of the class found) and +P = diagonal / column sums.")),
            ((100 * se, 100 * ppv), _("return fractions between 0 and 1, not percent.")),
            ((tp / c.sum(), tp / c.sum()), _("divide each class's hits by that class's row sum (Se) or "
                                             "column sum (+P), not by the total number of beats.")),
        ]
        for (s_wrong, p_wrong), hint in slips:
            if matches(out[0], s_wrong) and matches(out[1], p_wrong):
                return False, hint
        for name, got, want, other in (("se", out[0], se, ppv), ("ppv", out[1], ppv, se)):
            hint = diagnose(name, got, want, [(other, _("{name} holds the other metric: Se divides by the "
                                                        "row sums, +P by the column sums.").format(name=name))],
                            axes="(classes,)")
            if hint:
                return False, _("{hint} (confusion matrix {k}x{k})").format(hint=hint, k=c.shape[0])
    return True, _("Se and +P match for a 4-class and a 2-class confusion matrix.")


# ----------------------------------------------------------------------------- PPV from rates
_RATES = [(0.8, 0.95, 0.037), (0.9, 0.99, 0.01), (0.76, 0.9, 0.2), (0.5, 0.5, 0.5)]


@exercise_check
def check_ppv_from_rates(fn: Callable) -> tuple[bool, str]:
    """Check ``fn(sensitivity, specificity, prevalence) -> ppv`` (Bayes' rule)."""
    for se, sp, prev in _RATES:
        got = fn(se, sp, prev)
        want = se * prev / (se * prev + (1 - sp) * (1 - prev))
        slips = [
            (se, _("that is the sensitivity: the question is how many of the alarms are true, which "
                   "depends on how rare the class is.")),
            (se * prev / (se * prev + sp * (1 - prev)), _("the false alarms come from the negatives "
             "the model gets *wrong*: (1 - specificity) * (1 - prevalence), not specificity * (1 - prevalence).")),
            (se / (se + (1 - sp)), _("you left out the prevalence: weight the true alarms by prevalence "
                                     "and the false alarms by (1 - prevalence).")),
            (sp * (1 - prev) / (sp * (1 - prev) + (1 - se) * prev), _("that is the negative predictive value "
             "(how many 'no' answers are right); we want the positive one.")),
        ]
        hint = diagnose("ppv", got, want, [(v, h) for v, h in slips if not np.isclose(v, want)])
        if hint:
            return False, _("{hint} (sensitivity={se}, specificity={sp}, prevalence={prevalence})").format(
                hint=hint, se=se, sp=sp, prevalence=prev)
    return True, _("your positive predictive values match Bayes' rule for four settings.")

