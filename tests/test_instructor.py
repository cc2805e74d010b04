"""Tests of the instructor command line: clean, student notebooks and grading.

Grading runs real kernels on a tiny synthetic notebook whose checks are defined inline with
``exercise_check``; the real chapter notebooks are only checked statically (no execution).
"""
from __future__ import annotations

import ast
import csv
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from rnn_course.instructor import (
    InstructorError, check_lines, clean_notebook, expected_checks, grade_notebooks, main,
    make_student_notebook, stub_solution_source,
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
        _code("import math\n\ndef mul(a: int, b: int = 2) -> int:\n    return a * b  # SECRET_MUL\n\n"
              "class Scaler:\n    def __init__(self, k):\n        self.k = k  # SECRET_INIT\n"
              "    def __call__(self, v):\n        return self.k * v  # SECRET_CALL\n\n"
              "FACTOR = math.floor(3.7)  # SECRET_FACTOR", tags=["solution"]),
        _md(END),
        _code("check_mul(mul)\ncheck_scaler(Scaler)"),
        _md(_exercise("ex-demo-answer", "The answer")),
        _md(_start("ex-demo-answer")),
        _code("values = [1, 2, 3]\n# BEGIN SOLUTION\nanswer = sum(values) * 7  # SECRET_ANSWER\n# END SOLUTION",
              tags=["solution"]),
        _md(END),
        _code("check_answer(answer)"),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture
def student() -> nbformat.NotebookNode:
    return make_student_notebook(instructor_notebook(), "demo_lab.ipynb")[0]


# --------------------------------------------------------------------------- clean


def test_clean_keeps_only_checked_outputs():
    nb = new_notebook(cells=[_code("print(1)", output="1\n"), _code("print(2)", output="2\n")])
    nb.cells[1].metadata["tags"] = ["nbval-check-output"]
    clean_notebook(nb)
    assert nb.cells[0].outputs == [] and nb.cells[0].execution_count is None
    # nbval needs an execution count on a reference cell that has outputs
    assert nb.cells[1].outputs[0]["text"] == "2\n" and nb.cells[1].execution_count == 1


# --------------------------------------------------------------------------- stubs


def test_marked_region_in_function_becomes_raise_in_body():
    src = 'def f(x):\n    """Doc."""\n    # BEGIN SOLUTION\n    y = x * 2\n    return y\n    # END SOLUTION'
    assert stub_solution_source(src, "ex-a") == (
        'def f(x):\n    """Doc."""\n    raise NotImplementedError("Exercise ex-a: your code here")')


def test_marked_region_in_method_keeps_indentation_and_the_rest():
    src = ("class M:\n    def forward(self, x):\n        # BEGIN SOLUTION\n        return x\n        # END SOLUTION\n"
           "\nm = M()")
    out = stub_solution_source(src, "ex-b")
    assert out == ('class M:\n    def forward(self, x):\n        raise NotImplementedError("Exercise ex-b: your code here")\n'
                   "\nm = M()")
    ns: dict = {}
    exec(out, ns)  # defining the class does not raise; calling the method does
    with pytest.raises(NotImplementedError, match="ex-b"):
        ns["m"].forward(1)


def test_marked_region_outside_functions_never_raises_when_run():
    out = stub_solution_source("v = 1\n# BEGIN SOLUTION\nanswer, other = v + 1, 3\n# END SOLUTION\nprint(v)", "ex-c")
    assert "v + 1" not in out
    ns: dict = {}
    exec(out, ns)
    assert ns["answer"] is None and ns["other"] is None
    loop = stub_solution_source("for i in range(2):\n    # BEGIN SOLUTION\n    print(i)\n    # END SOLUTION", "ex-d")
    assert "print(i)" not in loop
    exec(loop, {})  # an indented region that binds nothing becomes `pass`


def test_unmarked_cell_keeps_only_signatures():
    src = ("%matplotlib inline\nimport numpy as np\n\n@decorator\nasync def g(a, *b, k=3, **kw) -> float:\n"
           "    return secret(a)\n\nclass C(Base, metaclass=Meta):\n    x = 1\n\nfor i in range(3):\n    acc = i")
    out = stub_solution_source(src, "ex-e")
    assert "secret" not in out and "decorator" not in out and "x = 1" not in out
    assert "import numpy as np" in out
    assert "async def g(a, *b, k=3, **kw) -> float:" in out
    assert "class C(Base, metaclass=Meta):\n    pass" in out
    assert "i = None" in out and "acc = None" in out


def test_unmarked_cell_that_does_not_parse_becomes_a_comment():
    assert stub_solution_source("def f(:\n  secret", "ex-f") == "# Exercise ex-f: write your code here."


@pytest.mark.parametrize("src, message", [
    ("# BEGIN SOLUTION\nx = 1", "has no '# END SOLUTION'"),
    ("x = 1\n# END SOLUTION", "has no '# BEGIN SOLUTION'"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "is not closed"),
])
def test_unbalanced_markers_are_errors(src, message):
    with pytest.raises(InstructorError, match=message):
        stub_solution_source(src, "ex-g")


@pytest.mark.parametrize("cells, message", [
    ([_md(_start("ex-a")), _code("x = 1", tags=["solution"])], "has no solution-end"),
    ([_md(END)], "solution-end without a solution-start"),
    ([_md(_start("ex-a")), _md(_start("ex-b"))], "inside the unclosed solution block ex-a"),
    ([_md(_start("ex-a")), _code("# BEGIN SOLUTION\nx = 1", tags=["solution"]), _md(END)], "cell 1: .*END SOLUTION"),
    ([_md(_start("ex-a")), _code("check_a(a)"), _md(END)], "move the check cell after the solution-end"),
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
    nbformat.validate(student)


def test_student_stubs(student):
    code = [c.source for c in student.cells if c.cell_type == "code"]
    assert ('def add(a, b):\n    """Return a + b."""\n'
            '    raise NotImplementedError("Exercise ex-demo-add: your code here")') in code
    mul = next(s for s in code if "def mul" in s)
    assert mul.startswith("# Exercise ex-demo-mul: write your code here.")
    assert "def mul(a: int, b: int=2) -> int:" in mul and "class Scaler:" in mul and "FACTOR = None" in mul
    assert "values = [1, 2, 3]\n# Exercise ex-demo-answer: write your code here.\nanswer = None" in "\n".join(code)


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


# --------------------------------------------------------------------------- grading


def test_check_lines_and_expected_checks():
    nb = new_notebook(cells=[
        _code("check_a(x)", output="✅ check_a: passed — ok\n❌ check_b: wrong shape\n"),
        _code("check_b(y)", output="✅ check_b: passed — fixed\n"),
        _code("from m import check_c\ndef check_d(x):\n    pass"),
    ])
    assert check_lines(nb) == {"check_a": True, "check_b": True}
    assert expected_checks(nb) == ["check_a", "check_b"]


def _partial_notebook() -> nbformat.NotebookNode:
    """A submission with `add` wrong and everything else right."""
    nb = instructor_notebook()
    for cell in nb.cells:
        if "def add" in cell.source:
            cell.source = "def add(a, b):\n    return a - b"
    return nb


def test_grading_reference_full_marks_student_zero(tmp_path, student):
    # One grade run (kernels in parallel) covers the reference, a stub-only and a partial submission.
    paths = {name: tmp_path / f"{name}.ipynb" for name in ["reference", "student", "partial", "broken"]}
    nbformat.write(instructor_notebook(), paths["reference"])
    nbformat.write(student, paths["student"])
    nbformat.write(_partial_notebook(), paths["partial"])
    paths["broken"].write_text("this is not a notebook")
    csv_path, executed = tmp_path / "grades.csv", tmp_path / "executed"
    assert main(["grade", *map(str, paths.values()), "--out", str(csv_path), "--timeout", "60", "--jobs", "3",
                 "--expected", str(paths["student"]), "--executed", str(executed)]) == 0
    rows = {r["notebook"]: r for r in csv.DictReader(csv_path.open())}
    assert list(rows["reference.ipynb"])[1:5] == CHECKS
    assert all(rows["reference.ipynb"][c] == "1" for c in CHECKS)
    assert rows["reference.ipynb"]["percent"] == "100.0" and rows["reference.ipynb"]["error"] == ""
    assert all(rows["student.ipynb"][c] == "0" for c in CHECKS) and rows["student.ipynb"]["total"] == "0"
    assert rows["student.ipynb"]["error"] == ""
    assert [rows["partial.ipynb"][c] for c in CHECKS] == ["0", "1", "1", "1"] and rows["partial.ipynb"]["percent"] == "75.0"
    assert rows["broken.ipynb"]["total"] == "0" and "could not read notebook" in rows["broken.ipynb"]["error"]
    # The student notebook ran to the end without a traceback, and the checks said why they failed.
    ran = nbformat.read(executed / "student.ipynb", as_version=4)
    assert not [o for c in ran.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for c in ran.cells if c.cell_type == "code" for o in c.outputs)
    assert text.count("not implemented yet") == 3 and "❌ check_answer: answer is still None" in text
    partial = nbformat.read(executed / "partial.ipynb", as_version=4)
    assert "❌ check_add: add(2, 3) should be 5, got -1." in str(partial.cells)


def test_grade_table_labels_repeated_names_by_folder(monkeypatch, tmp_path):
    import rnn_course.instructor as instructor

    async def fake_execute(path, timeout):
        nb = new_notebook(cells=[_code("check_x(1)", output=f"{'✅' if 'a' in path.parent.name else '❌'} check_x: ok\n")])
        return nb, ""

    monkeypatch.setattr(instructor, "_execute", fake_execute)
    table = grade_notebooks([tmp_path / "alice" / "lab.ipynb", tmp_path / "bob" / "lab.ipynb"], expected=["check_y"])
    assert list(table.index) == ["alice/lab.ipynb", "bob/lab.ipynb"]
    assert list(table.columns) == ["check_y", "check_x", "total", "max", "percent", "error"]
    assert table["check_x"].tolist() == [1, 0] and table["percent"].tolist() == [50.0, 0.0]


# --------------------------------------------------------------------------- the real chapters


def _trivial(line: str) -> bool:
    return not line or line.startswith("#") or re.fullmatch(r"[\s\)\]\}:,]*|pass|return|break|continue|else:", line) is not None


def _solution_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    cells, inside = [], False
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "{solution-start}" in cell.source:
            inside = True
        elif cell.cell_type == "markdown" and "{solution-end}" in cell.source:
            inside = False
        elif cell.cell_type == "code" and (inside or "solution" in cell.metadata.get("tags", [])):
            cells.append(cell)
    return cells


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
    student, _ = make_student_notebook(original, path.name)
    solutions = _solution_cells(original)
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
    explanations = _solution_markdown(original)
    assert not [c for c in student.cells if c.cell_type == "markdown" and c.source in explanations]


def _solution_markdown(nb: nbformat.NotebookNode) -> list[str]:
    texts, inside = [], False
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "{solution-start}" in cell.source:
            inside = True
        if inside and cell.cell_type == "markdown" and "{solution-end}" not in cell.source:
            texts.append(cell.source)
        if cell.cell_type == "markdown" and "{solution-end}" in cell.source:
            inside = False
    return texts


def _assert_stub(before: str, after: str, name: str) -> None:
    """A stub compiles; a whole-cell stub holds only imports, stub defs, classes and `= None`."""
    clean = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in after.splitlines())
    tree = ast.parse(clean)  # a SyntaxError here means a broken stub
    if "# BEGIN SOLUTION" in before:
        return  # the code outside the markers is the instructor's scaffold, kept on purpose
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert len(node.body) == 1 and isinstance(node.body[0], ast.Raise), f"{name}: {node.name} kept its body"
    for node in tree.body:
        if isinstance(node, ast.Assign):
            assert isinstance(node.value, ast.Constant) and node.value.value is None, f"{name}: assignment kept"
        else:
            assert isinstance(node, (ast.Import, ast.ImportFrom, ast.ClassDef, ast.FunctionDef,
                                     ast.AsyncFunctionDef)), f"{name}: {ast.unparse(node)[:60]}"
