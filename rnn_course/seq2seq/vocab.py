"""A vocabulary of characters (or words) with the four special tokens of sequence-to-sequence models.

=====  ===========  ===========================================================
id     token        use
=====  ===========  ===========================================================
0      ``<pad>``    fills a batch up to its longest sequence; never a real symbol
1      ``<sos>``    start of sequence: the decoder's first input
2      ``<eos>``    end of sequence: the decoder says "done" by emitting it
3      ``<unk>``    any token not seen when the vocabulary was built
=====  ===========  ===========================================================

A text is split into characters (``words=False``, the default) or at whitespace
(``words=True``). Batches are ``(batch, time)`` int64 tensors padded with ``PAD_ID``, plus a
``(batch,)`` tensor of true lengths (kept on the CPU, where ``pack_padded_sequence`` wants them).
:func:`encode_pairs` encodes ``(source, target)`` strings into :class:`Pairs`, and
:func:`batches` cuts them into ``((src, lengths, tgt_in), tgt_out)`` batches.
"""
from __future__ import annotations

from typing import Iterable, NamedTuple, Sequence

import torch

from ..validation import expect_int

PAD, SOS, EOS, UNK = "<pad>", "<sos>", "<eos>", "<unk>"
PAD_ID, SOS_ID, EOS_ID, UNK_ID = 0, 1, 2, 3
SPECIALS = (PAD, SOS, EOS, UNK)


class Vocab:
    """Tokens <-> ids, the four specials first (``PAD_ID = 0``), the rest sorted."""

    def __init__(self, tokens: Iterable[str], *, words: bool = False):
        tokens = sorted(set(tokens) - set(SPECIALS))
        bad = [t for t in tokens if not isinstance(t, str) or not t or (not words and len(t) != 1)
               or (words and t.split() != [t])]
        if bad:
            kind = "words without whitespace" if words else "single characters"
            raise ValueError(f"tokens: expected {kind}, got {bad[:5]}")
        self.words = words
        self.itos: list[str] = list(SPECIALS) + tokens
        self.stoi: dict[str, int] = {s: i for i, s in enumerate(self.itos)}

    @classmethod
    def build(cls, texts: Iterable[str], *, words: bool = False) -> "Vocab":
        """The vocabulary of every token in ``texts`` (build it from training data only)."""
        if isinstance(texts, str):
            raise TypeError("texts: expected a collection of strings, got one string")
        return cls((t for text in texts for t in cls._split(text, words)), words=words)

    @staticmethod
    def _split(text: str, words: bool) -> list[str]:
        if not isinstance(text, str):
            raise TypeError(f"text: expected a str, got {type(text).__name__}")
        return text.split() if words else list(text)

    def __len__(self) -> int:
        return len(self.itos)

    def __repr__(self) -> str:
        kind = "words" if self.words else "characters"
        return f"Vocab({len(self)} tokens: 4 specials + {len(self) - 4} {kind})"

    def encode(self, text: str, *, sos: bool = False, eos: bool = False) -> list[int]:
        """Ids of ``text``'s tokens (unknown ones -> ``UNK_ID``), optionally framed by SOS/EOS."""
        ids = [self.stoi.get(t, UNK_ID) for t in self._split(text, self.words)]
        return ([SOS_ID] if sos else []) + ids + ([EOS_ID] if eos else [])

    def decode(self, ids: Iterable[int]) -> str:
        """The text of ``ids``, stopping at the first EOS; PAD and SOS are skipped, UNK shows as ``?``."""
        out = []
        for i in (int(i) for i in ids):
            if i == EOS_ID:
                break
            if i in (PAD_ID, SOS_ID):
                continue
            out.append("?" if i == UNK_ID else self.itos[i])
        return (" " if self.words else "").join(out)

    def encode_batch(self, texts: Sequence[str], *, sos: bool = False, eos: bool = False,
                     length: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(ids (batch, time), lengths (batch,))``, padded with ``PAD_ID`` to the longest text
        (or to ``length``, which must be at least that)."""
        if isinstance(texts, str) or len(texts) == 0:
            raise ValueError("texts: expected a non-empty list of strings")
        rows = [self.encode(t, sos=sos, eos=eos) for t in texts]
        lengths = torch.tensor([len(r) for r in rows], dtype=torch.int64)
        width = int(lengths.max())
        if length is not None:
            if length < width:
                raise ValueError(f"length: expected at least {width} (the longest text), got {length}")
            width = length
        ids = torch.tensor([row + [PAD_ID] * (width - len(row)) for row in rows], dtype=torch.int64)
        return ids, lengths

    def decode_batch(self, ids: torch.Tensor) -> list[str]:
        """:meth:`decode` of every row of a ``(batch, time)`` tensor."""
        if not isinstance(ids, torch.Tensor) or ids.ndim != 2:
            raise ValueError(f"ids: expected a (batch, time) tensor, got {getattr(ids, 'shape', type(ids))}")
        return [self.decode(row) for row in ids.tolist()]


class Pairs(NamedTuple):
    """Encoded pairs: ``src (N, S)``, ``lengths (N,)``, ``tgt_in (N, T)``, ``tgt_out (N, T)``."""

    src: torch.Tensor
    lengths: torch.Tensor
    tgt_in: torch.Tensor
    tgt_out: torch.Tensor


def encode_pairs(sources: list[str], targets: list[str], src_vocab: Vocab, tgt_vocab: Vocab) -> Pairs:
    """Pad and encode ``(source, target)`` strings: ``tgt_in`` is ``SOS y_1 ... y_n`` and
    ``tgt_out`` is ``y_1 ... y_n EOS``, both padded with ``PAD_ID``."""
    if len(sources) != len(targets):
        raise ValueError(f"sources and targets: expected equal lengths, got {len(sources)} and {len(targets)}")
    src, lengths = src_vocab.encode_batch(sources)
    tgt, _ = tgt_vocab.encode_batch(targets, sos=True, eos=True)       # SOS y_1 ... y_n EOS PAD ...
    tgt_in = tgt[:, :-1].masked_fill(tgt[:, :-1] == EOS_ID, PAD_ID)    # the EOS of shorter rows is no input
    return Pairs(src, lengths, tgt_in, tgt[:, 1:])


def batches(pairs: Pairs, batch_size: int, *, shuffle: bool = True, seed: int = 0) -> torch.utils.data.DataLoader:
    """A loader of ``((src, lengths, tgt_in), tgt_out)`` batches.

    Whole batches are cut by index (no per-example collation) and shuffled by their own seeded
    generator, so the order does not depend on anything else that draws random numbers.
    """
    expect_int("batch_size", batch_size)
    dataset = torch.utils.data.TensorDataset(*pairs)
    sampler = (torch.utils.data.RandomSampler(dataset, generator=torch.Generator().manual_seed(seed))
               if shuffle else torch.utils.data.SequentialSampler(dataset))
    return torch.utils.data.DataLoader(dataset, sampler=torch.utils.data.BatchSampler(sampler, batch_size, False),
                                       batch_size=None, collate_fn=lambda b: ((b[0], b[1], b[2]), b[3]))
