"""Exercise checks of chapter 4 (the vanishing and exploding gradient problem).

- ``check_clip_grad_norm(clip_grad_norm)``: ``clip_grad_norm(grads, max_norm)`` takes a list
  of gradient tensors and returns a list of tensors whose *global* L2 norm is at most
  ``max_norm``, rescaling all of them by the same factor (and leaving them unchanged when
  the global norm is already small enough).
- ``check_scale_to_spectral_radius(scale)``: ``scale(W, rho)`` returns W rescaled so that
  its spectral radius (max |eigenvalue|) is ``rho``.
"""
from __future__ import annotations

from typing import Callable

import torch

from ..i18n import N_, _
from ..recurrent import spectral_radius
from . import compare, diagnose, exercise_check, matches, recognise


def reference_clip_grad_norm(grads: list[torch.Tensor], max_norm: float) -> list[torch.Tensor]:
    """Rescale ``grads`` together so that their global L2 norm is at most ``max_norm``."""
    total = torch.sqrt(sum((g.double() ** 2).sum() for g in grads))
    scale = min(1.0, max_norm / float(total)) if total > 0 else 1.0
    return [g * scale for g in grads]


def _grad_cases() -> list[tuple[str, list[torch.Tensor], float]]:
    g = torch.Generator().manual_seed(4)
    shapes = [(4, 4), (4,), (3, 4)]
    big = [0.6 * torch.randn(s, generator=g, dtype=torch.float64) for s in shapes]
    small = [0.01 * torch.randn(s, generator=g, dtype=torch.float64) for s in shapes]
    # every tensor of `spread` is below max_norm on its own, but their global norm is not
    spread = [t / t.norm() * 0.9 for t in (torch.randn(s, generator=g, dtype=torch.float64) for s in shapes)]
    return [(N_("large gradients (global norm > max_norm)"), big, 1.0),
            (N_("tensors each below max_norm, global norm above it"), spread, 1.0),
            (N_("small gradients (global norm < max_norm)"), small, 1.0)]


def _global_norm(tensors: list[torch.Tensor]) -> float:
    return float(torch.sqrt(sum((t.double() ** 2).sum() for t in tensors)))


def _flat(tensors: list[torch.Tensor]) -> torch.Tensor:
    return torch.cat([t.reshape(-1) for t in tensors])


def _clip_mistakes(grads: list[torch.Tensor], max_norm: float) -> list[tuple[torch.Tensor | None, str]]:
    """What the common slips return (all tensors flattened into one vector), with their hints."""
    total = _global_norm(grads)
    scaled = lambda factor: _flat([g * factor for g in grads]) if total > 0 else None  # noqa: E731
    return [
        (_flat([g * min(1.0, max_norm / float(g.norm())) for g in grads]),
         _("you clipped each tensor by its own norm. Norm clipping computes ONE global norm "
           "sqrt(sum of ||g||^2 over all tensors) and rescales every tensor by the same factor, "
           "so the direction of the whole gradient is kept.")),
        (_flat([g.clamp(-max_norm, max_norm) for g in grads]),
         _("you clamped each element to [-max_norm, max_norm]: that is value clipping "
           "(torch.nn.utils.clip_grad_value_), which changes the gradient's direction. "
           "Rescale all tensors by max_norm / global_norm instead.")),
        (scaled(max_norm / total) if total < max_norm else None,
         _("your gradients were already small (global norm below max_norm), but you scaled them UP "
           "to max_norm. Clipping only shrinks: use the factor min(1, max_norm / global_norm).")),
        (scaled(min(1.0, max_norm / total**2)), _("you divided by the squared norm: take the square root of the sum "
                                                  "of squares.")),
        (scaled(min(1.0, max_norm / sum(float(t.norm()) for t in grads))),
         _("you added up the per-tensor norms; the global L2 norm is sqrt(sum of squared norms), "
           "not the sum of the norms.")),
    ]


