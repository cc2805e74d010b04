"""Encoder–decoder (sequence-to-sequence) models, with attention or without.

Shapes: ``src (batch, S)`` int64 padded with ``PAD_ID`` and ``lengths (batch,)`` int64 (the true
source lengths); ``tgt_in (batch, T)`` the decoder's inputs (``SOS``, y_1, ..., y_{T-1}) and
``tgt_out (batch, T)`` its targets (y_1, ..., y_{T-1}, ``EOS``), both padded with ``PAD_ID``.

- :class:`Encoder`: an embedding and a bidirectional GRU over the *packed* batch, so the padding
  never enters a state: the final state of each direction is taken at the sequence's own end.
  (``encoder.pack = False`` and ``model.use_source_mask = False`` exist only to show what goes
  wrong without packing and masking.)
- :class:`LuongDecoder`: a GRU, then attention from its new state ``h_t`` (Luong et al. 2015,
  global attention without input feeding). Teacher-forced training runs every target step in
  one fused ``nn.GRU`` call.
- :class:`BahdanauDecoder`: attention from the previous state ``h_{t-1}``, and the context fed
  into the GRU (Bahdanau et al. 2015). The recurrence needs the context, so even teacher-forced
  training must loop over the target steps in Python.
- :class:`Seq2Seq` joins an encoder and a decoder, with any score of
  :mod:`rnn_course.seq2seq.attention` or none. Without attention the decoder gets one fixed context,
  the encoder's final states ``kappa``, at its start and at every output: the same code with the
  attention switched off. With ``feed_context=True`` it also reads ``kappa`` in the GRU's input at
  every step, as the decoder of Cho et al. 2014 (``placement="bahdanau"`` without attention
  computes the same function one step at a time).

Teacher forcing: during training, the decoder's input at each step is the true previous token
with probability ``teacher_forcing_ratio`` and otherwise the model's own previous prediction
(decided per step and sequence, as in scheduled sampling, Bengio et al. 2015, which lowers the
ratio during training). A ratio below 1 forces step-by-step decoding in training.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .attention import Attention
from ..training import count_parameters  # noqa: F401  (re-exported: the chapter 6 labs import it from here)
from ..validation import expect_dtype, expect_int, expect_ndim, expect_shape
from .vocab import PAD_ID

PLACEMENTS = ("luong", "bahdanau")


class Memory(NamedTuple):
    """What the decoder reads: ``outputs (batch, S, M)`` (zero at padded positions), ``final
    (batch, M)`` (the last real step of each direction) and ``mask (batch, S)`` (True on real
    positions; ``None`` when the source mask is switched off)."""

    outputs: torch.Tensor
    final: torch.Tensor
    mask: torch.Tensor | None

    def select(self, index: torch.Tensor) -> "Memory":
        """The rows ``index`` (e.g. each row repeated once per beam)."""
        return Memory(self.outputs.index_select(0, index), self.final.index_select(0, index),
                      None if self.mask is None else self.mask.index_select(0, index))


class Encoder(nn.Module):
    """Embedding + bidirectional GRU over a packed batch: ``(src, lengths) -> Memory``, ``M = 2H``."""

    def __init__(self, vocab_size: int, emb_size: int, hidden_size: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_size, padding_idx=PAD_ID)
        self.rnn = nn.GRU(emb_size, hidden_size, batch_first=True, bidirectional=True)
        self.output_size = 2 * hidden_size
        self.pack = True  # switch off only to see what goes wrong without packing

    def forward(self, src: torch.Tensor, lengths: torch.Tensor) -> Memory:
        embedded = self.embedding(src)
        if self.pack:
            packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
            outputs, h_n = self.rnn(packed)  # h_n (2, batch, H): each direction at its own last real step
            outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=src.shape[1])
        else:  # the GRU reads the padding: the backward direction even starts on it
            outputs, h_n = self.rnn(embedded)
        mask = torch.arange(src.shape[1], device=src.device) < lengths.to(src.device)[:, None]
        return Memory(outputs, torch.cat([h_n[0], h_n[1]], dim=-1), mask)


class _Decoder(nn.Module):
    """What both placements share: embedding, initial state from the encoder, attention (or
    none), and the output layer ``logits_t = W_o tanh(W_c [kappa_t; h_t])`` (the book's notation: the
    decoder state ``h_t``, the context ``kappa_t``)."""

    def __init__(self, vocab_size: int, emb_size: int, hidden_size: int, memory_size: int,
                 score: str | None, make_rnn: Callable[[], nn.Module]):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_size, padding_idx=PAD_ID)
        self.bridge = nn.Linear(memory_size, hidden_size)  # initial state from the encoder's final states
        self.rnn = make_rnn()  # built here, so parameters are initialised in this order
        self.attention = None if score is None else Attention(score, hidden_size, memory_size)
        self.combine = nn.Linear(memory_size + hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)

    def start(self, memory: Memory) -> torch.Tensor:
        """Initial state ``(1, batch, hidden)``."""
        return torch.tanh(self.bridge(memory.final))[None]

    def _logits(self, context: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        return self.out(torch.tanh(self.combine(torch.cat([context, state], dim=-1))))


class LuongDecoder(_Decoder):
    """GRU first, attention after: ``h_t = GRU(y_{t-1}, h_{t-1})``, ``kappa_t = attend(h_t)``,
    ``logits_t = W_o tanh(W_c [kappa_t; h_t])`` (Luong et al. 2015, no input feeding).
    Without attention and with ``feed_context``, the GRU reads ``[E y_{t-1}; kappa]`` at every
    step (Cho et al. 2014); all steps still run in one call, since ``kappa`` is fixed."""

    parallel_training = True  # teacher-forced steps do not depend on each other's attention

    def __init__(self, vocab_size: int, emb_size: int, hidden_size: int, memory_size: int,
                 score: str | None, feed_context: bool = False):
        if feed_context and score is not None:
            raise ValueError(f"feed_context: expected it only without attention (the fixed "
                             f"context), got attention={score!r}")
        rnn_input = emb_size + memory_size if feed_context else emb_size
        super().__init__(vocab_size, emb_size, hidden_size, memory_size, score,
                         lambda: nn.GRU(rnn_input, hidden_size, batch_first=True))
        self.feed_context = feed_context

    def forward(self, inputs: torch.Tensor, state: torch.Tensor, memory: Memory
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """``inputs (batch, T)`` -> ``logits (batch, T, V)``, new state, ``weights (batch, T, S)`` or None."""
        embedded = self.embedding(inputs)
        if self.feed_context:  # the fixed context in every step's input (Cho et al. 2014)
            fixed = memory.final[:, None].expand(-1, inputs.shape[1], -1)
            embedded = torch.cat([embedded, fixed], dim=-1)
        h, state = self.rnn(embedded, state)  # all T steps in one call
        if self.attention is None:
            context, weights = memory.final[:, None].expand(-1, h.shape[1], -1), None
        else:
            context, weights = self.attention(h, memory.outputs, memory.mask)
        return self._logits(context, h), state, weights


class BahdanauDecoder(_Decoder):
    """Attention first, from the previous state, and the context into the recurrence:
    ``kappa_t = attend(h_{t-1})``, ``h_t = GRU([y_{t-1}; kappa_t], h_{t-1})``,
    ``logits_t = W_o tanh(W_c [kappa_t; h_t])`` (Bahdanau et al. 2015; their output layer is a maxout
    layer that also reads y_{t-1}, ours is the tanh layer of the Luong decoder)."""

    parallel_training = False  # h_t needs kappa_t, which needs h_{t-1}: one step at a time

    def __init__(self, vocab_size: int, emb_size: int, hidden_size: int, memory_size: int,
                 score: str | None):
        super().__init__(vocab_size, emb_size, hidden_size, memory_size, score,
                         lambda: nn.GRUCell(emb_size + memory_size, hidden_size))

    def forward(self, inputs: torch.Tensor, state: torch.Tensor, memory: Memory
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """``inputs (batch, T)`` -> ``logits (batch, T, V)``, new state, ``weights (batch, T, S)`` or None."""
        s, embedded = state[0], self.embedding(inputs)
        outputs, all_weights = [], []
        for t in range(inputs.shape[1]):
            if self.attention is None:
                context = memory.final
            else:
                context, weights = self.attention(s[:, None], memory.outputs, memory.mask)
                context = context[:, 0]
                all_weights.append(weights[:, 0])
            s = self.rnn(torch.cat([embedded[:, t], context], dim=-1), s)
            outputs.append(self._logits(context, s))
        weights = torch.stack(all_weights, dim=1) if all_weights else None
        return torch.stack(outputs, dim=1), s[None], weights


class Seq2Seq(nn.Module):
    """An :class:`Encoder` and a decoder; ``forward(src, lengths, tgt_in) -> logits (batch, T, V)``.

    Args:
        src_vocab_size, tgt_vocab_size: vocabulary sizes (special tokens included).
        emb_size: embedding size of both sides.
        hidden_size: ``H`` of each encoder direction.
        decoder_size: units of the decoder GRU; by default ``2H``, the size of the encoder
            outputs, which the ``"dot"`` score requires.
        attention: ``"additive"``, ``"dot"``, ``"general"``, or ``None`` for no attention.
        placement: ``"luong"`` (attention after the decoder GRU) or ``"bahdanau"`` (before it).
        teacher_forcing_ratio: probability that a training step's decoder input is the true
            previous token (1.0 = teacher forcing; lower it for scheduled sampling).
        sample_inputs: when the model's own token is fed back in training, sample it from the
            model's distribution (as Bengio et al. 2015) instead of taking the most likely one.
        feed_context: without attention, also feed the fixed context into the decoder GRU's
            input at every step (Cho et al. 2014); Luong's placement only (Bahdanau's without
            attention already does).
    """

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, *, emb_size: int = 32,
                 hidden_size: int = 64, decoder_size: int | None = None, attention: str | None = "general",
                 placement: str = "luong", teacher_forcing_ratio: float = 1.0, sample_inputs: bool = False,
                 feed_context: bool = False):
        super().__init__()
        if placement not in PLACEMENTS:
            raise ValueError(f"placement: expected one of {PLACEMENTS}, got {placement!r}")
        decoder_size = 2 * hidden_size if decoder_size is None else decoder_size
        for name, value in [("src_vocab_size", src_vocab_size), ("tgt_vocab_size", tgt_vocab_size),
                            ("emb_size", emb_size), ("hidden_size", hidden_size), ("decoder_size", decoder_size)]:
            expect_int(name, value)
        self.encoder = Encoder(src_vocab_size, emb_size, hidden_size)
        if feed_context and placement != "luong":
            raise ValueError(f"feed_context: expected placement='luong' (Bahdanau's placement "
                             f"already feeds the context), got placement={placement!r}")
        if placement == "luong":
            self.decoder = LuongDecoder(tgt_vocab_size, emb_size, decoder_size,
                                        self.encoder.output_size, attention, feed_context)
        else:
            self.decoder = BahdanauDecoder(tgt_vocab_size, emb_size, decoder_size,
                                           self.encoder.output_size, attention)
        self.attention_score, self.placement, self.feed_context = attention, placement, feed_context
        self.teacher_forcing_ratio = teacher_forcing_ratio
        self.sample_inputs = sample_inputs
        self.use_source_mask = True  # switch off only to see what goes wrong without it

    def extra_repr(self) -> str:
        return (f"attention={self.attention_score!r}, placement={self.placement!r}, "
                f"teacher_forcing_ratio={self.teacher_forcing_ratio}"
                + (", feed_context=True" if self.feed_context else ""))

    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> Memory:
        """Run the encoder on a padded batch; checks the inputs."""
        expect_ndim("src", src, 2, ("batch", "S"))
        expect_dtype("src", src, torch.int64)
        expect_shape("lengths", lengths, (src.shape[0],), ("batch",))
        lengths = lengths.cpu()
        if lengths.min() < 1 or lengths.max() > src.shape[1]:
            raise ValueError(f"lengths: expected values in 1..{src.shape[1]} (the padded width of src), "
                             f"got {lengths.min().item()}..{lengths.max().item()}")
        memory = self.encoder(src, lengths)
        return memory if self.use_source_mask else memory._replace(mask=None)

    def start(self, memory: Memory) -> torch.Tensor:
        """The decoder's initial state ``(1, batch, decoder_size)``."""
        return self.decoder.start(memory)

    def step(self, tokens: torch.Tensor, state: torch.Tensor, memory: Memory
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """One decoding step: ``tokens (batch,)`` -> ``log_probs (batch, V)``, state, ``weights (batch, S)``."""
        logits, state, weights = self.decoder(tokens[:, None], state, memory)
        return F.log_softmax(logits[:, 0], dim=-1), state, None if weights is None else weights[:, 0]

    def forward(self, src: torch.Tensor, lengths: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, T, V)`` for every target step. In eval mode, or with a teacher forcing
        ratio of 1, the decoder reads the true previous tokens ``tgt_in``; otherwise see the class
        docstring."""
        expect_shape("tgt_in", tgt_in, (src.shape[0], None), ("batch", "T"))
        expect_dtype("tgt_in", tgt_in, torch.int64)
        memory = self.encode(src, lengths)
        state = self.start(memory)
        if not self.training or self.teacher_forcing_ratio >= 1.0:
            return self.decoder(tgt_in, state, memory)[0]
        token, logits = tgt_in[:, 0], []
        for t in range(tgt_in.shape[1]):
            step_logits, state, _ = self.decoder(token[:, None], state, memory)
            logits.append(step_logits[:, 0])
            if t + 1 < tgt_in.shape[1]:
                with torch.no_grad():  # the fed-back token is an input, not a path for gradients
                    own = (torch.multinomial(F.softmax(step_logits[:, 0], dim=-1), 1)[:, 0]
                           if self.sample_inputs else step_logits[:, 0].argmax(dim=-1))
                    true = torch.rand(token.shape[0], device=token.device) < self.teacher_forcing_ratio
                    token = torch.where(true, tgt_in[:, t + 1], own)
        return torch.stack(logits, dim=1)


def seq2seq_loss(logits: torch.Tensor, tgt_out: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per real target token: ``PAD_ID`` positions are ignored."""
    expect_shape("tgt_out", tgt_out, logits.shape[:2], ("batch", "T"))
    return F.cross_entropy(logits.transpose(1, 2), tgt_out, ignore_index=PAD_ID)




@contextmanager
def packing_and_mask(model: Seq2Seq, *, pack: bool, mask: bool) -> Iterator[Seq2Seq]:
    """Within the ``with`` block, the encoder packs its batch only if ``pack`` and the attention
    ignores padded positions only if ``mask`` (both on by default); the previous settings come
    back on leaving the block, even after an error. Only for showing what goes wrong without them.
    """
    if not isinstance(model, Seq2Seq):
        raise TypeError(f"model: expected a Seq2Seq, got {type(model).__name__}")
    before = model.encoder.pack, model.use_source_mask
    model.encoder.pack, model.use_source_mask = bool(pack), bool(mask)
    try:
        yield model
    finally:
        model.encoder.pack, model.use_source_mask = before
