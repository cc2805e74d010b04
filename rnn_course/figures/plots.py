"""The labs' data plots: ECG strips, training curves, gradient norms and attention heatmaps
(the diagrams drawn by code are in :mod:`rnn_course.figures.diagrams`).

Every function returns the ``Axes`` it drew on, so a notebook can add to it, and validates its inputs with errors that say what
was expected and what arrived. Nothing here calls ``plt.show()``: the notebook does.

Importing this module changes no matplotlib setting: the course's palette and look live in
:mod:`rnn_course.figures.style`, and a notebook applies them with ``use_course_style()``.
"""
from __future__ import annotations

import functools
import unicodedata
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from matplotlib import font_manager
from matplotlib.axes import Axes

from .style import HIGHLIGHT, new_axes
from ..validation import as_float_array


# ----------------------------------------------------------------------------- signals
def plot_signal(signal: Any, fs: float, *, beats: Any = None, symbols: Sequence[str] | None = None,
                ax: Axes | None = None, title: str | None = None,
                lead_names: Sequence[str] | None = None) -> Axes:
    """Plot an ECG strip against time in seconds, with optional beat markers and labels.

    Args:
        signal: ``(n_samples,)`` or ``(n_samples, n_leads)`` in millivolts (array or tensor).
        fs: sampling rate in Hz; sample ``i`` is drawn at ``i / fs`` seconds.
        beats: sample indices of beats *within this strip* (``0 <= beat < n_samples``),
            marked with a triangle on the first lead.
        symbols: one annotation symbol per beat (e.g. ``'N'``, ``'V'``), written above it.
        lead_names: one name per lead, shown in a legend.
    """
    x = as_float_array("signal", signal)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"signal: expected shape (n_samples,) or (n_samples, n_leads), got {x.shape}")
    n, n_leads = x.shape
    if n_leads > n:
        raise ValueError(f"signal: expected shape (n_samples, n_leads), got {x.shape}; "
                         f"it has more leads than samples — is it transposed? Try signal.T.")
    if n < 2:
        raise ValueError(f"signal: expected at least 2 samples, got {n}")
    if isinstance(fs, bool) or not isinstance(fs, (int, float, np.number)) or not np.isfinite(fs) or fs <= 0:
        raise ValueError(f"fs: expected a positive sampling rate in Hz (e.g. 360), got {fs!r}")
    if lead_names is not None and len(lead_names) != n_leads:
        raise ValueError(f"lead_names: expected {n_leads} names (one per lead), got {len(lead_names)}")
    ax = new_axes(ax, (10, 2.8))
    t = np.arange(n) / fs
    for j in range(n_leads):
        ax.plot(t, x[:, j], lw=0.9, label=None if lead_names is None else lead_names[j])
    if beats is not None:
        b = np.asarray(beats)
        if b.ndim != 1 or not np.issubdtype(b.dtype, np.integer):
            raise ValueError(f"beats: expected a 1-D array of integer sample indices, got dtype {b.dtype}, shape {b.shape}")
        bad = b[(b < 0) | (b >= n)]
        if bad.size:
            raise ValueError(f"beats: expected sample indices in [0, {n}) (within this strip), got {bad[:3].tolist()}"
                             f"{' ...' if bad.size > 3 else ''}; subtract the strip's first sample index from "
                             f"the record's beat positions and keep only those inside the strip.")
        top = x[b, 0]
        span = np.nanmax(x[:, 0]) - np.nanmin(x[:, 0]) or 1.0
        ax.plot(b / fs, top + 0.08 * span, "v", color=HIGHLIGHT, ms=6, label="annotated beat")
        if symbols is not None:
            if len(symbols) != len(b):
                raise ValueError(f"symbols: expected one symbol per beat ({len(b)}), got {len(symbols)}")
            for bi, yi, s in zip(b, top, symbols):
                ax.text(bi / fs, yi + 0.2 * span, str(s), ha="center", va="bottom", fontsize=9, color=HIGHLIGHT)
            ax.set_ylim(top=max(ax.get_ylim()[1], float(np.nanmax(top)) + 0.4 * span))
    elif symbols is not None:
        raise ValueError("symbols: given without beats; pass beats=<sample indices> as well")
    ax.margins(y=0.1)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("mV")
    ax.set_xlim(0, (n - 1) / fs)
    if title:
        ax.set_title(title)
    if lead_names is not None or beats is not None:
        ax.legend(loc="upper right", fontsize=8, framealpha=0.8)
    return ax


