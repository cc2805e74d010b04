"""Static checks of the chapters' notebooks and pages (fast: nothing is executed).

For every ``chapters/**/*.ipynb`` (found when the tests are collected, so new chapters are
checked as soon as they appear): kernelspec ``python3``; the first code cell is the Colab
cell with the repository URL from ``_config.yml``; no ``tqdm.auto``/``tqdm.notebook``; listed
in ``_toc.yml``; at least 4 ``{exercise}`` blocks, each with a label and a matching
``{solution-start}`` whose code cells are tagged ``solution``; at least one hidden
(``remove-cell``) assertion cell; outputs stripped except cells tagged ``nbval-check-output``.

Each rule is a function returning a list of problems; the last section shows, on small
synthetic notebooks, that each rule catches what it is meant to catch.
"""
from __future__ import annotations

import ast
import builtins
import re
import textwrap
from pathlib import Path

import nbformat
import pytest
import yaml

from rnn_course.instructor.exercises import parse as parse_exercises

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
NOTEBOOKS = sorted(p for p in CHAPTERS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
PAGES = sorted(p for p in CHAPTERS.rglob("*.md") if ".ipynb_checkpoints" not in p.parts)
CHECK_TAG = "nbval-check-output"
MIN_EXERCISES = 4


def _contributing_colab_cell() -> str:
    """The Colab cell as CONTRIBUTING.md shows it (the python block after 'The Colab cell')."""
    text = (ROOT / "CONTRIBUTING.md").read_text()
    block = re.search(r"The Colab cell.*?```python\n(.*?)\n\s*```", text, re.S)
    assert block, "CONTRIBUTING.md no longer shows the Colab cell"
    return textwrap.dedent(block.group(1))


# The cell with "{url}" where the repository URL goes.
COLAB_CELL = re.sub(r"git\+[^\"]+", "git+{url}", _contributing_colab_cell())


def repository_url(root: Path = ROOT) -> str:
    config = yaml.safe_load((root / "_config.yml").read_text())
    return config["repository"]["url"].rstrip("/")


def toc_files(toc: Path | dict) -> list[str]:
    """Every page named in a Jupyter Book toc (root included), as written there (no suffix)."""
    data = yaml.safe_load(Path(toc).read_text()) if not isinstance(toc, dict) else toc
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("file", "root") and isinstance(value, str):
                    found.append(re.sub(r"\.(md|ipynb)$", "", value))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return found


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


# ================================================================== the rules
def kernelspec_problems(nb) -> list[str]:
    spec = nb.metadata.get("kernelspec", {})
    if spec.get("name") != "python3" or spec.get("display_name") != "Python 3":
        return [f"kernelspec must be name 'python3', display_name 'Python 3'; got {dict(spec)}"]
    return []


def colab_problems(nb, url: str) -> list[str]:
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code:
        return ["no code cell: the first code cell must be the Colab cell"]
    first = code[0].source.strip()
    problems = []
    if f"rnn_course @ git+{url}" not in first:
        problems.append(f"the first code cell must install 'rnn_course @ git+{url}' (the repository.url of "
                        f"_config.yml); got:\n{first}")
    if first != COLAB_CELL.format(url=url):
        problems.append("the first code cell must be the Colab cell of CONTRIBUTING.md, verbatim:\n"
                        + COLAB_CELL.format(url=url))
    return problems


def tqdm_problems(nb) -> list[str]:
    return [f"cell {i} uses {m.group(0)}: use plain `from tqdm import tqdm`"
            for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for m in [re.search(r"tqdm\.(auto|notebook|autonotebook)", c.source)] if m]


def title_problems(nb) -> list[str]:
    first = nb.cells[0] if nb.cells else None
    if first is None or first.cell_type != "markdown" or not first.source.lstrip().startswith("# Lab: "):
        return ["the first cell must be a markdown title '# Lab: ...'"]
    return []


def device_and_seed_problems(nb) -> list[str]:
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return [f"no `{call}` call: {why}" for call, why in
            [("get_device(", "everything must run on device = get_device()"),
             ("seed_everything(", "the notebook must be seeded")] if call not in code]


def exercise_problems(nb, minimum: int = MIN_EXERCISES) -> list[str]:
    """The sphinx-exercise pattern of CONTRIBUTING.md, read by the instructor tools' parser."""
    parsed = parse_exercises(nb)
    problems = [str(p) for p in parsed.problems]
    if len(parsed.exercises) < minimum:
        problems.append(f"expected at least {minimum} {{exercise}} blocks, found {len(parsed.exercises)}")
    return problems


def hidden_assertion_problems(nb) -> list[str]:
    if any(c.cell_type == "code" and "remove-cell" in _tags(c) and re.search(r"\bassert\b", c.source)
           for c in nb.cells):
        return []
    return ["no hidden assertion: results must be checked by an `assert` in a cell tagged 'remove-cell'"]


def output_problems(nb) -> list[str]:
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        keep = CHECK_TAG in _tags(cell)
        if cell.outputs and not keep:
            problems.append(f"cell {i} has outputs: strip them with "
                            "`python -m rnn_course.instructor clean <notebook>`")
        if keep and not cell.outputs:
            problems.append(f"cell {i} is tagged {CHECK_TAG} but has no stored output for nbval to compare")
        if cell.execution_count is not None and not keep:
            problems.append(f"cell {i} has an execution count: run the instructor clean command")
    return problems


def toc_problems(path: Path, listed: list[str], root: Path = ROOT) -> list[str]:
    name = str(path.relative_to(root).with_suffix(""))
    return [] if name in listed else [f"{name} is not listed in _toc.yml"]


# ================================================================== the checks on the real notebooks
@pytest.fixture(scope="module")
def url() -> str:
    return repository_url()


@pytest.fixture(scope="module")
def listed() -> list[str]:
    return toc_files(ROOT / "_toc.yml")


def _none(problems: list[str]) -> None:
    assert not problems, "\n".join(problems)


def _read(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_notebook_kernelspec_title_and_setup(path, url):
    nb = _read(path)
    _none(kernelspec_problems(nb) + title_problems(nb) + colab_problems(nb, url))
    _none(device_and_seed_problems(nb))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_notebook_uses_plain_tqdm(path):
    _none(tqdm_problems(_read(path)))


@pytest.mark.parametrize("path", NOTEBOOKS + PAGES, ids=_id)
def test_notebook_or_page_is_in_the_toc(path, listed):
    _none(toc_problems(path, listed))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_notebook_exercises_and_solutions(path):
    _none(exercise_problems(_read(path)))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_notebook_has_a_hidden_assertion(path):
    _none(hidden_assertion_problems(_read(path)))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_notebook_outputs_are_stripped(path):
    _none(output_problems(_read(path)))


@pytest.mark.parametrize("path", PAGES, ids=_id)
def test_page_starts_with_a_label(path):
    first = next((ln for ln in path.read_text().splitlines() if ln.strip()), "")
    assert re.fullmatch(r"\([\w.-]+\)=", first.strip()), f"{_id(path)} must start with a label like (ch-bptt)=; got {first!r}"


def test_every_toc_entry_exists():
    missing = [f for f in toc_files(ROOT / "_toc.yml")
               if not any((ROOT / f"{f}{ext}").exists() for ext in (".md", ".ipynb"))]
    assert missing == [], f"_toc.yml lists pages that do not exist (no placeholders): {missing}"


def test_the_package_uses_plain_tqdm():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "rnn_course").rglob("*.py")
                 if re.search(r"tqdm\.(auto|notebook|autonotebook)", p.read_text())]
    assert offenders == []


