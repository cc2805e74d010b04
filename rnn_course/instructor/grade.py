"""``rnn-course grade``: run submitted notebooks and tabulate their exercise checks.

Each submission runs top to bottom in a fresh ``python3`` kernel in its own folder, ``jobs``
at a time. Outputs saved in the file (from the student's own run, in Colab or elsewhere) are
deleted first, so only what the checks print in this run counts. A cell that raises does not
stop the run; a cell that runs longer than the timeout is interrupted and the run goes on.
A file that is not a notebook (truncated, not JSON) or whose kernel dies gets a row that
says so, and the rest of the class is graded. The kernels' own log lines go nowhere, so the
terminal shows a progress bar and the table.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import subprocess
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from tqdm import tqdm

from ..i18n import ENV, LANGUAGES, _, notebook_language, translate
from .exercises import parse

_CHECK_LINE = re.compile(r"^[ \t]*(✅|❌)[ \t]+([A-Za-z_]\w*):[ \t]*(.*)$")
_QUIET = logging.getLogger("rnn_course.instructor.grade.kernel")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


@dataclass
class CheckLine:
    """What a check printed: passed or not, and its message (the hint when it failed)."""

    passed: bool
    message: str


@dataclass
class Graded:
    """One submission after its run."""

    name: str                                  # the row label
    checks: dict[str, CheckLine] = field(default_factory=dict)
    error: str = ""                            # why it could not be run (all checks then score 0)
    notes: list[str] = field(default_factory=list)  # cells interrupted, kernel died
    called: list[str] = field(default_factory=list)  # the checks its code calls
    executed: nbformat.NotebookNode | None = None


def _passed_prefixes() -> tuple[str, ...]:
    """What a passing line puts before its message, in every language ("passed — ", "合格 — ")."""
    return tuple(dict.fromkeys(translate("passed — {message}", lang).split("{message}")[0] for lang in LANGUAGES))


def check_lines(nb: nbformat.NotebookNode) -> dict[str, CheckLine]:
    """Check name -> the last line it printed in this executed notebook's outputs (in any
    language: the line's mark and check name are the same in all of them)."""
    results: dict[str, CheckLine] = {}
    prefixes = _passed_prefixes()
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "stream":
                text = out.get("text", "")
            elif out.get("output_type") in ("execute_result", "display_data"):
                text = out.get("data", {}).get("text/plain", "")
            else:
                continue
            for line in ("".join(text) if isinstance(text, list) else text).splitlines():
                if m := _CHECK_LINE.match(line):
                    results.pop(m.group(2), None)  # keep the order of the last occurrence
                    passed = m.group(1) == "✅"
                    message = m.group(3)
                    if passed:
                        message = next((message[len(p):] for p in prefixes if message.startswith(p)), message)
                    results[m.group(2)] = CheckLine(passed, message)
    return results


def expected_checks(nb: nbformat.NotebookNode) -> list[str]:
    """Names of the exercise checks a notebook calls (see :mod:`.exercises`), in order."""
    return parse(nb).checks


def read_submission(path: Path) -> nbformat.NotebookNode:
    """Read a notebook as it comes back from a student: Colab's saved widget state and the
    outputs of the student's own run are dropped; schema slips do not stop the read."""
    nb = nbformat.reads(Path(path).read_text(encoding="utf-8"), as_version=4, capture_validation_error={})
    nb.metadata.pop("widgets", None)  # widget state (Colab saves it in its own layout) is not graded
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0][:120]}" if text else type(error).__name__


