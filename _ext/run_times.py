"""Run times of the labs, measured by the book build and shown on a page of the book.

Every notebook the build executes is timed twice:

- **wall-clock seconds**, as myst-nb / jupyter-cache record them (what the build waited);
- **CPU seconds** of its kernel process (user + system), read from
  ``resource.getrusage(RUSAGE_CHILDREN)`` before and after the notebook is read: the kernel
  is a child process of the build and is reaped when the notebook finishes. The labs run
  PyTorch with one thread, so CPU seconds approximate the wall time on an idle machine,
  which is what the 2-minute budget is about; on a shared, busy machine the wall time grows
  and the CPU time does not.

A notebook taken from the execution cache keeps the numbers of the run that filled the
cache (stored next to the cache, in ``run_times.json`` inside the jupyter-cache folder).
The directive ``{run-times}`` is replaced by a table of every notebook of the book, with the
machine the numbers come from; the page is rewritten whenever a notebook is re-read.
The build also writes ``run_times.json`` into the HTML folder; ``tests/test_run_times.py``
fails when a notebook is over the budget (``over_budget`` says how that is decided).
"""
from __future__ import annotations

import json
import os
import platform
import re
import resource
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from rnn_course.timing import cpu_model

LOGGER = logging.getLogger(__name__)
BUDGET_S = 120.0  # every notebook under 2 minutes on a 2-core CPU (idle-machine seconds)
JSON_NAME = "run_times.json"
_DEVICE_LINE = re.compile(r"Using device (\S+) \(([^)]*)\)")


# ----------------------------------------------------------------------------- the rule
def over_budget(record: dict[str, Any], budget_s: float = BUDGET_S) -> str | None:
    """Why a measured notebook is over the budget, or None when it is within it.

    The budget is in idle-machine seconds. With one torch thread, the kernel's CPU seconds
    stand for them, whatever else the machine was doing: over the budget in CPU seconds is
    over. The wall time counts too when it cannot be blamed on a busy machine: when the CPU
    time is unknown (a run before these measurements), or when the machine had a spare core
    while the notebook ran (load average below the number of cores).
    """
    wall, cpu = record.get("wall_s"), record.get("cpu_s")
    load, cores = record.get("load_avg"), record.get("cores")
    if not record.get("succeeded", True):
        return "the notebook failed to execute"
    if cpu is not None and cpu > budget_s:
        return f"{cpu:.0f} CPU seconds > {budget_s:.0f} s"
    if wall is not None and wall > budget_s:
        if cpu is None:
            return f"{wall:.0f} s wall time > {budget_s:.0f} s (CPU time not measured)"
        if load is None or cores is None or load < cores:
            return f"{wall:.0f} s wall time > {budget_s:.0f} s on a machine that was not busy " \
                   f"(load {load}, {cores} cores)"
    return None


# ----------------------------------------------------------------------------- the machine
def _memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def describe_machine() -> dict[str, Any]:
    """What the numbers were measured on (read in the build process)."""
    return {"cpu": cpu_model(), "cores": _cores(), "memory_gib": _memory_gib(),
            "system": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "torch": _version("torch")}


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# ----------------------------------------------------------------------------- the measurements
def _store_path(app: Sphinx) -> Path:
    cache = app.config["nb_execution_cache_path"] or str(Path(app.outdir).parent / ".jupyter_cache")
    return Path(cache) / JSON_NAME


def _read_store(app: Sphinx) -> dict[str, Any]:
    path = _store_path(app)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _is_notebook(app: Sphinx, docname: str) -> bool:
    return str(app.env.doc2path(docname)).endswith(".ipynb")


def _on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    if _is_notebook(app, docname):
        app.env.course_run_start = {"docname": docname, "cpu_s": _children_cpu_s(),
                                    "time": time.time(), "load": os.getloadavg()[0]}


def _device(doctree: nodes.document) -> str | None:
    """The device the notebook ran on, as its ``get_device(verbose=True)`` cell printed it."""
    for node in doctree.findall(nodes.literal_block):
        match = _DEVICE_LINE.search(node.astext())
        if match:
            return match.group(1)
    return None


