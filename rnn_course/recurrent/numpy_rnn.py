"""A vanilla (tanh) RNN in NumPy with a hand-written backward pass: backpropagation through time.

Shapes, batch first, one letter each (as in CS231n):
    N batch, T time steps, D input features, H hidden units, V outputs.
``torch.nn.RNN(batch_first=True)`` calls the input (N, L, H_in) and the output (N, L, H_out).

Weights use the row-vector layout ``h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b)``:
``Wx (D, H)``, ``Wh (H, H)``, ``b (H,)``, and the output layer ``Wy (H, V)``, ``by (V,)``.
torch stores the transposes, ``weight_ih_l0 (H, D) = Wx.T`` and ``weight_hh_l0 (H, H) = Wh.T``,
and two biases whose sum is ``b``; ``to_torch_rnn`` / ``from_torch_rnn`` convert.

Every layer is a pair: ``*_forward`` returns ``(out, cache)`` and ``*_backward(dout, cache)``
returns named gradients. BPTT is the step backward run in reverse time, feeding each step
the gradient from its own output plus the gradient arriving from step t+1.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np
import torch
from torch import nn

from ..validation import expect_ndim, expect_shape

StepCache = namedtuple("StepCache", "x h_prev h_next Wx Wh")
StepGrads = namedtuple("StepGrads", "dx dh_prev dWx dWh db")
RNNGrads = namedtuple("RNNGrads", "dx dh0 dWx dWh db dh_total")
PARAM_NAMES = ("Wx", "Wh", "b", "Wy", "by")
MODES = ("many_to_many", "many_to_one")
LOSSES = ("cross_entropy", "mse")


def _expect_weights(Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray, D: int) -> int:
    """Check Wx (D, H), Wh (H, H), b (H,); return H."""
    expect_ndim("Wx", Wx, 2, ("features", "hidden"))
    H = Wx.shape[1]
    expect_shape("Wx", Wx, (D, H), ("features", "hidden"))
    expect_shape("Wh", Wh, (H, H), ("hidden", "hidden"))
    expect_shape("b", b, (H,), ("hidden",))
    return H


def _step_forward(x, h_prev, Wx, Wh, b) -> tuple[np.ndarray, StepCache]:
    h_next = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h_next, StepCache(x, h_prev, h_next, Wx, Wh)


def _step_backward(dh_next, cache: StepCache) -> StepGrads:
    da = dh_next * (1.0 - cache.h_next**2)  # tanh'(a) = 1 - tanh(a)^2, and h_next = tanh(a)
    return StepGrads(dx=da @ cache.Wx.T, dh_prev=da @ cache.Wh.T,
                     dWx=cache.x.T @ da, dWh=cache.h_prev.T @ da, db=da.sum(axis=0))


def rnn_step_forward(x: np.ndarray, h_prev: np.ndarray, Wx: np.ndarray, Wh: np.ndarray,
                     b: np.ndarray) -> tuple[np.ndarray, StepCache]:
    """One tanh step: x (N, D), h_prev (N, H), Wx (D, H), Wh (H, H), b (H,) -> h_next (N, H)."""
    expect_ndim("x", x, 2, ("batch", "features"))
    H = _expect_weights(Wx, Wh, b, x.shape[1])
    expect_shape("h_prev", h_prev, (x.shape[0], H), ("batch", "hidden"))
    return _step_forward(x, h_prev, Wx, Wh, b)


def rnn_step_backward(dh_next: np.ndarray, cache: StepCache) -> StepGrads:
    """Gradients of one step, given dL/dh_next (N, H): dx (N, D), dh_prev (N, H),
    dWx (D, H), dWh (H, H), db (H,)."""
    expect_shape("dh_next", dh_next, cache.h_next.shape, ("batch", "hidden"))
    return _step_backward(dh_next, cache)


def rnn_forward(x: np.ndarray, h0: np.ndarray, Wx: np.ndarray, Wh: np.ndarray,
                b: np.ndarray) -> tuple[np.ndarray, list[StepCache]]:
    """Run the RNN over a sequence: x (N, T, D), h0 (N, H) -> h (N, T, H) and one cache per step."""
    expect_ndim("x", x, 3, ("batch", "time", "features"))
    N, T, D = x.shape
    H = _expect_weights(Wx, Wh, b, D)  # checked once here, not at every step
    expect_shape("h0", h0, (N, H), ("batch", "hidden"))
    h = np.empty((N, T, H), dtype=np.result_type(x, h0, Wx, Wh, b))  # as each step computes it
    h_prev, cache = h0, []
    for t in range(T):
        h_prev, step = _step_forward(x[:, t], h_prev, Wx, Wh, b)
        h[:, t] = h_prev
        cache.append(step)
    return h, cache  # the cache stores every x_t and h_t: memory grows linearly in T


def rnn_backward(dh: np.ndarray, cache: list[StepCache]) -> RNNGrads:
    """BPTT. dh (N, T, H) is dL/dh_t from above (the output layer) at every step.

    Returns dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,), and dh_total (N, T, H),
    the full dL/dh_t (from above plus from step t+1).
    """
    expect_ndim("dh", dh, 3, ("batch", "time", "hidden"))
    if dh.shape[1] != len(cache):
        raise ValueError(f"dh: expected {len(cache)} time steps (one per cache entry), "
                         f"got {dh.shape[1]}")
    first = cache[0]
    dx = np.zeros(dh.shape[:2] + first.x.shape[1:])
    dWx, dWh, db = np.zeros_like(first.Wx), np.zeros_like(first.Wh), np.zeros(first.Wh.shape[0])
    dh_total, dh_future = np.zeros_like(dh), np.zeros_like(dh[:, 0])
    for t in reversed(range(len(cache))):
        dh_total[:, t] = dh[:, t] + dh_future  # from the output at t + from step t+1
        g = _step_backward(dh_total[:, t], cache[t])
        dx[:, t], dh_future = g.dx, g.dh_prev
        dWx += g.dWx  # shared weights: sum the contributions of every step
        dWh += g.dWh
        db += g.db
    return RNNGrads(dx, dh_future, dWx, dWh, db, dh_total)


def init_params(D: int, H: int, V: int, *, seed: int = 0, scale: float | None = None) -> dict[str, np.ndarray]:
    """Seeded float64 weights Wx (D, H), Wh (H, H), b (H,), Wy (H, V), by (V,).

    Weights are U(-k, k) with k = 1/sqrt(H) like ``nn.RNN``, unless ``scale`` sets k.
    """
    rng = np.random.default_rng(seed)
    k = 1.0 / np.sqrt(H) if scale is None else scale
    shapes = {"Wx": (D, H), "Wh": (H, H), "b": (H,), "Wy": (H, V), "by": (V,)}
    return {name: rng.uniform(-k, k, size=s) for name, s in shapes.items()}


def _output_loss(scores: np.ndarray, y: np.ndarray, loss: str) -> tuple[float, np.ndarray]:
    """Loss summed over time steps, averaged over the batch N, and d loss / d scores."""
    N = scores.shape[0]
    if loss == "cross_entropy":
        expect_shape("y", y, scores.shape[:-1])
        V, labels = scores.shape[-1], np.asarray(y)
        if labels.size and (not np.all(labels == np.round(labels)) or labels.min() < 0 or labels.max() >= V):
            raise ValueError(f"y: expected class indices, whole numbers in [0, {V}), got values from "
                             f"{labels.min()} to {labels.max()} (dtype {labels.dtype})")
        z = scores - scores.max(axis=-1, keepdims=True)  # stable softmax
        p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
        yi = np.asarray(y, dtype=np.int64)[..., None]
        value = -np.log(np.take_along_axis(p, yi, axis=-1)).sum() / N
        np.put_along_axis(p, yi, np.take_along_axis(p, yi, axis=-1) - 1.0, axis=-1)
        return float(value), p / N
    expect_shape("y", y, scores.shape)
    diff = scores - y
    return float(0.5 * (diff**2).sum() / N), diff / N


def check_loss_arguments(params: dict[str, np.ndarray], mode: str, loss: str) -> None:
    """The guard of :func:`loss_and_grads` and of ``gradcheck.autograd_gradients``."""
    if mode not in MODES or loss not in LOSSES:
        raise ValueError(f"expected mode in {MODES} and loss in {LOSSES}, got mode={mode!r}, loss={loss!r}")
    missing = [k for k in PARAM_NAMES if k not in params]
    if missing:
        raise ValueError(f"params: expected keys {PARAM_NAMES}, missing {missing}")


def loss_and_grads(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, h0: np.ndarray | None = None,
                   *, mode: str = "many_to_many", loss: str = "cross_entropy") -> tuple[float, dict[str, np.ndarray]]:
    """Loss and gradients of an RNN with an affine output layer ``scores = h @ Wy + by``.

    mode "many_to_many": an output and a loss at every step, y (N, T) class indices or (N, T, V).
    mode "many_to_one": one output from the last hidden state, y (N,) or (N, V).
    loss "cross_entropy" (softmax) or "mse" (half the squared error). The loss is summed over
    time and averaged over the batch. Returns (loss, grads) with grads for every parameter
    and for the inputs "x" (N, T, D) and "h0" (N, H).
    """
    check_loss_arguments(params, mode, loss)
    Wx, Wh, b, Wy, by = (params[k] for k in PARAM_NAMES)
    expect_ndim("x", x, 3, ("batch", "time", "features"))
    h0 = np.zeros((x.shape[0], Wh.shape[0])) if h0 is None else h0
    expect_shape("Wy", Wy, (Wh.shape[0], None), ("hidden", "outputs"))
    expect_shape("by", by, (Wy.shape[1],), ("outputs",))
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    top = h if mode == "many_to_many" else h[:, -1]  # the states that feed the output layer
    value, dscores = _output_loss(top @ Wy + by, y, loss)
    dtop = dscores @ Wy.T
    dh = dtop if mode == "many_to_many" else np.zeros_like(h)
    if mode == "many_to_one":
        dh[:, -1] = dtop  # only the last step receives a gradient from above
    g = rnn_backward(dh, cache)
    top2, ds2 = top.reshape(-1, top.shape[-1]), dscores.reshape(-1, dscores.shape[-1])
    grads = {"Wx": g.dWx, "Wh": g.dWh, "b": g.db, "Wy": top2.T @ ds2, "by": ds2.sum(axis=0),
             "x": g.dx, "h0": g.dh0}
    return value, grads


def to_torch_rnn(params: dict[str, np.ndarray]) -> nn.RNN:
    """A float64 ``nn.RNN(batch_first=True)`` with the same weights (b goes to bias_ih, bias_hh = 0)."""
    D, H = params["Wx"].shape
    rnn = nn.RNN(D, H, batch_first=True, nonlinearity="tanh").double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(np.asarray(params["Wx"], dtype=np.float64).T))
        rnn.weight_hh_l0.copy_(torch.from_numpy(np.asarray(params["Wh"], dtype=np.float64).T))
        rnn.bias_ih_l0.copy_(torch.from_numpy(np.asarray(params["b"], dtype=np.float64)))
        rnn.bias_hh_l0.zero_()
    return rnn


def from_torch_rnn(rnn: nn.RNN) -> dict[str, np.ndarray]:
    """Wx, Wh, b (float64 NumPy) of a one-layer, unidirectional tanh ``nn.RNN``; b = b_ih + b_hh."""
    if rnn.num_layers != 1 or rnn.bidirectional or rnn.nonlinearity != "tanh" or not rnn.bias:
        raise ValueError("from_torch_rnn expects a one-layer, unidirectional tanh nn.RNN with biases, got "
                         f"num_layers={rnn.num_layers}, bidirectional={rnn.bidirectional}, "
                         f"nonlinearity={rnn.nonlinearity!r}, bias={rnn.bias}")
    get = lambda p: p.detach().cpu().double().numpy()  # noqa: E731
    return {"Wx": get(rnn.weight_ih_l0).T.copy(), "Wh": get(rnn.weight_hh_l0).T.copy(),
            "b": get(rnn.bias_ih_l0) + get(rnn.bias_hh_l0)}