def test_colab_url_is_the_repository_url():
    url = repository_url()
    assert url.startswith("https://github.com/")
    assert "{url}" in COLAB_CELL and '"google.colab" in sys.modules' in COLAB_CELL
    assert _contributing_colab_cell() == COLAB_CELL.format(url=url), "CONTRIBUTING.md shows another URL"


# ================================================================== the rules catch what they should
def _good_notebook(n_exercises: int = 4):
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        md("# Lab: a demo\n\nOne paragraph."),
        code(COLAB_CELL.format(url="https://github.com/o/r")),
        code("from rnn_course import get_device, seed_everything\ndevice = get_device(verbose=True)\n"
             "seed_everything(0)"),
        code("print((2, 3))", outputs=[nbformat.v4.new_output("stream", text="(2, 3)\n")]),
        code("assert 1 + 1 == 2"),
    ]
    nb.cells[3].metadata["tags"] = [CHECK_TAG]
    nb.cells[-1].metadata["tags"] = ["remove-cell"]
    for k in range(n_exercises):
        solution = code("def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION")
        solution.metadata["tags"] = ["solution"]
        nb.cells += [
            md(f"```{{exercise}} Exercise {k}\n:label: ex-demo-{k}\n\nDo thing {k}.\n```"),
            md(f"```{{solution-start}} ex-demo-{k}\n:class: dropdown\n```"),
            solution,
            md("```{solution-end}\n```"),
            code("check_f(f)"),
        ]
    return nb