# ----------------------------------------------------------------------------- training curves
def _history_lists(history: Any) -> tuple[list[float], list[float], list[float], list[float]]:
    names = ("step_loss", "train_loss", "val_loss", "grad_norm")
    missing = [k for k in names if not hasattr(history, k)]
    if missing:
        raise TypeError(f"history: expected a rnn_course.training.History (the value returned by fit), "
                        f"got {type(history).__name__} without {', '.join(missing)}")
    return tuple(list(getattr(history, k)) for k in names)  # type: ignore[return-value]


def plot_history(history: Any, *, ax: Axes | None = None, log: bool = False) -> Axes:
    """Plot the loss of every step (faint), the mean training loss of every epoch, and the
    validation loss of every epoch, against the optimisation step."""
    step_loss, train_loss, val_loss, _ = _history_lists(history)
    diverged = getattr(history, "diverged", False)
    if not step_loss or not (train_loss or diverged):
        raise ValueError(f"history: expected at least one finished epoch, got {len(step_loss)} steps and "
                         f"{len(train_loss)} epochs — did fit() run?")
    if log and min(v for v in step_loss + train_loss + val_loss if np.isfinite(v)) <= 0:
        raise ValueError("log=True needs positive losses; use log=False for losses that can be zero or negative")
    ax = new_axes(ax, (6, 3.5))
    epoch_end = list(getattr(history, "epoch_end_step", []))
    if len(epoch_end) != len(train_loss):  # a History built by hand: assume equal epochs
        per_epoch = len(step_loss) // max(len(train_loss), 1)
        epoch_end = per_epoch * np.arange(1, len(train_loss) + 1)
    epoch_end = np.asarray(epoch_end)
    ax.plot(np.arange(1, len(step_loss) + 1), step_loss, color="0.7", lw=0.8, label="train loss (each step)")
    if train_loss:
        ax.plot(epoch_end, train_loss, "o-", color="C0", label="train loss (epoch mean)")
    if val_loss:
        ax.plot(epoch_end[: len(val_loss)], val_loss, "s-", color="C1", label="validation loss")
    if getattr(history, "diverged", False):
        ax.set_title("training diverged (loss became NaN or inf)", color=HIGHLIGHT)
    ax.set_xlabel("optimisation step")
    ax.set_ylabel("loss")
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    return ax


