"""What a learner meets around the exercise checks: answer cells for questions answered in
words, failures the grade explains, and feedback notebooks without progress-bar noise.

A fixture lab of a few cells uses a real check (chapter 6's ``check_masked_attention``),
is turned into its student version with ``student``, and typical submissions (solution deleted,
renamed, raising at the top level, a mask without its time axis, the check cell deleted,
answers written in words) are graded with the command line in one run.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from rnn_course.instructor import main, make_student_notebook
from rnn_course.instructor.grade import (Graded, WrittenAnswer, answers_markdown, compact_streams, row_labels,
                                         written_answers)
from notebook_variants import colab_export
from rnn_course.checks.missing import missing_answer_message

CHECK = "check_masked_attention"
SOLUTION = '''\
def masked_attention(query, keys, mask):
    """Dot-product attention: query (batch, T, D), keys (batch, S, D), mask (batch, S)
    -> (context (batch, T, D), weights (batch, T, S))."""
    # BEGIN SOLUTION
    scores = (query @ keys.transpose(1, 2)).masked_fill(~mask[:, None, :], float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ keys, weights
    # END SOLUTION'''
RIGHT = SOLUTION.replace("    # BEGIN SOLUTION\n", "").replace("\n    # END SOLUTION", "")


def _md(text, tags=None):
    cell = new_markdown_cell(text)
    if tags:
        cell.metadata["tags"] = tags
    return cell


def _code(text, tags=None):
    cell = new_code_cell(text)
    if tags:
        cell.metadata["tags"] = tags
    return cell


def lab() -> nbformat.NotebookNode:
    """An instructor notebook: a progress bar, one checked exercise and one answered in words."""
    nb = new_notebook(cells=[
        _md("# Lab: fixture"),
        _code("import torch\nfrom tqdm import tqdm\nfrom rnn_course.checks.ch06 import check_masked_attention"),
        _code("import time\nfor _ in tqdm(range(300), mininterval=0):\n    time.sleep(0.001)"),
        _md("```{exercise} Masked attention\n:label: ex-fx-mask\n\nWrite `masked_attention(query, keys, mask)`.\n```"),
        _md("```{solution-start} ex-fx-mask\n:class: dropdown\n```"),
        _code(SOLUTION, ["solution"]),
        _md("```{solution-end}\n```"),
        _code(f"{CHECK}(masked_attention);"),
        _md("```{exercise} Why mask?\n:label: ex-fx-why\n\n(a) Why must padding get no weight?\n```"),
        _md("```{solution-start} ex-fx-why\n:class: dropdown\n```"),
        _md("Because padding is not part of the sequence."),
        _md("```{solution-end}\n```"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _cell_index(nb, text: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if text in c.source)


def _answer(nb, text: str) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    cell = nb.cells[_cell_index(nb, "Your answer** to")]
    cell.source += text
    return nb


def _with_solution(nb, source: str | None) -> nbformat.NotebookNode:
    """The student notebook with the stub replaced by ``source`` (None: cell deleted)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    i = _cell_index(nb, "def masked_attention")
    if source is None:
        del nb.cells[i]
    else:
        nb.cells[i].source = source
    return nb


# --------------------------------------------------------------------------- the student version
def test_student_version_has_an_answer_cell_for_the_question_in_words_only():
    student, report = make_student_notebook(lab(), "lab.ipynb")
    answers = [c for c in student.cells if "answer" in c.metadata.get("tags", [])]
    assert report.answer_cells == 1 and len(answers) == 1
    cell = answers[0]
    assert cell.cell_type == "markdown" and cell.metadata["rnn_course"]["answer_to"] == "ex-fx-why"
    assert cell.source.startswith("✍️ **Your answer** to \"Why mask?\"")
    assert student.cells.index(cell) == _cell_index(student, "Why mask?") + 1  # right under its question
    assert "Because padding" not in json.dumps(student)  # the model answer is gone


