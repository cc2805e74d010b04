"""rnn_course.figures.plots: every helper draws what it promises and rejects bad input clearly."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from rnn_course.figures import plots  # noqa: E402
from rnn_course.training import History  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def gids(ax: Axes, prefix: str) -> list[str]:
    return [p.get_gid() for p in ax.patches if (p.get_gid() or "").startswith(prefix)]


# ----------------------------------------------------------------------------- plot_signal
def test_signal_one_lead_with_beats_and_symbols():
    x = np.sin(np.linspace(0, 20, 720)).astype(np.float32)
    ax = plots.plot_signal(x, 360, beats=[10, 370, 700], symbols=["N", "V", "N"], title="strip")
    assert isinstance(ax, Axes)
    assert len(ax.lines) == 2  # the lead and the beat markers
    assert [t.get_text() for t in ax.texts] == ["N", "V", "N"]
    assert ax.get_xlabel() == "time (s)" and ax.get_title() == "strip"
    t, _ = ax.lines[0].get_data()
    assert t[-1] == pytest.approx(719 / 360)  # time axis in seconds
    markers_t, _ = ax.lines[1].get_data()
    assert np.allclose(markers_t, np.array([10, 370, 700]) / 360)


def test_signal_two_leads_tensor_on_given_axes():
    _, ax = plt.subplots()
    out = plots.plot_signal(torch.randn(500, 2), 250.0, ax=ax, lead_names=["MLII", "V5"])
    assert out is ax and len(ax.lines) == 2 and not ax.texts
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["MLII", "V5"]


@pytest.mark.parametrize("kwargs,match", [
    (dict(signal=np.zeros((2, 500))), r"more leads than samples.*transposed"),
    (dict(signal=np.zeros((4, 5, 6))), r"expected shape \(n_samples,\) or \(n_samples, n_leads\), got \(4, 5, 6\)"),
    (dict(signal=np.zeros(1)), "at least 2 samples"),
    (dict(fs=0), "positive sampling rate"),
    (dict(fs=-360), "positive sampling rate"),
    (dict(fs="360"), "positive sampling rate"),
    (dict(beats=[5, 2000]), r"in \[0, 1000\).*got \[2000\]"),
    (dict(beats=[-1]), r"in \[0, 1000\)"),
    (dict(beats=[1.5, 3.0]), "integer sample indices"),
    (dict(beats=[5, 10], symbols=["N"]), r"one symbol per beat \(2\), got 1"),
    (dict(symbols=["N"]), "without beats"),
    (dict(lead_names=["MLII", "V1"]), "expected 1 names"),
])
def test_signal_bad_inputs(kwargs, match):
    args = dict(signal=np.zeros(1000), fs=360)
    args.update(kwargs)
    signal, fs = args.pop("signal"), args.pop("fs")
    with pytest.raises(ValueError, match=match):
        plots.plot_signal(signal, fs, **args)


def test_signal_rejects_non_numbers_and_non_axes():
    with pytest.raises(TypeError, match="expected numbers"):
        plots.plot_signal(np.array(["a", "b"]), 360)
    with pytest.raises(TypeError, match="matplotlib Axes"):
        plots.plot_signal(np.zeros(10), 360, ax="left")


# ----------------------------------------------------------------------------- training curves
def make_history(epochs=3, steps=4, val=True):
    h = History()
    h.step_loss = list(np.linspace(1.0, 0.2, epochs * steps))
    h.grad_norm = list(np.linspace(5.0, 0.5, epochs * steps))
    h.train_loss = [float(np.mean(h.step_loss[i * steps:(i + 1) * steps])) for i in range(epochs)]
    h.val_loss = [v + 0.05 for v in h.train_loss] if val else []
    return h


def test_history_curves():
    ax = plots.plot_history(make_history(), log=True)
    assert len(ax.lines) == 3 and ax.get_yscale() == "log"
    x_epoch, _ = ax.lines[1].get_data()
    assert list(x_epoch) == [4, 8, 12]  # epoch means sit at the last step of each epoch
    assert len(plots.plot_history(make_history(val=False)).lines) == 2


def test_history_diverged_is_flagged():
    h = make_history()
    h.diverged = True
    assert "diverged" in plots.plot_history(h).get_title()


def test_grad_norm_with_clip_line():
    ax = plots.plot_grad_norm(make_history(), clip=1.0)
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    assert len(plots.plot_grad_norm(make_history(), log=False).lines) == 1


def test_history_bad_inputs():
    with pytest.raises(TypeError, match=r"History.*without step_loss"):
        plots.plot_history({"step_loss": [1.0]})
    with pytest.raises(ValueError, match="did fit\\(\\) run"):
        plots.plot_history(History())
    h = make_history()
    h.step_loss[0] = 0.0
    with pytest.raises(ValueError, match="positive losses"):
        plots.plot_history(h, log=True)
    with pytest.raises(ValueError, match="grad_norm is empty"):
        plots.plot_grad_norm(History())
    with pytest.raises(ValueError, match="positive clipping threshold"):
        plots.plot_grad_norm(make_history(), clip=0)


def test_plot_history_puts_epoch_points_where_epochs_ended():
    # epochs of 3 and 5 steps, then a third that diverged after 1 step
    h = History(step_loss=[1.0] * 8 + [float("nan")], train_loss=[1.0, 0.5], epoch_end_step=[3, 8], diverged=True)
    ax = plots.plot_history(h)
    epoch_line = [line for line in ax.get_lines() if line.get_label() == "train loss (epoch mean)"][0]
    assert list(epoch_line.get_xdata()) == [3, 8]  # guessing from counts would say [4, 8]
    plt.close(ax.figure)


def test_plot_history_shows_a_run_that_diverged_in_its_first_epoch():
    h = History(step_loss=[1.78, float("nan")], diverged=True)
    ax = plots.plot_history(h)
    assert "diverged" in ax.get_title()
    plt.close(ax.figure)


def test_fit_records_where_each_epoch_ends():
    from rnn_course.training import fit

    x, y = torch.randn(10, 3), torch.randn(10, 1)
    loader = [(x[:4], y[:4]), (x[4:8], y[4:8]), (x[8:], y[8:])]
    h = fit(torch.nn.Linear(3, 1), loader, torch.nn.functional.mse_loss, epochs=2, device="cpu", progress=False)
    assert h.epoch_end_step == [3, 6]


# ----------------------------------------------------------------------------- plot_epoch_loss
def test_epoch_loss_draws_one_line_per_run_against_the_epoch():
    runs = {"short": History(train_loss=[0.3, 0.2, 0.1]), "long": History(train_loss=[0.2, 0.18])}
    ax = plots.plot_epoch_loss(runs, chance=1 / 6, chance_label="chance level 1/6")
    assert [line.get_label() for line in ax.lines] == ["short", "long", "chance level 1/6"]
    x, y = ax.lines[0].get_data()
    assert list(x) == [1, 2, 3] and list(y) == [0.3, 0.2, 0.1]
    assert list(ax.lines[2].get_ydata()) == [1 / 6, 1 / 6] and ax.get_xlabel() == "epoch"
    assert len(plots.plot_epoch_loss({"a": History(train_loss=[1.0])}).lines) == 1  # no chance line


@pytest.mark.parametrize("bad, error", [({}, ValueError), ([History()], ValueError), ({"a": object()}, TypeError)])
def test_epoch_loss_bad_inputs(bad, error):
    with pytest.raises(error, match="histor"):
        plots.plot_epoch_loss(bad)
