"""The linear recurrence h_t = a_t ⊙ h_{t-1} + b_t, computed sequentially and as a parallel scan.

Shapes: ``a`` and ``b`` are ``(batch, time, features)``; the initial state ``h0`` is
``(batch, features)`` (zeros when omitted); every function returns ``h_1 .. h_T`` as
``(batch, time, features)``.
``linear_recurrence_loop`` and ``blelloch_scan`` also take complex tensors (the diagonal
recurrence of :mod:`rnn_course.beyond.lru`); the log-space scans need real, positive ``a``.

One step is an affine map of the state, h ↦ a h + b. Two steps in a row are again such a map,

    (a1, b1) then (a2, b2)  =  (a2 a1, a2 b1 + b2),

and this composition is associative, so all T prefixes can be computed as a *scan* (prefix
sum) over the pairs (a_t, b_t), in a number of dependent rounds that grows like log T rather
than T (Blelloch 1990; for RNNs, Martin & Cundy 2018).

- ``linear_recurrence_loop``  the definition: T dependent steps, one after another.
- ``scan_affine_maps``        the scan itself: all prefixes (A_t, B_t) of the composed maps.
- ``blelloch_scan``           work-efficient parallel scan: combine neighbours in pairs, scan
                              the half-length sequence of pairs recursively, then fill in the
                              other half; O(T) work in about 2 log2 T dependent rounds.
- ``log_space_scan``          Heinsen (2023): for a_t > 0 and b_t > 0, log h_t is
                              cumsum(log a) plus a logcumsumexp, two cumulative sums.
- ``heinsen_scan``            the same for any sign of b_t (positive and negative parts
                              scanned separately; the recurrence is linear in b).
- ``scan_differences``        how far scans stray from the loop, over shapes and kinds of a_t.
"""
from __future__ import annotations

from typing import Callable, Iterable, Sequence

import torch

from ..validation import expect_ndim, expect_same_device, expect_shape


def _check(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None) -> None:
    names = ("batch", "time", "features")
    expect_ndim("a", a, 3, names)
    expect_shape("b", b, tuple(a.shape), names)
    if not all(x.is_floating_point() or x.is_complex() for x in (a, b)):
        raise TypeError(f"a and b must be real or complex floating-point tensors, "
                        f"got {a.dtype} and {b.dtype}")
    if a.shape[1] == 0:
        raise ValueError("the sequences are empty: a has 0 time steps")
    if h0 is not None:
        expect_shape("h0", h0, (a.shape[0], a.shape[2]), ("batch", "features"))
        expect_same_device(a=a, b=b, h0=h0)
    else:
        expect_same_device(a=a, b=b)


def _real_only(scan: str, **tensors: torch.Tensor | None) -> None:
    complex_ = [k for k, t in tensors.items() if t is not None and t.is_complex()]
    if complex_:
        raise TypeError(f"{scan} works in log space and needs real tensors; "
                        f"got complex {', '.join(complex_)} (use blelloch_scan)")


def _fold_h0(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None) -> torch.Tensor:
    """Absorb the initial state into the first step: b_1 <- a_1 h0 + b_1 (then h0 = 0)."""
    if h0 is None:
        return b
    return torch.cat([a[:, :1] * h0[:, None] + b[:, :1], b[:, 1:]], dim=1)


