"""Encoder–decoder models: packing keeps padding out, the mask keeps it out of attention, the loss
ignores PAD, step-by-step decoding equals the teacher-forced pass, teacher forcing ratio works."""
from __future__ import annotations

import pytest
import torch

from rnn_course.seq2seq import Memory, Seq2Seq, count_parameters, seq2seq_loss
from rnn_course.seq2seq.vocab import EOS_ID, PAD_ID, SOS_ID, Vocab, encode_pairs
from single_thread import one_thread  # noqa: F401  (autouse: one CPU thread)



CONFIGS = [("general", "luong"), ("dot", "luong"), ("additive", "luong"), (None, "luong"),
           ("additive", "bahdanau"), (None, "bahdanau")]


def _model(attention="general", placement="luong", seed=0, **kw):
    torch.manual_seed(seed)
    return Seq2Seq(9, 7, emb_size=4, hidden_size=5, attention=attention, placement=placement, **kw).double().eval()


def _batch(seed=0, batch=4, S=6, T=5):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([S, 4, 2, 1])[:batch]
    src = torch.randint(4, 9, (batch, S), generator=g)
    src[torch.arange(S) >= lengths[:, None]] = PAD_ID
    tgt_in = torch.randint(4, 7, (batch, T), generator=g)
    tgt_in[:, 0] = SOS_ID
    return src, lengths, tgt_in


@pytest.mark.parametrize("attention,placement", CONFIGS)
def test_changing_padded_positions_changes_nothing(attention, placement):
    model = _model(attention, placement)
    src, lengths, tgt_in = _batch()
    logits = model(src, lengths, tgt_in)
    garbage = src.clone()
    garbage[torch.arange(6) >= lengths[:, None]] = 5                      # real tokens where PAD was
    wider = torch.cat([src, torch.full((4, 9), PAD_ID)], dim=1)           # more padding, as in a batch with a long note
    assert torch.equal(model(garbage, lengths, tgt_in), logits)
    assert torch.allclose(model(wider, lengths, tgt_in), logits, atol=1e-12, rtol=0)


def test_the_mask_is_what_keeps_padding_out_of_attention():
    model = _model("general")
    src, lengths, tgt_in = _batch()
    wider = torch.cat([src, torch.full((4, 9), PAD_ID)], dim=1)
    model.use_source_mask = False
    assert not torch.allclose(model(wider, lengths, tgt_in), model(src, lengths, tgt_in), atol=1e-6)
    model.use_source_mask = True
    memory = model.encode(wider, lengths)
    assert memory.mask.sum(1).tolist() == lengths.tolist()
    model.encoder.pack = False  # the GRU now reads the padding: the mask alone cannot help
    assert not torch.allclose(model(wider, lengths, tgt_in), model(src, lengths, tgt_in), atol=1e-6)


def test_packed_encoder_final_state_is_each_sequence_read_alone():
    model = _model()
    src, lengths, _ = _batch()
    memory = model.encode(src, lengths)
    for n, length in enumerate(lengths.tolist()):
        alone = model.encode(src[n:n + 1, :length], lengths[n:n + 1])
        assert torch.allclose(memory.final[n], alone.final[0], atol=1e-12)
        assert torch.allclose(memory.outputs[n, :length], alone.outputs[0], atol=1e-12)
        assert (memory.outputs[n, length:] == 0).all()


@pytest.mark.parametrize("attention,placement", CONFIGS)
def test_step_by_step_equals_the_teacher_forced_pass(attention, placement):
    model = _model(attention, placement)
    src, lengths, tgt_in = _batch()
    full = torch.log_softmax(model(src, lengths, tgt_in), dim=-1)
    memory = model.encode(src, lengths)
    state = model.start(memory)
    for t in range(tgt_in.shape[1]):
        log_probs, state, weights = model.step(tgt_in[:, t], state, memory)
        assert torch.allclose(log_probs, full[:, t], atol=1e-12)
        assert (weights is None) == (attention is None)


def test_without_attention_the_decoder_reads_only_the_final_states():
    model = _model(None)
    src, lengths, tgt_in = _batch()
    memory = model.encode(src, lengths)
    scrambled = Memory(torch.randn_like(memory.outputs), memory.final, memory.mask)
    state = model.start(memory)
    assert torch.equal(model.decoder(tgt_in, state, memory)[0], model.decoder(tgt_in, state, scrambled)[0])


