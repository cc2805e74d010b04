"""Exercise checks of chapter 2 (backpropagation through time).

- ``check_rnn_step_backward(fn)``: ``fn(dh_next, cache) -> (dx, dh_prev, dWx, dWh, db)``,
  the backward pass of one tanh step (``rnn_course.recurrent.numpy_rnn.StepCache`` as the cache).
- ``check_rnn_backward(fn)``: ``fn(dh, cache) -> (dx, dh0, dWx, dWh, db)``, full BPTT over a
  list of step caches, with dh (N, T, H) the gradient from above at every step.
- ``check_two_step_dh1(fn)``: ``fn(e1, e2, h2, Wh, Wy) -> dL/dh_1 (N, H)`` for a two-step RNN
  with outputs ``y_t = h_t @ Wy + by`` and ``e_t = dL_t/dy_t (N, V)``: the hand derivation.
- ``check_precision_table(precision)``: the finite-difference errors of dL/dWh for step sizes
  1e-1 ... 1e-9 in float64 and float32 (a DataFrame, index h, columns "float64", "float32").

Each says what is wrong and, when the answer matches a classic mistake (forgot tanh',
multiplied by W instead of W.T, forgot to sum over the batch, forgot the gradient arriving
from step t+1, forgot to cast to float32 ...), names the mistake.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..i18n import N_, _
from ..recurrent import StepCache, init_params, rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from . import diagnose, exercise_check, matches

STEP_FIELDS = ("dx", "dh_prev", "dWx", "dWh", "db")
SEQ_FIELDS = ("dx", "dh0", "dWx", "dWh", "db")


def _fields(out: Any, names: tuple[str, ...]) -> dict[str, Any] | None:
    """Read the gradients from a namedtuple/object, a dict, or a tuple in the order ``names``."""
    if isinstance(out, dict):
        return {k: out[k] for k in names} if all(k in out for k in names) else None
    if all(hasattr(out, k) for k in names):
        return {k: getattr(out, k) for k in names}
    if isinstance(out, (tuple, list)) and len(out) >= len(names):
        return dict(zip(names, out))
    return None


def _step_case(seed: int) -> tuple[np.ndarray, StepCache]:
    rng = np.random.default_rng(seed)
    N, D, H = 3, 4, 5  # all different, so a transposed or swapped factor shows in the shape
    x, h_prev = rng.standard_normal((N, D)), np.tanh(rng.standard_normal((N, H)))
    Wx, Wh, b = 0.5 * rng.standard_normal((D, H)), 0.5 * rng.standard_normal((H, H)), rng.standard_normal(H)
    _h_next, cache = rnn_step_forward(x, h_prev, Wx, Wh, b)
    return rng.standard_normal((N, H)), cache


def _step_mistakes(dh: np.ndarray, c: StepCache) -> dict[str, list[tuple[str, np.ndarray]]]:
    """For each gradient, what classic mistakes would return, with the hint to give."""
    h = c.h_next
    derivative_slips = [
        (dh, _("you forgot the tanh derivative: first compute da = dh_next * (1 - h_next**2).")),
        (dh * (1 - np.tanh(h) ** 2), _("tanh was applied twice: h_next is already tanh(a), so tanh'(a) = 1 - h_next**2.")),
        (dh * (1 - c.h_prev**2), _("tanh' must be evaluated at this step's output: 1 - h_next**2, not 1 - h_prev**2.")),
        (dh * h * (1 - h), _("h * (1 - h) is the sigmoid derivative; for tanh use 1 - h_next**2.")),
    ]
    da = dh * (1 - h**2)
    out: dict[str, list[tuple[str, np.ndarray]]] = {
        "dx": [(d @ c.Wx.T, m) for d, m in derivative_slips],
        "dh_prev": [(d @ c.Wh.T, m) for d, m in derivative_slips] + [
            (da @ c.Wh, _("multiply by Wh.T, not Wh (the square shape hides the transpose): dh_prev = da @ Wh.T.")),
            (dh, _("the gradient must flow back through tanh' and Wh: dh_prev = da @ Wh.T.")),
        ],
        "dWx": [(c.x.T @ d, m) for d, m in derivative_slips],
        "dWh": [(c.h_prev.T @ d, m) for d, m in derivative_slips] + [
            (da.T @ c.h_prev, _("dWh is transposed (its square shape hides it): dWh = h_prev.T @ da.")),
            (h.T @ da, _("dWh multiplies the *input* of Wh, which is h_prev, not h_next: dWh = h_prev.T @ da.")),
        ],
        "db": [(d.sum(axis=0), m) for d, m in derivative_slips] + [
            (da, _("db must have shape (H,): sum over the batch, db = da.sum(axis=0).")),
            (da.mean(axis=0), _("sum over the batch, do not average: every example adds its gradient to the shared b.")),
        ],
    }
    return out


def _report(problems: dict[str, str], total: int) -> tuple[bool, str]:
    """One line naming the wrong gradients, grouped by hint."""
    if not problems:
        return True, ""
    groups: dict[str, list[str]] = {}
    for name, hint in problems.items():
        groups.setdefault(hint, []).append(name)
    parts = [(_("{names} is wrong: {hint}") if len(names) == 1 else _("{names} are wrong: {hint}")).format(
        names=", ".join(names), hint=hint) for hint, names in groups.items()]
    return False, _("{wrong} of {total} gradients wrong. ").format(wrong=len(problems), total=total) + " ".join(parts)


@exercise_check
def check_rnn_step_backward(fn: Callable[[np.ndarray, StepCache], Any]) -> tuple[bool, str]:
    """Compare ``fn(dh_next, cache)`` with the reference step backward on two random cases."""
    axes = {"dx": "(N, D)", "dh_prev": "(N, H)", "dWx": "(D, H)", "dWh": "(H, H)", "db": "(H,)"}
    for seed in (0, 1):
        dh, cache = _step_case(seed)
        out = _fields(fn(dh.copy(), cache), STEP_FIELDS)
        if out is None:
            return False, _("return the five gradients, e.g. StepGrads(dx, dh_prev, dWx, dWh, db) or a tuple in that order.")
        ref, mistakes = rnn_step_backward(dh, cache)._asdict(), _step_mistakes(dh, cache)
        problems = {k: p for k in STEP_FIELDS if (p := diagnose(k, out[k], ref[k], mistakes[k], axes=axes[k]))}
        ok, message = _report(problems, len(STEP_FIELDS))
        if not ok:
            return ok, message
    return True, _("all five gradients (dx, dh_prev, dWx, dWh, db) match the reference on 2 random inputs.")


def _bptt_variant(dh: np.ndarray, cache: list[StepCache], *, from_future: bool = True, from_above: bool = True,
                  accumulate: bool = True, reverse: bool = True) -> dict[str, np.ndarray]:
    """BPTT with one piece optionally left out, to recognise the classic mistakes."""
    T = len(cache)
    dx = np.zeros(dh.shape[:2] + cache[0].x.shape[1:])
    dWx, dWh, db = (np.zeros_like(cache[0].Wx), np.zeros_like(cache[0].Wh), np.zeros(cache[0].Wh.shape[0]))
    carry = np.zeros_like(dh[:, 0])
    for t in (reversed(range(T)) if reverse else range(T)):
        upstream = (dh[:, t] if from_above or t == T - 1 else 0.0) + (carry if from_future else 0.0)
        g = rnn_step_backward(upstream, cache[t])
        dx[:, t], carry = g.dx, g.dh_prev
        if accumulate:
            dWx, dWh, db = dWx + g.dWx, dWh + g.dWh, db + g.db
        else:
            dWx, dWh, db = g.dWx, g.dWh, g.db
    return {"dx": dx, "dh0": carry, "dWx": dWx, "dWh": dWh, "db": db}


_BPTT_MISTAKES = [
    ({"from_future": False}, N_("you forgot the gradient arriving from step t+1: at every step add the dh_prev "
                                "returned by the step after it, dh_total = dh[:, t] + dh_next_step.")),
    ({"from_above": False}, N_("you forgot the gradient from above: add dh[:, t] (the output layer's gradient) at every "
                               "step, not only at the last one.")),
    ({"accumulate": False}, N_("the weights are shared by all steps: accumulate their gradients (dWx += ..., dWh += ..., "
                               "db += ...) instead of overwriting them.")),
    ({"reverse": False}, N_("loop over time in reverse (for t in reversed(range(T))): step t needs the gradient of step t+1 first.")),
]


@exercise_check
def check_rnn_backward(fn: Callable[[np.ndarray, list[StepCache]], Any]) -> tuple[bool, str]:
    """Compare ``fn(dh, cache)`` with reference BPTT on a random sequence (N=2, T=4, D=3, H=5)."""
    rng = np.random.default_rng(2)
    N, T, D, H = 2, 4, 3, 5
    x, h0 = rng.standard_normal((N, T, D)), 0.5 * rng.standard_normal((N, H))
    Wx, Wh, b = 0.6 * rng.standard_normal((D, H)), 0.6 * rng.standard_normal((H, H)), 0.1 * rng.standard_normal(H)
    _states, cache = rnn_forward(x, h0, Wx, Wh, b)
    dh = rng.standard_normal((N, T, H))
    out = _fields(fn(dh.copy(), cache), SEQ_FIELDS)
    if out is None:
        return False, _("return the gradients dx, dh0, dWx, dWh, db (a namedtuple, a dict or a tuple in that order).")
    ref = _bptt_variant(dh, cache)
    wrong = [k for k in SEQ_FIELDS if not matches(out[k], ref[k])]
    if not wrong:
        return True, _("dx, dh0, dWx, dWh and db match reference BPTT on a random sequence.")
    for kwargs, hint in _BPTT_MISTAKES:
        variant = _bptt_variant(dh, cache, **kwargs)
        if all(matches(out[k], variant[k]) for k in SEQ_FIELDS):
            return False, (_("{names} is wrong: {hint}") if len(wrong) == 1 else _("{names} are wrong: {hint}")).format(
                names=", ".join(wrong), hint=_(hint))
    axes = {"dx": "(N, T, D)", "dh0": "(N, H)", "dWx": "(D, H)", "dWh": "(H, H)", "db": "(H,)"}
    return _report({k: diagnose(k, out[k], ref[k], [], axes=axes[k]) for k in wrong}, len(SEQ_FIELDS))


# ----------------------------------------------------------------------------- two steps by hand
@exercise_check
def check_two_step_dh1(fn: Callable[..., Any]) -> tuple[bool, str]:
    """Compare ``fn(e1, e2, h2, Wh, Wy)`` with dL/dh_1 from ``rnn_backward`` (N=3, H=4, V=2)."""
    rng = np.random.default_rng(12)
    N, D, H, V = 3, 2, 4, 2
    p = init_params(D, H, V, seed=12)
    h, cache = rnn_forward(rng.standard_normal((N, 2, D)), rng.standard_normal((N, H)), p["Wx"], p["Wh"], p["b"])
    e = rng.standard_normal((N, 2, V))  # e_t = dL_t/dy_t
    truth = rnn_backward(e @ p["Wy"].T, cache).dh_total[:, 0]
    e1, e2, h2, Wh, Wy = e[:, 0], e[:, 1], h[:, 1], p["Wh"], p["Wy"]
    try:
        got = fn(e1.copy(), e2.copy(), h2.copy(), Wh.copy(), Wy.copy())
    except ValueError as err:
        if "matmul" not in str(err) and "shape" not in str(err):
            raise
        return False, _("a matrix product failed ({error}). In the row layout y_t = h_t @ Wy + by with Wy (H, V) = "
                        "({H}, {V}), so the error reaches h_t as e_t @ Wy.T, shape (N, H).").format(error=err, H=H, V=V)
    from_y1, delta2 = e1 @ Wy.T, (1 - h2**2) * (e2 @ Wy.T)
    hint = diagnose("dL/dh_1", got, truth, [
        (from_y1, _("you forgot that h_1 also affects L_2: add the path through step 2, "
                    "W_hh^T delta_2 (in the row layout delta2 @ Wh.T with delta2 = (1 - h2**2) * (e2 @ Wy.T)).")),
        (delta2 @ Wh.T, _("you kept only the path through step 2: add the direct path through y_1, e1 @ Wy.T.")),
        (from_y1 + (e2 @ Wy.T) @ Wh.T, _("delta_2 needs tanh' of step 2: multiply e2 @ Wy.T by (1 - h2**2) "
                                         "before going back through W_hh.")),
        (from_y1 + delta2 @ Wh, _("multiply by Wh.T, not Wh (the square shape hides the transpose): "
                                  "a_2 = x_2 @ Wx + h_1 @ Wh + b, so the gradient to h_1 is delta2 @ Wh.T.")),
        (from_y1 + ((1 - h2) * (e2 @ Wy.T)) @ Wh.T, _("tanh'(a) = 1 - tanh(a)**2 = 1 - h2**2, not 1 - h2.")),
    ], axes="(N, H)")
    if hint:
        return False, hint
    return True, _("your dL/dh_1 matches rnn_backward's on a random two-step sequence (both paths, tanh', W_hh^T).")


# ----------------------------------------------------------------------------- finite-difference precision
STEPS = (1e-1, 1e-3, 1e-5, 1e-7, 1e-9)


@exercise_check
def check_precision_table(precision: Any) -> tuple[bool, str]:
    """Check the table of finite-difference errors: rows h in ``STEPS``, columns float64 and float32.

    The numbers depend on the lab's data, so the check tests what any correct table shows:
    relative errors in [0, 1]; in float64 a tiny error near h = 1e-5 and larger ones at both
    ends (truncation, rounding); in float32 no step size below 1e-5.
    """
    import pandas as pd

    if precision is None:
        return False, _("precision is None: build the table (a DataFrame with one row per step size h).")
    table = precision if isinstance(precision, pd.DataFrame) else pd.DataFrame(precision)
    missing = [c for c in ("float64", "float32") if c not in table.columns]
    if missing:
        return False, _("the table needs the columns 'float64' and 'float32'; it has {columns}.").format(
            columns=list(table.columns))
    try:
        rows = {float(h): i for i, h in enumerate(table.index)}
    except (TypeError, ValueError):
        return False, _("the index must be the step sizes h {steps}, got {index}.").format(
            steps=list(STEPS), index=list(table.index))
    found = {h: next((i for r, i in rows.items() if np.isclose(r, h, rtol=1e-6, atol=0)), None) for h in STEPS}
    if any(i is None for i in found.values()):
        return False, _("the index must be the step sizes h {steps}, got {index}.").format(
            steps=list(STEPS), index=list(table.index))
    err = {c: np.array([float(table[c].iloc[found[h]]) for h in STEPS]) for c in ("float64", "float32")}
    if any(not np.all(np.isfinite(v)) or v.min() < 0 or v.max() > 1 for v in err.values()):
        return False, _("relative errors lie between 0 and 1 (rel_error(a, b) = |a - b| / (|a| + |b|)); "
                        "use finite_difference_errors or rel_error.")
    f64, f32 = err["float64"], err["float32"]
    if np.all(np.abs(np.log10((f32 + 1e-300) / (f64 + 1e-300))) < 1):
        return False, _("your float32 column is the float64 one: cast every array the loss uses (parameters, "
                        "x and h0) to np.float32 inside the loss function, so that the loss is computed in float32.")
    if f32.min() < 1e-5 and f64.min() > 1e-5:
        return False, _("the columns look swapped: float64 should reach far smaller errors than float32.")
    best = STEPS[int(np.argmin(f64))]
    if f64.min() > 1e-7:
        return False, _("in float64 your smallest error is {error:.1e} (at h = {h:g}); a correct check "
                        "reaches below 1e-7 near h = 1e-5. Compare with the analytic gradient of the same loss and "
                        "use centred differences (finite_difference_errors does both).").format(error=f64.min(), h=best)
    if not (f64[0] > 100 * f64.min() and f64[-1] > 100 * f64.min()):
        return False, _("in float64 both h = 0.1 (truncation) and h = 1e-9 (rounding) should be far worse than the best h.")
    if f32.min() < 1e-5:
        return False, _("your float32 column reaches {error:.1e}: is the loss really computed in float32? "
                        "Casting back to float64 before the loss hides the rounding.").format(error=f32.min())
    return True, _("float64 is best at h = {h:g} ({error64:.0e}), worse at both ends; float32 never gets "
                   "below {error32:.0e}.").format(h=best, error64=f64.min(), error32=f32.min())