@exercise_check
def check_clip_grad_norm(clip_grad_norm: Callable) -> tuple[bool, str]:
    """Check ``clip_grad_norm(grads, max_norm) -> list of tensors`` (global-norm clipping)."""
    for label, grads, max_norm in _grad_cases():
        expected = reference_clip_grad_norm(grads, max_norm)
        got = clip_grad_norm([g.clone() for g in grads], max_norm)
        if got is None:
            return False, _("your function returned None: return the list of (clipped) gradient tensors.")
        if isinstance(got, torch.Tensor) and got.ndim == 0:
            return False, _("you returned a single number (the norm?). Return the list of clipped tensors, "
                            "one per input tensor, in the same order.")
        if not isinstance(got, (list, tuple)) or len(got) != len(grads):
            n = len(got) if isinstance(got, (list, tuple)) else type(got).__name__
            return False, _("expected a list of {expected} tensors (one per gradient), got {got}.").format(
                expected=len(grads), got=n)
        got = [torch.as_tensor(t, dtype=torch.float64) if not isinstance(t, torch.Tensor) else t.double()
               for t in got]
        for i, (a, b) in enumerate(zip(got, expected)):
            if tuple(a.shape) != tuple(b.shape):
                return False, _("in the case '{case}', tensor {i} has shape {got}, expected "
                                "{expected}: clipping rescales a tensor, it never changes its shape.").format(
                    case=_(label), i=i, got=tuple(a.shape), expected=tuple(b.shape))
        if matches(_flat(got), _flat(expected), atol=1e-8, rtol=1e-5):
            continue
        specific = recognise(_flat(got), _clip_mistakes(grads, max_norm))
        if specific is None and label.startswith("small"):
            specific = _("when the global norm is already at most max_norm, return the gradients unchanged (factor 1).")
        located = next(h for i, (a, b) in enumerate(zip(got, expected))
                       if (h := compare(_("tensor {i}").format(i=i), a, b, atol=1e-8, rtol=1e-5)) is not None)
        return False, _("case '{case}': ").format(case=_(label)) + (specific or located)
    return True, _("global norm clipping on 3 cases (large, spread over tensors, already small).")


def _matrices() -> list[tuple[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(5)
    random = torch.randn(6, 6, generator=g, dtype=torch.float64) / 6**0.5
    rotation = torch.tensor([[0.0, -2.0], [2.0, 0.0]], dtype=torch.float64)  # eigenvalues ±2i
    shear = torch.tensor([[0.5, 3.0], [0.0, 0.5]], dtype=torch.float64)  # radius 0.5, norm > 3
    return [(_("a random 6x6 matrix"), random), (_("a rotation-like matrix with complex eigenvalues"), rotation),
            (_("a non-symmetric (shear) matrix"), shear)]


@exercise_check
def check_scale_to_spectral_radius(scale_to_spectral_radius: Callable) -> tuple[bool, str]:
    """Check ``scale_to_spectral_radius(W, rho) -> W'`` with spectral radius ``rho``."""
    for (label, W), rho in zip(_matrices(), (1.5, 0.9, 0.8)):
        radius = spectral_radius(W)
        got = scale_to_spectral_radius(W.clone(), rho)
        if got is None:
            return False, _("your function returned None: return the rescaled matrix.")
        got_t = torch.as_tensor(got, dtype=torch.float64) if not isinstance(got, torch.Tensor) else got.double()
        if got_t.ndim == 0:
            return False, _("you returned a number (the radius?); return the rescaled matrix W * rho / radius.")
        if got_t.shape == W.shape and not torch.isfinite(got_t).all():
            return False, _("for {matrix}, your matrix contains inf or NaN: did you divide by the largest REAL "
                            "eigenvalue? Its eigenvalues are complex (±2i, real part 0); the spectral radius is "
                            "the largest absolute value, eigvals(W).abs().max().").format(matrix=label)
        largest_real = float(torch.linalg.eigvals(W).real.max())
        hint = diagnose(_("the rescaled matrix"), got_t, W * (rho / radius), [
            (W * (rho / float(torch.linalg.matrix_norm(W, ord=2))),
             _("you divided by the largest singular value (the spectral norm). The spectral radius is "
               "the largest |eigenvalue|: torch.linalg.eigvals(W).abs().max().")),
            (W * (rho / largest_real) if largest_real != 0 else None,
             _("you used the largest real part of the eigenvalues. Eigenvalues can be complex (or negative): "
               "take the largest absolute value, eigvals(W).abs().max().")),
            (W * (rho / float(W.abs().max())), _("you divided by the largest |entry| of W; the spectral radius "
                                                 "is the largest |eigenvalue|.")),
            (W * (radius / rho), _("you inverted the factor: multiply W by rho / radius(W).")),
            (W / radius, _("you normalised the radius to 1 but forgot to multiply by rho.")),
        ])
        if hint:
            return False, _("for {matrix} with rho = {rho}: {hint}").format(matrix=label, rho=rho, hint=hint)
    return True, _("spectral radius matches rho on 3 matrices (random, complex eigenvalues, non-symmetric).")

