"""Exercise checks: friendly, specific feedback that never crashes on a wrong answer.

Every check is a function ``check_<name>(answer)`` in a per-chapter module
(``rnn_course.checks.ch01`` ...). It returns a :class:`CheckResult` and prints one line:

    ✅ check_rnn_step: passed — your step matches the reference on 3 random inputs.
    ❌ check_rnn_step: wrong shape: expected (4, 8) = (batch, hidden), got (8, 4). Did you swap x @ W and W @ x?

The instructor grader reads these lines from executed notebooks, so their prefix is fixed.
A learner's exception (including the ``NotImplementedError`` of an unfilled stub) becomes
a hint, not a traceback.
"""
from __future__ import annotations

import functools
import traceback
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from ..i18n import _

PASS_MARK = "✅"
FAIL_MARK = "❌"


@dataclass
class CheckResult:
    """Outcome of one exercise check; truthy when passed."""

    name: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        if self.passed:
            return f"{PASS_MARK} {self.name}: " + _("passed — {message}").format(message=self.message)
        return f"{FAIL_MARK} {self.name}: {self.message}"

    def _repr_pretty_(self, p, cycle) -> None:  # IPython shows the same line as print()
        p.text(str(self))

    def _ipython_display_(self) -> None:
        # A check prints its line when it runs; when its result is also the cell's value,
        # Jupyter would show the line a second time. Show it only if it was not just printed.
        if getattr(self, "_printed", False):
            self._printed = False
            return
        print(self)


def exercise_check(fn: Callable[..., tuple[bool, str]]) -> Callable[..., CheckResult]:
    """Turn ``fn(answer) -> (passed, message)`` into a check that prints and never raises.

    Exceptions raised while running the learner's code are reported as hints.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> CheckResult:
        try:
            passed, message = fn(*args, **kwargs)
        except NotImplementedError:
            passed, message = False, _("not implemented yet: replace the `raise NotImplementedError` with your code.")
        except Exception as e:  # the learner's code failed: say where, do not crash the notebook
            frame = traceback.extract_tb(e.__traceback__)[-1]
            passed, message = False, (
                _("your code raised {error}: {message} (line {line}: `{code}`)").format(
                    error=type(e).__name__, message=e, line=frame.lineno, code=(frame.line or '').strip())
            )
        result = CheckResult(fn.__name__, bool(passed), message)
        print(result)
        result._printed = True  # see CheckResult._ipython_display_
        return result

    wrapper.is_exercise_check = True  # how the instructor tools recognise a check (not by its name)
    return wrapper


def to_numpy(x: Any) -> np.ndarray | None:
    """Best-effort conversion of a learner's answer to a NumPy array (None if impossible)."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().double().numpy()
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return arr


def compare(name: str, got: Any, expected: Any, *, atol: float = 1e-6, rtol: float = 1e-5,
            axes: str | None = None) -> str | None:
    """Compare an answer with the reference; return ``None`` if it matches, else a hint.

    The hint names the first thing that differs: type, shape (with the axis names in
    ``axes``, e.g. ``"(batch, hidden)"``), NaNs, or values (with the largest difference).
    """
    ref = to_numpy(expected)
    if got is None:
        return _("{name} is None: did your function forget to `return` its result?").format(name=name)
    arr = None if isinstance(got, (str, bytes)) else to_numpy(got)
    if arr is None or arr.dtype == object:
        return _("{name} should be an array or tensor, got {type}.").format(name=name, type=type(got).__name__)
    if arr.shape != ref.shape:
        label = f" = {axes}" if axes else ""
        hint = _("{name} has the wrong shape: expected {expected}{axes}, got {got}.").format(
            name=name, expected=tuple(ref.shape), axes=label, got=tuple(arr.shape))
        if arr.shape == ref.shape[::-1] and arr.ndim == 2:
            hint += _(" It looks transposed: check the order of the matrix product.")
        return hint
    if np.isnan(arr).any():
        return _("{name} contains NaN values.").format(name=name)
    if not np.allclose(arr, ref, atol=atol, rtol=rtol):
        diff = np.abs(arr - ref)
        where = np.unravel_index(np.argmax(diff), diff.shape)
        return _("{name} has the right shape but wrong values: largest difference {difference:.3g} "
                 "at index {index} (got {got:.4g}, expected {expected:.4g}).").format(
            name=name, difference=diff.max(), index=tuple(int(i) for i in where), got=arr[where], expected=ref[where])
    return None


def matches(got: Any, ref: Any, *, atol: float = 1e-8, rtol: float = 1e-6) -> bool:
    """True if ``got`` converts to an array of ``ref``'s shape whose values are close to it."""
    arr, want = to_numpy(got), to_numpy(ref)
    return (arr is not None and arr.dtype != object and arr.shape == want.shape
            and bool(np.allclose(arr, want, atol=atol, rtol=rtol)))


def recognise(got: Any, mistakes: list[tuple[Any, str]]) -> str | None:
    """The hint of the first mistake whose value ``got`` matches (``mistakes`` pairs the value a
    classic slip produces with its hint; a value of None is skipped), or None."""
    return next((hint for value, hint in mistakes if value is not None and matches(got, value)), None)


def diagnose(name: str, got: Any, ref: Any, mistakes: list[tuple[Any, str]], *, axes: str | None = None
             ) -> str | None:
    """``None`` if ``got`` matches ``ref``; else the hint of the first recognised mistake
    (see :func:`recognise`), else what differs."""
    if matches(got, ref):
        return None
    return (recognise(got, mistakes) or compare(name, got, ref, atol=1e-8, rtol=1e-6, axes=axes)
            or _("{name} differs from the reference.").format(name=name))


# In Jupyter, a check cell whose answer was deleted or renamed prints a check line, not a traceback.
from . import missing as _missing  # noqa: E402

_missing.install()

__all__ = ["PASS_MARK", "FAIL_MARK", "CheckResult", "exercise_check", "to_numpy", "compare",
           "matches", "recognise", "diagnose"]
