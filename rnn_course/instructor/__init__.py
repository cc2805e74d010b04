"""Instructor tools: ``rnn-course`` (or ``python -m rnn_course.instructor``).

One step per module:

- :mod:`.exercises` parses the exercise pattern of CONTRIBUTING.md (exercise, solution-start,
  solution code, solution-end, check cells); the other steps and the notebook tests use it;
- :mod:`.clean` — ``clean NOTEBOOK...``: strip outputs before committing, keeping those of
  cells tagged ``nbval-check-output``;
- :mod:`.student` — ``student NOTEBOOK... --out DIR``: solutions removed, solution code
  replaced by stubs written for a person, checks kept;
- :mod:`.grade` — ``grade SUBMISSION... [--expected NB] [--jobs N] [--timeout S] [--out CSV]``:
  run the submissions and tabulate what their checks printed;
- :mod:`.cli` — the argument parser.
"""
try:  # the extra rnn_course[instructor]; a learner's install (Colab) does without it
    import nbclient  # noqa: F401
    import nbformat  # noqa: F401
except ImportError as missing:
    raise ImportError(f"The instructor tools need {missing.name}, which is not installed. Install the "
                      "package with its instructor extra: pip install 'rnn_course[instructor]' "
                      "(from a clone: pip install -e '.[instructor]')") from missing

from .clean import clean_notebook
from .cli import main
from .exercises import Exercise, ParsedNotebook, Problem, parse
from .grade import CheckLine, Graded, check_lines, expected_checks, grade_notebooks, grade_submissions, grade_table
from .student import InstructorError, StudentReport, make_student_notebook, stub_solution_source

__all__ = [
    "CheckLine", "Exercise", "Graded", "InstructorError", "ParsedNotebook", "Problem", "StudentReport",
    "check_lines", "clean_notebook", "expected_checks", "grade_notebooks", "grade_submissions", "grade_table", "main",
    "make_student_notebook", "parse", "stub_solution_source",
]