def _all_problems(nb, url="https://github.com/o/r"):
    return (kernelspec_problems(nb) + colab_problems(nb, url) + tqdm_problems(nb) + title_problems(nb)
            + device_and_seed_problems(nb) + exercise_problems(nb) + hidden_assertion_problems(nb)
            + output_problems(nb))


def test_demo_good_notebook_passes():
    nb = _good_notebook()
    nbformat.validate(nb)
    assert _all_problems(nb) == []


def test_demo_kernelspec():
    nb = _good_notebook()
    nb.metadata["kernelspec"] = {"name": "venv-rnn", "display_name": "Python (venv)"}
    assert "kernelspec must be name 'python3'" in " ".join(_all_problems(nb))


def test_demo_colab_cell_with_another_url_or_missing():
    nb = _good_notebook()
    assert any("git+https://github.com/other/repo" in p for p in colab_problems(nb, "https://github.com/other/repo"))
    nb.cells[1].source = "import torch"
    assert any("Colab cell" in p for p in _all_problems(nb))


def test_demo_tqdm_auto():
    nb = _good_notebook()
    nb.cells[2].source += "\nfrom tqdm.auto import tqdm"
    assert _all_problems(nb) == ["cell 2 uses tqdm.auto: use plain `from tqdm import tqdm`"]


def test_demo_too_few_exercises():
    assert exercise_problems(_good_notebook(3)) == ["expected at least 4 {exercise} blocks, found 3"]


def test_demo_exercise_without_solution_or_label():
    nb = _good_notebook(5)
    del nb.cells[-4:-1]  # the last exercise loses its solution block
    assert exercise_problems(nb) == ["exercise 'ex-demo-4' has no matching solution-start"]
    nb = _good_notebook()
    nb.cells[5].source = "```{exercise} No label\n\nText.\n```"
    problems = exercise_problems(nb)
    assert "cell 5: exercise without a :label:" in problems
    assert "solution-start 'ex-demo-0' matches no exercise label" in problems


def test_demo_untagged_solution_cell_and_stray_tag():
    nb = _good_notebook()
    nb.cells[7].metadata["tags"] = []
    assert exercise_problems(nb) == ["cell 7: code cell inside the solution of 'ex-demo-0' must be tagged 'solution'"]
    nb = _good_notebook()
    nb.cells[9].metadata["tags"] = ["solution"]  # the check cell, after solution-end
    assert exercise_problems(nb) == ["cell 9: tagged 'solution' but outside solution-start/solution-end"]


def test_demo_solution_block_not_closed_or_not_dropdown():
    nb = _good_notebook()
    nb.cells[-2].source = "Some text."  # the last solution-end is gone
    last = len(nb.cells) - 1
    assert exercise_problems(nb) == [
        f"cell {last}: code cell inside the solution of 'ex-demo-3' must be tagged 'solution'",
        "solution-start 'ex-demo-3' has no solution-end",
    ]
    nb = _good_notebook()
    nb.cells[6].source = "```{solution-start} ex-demo-0\n```"
    assert exercise_problems(nb) == ["cell 6: solution-start 'ex-demo-0' needs ':class: dropdown'"]


def test_demo_colon_fences_are_understood():
    nb = _good_notebook()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = cell.source.replace("```", ":::")
    assert exercise_problems(nb) == []


def test_demo_no_hidden_assertion():
    nb = _good_notebook()
    nb.cells[4].metadata["tags"] = []
    assert hidden_assertion_problems(nb) != []
    nb = _good_notebook()
    nb.cells[4].source = "print('no check')"
    assert hidden_assertion_problems(nb) != []


def test_demo_outputs_not_stripped():
    nb = _good_notebook()
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="Using device cpu\n")]
    nb.cells[2].execution_count = 3
    problems = output_problems(nb)
    assert "cell 2 has outputs" in problems[0] and "instructor clean" in problems[0]
    assert "cell 2 has an execution count" in problems[1]
    nb = _good_notebook()
    nb.cells[3].outputs = []
    assert output_problems(nb) == ["cell 3 is tagged nbval-check-output but has no stored output for nbval to compare"]


def test_demo_toc_membership_and_parsing(tmp_path):
    toc = tmp_path / "_toc.yml"
    toc.write_text("format: jb-book\nroot: intro\nparts:\n  - caption: A\n    chapters:\n"
                   "      - file: chapters/01_x/index\n        sections:\n          - file: chapters/01_x/lab.ipynb\n")
    listed = toc_files(toc)
    assert listed == ["intro", "chapters/01_x/index", "chapters/01_x/lab"]
    assert toc_problems(tmp_path / "chapters/01_x/lab.ipynb", listed, root=tmp_path) == []
    assert toc_problems(tmp_path / "chapters/02_y/lab.ipynb", listed, root=tmp_path) == \
        ["chapters/02_y/lab is not listed in _toc.yml"]


