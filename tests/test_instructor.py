"""Tests of the instructor tools: the exercise parser, clean, student notebooks and grading.

Grading runs real kernels on tiny synthetic notebooks whose checks are defined inline with
``exercise_check``; ``test_grading_chapters.py`` runs the real chapter notebooks. Here the
real chapters are only converted (no execution) and checked for leaks.
"""
from __future__ import annotations

import ast
import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from notebook_variants import colab_export, truncated
from rnn_course.instructor import (
    Exercise, Graded, InstructorError, check_lines, clean_notebook, expected_checks, grade_notebooks, main,
    make_student_notebook, parse, stub_solution_source,
)

ROOT = Path(__file__).resolve().parents[1]
CHAPTER_NOTEBOOKS = sorted(p for p in (ROOT / "chapters").glob("**/*.ipynb") if ".ipynb_checkpoints" not in p.parts)
CHECKS = ["check_add", "check_mul", "check_scaler", "check_answer"]

SETUP = '''\
from rnn_course.checks import exercise_check

@exercise_check
def check_add(fn):
    got = fn(2, 3)
    return got == 5, f"add(2, 3) should be 5, got {got!r}."

@exercise_check
def check_mul(fn):
    return fn(3) == 6 and fn(3, 4) == 12, "mul(3) should be 6 and mul(3, 4) should be 12."

@exercise_check
def check_scaler(cls):
    return cls(3)(2) == 6, "Scaler(3)(2) should be 6."

@exercise_check
def check_answer(answer):
    if answer is None:
        return False, "answer is still None: replace the stub with your computation."
    return answer == 42, f"answer should be 42, got {answer!r}."
'''


def _md(text: str, tags: list[str] | None = None):
    cell = new_markdown_cell(text)
    if tags:
        cell.metadata["tags"] = tags
    return cell


def _code(text: str, tags: list[str] | None = None, output: str | None = None):
    cell = new_code_cell(text)
    if tags:
        cell.metadata["tags"] = tags
    if output is not None:  # pretend the instructor ran it
        cell.execution_count = 7
        cell.outputs = [new_output("stream", name="stdout", text=output)]
    return cell


def _exercise(label: str, title: str) -> str:
    return f"```{{exercise}} {title}\n:label: {label}\n\nDo the thing.\n```"


def _start(label: str) -> str:
    return f"```{{solution-start}} {label}\n:class: dropdown\n```"


END = "```{solution-end}\n```"


