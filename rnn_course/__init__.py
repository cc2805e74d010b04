"""rnn_course: the helper package of the open course on recurrent neural networks.

The notebooks teach; this package holds what they would otherwise copy between them. Its
sub-packages follow the course's parts (each one's docstring says what it offers):

- ``recurrent``  chapters 1–5: NumPy RNN and BPTT, gradient checks, gated cells, initialisation,
  truncated BPTT, gradient diagnostics, the shared many-to-one model
- ``seq2seq``    chapter 6: vocabularies, attention, encoder–decoder, training, decoding,
  exposure bias, the date guard
- ``clinical``   chapter 7: GRU-D, intervals resampled over patients, beat metrics, thresholds
- ``beyond``     chapter 8: parallel scans, minGRU, LRU, linear attention, Transformer, streaming
- ``data``       every data set: PhysioNet downloads and loaders, the ICU grid, synthetic tasks,
  patient-disjoint splits
- ``figures``    the course style, the labs' plots, the prose pages' diagrams
- ``checks``, ``instructor``  the exercises' checks; the instructor's tools

and the infrastructure at the top: ``device`` (get_device and the device rule), ``validation``
(input checks), ``training`` (fit, evaluate), ``timing`` (one clock and the work counters),
``i18n`` and ``i18n_catalog`` (feedback in English or Japanese, and its catalogue).
"""
from .device import available_devices, get_device, seed_everything

__version__ = "0.1.0"
__all__ = ["available_devices", "get_device", "seed_everything", "__version__"]
