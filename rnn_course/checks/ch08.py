"""Exercise checks of chapter 8 (beyond recurrence).

- ``check_hillis_steele_scan(fn)``: ``fn(a, b) -> h``, all states of h_t = a_t h_{t-1} + b_t
  (h_0 = 0) for ``a, b (batch, time, features)``, in about log2 T rounds of whole-tensor
  operations, not a loop over time.
- ``check_min_gru_step(fn)``: ``fn(x, h, weight, bias) -> h_next``, one minGRU step in the
  layout of :class:`rnn_course.beyond.mingru.MinGRU` (weight ``(2H, D)``, blocks [z; h̃]).
- ``check_kv_cache_bytes(fn)``: ``fn(n_samples, n_layers, d_model, bytes_per_value=4) -> int``,
  the size of a Transformer's key-value cache after ``n_samples`` samples.

When an answer is wrong, the checks rebuild the usual mistakes and name the one that
reproduces the learner's numbers.
"""
from __future__ import annotations

from typing import Callable

import torch

from ..beyond import g as positive_g, linear_recurrence_loop
from ..i18n import N_, _
from ..timing import CountCalls
from . import diagnose, exercise_check, matches

# ---- Hillis-Steele scan ------------------------------------------------------------------------

_SCAN_SHAPES = [(2, 1, 3), (2, 5, 3), (3, 16, 2), (1, 37, 4)]  # T = 1, odd, a power of two, neither


