"""rnn_course.device: the cuda → mps → cpu choice, its override, and seeding.

Machines with a GPU are simulated by monkeypatching ``torch.cuda.is_available`` and
``torch.backends.mps.is_available`` (``torch.device("cuda")`` can be built without a GPU;
only moving a tensor there needs one). ``fit`` and ``to_device`` are checked to move the
model and every batch to the device they are given (and ``fit`` to stay on the model's own
device when given none): with the ``meta`` device (which every
PyTorch build has) for ``to_device``, so that a forgotten tensor would visibly stay behind.
"""
from __future__ import annotations

import os
import random
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from rnn_course import available_devices, get_device, seed_everything
from rnn_course.recurrent import tbptt
from rnn_course.device import DEVICE_ENV_VAR, module_device
from rnn_course.training import fit, to_device


def simulate(monkeypatch, *, cuda: bool, mps: bool) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)


@pytest.fixture(autouse=True)
def _no_env_override(monkeypatch):
    monkeypatch.delenv(DEVICE_ENV_VAR, raising=False)
    # seed_everything sets PYTHONHASHSEED for subprocesses: restore it after each test.
    monkeypatch.setenv("PYTHONHASHSEED", os.environ.get("PYTHONHASHSEED", "0"))
    monkeypatch.delenv("PYTHONHASHSEED")


# ------------------------------------------------------------------ order cuda → mps → cpu
@pytest.mark.parametrize(
    "cuda, mps, expected, listed",
    [
        (True, True, "cuda", ["cuda", "mps", "cpu"]),
        (True, False, "cuda", ["cuda", "cpu"]),
        (False, True, "mps", ["mps", "cpu"]),
        (False, False, "cpu", ["cpu"]),
    ],
)
def test_get_device_prefers_cuda_then_mps_then_cpu(monkeypatch, cuda, mps, expected, listed):
    simulate(monkeypatch, cuda=cuda, mps=mps)
    assert available_devices() == listed
    device = get_device()
    assert isinstance(device, torch.device)
    assert device.type == expected


def test_this_machine_gets_a_usable_device():
    device = get_device()
    assert device.type == available_devices()[0]
    x = torch.ones(2, device=device)  # the device it picked really works
    assert float(x.sum()) == 2.0


def test_verbose_says_which_device_and_why(monkeypatch, capsys):
    simulate(monkeypatch, cuda=False, mps=False)
    get_device(verbose=True)
    out = capsys.readouterr().out
    assert "cpu" in out and "first available" in out
    get_device("cpu", verbose=True)
    assert "requested" in capsys.readouterr().out


# ------------------------------------------------------------------ overrides
def test_env_var_overrides_the_order(monkeypatch):
    simulate(monkeypatch, cuda=True, mps=True)
    monkeypatch.setenv(DEVICE_ENV_VAR, "cpu")
    assert get_device().type == "cpu"
    monkeypatch.setenv(DEVICE_ENV_VAR, "mps")
    assert get_device().type == "mps"


def test_argument_wins_over_env_var(monkeypatch):
    simulate(monkeypatch, cuda=True, mps=False)
    monkeypatch.setenv(DEVICE_ENV_VAR, "cpu")
    assert get_device("cuda").type == "cuda"