def test_a_checked_exercise_tagged_written_answer_gets_an_answer_cell_after_its_stub():
    nb = lab()
    nb.cells[_cell_index(nb, "ex-fx-mask\n")].metadata["tags"] = ["written-answer"]
    student, report = make_student_notebook(nb, "lab.ipynb")
    assert report.answer_cells == 2
    stub, answer = _cell_index(student, "def masked_attention"), _cell_index(student, 'to "Masked attention"')
    assert answer == stub + 1 and _cell_index(student, f"{CHECK}(") == answer + 1


def test_a_cell_that_shows_an_answer_is_left_out_of_the_student_version():
    nb = lab()
    shown = _code("import inspect\nprint(inspect.getsource(masked_attention))", ["shows-answer"])
    nb.cells.insert(2, shown)
    student, report = make_student_notebook(nb, "lab.ipynb")
    assert report.left_out == 1 and "getsource" not in json.dumps(student)
    note = student.cells[3]  # the title, the student note, the imports, then this
    assert note.cell_type == "markdown" and "left out" in note.source and "answers an exercise" in note.source


def test_stubs_define_only_what_the_students_check_cells_read():
    nb = lab()
    nb.cells[_cell_index(nb, "def masked_attention")].source = "def masked_attention(q, k, m):\n    return q\nextra = 1"
    nb.cells.insert(_cell_index(nb, f"{CHECK}(") + 1, _code(f"assert {CHECK}(masked_attention) and extra", ["remove-cell"]))
    student, _ = make_student_notebook(nb, "lab.ipynb")
    stub = student.cells[_cell_index(student, "def masked_attention")].source
    assert "extra" not in stub  # read only by the hidden assertion, which the student version drops


def test_written_answers_are_read_by_label_or_position_and_without_the_prompt():
    student, _ = make_student_notebook(lab(), "lab.ipynb")
    nb = _answer(student, "Padding is not data.\n\nIt would dilute the context.")
    assert written_answers(nb)["ex-fx-why"].text == "Padding is not data.\n\nIt would dilute the context."
    assert written_answers(nb)["ex-fx-why"].statement == "(a) Why must padding get no weight?"
    nb.cells[_cell_index(nb, "Your answer** to")].metadata.pop("rnn_course")  # an editor dropped the metadata
    assert written_answers(nb)["ex-fx-why"].text.startswith("Padding is not data.")
    assert written_answers(student)["ex-fx-why"].text == ""
    colab = nbformat.reads(colab_export(nb), as_version=4)  # Colab's download keeps no cell tags
    assert written_answers(colab)["ex-fx-why"].text.startswith("Padding is not data.")


def test_answers_markdown_lists_every_learner_under_each_question():
    q = WrittenAnswer("ex-fx-why", "Why mask?", "(a) Why?\n(b) How?", "")
    results = [Graded("alice/lab.ipynb", answers={"ex-fx-why": WrittenAnswer(q.label, q.title, q.statement,
                                                                             "# Not data\n- a list")}),
               Graded("bob/lab.ipynb", answers={"ex-fx-why": q}),
               Graded("chen/lab.ipynb"),
               Graded("dana/lab.ipynb", error="not a readable notebook (truncated, or not JSON)")]
    page = answers_markdown(results, [q])
    assert "## Why mask? (`ex-fx-why`)\n\n> (a) Why?\n> (b) How?" in page
    assert "### alice/lab.ipynb\n\n> # Not data\n> - a list" in page  # quoted: a heading cannot break the page
    assert "### bob/lab.ipynb\n\n*(left empty)*" in page
    assert "### chen/lab.ipynb\n\n*(no answer cell" in page
    assert "### dana/lab.ipynb\n\n*(not a readable notebook" in page
    assert page.count("**Mark:**") == 4


# --------------------------------------------------------------------------- small pieces
def test_missing_answer_message_names_the_missing_function_only_on_a_check_line():
    from rnn_course.checks.ch06 import check_masked_attention

    ns = {CHECK: check_masked_attention}
    source = "x = 1\ncheck_masked_attention(masked_attention);\n"
    message = missing_answer_message(source, 2, "masked_attention", ns)
    assert message == (f"❌ {CHECK}: `masked_attention` is not defined: run the cell that defines it, "
                       "or restore it (was it deleted or renamed?).")
    assert missing_answer_message("print(masked_attention)\n", 1, "masked_attention", ns) is None
    assert missing_answer_message(source, 1, "masked_attention", ns) is None  # another line raised
    lost_import = missing_answer_message(source, 2, CHECK, {})
    assert lost_import.startswith(f"❌ {CHECK}: `{CHECK}` is not defined: run the cell near the top")


