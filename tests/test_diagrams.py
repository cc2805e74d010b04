"""rnn_course.diagrams: each diagram draws what it promises on the Agg backend, rejects bad
arguments clearly, and the SVG files the pages show are the ones the code draws today."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from rnn_course import diagrams  # noqa: E402

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


# ----------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("call, message", [
    (lambda: diagrams.draw_bptt_graph(1), "n_steps: expected an integer from 2"),
    (lambda: diagrams.draw_bptt_graph(True), "got True"),
    (lambda: diagrams.draw_bptt_graph(20), "to 8, got 20"),
    (lambda: diagrams.draw_gradient_path(4, factor=1.5), "factor: expected a number between 0 and 1"),
    (lambda: diagrams.draw_gradient_path(4, factor="0.5"), "got '0.5'"),
    (lambda: diagrams.draw_tbptt_chunks(k=1), "k: expected an integer from 2"),
    (lambda: diagrams.draw_k1_k2_windows(k1=4, k2=2), "k1 must be at most k2"),
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
    assert committed.exists(), f"{relative} is missing: run `python -m rnn_course.diagrams`"
    fig = diagrams.PAGE_FIGURES[relative]()
    fresh = tmp_path / "fresh.svg"
    diagrams.save_svg(fig, fresh)
    ours, texts = _svg_signature(committed.read_text())
    assert ours, f"{relative}: no element ids found"
    assert (ours, texts) == _svg_signature(fresh.read_text()), (
        f"{relative} is out of date with rnn_course.diagrams: run `python -m rnn_course.diagrams`")


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
    for page in sorted(ROOT.glob("chapters/0[1-5]_*/index.md")):
        for src, options in _page_figures(page):
            path = (page.parent / src).resolve()
            assert path.exists(), f"{page.relative_to(ROOT)}: figure {src} does not exist"
            assert len(options.get("alt", "")) > 20, f"{page.relative_to(ROOT)}: {src} needs :alt: text"
            assert options.get("name", "").startswith("fig-ch"), f"{src}: give it a :name: fig-chNN-..."
            shown[str(path.relative_to(ROOT))] = page
    missing = sorted(set(diagrams.PAGE_FIGURES) - set(shown))
    assert missing == [], f"figures drawn for the pages but shown on none: {missing}"


def test_write_page_figures_writes_every_file(tmp_path):
    written = diagrams.write_page_figures(tmp_path)
    assert sorted(str(p.relative_to(tmp_path)) for p in written) == sorted(diagrams.PAGE_FIGURES)
    assert all(p.stat().st_size > 1000 for p in written)
