"""The instructor's loop on one real lab in both editions: ``rnn-course student`` and
``rnn-course grade`` on chapter 2's BPTT lab (the fastest lab) and on its Japanese notebook
(the English notebook with translated markdown, made by ``_ext/translations.py`` from the
catalogues, metadata ``"rnn_course": {"language": "ja"}``) give the same grades, and the
Japanese run's feedback is Japanese. Executes the lab four times (two at a time)."""
from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from rnn_course import i18n
from rnn_course.instructor import check_lines, main, parse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import translations as tr  # noqa: E402

LAB = ROOT / "chapters" / "02_bptt" / "bptt_lab.ipynb"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _code(nb: nbformat.NotebookNode) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


@pytest.mark.executes_lab
def test_student_and_grade_give_the_same_grades_on_the_english_and_japanese_lab(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(i18n.ENV, raising=False)
    (tmp_path / "en").mkdir()
    (tmp_path / "ja").mkdir()
    shutil.copy(LAB, tmp_path / "en" / LAB.name)
    (tmp_path / "ja" / LAB.name).write_text(tr.notebook_text(tr.japanese_notebook(LAB)), encoding="utf-8")
    english, japanese = (nbformat.read(tmp_path / lang / LAB.name, as_version=4) for lang in ("en", "ja"))
    assert japanese.metadata["rnn_course"]["language"] == "ja" and "language" not in english.metadata.get("rnn_course", {})
    assert _code(japanese) == _code(english)

    for lang in ("en", "ja"):
        assert main(["student", str(tmp_path / lang / LAB.name), "--out", str(tmp_path / f"student_{lang}")]) == 0
    student_en, student_ja = (nbformat.read(tmp_path / f"student_{lang}" / LAB.name, as_version=4)
                              for lang in ("en", "ja"))
    assert student_ja.metadata["rnn_course"]["language"] == "ja"
    assert "学習者用の版" in student_ja.cells[1].source and "Student version" in student_en.cells[1].source
    assert parse(student_ja).checks == parse(student_en).checks
    assert any("この行を自分のコードに置き換えよ" in s for s in _code(student_ja))

    submissions = [tmp_path / folder / LAB.name for folder in ("en", "student_en", "ja", "student_ja")]
    out = tmp_path / "grades.csv"
    assert main(["grade", *map(str, submissions), "--jobs", "2", "--out", str(out),
                 "--executed", str(tmp_path / "executed")]) == 0
    capsys.readouterr()
    table = pd.read_csv(out, index_col="notebook", keep_default_na=False)
    checks = parse(english).checks
    assert len(checks) >= 3
    rows = {folder: table.loc[f"{folder}/{LAB.name}"] for folder in ("en", "student_en", "ja", "student_ja")}
    assert rows["en"][checks].tolist() == [1] * len(checks)  # the reference solves every graded exercise
    assert rows["student_en"][checks].tolist() == [0] * len(checks)
    for a, b in (("en", "ja"), ("student_en", "student_ja")):  # "why" quotes hints in each notebook's language
        assert rows[a].drop("why").tolist() == rows[b].drop("why").tolist(), f"{a} and {b} graded differently"
        assert rows[a]["why"].count("not answered: ") == rows[b]["why"].count("not answered: ")
    assert rows["student_ja"]["why"].count("not answered: ") == len(checks) and rows["ja"]["why"] == ""
    assert all(row["error"] == "" for row in rows.values())

    executed = {folder: check_lines(nbformat.read(tmp_path / "executed" / f"{folder}__{LAB.name}", as_version=4))
                for folder in ("en", "student_en", "ja", "student_ja")}
    for a, b in (("en", "ja"), ("student_en", "student_ja")):
        assert list(executed[a]) == list(executed[b])
        for name in executed[a]:
            assert executed[a][name].passed == executed[b][name].passed
            assert not JAPANESE.search(executed[a][name].message), executed[a][name].message
            assert JAPANESE.search(executed[b][name].message), executed[b][name].message
    # an untouched student notebook's hints ("not implemented yet", "precision is None") word for word
    for name, line in executed["student_en"].items():
        assert executed["student_ja"][name].message == i18n.translate(line.message, "ja") != line.message
