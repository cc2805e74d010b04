"""rnn_course: the helper package of the open course on recurrent neural networks.

The notebooks teach; this package holds what they would otherwise copy between them.
Modules (one idea each):

- ``device``       get_device() (cuda → mps → cpu, $RNN_COURSE_DEVICE), seed_everything()
- ``validation``   shape/dtype/device checks whose errors say expected vs received
- ``data``         verified PhysioNet download cache and loaders (MIT-BIH, Challenge 2012)
- ``training``     fit(): the shared training loop (tqdm, loss and gradient-norm history, clipping)
- ``plots``        figures: signals, training curves, the unrolled RNN diagram, attention heatmaps
- ``numpy_rnn``    a NumPy RNN with a hand-written forward and backward pass (BPTT)
- ``gradcheck``    finite-difference and autograd gradient checks
- ``tbptt``        truncated BPTT: streams, chunks, detach_state, train_tbptt, truncated vs full gradients
- ``tasks``        seeded synthetic long-range tasks with their chance levels
- ``diagnostics``  gradient norms through time, Jacobian products, spectral radius
- ``init``         spectral-radius scaling, orthogonal and identity (IRNN) initialisation
- ``gated``        LSTM and GRU cells and layers from scratch, in PyTorch's parameter layout
- ``timestamps``   seeded clinical time stamps (English, Japanese eras, 12-hour clocks) and ISO targets
- ``vocab``        character (or word) vocabularies with PAD/SOS/EOS/UNK, padded batches
- ``attention``    additive and multiplicative (dot, general) attention with a source mask
- ``seq2seq``      packed bidirectional GRU encoder, Luong- and Bahdanau-placement GRU decoders
- ``seq2seq_training``  encoded pairs, batches, train_seq2seq (teacher forcing, scheduled sampling)
- ``decoding``     greedy and beam search (length normalisation, stops at EOS), sequence log-probs
- ``sigs``         seeded medication instructions in pharmacy shorthand and their expansion
- ``bootstrap``    confidence intervals that resample patients (groups), paired differences
- ``splits``       assert_disjoint(): the proof that no patient is on two sides of a split
- ``checks``       exercise checks (one module per chapter)
- ``instructor``   the instructor command line: student notebooks and grading
"""
from .device import available_devices, get_device, seed_everything

__version__ = "0.1.0"
__all__ = ["available_devices", "get_device", "seed_everything", "__version__"]
