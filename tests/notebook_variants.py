"""Submissions as instructors receive them, built from a notebook (used by the grading tests).

- :func:`partly_solved`: a student notebook with the reference answers of some exercises;
- :func:`colab_export`: the JSON Google Colab writes when a student downloads the notebook
  (nbformat 4.0, cell ids in the metadata, Colab's metadata and widget state, and the
  outputs of the student's own run);
- :func:`truncated`: the first part of a notebook file, as an interrupted upload leaves it.
"""
from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path

import nbformat

from rnn_course.instructor import parse


def partly_solved(student: nbformat.NotebookNode, reference: nbformat.NotebookNode,
                  labels: list[str]) -> nbformat.NotebookNode:
    """``student`` with the stubs of the exercises in ``labels`` replaced by the reference code."""
    answers = {e.label: [reference.cells[i].source for i in e.solution_code] for e in parse(reference).exercises}
    stubs: dict[str, list[int]] = {}
    for i, label in parse(student).solution_cells.items():
        if student.cells[i].cell_type == "code":
            stubs.setdefault(label, []).append(i)
    nb = copy.deepcopy(student)
    for label in labels:
        assert len(stubs[label]) == len(answers[label]), (label, stubs[label], answers[label])
        for i, source in zip(stubs[label], answers[label]):
            nb.cells[i].source = source
    return nb


def colab_export(nb: nbformat.NotebookNode, stale_text: str = "") -> str:
    """The notebook as Colab's "Download .ipynb" writes it (a JSON string).

    Every code cell carries an output of the student's run: ``stale_text`` (e.g. check lines
    that must not count) and a tqdm widget view.
    """
    widget = uuid.UUID(int=7).hex
    cells = []
    for k, cell in enumerate(nb.cells):
        out = {"cell_type": cell.cell_type, "metadata": {"id": f"cell{k:04d}"}, "source": cell.source}
        if cell.cell_type == "code":
            out["metadata"].update({"colab": {"base_uri": "https://localhost:8080/"}, "outputId": f"out{k:04d}"})
            out["execution_count"] = k + 1
            out["outputs"] = [
                {"output_type": "stream", "name": "stdout", "text": stale_text},
                {"output_type": "display_data", "metadata": {},
                 "data": {"application/vnd.jupyter.widget-view+json":
                          {"model_id": widget, "version_major": 2, "version_minor": 0},
                          "text/plain": "  0%|          | 0/8 [00:00<?, ?it/s]"}},
            ]
        cells.append(out)
    metadata = {
        "colab": {"provenance": [], "gpuType": "T4", "name": "submission.ipynb"},
        "kernelspec": {"name": "python3", "display_name": "Python 3"},
        "language_info": {"name": "python"},
        "accelerator": "GPU",
        # Colab stores the models straight under the MIME type, without the "state" key of
        # the jupyter-widgets schema (which some renderers then reject).
        "widgets": {"application/vnd.jupyter.widget-state+json": {widget: {
            "model_module": "@jupyter-widgets/controls", "model_name": "HBoxModel",
            "model_module_version": "1.5.0", "state": {"children": []}}}},
    }
    return json.dumps({"nbformat": 4, "nbformat_minor": 0, "metadata": metadata, "cells": cells}, indent=1)


def truncated(path: Path, fraction: float = 0.6) -> bytes:
    """The first ``fraction`` of the file's bytes."""
    data = Path(path).read_bytes()
    return data[: int(len(data) * fraction)]