def plot_epoch_loss(histories: dict[str, Any], *, ax: Axes | None = None,
                    chance: float | None = None, chance_label: str = "chance level") -> Axes:
    """Compare runs: the mean training loss of every epoch, one line per run, against the epoch.

    ``histories`` maps a legend label to the :class:`~rnn_course.training.History` of a run;
    ``chance`` draws the loss of a model that has learnt nothing as a dashed line.
    """
    if not isinstance(histories, dict) or not histories:
        raise ValueError(f"histories: expected a non-empty dict of label -> History, got {histories!r:.80}")
    ax = new_axes(ax, (6, 3.4))
    for label, history in histories.items():
        train_loss = _history_lists(history)[1]
        ax.plot(range(1, len(train_loss) + 1), train_loss, "o-", ms=3, label=label)
    if chance is not None:
        ax.axhline(chance, color="k", ls="--", lw=1, label=chance_label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.legend(fontsize=8)
    return ax


def plot_grad_norm(history: Any, *, ax: Axes | None = None, log: bool = True, clip: float | None = None) -> Axes:
    """Plot the global gradient norm of every step (before clipping); ``clip`` draws the threshold."""
    _, _, _, grad_norm = _history_lists(history)
    if not grad_norm:
        raise ValueError("history.grad_norm is empty: expected one gradient norm per step — did fit() run?")
    if clip is not None and not clip > 0:
        raise ValueError(f"clip: expected a positive clipping threshold or None, got {clip!r}")
    ax = new_axes(ax, (6, 3.5))
    ax.plot(np.arange(1, len(grad_norm) + 1), grad_norm, color="C2", lw=0.9, label="gradient norm")
    if clip is not None:
        ax.axhline(clip, color=HIGHLIGHT, ls="--", lw=1, label=f"clipping threshold ({clip:g})")
    ax.set_xlabel("optimisation step")
    ax.set_ylabel(r"$\|\nabla_\theta L\|_2$")
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    return ax


# ----------------------------------------------------------------------------- attention
_CJK_FONT_FILES = ("ipag", "ipaexg", "notosanscjk", "notosansjp", "takao", "vl-gothic", "hiragino", "yugoth",
                   "msgothic", "droidsansfallback")
_ROMAJI = {"令": "Rei", "和": "wa", "平": "Hei", "成": "sei", "昭": "Shō", "元": "gan", "年": "nen", "月": "gatsu",
           "日": "nichi", "時": "ji", "分": "fun", "午": "go", "前": "zen", "後": "go"}


@functools.lru_cache(maxsize=1)
def _cjk_font() -> str | None:
    """The name of a font with Japanese glyphs, registered with matplotlib if it was not; None if none."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    for path in sorted(font_manager.findSystemFonts()):
        if any(h in Path(path).name.lower().replace(" ", "") for h in _CJK_FONT_FILES):
            name = font_manager.FontProperties(fname=path).get_name()
            if name not in names:
                font_manager.fontManager.addfont(path)
            return name
    return None


def _tick_label(token: str, cjk: bool) -> str:
    if token.isspace():
        return "␣"
    if cjk or token.isascii():
        return token
    ascii_form = unicodedata.normalize("NFKC", token)  # full-width digits and colons
    return ascii_form if ascii_form.isascii() else _ROMAJI.get(token, "?")


def plot_attention(weights: Any, source: Sequence[str], output: Sequence[str], *, ax: Axes | None = None,
                   title: str | None = None) -> Axes:
    """Heatmap of attention ``weights (len(output), len(source))``: row ``t`` is where the decoder
    looked while writing ``output[t]``. ``source`` and ``output`` are strings or token lists.

    Japanese characters need a font with their glyphs; without one, ticks show a romanisation
    (令和 -> "Rei wa"), NFKC forms for full-width digits, and "?" for anything else.
    """
    w = as_float_array("weights", weights)
    if w.ndim != 2 or w.shape != (len(output), len(source)):
        raise ValueError(f"weights: expected shape (len(output), len(source)) = ({len(output)}, {len(source)}), "
                         f"got {tuple(w.shape)}")
    if (w < 0).any() or (w.sum(axis=1) > 1 + 1e-4).any():
        raise ValueError("weights: expected attention weights (non-negative, each row summing to at most 1)")
    ax = new_axes(ax, (max(4.0, 0.32 * len(source) + 1.5), max(3.0, 0.28 * len(output) + 1.2)))
    font = _cjk_font()
    image = ax.imshow(w, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(source)), [_tick_label(c, font is not None) for c in source],
                  fontfamily=[font, "DejaVu Sans"] if font else None,
                  rotation=90 if font is None and any(not c.isascii() for c in source) else 0)
    ax.set_yticks(range(len(output)), [_tick_label(c, True) for c in output])
    ax.set_xlabel("source (encoder positions)")
    ax.set_ylabel("output step")
    if title:
        ax.set_title(title, fontfamily=[font, "DejaVu Sans"] if font else None)
    ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02, label="attention weight")
    return ax