def test_feed_context_is_the_cho_decoder_run_in_one_call():
    """Context in every step's input and at the output: the same function as Bahdanau's
    placement without attention (a GRUCell loop), given the same weights."""
    cho = _model(None, feed_context=True)
    loop = _model(None, "bahdanau", seed=1)
    weights = {k.replace("rnn.weight_ih_l0", "rnn.weight_ih").replace("rnn.weight_hh_l0", "rnn.weight_hh")
               .replace("rnn.bias_ih_l0", "rnn.bias_ih").replace("rnn.bias_hh_l0", "rnn.bias_hh")
               if k.startswith("decoder") else k: v for k, v in cho.state_dict().items()}
    loop.load_state_dict(weights)
    src, lengths, tgt_in = _batch()
    assert cho.decoder.rnn.input_size == 4 + 10                      # E y and kappa
    assert torch.allclose(cho(src, lengths, tgt_in), loop(src, lengths, tgt_in), atol=1e-12)
    assert not torch.allclose(cho(src, lengths, tgt_in), _model(None)(src, lengths, tgt_in))
    memory = cho.encode(src, lengths)
    state, full = cho.start(memory), torch.log_softmax(cho(src, lengths, tgt_in), dim=-1)
    for t in range(tgt_in.shape[1]):                                 # decoding step by step
        log_probs, state, _ = cho.step(tgt_in[:, t], state, memory)
        assert torch.allclose(log_probs, full[:, t], atol=1e-12)
    garbage = src.clone()
    garbage[torch.arange(6) >= lengths[:, None]] = 5
    assert torch.equal(cho(garbage, lengths, tgt_in), cho(src, lengths, tgt_in))


def test_feed_context_only_for_the_fixed_context_in_luongs_placement():
    with pytest.raises(ValueError, match="feed_context: expected it only without attention"):
        Seq2Seq(5, 5, attention="general", feed_context=True)
    with pytest.raises(ValueError, match="feed_context: expected placement='luong'"):
        Seq2Seq(5, 5, attention=None, placement="bahdanau", feed_context=True)


def test_ratio_zero_feeds_back_the_models_own_tokens():
    model = _model()
    src, lengths, tgt_in = _batch()
    model.train()
    model.teacher_forcing_ratio = 0.0
    free = model(src, lengths, tgt_in)                       # training mode, own argmax fed back
    own = torch.cat([tgt_in[:, :1], free.argmax(-1)[:, :-1]], dim=1)
    model.eval()
    assert torch.allclose(model(src, lengths, own), free, atol=1e-12)  # = teacher forcing on its own tokens
    assert not torch.allclose(model(src, lengths, tgt_in), free)


def test_scheduled_sampling_mixes_true_and_own_tokens():
    model = _model(teacher_forcing_ratio=0.5, sample_inputs=True)
    src, lengths, tgt_in = _batch()
    model.train()
    torch.manual_seed(1)
    a = model(src, lengths, tgt_in)
    torch.manual_seed(1)
    assert torch.equal(a, model(src, lengths, tgt_in))      # seeded
    assert a.shape == (4, 5, 7) and a.requires_grad


def test_loss_ignores_pad_targets():
    logits = torch.randn(2, 3, 5, dtype=torch.float64)
    tgt_out = torch.tensor([[4, EOS_ID, PAD_ID], [4, 4, EOS_ID]])
    changed = logits.clone()
    changed[0, 2] = 100.0
    assert torch.equal(seq2seq_loss(logits, tgt_out), seq2seq_loss(changed, tgt_out))
    real = tgt_out != PAD_ID
    manual = -torch.log_softmax(logits, -1).gather(-1, tgt_out[..., None])[..., 0][real].mean()
    assert torch.allclose(seq2seq_loss(logits, tgt_out), manual)


def test_decoder_size_defaults_to_the_encoder_output_size():
    assert Seq2Seq(5, 5, hidden_size=6).decoder.rnn.hidden_size == 12
    small = Seq2Seq(5, 5, hidden_size=6, decoder_size=7, attention="general").double().eval()
    src, lengths, tgt_in = _batch()
    src = src.clamp(max=4)
    assert small(src, lengths, tgt_in.clamp(max=4)).shape == (4, 5, 5)
    with pytest.raises(ValueError, match="query_size == key_size"):
        Seq2Seq(5, 5, hidden_size=6, decoder_size=7, attention="dot")
    with pytest.raises(ValueError, match="decoder_size"):
        Seq2Seq(5, 5, decoder_size=0)


def test_parameter_count_and_sizes():
    model = Seq2Seq(20, 10, emb_size=8, hidden_size=6, attention=None)
    with_attention = Seq2Seq(20, 10, emb_size=8, hidden_size=6, attention="general")
    assert count_parameters(with_attention) - count_parameters(model) == 12 * 12  # only W of the score
    assert model.decoder.rnn.hidden_size == 12


def test_bad_input_gets_a_clear_error():
    model = _model()
    src, lengths, tgt_in = _batch()
    with pytest.raises(ValueError, match="lengths"):
        model(src, torch.tensor([6, 4, 2, 0]), tgt_in)
    with pytest.raises(ValueError, match="lengths"):
        model(src, torch.tensor([7, 4, 2, 1]), tgt_in)
    with pytest.raises(TypeError, match="int64"):
        model(src.float(), lengths, tgt_in)
    with pytest.raises(ValueError, match="tgt_in"):
        model(src, lengths, tgt_in[:3])
    with pytest.raises(ValueError, match="placement"):
        Seq2Seq(5, 5, placement="sideways")
    with pytest.raises(ValueError, match="hidden_size"):
        Seq2Seq(5, 5, hidden_size=0)
    with pytest.raises(ValueError, match="equal lengths"):
        encode_pairs(["a"], [], Vocab.build(["a"]), Vocab.build(["a"]))
