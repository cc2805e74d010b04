"""rnn_course.checks: the exercise-check machinery every chapter's checks are built on.

A check never raises on a wrong answer: a learner's exception (including the
``NotImplementedError`` of an unfilled stub) becomes a failed CheckResult with a hint, and
the ✅/❌ line the instructor grader reads is printed exactly once.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rnn_course.checks import (
    FAIL_MARK, PASS_MARK, CheckResult, compare, diagnose, exercise_check, matches, recognise, to_numpy,
)


@exercise_check
def check_double(fn):
    """Reference check: fn(x) must be 2 * x."""
    x = torch.arange(6.0).reshape(2, 3)
    hint = compare("fn(x)", fn(x), 2 * x, axes="(batch, features)")
    return hint is None, hint or "fn doubles its input."


# ------------------------------------------------------------------ exercise_check
def test_passing_answer(capsys):
    result = check_double(lambda x: x * 2)
    assert isinstance(result, CheckResult) and result.passed and bool(result)
    assert result.name == "check_double"
    assert capsys.readouterr().out == f"{PASS_MARK} check_double: passed — fn doubles its input.\n"


def test_wrong_answer_fails_with_a_hint(capsys):
    result = check_double(lambda x: x * 3)
    assert not result and not result.passed
    out = capsys.readouterr().out
    assert out.startswith(f"{FAIL_MARK} check_double: fn(x) has the right shape but wrong values")
    assert out.count("\n") == 1  # one line, for the grader


def test_not_implemented_stub_becomes_a_hint(capsys):
    def stub(x):
        raise NotImplementedError("exercise: write this function")

    result = check_double(stub)
    assert not result
    assert "not implemented yet" in result.message and "NotImplementedError" in result.message
    assert capsys.readouterr().out.startswith(f"{FAIL_MARK} check_double: not implemented yet")


@pytest.mark.parametrize(
    "answer, error",
    [
        (lambda x: x @ x, "RuntimeError"),  # (2, 3) @ (2, 3): a shape error inside torch
        (lambda x: x / undefined_name, "NameError"),  # noqa: F821
        (lambda x: {}["key"], "KeyError"),
        (lambda x: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_learner_exceptions_become_hints_naming_the_error_and_line(capsys, answer, error):
    result = check_double(answer)  # must not raise
    assert not result
    assert result.message.startswith(f"your code raised {error}")
    assert "(line " in result.message and "`" in result.message
    assert capsys.readouterr().out.startswith(f"{FAIL_MARK} check_double: your code raised {error}")


def test_the_hint_quotes_the_failing_line():
    def answer(x):
        y = x * 2
        return y.reshape(7, 7)  # the broken line

    result = check_double(answer)
    assert "RuntimeError" in result.message
    assert "return y.reshape(7, 7)" in result.message


def test_wrong_return_type_is_a_hint_not_a_crash():
    assert "should be an array or tensor, got str" in check_double(lambda x: "twice x").message
    assert "forget to `return`" in check_double(lambda x: None).message
    assert "should be an array or tensor, got dict" in check_double(lambda x: {"a": 1}).message


def test_check_keeps_name_and_docstring():
    assert check_double.__name__ == "check_double"
    assert "2 * x" in check_double.__doc__


def test_passed_is_a_real_bool():
    @exercise_check
    def check_truthy(v):
        return v, "message"

    assert check_truthy(np.bool_(True)).passed is True
    assert check_truthy(0).passed is False


# ------------------------------------------------------------------ display in Jupyter
def test_str_and_pretty_repr_give_the_line():
    ok, bad = CheckResult("check_a", True, "fine."), CheckResult("check_b", False, "hint.")
    assert str(ok) == "✅ check_a: passed — fine."
    assert str(bad) == "❌ check_b: hint."

    class Printer:
        def __init__(self):
            self.parts = []

        def text(self, s):
            self.parts.append(s)

    p = Printer()
    bad._repr_pretty_(p, False)
    assert p.parts == [str(bad)]


def test_the_line_is_shown_once_when_the_check_is_the_cell_value(capsys):
    result = check_double(lambda x: 2 * x)  # prints the line
    result._ipython_display_()  # what Jupyter calls for the cell's value: nothing more
    assert capsys.readouterr().out.count("check_double") == 1
    result._ipython_display_()  # shown again later (e.g. `result` in another cell): printed
    assert capsys.readouterr().out.count("check_double") == 1
    CheckResult("check_c", True, "x")._ipython_display_()  # built by hand: printed
    assert "check_c" in capsys.readouterr().out


# ------------------------------------------------------------------ compare
def test_compare_match_returns_none():
    ref = torch.ones(2, 3, dtype=torch.float64)
    assert compare("h", ref.clone(), ref) is None
    assert compare("h", ref.numpy().tolist(), ref) is None  # lists are fine
    assert compare("h", ref.float() + 1e-8, ref) is None  # within tolerance
    assert compare("h", torch.ones(2, 3, requires_grad=True), ref) is None


@pytest.mark.parametrize("got, kind", [("abc", "str"), (object(), "object"), ({"a": 1}, "dict"),
                                       ([[1.0, 2.0], [3.0]], "list")])
def test_compare_wrong_type(got, kind):
    hint = compare("h", got, torch.zeros(2))
    assert hint == f"h should be an array or tensor, got {kind}."


def test_compare_none_says_forgot_return():
    assert compare("h", None, torch.zeros(2)) == "h is None: did your function forget to `return` its result?"


def test_compare_wrong_shape_names_expected_got_and_axes():
    hint = compare("h", torch.zeros(4, 8, 2), torch.zeros(4, 8), axes="(batch, hidden)")
    assert hint == "h has the wrong shape: expected (4, 8) = (batch, hidden), got (4, 8, 2)."


def test_compare_transposed_shape_hint():
    hint = compare("h", torch.zeros(8, 4), torch.zeros(4, 8), axes="(batch, hidden)")
    assert "expected (4, 8) = (batch, hidden), got (8, 4)" in hint
    assert "transposed" in hint and "matrix product" in hint
    # Square matrices cannot look transposed by shape; 3-D swaps get no matrix-product hint.
    assert "transposed" not in compare("h", torch.zeros(2, 3, 4), torch.zeros(4, 3, 2))


def test_compare_nan():
    got = torch.zeros(3)
    got[1] = float("nan")
    assert compare("loss", got, torch.zeros(3)) == "loss contains NaN values."


def test_compare_values_names_largest_difference_and_where():
    ref = torch.zeros(2, 3)
    got = ref.clone()
    got[1, 2] = 0.5
    got[0, 0] = 0.1
    hint = compare("y", got, ref)
    assert hint == ("y has the right shape but wrong values: largest difference 0.5 at index (1, 2) "
                    "(got 0.5, expected 0).")


def test_compare_tolerances():
    ref = torch.ones(3)
    assert compare("y", ref + 1e-3, ref) is not None
    assert compare("y", ref + 1e-3, ref, atol=1e-2) is None


def test_to_numpy():
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    a = to_numpy(t)
    assert a.dtype == np.float64 and a.tolist() == [1.0, 2.0]
    assert to_numpy([1, 2]).dtype == np.float64
    assert to_numpy("not a number") is None
    assert to_numpy(torch.tensor([1.5], dtype=torch.bfloat16)).tolist() == [1.5]


# ------------------------------------------------------------------ matches, recognise, diagnose
def test_diagnose_names_the_first_recognised_mistake_else_what_differs():
    ref = np.array([[1.0, 2.0], [3.0, 4.0]])
    mistakes = [(None, "skipped: no such slip for this input"), (ref.T, "transposed"), (2 * ref, "doubled")]
    assert diagnose("x", ref + 1e-12, ref, mistakes) is None
    assert diagnose("x", torch.tensor(ref.T), ref, mistakes) == "transposed"  # tensors and arrays alike
    assert recognise(2 * ref, mistakes) == "doubled" and recognise(3 * ref, mistakes) is None
    assert "wrong values" in diagnose("x", 3 * ref, ref, mistakes)
    assert "wrong shape" in diagnose("x", ref[:1], ref, mistakes)
    assert not matches("text", ref) and not matches([[1, 2]], ref) and matches(ref.tolist(), ref)
