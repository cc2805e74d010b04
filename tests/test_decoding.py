"""Greedy and beam search: beam width 1 is greedy, beam never scores below greedy on real models,
the reported log-probabilities are the model's, decoding stops at EOS, length normalisation works."""
from __future__ import annotations

import itertools
import math

import pytest
import torch

from rnn_course.seq2seq.decoding import beam_search, greedy_decode, sequence_log_prob, translate
from rnn_course.seq2seq import Memory, Seq2Seq
from rnn_course.seq2seq.vocab import EOS_ID, PAD_ID, SOS_ID, Vocab
from single_thread import one_thread  # noqa: F401  (autouse: one CPU thread)


def _random_model(seed, attention="general", placement="luong"):
    """A small untrained model with peaky outputs and a likely EOS, so sequences end and differ."""
    torch.manual_seed(seed)
    model = Seq2Seq(9, 7, emb_size=4, hidden_size=5, attention=attention, placement=placement).double().eval()
    with torch.no_grad():
        model.decoder.out.weight.mul_(4.0)
        model.decoder.out.bias[EOS_ID] += 1.5
    return model


def _sources(seed, n=100, S=6):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, S + 1, (n,), generator=g)
    src = torch.randint(4, 9, (n, S), generator=g)
    src[torch.arange(S) >= lengths[:, None]] = PAD_ID
    return src, lengths


class TreeModel:
    """A stand-in model whose next-token log-probabilities are a table keyed by the prefix."""

    V = 7  # PAD, SOS, EOS, UNK, a, b, c

    def __init__(self, table: dict[str, dict[str, float]]):
        self.table, self.steps = table, 0

    def eval(self):
        return self

    def encode(self, src, lengths):
        zeros = torch.zeros(src.shape[0], 1, 1, dtype=torch.float64)
        return Memory(zeros, zeros[:, 0], None)

    def start(self, memory):
        return torch.zeros(1, memory.final.shape[0], 1, dtype=torch.float64)  # prefix code 0 = empty

    def _prefix(self, code: int) -> str:
        letters = ""
        while code:
            code, digit = divmod(code, self.V + 1)
            letters = "?!E?abc"[digit - 1] + letters if digit else letters
        return letters

    def step(self, tokens, state, memory):
        self.steps += 1
        codes = (state[0, :, 0].long() * (self.V + 1) + tokens + 1) * (tokens != SOS_ID)
        rows = []
        for code in codes.tolist():
            probs = self.table.get(self._prefix(code), {"E": 1.0})
            row = torch.full((self.V,), -math.inf, dtype=torch.float64)
            for letter, p in probs.items():
                row["??E?abc".index(letter)] = math.log(p)
            rows.append(row)
        return torch.stack(rows), codes.double()[None, :, None], None


def _letters(tokens):
    return ["".join("??E?abc"[t] for t in row if t != PAD_ID) for row in tokens.tolist()]


@pytest.mark.parametrize("attention,placement", [("general", "luong"), ("additive", "bahdanau"), (None, "luong")])
def test_beam_width_one_is_greedy(attention, placement):
    for seed in range(3):
        model = _random_model(seed, attention, placement)
        src, lengths = _sources(seed)
        greedy = greedy_decode(model, src, lengths, max_len=10)
        beam = beam_search(model, src, lengths, beam_width=1, max_len=10)
        assert torch.equal(beam.tokens, greedy.tokens)
        assert torch.allclose(beam.log_prob, greedy.log_prob, atol=1e-12)


def test_beam_never_scores_below_greedy_on_many_inputs():
    compared = improved = 0
    for seed in range(10):
        model = _random_model(seed)
        src, lengths = _sources(seed)
        greedy = greedy_decode(model, src, lengths, max_len=12)
        finished = (greedy.tokens == EOS_ID).any(dim=1)
        for width in (2, 3, 5):
            beam = beam_search(model, src, lengths, beam_width=width, max_len=12)
            assert (beam.log_prob[finished] >= greedy.log_prob[finished] - 1e-12).all()
            compared += int(finished.sum())
            improved += int((beam.log_prob > greedy.log_prob + 1e-6).sum())
    print(compared, improved)
    assert compared > 2500 and improved > 0.05 * compared  # the inputs are ones where beam search matters


def test_reported_log_probs_are_the_models():
    model = _random_model(0)
    src, lengths = _sources(0)
    for out in (greedy_decode(model, src, lengths, max_len=12),
                beam_search(model, src, lengths, beam_width=4, max_len=12)):
        finished = (out.tokens == EOS_ID).any(dim=1)
        assert torch.allclose(out.log_prob[finished],
                              sequence_log_prob(model, src, lengths, out.tokens)[finished], atol=1e-10)


def test_wide_beam_finds_the_most_likely_sequence():
    model = _random_model(4)
    src, lengths = _sources(4, n=5)
    L = 3
    every = []  # all sequences of at most L tokens that end in EOS
    for n in range(L):
        for body in itertools.product(range(4, 7), repeat=n):
            every.append(list(body) + [EOS_ID] + [PAD_ID] * (L - 1 - n))
    every = torch.tensor(every)
    best = torch.stack([sequence_log_prob(model, src[i:i + 1].expand(len(every), -1),
                                          lengths[i:i + 1].expand(len(every)), every).max() for i in range(5)])
    beam = beam_search(model, src, lengths, beam_width=len(every), max_len=L)
    ended = (beam.tokens == EOS_ID).any(dim=1)
    assert ended.all() and torch.allclose(beam.log_prob, best, atol=1e-10)


