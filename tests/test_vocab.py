"""The character vocabulary: specials first, round trips, padding, unknown characters."""
from __future__ import annotations

import pytest
import torch

from rnn_course.seq2seq.vocab import EOS_ID, PAD_ID, SOS_ID, UNK_ID, Vocab


def test_specials_come_first_and_characters_are_sorted():
    vocab = Vocab.build(["ba", "令和"])
    assert vocab.itos[:4] == ["<pad>", "<sos>", "<eos>", "<unk>"]
    assert (PAD_ID, SOS_ID, EOS_ID, UNK_ID) == (0, 1, 2, 3)
    assert vocab.itos[4:] == sorted("ab令和") and len(vocab) == 8


def test_word_level_vocabulary():
    vocab = Vocab.build(["take 1 tablet", "take 2 tablets"], words=True)
    assert vocab.itos[4:] == sorted(["1", "2", "take", "tablet", "tablets"])
    ids = vocab.encode("take 3 tablets", eos=True)
    assert ids == [vocab.stoi["take"], UNK_ID, vocab.stoi["tablets"], EOS_ID]
    assert vocab.decode(ids) == "take ? tablets" and "words" in repr(vocab)


def test_round_trip_unknown_and_framing():
    vocab = Vocab.build(["2024-03-05T14:30"])
    ids = vocab.encode("2024-03-05T14:30", sos=True, eos=True)
    assert ids[0] == SOS_ID and ids[-1] == EOS_ID and vocab.decode(ids) == "2024-03-05T14:30"
    assert vocab.encode("2x") == [vocab.stoi["2"], UNK_ID] and vocab.decode(vocab.encode("2x")) == "2?"
    assert vocab.decode([vocab.stoi["1"], EOS_ID, vocab.stoi["2"]]) == "1"  # stops at the first EOS


def test_encode_batch_pads_with_pad_and_reports_lengths():
    vocab = Vocab.build(["abc"])
    ids, lengths = vocab.encode_batch(["abc", "a"], eos=True)
    assert ids.dtype == torch.int64 and ids.shape == (2, 4) and lengths.tolist() == [4, 2]
    assert ids[1, 2:].tolist() == [PAD_ID, PAD_ID]
    wide, _ = vocab.encode_batch(["abc", "a"], length=7)
    assert wide.shape == (2, 7) and (wide[:, 3:] == PAD_ID).all()
    assert vocab.decode_batch(ids) == ["abc", "a"]


def test_bad_input():
    vocab = Vocab.build(["abc"])
    with pytest.raises(TypeError, match="one string"):
        Vocab.build("abc")
    with pytest.raises(ValueError, match="single characters"):
        Vocab(["ab"])
    with pytest.raises(ValueError, match="without whitespace"):
        Vocab(["a b"], words=True)
    with pytest.raises(TypeError, match="str"):
        vocab.encode(3)
    with pytest.raises(ValueError, match="non-empty"):
        vocab.encode_batch([])
    with pytest.raises(ValueError, match="at least 3"):
        vocab.encode_batch(["abc"], length=2)
    with pytest.raises(ValueError, match="batch, time"):
        vocab.decode_batch(torch.zeros(3, dtype=torch.int64))