def test_compact_streams_keeps_what_a_terminal_shows():
    bar = "".join(f"\r{i:3d}%|{'#' * (i // 10):10}|" for i in range(0, 101)) + "\n"
    nb = new_notebook(cells=[new_code_cell("x")])
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stderr", text=bar[:200]),
                           nbformat.v4.new_output("stream", name="stderr", text=bar[200:]),
                           nbformat.v4.new_output("stream", name="stdout", text="✅ check_x: passed — ok\n")]
    compact_streams(nb)
    assert [o.text for o in nb.cells[0].outputs] == ["100%|##########|\n", "✅ check_x: passed — ok\n"]


def test_row_labels_keep_the_learners_folder():
    assert row_labels([Path("submissions/alice/lab.ipynb")]) == ["alice/lab.ipynb"]
    assert row_labels([Path("lab.ipynb")]) == ["lab.ipynb"]
    assert row_labels([Path("s/alice/lab.ipynb"), Path("s/bob/lab.ipynb")]) == ["alice/lab.ipynb", "bob/lab.ipynb"]
    assert row_labels([Path("s/a.ipynb"), Path("s/b.ipynb")]) == ["a.ipynb", "b.ipynb"]
    assert row_labels([Path("x/alice/lab.ipynb"), Path("y/alice/lab.ipynb")]) == ["x/alice/lab.ipynb",
                                                                                  "y/alice/lab.ipynb"]


