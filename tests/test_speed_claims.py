"""The labs' speed claims are asserted through counts that do not depend on the machine.

Each hidden assertion that used to compare two measured times now asserts what explains the
time: calls from Python into PyTorch, FLOPs of the matrix products, steps computed. For each,
a test below applies the same condition to the honest computation (it holds) and to a variant
for which the claim is false (it fails), so the assertion can catch a false claim:

- chapter 2, full BPTT is linear in T: T forward and T backward steps (a quadratic variant
  that re-runs the prefix fails);
- chapter 3, an update's work grows linearly in k, 16x from k = 25 to 400 (attention over
  the chunk, quadratic, fails; a model that reads only the last step fails);
- chapter 3, k1 = 10 with k2 = 40 computes every step about 4 times per epoch (k1 = k2 fails);
- chapter 5, nn.LSTM makes far fewer calls into PyTorch than the Python loop (the fused module
  against itself fails);
- chapter 8, attention's work grows like T^2 and the GRU's like T (a linear layer in place of
  attention fails); the parallel scan makes O(log T) calls and the loop T (the loop in place of
  the scan fails); minGRU does the GRU's arithmetic in more calls (nn.GRU against itself fails);
- chapter 6 (attention lab), Bahdanau's placement and a teacher forcing ratio below 1 loop over
  the target steps: several times the calls of Luong's fused decoder (the fused decoder against
  itself fails); the additive score does more arithmetic than the general one.
"""
from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
import torch
from torch import nn

from rnn_course.recurrent import LastStep, numpy_rnn, tbptt
from rnn_course.beyond.transformer import CausalSelfAttention
from rnn_course.timing import Work, count_work, machine
from rnn_course.recurrent.gated import ScratchLSTM
from rnn_course.beyond.mingru import MinRNNRegressor
from rnn_course.beyond.scan import blelloch_scan, heinsen_scan, linear_recurrence_loop


# ------------------------------------------------------------------ the counter itself
def test_count_work_counts_calls_and_matrix_product_flops_exactly():
    a, b = torch.randn(2, 3), torch.randn(3, 4)
    work = count_work(lambda: (a @ b).relu())
    assert isinstance(work, Work) and work.flops == 2 * 2 * 3 * 4
    assert work.calls == 2 and sum(work.by_name.values()) == 2
    assert count_work(lambda: None) == Work(0, 0)
    with pytest.raises(ValueError, match="function of no arguments"):
        count_work(3)


@pytest.mark.slow
def test_count_work_is_the_same_on_every_run():
    gru, x = nn.GRU(4, 8, batch_first=True), torch.randn(2, 30, 4)
    runs = [count_work(lambda: gru(x)[0].sum().backward()) for _ in range(3)]
    assert runs[0] == runs[1] == runs[2] and runs[0].flops > 0


def test_machine_names_the_processor_and_threads():
    text = machine("cpu")
    assert "cores" in text and "torch thread" in text and "GPU" not in text


# ------------------------------------------------------------------ chapter 2
def _steps(forward_backward, Ts, N=2, D=3, H=4):
    params = numpy_rnn.init_params(D, H, 1, seed=0)
    rng = np.random.default_rng(0)
    steps = {}
    for T in Ts:
        x = rng.standard_normal((N, T, D))
        with mock.patch.object(numpy_rnn, "_step_forward", wraps=numpy_rnn._step_forward) as fwd, \
             mock.patch.object(numpy_rnn, "_step_backward", wraps=numpy_rnn._step_backward) as bwd:
            forward_backward(x, np.zeros((N, H)), params)
        steps[T] = (fwd.call_count, bwd.call_count)
    return steps


def _full_bptt(x, h0, p):
    h, cache = numpy_rnn.rnn_forward(x, h0, p["Wx"], p["Wh"], p["b"])
    numpy_rnn.rnn_backward(np.ones_like(h), cache)


