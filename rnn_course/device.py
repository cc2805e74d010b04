"""Where tensors live, and how to make a run repeatable.

``get_device()`` picks the fastest available backend in a fixed order — CUDA, then Apple's
MPS, then the CPU — unless the environment variable ``RNN_COURSE_DEVICE`` names one.
``seed_everything(seed)`` seeds Python, NumPy and PyTorch (all GPUs included).

The rule for every function of the package: it works on the device the model already lives
on (:func:`module_device`) and moves only the batches there; none calls ``get_device()`` on
its own. The notebook chooses the device once, visibly (``model = Model().to(device)``).
A ``device=`` argument, where a function has one, is that choice written in the call:
``fit`` and ``train_tbptt`` then move the model there first. Functions that take NumPy
arrays rather than a model (``gradcheck.autograd_gradients``) run on the CPU unless given
a ``device``.
"""
from __future__ import annotations

import os
import random

import numpy as np
import torch

DEVICE_ENV_VAR = "RNN_COURSE_DEVICE"
_ORDER = ("cuda", "mps", "cpu")


def available_devices() -> list[str]:
    """Names of the device types this machine can use, fastest first, e.g. ``['cuda', 'cpu']``."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    found.append("cpu")
    return found


def get_device(preferred: str | None = None, verbose: bool = False) -> torch.device:
    """Return the device to run on.

    Order of precedence: the ``preferred`` argument, then ``$RNN_COURSE_DEVICE``, then the
    first available of cuda → mps → cpu. Asking for a device that is not available raises a
    ``RuntimeError`` that lists what is available (we never fall back silently: a learner who
    asked for the GPU should know they did not get it).
    """
    available = available_devices()
    requested = str(preferred).strip() if preferred else os.environ.get(DEVICE_ENV_VAR, "").strip()
    requested = requested.lower() or None  # torch.device() rejects "CUDA" and " cpu"
    if requested is None:
        device, why = torch.device(available[0]), f"first available of {' → '.join(_ORDER)}"
    else:
        kind = requested.split(":")[0].lower()
        if kind not in _ORDER:
            raise ValueError(
                f"unknown device {requested!r}: expected one of {', '.join(_ORDER)} "
                f"(optionally with an index such as 'cuda:1')"
            )
        if kind not in available:
            source = "argument" if preferred else f"${DEVICE_ENV_VAR}"
            raise RuntimeError(
                f"device {requested!r} was requested (by the {source}) but is not available "
                f"on this machine; available: {', '.join(available)}"
            )
        device, why = torch.device(requested), "requested"
        if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
            raise RuntimeError(
                f"device {requested!r} was requested but this machine has {torch.cuda.device_count()} "
                f"CUDA device(s), numbered from 0; use 'cuda' or 'cuda:0'"
            )
    if verbose:
        print(f"Using device {device} ({why}).")
    return device


def module_device(module: torch.nn.Module) -> torch.device:
    """The device of a module's first parameter (or buffer); the CPU if it has neither."""
    for tensor in (*module.parameters(), *module.buffers()):
        return tensor.device
    return torch.device("cpu")


def seed_everything(seed: int = 0) -> None:
    """Seed Python's ``random``, NumPy's global generator and PyTorch (CPU and every GPU)."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    seed = int(seed)  # random.seed() rejects NumPy integers
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device
    # Inherited by Python subprocesses (DataLoader workers, kernels), which refuse to start
    # unless it is in [0, 2**32 - 1].
    os.environ["PYTHONHASHSEED"] = str(seed % 2**32)