def linear_recurrence_loop(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
    """h_t = a_t * h_{t-1} + b_t, one step after another (the reference)."""
    _check(a, b, h0)
    h = torch.zeros_like(b[:, 0]) if h0 is None else h0
    out = []
    for t in range(a.shape[1]):
        h = a[:, t] * h + b[:, t]
        out.append(h)
    return torch.stack(out, dim=1)


def scan_affine_maps(a: torch.Tensor, b: torch.Tensor
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """All prefixes (A_t, B_t) of the maps h -> a_t h + b_t, composed over steps 1..t.

    ``a``, ``b``: ``(batch, time, features)``. With h_0 = 0, the states are h_t = B_t.
    """
    _check(a, b, None)  # cheap, and only about log2 T calls
    T = a.shape[1]
    if T == 1:
        return a, b
    n = T // 2  # number of complete pairs (0, 1), (2, 3), ...
    a_even, b_even = a[:, 0:2 * n:2], b[:, 0:2 * n:2]
    a_odd, b_odd = a[:, 1:2 * n:2], b[:, 1:2 * n:2]
    # Up: each pair becomes one map, "even step, then odd step".
    # Scanning the half-length sequence gives the prefixes that end at 1, 3, 5, ...
    A_odd, B_odd = scan_affine_maps(a_odd * a_even, a_odd * b_even + b_odd)
    # Down: a prefix that ends at an even position 2k > 0 is the prefix that ends
    # at 2k - 1, then step 2k.
    a_rest, b_rest = a[:, 2:T:2], b[:, 2:T:2]  # steps 2, 4, ... (maybe one unpaired)
    m = a_rest.shape[1]
    A_even = torch.cat([a[:, :1], a_rest * A_odd[:, :m]], dim=1)
    B_even = torch.cat([b[:, :1], a_rest * B_odd[:, :m] + b_rest], dim=1)
    # Interleave even and odd positions back into time order.
    A = torch.stack([A_even[:, :n], A_odd], dim=2).flatten(1, 2)
    B = torch.stack([B_even[:, :n], B_odd], dim=2).flatten(1, 2)
    if T % 2:
        A = torch.cat([A, A_even[:, n:]], dim=1)
        B = torch.cat([B, B_even[:, n:]], dim=1)
    return A, B


def blelloch_scan(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
    """All h_t by a work-efficient parallel scan (recursive form of Blelloch's up- and down-sweep).

    Every round is a handful of whole-tensor operations; there are about 2 log2 T rounds.
    """
    _check(a, b, h0)
    return scan_affine_maps(a, _fold_h0(a, b, h0))[1]  # with h0 folded in, h_t = B_t


def log_space_scan(log_a: torch.Tensor, log_b: torch.Tensor, log_h0: torch.Tensor | None = None) -> torch.Tensor:
    """Heinsen's scan in log space: returns log h_t for h_t = a_t h_{t-1} + b_t with a, b, h0 > 0.

    With a*_t = sum_{s<=t} log a_s:  log h_t = a*_t + log sum_{s<=t} exp(log b_s - a*_s).
    Two cumulative sums (``cumsum`` and ``logcumsumexp``), no loop over time. Entries of
    ``log_b`` may be ``-inf`` (b = 0). Precision: a*_t grows with t when a is small, and the
    final sum cancels it, so the error grows like |a*_t| times the machine epsilon.
    """
    _check(log_a, log_b, log_h0)
    _real_only("log_space_scan", log_a=log_a, log_b=log_b, log_h0=log_h0)
    if log_h0 is not None:  # fold h0 into the first step, in log space
        first = torch.logaddexp(log_a[:, :1] + log_h0[:, None], log_b[:, :1])
        log_b = torch.cat([first, log_b[:, 1:]], dim=1)
    a_star = torch.cumsum(log_a, dim=1)
    return a_star + torch.logcumsumexp(log_b - a_star, dim=1)


def heinsen_scan(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
    """All h_t for a_t > 0 and any real b_t and h0, with two log-space scans.

    The recurrence is linear in (b, h0), so h = scan(b+) - scan(b-), where b+ and b- are the
    positive and negative parts of b. (Heinsen uses complex logarithms instead; the split
    keeps everything real.) Gradients through b = 0 are not defined: for training, pass
    positive values to :func:`log_space_scan` directly, as minGRU does.
    """
    _check(a, b, h0)
    _real_only("heinsen_scan", a=a, b=b, h0=h0)
    if not bool((a > 0).all()):
        raise ValueError(f"heinsen_scan needs a > 0 (it takes log a); got min(a) = {a.min().item():.3g}")
    b = _fold_h0(a, b, h0)
    log_a = torch.log(a)
    positive = log_space_scan(log_a, torch.log(b.clamp(min=0)))
    negative = log_space_scan(log_a, torch.log((-b).clamp(min=0)))
    return torch.exp(positive) - torch.exp(negative)


# The kinds of a_t that scan_differences draws, from u ~ Uniform(0, 1): anywhere in (0, 1),
# tiny (about 1e-12: the log-space scan's cumulative sum of log a_t grows large), and within
# 1e-9 of 1 (products of many a_t stay close to 1).
A_KINDS = {"uniform": lambda u: u, "near 0": lambda u: 1e-12 * (1 + u),
           "near 1": lambda u: 1 - 1e-9 * u}


def scan_differences(scans: Iterable[Callable[..., torch.Tensor]],
                     shapes: Sequence[tuple[int, int, int]],
                     a_kinds: Sequence[str] = tuple(A_KINDS),
                     device: torch.device | str | None = None) -> dict[str, float]:
    """Largest absolute difference of each scan from :func:`linear_recurrence_loop`.

    For every shape ``(batch, time, features)`` and every kind of a_t in ``a_kinds`` (keys of
    ``A_KINDS``: ``"uniform"``, ``"near 0"``, ``"near 1"``), in that order, case k draws, in
    float64 from a generator seeded with k, u = rand(shape), b = randn(shape) and
    h0 = randn(batch, features), and runs every scan ``scan(a, b, h0)`` on ``device`` (CPU
    by default). Returns ``{scan.__name__: largest |scan - loop| over all cases}``.
    """
    scans = list(scans)
    if not scans:
        raise ValueError("scans: expected at least one scan function, got none")
    unknown = [kind for kind in a_kinds if kind not in A_KINDS]
    if unknown:
        raise ValueError(f"a_kinds: expected names from {list(A_KINDS)}, got {unknown}")
    if not shapes or any(len(shape) != 3 for shape in shapes):
        raise ValueError(f"shapes: expected (batch, time, features) triples, got {shapes!r}")
    worst = {scan.__name__: 0.0 for scan in scans}
    cases = [(shape, kind) for shape in shapes for kind in a_kinds]
    for seed, (shape, kind) in enumerate(cases):
        gen = torch.Generator().manual_seed(seed)
        u = torch.rand(shape, generator=gen, dtype=torch.float64)
        b = torch.randn(shape, generator=gen, dtype=torch.float64)
        h0 = torch.randn(shape[0], shape[2], generator=gen, dtype=torch.float64)
        a, b, h0 = (t.to(device) for t in (A_KINDS[kind](u), b, h0))
        reference = linear_recurrence_loop(a, b, h0)
        for scan in scans:
            diff = (scan(a, b, h0) - reference).abs().max().item()
            worst[scan.__name__] = max(worst[scan.__name__], diff)
    return worst
