"""Timing and counting: one clock, one call counter, and the machine a time was measured on.

Times are medians or fastest-of-rounds, with an accelerator synchronised before each clock
reading, and are printed with the machine they were measured on. The clock is this module's
own, not ``torch.utils.benchmark.Timer``: the Timer averages blocks of calls on a wall clock
and pins PyTorch to one thread, while the book keeps the fastest single call (on a CPU, of this
process's CPU time) with the functions compared taking turns, and the medians of single
updates and streamed samples. Memory is counted too: the bytes autograd saves for backward. Counts (calls from Python
into PyTorch, FLOPs of matrix products) explain a time and, unlike a time, do not depend on
the machine or on what else it is doing. Depth is the longest chain of operations from the
input to the output: for a recurrent network it grows in proportion to T; for a
self-attention layer it does not depend on T; for a parallel scan it grows like log T.
"""
from __future__ import annotations

import collections
import os
import platform
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Hashable, Mapping, TypeVar

import torch
from torch.overrides import TorchFunctionMode
from torch.utils.flop_counter import FlopCounterMode

from .validation import expect_int

K = TypeVar("K", bound=Hashable)


def synchronize(device: torch.device | None) -> None:
    """Wait until queued work on an accelerator is done (nothing to wait for on a CPU)."""
    if device is not None and device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device is not None and device.type == "mps":
        torch.mps.synchronize()


def timed_call(fn: Callable[[], Any], device: torch.device | str | None = None,
               clock: Callable[[], float] = time.perf_counter) -> tuple[float, Any]:
    """Call ``fn()`` once; return (seconds it took, its result).

    The accelerator of ``device`` is waited for before the clock starts and before it stops, so
    the time is the work's, not its launch's. ``clock`` is wall time unless given.
    """
    device = torch.device(device) if device is not None else None
    synchronize(device)
    start = clock()
    result = fn()
    synchronize(device)
    return clock() - start, result


def median_seconds(fn: Callable[[], Any], *, repeats: int = 5, warmup: int = 1,
                   device: torch.device | str | None = None) -> float:
    """Median wall time in seconds of ``fn()`` over ``repeats`` calls, after ``warmup`` calls.

    Pass the ``device`` the work runs on: GPU kernels run asynchronously, and without waiting
    for them the clock would stop when the work was queued, not when it was done.
    """
    expect_int("repeats", repeats)
    expect_int("warmup", warmup, low=0)
    device = torch.device(device) if device is not None else None
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        times.append(timed_call(fn, device)[0])
    return statistics.median(times)


def fastest_seconds(fns: Mapping[K, Callable[[], Any]], *, rounds: int = 9, warmup: int = 1,
                    device: torch.device | str | None = None) -> dict[K, float]:
    """The fastest time in seconds of each function in ``fns``, the functions taking turns.

    Each round calls every function once, in order, after ``warmup`` untimed rounds. Other work
    on the machine can only add time to a call, so the fastest of a function's calls is the best
    estimate of what its own work costs; and because the functions take turns, a busy moment
    slows all of them alike instead of one. The clock:

    - on a CPU, this process's CPU time (``time.process_time``): time the cores spend on other
      programs is not counted. It is summed over the process's threads, so it matches wall
      time only when the work runs on one thread (``torch.set_num_threads(1)``);
    - on an accelerator, wall time, waiting for its queued work before each reading.
    """
    if not isinstance(fns, Mapping) or not fns or not all(callable(f) for f in fns.values()):
        raise ValueError(f"fns must be a non-empty mapping of names to functions, got {fns!r}")
    expect_int("rounds", rounds)
    expect_int("warmup", warmup, low=0)
    device = torch.device(device) if device is not None else None
    on_cpu = device is None or device.type == "cpu"
    clock = time.process_time if on_cpu else time.perf_counter
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    fastest = {key: float("inf") for key in fns}
    for _ in range(rounds):
        for key, fn in fns.items():
            fastest[key] = min(fastest[key], timed_call(fn, device, clock)[0])
    return fastest


