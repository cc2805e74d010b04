"""Sequence to sequence (chapter 6): vocabularies and batches, attention, the encoder–decoder,
its training with teacher forcing or scheduled sampling, greedy and beam search, where a
decoder's mistakes fall (exposure), and a guard that refuses or flags what the time-stamp
model cannot answer."""
from ..training import count_parameters
from .attention import Attention, masked_softmax
from .date_guard import (Guarded, guard, guarded_normalise, guarded_translate,
                         impossible_inputs, min_char_prob, tally)
from .decoding import (Decoded, Translation, beam_search, beam_vs_greedy, greedy_decode,
                       padding_effects, sequence_log_prob, translate)
from .exposure import edit_profile, edit_script, true_prefix_predictions
from .model import (BahdanauDecoder, Encoder, LuongDecoder, Memory, Seq2Seq, packing_and_mask,
                    seq2seq_loss)
from .training import fixed_batch_update, inverse_sigmoid_decay, train_seq2seq
from .vocab import EOS_ID, PAD_ID, SOS_ID, UNK_ID, Pairs, Vocab, batches, encode_pairs

__all__ = [
    "count_parameters",
    "Attention", "masked_softmax",
    "Guarded", "guard", "guarded_normalise", "guarded_translate", "impossible_inputs",
    "min_char_prob", "tally",
    "Decoded", "Translation", "beam_search", "beam_vs_greedy", "greedy_decode", "padding_effects",
    "sequence_log_prob", "translate",
    "edit_profile", "edit_script", "true_prefix_predictions",
    "BahdanauDecoder", "Encoder", "LuongDecoder", "Memory", "Seq2Seq", "packing_and_mask",
    "seq2seq_loss",
    "fixed_batch_update", "inverse_sigmoid_decay", "train_seq2seq",
    "EOS_ID", "PAD_ID", "SOS_ID", "UNK_ID", "Pairs", "Vocab", "batches", "encode_pairs",
]
