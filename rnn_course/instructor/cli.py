"""The command line: ``rnn-course`` or ``python -m rnn_course.instructor``."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..i18n import N_, _
from .clean import clean_files
from .grade import grade_command
from .student import write_student_notebooks

DESCRIPTION = N_("Instructor tools of the RNN course: clean notebooks, make student versions, grade submissions.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rnn-course", description=_(DESCRIPTION))
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("clean", help=_("strip outputs before committing a notebook"))
    p.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK")

    p = sub.add_parser("student", help=_("write student notebooks (solutions replaced by stubs)"))
    p.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK")
    p.add_argument("--out", required=True, type=Path, metavar="DIR",
                   help=_("folder for the student notebooks (same file names)"))

    p = sub.add_parser("grade", help=_("run submitted notebooks and tabulate their checks"))
    p.add_argument("submissions", nargs="+", type=Path, metavar="SUBMISSION")
    p.add_argument("--expected", type=Path, default=None, metavar="NOTEBOOK",
                   help=_("notebook whose exercise checks are the columns (the student or instructor "
                          "version), so a deleted check cell scores 0 instead of vanishing"))
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help=_("notebooks to run at the same time (default 1; about one per CPU core)"))
    p.add_argument("--timeout", type=int, default=600, metavar="S",
                   help=_("seconds one cell may run before it is interrupted (default 600)"))
    p.add_argument("--out", type=Path, default=None, metavar="CSV",
                   help=_("also write the table as CSV (with why each check scored 0), and the answers "
                          "written in words, per exercise, next to it as <CSV name>-answers.md"))
    p.add_argument("--executed", type=Path, default=None, metavar="DIR",
                   help=_("also save the executed notebooks here (to return to the students)"))

    args = parser.parse_args(argv)
    if args.command == "clean":
        return clean_files(args.notebooks)
    if args.command == "student":
        return write_student_notebooks(args.notebooks, args.out)
    return grade_command(args.submissions, expected_from=args.expected, out=args.out,
                         executed=args.executed, timeout=args.timeout, jobs=args.jobs)
