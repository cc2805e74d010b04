"""Figures: the course's look (one palette, applied by ``use_course_style()``), the labs'
data plots, and the diagrams drawn by code (``python -m rnn_course.figures`` writes the prose
pages' diagrams as SVG files)."""
from .diagrams import draw_task_shapes, draw_unrolled_rnn
from .plots import plot_attention, plot_epoch_loss, plot_grad_norm, plot_history, plot_signal
from .style import HIGHLIGHT, PALETTE, new_axes, use_course_style

__all__ = [
    "draw_task_shapes", "draw_unrolled_rnn",
    "plot_attention", "plot_epoch_loss", "plot_grad_norm", "plot_history", "plot_signal",
    "HIGHLIGHT", "PALETTE", "new_axes", "use_course_style",
]
