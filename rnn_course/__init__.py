"""rnn_course: the helper package of the open course on recurrent neural networks.

The notebooks teach; this package holds what they would otherwise copy between them.
Modules (one idea each):

- ``device``       get_device() (cuda → mps → cpu, $RNN_COURSE_DEVICE), seed_everything()
- ``validation``   shape/dtype/device checks whose errors say expected vs received
- ``data``         verified PhysioNet download cache (on pooch), loaders (MIT-BIH, Challenge 2012)
                   and the MIT-BIH beat table with the inter-patient split (``data.mitbih_beats``)
- ``training``     fit(): the shared training loop (tqdm, loss and gradient-norm history, clipping)
- ``plots``        figures: signals, training curves, the unrolled RNN diagram, attention heatmaps
- ``numpy_rnn``    a NumPy RNN with a hand-written forward and backward pass (BPTT)
- ``gradcheck``    finite-difference and autograd gradient checks
- ``tbptt``        truncated BPTT: streams, chunks, detach_state, train_tbptt, truncated vs full gradients
- ``tasks``        seeded synthetic long-range tasks (adding problem, delayed recall and cue stream), chance levels
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
- ``icu``          PhysioNet 2012 events to hourly values, mask and delta; features; event-1 score
- ``grud``         GRU-D (Che et al. 2018): a GRU with learned decays driven by the time since the last measurement
- ``bootstrap``    confidence intervals that resample patients (groups), paired differences
- ``splits``       assert_disjoint(): the proof that no patient is on two sides of a split
- ``scan``         the linear recurrence h_t = a_t h_(t-1) + b_t: loop, parallel scan, log-space scan
- ``mingru``       minGRU and minLSTM: gated RNNs whose training runs as a scan
- ``lru``          a linear recurrent unit (Orvieto et al. 2023): complex diagonal recurrence, scanned
- ``linear_attention``  causal linear attention (Katharopoulos et al. 2020), masked and recurrent
- ``causal_transformer``  causal self-attention and a small Transformer with a key-value cache
- ``streaming``    one sample at a time: a streaming GRU, state sizes, time per new sample
- ``cost``         wall time (median, synchronised) and depth (longest chain) of a computation
- ``beat_metrics`` per-class sensitivity and positive predictivity, intervals over records
- ``checks``       exercise checks (one module per chapter)
- ``instructor``   the instructor tools (one module per step): exercise parser, clean, student notebooks, grading
"""
from .device import available_devices, get_device, seed_everything

__version__ = "0.1.0"
__all__ = ["available_devices", "get_device", "seed_everything", "__version__"]