async def _execute(path: Path, timeout: int) -> Graded:
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    graded = Graded(path.name)
    try:
        nb = read_submission(path)
    except Exception as e:  # not a notebook: say so in its row, grade the others
        json_error = isinstance(e, ValueError) and "JSON" in f"{type(e).__name__} {e}"
        graded.error = (_("not a readable notebook (truncated, or not JSON)") if json_error
                        else _("not a readable notebook ({error})").format(error=_first_line(e)))
        return graded
    # The checks speak the notebook's language (a Japanese lab's feedback is Japanese), whatever
    # the grader's own environment says.
    env = {**os.environ, ENV: notebook_language(nb)}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True, skip_cells_with_tag="", log=_QUIET,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    try:  # the kernel's own log lines (e.g. about its TCP transport) are not the grader's output
        await client.async_execute(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    except DeadKernelError:
        graded.notes.append(_("the kernel died (out of memory, or the notebook ended its own process); "
                              "the checks that ran before count"))
    except Exception as e:  # the kernel could not start, or nbclient failed
        graded.error = _("could not run: {error}").format(error=_first_line(e))
        return graded
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and any(o.get("ename") == "KeyboardInterrupt" for o in cell.get("outputs", [])):
            graded.notes.append(_("cell {cell} ran longer than {timeout} s and was stopped").format(cell=i, timeout=timeout))
    graded.checks, graded.executed, graded.called = check_lines(nb), nb, parse(nb).checks
    return graded


async def _execute_all(paths: list[Path], timeout: int, jobs: int, progress: bool) -> list[Graded]:
    gate = asyncio.Semaphore(max(1, jobs))
    bar = tqdm(total=len(paths), desc=_("grading"), unit=_("notebook"), file=sys.stderr, disable=not progress)

    async def one(path: Path) -> Graded:
        async with gate:
            graded = await _execute(path, timeout)
        bar.update()
        return graded

    try:
        return list(await asyncio.gather(*(one(p) for p in paths)))
    finally:
        bar.close()


def grade_submissions(paths: list[Path], *, timeout: int = 600, jobs: int = 1, progress: bool = False,
          executed_dir: Path | None = None) -> list[Graded]:
    """Run each notebook (``jobs`` at a time, each cell at most ``timeout`` seconds).

    Rows are labelled by file name, or ``folder/name`` when names repeat. With
    ``executed_dir``, each executed notebook is saved there too (to return to the student).
    """
    from nbclient.util import run_sync

    paths = [Path(p) for p in paths]
    names = [p.name for p in paths]
    results = run_sync(_execute_all)(paths, timeout, jobs, progress)
    for path, graded in zip(paths, results):
        graded.name = path.name if names.count(path.name) == 1 else f"{path.parent.name}/{path.name}"
        if graded.executed is not None and executed_dir is not None:
            executed_dir.mkdir(parents=True, exist_ok=True)
            nbformat.write(graded.executed, executed_dir / graded.name.replace("/", "__"))
    return results


def grade_table(results: list[Graded], expected: list[str] | None = None):
    """A pandas DataFrame: one row per notebook, one 0/1 column per check, then ``total``,
    ``max``, ``percent`` and ``error``.

    The columns are the ``expected`` checks (those a reference or student notebook calls),
    so a deleted check cell scores 0 rather than vanishing; without them, every check seen.
    """
    import pandas as pd

    columns = list(expected or [])
    if expected is None:
        for name in (c for graded in results for c in [*graded.called, *graded.checks]):
            columns += [] if name in columns else [name]
    table = pd.DataFrame([[int(g.checks[c].passed) if c in g.checks else 0 for c in columns] for g in results],
                         index=pd.Index([g.name for g in results], name="notebook"), columns=columns, dtype=int)
    table["total"] = table[columns].sum(axis=1).astype(int)
    table["max"] = len(columns)
    table["percent"] = (100.0 * table["total"] / len(columns)).round(1) if columns else 0.0
    table["error"] = ["; ".join(([g.error] if g.error else []) + g.notes) for g in results]
    return table


def grade_notebooks(paths: list[Path], *, timeout: int = 600, expected: list[str] | None = None,
                    executed_dir: Path | None = None, jobs: int = 1, progress: bool = False):
    """:func:`grade_submissions` then :func:`grade_table`."""
    return grade_table(grade_submissions(paths, timeout=timeout, jobs=jobs, progress=progress, executed_dir=executed_dir),
                       expected)


def grade_command(submissions: list[Path], *, expected_from: Path | None, out: Path | None,
                  executed: Path | None, timeout: int, jobs: int) -> int:
    """What ``rnn-course grade`` does: grade, print the table and each notebook's error or
    notes below it, write the CSV (with an ``error`` column); exit status 0."""
    import pandas as pd

    expected = expected_checks(nbformat.read(expected_from, as_version=4)) if expected_from else None
    start = time.perf_counter()
    results = grade_submissions(submissions, timeout=timeout, jobs=jobs, progress=True, executed_dir=executed)
    table = grade_table(results, expected)
    # As wide as the terminal (COLUMNS); wider tables continue below, column block by block.
    width = shutil.get_terminal_size((100, 24)).columns
    with pd.option_context("display.max_columns", None, "display.width", width):
        print(table.drop(columns="error").to_string(line_width=width))
    for name, error in table["error"].items():
        if error:
            print(f"{name}: {error}")
    print(_("graded {n} notebook(s) in {seconds:.0f} s, {jobs} at a time").format(
        n=len(submissions), seconds=time.perf_counter() - start, jobs=jobs))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out)
        print(_("wrote {path}").format(path=out))

    return 0