# ================================================================== every exercise check is asserted
# In a reference notebook a check that fails must fail the build. An exercise check is any
# function imported from a module of the `rnn_course.checks` package (whatever its name);
# each call of one must sit inside an `assert` in its own cell, or be asserted by the hidden
# (`remove-cell`) cell right after it.
import importlib.util  # noqa: E402

CHECKS_PACKAGE = "rnn_course.checks"


def _parse_cell(source: str) -> ast.Module | None:
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _is_checks_submodule(name: str) -> bool:
    try:
        return importlib.util.find_spec(f"{CHECKS_PACKAGE}.{name}") is not None
    except (ImportError, ValueError):
        return False


def _check_names(trees: list[ast.Module]) -> tuple[set[str], set[str]]:
    """(functions imported from a checks module, dotted prefixes that name a checks module)."""
    functions, modules = set(), set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    bound = alias.asname or alias.name
                    if node.module.startswith(CHECKS_PACKAGE + "."):
                        functions.add(bound)
                    elif node.module == CHECKS_PACKAGE and _is_checks_submodule(alias.name):
                        modules.add(bound)
                    elif node.module == "rnn_course" and alias.name == "checks":
                        modules.add(bound)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == CHECKS_PACKAGE or alias.name.startswith(CHECKS_PACKAGE + "."):
                        modules.add(alias.asname or alias.name)
    return functions, modules


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _check_calls(node: ast.AST, functions: set[str], modules: set[str]) -> list[str]:
    """Dotted names of the exercise-check calls inside ``node``."""
    calls = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            name = _dotted(sub.func)
            if name and (name in functions or any(name.startswith(m + ".") for m in modules)):
                calls.append(name)
    return calls


