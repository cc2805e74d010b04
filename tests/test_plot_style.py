"""The course's figure style: one colour-blind-safe palette and one look, set by rnn_course.figures.style.

Colour vision deficiency is simulated with the matrices of Machado, Oliveira & Fernandes
(2009, IEEE TVCG 15(6), severity 1.0: protanopia, deuteranopia, tritanopia), applied in
linear RGB; two colours count as distinct when their CIELAB distance (ΔE*ab, 1976) stays
above a threshold for normal vision and for each simulated deficiency. matplotlib's old
default palette (tab10) fails this check (orange and green merge for protanopes), which
shows the check can fail.
"""
from __future__ import annotations

import itertools
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex, to_rgb  # noqa: E402

from rnn_course.figures import diagrams, plots, style  # noqa: E402
from rnn_course.training import History  # noqa: E402

CVD = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}
TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
         "#bcbd22", "#17becf"]


def _lab(color: str, vision: str | None) -> np.ndarray:
    srgb = np.array(to_rgb(color), dtype=np.float64)
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    if vision is not None:
        linear = np.clip(np.array(CVD[vision]) @ linear, 0, 1)
    xyz = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                    [0.0193339, 0.1191920, 0.9503041]]) @ linear
    t = xyz / np.array([0.95047, 1.0, 1.08883])  # D65 white
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def closest_pair(colors) -> tuple[float, str, str, str]:
    """(ΔE, vision, colour a, colour b) of the least distinct pair over all visions."""
    return min((float(np.linalg.norm(_lab(a, v) - _lab(b, v))), v or "normal", a, b)
               for v in (None, *CVD) for a, b in itertools.combinations(colors, 2))


@pytest.fixture(autouse=True)
def _course_style():
    style.use_course_style()
    yield
    plt.close("all")
    style.use_course_style()


def test_palette_stays_distinct_with_colour_vision_deficiency():
    delta, vision, a, b = closest_pair(style.PALETTE.values())
    assert delta > 15, f"{a} and {b} are hard to tell apart with {vision} (ΔE = {delta:.1f})"


def test_the_check_rejects_a_palette_that_is_not_colour_blind_safe():
    delta, vision, a, b = closest_pair(TAB10)
    assert delta < 15 and vision in ("protanopia", "deuteranopia"), (delta, vision, a, b)
    assert closest_pair(["#dbe9f6", "#fde2c4", "#d9f0d3"])[0] < 10  # the diagrams' old fills


def test_diagram_colours_stay_distinct():
    # fills are pale (black labels sit on them), so they are closer; the labels say it too
    delta, vision, a, b = closest_pair(diagrams.RNN_NODE_COLORS.values())
    assert delta > 10, (delta, vision, a, b)
    delta, vision, a, b = closest_pair(diagrams.WEIGHT_COLORS.values())
    assert delta > 15, (delta, vision, a, b)


@pytest.mark.slow
def test_import_changes_nothing_and_use_course_style_sets_the_style():
    code = ("import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt; "
            "from matplotlib.colors import to_hex; "
            "first = lambda: to_hex(plt.rcParams['axes.prop_cycle'].by_key()['color'][0]); "
            "before = first(); "
            "import rnn_course, rnn_course.figures.plots, rnn_course.figures.diagrams, rnn_course.figures.style; "
            "print(before, first(), plt.rcParams['axes.spines.top']); "
            "rnn_course.figures.style.use_course_style(); "
            "print(first(), plt.rcParams['axes.spines.top'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["#1f77b4", "#1f77b4", "True", style.PALETTE["blue"].lower(), "False"]


def test_plots_and_diagrams_share_the_palette():
    assert plots.HIGHLIGHT == style.PALETTE["vermillion"]
    for colour in (diagrams.GRADIENT, diagrams.CARRY, diagrams.CELL_PATH, diagrams.GATE,
                   *diagrams.WEIGHT_COLORS.values()):
        assert colour in style.PALETTE.values()


def test_use_course_style_restores_it():
    plt.rcdefaults()
    assert to_hex(plt.rcParams["axes.prop_cycle"].by_key()["color"][0]) == "#1f77b4"
    style.use_course_style()
    assert plt.rcParams["axes.prop_cycle"].by_key()["color"] == list(style.PALETTE.values())
    _, ax = plt.subplots()
    (line,) = ax.plot([0, 1], [1, 0])
    assert line.get_color() == style.PALETTE["blue"]  # "C0" is the palette's first colour
    assert any(g.get_visible() for g in ax.get_xgridlines()) and not ax.spines["top"].get_visible()


def _colours_used(fig) -> set[str]:
    colours = set()
    for ax in fig.axes:
        for line in ax.lines:
            colours.add(line.get_color())
        for patch in ax.patches:
            colours.update([patch.get_facecolor(), patch.get_edgecolor()])
        for text in ax.texts + [ax.title]:
            colours.add(text.get_color())
    out = set()
    for c in colours:
        r, g, b = to_rgb(c)
        if not (abs(r - g) < 1e-6 and abs(g - b) < 1e-6):  # greys, black and white are fine
            out.add(matplotlib.colors.to_hex((r, g, b)).lower())
    return out


def test_every_helper_draws_only_course_colours():
    allowed = {c.lower() for c in [*style.PALETTE.values(), *diagrams.RNN_NODE_COLORS.values()]}
    h = History(step_loss=[1.0, 0.8, 0.6, 0.5], train_loss=[0.9, 0.55], val_loss=[1.0, 0.7],
                grad_norm=[3.0, 2.0, 1.5, 1.0], epoch_end_step=[2, 4])
    figures = [
        plots.plot_signal(np.sin(np.linspace(0, 9, 720)), 360, beats=[100, 500], symbols=["N", "V"]).figure,
        plots.plot_history(h).figure,
        plots.plot_grad_norm(h, clip=1.0).figure,
        plots.plot_epoch_loss({"a": h, "b": h, "c": h}, chance=0.5).figure,
        diagrams.draw_unrolled_rnn(3).figure,
        diagrams.draw_task_shapes(),
    ]
    h.diverged = True
    figures.append(plots.plot_history(h).figure)
    for fig in figures:
        assert _colours_used(fig) <= allowed, _colours_used(fig) - allowed
