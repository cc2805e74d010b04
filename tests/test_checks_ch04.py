"""The chapter 4 checks: reference answers pass, typical mistakes get specific hints, stubs fail quietly."""
from __future__ import annotations

import torch

from rnn_course.checks.ch04 import check_clip_grad_norm, check_scale_to_spectral_radius, reference_clip_grad_norm


def _norm(grads):
    return torch.sqrt(sum((g**2).sum() for g in grads))


def good_clip(grads, max_norm):
    total = _norm(grads)
    factor = min(1.0, max_norm / float(total))
    return [g * factor for g in grads]


def per_tensor_clip(grads, max_norm):
    return [g * min(1.0, max_norm / float(g.norm())) for g in grads]


def always_rescale(grads, max_norm):
    return [g * (max_norm / _norm(grads)) for g in grads]


def value_clip(grads, max_norm):
    return [g.clamp(-max_norm, max_norm) for g in grads]


def squared_norm(grads, max_norm):
    total = float((_norm(grads)) ** 2)
    return [g * min(1.0, max_norm / total) for g in grads]


def zero_when_small(grads, max_norm):
    total = _norm(grads)
    return [g * (max_norm / total) if total > max_norm else torch.zeros_like(g) for g in grads]


def stub(grads, max_norm):
    raise NotImplementedError("write clip_grad_norm")


def test_reference_and_correct_answers_pass(capsys):
    assert check_clip_grad_norm(reference_clip_grad_norm)
    assert check_clip_grad_norm(good_clip)
    assert capsys.readouterr().out.startswith("✅ check_clip_grad_norm: passed")


def _hint(check, fn, capsys) -> str:
    result = check(fn)
    assert not result
    out = capsys.readouterr().out
    assert out.startswith(f"❌ {check.__name__}:")
    return result.message


def test_clip_mistakes_get_specific_hints(capsys):
    assert "each tensor by its own norm" in _hint(check_clip_grad_norm, per_tensor_clip, capsys)
    assert "scaled them UP" in _hint(check_clip_grad_norm, always_rescale, capsys)
    assert "value clipping" in _hint(check_clip_grad_norm, value_clip, capsys)
    assert "squared norm" in _hint(check_clip_grad_norm, squared_norm, capsys)
    assert "return the gradients unchanged" in _hint(check_clip_grad_norm, zero_when_small, capsys)
    assert "returned None" in _hint(check_clip_grad_norm, lambda g, m: None, capsys)
    assert "single number" in _hint(check_clip_grad_norm, lambda g, m: _norm(g), capsys)
    assert "list of 3 tensors" in _hint(check_clip_grad_norm, lambda g, m: g[:2], capsys)
    assert "never changes its shape" in _hint(check_clip_grad_norm, lambda g, m: [t.flatten() for t in g], capsys)


def test_clip_stub_and_crash_do_not_raise(capsys):
    assert "not implemented yet" in _hint(check_clip_grad_norm, stub, capsys)
    assert "raised ZeroDivisionError" in _hint(check_clip_grad_norm, lambda g, m: 1 / 0, capsys)


def good_scale(W, rho):
    return W * (rho / torch.linalg.eigvals(W).abs().max())


def test_scale_reference_passes(capsys):
    assert check_scale_to_spectral_radius(good_scale)
    from rnn_course.recurrent.init import scale_to_spectral_radius
    assert check_scale_to_spectral_radius(scale_to_spectral_radius)
    assert "✅ check_scale_to_spectral_radius: passed" in capsys.readouterr().out


def test_scale_mistakes_get_specific_hints(capsys):
    def spectral_norm(W, rho):
        return W * (rho / torch.linalg.matrix_norm(W, ord=2))

    def real_part(W, rho):
        return W * (rho / torch.linalg.eigvals(W).real.max())

    def max_entry(W, rho):
        return W * (rho / W.abs().max())

    def forgot_rho(W, rho):
        return W / torch.linalg.eigvals(W).abs().max()

    check = check_scale_to_spectral_radius
    assert "spectral norm" in _hint(check, spectral_norm, capsys)
    assert "REAL" in _hint(check, real_part, capsys) or "real part" in _hint(check, real_part, capsys)
    assert "largest |entry|" in _hint(check, max_entry, capsys)
    assert "forgot to multiply by rho" in _hint(check, forgot_rho, capsys)
    assert "not implemented yet" in _hint(check, lambda W, rho: (_ for _ in ()).throw(NotImplementedError()), capsys)
    assert "returned a number" in _hint(check, lambda W, rho: torch.linalg.eigvals(W).abs().max(), capsys)
