"""The shared many-to-one model, rnn_course.recurrent.LastStep."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from rnn_course.recurrent import LastStep


@pytest.mark.parametrize("cell, layer", [("rnn", nn.RNN), ("GRU", nn.GRU), ("lstm", nn.LSTM)])
def test_shapes_and_layers(cell, layer):
    model = LastStep(n_in=3, n_out=2, hidden=8, cell=cell)
    assert type(model.rnn) is layer and model.rnn.hidden_size == 8 and model.rnn.batch_first
    assert model(torch.randn(4, 7, 3)).shape == (4, 2)


def test_reads_out_the_last_step_only():
    model = LastStep(n_in=2, n_out=1, hidden=4)
    x = torch.randn(3, 6, 2)
    out, _ = model.rnn(x)
    assert torch.equal(model(x), model.head(out[:, -1]))


@pytest.mark.parametrize("cell, nonlinearity", [("rnn", "relu"), ("gru", "tanh"), ("lstm", "tanh")])
def test_same_weights_as_the_layers_written_by_hand(cell, nonlinearity):
    torch.manual_seed(0)
    ours = LastStep(n_in=2, n_out=1, hidden=5, cell=cell, nonlinearity=nonlinearity)
    torch.manual_seed(0)
    layer = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[cell]
    options = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    by_hand = [layer(2, 5, batch_first=True, **options), nn.Linear(5, 1)]
    hand = [p for m in by_hand for p in m.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(ours.parameters(), hand, strict=True))
    assert ours.rnn.nonlinearity == nonlinearity if cell == "rnn" else True


@pytest.mark.parametrize("kwargs, match", [
    ({"cell": "transformer"}, r"cell: expected one of rnn, gru, lstm, got 'transformer'"),
    ({"nonlinearity": "sigmoid"}, r"nonlinearity: expected 'tanh' or 'relu', got 'sigmoid'"),
    ({"cell": "gru", "nonlinearity": "relu"}, r"only cell='rnn' takes one"),
    ({"hidden": 0}, r"hidden: expected a positive int"),
    ({"n_in": 2.0}, r"n_in: expected a positive int"),
])
def test_bad_arguments_are_named(kwargs, match):
    args = {"n_in": 2, "n_out": 1, **kwargs}
    with pytest.raises(ValueError, match=match):
        LastStep(**args)


def test_input_without_a_time_axis_is_named():
    with pytest.raises(ValueError, match="x"):
        LastStep(n_in=2, n_out=1)(torch.randn(4, 2))
