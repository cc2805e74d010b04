"""Decoding a trained encoder–decoder: greedy search and beam search, both stopping at EOS.

A model is anything with ``encode(src, lengths) -> Memory``, ``start(memory) -> state`` and
``step(tokens (batch,), state, memory) -> (log_probs (batch, V), state, weights)``, as
:class:`rnn_course.seq2seq.Seq2Seq`. The encoder runs once; each step feeds one token per
sequence and keeps the decoder state, so no prefix is ever recomputed.

Outputs are ``tokens (batch, L)`` int64 that end with ``EOS_ID`` and are padded with ``PAD_ID``
after it, and the model's log-probability of each sequence, EOS included:
``log p(y | x) = sum_t log p(y_t | y_<t, x)``.

Beam search keeps the ``beam_width`` best prefixes at every step. It ranks finished sequences by
``log p / length ** length_penalty`` (``length_penalty = 0``: plain log-probability; larger values
favour longer sequences, a simple form of the length normalisation of Wu et al. 2016). Beam search
can prune the greedy path and end below it (rare, but possible: the tests build a case);
``keep_greedy=True`` also decodes greedily and returns the greedy sequence where it scores higher,
so that the result is never worse than greedy by the search's own criterion.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np
import torch

from ..validation import expect_int, expect_ndim, expect_shape
from .vocab import EOS_ID, PAD_ID, SOS_ID, Vocab


class Decoded(NamedTuple):
    """``tokens (batch, L)``, ``log_prob (batch,)``, ``weights (batch, L, S)`` (greedy only, else None)."""

    tokens: torch.Tensor
    log_prob: torch.Tensor
    weights: torch.Tensor | None


def _check(src: torch.Tensor, lengths: torch.Tensor, max_len: int) -> None:
    expect_ndim("src", src, 2, ("batch", "S"))
    expect_shape("lengths", lengths, (src.shape[0],), ("batch",))
    expect_int("max_len", max_len)


@torch.no_grad()
def greedy_decode(model, src: torch.Tensor, lengths: torch.Tensor, *, max_len: int) -> Decoded:
    """The most likely token at every step until every sequence has emitted EOS (or ``max_len``)."""
    _check(src, lengths, max_len)
    model.eval()
    memory = model.encode(src, lengths)
    state = model.start(memory)
    batch = src.shape[0]
    token = torch.full((batch,), SOS_ID, dtype=torch.int64, device=src.device)
    done = torch.zeros(batch, dtype=torch.bool, device=src.device)
    log_prob = torch.zeros(batch, device=src.device, dtype=memory.outputs.dtype)
    tokens, weights = [], []
    for _ in range(max_len):
        log_probs, state, w = model.step(token, state, memory)
        best, token = _never_pad_or_sos(log_probs).max(dim=-1)
        token = token.masked_fill(done, PAD_ID)           # finished sequences only pad
        log_prob += best.masked_fill(done, 0.0)
        tokens.append(token)
        if w is not None:
            weights.append(w.masked_fill(done[:, None], 0.0))
        done = done | (token == EOS_ID)
        if bool(done.all()):                              # stop at EOS
            break
    return Decoded(torch.stack(tokens, dim=1), log_prob, torch.stack(weights, dim=1) if weights else None)


@torch.no_grad()
def beam_search(model, src: torch.Tensor, lengths: torch.Tensor, *, beam_width: int, max_len: int,
                length_penalty: float = 0.0, keep_greedy: bool = False) -> Decoded:
    """Batched beam search: every sequence of the batch keeps ``beam_width`` hypotheses.

    Returns the best finished hypothesis by ``log_prob / length ** length_penalty`` (an
    unfinished one only if none finished within ``max_len``). With ``beam_width = 1`` this is
    greedy search.
    """
    _check(src, lengths, max_len)
    expect_int("beam_width", beam_width)
    if length_penalty < 0:
        raise ValueError(f"length_penalty: expected a value >= 0, got {length_penalty}")
    model.eval()
    batch, k, device = src.shape[0], beam_width, src.device
    memory = model.encode(src, lengths).select(torch.arange(batch, device=device).repeat_interleave(k))
    state = model.start(memory)                                   # (1, batch * k, hidden)
    dtype = memory.outputs.dtype
    scores = torch.full((batch, k), float("-inf"), device=device, dtype=dtype)
    scores[:, 0] = 0.0                                            # one live hypothesis to start
    done = torch.zeros(batch, k, dtype=torch.bool, device=device)
    n_tokens = torch.zeros(batch, k, device=device, dtype=dtype)             # tokens so far, EOS included
    tokens = torch.zeros(batch, k, 0, dtype=torch.int64, device=device)
    last = torch.full((batch * k,), SOS_ID, dtype=torch.int64, device=device)
    offsets = torch.arange(batch, device=device)[:, None] * k
    for _ in range(max_len):
        log_probs, state, _ = model.step(last, state, memory)
        vocab = log_probs.shape[-1]
        log_probs = _never_pad_or_sos(log_probs).view(batch, k, vocab)
        pad_only = torch.full((vocab,), float("-inf"), device=device, dtype=dtype)
        pad_only[PAD_ID] = 0.0                                    # a finished hypothesis only pads, for free
        log_probs = torch.where(done[..., None], pad_only, log_probs)
        candidates = (scores[..., None] + log_probs).view(batch, k * vocab)
        scores, index = candidates.topk(k, dim=-1)                # (batch, k)
        parent, token = index // vocab, index % vocab
        was_done = done.gather(1, parent)
        tokens = torch.cat([tokens.gather(1, parent[..., None].expand(-1, -1, tokens.shape[-1])),
                            token[..., None]], dim=-1)
        n_tokens = n_tokens.gather(1, parent) + (~was_done).float()
        done = was_done | (token == EOS_ID)
        state = state.index_select(1, (parent + offsets).view(-1))
        last = token.view(-1)
        if bool((done | scores.isinf()).all()):                # every hypothesis has ended (or is impossible)
            break
    possible = scores.isfinite()
    finished = done & possible
    eligible = torch.where(finished.any(dim=1, keepdim=True), finished, possible)  # finished ones first
    ranked = torch.where(eligible, scores / n_tokens.clamp_min(1.0) ** length_penalty, float("-inf"))
    best = ranked.argmax(dim=1)
    rows = torch.arange(batch, device=device)
    result = Decoded(tokens[rows, best], scores[rows, best], None)
    if not keep_greedy:
        return result
    greedy = greedy_decode(model, src, lengths, max_len=max_len)
    return _better(result, greedy, length_penalty)


def _never_pad_or_sos(log_probs: torch.Tensor) -> torch.Tensor:
    """PAD and SOS are never outputs: give them log-probability -inf (in a copy)."""
    log_probs = log_probs.clone()
    log_probs[:, [PAD_ID, SOS_ID]] = float("-inf")
    return log_probs


def _lengths_to_eos(tokens: torch.Tensor) -> torch.Tensor:
    """Number of tokens up to and including the first EOS (all of them if there is none)."""
    is_eos = tokens == EOS_ID
    first = torch.where(is_eos.any(dim=1), is_eos.float().argmax(dim=1), tokens.new_tensor(tokens.shape[1] - 1))
    return (first + 1).float()


def _better(a: Decoded, b: Decoded, length_penalty: float) -> Decoded:
    """Row by row, the sequence with the higher (length-normalised) score; ``a`` on ties."""
    width = max(a.tokens.shape[1], b.tokens.shape[1])
    pad = lambda t: torch.nn.functional.pad(t, (0, width - t.shape[1]), value=PAD_ID)  # noqa: E731
    score_a = a.log_prob / _lengths_to_eos(a.tokens) ** length_penalty
    score_b = b.log_prob / _lengths_to_eos(b.tokens) ** length_penalty
    take_b = score_b > score_a
    tokens = torch.where(take_b[:, None], pad(b.tokens), pad(a.tokens))
    return Decoded(tokens, torch.where(take_b, b.log_prob, a.log_prob), None)


@torch.no_grad()
def sequence_log_prob(model, src: torch.Tensor, lengths: torch.Tensor, tgt_out: torch.Tensor) -> torch.Tensor:
    """``log p(y | x)`` of given outputs ``tgt_out (batch, T)`` (ending in EOS, padded after it),
    computed with the true prefixes: the number that greedy and beam search try to maximise."""
    expect_shape("tgt_out", tgt_out, (src.shape[0], None), ("batch", "T"))
    model.eval()
    tgt_in = torch.cat([torch.full_like(tgt_out[:, :1], SOS_ID), tgt_out[:, :-1]], dim=1)
    tgt_in = tgt_in.masked_fill(tgt_in == EOS_ID, PAD_ID)
    log_probs = torch.log_softmax(model(src, lengths, tgt_in), dim=-1)
    picked = log_probs.gather(-1, tgt_out[..., None])[..., 0]
    return picked.masked_fill(tgt_out == PAD_ID, 0.0).sum(dim=1)


class Translation(NamedTuple):
    """Decoded strings, their log-probabilities ``(N,)`` and attention ``(N, L, S)`` (greedy)."""

    texts: list[str]
    log_prob: torch.Tensor
    weights: list[torch.Tensor] | None


@torch.no_grad()
def translate(model, sources: Sequence[str], src_vocab: Vocab, tgt_vocab: Vocab, *,
              max_len: int, beam_width: int = 1, batch_size: int = 512, device: torch.device | None = None,
              length_penalty: float = 0.0) -> Translation:
    """Decode strings in batches: greedy for ``beam_width=1``, else beam search. Attention weights
    (greedy only) come back per sequence, cut to its source and output lengths."""
    if isinstance(sources, str):
        raise TypeError("sources: expected a list of strings, got one string")
    device = device or next(model.parameters()).device
    texts, log_probs, weights = [], [], []
    for start in range(0, len(sources), batch_size):
        chunk = list(sources[start:start + batch_size])
        src, lengths = src_vocab.encode_batch(chunk)
        src = src.to(device)
        if beam_width == 1:
            out = greedy_decode(model, src, lengths, max_len=max_len)
        else:
            out = beam_search(model, src, lengths, beam_width=beam_width, max_len=max_len,
                              length_penalty=length_penalty)
        tokens = out.tokens.cpu()
        texts += tgt_vocab.decode_batch(tokens)
        log_probs.append(out.log_prob.cpu())
        if out.weights is not None:
            n_out = _lengths_to_eos(tokens).long()
            weights += [w[:n, :s] for w, n, s in zip(out.weights.cpu(), n_out.tolist(), lengths.tolist())]
    return Translation(texts, torch.cat(log_probs), weights or None)


def beam_vs_greedy(greedy: Translation, greedy_ok: np.ndarray, beam: Translation,
                   beam_ok: np.ndarray) -> dict[str, float]:
    """One row comparing beam search with greedy search on the same ``n`` sources.

    ``greedy`` and ``beam`` are what :func:`translate` returned (``texts``, ``log_prob (n,)``);
    ``greedy_ok`` and ``beam_ok`` are bool arrays ``(n,)``, True where the output is right.
    Returns both exact-match rates, how many answers beam search changed, its mean gain in
    ``log p(y | x)`` over those (0.0 if none changed), the errors it fixed and the right answers
    it broke, and how many of its outputs score below greedy's (by more than 1e-4).
    """
    n = len(greedy.texts)
    for name, value in [("beam.texts", beam.texts), ("greedy_ok", greedy_ok), ("beam_ok", beam_ok)]:
        if len(value) != n:
            raise ValueError(f"{name}: expected {n} entries (one per greedy output), got {len(value)}")
    changed = np.array([b != g for b, g in zip(beam.texts, greedy.texts)])
    gain = (beam.log_prob - greedy.log_prob).numpy()
    return {"greedy exact match": greedy_ok.mean(),
            "beam exact match": beam_ok.mean(),
            "answers changed": changed.sum(),
            "mean log-prob gain where changed": gain[changed].mean() if changed.any() else 0.0,
            "fixed by beam": (beam_ok & ~greedy_ok).sum(),
            "broken by beam": (~beam_ok & greedy_ok).sum(),
            "beam below greedy": (gain < -1e-4).sum()}


def padding_effects(padded: Decoded, lengths: torch.Tensor, unpadded_tokens: torch.Tensor
                    ) -> dict[str, float]:
    """What padding did to a greedy decode of padded sources (the padding experiment).

    ``padded``: :func:`greedy_decode` of sources padded to a width ``S``, with ``tokens (batch, L)``
    and attention ``weights (batch, L, S)``; ``lengths (batch,)``: the sources' true lengths;
    ``unpadded_tokens (batch, L')``: the greedy outputs of the same sources without extra padding.
    Returns the mean attention weight on padded positions over the output steps that are not
    ``PAD_ID``, and how many outputs differ from the unpadded ones in their first ``min(L, L')``
    tokens.
    """
    if padded.weights is None:
        raise ValueError("padded: expected attention weights (greedy_decode of a model with "
                         "attention), got weights=None")
    tokens, weights = padded.tokens.cpu(), padded.weights.cpu()
    batch, width = tokens.shape[0], weights.shape[-1]
    expect_shape("lengths", lengths, (batch,), ("batch",))
    expect_shape("unpadded_tokens", unpadded_tokens, (batch, None), ("batch", "L"))
    is_pad = torch.arange(width) >= lengths.cpu()[:, None]                 # (batch, S)
    on_padding = (weights * is_pad[:, None, :]).sum(-1)[tokens != PAD_ID]
    common = min(tokens.shape[1], unpadded_tokens.shape[1])
    differ = (tokens[:, :common] != unpadded_tokens.cpu()[:, :common]).any(1)
    return {"attention on padding": on_padding.mean().item(),
            "answers that differ from unpadded": int(differ.sum())}
