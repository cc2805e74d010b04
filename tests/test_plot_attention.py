"""plot_attention: one cell per (output step, source token), labelled ticks, clear errors."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from rnn_course.figures import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_draws_the_weights_with_source_and_output_ticks():
    weights = torch.softmax(torch.randn(3, 5), dim=1)
    ax = plots.plot_attention(weights, "R6 1:", "202", title="demo")
    assert np.allclose(ax.images[0].get_array(), weights.numpy())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["R", "6", "␣", "1", ":"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2", "0", "2"]


def test_japanese_ticks_use_a_cjk_font_or_a_romanisation(monkeypatch):
    ax = plots.plot_attention(np.full((1, 3), 1 / 3), "令和６", ["2"])
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == (["令", "和", "６"] if plots._cjk_font() else ["Rei", "wa", "6"])
    monkeypatch.setattr(plots, "_cjk_font", lambda: None)
    ax = plots.plot_attention(np.full((1, 3), 1 / 3), "令和６", ["2"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Rei", "wa", "6"]


def test_bad_input():
    with pytest.raises(ValueError, match=r"\(len\(output\), len\(source\)\) = \(2, 3\)"):
        plots.plot_attention(np.ones((3, 2)) / 2, "abc", "de")
    with pytest.raises(ValueError, match="attention weights"):
        plots.plot_attention(-np.ones((2, 3)), "abc", "de")
    with pytest.raises(TypeError, match="numbers"):
        plots.plot_attention(np.array([["a"]]), "a", "b")
