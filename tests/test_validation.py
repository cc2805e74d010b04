"""rnn_course.validation: every check passes good input and, for bad input, raises an error
whose message names the argument, what was expected and what arrived."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rnn_course.validation import (as_float_array, expect_binary_labels, expect_dtype, expect_int, expect_ndim, expect_same_device,
                                   expect_shape)


# ------------------------------------------------------------------ expect_shape
@pytest.mark.parametrize(
    "x, expected",
    [
        (torch.zeros(32, 100, 3), (None, None, 3)),
        (torch.zeros(32, 100, 3), (32, 100, 3)),
        (np.zeros((4,)), (4,)),
        (np.zeros((4,)), (None,)),
        (torch.tensor(1.0), ()),
    ],
)
def test_expect_shape_accepts_matching_shapes(x, expected):
    expect_shape("x", x, expected)


def test_expect_shape_wrong_rank_names_expected_and_received():
    with pytest.raises(ValueError) as info:
        expect_shape("x", torch.zeros(32, 100), (None, None, 3), names=("batch", "time", "features"))
    assert str(info.value) == "x: expected shape (batch, time, features) = (?, ?, 3), got (32, 100)"


def test_expect_shape_wrong_size_names_expected_and_received():
    with pytest.raises(ValueError) as info:
        expect_shape("h0", np.zeros((1, 8, 16)), (1, 4, 16))
    assert str(info.value) == "h0: expected shape (1, 4, 16), got (1, 8, 16)"


def test_expect_shape_one_axis_is_written_as_a_tuple():
    with pytest.raises(ValueError, match=r"expected shape \(5,\), got \(4,\)"):
        expect_shape("b", torch.zeros(4), (5,))
    with pytest.raises(ValueError, match=r"expected shape \(hidden,\) = \(5,\), got \(4, 1\)"):
        expect_shape("b", torch.zeros(4, 1), (5,), names=("hidden",))


@pytest.mark.parametrize("bad", [[1, 2, 3], 3.0, None, "abc"])
def test_expect_shape_rejects_things_without_a_shape(bad):
    with pytest.raises(TypeError) as info:
        expect_shape("x", bad, (3,))
    assert str(info.value) == f"x: expected an array or tensor, got {type(bad).__name__}"


# ------------------------------------------------------------------ expect_ndim
def test_expect_ndim():
    expect_ndim("x", torch.zeros(2, 3, 4), 3)
    with pytest.raises(ValueError) as info:
        expect_ndim("x", torch.zeros(2, 3), 3, names=("batch", "time", "features"))
    assert str(info.value) == "x: expected shape (batch, time, features) = (?, ?, ?), got (2, 3)"
    with pytest.raises(TypeError, match="x: expected an array or tensor, got list"):
        expect_ndim("x", [[1.0]], 2)


# ------------------------------------------------------------------ expect_dtype
def test_expect_dtype_accepts_any_allowed_dtype():
    expect_dtype("x", torch.zeros(2), torch.float32)
    expect_dtype("x", torch.zeros(2, dtype=torch.float64), torch.float32, torch.float64)
    expect_dtype("x", np.zeros(2), np.float64)
    expect_dtype("y", torch.zeros(2, dtype=torch.long), torch.long)


def test_expect_dtype_names_expected_and_received_torch():
    with pytest.raises(TypeError) as info:
        expect_dtype("targets", torch.zeros(2), torch.long)
    assert str(info.value) == "targets: expected dtype torch.int64, got torch.float32"


def test_expect_dtype_lists_every_allowed_dtype():
    with pytest.raises(TypeError) as info:
        expect_dtype("x", torch.zeros(2, dtype=torch.int32), torch.float32, torch.float64)
    assert str(info.value) == "x: expected dtype torch.float32 or torch.float64, got torch.int32"


def test_expect_dtype_numpy_and_missing_dtype():
    with pytest.raises(TypeError, match="x: expected dtype float32, got int64"):
        expect_dtype("x", np.zeros(2, dtype=np.int64), np.float32)
    with pytest.raises(TypeError, match="x: expected dtype torch.float32, got None"):
        expect_dtype("x", [1.0, 2.0], torch.float32)


# ------------------------------------------------------------------ expect_same_device
def test_expect_same_device_accepts_one_device_and_ignores_non_tensors():
    expect_same_device(x=torch.zeros(2), h=torch.zeros(3), n=5, arr=np.zeros(2))
    expect_same_device()


def test_expect_same_device_names_every_tensor_and_its_device():
    with pytest.raises(RuntimeError) as info:
        expect_same_device(x=torch.zeros(2), h0=torch.zeros(2, device="meta"))
    msg = str(info.value)
    assert "x on cpu" in msg and "h0 on meta" in msg and ".to(device)" in msg


# ------------------------------------------------------------------ as_float_array
def test_as_float_array_converts_tensors_lists_and_ints():
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    a = as_float_array("t", t)
    assert isinstance(a, np.ndarray) and a.dtype == np.float32 and a.tolist() == [1.0, 2.0]
    assert as_float_array("l", [1, 2]).dtype == np.float64
    f32 = np.zeros(3, dtype=np.float32)
    assert as_float_array("f", f32).dtype == np.float32  # floats keep their precision


@pytest.mark.parametrize("bad, dtype", [(["a", "b"], "<U1"), (np.array([True, False]), "bool")])
def test_as_float_array_rejects_non_numbers(bad, dtype):
    with pytest.raises(TypeError) as info:
        as_float_array("labels", bad)
    assert str(info.value) == f"labels: expected numbers, got dtype {dtype}"


# ------------------------------------------------------------------ expect_int
def test_expect_int_returns_a_python_int_and_accepts_numpy_integers():
    assert expect_int("k", 3) == 3
    value = expect_int("k", np.int64(5), high=5)
    assert value == 5 and type(value) is int
    assert expect_int("n", 0, low=0) == 0


@pytest.mark.parametrize("bad, message", [
    (True, "k: expected a positive int, got True"),          # True is an int to Python, not a count
    (2.0, "k: expected a positive int, got 2.0"),
    ("3", "k: expected a positive int, got '3'"),
    (None, "k: expected a positive int, got None"),
    (0, "k: expected a positive int, got 0"),
    (-1, "k: expected a positive int, got -1"),
])
def test_expect_int_names_the_argument_what_was_expected_and_what_arrived(bad, message):
    with pytest.raises(ValueError) as info:
        expect_int("k", bad)
    assert str(info.value) == message


def test_expect_int_other_bounds_and_a_hint():
    with pytest.raises(ValueError) as info:
        expect_int("n_steps", 9, high=8, hint="more steps do not fit")
    assert str(info.value) == "n_steps: expected an integer from 1 to 8 (more steps do not fit), got 9"
    with pytest.raises(ValueError, match="^n: expected a non-negative int, got -1$"):
        expect_int("n", -1, low=0)
    with pytest.raises(ValueError, match="^width: expected an int >= 2, got 1$"):
        expect_int("width", 1, low=2)
    with pytest.raises(ValueError, match="^k: expected an integer from 2 to 6, got 1$"):
        expect_int("k", 1, low=2, high=6)


# ------------------------------------------------------------------ expect_binary_labels
def test_expect_binary_labels_returns_ints_and_floats():
    y, s = expect_binary_labels([True, False, True], np.array([1, 0, 2], dtype=np.int32))
    assert y.dtype.kind == "i" and s.dtype == np.float64
    assert y.tolist() == [1, 0, 1] and s.tolist() == [1.0, 0.0, 2.0]


@pytest.mark.parametrize("y, s, message", [
    ([0, 1], [0.1], r"same length, got shapes \(2,\) and \(1,\)"),
    ([[0, 1]], [[0.1, 0.2]], "two 1-D arrays"),
    ([0, 2, 1], [0.1, 0.2, 0.3], r"labels 0 and 1, got values \[0, 1, 2\]"),
])
def test_expect_binary_labels_names_what_arrived(y, s, message):
    with pytest.raises(ValueError, match=message):
        expect_binary_labels(y, s)
