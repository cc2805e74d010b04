"""The instructor command line: ``python -m rnn_course.instructor`` (or ``rnn-course``).

Subcommands:
    clean NOTEBOOK...   strip outputs, execution counts and run metadata before committing,
                        keeping the outputs of cells marked ``# NBVAL_CHECK_OUTPUT`` (nbval
                        compares against them).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def clean_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove outputs except on ``# NBVAL_CHECK_OUTPUT`` cells; drop execution counts."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        cell.execution_count = None
        if CHECK_MARK in cell.source:
            for out in cell.outputs:
                if "execution_count" in out:
                    out["execution_count"] = None
        else:
            cell.outputs = []
    nb.metadata.pop("widgets", None)
    return nb


def _clean(args: argparse.Namespace) -> int:
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        nbformat.write(clean_notebook(nb), path)
        print(f"cleaned {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rnn-course", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("clean", help="strip outputs before committing a notebook")
    p.add_argument("notebooks", nargs="+", type=Path)
    p.set_defaults(run=_clean)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