def test_device_index_and_spelling_are_accepted(monkeypatch):
    simulate(monkeypatch, cuda=True, mps=False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert get_device("cuda:1") == torch.device("cuda", 1)
    assert get_device("CUDA").type == "cuda"
    assert get_device(torch.device("cpu")) == torch.device("cpu")
    monkeypatch.setenv(DEVICE_ENV_VAR, "  Cpu ")
    assert get_device() == torch.device("cpu")


def test_empty_env_var_means_no_override(monkeypatch):
    simulate(monkeypatch, cuda=False, mps=True)
    monkeypatch.setenv(DEVICE_ENV_VAR, "   ")
    assert get_device().type == "mps"


@pytest.mark.parametrize("via_env", [False, True])
def test_unavailable_device_raises_naming_it_and_what_is_available(monkeypatch, via_env):
    simulate(monkeypatch, cuda=False, mps=False)
    if via_env:
        monkeypatch.setenv(DEVICE_ENV_VAR, "cuda")
    with pytest.raises(RuntimeError) as info:
        get_device() if via_env else get_device("cuda")
    msg = str(info.value)
    assert "'cuda'" in msg and "not available" in msg and "available: cpu" in msg
    assert (DEVICE_ENV_VAR in msg) == via_env  # says where the request came from


def test_unavailable_mps_lists_cuda_and_cpu(monkeypatch):
    simulate(monkeypatch, cuda=True, mps=False)
    with pytest.raises(RuntimeError, match=r"'mps'.*available: cuda, cpu"):
        get_device("mps")


@pytest.mark.parametrize("name", ["tpu", "gpu", "cuda0", "metal"])
def test_unknown_device_name_raises_value_error(monkeypatch, name):
    simulate(monkeypatch, cuda=True, mps=True)
    with pytest.raises(ValueError) as info:
        get_device(name)
    assert repr(name) in str(info.value)
    assert "cuda, mps, cpu" in str(info.value)


def test_unknown_device_in_env_var_raises(monkeypatch):
    monkeypatch.setenv(DEVICE_ENV_VAR, "tpu")
    with pytest.raises(ValueError, match="'tpu'"):
        get_device()


# ------------------------------------------------------------------ seeding
def _draw():
    return (random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist(), torch.randn(2, 2).tolist())


def test_seed_everything_makes_python_numpy_and_torch_repeatable():
    seed_everything(123)
    first = _draw()
    seed_everything(123)
    assert _draw() == first
    seed_everything(124)
    assert _draw() != first


def test_seed_everything_makes_model_init_and_dropout_repeatable():
    def run():
        model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 1))
        return model(torch.ones(5, 4)).detach()

    seed_everything(7)
    a = run()
    seed_everything(7)
    assert torch.equal(run(), a)


def test_seed_everything_accepts_numpy_ints_and_large_seeds():
    seed_everything(np.int64(3))
    a = torch.rand(2)
    seed_everything(3)
    assert torch.equal(torch.rand(2), a)
    seed_everything(2**40)  # beyond NumPy's 32-bit range: folded, not an error