def unasserted_check_problems(nb) -> list[str]:
    """Every call of an exercise check is asserted in its cell or in the hidden cell after it."""
    trees = [(i, c, _parse_cell(c.source)) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    problems = [f"cell {i}: cannot parse the code to find its exercise checks" for i, _, t in trees if t is None]
    functions, modules = _check_names([t for _, _, t in trees if t is not None])
    for i, cell, tree in trees:
        if tree is None:
            continue
        asserted = [name for node in ast.walk(tree) if isinstance(node, ast.Assert)
                    for name in _check_calls(node.test, functions, modules)]
        following = nb.cells[i + 1] if i + 1 < len(nb.cells) else None
        hidden = (following is not None and following.cell_type == "code"
                  and "remove-cell" in _tags(following) and "remove-cell" not in _tags(cell))
        hidden_tree = _parse_cell(following.source) if hidden else None
        if hidden_tree is not None:
            asserted += [name for node in ast.walk(hidden_tree) if isinstance(node, ast.Assert)
                         for name in _check_calls(node.test, functions, modules)]
        for name in _check_calls(tree, functions, modules):
            if name not in asserted:
                problems.append(f"cell {i}: the exercise check {name}(...) is not asserted; add "
                                f"`assert {name}(...)` to a hidden cell (tag remove-cell) right after it")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_notebook_check_calls_are_asserted(path):
    _none(unasserted_check_problems(_read(path)))


def _checked_notebook(check_source: str, hidden_source: str | None = "assert check_f(f)",
                      imports: str = "from rnn_course.checks.ch01 import check_f"):
    """A code cell defining f, a check cell, and (optionally) a hidden cell after it."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook()
    nb.cells = [md("# Lab: checks"), code(imports), code("def f():\n    return 1"), code(check_source)]
    if hidden_source is not None:
        nb.cells.append(code(hidden_source))
        nb.cells[-1].metadata["tags"] = ["remove-cell"]
    return nb


def test_demo_check_asserted_in_the_hidden_cell_or_in_its_own_cell_passes():
    assert unasserted_check_problems(_checked_notebook("check_f(f);")) == []
    assert unasserted_check_problems(_checked_notebook("assert check_f(f)", hidden_source=None)) == []


def test_demo_check_cell_that_does_not_assert_fails():
    problems = unasserted_check_problems(_checked_notebook("check_f(f);", hidden_source=None))
    assert problems == ["cell 3: the exercise check check_f(...) is not asserted; add "
                        "`assert check_f(...)` to a hidden cell (tag remove-cell) right after it"]
    # a hidden cell that only calls the check, or asserts something else, does not count
    assert unasserted_check_problems(_checked_notebook("check_f(f);", "check_f(f)")) != []
    assert unasserted_check_problems(_checked_notebook("check_f(f);", "assert f() == 1")) != []


def test_demo_hidden_assertion_must_come_right_after_the_check():
    nb = _checked_notebook("check_f(f);")
    nb.cells.insert(4, nbformat.v4.new_markdown_cell("Some text."))
    assert len(unasserted_check_problems(nb)) == 1
    nb = _checked_notebook("check_f(f);")
    nb.cells[-1].metadata["tags"] = []  # visible: test plumbing the reader would see
    assert len(unasserted_check_problems(nb)) == 1


def test_demo_checks_are_found_by_where_they_come_from_not_by_their_name():
    # named check_... but not an exercise check: nothing to assert
    nb = _checked_notebook("check_f(f);", hidden_source=None, imports="from mylib import check_f")
    assert unasserted_check_problems(nb) == []
    # an exercise check under another name, or called through its module, is found
    for imports, call in [("from rnn_course.checks.ch01 import check_f as verify", "verify(f)"),
                          ("from rnn_course.checks import ch01", "ch01.check_f(f)"),
                          ("import rnn_course.checks.ch01 as c1", "c1.check_f(f)")]:
        nb = _checked_notebook(f"{call};", hidden_source=None, imports=imports)
        assert len(unasserted_check_problems(nb)) == 1, imports
        nb = _checked_notebook(f"{call};", hidden_source=f"assert {call}", imports=imports)
        assert unasserted_check_problems(nb) == [], imports


# ================================================================== what a reader and a student see
MAX_CELL_LINES, MAX_LINE_CHARS = 15, 88


def _student_lines(source: str) -> list[str]:
    """The lines of a code cell as the student version shows them: an exercise's solution
    between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` becomes a stub."""
    lines, inside = [], False
    for line in source.rstrip("\n").split("\n"):
        marker = line.strip()
        if marker == "# BEGIN SOLUTION":
            inside = True
        elif marker == "# END SOLUTION":
            inside = False
        elif not inside:
            lines.append(line)
    return lines


def cell_size_problems(nb) -> list[str]:
    """Visible code cells: at most 15 lines (a solution's marked body counts as its stub) and,
    unless the input is hidden, lines of at most 88 characters (CONTRIBUTING.md)."""
    problems = []
    for i, cell in enumerate(nb.cells):
        tags = _tags(cell)
        if cell.cell_type != "code" or "remove-cell" in tags:
            continue
        n = len(_student_lines(cell.source))
        if n > MAX_CELL_LINES:
            problems.append(f"cell {i}: {n} lines (at most {MAX_CELL_LINES})")
        wide = [len(line) for line in cell.source.split("\n") if len(line) > MAX_LINE_CHARS]
        if wide and "hide-input" not in tags:
            problems.append(f"cell {i}: lines of {wide} characters (at most {MAX_LINE_CHARS})")
    return problems


def _names(source: str) -> tuple[set[str], set[str]]:
    """(names a cell binds, names it reads), from its syntax tree; magics are skipped."""
    code = "\n".join(line for line in source.split("\n") if not line.lstrip().startswith(("%", "!")))
    bound, read = set(), set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound, read


def hidden_name_problems(nb) -> list[str]:
    """A visible cell never reads a name that only a hidden (``remove-cell``) cell defines:
    the student notebook and the book leave hidden cells out."""
    known, problems = set(dir(builtins)) | {"display", "get_ipython"}, []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "remove-cell" in _tags(cell):
            continue
        bound, read = _names(cell.source)
        missing = read - known - bound
        if missing:
            problems.append(f"cell {i} reads {sorted(missing)}, defined in no visible cell before it")
        known |= bound
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_visible_cells_fit_a_reader_and_need_no_hidden_cell(path):
    nb = _read(path)
    _none(cell_size_problems(nb) + hidden_name_problems(nb))


def test_demo_cell_size_and_hidden_names_are_caught():
    long_cell = "\n".join(f"x{k} = {k}" for k in range(16))
    solution = "def f():\n    # BEGIN SOLUTION\n" + "\n".join(["    pass"] * 20) + "\n    # END SOLUTION"
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(long_cell),
        nbformat.v4.new_code_cell(solution),                     # 2 lines for the student
        nbformat.v4.new_code_cell("y = 1  # " + "z" * 90),
        nbformat.v4.new_code_cell("secret = 2", metadata={"tags": ["remove-cell"]}),
        nbformat.v4.new_code_cell("print(secret + x0)"),
    ])
    assert cell_size_problems(nb) == ["cell 0: 16 lines (at most 15)",
                                      "cell 2: lines of [99] characters (at most 88)"]
    assert hidden_name_problems(nb) == ["cell 4 reads ['secret'], defined in no visible cell before it"]
