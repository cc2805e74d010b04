"""The course's figure style: one palette and one look for every figure, data plots and diagrams.

The palette is the colour-blind-safe one of Okabe and Ito (2008, *Color Universal Design*):
its colours stay distinct for readers with red-green (protan, deutan) and blue-yellow
(tritan) colour vision deficiency (``tests/test_plot_style.py`` checks this with simulated
vision). :func:`use_course_style` makes it the colour cycle, so ``"C0"``, ``"C1"``, ... and
every default colour come from it, with light grid lines behind the data, no top and right
frame lines and the same font sizes everywhere. Each lab calls it once in its set-up cell;
importing a module of the package changes no matplotlib setting.
"""
from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from cycler import cycler

# Okabe & Ito's palette, in the order of the colour cycle (C0 blue, C1 orange, ...). Their
# yellow (#F0E442) is left out: too pale for a line on white.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "bluish green": "#009E73",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
    "sky blue": "#56B4E9",
}
HIGHLIGHT = PALETTE["vermillion"]  # markers and warnings drawn on top of the data

# One style for every figure of the course, applied by use_course_style().
COURSE_STYLE: dict[str, Any] = {
    "axes.prop_cycle": cycler(color=list(PALETTE.values())),
    "image.cmap": "viridis",  # perceptually uniform and readable with colour vision deficiency
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "figure.facecolor": "white",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.framealpha": 0.85,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "0.88",
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.5,
}


def use_course_style() -> None:
    """Apply the course's figure style (``COURSE_STYLE``) to every figure drawn from now on."""
    plt.rcParams.update(COURSE_STYLE)


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax``, or a new one of ``figsize`` inches when it is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax: expected a matplotlib Axes or None, got {type(ax).__name__}")
    return ax
