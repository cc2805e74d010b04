"""The recurrent core of chapters 1–5 (the NumPy RNN, gated cells, initialisation, gradient
checks, TBPTT and diagnostics are to join this package; today it holds the shared models)."""
from .models import LastStep

__all__ = ["LastStep"]