def _on_doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    from myst_nb.sphinx_ import NbMetadataCollector

    env = app.env
    start = getattr(env, "course_run_start", None)
    if not start or start["docname"] != env.docname:
        return
    env.course_run_start = None
    exec_data = NbMetadataCollector.get_exec_data(env, env.docname)
    if not exec_data or exec_data.get("runtime") is None:
        return
    store = _read_store(app)
    cpu_s = _children_cpu_s() - start["cpu_s"]
    if cpu_s > 0:  # a kernel ran: executed now, not taken from the cache
        record = {"wall_s": round(exec_data["runtime"], 3), "cpu_s": round(cpu_s, 3),
                  "load_avg": round(max(start["load"], os.getloadavg()[0]), 2),
                  "succeeded": bool(exec_data["succeeded"]),
                  "device": _device(doctree),
                  "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                  **describe_machine()}
        if record["succeeded"]:
            store[env.docname] = record
            path = _store_path(app)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(store, indent=1, sort_keys=True), encoding="utf-8")
    else:
        record = store.get(env.docname)
        if record is None or abs(record["wall_s"] - round(exec_data["runtime"], 3)) > 1e-3:
            # cached by a build that did not measure CPU time: keep what the cache knows
            record = {"wall_s": round(exec_data["runtime"], 3), "cpu_s": None, "load_avg": None,
                      "succeeded": bool(exec_data["succeeded"]), "device": _device(doctree),
                      "date": datetime.fromtimestamp(exec_data["mtime"], timezone.utc)
                      .strftime("%Y-%m-%d %H:%M UTC"), **describe_machine()}
    if not hasattr(env, "course_run_times"):
        env.course_run_times = {}
    env.course_run_times[env.docname] = record
    env.course_run_times_changed = True


def _on_purge(app: Sphinx, env: Any, docname: str) -> None:
    getattr(env, "course_run_times", {}).pop(docname, None)
    getattr(env, "course_run_tables", set()).discard(docname)


def _on_merge(app: Sphinx, env: Any, docnames: set[str], other: Any) -> None:
    if not hasattr(env, "course_run_times"):
        env.course_run_times = {}
    for docname in docnames:
        if docname in getattr(other, "course_run_times", {}):
            env.course_run_times[docname] = other.course_run_times[docname]


def _on_env_before_read(app: Sphinx, env: Any, docnames: list[str]) -> None:
    env.course_run_times_changed = False


def _on_env_updated(app: Sphinx, env: Any) -> list[str]:
    """Rewrite the pages that show the table when a notebook was read again."""
    if not getattr(env, "course_run_times_changed", False):
        return []
    return sorted(getattr(env, "course_run_tables", set()) & env.found_docs)


def current_records(env: Any) -> dict[str, dict[str, Any]]:
    """docname -> measurement, for the notebooks that are part of the book, in book order."""
    records = getattr(env, "course_run_times", {})
    return {d: records[d] for d in sorted(records) if d in env.found_docs}


def _on_build_finished(app: Sphinx, exc: Exception | None) -> None:
    if exc is not None or app.builder.format != "html":
        return
    data = {"budget_s": BUDGET_S, "notebooks": current_records(app.env)}
    Path(app.outdir, JSON_NAME).write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")


# ----------------------------------------------------------------------------- the page
class RunTimesNode(nodes.General, nodes.Element):
    """Placeholder for the table, filled in after every notebook has been read."""


class RunTimesDirective(SphinxDirective):
    """``{run-times}``: a table of every notebook's wall and CPU time, and the machine."""

    def run(self) -> list[nodes.Node]:
        if not hasattr(self.env, "course_run_tables"):
            self.env.course_run_tables = set()
        self.env.course_run_tables.add(self.env.docname)
        return [RunTimesNode()]


def _paragraph(*children: nodes.Node | str) -> nodes.paragraph:
    para = nodes.paragraph()
    for child in children:
        para += nodes.Text(child) if isinstance(child, str) else child
    return para


def _seconds(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.0f} s"


def _machine(record: dict[str, Any]) -> str:
    memory = f", {record['memory_gib']:g} GiB of memory" if record.get("memory_gib") else ""
    device = record.get("device") or "an unknown device"
    device_text = "the CPU (no GPU was available)" if device == "cpu" else device
    torch = f", PyTorch {record['torch']}" if record.get("torch") else ""
    return (f"{record['cpu']} with {record['cores']} cores{memory}, {record['system']}, "
            f"Python {record['python']}{torch}; the notebooks ran on {device_text}")