def _scan_inputs(shape: tuple[int, int, int], seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    a = 0.5 + 0.5 * torch.rand(shape, generator=gen, dtype=torch.float64)  # in (0.5, 1): long memory
    b = torch.randn(shape, generator=gen, dtype=torch.float64)
    return a, b


def _shift(x: torch.Tensor, d: int, fill: float, future: bool = False) -> torch.Tensor:
    """x shifted by d steps along time: position t holds x[t - d] (or x[t + d] with future=True)."""
    pad = torch.full_like(x[:, :d], fill)
    return torch.cat([x[:, d:], pad], dim=1) if future else torch.cat([pad, x[:, :-d]], dim=1)


def _hillis_steele_variant(a: torch.Tensor, b: torch.Tensor, *, a_first: bool = False, update_a: bool = True,
                           future: bool = False, swapped: bool = False, return_a: bool = False) -> torch.Tensor:
    """The reference scan (all options False) and the classic slips, selected by the options."""
    A, B = a, b
    d = 1
    while d < a.shape[1]:
        A_prev, B_prev = _shift(A, d, 1.0, future), _shift(B, d, 0.0, future)
        if swapped:  # composes the maps in the wrong order
            A_new, B_new = A * A_prev, A_prev * B + B_prev
        else:
            A_new, B_new = A * A_prev, A * B_prev + B
        if a_first:  # B's update reads the A of this round instead of the previous one
            B_new = A_new * B_prev + B
        A, B = (A_new if update_a else A), B_new
        d *= 2
    return A if return_a else B


_SCAN_MISTAKES = [
    (dict(a_first=True), N_("you updated A before using it for B: in each round, B_t <- A_t * B_(t-d) + B_t "
                            "must use A_t from before the round (compute both from the old tensors).")),
    (dict(update_a=False), N_("you never updated A: after each round, A_t must become A_t * A_(t-d), the product "
                              "of all a's the combined block covers, or later rounds combine the wrong maps.")),
    (dict(future=True), N_("you combined each step with a LATER one (t + d): a scan looks back, so position t "
                           "combines with position t - d (pad the first d positions with the identity a=1, b=0).")),
    (dict(swapped=True), N_("you composed the two maps in the wrong order: the earlier block (t - d) acts first, "
                            "so B_t <- A_t * B_(t-d) + B_t, not A_(t-d) * B_t + B_(t-d).")),
    (dict(return_a=True), N_("you returned the products A; the states h_t are the B's (with h_0 = 0, h_t = B_t).")),
]


def _count_calls(fn: Callable, T: int) -> int:
    a, b = _scan_inputs((1, T, 2), seed=9)
    with CountCalls() as counter:
        fn(a, b)
    return sum(counter.calls.values())


@exercise_check
def check_hillis_steele_scan(fn: Callable) -> tuple[bool, str]:
    """Check ``fn(a, b) -> h (batch, time, features)`` against the loop, then that it does not loop over time."""
    for k, shape in enumerate(_SCAN_SHAPES):
        a, b = _scan_inputs(shape, seed=k)
        got = fn(a.clone(), b.clone())
        ref = linear_recurrence_loop(a, b)
        if matches(got, ref, atol=1e-10, rtol=1e-9):
            continue
        if matches(got, torch.cat([torch.zeros_like(ref[:, :1]), ref[:, :-1]], dim=1), atol=1e-10, rtol=1e-9):
            return False, _("your output is shifted by one step: position t holds h_(t-1). The scan is inclusive: "
                            "h_t includes step t itself (h_1 = b_1).")
        mistakes = [(_hillis_steele_variant(a, b, **opts), _(hint)) for opts, hint in _SCAN_MISTAKES]
        hint = diagnose("h", got, ref, mistakes, axes="(batch, time, features)")
        return False, _("{hint} (batch, time, features = {shape})").format(hint=hint, shape=shape)
    short, long = _count_calls(fn, 64), _count_calls(fn, 256)
    if long - short > short:  # 4x the steps: a loop makes ~4x the calls, log2 T rounds only a few more
        return False, _("the values are right, but your function makes {short} calls into PyTorch for T = 64 and "
                        "{long} for T = 256: it loops over time. Combine whole shifted tensors instead, "
                        "in ceil(log2 T) rounds (d = 1, 2, 4, ...).").format(short=short, long=long)
    return True, _("your scan equals the sequential loop on {n} shapes (T = 1 to 37) and makes "
                   "{short} calls into PyTorch for T = 64, {long} for T = 256: log-depth.").format(
        n=len(_SCAN_SHAPES), short=short, long=long)


# ---- one minGRU step ---------------------------------------------------------------------------

_STEP_SHAPES = [(3, 4, 5), (1, 2, 3)]  # (batch N, input D, hidden H): D != H exposes swapped operands


def _step_inputs(N: int, D: int, H: int, seed: int) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=gen, dtype=torch.float64)  # noqa: E731
    return dict(x=r(N, D), h=r(N, H).abs() + 0.1, weight=r(2 * H, D), bias=r(2 * H))  # states are positive


