"""The recurrent core of chapters 1–5: a NumPy RNN with its hand-written backward pass,
gradient checks, gated cells from scratch, initialisation, truncated BPTT, gradient
diagnostics, and the many-to-one model the labs share."""
from .diagnostics import hidden_grad_norms, jacobian_products, spectral_radius
from .gated import ScratchGRU, ScratchLSTM, count_parameters_formula, gru_cell, lstm_cell
from .gradcheck import (autograd_gradients, compare_gradients, finite_difference_errors,
                        numerical_gradient, rel_error)
from .init import identity_init_, orthogonal_init_, scale_to_spectral_radius, set_spectral_radius_
from .models import LastStep
from .numpy_rnn import (StepCache, StepGrads, from_torch_rnn, init_params, loss_and_grads,
                        rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward,
                        to_torch_rnn)
from .tbptt import (RecurrentModel, chunk_sequence, cosine_similarity, detach_state,
                    full_bptt_gradient, make_streams, masked_cross_entropy, train_tbptt,
                    truncated_gradient)

__all__ = [
    "hidden_grad_norms", "jacobian_products", "spectral_radius",
    "ScratchGRU", "ScratchLSTM", "count_parameters_formula", "gru_cell", "lstm_cell",
    "autograd_gradients", "compare_gradients", "finite_difference_errors", "numerical_gradient",
    "rel_error",
    "identity_init_", "orthogonal_init_", "scale_to_spectral_radius", "set_spectral_radius_",
    "LastStep",
    "StepCache", "StepGrads", "from_torch_rnn", "init_params", "loss_and_grads", "rnn_backward",
    "rnn_forward", "rnn_step_backward", "rnn_step_forward", "to_torch_rnn",
    "RecurrentModel", "chunk_sequence", "cosine_similarity", "detach_state", "full_bptt_gradient",
    "make_streams", "masked_cross_entropy", "train_tbptt", "truncated_gradient",
]