@pytest.mark.parametrize("seed", [0, 2**32 - 1, 2**32, 2**40, -5])
def test_seed_everything_leaves_subprocesses_startable(seed):
    # PYTHONHASHSEED outside [0, 2**32 - 1] makes every later Python subprocess (kernels,
    # DataLoader workers) die with "Fatal Python error".
    seed_everything(seed)
    assert 0 <= int(os.environ["PYTHONHASHSEED"]) < 2**32
    child = subprocess.run([sys.executable, "-c", "print(1)"], capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr


@pytest.mark.parametrize("bad", ["0", 1.5, None, True, [1]])
def test_seed_everything_rejects_non_int_seeds(bad):
    with pytest.raises(TypeError, match=f"seed must be an int, got {type(bad).__name__}"):
        seed_everything(bad)


# ------------------------------------------------------------------ moving data
def test_to_device_moves_nested_structures():
    x, y, z = torch.ones(2), torch.zeros(3), torch.arange(4)
    batch = ((x, [y, {"z": z, "n": 3}]), {"w": (x, "label")})
    moved = to_device(batch, torch.device("meta"))
    (mx, [my, d]), e = moved
    assert mx.device.type == my.device.type == d["z"].device.type == e["w"][0].device.type == "meta"
    assert isinstance(moved, tuple) and isinstance(moved[0][1], list)
    assert d["n"] == 3 and e["w"][1] == "label"  # non-tensors pass through unchanged
    assert x.device.type == "cpu"  # the originals are untouched


def test_to_device_keeps_named_tuples_and_packed_sequences():
    from collections import namedtuple

    Pair = namedtuple("Pair", "inputs targets")
    moved = to_device(Pair(torch.ones(2), torch.zeros(2)), torch.device("meta"))
    assert isinstance(moved, Pair) and moved.inputs.device.type == "meta"

    packed = pack_padded_sequence(torch.ones(2, 3, 1), torch.tensor([3, 2]), batch_first=True)
    moved = to_device(packed, torch.device("meta"))
    assert type(moved) is type(packed)
    assert moved.data.device.type == "meta"
    assert moved.batch_sizes.device.type == "cpu"  # PyTorch requires batch_sizes on the CPU


class _Recorder(nn.Module):
    """A linear model that records the device of every input it sees."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 1)
        self.seen: list[torch.device] = []

    def forward(self, x):
        self.seen.append(x.device)
        assert x.device == self.linear.weight.device, (x.device, self.linear.weight.device)
        assert type(x) is torch.Tensor, "the batch reached the model without being moved to the device"
        return self.linear(x)


class _Elsewhere(torch.Tensor):
    """A CPU tensor standing for data on another device: `.to(device)` records the move and
    returns a plain tensor, so a batch that fit forgot to move reaches the model as this type."""

    moves: list[torch.device] = []

    def to(self, *args, **kwargs):
        _Elsewhere.moves.append(torch.device(args[0] if args else kwargs["device"]))
        return self.as_subclass(torch.Tensor).to(*args, **kwargs)


@pytest.mark.slow
def test_fit_moves_model_and_batches_to_the_device_given():
    torch.manual_seed(0)
    model = _Recorder()
    data = [(torch.randn(4, 3).as_subclass(_Elsewhere), torch.randn(4, 1).as_subclass(_Elsewhere))
            for _ in range(3)]
    device = torch.device("cpu")
    _Elsewhere.moves.clear()
    history = fit(model, data, nn.functional.mse_loss, epochs=2, device=device,
                  val_loader=data[:1], progress=False)
    assert {p.device for p in model.parameters()} == {device}
    assert model.seen == [device] * (2 * 3 + 2)  # every train batch and every validation batch
    assert _Elsewhere.moves == [device] * 2 * (2 * 3 + 2)  # inputs and targets of each of them
    assert len(history.step_loss) == 6


def test_the_device_test_fails_when_a_batch_is_not_moved(monkeypatch):
    import rnn_course.training as training

    monkeypatch.setattr(training, "to_device", lambda batch, device: batch)  # a fit that forgets
    with pytest.raises(AssertionError, match="without being moved"):
        fit(_Recorder(), [(torch.randn(4, 3).as_subclass(_Elsewhere), torch.randn(4, 1))],
            nn.functional.mse_loss, epochs=1, device="cpu", progress=False)


def test_fit_without_device_trains_where_the_model_is(monkeypatch):
    # The package never picks a device on its own: $RNN_COURSE_DEVICE naming a GPU that is
    # not there does not matter, because fit does not ask get_device().
    simulate(monkeypatch, cuda=False, mps=False)
    monkeypatch.setenv(DEVICE_ENV_VAR, "cuda")
    model = _Recorder()
    fit(model, [(torch.randn(2, 3), torch.randn(2, 1))], nn.functional.mse_loss, epochs=1, progress=False)
    assert model.seen == [torch.device("cpu")]


def test_train_tbptt_without_device_trains_where_the_model_is(monkeypatch):
    simulate(monkeypatch, cuda=False, mps=False)
    monkeypatch.setenv(DEVICE_ENV_VAR, "cuda")
    model = tbptt.RecurrentModel(input_size=1, hidden_size=4, output_size=1)
    x = torch.randn(2, 10, 1)
    tbptt.train_tbptt(model, x, x, nn.functional.mse_loss, k=5, progress=False)
    assert module_device(model) == torch.device("cpu")


def test_module_device_reads_parameters_then_buffers_then_says_cpu():
    assert module_device(nn.Linear(2, 2).to("meta")) == torch.device("meta")
    assert module_device(nn.BatchNorm1d(2, affine=False).to("meta")) == torch.device("meta")
    assert module_device(nn.ReLU()) == torch.device("cpu")


def test_fit_with_unavailable_device_fails_before_training(monkeypatch):
    simulate(monkeypatch, cuda=False, mps=False)
    model = _Recorder()
    with pytest.raises(RuntimeError, match="available: cpu"):
        fit(model, [(torch.randn(2, 3), torch.randn(2, 1))], nn.functional.mse_loss, epochs=1,
            device="cuda", progress=False)
    assert model.seen == []


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_fit_on_a_real_gpu():
    device = get_device()
    assert device.type == "cuda"
    model = _Recorder()
    data = [(torch.randn(4, 3), torch.randn(4, 1))]
    fit(model, data, nn.functional.mse_loss, epochs=1, device=device, progress=False)
    assert all(d.type == "cuda" for d in model.seen)
    assert next(model.parameters()).device.type == "cuda"


def test_a_cuda_index_beyond_the_gpus_is_refused(monkeypatch):
    simulate(monkeypatch, cuda=True, mps=False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert get_device("cuda:0") == torch.device("cuda:0")
    with pytest.raises(RuntimeError, match=r"'cuda:1' was requested but this machine has 1 CUDA device"):
        get_device("cuda:1")