def _min_gru_variant(x, h, weight, bias, *, keep_with_z: bool = False, cand: str = "g", blocks: str = "zc",
                     use_bias: bool = True) -> torch.Tensor:
    pre = x @ weight.T + (bias if use_bias else 0)
    parts = dict(zip(blocks, pre.chunk(2, dim=-1)))
    z = torch.sigmoid(parts["z"])
    h_tilde = {"g": positive_g, "none": lambda v: v, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[cand](parts["c"])
    return z * h + (1 - z) * h_tilde if keep_with_z else (1 - z) * h + z * h_tilde


_STEP_MISTAKES = [
    (dict(keep_with_z=True), N_("you kept the old state with z (h_next = z*h + (1-z)*h~), as nn.GRU does; in minGRU "
                                "z weights the NEW candidate: h_next = (1 - z)*h + z*h~.")),
    (dict(cand="none"), N_("the candidate goes through g (x + 1/2 for x >= 0, sigmoid(x) below 0), which keeps the "
                           "state positive; you used the linear output as it is.")),
    (dict(cand="tanh"), N_("the candidate goes through g (x + 1/2 for x >= 0, sigmoid(x) below 0), not tanh: "
                           "minGRU keeps its state positive so that the scan can run in log space.")),
    (dict(cand="sigmoid"), N_("the candidate goes through g (x + 1/2 for x >= 0, sigmoid(x) below 0), not a plain "
                              "sigmoid.")),
    (dict(blocks="cz"), N_("the blocks are swapped: rows 0:H of weight and bias give the gate z, rows H:2H the "
                           "candidate.")),
    (dict(use_bias=False), N_("you left out the bias: pre-activations are x @ weight.T + bias.")),
]


@exercise_check
def check_min_gru_step(fn: Callable) -> tuple[bool, str]:
    """Check ``fn(x, h, weight, bias) -> h_next`` for ``x (N, D)``, ``h (N, H)``, weight ``(2H, D)``."""
    for k, (N, D, H) in enumerate(_STEP_SHAPES):
        args = _step_inputs(N, D, H, seed=k)
        got = fn(*(v.clone() for v in args.values()))
        ref = _min_gru_variant(**args)
        if matches(got, ref):
            continue
        mistakes = [(_min_gru_variant(**args, **opts), _(hint)) for opts, hint in _STEP_MISTAKES]
        hint = diagnose("h_next", got, ref, mistakes, axes="(batch, hidden)")
        return False, _("{hint} (batch={batch}, input={input}, hidden={hidden})").format(hint=hint, batch=N, input=D,
                                                                                         hidden=H)
    return True, _("your step matches minGRU on {n} random inputs (batch, input and hidden sizes differ).").format(
        n=len(_STEP_SHAPES))


# ---- the key-value cache -----------------------------------------------------------------------

_CACHE_CONFIGS = [(1000, 3, 48, 4), (500, 2, 32, 2), (7, 6, 10, 8), (1, 1, 2, 4), (360, 2, 64, 4), (31_104_000, 2, 64, 4)]


def reference_kv_cache_bytes(n_samples: int, n_layers: int, d_model: int, bytes_per_value: int = 4) -> int:
    """Keys and values (2) for every sample, layer and model dimension."""
    return 2 * n_samples * n_layers * d_model * bytes_per_value


_CACHE_MISTAKES = [
    (lambda n, L, d, b: n * L * d * b, N_("you counted the keys only: every layer caches a key AND a value vector "
                                          "(d_model numbers each) per sample, a factor of 2.")),
    (lambda n, L, d, b: 2 * n * d * b, N_("every layer has its own cache (its keys and values are computed from its "
                                          "own input): multiply by n_layers.")),
    (lambda n, L, d, b: 2 * n * L * d, N_("that is the number of values; multiply by bytes_per_value for bytes.")),
    (lambda n, L, d, b: 2 * n * n * L * d * b, N_("the cache grows linearly with the samples (one key and one value "
                                                  "per sample and layer); the attention SCORES grow quadratically, "
                                                  "but they are not kept.")),
]


@exercise_check
def check_kv_cache_bytes(fn: Callable) -> tuple[bool, str]:
    """Check ``fn(n_samples, n_layers, d_model, bytes_per_value=4) -> int`` (bytes of keys and values)."""
    for n, L, d, b in _CACHE_CONFIGS:
        value = fn(n, L, d, bytes_per_value=b)
        try:
            got = float(value)
        except (TypeError, ValueError):
            return False, _("return a number of bytes (an int), got {type}.").format(type=type(value).__name__)
        want = reference_kv_cache_bytes(n, L, d, b)
        if got == want:
            continue
        for mistake, hint in _CACHE_MISTAKES:
            if got == mistake(n, L, d, b):
                return False, _(hint)
        return False, _("for n_samples={n}, n_layers={L}, d_model={d}, bytes_per_value={b}: expected {expected} bytes, "
                        "got {got}.").format(n=n, L=L, d=d, b=b, expected=want, got=value)
    return True, _("your formula matches on {n} configurations, 24 hours at 360 Hz included.").format(
        n=len(_CACHE_CONFIGS))


