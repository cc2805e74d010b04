"""Figures: the course's look (one palette, applied by ``use_course_style()``), the labs'
data plots, and the diagrams (``diagrams``: the prose pages' figures, written by
``python -m rnn_course.figures.diagrams``)."""
from .plots import (draw_task_shapes, draw_unrolled_rnn, plot_attention, plot_epoch_loss,
                    plot_grad_norm, plot_history, plot_signal)
from .style import HIGHLIGHT, PALETTE, use_course_style

__all__ = [
    "draw_task_shapes", "draw_unrolled_rnn", "plot_attention", "plot_epoch_loss", "plot_grad_norm",
    "plot_history", "plot_signal",
    "HIGHLIGHT", "PALETTE", "use_course_style",
]