# --------------------------------------------------------------------------- one grade run
MISTAKES = {
    "reference": RIGHT,
    "untouched": "stub",
    "deleted": None,
    "renamed": RIGHT.replace("def masked_attention", "def my_attention"),
    "raises_after": RIGHT + "\n\nmasked_attention(1, 2, 3, 4)",
    "raises_before": "len(5)  # raises TypeError before the def\n\n" + RIGHT,
    "no_time_axis": RIGHT.replace("~mask[:, None, :]", "~mask"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One `rnn-course grade` run over every kind of submission; returns (rows, answers page,
    printed output, executed folder, paths)."""
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("class")
    student, _ = make_student_notebook(lab(), "lab.ipynb")
    nbformat.write(student, root / "student.ipynb")
    paths = []
    for name, source in MISTAKES.items():
        nb = student if source == "stub" else _with_solution(student, source)
        if name == "reference":
            nb = _answer(nb, "Padding is not part of the data: *no* weight.")
        path = root / name / "lab.ipynb"
        path.parent.mkdir()
        nbformat.write(nb, path)
        paths.append(path)
    no_check = _with_solution(student, RIGHT)
    del no_check.cells[_cell_index(no_check, f"{CHECK}(")]
    (root / "no_check").mkdir()
    nbformat.write(no_check, root / "no_check" / "lab.ipynb")
    paths.append(root / "no_check" / "lab.ipynb")
    csv_path = root / "grades.csv"
    done = subprocess.run([sys.executable, "-m", "rnn_course.instructor", "grade", *map(str, paths),
                           "--expected", str(root / "student.ipynb"), "--out", str(csv_path),
                           "--executed", str(root / "feedback"), "--jobs", "2", "--timeout", "120"],
                          capture_output=True, text=True, timeout=600, env={**__import__("os").environ,
                                                                            "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    rows = {r["notebook"]: r for r in csv.DictReader(csv_path.open(encoding="utf-8"))}
    return rows, (root / "grades-answers.md").read_text(encoding="utf-8"), done.stdout, root / "feedback"


def test_the_csv_says_why_each_exercise_scored_zero(graded):
    rows, _, out, _ = graded
    assert list(rows["reference/lab.ipynb"])[1:] == [CHECK, "total", "max", "percent", "error", "why"]
    assert rows["reference/lab.ipynb"][CHECK] == "1" and rows["reference/lab.ipynb"]["why"] == ""
    why = {name.split("/")[0]: row["why"] for name, row in rows.items()}
    assert why["untouched"].startswith(f"{CHECK}: not answered: not implemented yet")
    for name in ("deleted", "renamed"):
        assert rows[f"{name}/lab.ipynb"][CHECK] == "0"
        assert why[name] == (f"{CHECK}: missing: `masked_attention` is not defined: run the cell that defines it, "
                             "or restore it (was it deleted or renamed?).")
    assert rows["raises_after/lab.ipynb"][CHECK] == "1"  # the function is right, but the cell raised: reported
    assert why["raises_after"].startswith(f"{CHECK}: passed, but its solution cell [") and "raised TypeError" in \
        why["raises_after"]
    assert rows["raises_before/lab.ipynb"][CHECK] == "0"
    assert "its solution cell [" in why["raises_before"] and "raised TypeError" in why["raises_before"]
    assert "missing: `masked_attention` is not defined" in why["raises_before"]
    assert why["no_time_axis"].startswith(f"{CHECK}: wrong answer: your code raised RuntimeError")
    assert "mask[:, None, :]" in why["no_time_axis"]
    assert why["no_check"] == f"{CHECK}: missing: no cell calls {CHECK} (was the check cell deleted?)"
    assert all(row["error"] == "" for row in rows.values())
    # The terminal: the table, then why, then one summary line.
    assert f"deleted/lab.ipynb:\n  {CHECK}: missing: `masked_attention` is not defined" in out
    assert "graded 8 notebooks in" in out and "2 at a time" in out
    assert "wrote" in out and "grades-answers.md" in out


def test_feedback_shows_a_hint_not_a_traceback_and_no_progress_bar_noise(graded):
    _, _, _, feedback = graded
    ran = nbformat.read(feedback / "deleted__lab.ipynb", as_version=4)
    check = ran.cells[_cell_index(ran, f"{CHECK}(")]
    texts = [o.get("text", "") for o in check.outputs if o.output_type == "stream"]
    assert texts and texts[0].startswith(f"❌ {CHECK}: `masked_attention` is not defined")
    errors = [o for o in check.outputs if o.output_type == "error"]
    assert len(errors) == 1 and len(errors[0].traceback) <= 2  # one line, not a traceback
    bar = ran.cells[_cell_index(ran, "tqdm(range")]
    stderr = "".join(o.text for o in bar.outputs if o.output_type == "stream")
    assert "\r" not in stderr and stderr.count("300/300") == 1 and len(stderr) < 500


def test_the_answers_page_collects_the_answers_in_words(graded):
    _, page, _, _ = graded
    assert "## Why mask? (`ex-fx-why`)" in page and "> (a) Why must padding get no weight?" in page
    assert "### reference/lab.ipynb\n\n> Padding is not part of the data: *no* weight." in page
    assert "### untouched/lab.ipynb\n\n*(left empty)*" in page
    assert "Masked attention" not in page  # only the exercises answered in words


def test_one_submission_keeps_its_folder_and_is_not_graded_two_at_a_time(tmp_path, capsys):
    student, _ = make_student_notebook(lab(), "lab.ipynb")
    path = tmp_path / "alice" / "lab.ipynb"
    path.parent.mkdir()
    nbformat.write(_with_solution(student, RIGHT), path)
    assert main(["grade", str(path), "--jobs", "2", "--timeout", "120"]) == 0
    out = capsys.readouterr().out
    assert "alice/lab.ipynb" in out and "graded 1 notebook in" in out and "at a time" not in out


def test_not_answered_is_read_from_the_stub_not_from_the_words_of_the_hint():
    from rnn_course.instructor.grade import _unanswered

    assert _unanswered('def f(x):\n    """Doc."""\n    raise NotImplementedError("exercise ex-a: ...")\n    return y')
    assert _unanswered('values = [1, 2]\n# Exercise "A": write your code here.\nanswer = None  # replace\nanswer')
    assert not _unanswered("answer = None  # replace None with your answer\nanswer = sum(values)")
    assert not _unanswered("def f(x):\n    return x + 1")
    assert not _unanswered("values = [1, 2]")
