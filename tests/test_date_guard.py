"""The guard around the time-stamp normaliser: era spans, real dates, confidence, round trips."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import numpy as np
import pytest
import torch

from rnn_course.seq2seq.date_guard import (ERA_SPANS, OUTCOMES, Guarded, era_problem, guard, guarded_normalise,
                                   guarded_translate,
                                   impossible_inputs, min_char_prob, output_problem, tally,
                                   writes_back)
from rnn_course.seq2seq import Seq2Seq
from rnn_course.seq2seq.vocab import Vocab


def test_era_spans_are_the_real_ones():
    assert ERA_SPANS["昭和"][1:] == (date(1926, 12, 25), date(1989, 1, 7))
    assert ERA_SPANS["平成"][2].isoformat() == "2019-04-30" and ERA_SPANS["令和"][2] is None
    assert ERA_SPANS["明治"][2] == ERA_SPANS["大正"][1]  # 1912-07-30 is in both


@pytest.mark.parametrize("source, fragment", [
    ("平成35年1月17日 19時38分", "平成 has years 1-31"), ("S70.2.26 13:56", "昭和 has years 1-64"),
    ("令和0年3月3日 9時4分", "never existed"), ("平成31年5月1日 0時0分", "not in 平成"),
    ("S64.1.8 10:00", "not in 昭和"), ("令和元年4月30日 8時0分", "not in 令和"),
    ("昭和44年3月5日 14時30分", "outside the model's range 1970-2039"),
    ("大正3年1月1日 0時0分", "outside"), ("令和5年2月30日 1時0分", "not a day of the calendar"),
    ("令和２１年１２月３１日\u3000２３時５９分", None), ("H31.4.30 23:59", None),
    ("S64.1.7 23:59", None), ("令和元年5月1日 0時0分", None), ("5 Mar 2024 2:30 pm", None)])
def test_era_problem(source, fragment):
    problem = era_problem(source)
    assert problem is None if fragment is None else fragment in problem, problem


def test_output_problem_reads_the_output_with_datetime():
    src = "R6.3.5 14:30"
    assert output_problem("2024-03-05T14:30", src) is None
    for bad, fragment in [("2024-02-30T10:00", "not a real"), ("2024-13-01T10:00", "not a real"),
                          ("2024-03-05T25:00", "not a real"), ("2024-3-5T14:30", "not a real"),
                          ("2045-03-05T14:30", "outside"), ("1969-12-31T23:59", "outside")]:
        assert fragment in output_problem(bad, "5 Mar 2024 2:30 pm"), bad
    assert "contradicts 平成31年" in output_problem("2018-04-30T10:00", "平成31年4月30日 10時0分")
    assert "contradicts 昭和64年" in output_problem("1984-01-07T09:23", "S64.1.7 09:23")
    assert "contradicts 令和1年" in output_problem("2020-05-01T00:00", "令和元年5月1日 0時0分")


def test_guard_three_outcomes_with_reasons():
    src = "5 Mar 2024 2:30 pm"
    assert guard(src, "2024-03-05T14:30", 0.99, threshold=0.5) == Guarded(
        "answer", "2024-03-05T14:30", "", 0.99)
    low = guard(src, "2024-03-05T14:30", 0.2, threshold=0.5)
    assert low.outcome == "flagged" and "confidence" in low.reason
    other = guard(src, "2024-03-05T02:30", 0.99, threshold=0.5)  # real, confident, not the input
    assert other.outcome == "flagged" and "write back" in other.reason
    assert guard(src, "2024-02-30T14:30", 0.99, threshold=0.5).outcome == "refused"
    refused = guard("平成35年1月1日 0時0分", None, float("nan"), threshold=0.5)
    assert refused.outcome == "refused" and refused.text is None
    assert writes_back("2019-05-01T00:00", "令和元年5月1日 0時0分")
    with pytest.raises(ValueError, match="threshold"):
        guard(src, "2024-03-05T14:30", 0.9, threshold=2)
    with pytest.raises(ValueError, match="output"):
        guard(src, None, 0.9, threshold=0.5)
    with pytest.raises(TypeError, match="str"):
        era_problem(20240305)


def test_impossible_inputs_have_no_valid_reading():
    inputs = impossible_inputs(10, seed=0)
    assert Counter(kind for _, kind in inputs) == {k: 10 for k in {kind for _, kind in inputs}}
    assert len({kind for _, kind in inputs}) == 5 and inputs == impossible_inputs(10, seed=0)
    era_kinds = ("era year never existed", "day outside its era", "era date before 1970")
    assert all(era_problem(s) for s, kind in inputs if kind in era_kinds)


def test_guarded_normalise_runs_the_model_only_on_inputs_that_pass():
    seen = []

    def translate_fn(sources):
        seen.extend(sources)
        return ["2024-03-05T14:30"] * len(sources)

    out = guarded_normalise(translate_fn, lambda s, t: np.full(len(s), 0.9),
                            ["平成35年1月1日 0時0分", "5 Mar 2024 2:30 pm"], threshold=0.5)
    assert [g.outcome for g in out] == ["refused", "answer"] and seen == ["5 Mar 2024 2:30 pm"]
    with pytest.raises(TypeError, match="list"):
        guarded_normalise(translate_fn, lambda s, t: np.ones(1), "R6.3.5", threshold=0.5)


def test_min_char_prob_is_a_probability_per_output():
    torch.manual_seed(0)
    src_vocab, tgt_vocab = Vocab.build(["R6.3.5 14:30"]), Vocab.build(["2024-03-05T14:30"])
    model = Seq2Seq(len(src_vocab), len(tgt_vocab), emb_size=4, hidden_size=4)
    p = min_char_prob(model, ["R6.3.5 14:30", "R6.3"], ["2024-03-05T14:30", "20"],
                      src_vocab, tgt_vocab)
    assert p.shape == (2,) and np.all((p > 0) & (p < 1))
    with pytest.raises(ValueError, match="equal lengths"):
        min_char_prob(model, ["R6"], [], src_vocab, tgt_vocab)


def test_tally_counts_each_outcome_against_the_truth():
    g = [Guarded("answer", "a", "", 0.9), Guarded("answer", "b", "", 0.9),
         Guarded("flagged", "c", "low", 0.1), Guarded("refused", None, "era", float("nan"))]
    assert tally(g, ["a", "x", "c", None]) == {"inputs": 4, "answered right": 1,
                                               "silently wrong": 1, "flagged": 1, "refused": 1}
    with pytest.raises(ValueError, match="equal lengths"):
        tally(g, ["a"])


def test_two_digit_years_of_the_out_of_range_kind_are_out_of_range():
    for source, kind in impossible_inputs(40, seed=1):
        if kind == "year outside 1970-2039" and "-" in source:  # dd_mon_yy, read by POSIX
            year = datetime.strptime(source, "%d-%b-%y %H%M").year
            assert not 1970 <= year <= 2039, source


def test_guarded_translate_runs_a_model_and_refuses_before_it():
    torch.manual_seed(0)
    src_vocab, tgt_vocab = Vocab.build(["R6.3.5 14:30 平成"]), Vocab.build(["2024-03-05T14:30"])
    model = Seq2Seq(len(src_vocab), len(tgt_vocab), emb_size=4, hidden_size=4)
    out = guarded_translate(model, ["平成35年1月1日 0時0分", "R6.3.5 14:30"], src_vocab, tgt_vocab,
                            threshold=0.5)
    assert [g.outcome for g in out][0] == "refused" and out[1].outcome in OUTCOMES
    assert out[1].outcome != "answer"  # an untrained model is neither right nor confident