def autograd_depth(out: torch.Tensor, x: torch.Tensor) -> int:
    """Number of operations on the longest chain of the autograd graph from ``x`` to ``out``.

    ``x`` must be a leaf tensor with ``requires_grad=True`` that ``out`` was computed from.
    Counts the backward nodes (one per differentiable operation) on the longest path from
    ``out.grad_fn`` down to the node that accumulates ``x``'s gradient.
    """
    if not isinstance(x, torch.Tensor) or not x.requires_grad or x.grad_fn is not None:
        raise ValueError("x must be a leaf tensor with requires_grad=True (e.g. torch.randn(..., requires_grad=True))")
    if not isinstance(out, torch.Tensor) or out.grad_fn is None:
        raise ValueError("out has no autograd graph: compute it from x with gradients enabled")
    longest: dict[Any, int] = {}  # node -> longest chain from it down to x's node (-1: x not reached)
    stack = [(out.grad_fn, False)]
    while stack:  # iterative post-order, so long graphs do not hit Python's recursion limit
        node, children_done = stack.pop()
        if node in longest:
            continue
        children = [f for f, _ in node.next_functions if f is not None]
        if not children_done:
            stack.append((node, True))
            stack.extend((c, False) for c in children if c not in longest)
        elif getattr(node, "variable", None) is x:  # the node that accumulates x's gradient
            longest[node] = 0
        else:
            best = max((longest[c] for c in children if longest[c] >= 0), default=-1)
            longest[node] = best + 1 if best >= 0 else -1
    depth = longest.get(out.grad_fn, -1)
    if depth < 0:
        raise ValueError("out does not depend on x through the autograd graph")
    return depth


@dataclass
class Work:
    """What one call of a function asked of PyTorch (see :func:`count_work`)."""

    calls: int                  # calls from Python into PyTorch (functions, methods, operators)
    flops: int                  # floating-point operations of the matrix products (FlopCounterMode)
    by_name: collections.Counter = field(default_factory=collections.Counter)  # calls per function


class CountCalls(TorchFunctionMode):
    """While active, count every call from Python into PyTorch (functions, methods,
    operators) by name, in ``self.calls``."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: collections.Counter = collections.Counter()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.calls[getattr(func, "__name__", str(func))] += 1
        return func(*args, **(kwargs or {}))


def count_work(fn: Callable[[], Any]) -> Work:
    """Run ``fn()`` once and count its calls into PyTorch and its matrix-product FLOPs.

    Both are exact and the same on every run, busy machine or not: the number of calls is what
    Python-level overhead scales with, the FLOPs what the arithmetic scales with. (A backward
    pass run inside ``fn`` is counted in the FLOPs; its calls happen in C++ and are not calls
    from Python.)
    """
    if not callable(fn):
        raise ValueError(f"fn must be a function of no arguments, got {fn!r}")
    with FlopCounterMode(display=False) as flops, CountCalls() as calls:
        fn()
    return Work(sum(calls.calls.values()), int(flops.get_total_flops()), calls.calls)


def cpu_model() -> str:
    """The processor's model name, e.g. ``"AMD EPYC 7B13"`` (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def machine(device: torch.device | str | None = None) -> str:
    """The processor a time was measured on, e.g. ``"AMD EPYC 7B13, 2 cores, 1 torch thread"``,
    and the GPU when ``device`` is one (a time means little without it)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = torch.get_num_threads()
    text = f"{cpu_model()}, {cores} cores, {threads} torch thread{'s' if threads != 1 else ''}"
    device = torch.device(device) if device is not None else None
    if device is not None and device.type == "cuda":
        text = f"{torch.cuda.get_device_name(device)} (GPU), with {text}"
    elif device is not None and device.type == "mps":
        text = f"Apple GPU (MPS), with {text}"
    return text


def autograd_saved_bytes(fn: Callable[[], Any]) -> tuple[int, Any]:
    """Run ``fn()`` and return (bytes autograd saved for the backward pass, ``fn()``'s result).

    Uses ``torch.autograd.graph.saved_tensors_hooks``; each storage is counted once (a weight
    saved by every time step is counted once, every step's activations separately).
    """
    storages: dict[tuple[int, str], int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        storages[(storage.data_ptr(), str(t.device))] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        result = fn()
    return sum(storages.values()), result


@dataclass
class UpdateCost:
    """Cost of one update: wall time (s), autograd-saved bytes, CUDA peak (None on CPU)."""

    seconds: float
    saved_bytes: int
    peak_cuda_bytes: int | None


def measure_update(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable, *,
                   repeats: int = 3) -> UpdateCost:
    """Time (fastest of ``repeats``, wall clock) and memory of one forward + backward pass.

    ``model(x, None)`` must return ``(y_hat, state)`` (as the TBPTT models do); the loss is
    ``loss_fn(y_hat, y)``. Gradients are cleared afterwards.
    """
    expect_int("repeats", repeats)
    device = next(model.parameters()).device
    x, y = x.to(device), y.to(device)
    cuda = device.type == "cuda"
    saved, loss = autograd_saved_bytes(lambda: loss_fn(model(x, None)[0], y))
    loss.backward()
    if cuda:
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    best = min(timed_call(lambda: loss_fn(model(x, None)[0], y).backward(), device)[0]
               for _ in range(repeats))
    model.zero_grad(set_to_none=True)
    return UpdateCost(best, saved, torch.cuda.max_memory_allocated(device) if cuda else None)
