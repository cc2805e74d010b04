"""Every lab within the 2-minute budget, as the book build measured it (``_build/html/run_times.json``).

The build records each notebook's wall time and its kernel's CPU time (``_ext/run_times.py``);
``over_budget`` decides: over 120 CPU seconds is over; so is a wall time over 120 s when the
CPU time is unknown or the machine had a core to spare. The rule is tested below on made-up
records; ``test_demo_book.py`` shows a real build records both times.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # also under --import-mode=importlib
from test_notebooks_static import toc_files  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
from run_times import BUDGET_S, over_budget  # noqa: E402


def record(wall, cpu, load=0.5, cores=2, succeeded=True):
    return {"wall_s": wall, "cpu_s": cpu, "load_avg": load, "cores": cores, "succeeded": succeeded}


@pytest.mark.parametrize("rec,verdict", [
    (record(60, 55), None),
    (record(119.9, 118), None),
    (record(130, 125), "125 CPU seconds > 120 s"),
    (record(100, 121, load=7.0), "121 CPU seconds > 120 s"),     # CPU time counts whatever the load
    (record(200, 90, load=8.0), None),                           # busy machine: the wall time stretched
    (record(200, 90, load=1.0), "200 s wall time > 120 s on a machine that was not busy (load 1.0, 2 cores)"),
    (record(150, None, load=None), "150 s wall time > 120 s (CPU time not measured)"),
    (record(50, None, load=None), None),
    (record(10, 5, succeeded=False), "the notebook failed to execute"),
])
def test_budget_rule(rec, verdict):
    assert over_budget(rec) == verdict
    assert BUDGET_S == 120


@pytest.mark.built_html
def test_every_lab_within_the_two_minute_budget():
    path = ROOT / "_build" / "html" / "run_times.json"
    assert path.is_file(), "no _build/html/run_times.json: build the book first (jupyter-book build . -W --keep-going)"
    measured = json.loads(path.read_text(encoding="utf-8"))["notebooks"]
    labs = [p for p in toc_files(ROOT / "_toc.yml") if (ROOT / f"{p}.ipynb").is_file()]
    missing = [lab for lab in labs if lab not in measured]
    assert not missing, f"labs the build did not time: {missing}"
    over = {lab: over_budget(measured[lab]) for lab in labs if over_budget(measured[lab])}
    table = "\n".join(f"  {lab}: wall {measured[lab]['wall_s']:.0f} s, CPU {measured[lab]['cpu_s']} s, "
                      f"load {measured[lab]['load_avg']}" for lab in labs)
    print(f"run times measured by the build:\n{table}")
    assert not over, "labs over the 2-minute budget:\n" + "\n".join(f"  {k}: {v}" for k, v in over.items())


def test_the_page_says_whether_a_gpu_was_used():
    from run_times import gpu_sentence

    assert gpu_sentence([{"device": "cpu"}, {"device": "cpu"}]) == "No GPU was used: every lab ran on the CPU."
    assert gpu_sentence([{"device": "cpu"}, {"device": "cuda"}]).startswith("A GPU was used (cuda)")
    assert "1 lab(s) did not print one" in gpu_sentence([{"device": "cpu"}, {"device": None}])
