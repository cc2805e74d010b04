"""Encoded pairs, batches, the step-budgeted training loop and the scheduled-sampling schedule."""
from __future__ import annotations

import math

import pytest
import torch

from rnn_course.seq2seq import Seq2Seq
from rnn_course.seq2seq.training import inverse_sigmoid_decay, train_seq2seq
from rnn_course.seq2seq.vocab import EOS_ID, PAD_ID, SOS_ID, Vocab, batches, encode_pairs
from single_thread import one_thread  # noqa: F401  (autouse: one CPU thread)

WORDS = ["abc", "cab", "ba", "c", "bca", "aa"]


def _copy_setup(seed=0, **kwargs):
    vocab = Vocab.build(WORDS)
    torch.manual_seed(seed)
    return vocab, encode_pairs(WORDS, WORDS, vocab, vocab), Seq2Seq(len(vocab), len(vocab), emb_size=8,
                                                                   hidden_size=16, **kwargs)


def test_encode_pairs_shifts_targets_behind_sos_and_ends_them_with_eos():
    vocab = Vocab.build(["abc"])
    pairs = encode_pairs(["abc", "a"], ["ab", "c"], vocab, vocab)
    a, b, c = (vocab.stoi[x] for x in "abc")
    assert pairs.tgt_in.tolist() == [[SOS_ID, a, b], [SOS_ID, c, PAD_ID]]
    assert pairs.tgt_out.tolist() == [[a, b, EOS_ID], [c, EOS_ID, PAD_ID]]
    assert pairs.lengths.tolist() == [3, 1]
    with pytest.raises(ValueError, match="equal lengths"):
        encode_pairs(["a"], [], vocab, vocab)


def test_batches_cover_every_pair_once_in_a_seeded_order():
    vocab, pairs, _ = _copy_setup()
    (src, lengths, tgt_in), tgt_out = next(iter(batches(pairs, 6, shuffle=False)))
    assert torch.equal(src, pairs.src) and torch.equal(tgt_out, pairs.tgt_out)
    order = lambda seed: torch.cat([b[0][1] for b in batches(pairs, 4, seed=seed)]).tolist()  # noqa: E731
    assert sorted(order(0)) == sorted(pairs.lengths.tolist()) and order(0) == order(0)
    assert any(order(0) != order(s) for s in range(1, 5))
    with pytest.raises(ValueError, match="batch_size"):
        batches(pairs, 0)


def test_a_tiny_model_learns_to_copy():
    _, pairs, model = _copy_setup()
    history = train_seq2seq(model, pairs, steps=120, batch_size=6, lr=3e-2, progress=False)
    assert len(history.step_loss) == 120 and history.epoch_end_step[-1] == 120
    assert len(history.train_loss) == len(history.epoch_end_step) == 120
    assert history.step_loss[-1] < 0.05 * history.step_loss[0], history.step_loss[::20]
    assert not model.training  # left in eval mode, ready to decode


def test_learning_rate_warms_up_and_decays(monkeypatch):
    _, pairs, model = _copy_setup()
    seen = []
    original = torch.optim.Adam.step

    def step(self, *args, **kwargs):
        seen.append(self.param_groups[0]["lr"])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", step)
    train_seq2seq(model, pairs, steps=20, batch_size=3, lr=0.1, warmup=0.25, progress=False)
    peak = seen.index(max(seen))
    assert peak == 4 and math.isclose(max(seen), 0.1)
    assert all(a < b for a, b in zip(seen[:peak], seen[1:peak + 1]))          # warm-up
    assert all(a > b for a, b in zip(seen[peak:], seen[peak + 1:]))            # linear decay
    assert seen[-1] < 0.01


def test_teacher_forcing_schedule_sets_the_ratio_before_every_update():
    _, pairs, model = _copy_setup()
    ratios = []
    original = Seq2Seq.forward

    def forward(self, *args):
        ratios.append(self.teacher_forcing_ratio)
        return original(self, *args)

    Seq2Seq.forward = forward
    try:
        train_seq2seq(model, pairs, steps=5, batch_size=3, lr=1e-2, teacher_forcing=lambda i: 1 - i / 10,
                      progress=False)
    finally:
        Seq2Seq.forward = original
    assert ratios == [1.0, 0.9, 0.8, 0.7, 0.6]


def test_inverse_sigmoid_decay_is_bengio_et_al_schedule():
    eps = inverse_sigmoid_decay(10)
    assert math.isclose(eps(0), 10 / 11) and math.isclose(eps(30), 10 / (10 + math.exp(3)))
    values = [eps(i) for i in range(0, 200, 10)]
    assert all(a > b for a, b in zip(values, values[1:])) and values[-1] < 1e-6
    assert inverse_sigmoid_decay(1)(10 ** 9) == pytest.approx(0.0)  # no overflow
    with pytest.raises(ValueError, match="k >= 1"):
        inverse_sigmoid_decay(0.5)


def test_bad_arguments():
    _, pairs, model = _copy_setup()
    with pytest.raises(ValueError, match="steps"):
        train_seq2seq(model, pairs, steps=0, batch_size=3, lr=1e-2)
    with pytest.raises(ValueError, match="warmup"):
        train_seq2seq(model, pairs, steps=5, batch_size=3, lr=1e-2, warmup=1.0)
    with torch.no_grad():
        model.decoder.out.bias[4] = float("nan")  # the loss becomes NaN
    with pytest.raises(RuntimeError, match="smaller learning rate"):
        train_seq2seq(model, pairs, steps=5, batch_size=3, lr=1e-2, progress=False)


def test_fixed_batch_update_is_one_adam_step_on_the_first_seeded_batch():
    from rnn_course.seq2seq import fixed_batch_update, seq2seq_loss
    _, pairs, model = _copy_setup()
    _, _, twin = _copy_setup()
    model.eval()
    update = fixed_batch_update(model, pairs, batch_size=4, seed=3, lr=1e-2)
    assert model.training
    (src, lengths, tgt_in), tgt_out = next(iter(batches(pairs, 4, seed=3)))
    twin.train()
    optimizer = torch.optim.Adam(twin.parameters(), lr=1e-2)
    for _ in range(2):  # the optimiser's state carries over between calls
        update()
        loss = seq2seq_loss(twin(src, lengths, tgt_in), tgt_out)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    for a, b in zip(model.parameters(), twin.parameters()):
        assert torch.equal(a, b)


def test_fixed_batch_update_bad_arguments():
    from rnn_course.seq2seq import fixed_batch_update
    _, pairs, model = _copy_setup()
    with pytest.raises(TypeError, match="Pairs"):
        fixed_batch_update(model, tuple(pairs), batch_size=4)
    with pytest.raises(ValueError, match="at least one pair"):
        fixed_batch_update(model, type(pairs)(*(t[:0] for t in pairs)), batch_size=4)
    with pytest.raises(ValueError, match="lr"):
        fixed_batch_update(model, pairs, batch_size=4, lr=0.0)
    with pytest.raises(ValueError, match="batch_size"):
        fixed_batch_update(model, pairs, batch_size=0)
