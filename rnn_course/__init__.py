"""rnn_course: the helper package of the open course on recurrent neural networks.

The notebooks teach; this package holds what they would otherwise copy between them.
Modules, one idea each (their functions document themselves):

Infrastructure
- ``device``       where tensors live: get_device, module_device (the device rule), seed_everything
- ``validation``   input checks whose errors say expected vs received (expect_shape, expect_int, ...)
- ``training``     fit, evaluate and History: the shared training loop
- ``timing``       one clock (fastest, median), calls into PyTorch, FLOPs, depth, saved bytes
- ``i18n``, ``i18n_catalog``  the learner's feedback in English or Japanese, and its catalogue
- ``plots``, ``diagrams``  data figures for the labs; the prose pages' diagrams
- ``style``        the course palette and look: ``use_course_style()`` in each lab's set-up

The recurrent core (chapters 1–5)
- ``recurrent``    the models the labs share (LastStep, many-to-one)
- ``numpy_rnn``    a NumPy RNN with a hand-written backward pass (BPTT)
- ``gradcheck``    finite-difference and autograd gradient checks
- ``tbptt``        truncated BPTT: streams, chunks, detached states, train_tbptt
- ``tasks``        seeded synthetic long-range tasks and their chance levels
- ``diagnostics``  gradient norms through time, Jacobian products, spectral radius
- ``init``         spectral-radius scaling, orthogonal and identity (IRNN) initialisation
- ``gated``        LSTM and GRU from scratch, in PyTorch's parameter layout

Sequence to sequence (chapter 6)
- ``vocab``, ``attention``, ``seq2seq``, ``seq2seq_training``, ``decoding``  the model, its
  data (``vocab.encode_pairs``, ``vocab.batches``), training and search
- ``exposure``     where a decoder's mistakes fall: after its own errors or not
- ``timestamps``, ``sigs``  the chapter's seeded tasks
- ``date_guard``   refuses or flags what the time-stamp model cannot answer

Clinical data and evaluation (chapter 7)
- ``data``         verified PhysioNet downloads and loaders (MIT-BIH, Challenge 2012)
- ``icu``, ``grud``  the ICU hourly grid and features; GRU-D
- ``splits``, ``bootstrap``, ``beat_metrics``  patient-disjoint splits, CIs over patients,
  per-class beat metrics

Beyond recurrence (chapter 8)
- ``scan``, ``mingru``, ``lru``, ``linear_attention``, ``causal_transformer``, ``streaming``

And ``checks`` (the exercises' checks, one module per chapter) and ``instructor`` (the
instructor's tools: clean, student notebooks, grading).
"""
from .device import available_devices, get_device, seed_everything

__version__ = "0.1.0"
__all__ = ["available_devices", "get_device", "seed_everything", "__version__"]
