"""rnn_course.figures.diagrams: each diagram draws what it promises on the Agg backend, rejects bad
arguments clearly, and the SVG files the pages show are the ones the code draws today."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from rnn_course.figures import diagrams  # noqa: E402
from rnn_course.data.icu import forward_fill, time_since_last  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def gid_counts(fig: Figure) -> Counter:
    """How many artists carry each gid prefix (the part before a trailing -<number>)."""
    gids = [a.get_gid() for a in fig.findobj() if a.get_gid()]
    return Counter(re.sub(r"-\d+$", "", g) for g in gids)


def all_gids(fig: Figure) -> set[str]:
    return {a.get_gid() for a in fig.findobj() if a.get_gid()}


def gids(ax: Axes, prefix: str) -> list[str]:
    return [p.get_gid() for p in ax.patches if (p.get_gid() or "").startswith(prefix)]


# ----------------------------------------------------------------------------- chapter 1's unrolled RNN and task shapes
@pytest.mark.parametrize("n", [1, 4, 8])
def test_unrolled_rnn_boxes_and_shared_weights(n):
    ax = diagrams.draw_unrolled_rnn(n)
    boxes = gids(ax, "node-")
    assert len(boxes) == 3 + 1 + 3 * n  # folded x/h/y, h_0, then x_t, h_t, y_t per step
    assert boxes.count("node-h") == n + 2
    for w in ("W_xh", "W_hh", "W_hy"):  # one arrow per step plus the folded one: the same matrix
        assert gids(ax, f"arrow-{w}") == [f"arrow-{w}"] * (n + 1)
    labels = [t.get_text() for t in ax.texts]
    assert labels.count(r"$W_{hh}$") == n + 1 and rf"$x_{n}$" in labels and r"$h_0$" in labels


def test_unrolled_rnn_without_labels_on_given_axes():
    _, ax = plt.subplots()
    out = diagrams.draw_unrolled_rnn(3, ax=ax, labels=False)
    assert out is ax
    assert not any(t.get_text().startswith("$W") for t in ax.texts)


@pytest.mark.parametrize("n", [0, 9, 2.5, "4", True])
def test_unrolled_rnn_bad_steps(n):
    with pytest.raises(ValueError, match="n_steps: expected an integer from 1 to 8"):
        diagrams.draw_unrolled_rnn(n)


def test_unrolled_rnn_bad_labels():
    with pytest.raises(TypeError, match="labels: expected True or False"):
        diagrams.draw_unrolled_rnn(2, labels="yes")


def test_task_shapes():
    fig = diagrams.draw_task_shapes()
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    titles = [ax.get_title().split("\n")[0] for ax in fig.axes]
    assert titles == ["one-to-many", "many-to-one", "many-to-many (aligned)", "many-to-many (unaligned)"]
    counts = [(len(gids(ax, "node-x")), len(gids(ax, "node-h")), len(gids(ax, "node-y"))) for ax in fig.axes]
    assert counts == [(1, 4, 4), (4, 4, 1), (4, 4, 4), (3, 6, 3)]
    assert "e.g." in fig.axes[1].get_title()
    assert "e.g." not in diagrams.draw_task_shapes(examples=False).axes[0].get_title()
    with pytest.raises(TypeError, match="examples: expected True or False"):
        diagrams.draw_task_shapes(examples=1)


# ----------------------------------------------------------------------------- what is drawn
@pytest.mark.parametrize("n", [2, 3, 5])
def test_bptt_graph_has_both_gradient_paths_at_every_step(n):
    fig = diagrams.draw_bptt_graph(n)
    assert isinstance(fig, Figure)
    c = gid_counts(fig)
    assert (c["node-x"], c["node-h"], c["node-y"], c["node-L"]) == (n, n + 1, n, n)
    assert c["grad-out"] == c["grad-loss"] == c["sum"] == c["grad-sum"] == n
    assert c["grad-rec"] == n - 1  # nothing arrives from after the last step
    assert c["fwd-hh"] == n


def test_gradient_path_bars_shrink_by_the_factor():
    fig = diagrams.draw_gradient_path(4, factor=0.5)
    c = gid_counts(fig)
    assert c["node-h"] == 4 and c["jacobian"] == c["grad"] == 3 and c["bar"] == 4
    bars = sorted((a for a in fig.findobj() if re.fullmatch(r"bar-\d", a.get_gid() or "")),
                  key=lambda a: a.get_gid())
    heights = [b.get_height() for b in bars]
    assert heights == pytest.approx([1.4 * 0.5 ** 3, 1.4 * 0.5 ** 2, 1.4 * 0.5, 1.4])
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert r"J_T\,J_{T-1}\cdots J_{t+1}" in texts


@pytest.mark.parametrize("k, n_chunks", [(2, 2), (4, 3), (3, 4)])
def test_tbptt_chunks_carry_the_state_and_cut_the_gradient(k, n_chunks):
    c = gid_counts(diagrams.draw_tbptt_chunks(k, n_chunks))
    assert c["chunk"] == c["update"] == n_chunks
    assert c["node-h"] == k * n_chunks + 1
    assert c["carry"] == c["cut"] == n_chunks - 1  # one per boundary between chunks
    assert c["grad"] == n_chunks * (k - 1)  # backward arrows stay inside the chunks
    assert c["fwd"] + c["carry"] == k * n_chunks  # the forward pass is never cut


def test_k1_k2_windows_have_the_right_widths():
    fig = diagrams.draw_k1_k2_windows(k1=2, k2=5, n_steps=10)
    patches = {p.get_gid(): p for p in fig.axes[0].patches if p.get_gid()}
    windows = [patches[f"window-{i}"] for i in range(1, 6)]  # updates at steps 2, 4, ..., 10
    assert "window-6" not in patches
    assert [w.get_width() for w in windows] == [2, 4, 5, 5, 5]  # k2, or what exists so far
    assert all(patches[f"new-{i}"].get_width() == 2 for i in range(1, 6))
    assert [w.get_x() + w.get_width() for w in windows] == [2, 4, 6, 8, 10]


def test_lstm_cell_has_its_gates_and_the_additive_path():
    fig = diagrams.draw_lstm_cell()
    gids = all_gids(fig)
    assert {"gate-f", "gate-i", "gate-g", "gate-o", "cell-path", "op-add", "op-forget",
            "op-write", "op-out", "node-c-prev", "node-c", "node-h-prev", "node-h",
            "node-x"} <= gids
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(r"\mathrm{diag}(f_t)" in t for t in texts)
    assert sum("sigma" in t for t in texts) == 3 and sum("tanh" in t for t in texts) >= 2


def test_gru_cell_has_its_gates_and_the_additive_path():
    gids = all_gids(diagrams.draw_gru_cell())
    assert {"gate-r", "gate-z", "gate-n", "state-path", "op-keep", "op-one-minus", "op-write",
            "op-add", "reset-to-n"} <= gids
    assert "gate-f" not in gids  # a GRU has no separate forget gate


def test_attention_step_gives_padding_no_weight_and_the_rest_weights_that_sum_to_one():
    fig = diagrams.draw_attention_step(6, n_pad=2)
    c = gid_counts(fig)
    assert (c["node-enc"], c["node-pad"], c["weight"]) == (4, 2, 4)
    assert c["enc-fwd"] == c["enc-bwd"] == 3  # the encoder never reads a PAD
    weights = [a.weight_value for a in fig.findobj() if re.fullmatch(r"weight-\d", a.get_gid() or "")]
    assert sum(weights) == pytest.approx(1.0) and max(weights) == weights[1]
    assert "mask-label" in all_gids(fig)
    assert "mask-label" not in all_gids(diagrams.draw_attention_step(3, n_pad=0))


def test_rr_intervals_ratio_is_pre_rr_over_the_mean_of_the_intervals_before():
    fig = diagrams.draw_rr_intervals(early_by=0.2, rr=1.0)
    pre = next(a for a in fig.findobj() if a.get_gid() == "rr-pre")
    assert pre.ratio == pytest.approx(0.8)
    assert {"rr-post", "rr-mean", "r-peak", "ecg"} <= all_gids(fig)


def test_grud_decay_keeps_measurements_and_slides_towards_the_mean_in_gaps():
    fig = diagrams.draw_grud_decay(gap_rate=0.3)
    line = {a.get_gid(): a for a in fig.findobj() if a.get_gid()}
    hours, x_hat = (np.asarray(v) for v in line["grud-input"].get_data())
    observed_h, observed_v = (np.asarray(v) for v in line["observed"].get_data())
    np.testing.assert_allclose(x_hat[observed_h.astype(int)], observed_v)
    measured = set(observed_h.astype(int))
    for t in range(1, len(hours)):
        if t not in measured:  # |x_hat - mean| (mean 0) shrinks through every gap
            assert abs(x_hat[t]) < abs(x_hat[t - 1])
    bars = sorted((a for a in fig.findobj() if a.get_gid() == "delta"), key=lambda bar: bar.get_x())
    deltas = [bar.get_height() for bar in bars]
    assert deltas[:4] == [0, 1, 1, 1] and deltas[9] == 7  # eq-ch07-delta: hour 9 is 7 hours after hour 2


def test_grud_decay_draws_what_the_icu_code_computes():
    fig = diagrams.draw_grud_decay(gap_rate=0.3)
    line = {a.get_gid(): a for a in fig.findobj() if a.get_gid()}
    observed_h, observed_v = (np.asarray(v) for v in line["observed"].get_data())
    mask, values = np.zeros((1, 24, 1)), np.zeros((1, 24, 1))
    mask[0, observed_h.astype(int), 0], values[0, observed_h.astype(int), 0] = 1, observed_v
    np.testing.assert_array_equal(line["forward-fill"].get_data()[1],
                                  forward_fill(values, mask, fill=0.0)[0, :, 0])
    bars = sorted((a for a in fig.findobj() if a.get_gid() == "delta"), key=lambda bar: bar.get_x())
    np.testing.assert_array_equal([bar.get_height() for bar in bars], time_since_last(mask[0])[:, 0])


@pytest.mark.parametrize("n", [2, 4, 8, 16])
def test_scan_schedule_computes_every_prefix_in_about_2_log2_T_rounds(n):
    rounds = diagrams.scan_schedule(n)
    log2 = n.bit_length() - 1
    assert len(rounds) == max(1, 2 * log2 - 1)
    assert sum(map(len, rounds)) == 2 * n - 2 - log2  # work-efficient: fewer than 2T combinations
    # run the schedule on real affine maps: it must give the loop's h_t
    rng = np.random.default_rng(n)
    a, b = rng.uniform(0.1, 1.0, n), rng.normal(size=n)
    A, B = a.copy(), b.copy()
    for combos in rounds:
        reads = [(A[left], B[left]) for left, _, _ in combos]  # a round reads before it writes
        for (a_left, b_left), (_, right, _) in zip(reads, combos):
            A[right], B[right] = A[right] * a_left, A[right] * b_left + B[right]
    h, loop = 0.0, []
    for t in range(n):
        h = a[t] * h + b[t]
        loop.append(h)
    np.testing.assert_allclose(B, loop, rtol=1e-12)


def test_scan_figure_draws_every_round_and_combination():
    fig = diagrams.draw_scan(8)
    c = gid_counts(fig)
    assert (c["loop-node"], c["loop-arrow"], c["scan-input"]) == (8, 7, 8)
    assert c["round-label"] == 5
    assert sum(v for k, v in c.items() if k.startswith("combine")) == 11


# ----------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("call, message", [
    (lambda: diagrams.draw_bptt_graph(1), "n_steps: expected an integer from 2"),
    (lambda: diagrams.draw_bptt_graph(True), "got True"),
    (lambda: diagrams.draw_bptt_graph(20), "to 8, got 20"),
    (lambda: diagrams.draw_gradient_path(4, factor=1.5), "factor: expected a number between 0 and 1"),
    (lambda: diagrams.draw_gradient_path(4, factor="0.5"), "got '0.5'"),
    (lambda: diagrams.draw_tbptt_chunks(k=1), "k: expected an integer from 2"),
    (lambda: diagrams.draw_k1_k2_windows(k1=4, k2=2), "k1 must be at most k2"),
    (lambda: diagrams.draw_attention_step(4, n_pad=4), "n_pad: expected an integer from 0 to 3, got 4"),
    (lambda: diagrams.draw_rr_intervals(early_by=0.5), "got 0.5, 0.8"),
    (lambda: diagrams.draw_grud_decay(gap_rate=0), "gap_rate: expected a decay rate per hour"),
    (lambda: diagrams.draw_scan(6), "n_steps: expected a power of two, got 6"),
])
def test_bad_arguments_say_what_was_expected(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


# ----------------------------------------------------------------------------- the pages' files
_ID = re.compile(r'id="([^"]+)"')
_COMMENT = re.compile(r"<!-- (.*?) -->", re.S)


def _svg_signature(text: str) -> tuple[list[str], list[str]]:
    """The element ids we set (gids; matplotlib's own ids are numbered) and the texts drawn."""
    ours = sorted(i for i in _ID.findall(text) if re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)+", i))
    return ours, _COMMENT.findall(text)


@pytest.mark.parametrize("relative", sorted(diagrams.PAGE_FIGURES))
def test_page_figure_file_matches_the_code(relative, tmp_path):
    committed = ROOT / relative
    assert committed.exists(), f"{relative} is missing: run `python -m rnn_course.figures`"
    fig = diagrams.PAGE_FIGURES[relative]()
    fresh = tmp_path / "fresh.svg"
    diagrams.save_svg(fig, fresh)
    ours, texts = _svg_signature(committed.read_text())
    assert ours, f"{relative}: no element ids found"
    assert (ours, texts) == _svg_signature(fresh.read_text()), (
        f"{relative} is out of date with rnn_course.figures.diagrams: run `python -m rnn_course.figures`")


def test_save_svg_is_reproducible(tmp_path):
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    diagrams.save_svg(diagrams.draw_k1_k2_windows(), a)
    diagrams.save_svg(diagrams.draw_k1_k2_windows(), b)
    assert a.read_bytes() == b.read_bytes()
    assert "<dc:date>" not in a.read_text()


_FIGURE = re.compile(r"^(`{3,}|:{3,})\{figure\}\s*(\S+)\s*\n((?::[\w-]+:.*\n)*)", re.M)


def _page_figures(page: Path) -> list[tuple[str, dict[str, str]]]:
    found = []
    for m in _FIGURE.finditer(page.read_text()):
        options = dict(re.findall(r"^:([\w-]+):\s*(.*)$", m.group(3), re.M))
        found.append((m.group(2), options))
    return found


def test_every_page_figure_is_shown_on_its_page_with_alt_text():
    shown = {}
    for page in sorted(ROOT.glob("chapters/0[1-9]_*/index.md")):
        for src, options in _page_figures(page):
            path = (page.parent / src).resolve()
            assert path.exists(), f"{page.relative_to(ROOT)}: figure {src} does not exist"
            assert len(options.get("alt", "")) > 20, f"{page.relative_to(ROOT)}: {src} needs :alt: text"
            assert options.get("name", "").startswith("fig-ch"), f"{src}: give it a :name: fig-chNN-..."
            shown[str(path.relative_to(ROOT))] = page
    missing = sorted(set(diagrams.PAGE_FIGURES) - set(shown))
    assert missing == [], f"figures drawn for the pages but shown on none: {missing}"


@pytest.mark.slow
def test_write_page_figures_writes_every_file(tmp_path):
    written = diagrams.write_page_figures(tmp_path)
    assert sorted(str(p.relative_to(tmp_path)) for p in written) == sorted(diagrams.PAGE_FIGURES)
    assert all(p.stat().st_size > 1000 for p in written)