def _prefix_rerun(x, h0, p):  # quadratic: every step runs the whole prefix again
    for t in range(1, x.shape[1] + 1):
        h, cache = numpy_rnn.rnn_forward(x[:, :t], h0, p["Wx"], p["Wh"], p["b"])
    numpy_rnn.rnn_backward(np.ones_like(h), cache)


def test_ch02_linear_steps_hold_for_bptt_and_fail_for_a_quadratic_variant():
    Ts = [5, 10, 20]
    claim = lambda steps: all(steps[T] == (T, T) for T in Ts)  # noqa: E731 (the lab's assertion)
    assert claim(_steps(_full_bptt, Ts))
    assert not claim(_steps(_prefix_rerun, Ts))


# ------------------------------------------------------------------ chapter 3
def _update_flops(model, ks, B=2):
    x, y = torch.randn(B, max(ks), 1), torch.randn(B, max(ks), 1)
    out = np.array([count_work(lambda k=k: nn.MSELoss()(model(x[:, :k], None)[0], y[:, :k]).backward()).flops
                    for k in ks])
    model.zero_grad(set_to_none=True)
    return out


def _ch03_claim(flops, ks):
    per_step = np.diff(flops) / np.diff(ks)
    return per_step.min() > 0 and per_step.max() == per_step.min() and flops[-1] > 15 * flops[0]


class _AttentionOverChunk(nn.Module):
    """Quadratic in k: every step attends to every earlier step of the chunk."""

    def __init__(self):
        super().__init__()
        self.inp, self.att, self.out = nn.Linear(1, 8), CausalSelfAttention(8, n_heads=2), nn.Linear(8, 1)

    def forward(self, x, h):
        return self.out(self.att(self.inp(x))), h