def instructor_notebook() -> nbformat.NotebookNode:
    """A tiny lab in the course's exercise pattern; every solution line carries 'SECRET'."""
    cells = [
        _md("# Lab: demo\n\nA tiny lab."),
        _code(SETUP),
        _code("x = 1 + 1\nprint(x)", output="2\n"),
        _code("assert x == 2", tags=["remove-cell"]),                      # lab assertion: kept
        _md("## Exercises"),
        _md(_exercise("ex-demo-add", "Add")),
        _md(_start("ex-demo-add")),
        _code('def add(a, b):\n    """Return a + b."""\n    # BEGIN SOLUTION\n'
              '    total = a + b  # SECRET_ADD\n    return total\n    # END SOLUTION', tags=["solution"]),
        _md("Explanation: SECRET_EXPLANATION"),
        _md(END),
        _code("check_add(add)", output="✅ check_add: passed — add(2, 3) is 5.\n"),
        _code("assert check_add(add)", tags=["remove-cell"]),              # needs the solution: dropped
        _md(_exercise("ex-demo-mul", "Multiply")),
        _md(_start("ex-demo-mul")),
        _code("import math  # SECRET_IMPORT\n\ndef mul(a: int, b: int = 2) -> int:\n    return a * b  # SECRET_MUL\n\n"
              "def _helper_secret(v):\n    return v\n\n"
              "class Scaler:\n    def __init__(self, k):\n        self.k = k  # SECRET_INIT\n"
              "    def __call__(self, v):\n        return self.k * v  # SECRET_CALL\n\n"
              "FACTOR_SECRET = math.floor(3.7)", tags=["solution"]),
        _md(END),
        _code("check_mul(mul)\ncheck_scaler(Scaler)"),
        _md(_exercise("ex-demo-answer", "The answer")),
        _md(_start("ex-demo-answer")),
        _code("values = [1, 2, 3]\n# BEGIN SOLUTION\nanswer = sum(values) * 7  # SECRET_ANSWER\n"
              "tmp_secret = 0\n# END SOLUTION", tags=["solution"]),
        _md(END),
        _code("check_answer(answer)"),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture
def student() -> nbformat.NotebookNode:
    return make_student_notebook(instructor_notebook(), "demo_lab.ipynb")[0]


# --------------------------------------------------------------------------- the parser


def test_parser_finds_exercises_solutions_and_checks():
    parsed = parse(instructor_notebook())
    assert [(e.label, e.title, e.checks) for e in parsed.exercises] == [
        ("ex-demo-add", "Add", ["check_add"]), ("ex-demo-mul", "Multiply", ["check_mul", "check_scaler"]),
        ("ex-demo-answer", "The answer", ["check_answer"])]
    add = parsed.exercise("ex-demo-add")
    assert (add.cell, add.solution_start, add.solution_code, add.solution_markdown, add.solution_end) == (5, 6, [7], [8], 9)
    assert add.check_cells == [10, 11]  # the check cell and its hidden assertion
    assert parsed.checks == CHECKS and parsed.problems == [] and parsed.first_exercise == 5
    assert sorted(parsed.solution_cells) == [6, 7, 8, 9, 13, 14, 15, 18, 19, 20]


def test_checks_are_recognised_by_what_they_are_not_by_their_name():
    nb = new_notebook(cells=[
        _code("from rnn_course.checks.ch01 import check_rnn_step as step_check\n"
              "from rnn_course.checks import ch04\nimport rnn_course.checks.ch05 as c5\n"
              "from rnn_course.validation import expect_shape\nfrom rnn_course.checks import compare"),
        _code("def check_my_own(x):\n    return x\ncheck_my_own(1)\nexpect_shape('x', x, (2,))\ncompare('x', 1, 1)"),
        _code("step_check(f)\nch04.check_clip_grad_norm(g)\nc5.check_lstm_step(h)\n%time c5.reference_count(1)"),
    ])
    assert expected_checks(nb) == ["check_rnn_step", "check_clip_grad_norm", "check_lstm_step"]
    assert list(parse(nb).check_cells) == [2]


def test_directives_with_colon_fences_and_indentation():
    nb = instructor_notebook()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = "\n".join("  " + line for line in cell.source.replace("```", ":::").splitlines())
    assert [e.label for e in parse(nb).exercises] == ["ex-demo-add", "ex-demo-mul", "ex-demo-answer"]
    assert parse(nb).problems == []


def test_an_exercise_marked_experiment_is_known_as_one():
    nb = instructor_notebook()
    nb.cells[5].source = nb.cells[5].source.replace(":label: ex-demo-add\n",
                                                    ":label: ex-demo-add\n:class: experiment\n")
    kinds = {e.label: e.experiment for e in parse(nb).exercises}
    assert kinds == {"ex-demo-add": True, "ex-demo-mul": False, "ex-demo-answer": False}
    assert parse(nb).exercises[0].classes == ["experiment"]


# --------------------------------------------------------------------------- clean


def test_clean_keeps_only_checked_outputs():
    nb = new_notebook(cells=[_code("print(1)", output="1\n"), _code("print(2)", output="2\n")])
    nb.cells[1].metadata["tags"] = ["nbval-check-output"]
    clean_notebook(nb)
    assert nb.cells[0].outputs == [] and nb.cells[0].execution_count is None
    # nbval needs an execution count on a reference cell that has outputs
    assert nb.cells[1].outputs[0]["text"] == "2\n" and nb.cells[1].execution_count == 1


# --------------------------------------------------------------------------- stubs

def _ex(label: str, title: str = "A title") -> Exercise:
    return Exercise(label, title, 0)


def test_marked_region_in_function_becomes_one_raise_line():
    src = 'def f(x):\n    """Doc."""\n    # BEGIN SOLUTION\n    y = x * 2\n    return y\n    # END SOLUTION'
    assert stub_solution_source(src, _ex("ex-a")) == (
        'def f(x):\n    """Doc."""\n    raise NotImplementedError("exercise ex-a: replace this line with your code")')


def test_marked_region_in_method_keeps_indentation_and_the_rest():
    src = ("class M:\n    def forward(self, x):\n        # BEGIN SOLUTION\n        return x\n        # END SOLUTION\n"
           "\nm = M()")
    out = stub_solution_source(src, _ex("ex-b"))
    assert out == ('class M:\n    def forward(self, x):\n'
                   '        raise NotImplementedError("exercise ex-b: replace this line with your code")\n\nm = M()')
    ns: dict = {}
    exec(out, ns)  # defining the class does not raise; calling the method does
    with pytest.raises(NotImplementedError, match="ex-b"):
        ns["m"].forward(1)


def test_marked_region_outside_functions_keeps_only_what_the_check_reads():
    src = "v = 1\n# BEGIN SOLUTION\nanswer, other = v + 1, 3\n# END SOLUTION\nprint(v)"
    out = stub_solution_source(src, _ex("ex-c", "Add one"), needed={"answer", "print", "check_answer"})
    assert out == 'v = 1\n# Exercise "Add one": write your code here.\nanswer = None  # replace None with your answer\nprint(v)'
    ns: dict = {}
    exec(out, ns)
    assert ns["answer"] is None and "other" not in ns
    loop = stub_solution_source("for i in range(2):\n    # BEGIN SOLUTION\n    print(i)\n    # END SOLUTION", _ex("ex-d"))
    assert "print(i)" not in loop
    exec(loop, {})  # an indented region that binds nothing becomes `pass`


def test_unmarked_cell_keeps_one_instruction_and_the_signatures_the_check_needs():
    src = ("%matplotlib inline\nimport numpy as np\n\n@decorator\nasync def g(a, *b, k=3, **kw) -> float:\n"
           '    """Spec of g."""\n    return secret(a)\n\ndef helper(z):\n    return z\n\n'
           "class C(Base, metaclass=Meta):\n    x = 1\n\nfor i in range(3):\n    acc = i\nresult = helper(2)")
    out = stub_solution_source(src, _ex("ex-e", "Write g"), needed={"g", "C", "result"})
    assert out == ('# Exercise "Write g": write your code here.\n'
                   'async def g(a, *b, k=3, **kw) -> float:\n    """Spec of g."""\n'
                   '    raise NotImplementedError("exercise ex-e: replace this line with your code")\n\n'
                   "class C(Base, metaclass=Meta):\n    pass\n"
                   "result = None  # replace None with your answer")
    experiment = stub_solution_source(src, _ex("ex-e", "Write g"))  # no check: the instruction only
    assert experiment == '# Exercise "Write g": write your code here.'


def test_unmarked_cell_that_does_not_parse_becomes_the_instruction():
    assert stub_solution_source("def f(:\n  secret", _ex("ex-f", "F")) == '# Exercise "F": write your code here.'


@pytest.mark.parametrize("src, message", [
    ("# BEGIN SOLUTION\nx = 1", "has no '# END SOLUTION'"),
    ("x = 1\n# END SOLUTION", "has no '# BEGIN SOLUTION'"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "is not closed"),
])
def test_unbalanced_markers_are_errors(src, message):
    with pytest.raises(InstructorError, match=message):
        stub_solution_source(src, _ex("ex-g"))


CHECK_IMPORT = _code("from rnn_course.checks.ch01 import check_rnn_step")


@pytest.mark.parametrize("cells, message", [
    ([_md(_start("ex-a")), _code("x = 1", tags=["solution"])], "has no solution-end"),
    ([_md(END)], "cell 0: solution-end without a solution-start"),
    ([_md(_start("ex-a")), _md(_start("ex-b"))], "cell 1: solution-start 'ex-b' before the solution-end of 'ex-a'"),
    ([_md(_start("ex-a")), _code("# BEGIN SOLUTION\nx = 1", tags=["solution"]), _md(END)], "cell 1: .*END SOLUTION"),
    ([CHECK_IMPORT, _md(_start("ex-a")), _code("check_rnn_step(f)"), _md(END)],
     "cell 2: a check call .* move the check cell after the solution-end"),
    ([_md(_start("ex-a") + "\n\n" + END)], "separate cells"),
])
def test_broken_solution_blocks_are_errors_naming_the_cell(cells, message):
    with pytest.raises(InstructorError, match=message):
        make_student_notebook(new_notebook(cells=cells), "bad.ipynb")


# --------------------------------------------------------------------------- student notebooks


def test_student_notebook_has_no_solution(student):
    text = nbformat.writes(student)
    assert "SECRET" not in text
    assert "solution-start" not in text and "solution-end" not in text
    assert "total = a + b" not in "".join(c.source for c in student.cells if c.cell_type == "code")


def test_student_notebook_keeps_exercises_checks_and_lab(student):
    sources = [c.source for c in student.cells]
    assert sources[0].startswith("# Lab: demo")
    assert "Student version" in sources[1] and "demo_lab.ipynb" in sources[1]
    for label in ["ex-demo-add", "ex-demo-mul", "ex-demo-answer"]:
        assert sum(f":label: {label}" in s for s in sources) == 1
    for check in ["check_add(add)", "check_mul(mul)\ncheck_scaler(Scaler)", "check_answer(answer)"]:
        assert check in sources
    assert "assert x == 2" in sources            # the lab's hidden assertion stays
    assert "assert check_add(add)" not in sources  # the solutions' hidden assertion goes
    assert student.metadata["kernelspec"]["name"] == "python3"
    assert parse(student).checks == CHECKS
    nbformat.validate(student)


def test_student_stubs_are_written_for_a_person(student):
    code = [c.source for c in student.cells if "solution" in c.metadata.get("tags", [])]
    assert code == [
        'def add(a, b):\n    """Return a + b."""\n'
        '    raise NotImplementedError("exercise ex-demo-add: replace this line with your code")',
        '# Exercise "Multiply": write your code here.\n'
        'def mul(a: int, b: int=2) -> int:\n'
        '    raise NotImplementedError("exercise ex-demo-mul: replace this line with your code")\n\n'
        "class Scaler:\n"
        '    def __init__(self, k):\n        raise NotImplementedError("exercise ex-demo-mul: replace this line with your code")\n'
        '    def __call__(self, v):\n        raise NotImplementedError("exercise ex-demo-mul: replace this line with your code")',
        'values = [1, 2, 3]\n# Exercise "The answer": write your code here.\nanswer = None  # replace None with your answer',
    ]


def test_student_version_is_not_converted_twice(student):
    with pytest.raises(InstructorError, match="already a student version"):
        make_student_notebook(student, "demo_lab.ipynb")


def test_student_outputs_cleared(student):
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_student_command_writes_notebooks(tmp_path, capsys):
    src = tmp_path / "demo_lab.ipynb"
    nbformat.write(instructor_notebook(), src)
    assert main(["student", str(src), "--out", str(tmp_path / "out")]) == 0
    assert "3 solution cell(s) stubbed" in capsys.readouterr().out
    assert "SECRET" not in (tmp_path / "out" / "demo_lab.ipynb").read_text()
    assert main(["student", str(src), "--out", str(tmp_path)]) == 2  # refuses to overwrite the source


def test_help_lists_the_subcommands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert all(cmd in out for cmd in ["clean", "student", "grade"])


@pytest.mark.slow
def test_python_dash_m_runs_the_command_line():
    done = subprocess.run([sys.executable, "-m", "rnn_course.instructor", "grade", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--jobs" in done.stdout and "--timeout" in done.stdout and "--expected" in done.stdout


# --------------------------------------------------------------------------- grading


def test_check_lines_keep_the_last_line_of_each_check():
    nb = new_notebook(cells=[
        _code("check_a(x)", output="✅ check_a: passed — ok\n❌ check_b: wrong shape\n"),
        _code("check_b(y)", output="✅ check_b: passed — fixed\n"),
    ])
    lines = check_lines(nb)
    assert list(lines) == ["check_a", "check_b"]
    assert (lines["check_a"].passed, lines["check_a"].message) == (True, "ok")
    assert (lines["check_b"].passed, lines["check_b"].message) == (True, "fixed")


def _partial_notebook() -> nbformat.NotebookNode:
    """A submission with `add` wrong and everything else right."""
    nb = instructor_notebook()
    for cell in nb.cells:
        if "def add" in cell.source:
            cell.source = "def add(a, b):\n    return a - b"
    return nb


@pytest.mark.slow
def test_grading_reference_student_partial_colab_and_broken(tmp_path, student, capfd):
    # One grade run (kernels in parallel) covers every kind of submission.
    paths = {name: tmp_path / f"{name}.ipynb" for name in ["reference", "student", "partial", "colab", "truncated"]}
    nbformat.write(instructor_notebook(), paths["reference"])
    nbformat.write(student, paths["student"])
    nbformat.write(_partial_notebook(), paths["partial"])
    stale = "".join(f"✅ {c}: passed — from the student's own run\n" for c in CHECKS)
    paths["colab"].write_text(colab_export(_partial_notebook(), stale_text=stale))
    paths["truncated"].write_bytes(truncated(paths["reference"]))
    csv_path, executed = tmp_path / "grades.csv", tmp_path / "executed"
    assert main(["grade", *map(str, paths.values()), "--out", str(csv_path), "--timeout", "120", "--jobs", "3",
                 "--expected", str(paths["student"]), "--executed", str(executed)]) == 0
    rows = {r["notebook"]: r for r in csv.DictReader(csv_path.open())}
    assert list(rows["reference.ipynb"])[1:] == [*CHECKS, "total", "max", "percent", "error", "why"]
    assert [rows["reference.ipynb"][c] for c in CHECKS] == ["1"] * 4
    assert rows["reference.ipynb"]["percent"] == "100.0" and rows["reference.ipynb"]["error"] == ""
    assert [rows["student.ipynb"][c] for c in CHECKS] == ["0"] * 4 and rows["student.ipynb"]["total"] == "0"
    assert rows["student.ipynb"]["error"] == ""
    for name in ("partial.ipynb", "colab.ipynb"):  # the stale ✅ lines of the Colab file do not count
        assert [rows[name][c] for c in CHECKS] == ["0", "1", "1", "1"] and rows[name]["percent"] == "75.0"
        assert rows[name]["error"] == ""
        assert rows[name]["why"] == "check_add: wrong answer: add(2, 3) should be 5, got -1."
    assert rows["student.ipynb"]["why"].endswith("check_answer: not answered: answer is still None: replace the "
                                                 "stub with your computation.")
    assert rows["truncated.ipynb"]["total"] == "0" and "not a readable notebook" in rows["truncated.ipynb"]["error"]
    # The student notebook ran to the end without a traceback, and the checks said why they failed.
    ran = nbformat.read(executed / "student.ipynb", as_version=4)
    assert not [o for c in ran.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for c in ran.cells if c.cell_type == "code" for o in c.outputs)
    assert text.count("not implemented yet") == 3 and "❌ check_answer: answer is still None" in text
    partial = nbformat.read(executed / "colab.ipynb", as_version=4)
    assert "❌ check_add: add(2, 3) should be 5, got -1." in str(partial.cells)
    # The terminal shows the table and a progress bar, not the kernels' log lines.
    out, err = capfd.readouterr()
    assert "percent" in out and "graded 5 notebooks" in out
    assert "grading: 100%" in err
    assert "WARNING" not in out + err and "TCP" not in out + err and "Traceback" not in out + err


@pytest.mark.slow
def test_a_slow_cell_is_stopped_and_a_dead_kernel_is_reported(tmp_path):
    print_check = "print('✅ check_{}: passed — ran')"
    slow = new_notebook(cells=[_code("import time\ntime.sleep(600)"), _code(print_check.format("after"))])
    dies = new_notebook(cells=[_code(print_check.format("before")), _code("import os\nos._exit(1)"),
                               _code(print_check.format("after"))])
    nbformat.write(slow, tmp_path / "slow.ipynb")
    nbformat.write(dies, tmp_path / "dies.ipynb")
    table = grade_notebooks([tmp_path / "slow.ipynb", tmp_path / "dies.ipynb"], timeout=5, jobs=2)
    assert table.loc["slow.ipynb", "check_after"] == 1  # the run went on after the slow cell
    assert table.loc["slow.ipynb", "error"] == "cell 0 ran longer than 5 s and was stopped"
    assert table.loc["dies.ipynb", ["check_before", "check_after"]].tolist() == [1, 0]
    assert table.loc["dies.ipynb", "error"].startswith("the kernel died")


def test_grade_table_labels_repeated_names_by_folder(monkeypatch, tmp_path):
    import rnn_course.instructor.grade as grade

    async def fake_execute(path, timeout):
        passed = "alice" in str(path)
        return Graded(path.name, checks={"check_x": grade.CheckLine(passed, "ok")}, called=["check_x"])

    monkeypatch.setattr(grade, "_execute", fake_execute)
    table = grade_notebooks([tmp_path / "alice" / "lab.ipynb", tmp_path / "bob" / "lab.ipynb"], expected=["check_y"])
    assert list(table.index) == ["alice/lab.ipynb", "bob/lab.ipynb"]
    assert list(table.columns) == ["check_y", "total", "max", "percent", "error", "why"]  # only what is expected
    assert table["total"].tolist() == [0, 0]
    table = grade_notebooks([tmp_path / "alice" / "lab.ipynb", tmp_path / "bob" / "lab.ipynb"])
    assert table["check_x"].tolist() == [1, 0] and table["percent"].tolist() == [100.0, 0.0]


# --------------------------------------------------------------------------- the real chapters


def _trivial(line: str) -> bool:
    return not line or line.startswith("#") or re.fullmatch(r"[\s\)\]\}:,]*|pass|return|break|continue|else:", line) is not None


def _marked_lines(source: str) -> list[str]:
    lines, inside = [], False
    for line in source.splitlines():
        if line.strip() == "# BEGIN SOLUTION":
            inside = True
        elif line.strip() == "# END SOLUTION":
            inside = False
        elif inside:
            lines.append(line.strip())
    return lines


@pytest.mark.parametrize("path", CHAPTER_NOTEBOOKS or [None], ids=lambda p: p.name if p else "no-chapters-yet")
def test_real_chapter_student_notebook_leaks_nothing(path):
    if path is None:
        pytest.skip("no chapter notebooks under chapters/ yet")
    original = nbformat.read(path, as_version=4)
    parsed = parse(original)
    student, _ = make_student_notebook(original, path.name)
    solutions = [original.cells[i] for i in sorted(parsed.solution_cells) if original.cells[i].cell_type == "code"]
    student_code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    student_lines = {line.strip() for line in student_code.splitlines()}
    # Lines that also occur outside the solutions (e.g. `return h`) prove nothing either way.
    public = {line.strip() for c in original.cells if c.cell_type == "code" and c not in solutions
              for line in c.source.splitlines()}
    for cell in solutions:
        secret = [line for line in _marked_lines(cell.source) if not _trivial(line) and line not in public]
        assert not [line for line in secret if line in student_lines], f"{path.name}: solution code leaked"
    for cell in student.cells:
        if cell.cell_type == "markdown":
            assert "{solution-start}" not in cell.source and "{solution-end}" not in cell.source
        else:
            assert cell.outputs == [] and cell.execution_count is None
    stubs = [c for c in student.cells if "solution" in c.metadata.get("tags", [])]
    assert len(stubs) == len(solutions)
    for before, after in zip(solutions, stubs):
        assert "# BEGIN SOLUTION" not in after.source and "# END SOLUTION" not in after.source
        _assert_stub(before.source, after.source, path.name)
    explanations = [original.cells[i].source for i in parsed.solution_cells if original.cells[i].cell_type == "markdown"]
    assert not [c for c in student.cells if c.cell_type == "markdown" and c.source in explanations]
    assert parse(student).checks == parsed.checks  # every check cell is still there


def _assert_stub(before: str, after: str, name: str) -> None:
    """A stub compiles; a whole-cell stub holds only one comment, stub defs, classes and `= None`."""
    tree = ast.parse(after)  # a SyntaxError here means a broken stub
    if "# BEGIN SOLUTION" in before:
        return  # the code outside the markers is the instructor's scaffold, kept on purpose
    assert after.startswith("# Exercise ") and sum(line.startswith("#") for line in after.splitlines()) == 1
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = [n for n in node.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
            assert len(body) == 1 and isinstance(body[0], ast.Raise), f"{name}: {node.name} kept its body"
    for node in tree.body:
        if isinstance(node, ast.Assign):
            assert isinstance(node.value, ast.Constant) and node.value.value is None, f"{name}: assignment kept"
        else:
            assert isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)), f"{name}: {ast.unparse(node)[:60]}"


def test_colab_export_helper_writes_what_colab_writes():
    text = colab_export(instructor_notebook())
    data = json.loads(text)
    assert data["nbformat_minor"] == 0 and "colab" in data["metadata"] and "id" in data["cells"][0]["metadata"]
    assert "state" not in data["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]
    outputs = data["cells"][1]["outputs"]
    assert "application/vnd.jupyter.widget-view+json" in outputs[1]["data"]
