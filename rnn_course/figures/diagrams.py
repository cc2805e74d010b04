"""Explanatory diagrams of the prose pages, drawn by code (matplotlib, no data).

Every function returns the ``Figure`` it drew, validates its arguments, and gives every
element a ``gid`` (an ``id`` in the SVG) so tests can count what was drawn. Colours are from
the Okabe–Ito palette, which colour-blind readers can tell apart, and the backward pass is
also dashed, so no information is carried by colour alone.

The pages show these figures as SVG files in ``chapters/<chapter>/figures/``; regenerate them
after changing a drawing with ``python -m rnn_course.figures`` (a test checks they match).
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Callable, Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch, Rectangle

from .style import COURSE_STYLE, PALETTE, new_axes
from ..validation import expect_int

# the course palette (rnn_course.figures.style), and dark grey for the forward pass
FORWARD = "#404040"
GRADIENT, CARRY = PALETTE["vermillion"], PALETTE["bluish green"]
CELL_PATH, GATE = PALETTE["orange"], PALETTE["sky blue"]
NODE_FILL = {"x": "#dbe9f6", "h": "#fde2c4", "y": "#d9f0d3", "L": "#eeeeee", "c": "#fff1c9"}
MAX_STEPS = 8


def _canvas(width: float, height: float) -> tuple[Figure, Axes]:
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _node(ax: Axes, xy: tuple[float, float], text: str, kind: str, gid: str,
          size: float = 0.7) -> None:
    """A rounded box of ``kind`` (x, h, y, L or c) centred at ``xy``."""
    ax.add_patch(FancyBboxPatch((xy[0] - size / 2, xy[1] - size / 2), size, size,
                                boxstyle="round,pad=0.02,rounding_size=0.12", fc=NODE_FILL[kind],
                                ec="0.25", lw=1.2, gid=gid))
    ax.text(xy[0], xy[1], text, ha="center", va="center", fontsize=11)


def _op(ax: Axes, xy: tuple[float, float], symbol: str, gid: str) -> None:
    """A small circle with an operator (×, +, 1−) in it: element-wise arithmetic."""
    ax.add_patch(plt.Circle(xy, 0.22, fc="white", ec="0.25", lw=1.2, gid=gid))
    ax.text(xy[0], xy[1], symbol, ha="center", va="center", fontsize=10)


def _gate(ax: Axes, xy: tuple[float, float], name: str, fn: str, gid: str) -> None:
    """A gate or candidate block: its name and its activation function."""
    ax.add_patch(FancyBboxPatch((xy[0] - 0.42, xy[1] - 0.32), 0.84, 0.64,
                                boxstyle="round,pad=0.02,rounding_size=0.1",
                                fc=GATE if fn == r"$\sigma$" else "#cfe8f7", ec="0.25", lw=1.2,
                                gid=gid))
    ax.text(xy[0], xy[1], f"{name}\n{fn}", ha="center", va="center", fontsize=9)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], gid: str,
           color: str = FORWARD, dashed: bool = False, lw: float = 1.5,
           rad: float = 0.0) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, lw=lw,
                                 color=color, ls="--" if dashed else "-", shrinkA=0, shrinkB=0,
                                 connectionstyle=f"arc3,rad={rad}", gid=gid))


def _label(ax: Axes, xy: tuple[float, float], text: str, color: str = FORWARD,
           size: float = 9, **kwargs) -> None:
    ax.text(xy[0], xy[1], text, color=color, fontsize=size, ha="center", va="center",
            bbox=dict(fc="white", ec="none", pad=0.4, alpha=0.9), **kwargs)


def _legend(ax: Axes, entries: list[tuple[str, str, str]], loc: str = "lower center") -> None:
    handles = [Line2D([], [], color=c, ls=ls, lw=2, label=text) for text, c, ls in entries]
    ax.legend(handles=handles, loc=loc, fontsize=8, frameon=False, ncol=len(entries),
              bbox_to_anchor=(0.5, -0.08) if loc == "lower center" else None)


# ----------------------------------------------------------------------------- chapter 2
def draw_bptt_graph(n_steps: int = 3) -> Figure:
    """The unrolled RNN with its losses; dashed arrows are the backward pass.

    Each ``h_t`` receives two gradients, from its output ``y_t`` (``W_hy^T e_t``) and from the
    next step (``W_hh^T delta_{t+1}``), and adds them: ``g_t``. Draws ``4 * n_steps + 1``
    nodes, gids ``node-<x|h|y|L>-<t>``; backward arrows ``grad-loss-t``, ``grad-out-t``,
    ``grad-rec-t`` (from step t+1 to t, ``n_steps - 1`` of them) and a sum ``sum-t`` per step.
    """
    expect_int("n_steps", n_steps, 2, MAX_STEPS)
    fig, ax = _canvas(2.4 + 2.2 * n_steps, 5.6)
    rows = {"x": 0.0, "h": 1.8, "y": 3.3, "L": 4.7}
    _node(ax, (0, rows["h"]), r"$h_0$", "h", "node-h-0")
    for t in range(1, n_steps + 1):
        cx = 2.2 * t
        for kind, text in (("x", rf"$x_{t}$"), ("h", rf"$h_{t}$"), ("y", rf"$y_{t}$"),
                           ("L", rf"$L_{t}$")):
            _node(ax, (cx, rows[kind]), text, kind, f"node-{kind}-{t}")
        for a, b in (("x", "h"), ("h", "y"), ("y", "L")):  # forward, slightly left of centre
            _arrow(ax, (cx - 0.15, rows[a] + 0.35), (cx - 0.15, rows[b] - 0.35),
                   f"fwd-{a}{b}-{t}")
        _arrow(ax, (cx - 2.2 + 0.35, rows["h"] + 0.12), (cx - 0.35, rows["h"] + 0.12),
               f"fwd-hh-{t}")
        # backward, dashed: both gradients meet in a sum above-right of h_t, then enter h_t
        plus = (cx + 0.75, rows["h"] + 0.8)
        _arrow(ax, (cx + 0.15, rows["L"] - 0.35), (cx + 0.15, rows["y"] + 0.35),
               f"grad-loss-{t}", GRADIENT, dashed=True)
        _label(ax, (cx + 0.55, (rows["L"] + rows["y"]) / 2), rf"$e_{t}$", GRADIENT)
        _arrow(ax, (cx + 0.15, rows["y"] - 0.35), (plus[0] - 0.12, plus[1] + 0.19),
               f"grad-out-{t}", GRADIENT, dashed=True)
        _label(ax, (cx + 0.95, rows["y"] - 0.4), rf"$W_{{hy}}^\top e_{t}$", GRADIENT)
        _op(ax, plus, "+", f"sum-{t}")
        _arrow(ax, (plus[0] - 0.16, plus[1] - 0.16), (cx + 0.3, rows["h"] + 0.35),
               f"grad-sum-{t}", GRADIENT, dashed=True)
        _label(ax, (cx + 0.15, rows["h"] + 0.75), rf"$g_{t}$", GRADIENT, size=10)
        if t < n_steps:
            _arrow(ax, (cx + 2.2 - 0.35, rows["h"] + 0.3), (plus[0] + 0.22, plus[1] - 0.05),
                   f"grad-rec-{t}", GRADIENT, dashed=True)
            _label(ax, (cx + 1.55, rows["h"] + 0.25), rf"$W_{{hh}}^\top\delta_{{{t + 1}}}$",
                   GRADIENT)
    _label(ax, (2.2 * n_steps + 1.35, rows["h"] + 0.8), r"$\delta_{T+1} = 0$", GRADIENT)
    _legend(ax, [("forward pass", FORWARD, "-"), ("backward pass (gradients)", GRADIENT, "--")])
    ax.set_xlim(-0.7, 2.2 * n_steps + 2.0)
    ax.set_ylim(-0.9, 5.2)
    return fig


# ----------------------------------------------------------------------------- chapter 4
def draw_gradient_path(n_steps: int = 5, factor: float = 0.6) -> Figure:
    """The chain ``h_t -> ... -> h_T -> L`` with one step Jacobian ``J_k`` per arrow.

    The gradient travels back through the transposes ``J_k^T``; bars under the states show
    its size when every factor shrinks it by ``factor`` (an illustration, not data).
    gids: ``node-h-<i>``, ``jacobian-<i>``, ``grad-<i>`` and ``bar-<i>`` (``n_steps`` bars).
    """
    expect_int("n_steps", n_steps, 2, MAX_STEPS)
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 < factor < 1:
        raise ValueError(f"factor: expected a number between 0 and 1 (a shrinking factor), "
                         f"got {factor!r}")
    fig, ax = _canvas(2.0 + 2.0 * n_steps, 5.0)
    dx, y = 2.0, 2.4
    names = [r"$h_t$"] + [rf"$h_{{t+{i}}}$" for i in range(1, n_steps - 1)] + [r"$h_T$"]
    for i, name in enumerate(names):
        cx = i * dx
        _node(ax, (cx, y), name, "h", f"node-h-{i}")
        height = 1.4 * factor ** (n_steps - 1 - i)
        ax.add_patch(Rectangle((cx - 0.25, 0.0), 0.5, height, fc=GRADIENT, alpha=0.55,
                               gid=f"bar-{i}"))
        if i:
            k = "T" if i == n_steps - 1 else (f"t+{i}")
            _arrow(ax, (cx - dx + 0.35, y + 0.12), (cx - 0.35, y + 0.12), f"jacobian-{i}")
            _label(ax, (cx - dx / 2, y + 0.55), rf"$J_{{{k}}}$")
            _arrow(ax, (cx - 0.35, y - 0.15), (cx - dx + 0.35, y - 0.15), f"grad-{i}",
                   GRADIENT, dashed=True)
            _label(ax, (cx - dx / 2, y - 0.5), rf"$\times J_{{{k}}}^\top$", GRADIENT)
    end = (n_steps - 1) * dx
    _node(ax, (end + dx, y), r"$L$", "L", "node-L")
    _arrow(ax, (end + 0.35, y + 0.12), (end + dx - 0.35, y + 0.12), "fwd-loss")
    _arrow(ax, (end + dx - 0.35, y - 0.15), (end + 0.35, y - 0.15), "grad-loss", GRADIENT,
           dashed=True)
    ax.text(end / 2, y + 1.35, r"$\partial h_T/\partial h_t = J_T\,J_{T-1}\cdots J_{t+1}$,"
            r"  $J_k = \mathrm{diag}(\tanh'(a_k))\,W_{hh}$", ha="center", fontsize=11)
    ax.text(end / 2, -0.45, rf"size of $\partial L/\partial h$ if every factor shrinks it by "
            rf"{factor:g} (illustration)", ha="center", fontsize=9, color=GRADIENT)
    ax.plot([-0.5, end + 0.5], [0, 0], color="0.5", lw=0.8, gid="bar-baseline")
    _legend(ax, [("forward: Jacobian of one step", FORWARD, "-"),
                 ("backward: gradient", GRADIENT, "--")])
    ax.set_xlim(-0.8, end + dx + 0.8)
    ax.set_ylim(-0.9, 4.0)
    return fig


# ----------------------------------------------------------------------------- chapter 3
def draw_tbptt_chunks(k: int = 4, n_chunks: int = 3) -> Figure:
    """Chunks of ``k`` steps: the state flows forward across every boundary (carried,
    detached), the gradient flows back only inside a chunk, and the weights are updated at
    the end of each chunk. gids: ``chunk-<i>``, ``node-h-<t>``, ``fwd-<t>``, ``carry-<i>``
    (``n_chunks - 1``), ``grad-<t>``, ``cut-<i>``, ``update-<i>``.
    """
    expect_int("k", k, 2, 6)
    expect_int("n_chunks", n_chunks, 2, 4)
    n = k * n_chunks
    dx, y = 1.0, 1.6
    fig, ax = _canvas(1.5 + 0.95 * n, 3.9)
    for i in range(n_chunks):
        x0 = (i * k + 1) * dx - 0.45
        ax.add_patch(Rectangle((x0, 0.35), k * dx - 0.1, 2.55, fc="0.93", ec="0.7",
                               gid=f"chunk-{i + 1}"))
        ax.text(x0 + (k * dx - 0.1) / 2, 2.65, f"chunk {i + 1}: steps {i * k + 1}–{(i + 1) * k}",
                ha="center", fontsize=9)
        _label(ax, ((i + 1) * k * dx, 0.05), "update", FORWARD, size=8)
        ax.plot([(i + 1) * k * dx], [0.45], marker="^", color=FORWARD, gid=f"update-{i + 1}")
    _node(ax, (0, y), r"$h_0$", "h", "node-h-0", size=0.55)
    for t in range(1, n + 1):
        _node(ax, (t * dx, y), rf"$h_{{{t}}}$", "h", f"node-h-{t}", size=0.55)
        boundary = t > 1 and (t - 1) % k == 0
        _arrow(ax, ((t - 1) * dx + 0.28, y + 0.1), (t * dx - 0.28, y + 0.1),
               f"carry-{(t - 1) // k}" if boundary else f"fwd-{t}",
               CARRY if boundary else FORWARD, lw=2.6 if boundary else 1.5)
        if (t - 1) % k:  # the gradient goes back to the previous step inside a chunk only
            _arrow(ax, (t * dx - 0.28, y - 0.12), ((t - 1) * dx + 0.28, y - 0.12), f"grad-{t}",
                   GRADIENT, dashed=True)
        elif t > 1:
            xc = (t - 0.5) * dx
            ax.plot([xc, xc], [y - 0.45, y - 0.05], color=GRADIENT, lw=2.5,
                    gid=f"cut-{(t - 1) // k}")
            _label(ax, (xc, y - 0.7), "detach", GRADIENT, size=8)
    _legend(ax, [("forward pass", FORWARD, "-"),
                 ("state carried into the next chunk (detached)", CARRY, "-"),
                 ("gradient (stops at the chunk start)", GRADIENT, "--")])
    ax.set_xlim(-0.6, n * dx + 0.6)
    ax.set_ylim(-0.5, 3.0)
    return fig


def draw_k1_k2_windows(k1: int = 3, k2: int = 6, n_steps: int = 15) -> Figure:
    """TBPTT(k1, k2): every ``k1`` steps an update backpropagates the losses of its ``k1``
    new steps through the last ``k2`` steps. One row per update; gids ``window-<i>`` (the
    ``k2`` steps backpropagated) and ``new-<i>`` (the ``k1`` new steps).
    """
    expect_int("k1", k1, 1, 8)
    expect_int("k2", k2, 1, 16)
    expect_int("n_steps", n_steps, 2, 32)
    if k1 > k2:
        raise ValueError(f"k1 must be at most k2 (an update cannot skip steps), got k1={k1}, k2={k2}")
    updates = list(range(k1, n_steps + 1, k1))
    fig, ax = plt.subplots(figsize=(1.0 + 0.45 * n_steps, 0.9 + 0.38 * len(updates)))
    for row, tau in enumerate(updates):
        start = max(tau - k2, 0)
        y = len(updates) - row
        ax.add_patch(Rectangle((start, y - 0.35), tau - start, 0.7, fc="#cfe8f7", ec="0.4",
                               gid=f"window-{row + 1}"))
        ax.add_patch(Rectangle((tau - k1, y - 0.35), k1, 0.7, fc=GRADIENT, alpha=0.8, ec="0.4",
                               gid=f"new-{row + 1}"))
        ax.text(n_steps + 0.3, y, f"update at step {tau}", va="center", fontsize=8)
    ax.set_xlim(0, n_steps + 3.2)
    ax.set_ylim(0.3, len(updates) + 0.8)
    ax.set_xticks(range(0, n_steps + 1, k1))
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("time step")
    handles = [Rectangle((0, 0), 1, 1, fc=GRADIENT, alpha=0.8, ec="0.4",
                         label=f"$k_1 = {k1}$ new steps: their losses are backpropagated"),
               Rectangle((0, 0), 1, 1, fc="#cfe8f7", ec="0.4",
                         label=f"$k_2 = {k2}$ steps: how far back the gradient goes")]
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.45, 1.0), ncol=1,
              fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- chapter 5
def _cell_frame(ax: Axes, width: float) -> None:
    ax.add_patch(FancyBboxPatch((-0.1, -0.45), width, 4.0, boxstyle="round,pad=0.05",
                                fc="none", ec="0.6", lw=1.0, ls=":", gid="cell-frame"))


def draw_lstm_cell() -> Figure:
    """One LSTM step: the gates f, i, o (sigmoid) and the candidate g (tanh) read
    ``[h_{t-1}, x_t]``; the cell path ``c_{t-1} -> x f_t -> + i_t g_t -> c_t`` is marked.
    gids: ``gate-f``, ``gate-i``, ``gate-g``, ``gate-o``, ``cell-path``, ``op-*``, ``node-*``.
    """
    fig, ax = _canvas(8.6, 5.2)
    _cell_frame(ax, 6.9)
    top, rail = 3.0, 0.0
    _node(ax, (-0.9, top), r"$c_{t-1}$", "c", "node-c-prev", size=0.75)
    _node(ax, (7.6, top), r"$c_t$", "c", "node-c", size=0.75)
    _node(ax, (-0.9, rail), r"$h_{t-1}$", "h", "node-h-prev", size=0.75)
    _node(ax, (7.6, 1.0), r"$h_t$", "h", "node-h", size=0.75)
    _node(ax, (0.6, -1.2), r"$x_t$", "x", "node-x", size=0.65)
    ax.plot([-0.52, 6.7, 7.22], [top, top, top], color=CELL_PATH, lw=4, solid_capstyle="butt",
            gid="cell-path", zorder=0)
    ax.plot([-0.52, 5.1], [rail, rail], color=FORWARD, lw=1.5, gid="input-rail")
    _arrow(ax, (0.6, -0.85), (0.6, rail), "in-x")
    for name, x, fn in (("f", 1.5, r"$\sigma$"), ("i", 2.6, r"$\sigma$"), ("g", 3.7, "tanh"),
                        ("o", 4.8, r"$\sigma$")):
        _gate(ax, (x, 1.0), rf"${name}_t$", fn, f"gate-{name}")
        _arrow(ax, (x, rail), (x, 0.68), f"in-{name}")
    _op(ax, (1.5, top), r"$\times$", "op-forget")
    _arrow(ax, (1.5, 1.32), (1.5, top - 0.22), "to-forget")
    _op(ax, (3.15, 2.0), r"$\times$", "op-write")
    _arrow(ax, (2.6, 1.32), (3.0, 1.83), "to-write-i")
    _arrow(ax, (3.7, 1.32), (3.3, 1.83), "to-write-g")
    _op(ax, (3.15, top), "+", "op-add")
    _arrow(ax, (3.15, 2.22), (3.15, top - 0.22), "to-add")
    _gate(ax, (6.0, 2.0), "", "tanh", "fn-tanh-c")
    _arrow(ax, (6.0, top), (6.0, 2.32), "to-tanh")
    _op(ax, (6.0, 1.0), r"$\times$", "op-out")
    _arrow(ax, (6.0, 1.68), (6.0, 1.22), "tanh-to-out")
    _arrow(ax, (5.22, 1.0), (5.78, 1.0), "o-to-out")
    _arrow(ax, (6.22, 1.0), (7.22, 1.0), "to-h")
    ax.text(3.1, 3.75, r"additive cell path: $c_t = f_t \odot c_{t-1} + i_t \odot g_t$,"
            r"  $\partial c_t/\partial c_{t-1} = \mathrm{diag}(f_t)$ along it",
            ha="center", fontsize=10, color="#8a5a00")
    ax.text(6.3, -0.9, r"$h_t = o_t \odot \tanh(c_t)$", ha="center", fontsize=10)
    ax.set_xlim(-1.5, 8.2)
    ax.set_ylim(-1.7, 4.1)
    return fig


def draw_gru_cell() -> Figure:
    """One GRU step in PyTorch's form: gates r, z (sigmoid) and the candidate n (tanh); the
    path ``h_{t-1} -> x z_t -> + (1 - z_t) n_t -> h_t`` is marked. gids: ``gate-r``,
    ``gate-z``, ``gate-n``, ``state-path``, ``op-*``, ``node-*``.
    """
    fig, ax = _canvas(8.6, 5.2)
    _cell_frame(ax, 6.9)
    top, rail = 3.0, 0.0
    _node(ax, (-0.9, top), r"$h_{t-1}$", "h", "node-h-prev", size=0.75)
    _node(ax, (7.6, top), r"$h_t$", "h", "node-h", size=0.75)
    _node(ax, (0.6, -1.2), r"$x_t$", "x", "node-x", size=0.65)
    ax.plot([-0.52, 7.22], [top, top], color=CELL_PATH, lw=4, solid_capstyle="butt",
            gid="state-path", zorder=0)
    ax.plot([0.0, 0.0, 4.6], [top, rail, rail], color=FORWARD, lw=1.5, gid="input-rail")
    _arrow(ax, (0.6, -0.85), (0.6, rail), "in-x")
    for name, x, fn in (("z", 1.6, r"$\sigma$"), ("r", 2.8, r"$\sigma$"), ("n", 4.6, "tanh")):
        _gate(ax, (x, 1.0), rf"${name}_t$", fn, f"gate-{name}")
        _arrow(ax, (x, rail), (x, 0.68), f"in-{name}")
    _arrow(ax, (3.22, 1.0), (4.18, 1.0), "reset-to-n")
    _label(ax, (3.55, 1.6), r"$r_t \odot (W_{hn} h_{t-1} + b_{hn})$", size=8)
    _op(ax, (1.6, top), r"$\times$", "op-keep")
    _arrow(ax, (1.6, 1.32), (1.6, top - 0.22), "to-keep")
    _op(ax, (3.4, 2.2), r"$1-$", "op-one-minus")
    _arrow(ax, (1.6, 2.2), (3.18, 2.2), "z-to-one-minus")
    _op(ax, (4.6, 2.2), r"$\times$", "op-write")
    _arrow(ax, (3.62, 2.2), (4.38, 2.2), "to-write")
    _arrow(ax, (4.6, 1.32), (4.6, 1.98), "n-to-write")
    _op(ax, (4.6, top), "+", "op-add")
    _arrow(ax, (4.6, 2.42), (4.6, top - 0.22), "to-add")
    ax.text(3.3, 3.75, r"additive path: $h_t = z_t \odot h_{t-1} + (1 - z_t) \odot n_t$,"
            r"  $\partial h_t/\partial h_{t-1} = \mathrm{diag}(z_t)$ along it",
            ha="center", fontsize=10, color="#8a5a00")
    ax.set_xlim(-1.5, 8.2)
    ax.set_ylim(-1.7, 4.1)
    return fig


# ----------------------------------------------------------------------------- chapter 6
def attention_example_weights(n_real: int, peak: int = 1) -> list[float]:
    """Illustrative attention weights over ``n_real`` positions: a softmax peaked at ``peak``."""
    scores = [-0.9 * (s - peak) ** 2 for s in range(n_real)]
    total = sum(math.exp(e) for e in scores)
    return [math.exp(e) / total for e in scores]


def draw_attention_step(n_source: int = 6, n_pad: int = 2) -> Figure:
    """One decoder step with attention over a padded source: every real encoder vector gets a
    weight (line width), the padded ones get exactly zero and no line. gids: ``node-enc-*``,
    ``node-pad-*``, ``weight-*`` (one line per real position, its weight in ``weight_value``),
    ``node-context``, ``node-query``, ``node-out``, ``enc-fwd-*``, ``enc-bwd-*``.
    """
    expect_int("n_source", n_source, 2, MAX_STEPS)
    expect_int("n_pad", n_pad, 0, n_source - 1)
    n_real = n_source - n_pad
    alpha = attention_example_weights(n_real)
    fig, ax = _canvas(8.6, 4.6)
    xs = [1.3 * s for s in range(n_source)]
    for s, x in enumerate(xs):
        if s < n_real:
            _node(ax, (x, 0.0), rf"$\bar h_{s + 1}$", "h", f"node-enc-{s}")
            ax.text(x, -1.0, rf"$x_{s + 1}$", ha="center", va="center", fontsize=10)
            _arrow(ax, (x, -0.8), (x, -0.37), f"enc-in-{s}", lw=1.0)
            ax.text(x, -1.45, rf"$\alpha_{s + 1}={alpha[s]:.2f}$", ha="center", va="center",
                    fontsize=8, color=CARRY)
        else:
            ax.add_patch(FancyBboxPatch((x - 0.35, -0.35), 0.7, 0.7, boxstyle="round,pad=0.02",
                                        fc="#eeeeee", ec="0.6", lw=1.0, ls="--", hatch="//",
                                        gid=f"node-pad-{s}"))
            ax.text(x, -1.0, "PAD", ha="center", va="center", fontsize=9, color="0.45")
            ax.text(x, -1.45, r"$\alpha=0$", ha="center", va="center", fontsize=8, color="0.45")
    for s in range(n_real - 1):  # the bidirectional encoder reads the real positions only
        _arrow(ax, (xs[s] + 0.37, 0.12), (xs[s + 1] - 0.37, 0.12), f"enc-fwd-{s}", lw=1.0)
        _arrow(ax, (xs[s + 1] - 0.37, -0.12), (xs[s] + 0.37, -0.12), f"enc-bwd-{s}", lw=1.0)
    context = (xs[n_real - 1] / 2, 2.6)
    for s in range(n_real):
        line, = ax.plot([xs[s], context[0]], [0.37, context[1] - 0.37], color=CARRY,
                        lw=0.6 + 9 * alpha[s], solid_capstyle="round", gid=f"weight-{s}", zorder=0)
        line.weight_value = alpha[s]
    if n_pad:
        ax.text(sum(xs[n_real:]) / n_pad, 1.1, "masked:\n" + r"$\alpha = 0$", ha="center",
                va="center", fontsize=9, color="0.35", gid="mask-label")
    _node(ax, context, r"$\kappa_t$", "c", "node-context")
    query = (xs[-1] + 0.9, 2.6)
    _node(ax, query, r"$h_t$", "y", "node-query")
    _arrow(ax, (query[0] - 0.37, context[1] + 0.15), (context[0] + 0.37, context[1] + 0.15),
           "query-scores", color=GRADIENT, dashed=True)
    _label(ax, ((query[0] + context[0]) / 2 + 0.3, context[1] - 0.35),
           r"query: score every $\bar h_j$, softmax over the real positions", color=GRADIENT,
           size=8)
    out = ((query[0] + context[0]) / 2, 4.0)
    _node(ax, out, r"$y_t$", "L", "node-out")
    _arrow(ax, (context[0] + 0.3, context[1] + 0.37), (out[0] - 0.2, out[1] - 0.37), "context-out")
    _arrow(ax, (query[0] - 0.3, query[1] + 0.37), (out[0] + 0.2, out[1] - 0.37), "query-out")
    ax.set_xlim(-0.8, query[0] + 0.8)
    ax.set_ylim(-1.7, 4.5)
    return fig


# ----------------------------------------------------------------------------- chapter 7
def _qrs(t: np.ndarray, peaks: list[float]) -> np.ndarray:
    """A schematic ECG: a P wave, a QRS spike and a T wave around every R peak."""
    y = np.zeros_like(t)
    for r in peaks:
        y += 0.12 * np.exp(-((t - r + 0.17) / 0.035) ** 2)       # P
        y += 1.00 * np.exp(-((t - r) / 0.012) ** 2)              # R
        y -= 0.18 * np.exp(-((t - r - 0.03) / 0.012) ** 2)      # S
        y += 0.25 * np.exp(-((t - r - 0.28) / 0.06) ** 2)        # T
    return y


def draw_rr_intervals(early_by: float = 0.3, rr: float = 0.8) -> Figure:
    """A regular rhythm with one premature beat: its RR interval before (short), after (the
    pause) and the local mean of the intervals before it. gids: ``ecg``, ``r-peak``,
    ``rr-pre``, ``rr-post``, ``rr-mean``; ``rr-pre`` carries ``ratio`` (pre-RR over the mean).
    """
    if not 0 < early_by < rr / 2 or not 0.3 <= rr <= 2.0:
        raise ValueError(f"early_by, rr: expected 0.3 <= rr <= 2 s and 0 < early_by < rr/2, "
                         f"got {early_by!r}, {rr!r}")
    peaks = [rr * k for k in range(5)]
    early = peaks[-1] + rr - early_by
    peaks += [early, peaks[-1] + 2 * rr, peaks[-1] + 3 * rr]  # a full compensatory pause
    t = np.linspace(-0.3, peaks[-1] + 0.5, 3000)
    fig, ax = plt.subplots(figsize=(8.6, 3.2))
    ax.plot(t, _qrs(t, peaks), color=FORWARD, lw=1.2, gid="ecg")
    ax.plot(peaks, [1.02] * len(peaks), "v", color=FORWARD, ms=5, gid="r-peak")
    k = peaks.index(early)

    def interval(a: float, b: float, y: float, text: str, color: str, gid: str) -> FancyArrowPatch:
        arrow = FancyArrowPatch((a, y), (b, y), arrowstyle="<|-|>", mutation_scale=10, lw=1.4,
                                color=color, gid=gid)
        ax.add_patch(arrow)
        ax.text((a + b) / 2, y + 0.08, text, ha="center", va="bottom", fontsize=9, color=color)
        return arrow

    pre = interval(peaks[k - 1], early, 1.2, r"$\mathrm{RR}^{\mathrm{pre}}_k$", GRADIENT, "rr-pre")
    interval(early, peaks[k + 1], 1.2, r"$\mathrm{RR}^{\mathrm{post}}_k$ (pause)", GRADIENT, "rr-post")
    mean = float(np.mean(np.diff(peaks[:k])))
    pre.ratio = (early - peaks[k - 1]) / mean
    interval(peaks[0], peaks[k - 1], 1.55,
             rf"mean of the previous intervals $\overline{{\mathrm{{RR}}}}_k$ = {mean:.2f} s",
             CARRY, "rr-mean")
    ax.text(early, -0.45, rf"early beat $k$: $r_k$ = {pre.ratio:.2f}", ha="center", fontsize=9,
            color=GRADIENT)
    ax.set_xlabel("time (s)")
    ax.set_yticks([])
    ax.set_ylim(-0.6, 1.85)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    return fig


def draw_grud_decay(gap_rate: float = 0.3) -> Figure:
    """One variable over 24 hours: what forward filling feeds the GRU, what GRU-D feeds it
    (decaying from the last measurement towards the mean, eq. input decay with
    gamma = exp(-max(0, w delta)), w = ``gap_rate``), and delta below. gids: ``observed``,
    ``forward-fill``, ``grud-input``, ``mean-line``, ``delta``; the curves' y data are the
    values drawn.
    """
    if not 0 < gap_rate <= 5:
        raise ValueError(f"gap_rate: expected a decay rate per hour in (0, 5], got {gap_rate!r}")
    hours, mean = 24, 0.0
    measured = {0: 1.6, 1: 1.9, 2: 2.1, 9: -1.2, 10: -1.5, 19: 0.8}
    t = np.arange(hours)
    m, values = np.zeros(hours), np.zeros(hours)
    for h, v in measured.items():
        m[h], values[h] = 1, v
    seen = np.maximum.accumulate(np.where(m > 0, t, -1))  # the last measured hour; -1: none yet
    last = np.where(seen >= 0, values[np.maximum(seen, 0)], mean)  # forward fill
    # hours since the previous measurement (from hour 0 when there was none), float32 as the lab's
    delta = (t - np.r_[0, np.maximum(seen, 0)[:-1]]).astype(np.float32)
    gamma = np.exp(-np.maximum(0.0, gap_rate * delta))
    x_hat = m * values + (1 - m) * (gamma * last + (1 - gamma) * mean)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8.6, 4.2), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 1.2]})
    top.axhline(mean, color="0.5", ls=":", lw=1.2, gid="mean-line")
    top.text(hours - 0.5, mean + 0.12, r"training mean $\tilde x$", ha="right", fontsize=8,
             color="0.35")
    top.step(t, last, where="post", color=CELL_PATH, ls="--", lw=1.6, gid="forward-fill",
             label="forward fill (the GRU control)")
    top.plot(t, x_hat, "-", color=GATE, lw=2, marker=".", gid="grud-input",
             label=r"GRU-D input $\hat x_t$")
    top.plot(list(measured), list(measured.values()), "o", color=FORWARD, ms=6, gid="observed",
             label="measured")
    top.set_ylabel("value (standardised)")
    top.legend(fontsize=8, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3)
    bottom.bar(t, delta, width=0.6, color=CARRY, gid="delta")
    bottom.set_ylabel(r"$\delta_t$ (h)")
    bottom.set_xlabel("hour of the stay")
    for ax in (top, bottom):
        for side in ("right", "top"):
            ax.spines[side].set_visible(False)
    fig.align_ylabels()
    return fig


# ----------------------------------------------------------------------------- chapter 8
def scan_schedule(n_steps: int) -> list[list[tuple[int, int, int]]]:
    """The rounds of a work-efficient (Blelloch-style) inclusive scan over ``n_steps`` (a power
    of two): each round is a list of ``(left, right, first)`` combinations, meaning that
    position ``right`` now holds steps ``first..right`` composed, after reading ``left``."""
    first = list(range(n_steps))  # position i holds steps first[i]..i composed
    pairs = []
    stride = 2
    while stride <= n_steps:  # up: pairs, pairs of pairs, ...
        pairs.append([(i - stride // 2, i) for i in range(stride - 1, n_steps, stride)])
        stride *= 2
    stride //= 4
    while stride >= 2:  # down: fill in the prefixes that end between the ones already known
        pairs.append([(i - stride // 2, i) for i in range(stride - 1 + stride // 2, n_steps, stride)])
        stride //= 2
    rounds = []
    for combos in pairs:
        rounds.append([(left, right, first[left]) for left, right in combos])
        for left, right in combos:
            first[right] = first[left]
    return rounds


def draw_scan(n_steps: int = 8) -> Figure:
    """The loop (one round per step) above the parallel scan (about 2 log2 T rounds) over the
    same ``n_steps`` affine maps; each scan node shows the steps it has composed.
    gids: ``loop-node-*``, ``loop-arrow-*``, ``scan-input-*``, ``combine-<round>-<pos>``,
    ``scan-arrow-*``, ``round-label-*``.
    """
    expect_int("n_steps", n_steps, 2, 16)
    if n_steps & (n_steps - 1):
        raise ValueError(f"n_steps: expected a power of two, got {n_steps}")
    rounds = scan_schedule(n_steps)
    dx, dy = 1.0, 0.95
    height = 2.2 + dy * (len(rounds) + 1)
    fig, ax = _canvas(0.75 * n_steps + 2.5, 0.75 * height)
    y_loop = 0.0
    ax.text(-0.9, y_loop, "loop", ha="right", va="center", fontsize=10)
    for i in range(n_steps):
        _node(ax, (i * dx, y_loop), rf"$h_{{{i + 1}}}$", "h", f"loop-node-{i}", size=0.55)
        if i:
            _arrow(ax, ((i - 1) * dx + 0.28, y_loop), (i * dx - 0.28, y_loop), f"loop-arrow-{i}")
    ax.text((n_steps - 1) * dx + 0.5, y_loop - 0.55, f"{n_steps - 1} rounds, each waits for the one before",
            ha="right", fontsize=8, color="0.35")
    y0 = -1.6
    ax.text(-0.9, y0, "scan", ha="right", va="center", fontsize=10)
    for i in range(n_steps):
        _node(ax, (i * dx, y0), f"{i + 1}", "x", f"scan-input-{i}", size=0.55)
    last_y = {i: y0 for i in range(n_steps)}
    for r, combos in enumerate(rounds, start=1):
        y = y0 - r * dy
        ax.text(-0.9, y, f"round {r}", ha="right", va="center", fontsize=8, color="0.35",
                gid=f"round-label-{r}")
        for left, right, start in combos:
            _arrow(ax, (left * dx, last_y[left] - 0.28), (right * dx - 0.2, y + 0.2),
                   f"scan-arrow-{r}-{right}-l", color=CARRY, lw=1.1)
            _arrow(ax, (right * dx, last_y[right] - 0.28), (right * dx, y + 0.28),
                   f"scan-arrow-{r}-{right}-r", color=FORWARD, lw=1.1)
            _node(ax, (right * dx, y), f"{start + 1}:{right + 1}", "h", f"combine-{r}-{right}", size=0.62)
            last_y[right] = y
    ax.text((n_steps - 1) * dx + 0.5, y0 - (len(rounds) + 0.75) * dy,
            f"{len(rounds)} rounds, {sum(map(len, rounds))} combinations; "
            r"node $i{:}j$ holds steps $i..j$ composed",
            ha="right", fontsize=8, color="0.35")
    ax.set_xlim(-2.2, (n_steps - 1) * dx + 0.6)
    ax.set_ylim(y0 - (len(rounds) + 1.1) * dy, 0.6)
    return fig


# One colour per kind of node and per shared weight matrix, used by both chapter 1 diagrams:
# light tints of sky blue, orange and bluish green for inputs, hidden states and outputs.
RNN_NODE_COLORS = {"x": "#abdaf4", "h": "#f2cf80", "y": "#80ceb9"}
WEIGHT_COLORS = {"W_xh": PALETTE["blue"], "W_hh": PALETTE["vermillion"], "W_hy": PALETTE["bluish green"]}
_WEIGHT_TEX = {"W_xh": r"$W_{xh}$", "W_hh": r"$W_{hh}$", "W_hy": r"$W_{hy}$"}
MAX_UNROLL = 8


# ----------------------------------------------------------------------------- the RNN, unrolled (chapter 1)
def _rnn_node(ax: Axes, xy: tuple[float, float], text: str, kind: str, size: float = 0.7) -> FancyBboxPatch:
    """A rounded node of ``kind`` x, h or y centred at ``xy``; its gid is ``node-<kind>``."""
    w = h = size
    patch = FancyBboxPatch((xy[0] - w / 2, xy[1] - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.12",
                           fc=RNN_NODE_COLORS[kind], ec="0.25", lw=1.2, gid=f"node-{kind}")
    ax.add_patch(patch)
    ax.text(xy[0], xy[1], text, ha="center", va="center", fontsize=12)
    return patch


def _weight_arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], weight: str | None = None,
           label: bool = True, offset: tuple[float, float] = (0.0, 0.0), style: str = "arc3") -> FancyArrowPatch:
    """An arrow, coloured and (optionally) labelled by the shared weight it applies."""
    color = WEIGHT_COLORS.get(weight or "", "0.3")
    arrow = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, lw=1.6, color=color,
                            connectionstyle=style, shrinkA=0, shrinkB=0,
                            gid=f"arrow-{weight}" if weight else "arrow")
    ax.add_patch(arrow)
    if weight and label:
        mx, my = (start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1]
        ax.text(mx, my, _WEIGHT_TEX[weight], color=color, fontsize=10, ha="center", va="center",
                bbox=dict(fc="white", ec="none", pad=0.5, alpha=0.85))
    return arrow


def draw_unrolled_rnn(n_steps: int = 4, *, ax: Axes | None = None, labels: bool = True) -> Axes:
    """Draw the folded RNN (a loop on h) and the same network unrolled over ``n_steps`` steps.

    Boxes are x_t (input), h_t (hidden state, with h_0 the initial state) and y_t (output);
    every arrow is coloured by the weight matrix it applies, and ``labels=True`` writes the
    name on it: the same three matrices appear at every step (parameter sharing).
    Draws ``3 + 1 + 3 * n_steps`` boxes (folded, h_0, unrolled).
    """
    expect_int("n_steps", n_steps, high=MAX_UNROLL, hint="more steps do not fit")
    if not isinstance(labels, bool):
        raise TypeError(f"labels: expected True or False, got {type(labels).__name__}")
    ax = new_axes(ax, (2.6 + 1.55 * n_steps, 3.6))
    yx, yh, yy, r = 0.0, 1.6, 3.2, 0.35  # rows of x, h, y; half a box
    # folded network
    _rnn_node(ax, (0, yx), r"$x_t$", "x"), _rnn_node(ax, (0, yh), r"$h_t$", "h"), _rnn_node(ax, (0, yy), r"$y_t$", "y")
    _weight_arrow(ax, (0, yx + r), (0, yh - r), "W_xh", labels, offset=(0.33, 0))
    _weight_arrow(ax, (0, yh + r), (0, yy - r), "W_hy", labels, offset=(0.33, 0))
    loop = "arc,angleA=180,angleB=180,armA=30,armB=30,rad=8"  # out of h_t's left side and back in
    _weight_arrow(ax, (-r, yh + 0.2), (-r, yh - 0.2), "W_hh", labels, offset=(-0.85, 0), style=loop)
    ax.text(1.05, yh, "unroll\n" + r"$\Longrightarrow$", ha="center", va="center", fontsize=11)
    # unrolled network
    x0, dx = 2.1, 1.55
    _rnn_node(ax, (x0, yh), r"$h_0$", "h")
    for i in range(1, n_steps + 1):
        cx = x0 + i * dx
        _rnn_node(ax, (cx, yx), rf"$x_{i}$", "x"), _rnn_node(ax, (cx, yh), rf"$h_{i}$", "h"), _rnn_node(ax, (cx, yy), rf"$y_{i}$", "y")
        _weight_arrow(ax, (cx, yx + r), (cx, yh - r), "W_xh", labels, offset=(0.33, 0))
        _weight_arrow(ax, (cx, yh + r), (cx, yy - r), "W_hy", labels, offset=(0.33, 0))
        _weight_arrow(ax, (cx - dx + r, yh), (cx - r, yh), "W_hh", labels, offset=(0, 0.25))
    ax.set_xlim(-1.6, x0 + n_steps * dx + 0.6)
    ax.set_ylim(yx - 0.8, yy + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.text(x0 + (n_steps + 1) * dx / 2, yx - 0.65, r"time $\longrightarrow$", ha="center", fontsize=10)
    return ax


# (title, medical example, has_input per step, has_output per step)
TASK_SHAPES = (
    ("one-to-many", "one summary → a sequence\n(e.g. X-ray features → report words)", [1, 0, 0, 0], [1, 1, 1, 1]),
    ("many-to-one", "a sequence → one label\n(e.g. 30 s of ECG → AF or not)", [1, 1, 1, 1], [0, 0, 0, 1]),
    ("many-to-many (aligned)", "one output per input step\n(e.g. each ECG sample → in a QRS?)", [1, 1, 1, 1], [1, 1, 1, 1]),
    ("many-to-many (unaligned)", "read all, then write\n(e.g. clinical note → summary)", [1, 1, 1, 0, 0, 0],
     [0, 0, 0, 1, 1, 1]),
)


def _draw_shape(ax: Axes, has_in: Sequence[int], has_out: Sequence[int]) -> None:
    yx, yh, yy, r, dx = 0.0, 1.3, 2.6, 0.3, 1.0
    for i, (xi, yi) in enumerate(zip(has_in, has_out)):
        cx = i * dx
        _rnn_node(ax, (cx, yh), "", "h", size=0.6)
        if i:
            _weight_arrow(ax, (cx - dx + r, yh), (cx - r, yh), "W_hh", label=False)
        if xi:
            _rnn_node(ax, (cx, yx), "", "x", size=0.6)
            _weight_arrow(ax, (cx, yx + r), (cx, yh - r), "W_xh", label=False)
        if yi:
            _rnn_node(ax, (cx, yy), "", "y", size=0.6)
            _weight_arrow(ax, (cx, yh + r), (cx, yy - r), "W_hy", label=False)
    centre = (len(has_in) - 1) * dx / 2  # same width for every panel, so boxes keep one size
    ax.set_xlim(centre - 3.1, centre + 3.1)
    ax.set_ylim(-0.5, 3.0)
    ax.set_aspect("equal")
    ax.axis("off")


def draw_task_shapes(*, examples: bool = True) -> Figure:
    """Draw the four task shapes as small unrolled diagrams, one panel each.

    Blue boxes are inputs, orange hidden states, green outputs (time runs left to right).
    ``examples=True`` adds a medical example under each title.
    """
    if not isinstance(examples, bool):
        raise TypeError(f"examples: expected True or False, got {type(examples).__name__}")
    fig, axes = plt.subplots(1, len(TASK_SHAPES), figsize=(14, 3.0))
    for ax, (name, example, has_in, has_out) in zip(axes, TASK_SHAPES):
        _draw_shape(ax, has_in, has_out)
        ax.set_title(f"{name}\n{example}" if examples else name, fontsize=10)
    legend = [Patch(fc=RNN_NODE_COLORS[k], ec="0.25", label=v) for k, v in
              (("x", "input $x_t$"), ("h", "hidden state $h_t$"), ("y", "output $y_t$"))]
    fig.legend(handles=legend, loc="lower center", ncol=3, fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


# ----------------------------------------------------------------------------- the pages' figures
def _ch01_unrolled() -> Figure:
    return draw_unrolled_rnn(4).figure


def _in_course_style(draw: Callable[[], Figure]) -> Callable[[], Figure]:
    def styled() -> Figure:
        with matplotlib.rc_context(COURSE_STYLE):
            return draw()
    return styled


# path of the SVG (relative to the repository root) -> the function that draws it, in the
# course style whatever matplotlib's settings are
PAGE_FIGURES: dict[str, Callable[[], Figure]] = {relative: _in_course_style(draw) for relative, draw in {
    "chapters/01_rnn_basics/figures/unrolled_rnn.svg": _ch01_unrolled,
    "chapters/01_rnn_basics/figures/task_shapes.svg": draw_task_shapes,
    "chapters/02_bptt/figures/bptt_graph.svg": draw_bptt_graph,
    "chapters/03_truncated_bptt/figures/tbptt_chunks.svg": draw_tbptt_chunks,
    "chapters/03_truncated_bptt/figures/k1_k2_windows.svg": draw_k1_k2_windows,
    "chapters/04_gradient_problem/figures/gradient_path.svg": draw_gradient_path,
    "chapters/05_lstm_gru/figures/lstm_cell.svg": draw_lstm_cell,
    "chapters/05_lstm_gru/figures/gru_cell.svg": draw_gru_cell,
    "chapters/06_seq2seq/figures/attention_step.svg": draw_attention_step,
    "chapters/07_medical_time_series/figures/rr_intervals.svg": draw_rr_intervals,
    "chapters/07_medical_time_series/figures/grud_decay.svg": draw_grud_decay,
    "chapters/08_beyond_recurrence/figures/parallel_scan.svg": draw_scan,
}.items()}


def save_svg(fig: Figure, path: Path) -> None:
    """Write ``fig`` in the course style as an SVG that is the same byte for byte every time
    (no date, fixed ids)."""
    with matplotlib.rc_context({**COURSE_STYLE, "svg.hashsalt": "rnn-course", "svg.fonttype": "path"}):
        fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})


def write_page_figures(root: Path) -> list[Path]:
    """Draw every figure of ``PAGE_FIGURES`` into ``root``; return the paths written."""
    written = []
    for relative, draw in PAGE_FIGURES.items():
        path = Path(root) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        fig = draw()
        save_svg(fig, path)
        plt.close(fig)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Draw the prose pages' figures as SVG files.")
    parser.add_argument("root", nargs="?", default=".", type=Path,
                        help="the repository root (default: the current folder)")
    args = parser.parse_args(argv)
    matplotlib.use("Agg")
    for path in write_page_figures(args.root):
        print(f"wrote {path}")
    return 0
