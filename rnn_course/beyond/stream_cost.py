"""What each new sample of a stream costs a model: time, arithmetic and the state it holds.

Along a stream, :func:`profile_streams` measures for each model the time of one more
single-sample step, the floating-point operations of that step, and the bytes of its state
(:func:`state_nbytes`): a GRU's stays the same, a Transformer's key-value cache grows.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ..timing import timed_call
from ..validation import expect_int, expect_ndim
from .transformer import KVCache


def state_nbytes(state: Any) -> int:
    """Bytes held by a stream's state: a tensor, a (nested) tuple/list of tensors, or a KVCache."""
    if isinstance(state, torch.Tensor):
        return state.nbytes
    if isinstance(state, KVCache):
        return state.nbytes
    if isinstance(state, (tuple, list)):
        return sum(state_nbytes(s) for s in state)
    raise TypeError(f"state must be a tensor, a tuple/list of tensors or a KVCache, got {type(state).__name__}")


@dataclass
class StreamProfile:
    """Cost of a stream, measured at a few points along it.

    Attributes:
        n_seen: samples processed when each measurement ended.
        seconds_per_sample: median wall time of one single-sample ``step`` at each point.
        flops_per_sample: floating-point operations of one ``step`` at each point, counted by
            PyTorch's ``FlopCounterMode`` (matrix products only): the work, free of timing noise.
        state_bytes: bytes held by the state at each point.
        outputs: ``(n_seen[-1], n_out)``, every output of the stream so far, on the CPU.
    """

    n_seen: np.ndarray
    seconds_per_sample: np.ndarray
    flops_per_sample: np.ndarray
    state_bytes: np.ndarray
    outputs: torch.Tensor


@torch.inference_mode()
def profile_streams(models: dict[str, nn.Module], signal: torch.Tensor, checkpoints: list[int], *,
                    n_timed: int = 64, block: int = 256) -> dict[str, StreamProfile]:
    """Stream ``signal (time, input_size)`` through each model (batch of 1) and time single steps.

    The samples up to each checkpoint are fed with ``model.extend`` in blocks of ``block``
    (same outputs and state as one at a time, in fewer operations). Then the next sample is fed
    with ``model.step`` while its floating-point operations are counted, and the ``n_timed``
    after it one at a time, each step timed on its own, the models
    taking turns step by step so that they share whatever else the machine is doing. Each model
    needs ``initial_state(batch)``, ``extend(x, state)`` and ``step(x_t, state)``. On an
    accelerator each timed step is synchronised, so the time is the step's, not its launch's.
    """
    expect_ndim("signal", signal, 2, ("time", "input_size"))
    if not models:
        raise ValueError("models is empty: give at least one {name: model}")
    if len(checkpoints) == 0 or checkpoints[0] < 0 or any(b <= a for a, b in zip(checkpoints, checkpoints[1:])):
        raise ValueError(f"checkpoints must be a non-empty increasing list of sample counts >= 0, got {checkpoints}")
    for name, value in (("n_timed", n_timed), ("block", block)):
        expect_int(name, value)
    if checkpoints[-1] + 1 + n_timed > signal.shape[0]:
        raise ValueError(f"the signal has {signal.shape[0]} samples; the last checkpoint needs "
                         f"{checkpoints[-1] + 1 + n_timed} ({checkpoints[-1]} + 1 counted + n_timed = {n_timed})")
    runs = {}
    for name, model in models.items():
        param = next(model.parameters())
        x = signal.to(device=param.device, dtype=param.dtype)[None]  # (1, time, input_size)
        runs[name] = dict(model=model, x=x, device=param.device, state=model.initial_state(1), outputs=[],
                          seconds=[], flops=[], nbytes=[])
    t, n_seen = 0, []
    for checkpoint in checkpoints:
        checkpoint = max(checkpoint, t)  # a checkpoint inside the previous timed steps starts right after them
        for run in runs.values():
            for start in range(t, checkpoint, block):
                y, run["state"] = run["model"].extend(run["x"][:, start:min(start + block, checkpoint)], run["state"])
                run["outputs"].append(y[0])
        t = checkpoint
        for run in runs.values():  # one step with its operations counted (counting slows it: not timed)
            counter = FlopCounterMode(display=False)
            with counter:
                y, run["state"] = run["model"].step(run["x"][:, t], run["state"])
            run["flops"].append(counter.get_total_flops())
            run["outputs"].append(y)
        t += 1
        times = {name: [] for name in runs}
        for _ in range(n_timed):
            for name, run in runs.items():
                seconds, (y, run["state"]) = timed_call(
                    lambda: run["model"].step(run["x"][:, t], run["state"]), run["device"])
                times[name].append(seconds)
                run["outputs"].append(y)
            t += 1
        n_seen.append(t)
        for name, run in runs.items():
            run["seconds"].append(float(np.median(times[name])))
            run["nbytes"].append(state_nbytes(run["state"]))
    return {name: StreamProfile(np.array(n_seen), np.array(run["seconds"]), np.array(run["flops"]),
                                np.array(run["nbytes"]), torch.cat(run["outputs"]).cpu())
            for name, run in runs.items()}
