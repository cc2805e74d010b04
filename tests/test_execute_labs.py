"""``_ext/execute_labs.py`` (run by ``make book``) finds what the build will render.

The execution itself (two at a time, into the cache, a failing cell stopping ``make``, the CPU
time stored for the run-times page, a second run executing nothing) is tested on a small book
in ``test_demo_book.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # also under --import-mode=importlib
from test_notebooks_static import toc_files  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
from execute_labs import cache_folder, toc_notebooks  # noqa: E402


def test_every_notebook_of_the_toc_is_executed_in_toc_order():
    expected = [ROOT / f"{page}.ipynb" for page in toc_files(ROOT / "_toc.yml") if (ROOT / f"{page}.ipynb").is_file()]
    assert toc_notebooks(ROOT) == expected and len(expected) >= 10
    assert set(toc_notebooks(ROOT)) == set(ROOT.glob("chapters/*/*.ipynb"))


def test_the_cache_is_the_one_the_build_reads(tmp_path):
    assert cache_folder(ROOT) == ROOT / "_build" / ".jupyter_cache"  # jupyter-book's default
    (tmp_path / "_config.yml").write_text("execute:\n  execute_notebooks: force\n")
    with pytest.raises(SystemExit, match="expected execute_notebooks: cache, found 'force'"):
        cache_folder(tmp_path)