def _machine_sentences(records: list[dict[str, Any]]) -> list[str]:
    """One sentence per machine the numbers come from, with the dates of the runs."""
    dates: dict[str, list[str]] = {}
    for record in records:
        dates.setdefault(_machine(record), []).append(record["date"])
    out = []
    for machine, when in dates.items():
        first, last = min(when), max(when)
        span = first if first == last else f"between {first} and {last}"
        out.append(f"Measured on {machine}; run {span}.")
    return out


def gpu_sentence(records: list[dict[str, Any]]) -> str:
    """Whether a GPU was used for these times, from the device each lab printed."""
    gpus = sorted({r["device"] for r in records if r.get("device") not in (None, "cpu")})
    unknown = sum(1 for r in records if not r.get("device"))
    if not gpus and not unknown:
        return "No GPU was used: every lab ran on the CPU."
    if not gpus:
        return (f"No GPU was used by the labs that printed their device; {unknown} lab(s) did not "
                "print one.")
    return f"A GPU was used ({', '.join(gpus)}): the times are not those of a CPU."


def make_table(docname: str, env: Any) -> list[nodes.Node]:
    records = current_records(env)
    if not records:
        return [_paragraph("No notebook has been executed by this build yet.")]
    table = nodes.table(classes=["colwidths-auto", "run-times"])
    group = nodes.tgroup(cols=5)
    table += group
    for _ in range(5):
        group += nodes.colspec(colwidth=20)
    head, body = nodes.thead(), nodes.tbody()
    group += head
    group += body
    row = nodes.row()
    for name in ("Chapter", "Lab", "Wall time", "CPU time", "Within 2 minutes?"):
        row += nodes.entry("", _paragraph(name))
    head += row
    total_wall = total_cpu = 0.0
    for nb_doc, record in records.items():
        secnum = env.toc_secnumbers.get(nb_doc, {}).get("")
        link = pending_xref(refdoc=docname, reftarget="/" + nb_doc, reftype="doc", refdomain="std",
                            refexplicit=False, refwarn=True)
        link += nodes.inline(text=nb_doc)
        problem = over_budget(record)
        row = nodes.row()
        for cell in (_paragraph(str(secnum[0]) if secnum else ""), _paragraph(link),
                     _paragraph(_seconds(record["wall_s"])), _paragraph(_seconds(record["cpu_s"])),
                     _paragraph("yes" if problem is None else f"no: {problem}")):
            row += nodes.entry("", cell)
        body += row
        total_wall += record["wall_s"] or 0.0
        total_cpu += record["cpu_s"] or 0.0
    row = nodes.row()
    all_cpu = all(r["cpu_s"] is not None for r in records.values())
    for text in ("", "All labs", f"{total_wall:.0f} s", f"{total_cpu:.0f} s" if all_cpu else "", ""):
        row += nodes.entry("", _paragraph(nodes.strong(text=text)) if text else _paragraph())
    body += row
    loads = [r["load_avg"] for r in records.values() if r.get("load_avg") is not None]
    notes = [_paragraph(sentence) for sentence in _machine_sentences(list(records.values()))]
    notes.append(_paragraph(gpu_sentence(list(records.values()))))
    if loads:
        notes.append(_paragraph(
            f"While the notebooks ran, the machine's load average was between {min(loads):.1f} and "
            f"{max(loads):.1f} (a load above the number of cores means other work was competing "
            f"for them, which lengthens the wall time but not the CPU time)."))
    return [table, *notes]


class RunTimesTransform(SphinxPostTransform):
    default_priority = 8  # before references are resolved (10), so the links work

    def run(self, **kwargs: Any) -> None:
        for node in list(self.document.findall(RunTimesNode)):
            node.replace_self(make_table(self.env.docname, self.env))


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_node(RunTimesNode)
    app.add_directive("run-times", RunTimesDirective)
    app.add_post_transform(RunTimesTransform)
    app.connect("env-before-read-docs", _on_env_before_read)
    app.connect("source-read", _on_source_read)
    app.connect("doctree-read", _on_doctree_read)
    app.connect("env-purge-doc", _on_purge)
    app.connect("env-merge-info", _on_merge)
    app.connect("env-updated", _on_env_updated)
    app.connect("build-finished", _on_build_finished)
    return {"version": "1.0", "parallel_read_safe": False, "parallel_write_safe": True}