class _LastStepOnly(nn.Module):
    """Constant in k: reads only the chunk's last step."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(1, 1)

    def forward(self, x, h):
        return self.lin(x[:, -1:]).expand(-1, x.shape[1], -1), h


@pytest.mark.slow
def test_ch03_update_work_linear_in_k_holds_for_the_gru_and_fails_otherwise():
    ks = [5, 10, 20, 40, 80]  # 16x, as the lab's 25 to 400, on shorter chunks
    torch.manual_seed(0)
    assert _ch03_claim(_update_flops(tbptt.RecurrentModel(1, 8, 1), ks), ks)
    assert not _ch03_claim(_update_flops(_AttentionOverChunk(), ks), ks)
    assert not _ch03_claim(_update_flops(_LastStepOnly(), ks), ks)


def test_ch03_k1_schedule_computes_steps_four_times_and_k1_equal_k2_does_not():
    T = 1000

    def steps(k, k1):
        return sum(end - start for start, _, end in tbptt._update_windows(T, k, k1))

    assert steps(40, 40) == T and 3.9 * T < steps(40, 10) <= 4 * T
    assert not 3.9 * T < steps(40, 40)


# ------------------------------------------------------------------ chapter 5
@pytest.mark.slow
def test_ch05_the_fused_lstm_makes_far_fewer_calls_and_itself_does_not():
    torch.manual_seed(0)
    fused = nn.LSTM(4, 8, batch_first=True)
    scratch, x = ScratchLSTM.from_torch(fused), torch.randn(2, 50, 4)
    loop, one = count_work(lambda: scratch(x)).calls, count_work(lambda: fused(x)).calls
    claim = lambda many, few: 15 < many / 50 < 22 and few * 20 < many  # noqa: E731 (the lab's cell)
    assert claim(loop, one)
    assert not claim(one, one)


# ------------------------------------------------------------------ chapter 8
def _ch08_flops(second, T_short=64, T_long=1024, D=8):
    gru = nn.GRU(D, D, batch_first=True)
    out = {}
    with torch.inference_mode():
        for T in (T_short, T_long):
            x = torch.randn(1, T, D)
            out[T] = (count_work(lambda: gru(x)).flops, count_work(lambda: second(x)).flops)
    return out


def _ch08_attention_claim(flops):
    grow_gru, grow_att = flops[1024][0] / flops[64][0], flops[1024][1] / flops[64][1]
    return grow_gru == 16 and grow_att > 3 * grow_gru and flops[1024][1] > 2 * flops[1024][0]


@pytest.mark.slow
def test_ch08_attention_quadratic_against_gru_linear_and_a_linear_layer_fails():
    torch.manual_seed(0)
    assert _ch08_attention_claim(_ch08_flops(CausalSelfAttention(8, n_heads=2)))
    assert not _ch08_attention_claim(_ch08_flops(nn.Linear(8, 8)))


def _scan_calls(scans, Ts=(64, 256, 1024, 4096)):
    out = {}
    for T in Ts:
        a, b = torch.rand(2, T, 4), torch.randn(2, T, 4)
        out[T] = [count_work(lambda s=s: s(a, b)).calls for s in scans]
    return out


def _ch08_scan_claim(calls):
    loop_c, scan_c, _ = calls[4096]
    growth = [calls[4 * T][1] - calls[T][1] for T in (64, 256, 1024)]
    return (loop_c >= 4 * 4096 and loop_c > 30 * scan_c and len(set(growth)) == 1 and growth[0] > 0
            and len({c[2] for c in calls.values()}) == 1)


@pytest.mark.slow
def test_ch08_scan_makes_log_t_calls_and_a_loop_in_its_place_fails():
    assert _ch08_scan_claim(_scan_calls([linear_recurrence_loop, blelloch_scan, heinsen_scan]))
    assert not _ch08_scan_claim(_scan_calls([linear_recurrence_loop, linear_recurrence_loop, heinsen_scan]))


@pytest.mark.slow
def test_ch08_mingru_same_arithmetic_more_calls_and_the_gru_against_itself_fails():
    torch.manual_seed(0)
    x, y = torch.randn(8, 60, 2), torch.randn(8, 1)

    def work(model):
        return count_work(lambda: nn.functional.mse_loss(model(x), y).backward())

    def claim(w_min, w_gru):
        return 0.8 < w_min.flops / w_gru.flops < 1.25 and w_min.calls > 2 * w_gru.calls

    gru = work(LastStep(2, 1, 32, cell="gru"))
    assert claim(work(MinRNNRegressor(2, 40, num_layers=2, mode="blelloch")), gru)
    assert not claim(work(LastStep(2, 1, 32, cell="gru")), gru)


# ------------------------------------------------------------------ chapter 6 (attention lab)
def _update_calls(placement, ratio, score="general", B=4, S=18, T=20, V=12):  # the lab: about 20 steps
    from rnn_course.seq2seq import Seq2Seq, seq2seq_loss

    torch.manual_seed(0)
    model = Seq2Seq(V, V, emb_size=8, hidden_size=8, attention=score, placement=placement,
                    teacher_forcing_ratio=ratio).train()
    src, lengths = torch.randint(4, V, (B, S)), torch.full((B,), S)
    tgt_in, tgt_out = torch.randint(4, V, (B, T)), torch.randint(4, V, (B, T))
    optimizer = torch.optim.Adam(model.parameters())

    def step():
        loss = seq2seq_loss(model(src, lengths, tgt_in), tgt_out)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return count_work(step)


@pytest.mark.slow
def test_ch06_a_decoder_loop_makes_many_more_calls_and_the_fused_decoder_does_not():
    fused = _update_calls("luong", 1.0)
    claim = lambda loop, fused: loop.calls > 3 * fused.calls  # noqa: E731 (the lab's assertion)
    assert claim(_update_calls("bahdanau", 1.0), fused)
    assert claim(_update_calls("luong", 0.5), fused)
    assert not claim(_update_calls("luong", 1.0), fused)
    assert _update_calls("luong", 1.0, "additive").flops > fused.flops  # the additive score's arithmetic