def test_plain_beam_can_prune_the_greedy_path_and_keep_greedy_fixes_it():
    table = {"": {"a": 0.36, "b": 0.34, "c": 0.30},
             "a": {"a": 0.28, "b": 0.24, "c": 0.24, "E": 0.24}, "aa": {"E": 1.0},
             "b": {"b": 0.5, "c": 0.5}, "bb": {"E": 0.55, "a": 0.45}, "bc": {"E": 0.52, "a": 0.48},
             "c": {"E": 1.0}}
    src, lengths = torch.ones(1, 1, dtype=torch.int64), torch.ones(1, dtype=torch.int64)
    greedy = greedy_decode(TreeModel(table), src, lengths, max_len=4)
    assert _letters(greedy.tokens) == ["aaE"]                      # probability 0.36 * 0.28 = 0.1008
    plain = beam_search(TreeModel(table), src, lengths, beam_width=2, max_len=4)
    assert _letters(plain.tokens) == ["bbE"] and plain.log_prob < greedy.log_prob  # 0.0935: "aa" was pruned
    safe = beam_search(TreeModel(table), src, lengths, beam_width=2, max_len=4, keep_greedy=True)
    assert _letters(safe.tokens) == ["aaE"] and torch.allclose(safe.log_prob, greedy.log_prob)
    wide = beam_search(TreeModel(table), src, lengths, beam_width=3, max_len=4)
    assert _letters(wide.tokens) == ["cE"] and wide.log_prob > greedy.log_prob  # "c" then EOS: 0.30


def test_decoding_stops_at_eos():
    table = {"": {"a": 0.9, "b": 0.1}, "a": {"b": 0.8, "E": 0.2}, "ab": {"E": 0.7, "c": 0.3},
             "b": {"E": 1.0}, "abc": {"E": 1.0}}
    src, lengths = torch.ones(2, 1, dtype=torch.int64), torch.ones(2, dtype=torch.int64)
    model = TreeModel(table)
    out = greedy_decode(model, src, lengths, max_len=50)
    assert _letters(out.tokens) == ["abE", "abE"] and out.tokens.shape == (2, 3) and model.steps == 3
    model = TreeModel(table)
    out = beam_search(model, src, lengths, beam_width=3, max_len=50)
    assert _letters(out.tokens) == ["abE", "abE"] and model.steps <= 4  # stops once all beams have ended
    assert torch.allclose(out.log_prob, torch.tensor(math.log(0.9 * 0.8 * 0.7), dtype=torch.float64))
    real = _random_model(1)
    src, lengths = _sources(1)
    tokens = greedy_decode(real, src, lengths, max_len=12).tokens
    after_eos = (tokens == EOS_ID).long().cumsum(1) - (tokens == EOS_ID).long() > 0
    assert (tokens[after_eos] == PAD_ID).all() and ((tokens == EOS_ID).sum(1) <= 1).all()


def test_length_penalty_favours_longer_sequences():
    table = {"": {"a": 0.5, "b": 0.5}, "a": {"E": 0.6, "a": 0.4}, "b": {"b": 1.0}, "bb": {"b": 0.8, "E": 0.2},
             "bbb": {"E": 0.8 ** 2, "a": 1 - 0.8 ** 2}}
    src, lengths = torch.ones(1, 1, dtype=torch.int64), torch.ones(1, dtype=torch.int64)
    plain = beam_search(TreeModel(table), src, lengths, beam_width=3, max_len=6)
    normalised = beam_search(TreeModel(table), src, lengths, beam_width=3, max_len=6, length_penalty=1.0)
    assert _letters(plain.tokens) == ["aE"] and _letters(normalised.tokens) == ["bbbE"]
    assert normalised.log_prob < plain.log_prob  # a lower log-probability, a higher per-token average


def test_translate_returns_strings_and_cut_attention():
    vocab = Vocab.build(["abcdef"])
    torch.manual_seed(0)
    model = Seq2Seq(len(vocab), len(vocab), emb_size=4, hidden_size=5).eval()
    out = translate(model, ["abc", "d", "ef"], vocab, vocab, max_len=6, batch_size=2)
    assert len(out.texts) == 3 and out.log_prob.shape == (3,)
    assert [w.shape[1] for w in out.weights] == [3, 1, 2]
    assert all(torch.allclose(w.sum(1), torch.ones(w.shape[0])) for w in out.weights)
    beam = translate(model, ["abc", "d", "ef"], vocab, vocab, max_len=6, beam_width=3)
    assert beam.weights is None and (beam.log_prob >= out.log_prob - 1e-5).all()


def test_bad_input():
    model = _random_model(0)
    src, lengths = _sources(0, n=3)
    with pytest.raises(ValueError, match="max_len"):
        greedy_decode(model, src, lengths, max_len=0)
    with pytest.raises(ValueError, match="beam_width"):
        beam_search(model, src, lengths, beam_width=0, max_len=5)
    with pytest.raises(ValueError, match="length_penalty"):
        beam_search(model, src, lengths, beam_width=2, max_len=5, length_penalty=-1)
    with pytest.raises(ValueError, match="lengths"):
        greedy_decode(model, src, lengths[:2], max_len=5)
    with pytest.raises(TypeError, match="list of strings"):
        translate(model, "abc", Vocab.build(["abc"]), Vocab.build(["abc"]), max_len=3)
