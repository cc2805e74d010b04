"""The set-up says the truth: every package the code imports is declared in pyproject.toml.

Each ``import`` in ``rnn_course/`` (at any depth, also inside functions) is read with ``ast``.
A module of the standard library (``sys.stdlib_module_names``) needs nothing; any other is
mapped to the distribution that installs it (``importlib.metadata.packages_distributions``)
and must be a dependency of the package: the instructor tools (``rnn_course/instructor/``) may
also use the ``instructor`` extra, the learner's modules only the core dependencies (what a
Colab install brings). The learner's modules import without the extra installed, and the
instructor tools then say which extra to install.
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "rnn_course"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _name(requirement: str) -> str:
    """``"scikit-learn>=1.2"`` -> ``"scikit-learn"`` (normalised as PyPI does)."""
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", requirement).group(0)).lower()


def imported_modules(path: Path) -> set[str]:
    """Top-level names of the absolute imports in one file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


# Modules that only the environment a file runs in provides, imported only there.
PROVIDED_BY_THE_RUNTIME = {"google": "Google Colab's runtime (google.colab, read only inside Colab)",
                           "IPython": "the notebook's kernel (imported only when running inside IPython)"}


def test_every_imported_package_is_declared():
    core = {_name(r) for r in PROJECT["dependencies"]}
    instructor = {_name(r) for r in PROJECT["optional-dependencies"]["instructor"]}
    maintainer = {_name(r) for r in PROJECT["optional-dependencies"]["maintainer"]}
    providers = metadata.packages_distributions()
    undeclared = []
    for path in sorted(PACKAGE.rglob("*.py")):
        allowed = core | instructor if "instructor" in path.relative_to(PACKAGE).parts else core
        if path.name == "i18n_catalog.py":   # re-extracting the messages is a maintainer's task
            allowed = allowed | maintainer
        for module in sorted(imported_modules(path) - set(sys.stdlib_module_names) - {"rnn_course"}
                             - set(PROVIDED_BY_THE_RUNTIME)):
            dists = {_name(d) for d in providers.get(module, [])}
            if not dists & allowed:
                undeclared.append(f"{path.relative_to(ROOT)} imports {module} "
                                  f"(installed by {sorted(dists) or 'nothing installed'})")
    assert not undeclared, "declare these in pyproject.toml:\n" + "\n".join(undeclared)


def test_the_scan_finds_what_a_file_imports(tmp_path):
    file = tmp_path / "m.py"
    file.write_text("import os, numpy as np\nfrom scipy import signal\nfrom . import sibling\n"
                    "def f():\n    import sklearn.metrics\n")
    assert imported_modules(file) == {"os", "numpy", "scipy", "sklearn"}


def test_instructor_packages_are_an_extra_not_a_core_dependency():
    core = {_name(r) for r in PROJECT["dependencies"]}
    assert {"nbformat", "nbclient"} <= {_name(r) for r in PROJECT["optional-dependencies"]["instructor"]}
    assert not {"nbformat", "nbclient"} & core
    assert "-e .[instructor,maintainer]" in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()


def test_requires_python_matches_the_readme_and_this_interpreter():
    assert PROJECT["requires-python"] == ">=3.11"
    assert "You need Python 3.11+" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert sys.version_info >= (3, 11)


_BLOCK = "import sys; sys.modules['nbformat'] = sys.modules['nbclient'] = None\n"


@pytest.mark.slow
def test_learner_modules_import_without_the_instructor_extra():
    modules = sorted(".".join(p.relative_to(ROOT).with_suffix("").parts) for p in PACKAGE.rglob("*.py")
                     if "instructor" not in p.parts and p.name != "__main__.py")
    code = _BLOCK + "import importlib\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.slow
def test_instructor_tools_without_the_extra_name_it():
    result = subprocess.run([sys.executable, "-c", _BLOCK + "import rnn_course.instructor"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: The instructor tools need nbclient") and "rnn_course[instructor]" in last, last
