"""``rnn-course clean``: strip a notebook's outputs before it is committed.

Only the cells tagged ``nbval-check-output`` keep their outputs: nbval compares against them.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from ..i18n import _

CHECK_OUTPUT_TAG = "nbval-check-output"


def clean_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove outputs except on cells tagged ``nbval-check-output``; renumber execution counts.

    Checked cells keep their outputs and get execution counts 1, 2, ... (nbval refuses a
    reference cell that has outputs but no execution count); all other counts are cleared,
    as are per-cell run metadata and saved widget state. Changes ``nb`` in place and returns it.
    """
    checked = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if CHECK_OUTPUT_TAG in cell.metadata.get("tags", []):
            checked += 1
            cell.execution_count = checked
            for out in cell.outputs:
                if "execution_count" in out:
                    out["execution_count"] = checked
        else:
            cell.execution_count = None
            cell.outputs = []
    nb.metadata.pop("widgets", None)
    return nb


def clean_files(paths: list[Path]) -> int:
    """Clean each notebook file in place; the command's exit status."""
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        nbformat.write(clean_notebook(nb), path)
        print(_("cleaned {path}").format(path=path))
    return 0
