"""Execute the book's notebooks into its jupyter-cache, ``--jobs`` at a time, before the build.

``jupyter-book build`` (``execute_notebooks: cache``) executes the notebooks it cannot find in
its cache one after another. This script fills that same cache first, with jupyter-cache's
multiprocessing worker, so both cores work; the build then renders every notebook from the
cache and executes nothing. Notebooks already in the cache (same code, same metadata) are not
executed again, so a second run, or ``make book`` after ``make test``, executes nothing.

For every notebook it executes, it records the wall seconds (the number the cache stores)
and the CPU seconds of the notebook's kernel in ``run_times.json`` next to the cache, the
file ``_ext/run_times.py`` reads for the run-times page and ``tests/test_run_times.py`` for
the 2-minute budget.

A notebook with a cell that raises is not cached: the script prints its traceback and exits
with status 1 (``make book`` and ``make test`` stop there).

Usage: ``python _ext/execute_labs.py [BOOK] [--jobs N]`` (BOOK defaults to the current folder).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from jupyter_cache import get_cache
from jupyter_cache.cache.db import NbProjectRecord
from jupyter_cache.executors.basic import ExecutionWorkerLocalMProc, ProcessData

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_times import _DEVICE_LINE, JSON_NAME, _children_cpu_s, describe_machine  # noqa: E402

_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the colours of IPython's tracebacks
PENDING = "run_times.pending"  # one JSON file per executed notebook, merged after the pool


def toc_notebooks(book: Path) -> list[Path]:
    """The ``.ipynb`` files the book's ``_toc.yml`` lists, in order."""
    toc = yaml.safe_load((book / "_toc.yml").read_text(encoding="utf-8"))
    files: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("file"), str):
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    files.append(toc["root"])
    walk(toc)
    paths = [book / (f if f.endswith(".ipynb") else f + ".ipynb") for f in dict.fromkeys(files)]
    return [p for p in paths if p.is_file()]


def cache_folder(book: Path) -> Path:
    """The folder myst-nb uses for ``execute_notebooks: cache`` (jupyter-book's default)."""
    config = yaml.safe_load((book / "_config.yml").read_text(encoding="utf-8"))
    execute = config.get("execute") or {}
    if execute.get("execute_notebooks", "auto") != "cache":
        raise SystemExit(f"{book / '_config.yml'}: expected execute_notebooks: cache, "
                         f"found {execute.get('execute_notebooks')!r}")
    custom = execute.get("cache")
    return Path(custom) if custom else book / "_build" / ".jupyter_cache"


def device_of(nb: Any) -> str | None:
    """The device the notebook ran on, as its ``get_device(verbose=True)`` cell printed it."""
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            match = _DEVICE_LINE.search(out.get("text", "") if out.get("output_type") == "stream" else "")
            if match:
                return match.group(1)
    return None


class TimedWorker(ExecutionWorkerLocalMProc):
    """jupyter-cache's worker (runs in the notebook's folder), also timing the kernel's CPU."""

    @staticmethod
    def execute(project_nb, data: ProcessData):
        cpu_before, load_before = _children_cpu_s(), os.getloadavg()[0]
        result = ExecutionWorkerLocalMProc.execute(project_nb, data)
        record = {"uri": project_nb.uri, "wall_s": round(result.time, 3),
                  "cpu_s": round(_children_cpu_s() - cpu_before, 3),  # the kernel, reaped by now
                  "load_avg": round(max(load_before, os.getloadavg()[0]), 2),
                  "succeeded": result.err is None, "device": device_of(result.nb),
                  "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
        pending = Path(data.cache.path) / PENDING
        pending.mkdir(exist_ok=True)
        (pending / f"{data.pk}.json").write_text(json.dumps(record), encoding="utf-8")
        return result


def execute(book: Path, jobs: int = 2) -> int:
    """Execute what the cache lacks; return the number of notebooks that failed."""
    book = book.resolve()
    config = yaml.safe_load((book / "_config.yml").read_text(encoding="utf-8")).get("execute") or {}
    folder = cache_folder(book)
    folder.mkdir(parents=True, exist_ok=True)
    cache = get_cache(str(folder))
    notebooks = toc_notebooks(book)
    uris = [str(cache.add_nb_to_project(str(p)).uri) for p in notebooks]
    todo = cache.list_unexecuted(filter_uris=uris)
    print(f"{len(notebooks)} notebooks in the book, {len(notebooks) - len(todo)} already executed "
          f"(cache {folder}); executing {len(todo)}, {jobs} at a time", flush=True)
    if not todo:
        return 0
    NbProjectRecord.remove_tracebacks([r.pk for r in todo], cache.db)
    work = [ProcessData(r.pk, r.uri, cache, config.get("timeout", 30), bool(config.get("allow_errors", False)))
            for r in todo]
    with multiprocessing.Pool(min(jobs, len(work))) as pool:
        outcome = pool.map(TimedWorker(), work, chunksize=1)

    store_path = folder / JSON_NAME
    try:
        store = json.loads(store_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        store = {}
    machine = describe_machine()
    for file in sorted((folder / PENDING).glob("*.json")):
        record = json.loads(file.read_text(encoding="utf-8"))
        file.unlink()
        docname = Path(record.pop("uri")).relative_to(book).with_suffix("").as_posix()
        if record["succeeded"]:
            store[docname] = {**record, **machine}
    store_path.write_text(json.dumps(store, indent=1, sort_keys=True), encoding="utf-8")

    failed = [uri for status, uri in outcome if status != 0]
    for status, uri in outcome:
        rel = Path(uri).relative_to(book)
        if status == 0:
            seconds = store.get(rel.with_suffix("").as_posix(), {})
            print(f"  executed {rel}: {seconds.get('wall_s', 0):.0f} s wall, {seconds.get('cpu_s', 0):.0f} s CPU")
        else:
            trace = cache.get_project_record(uri).traceback or "(no traceback: see the log above)"
            print(f"\nFAILED {rel}:\n{_ANSI.sub('', trace)}", file=sys.stderr)
    if failed:
        print(f"\n{len(failed)} notebook(s) failed to execute: "
              + ", ".join(str(Path(u).relative_to(book)) for u in failed), file=sys.stderr)
    return len(failed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("book", nargs="?", type=Path, default=Path("."), help="the book's folder")
    parser.add_argument("--jobs", "-j", type=int, default=2, help="notebooks executed at a time")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    return 1 if execute(args.book, args.jobs) else 0


if __name__ == "__main__":
    sys.exit(main())
