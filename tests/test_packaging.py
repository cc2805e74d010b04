"""The package installs whole: a wheel built from pyproject.toml holds every subpackage and
the checksum registry (Colab installs `rnn_course` from the repository URL this way)."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_contains_every_module_and_the_registry(tmp_path):
    src = tmp_path / "src"  # build from a copy: setuptools writes build/ next to pyproject.toml
    shutil.copytree(ROOT / "rnn_course", src / "rnn_course", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE", "LICENSE-TEXT.md"):
        shutil.copy(ROOT / name, src / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(src)],
        check=True, capture_output=True,
    )
    (wheel,) = tmp_path.glob("rnn_course-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {p.relative_to(ROOT).as_posix() for p in (ROOT / "rnn_course").rglob("*.py")}
    expected |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "rnn_course" / "data" / "registry").iterdir()}
    expected |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "rnn_course" / "locales").rglob("*.[mp]o")}
    assert any(name.endswith("ja/LC_MESSAGES/rnn_course.mo") for name in expected)
    missing = sorted(expected - names)
    assert not missing, f"the wheel lacks {missing}; fix [tool.setuptools] in pyproject.toml"


def test_the_package_index_names_every_module_and_no_other():
    """rnn_course/__init__.py's index lists the modules that exist (it had drifted)."""
    import re
    from pathlib import Path

    import rnn_course

    root = Path(rnn_course.__file__).parent
    modules = {p.stem for p in root.glob("*.py") if p.stem != "__init__"}
    modules |= {p.parent.name for p in root.glob("*/__init__.py")}
    named = set(re.findall(r"``(\w+)``", rnn_course.__doc__))
    assert modules <= named, f"not in the index: {sorted(modules - named)}"
    assert named <= modules, f"in the index but not a module: {sorted(named - modules)}"


def test_every_sub_package_says_what_it_offers_and_exports_what_it_names():
    """Each sub-package has a docstring and an ``__all__`` whose names all exist; a lab's
    import from the package (``from rnn_course.seq2seq import Seq2Seq``) then always works."""
    import importlib
    from pathlib import Path

    import rnn_course

    root = Path(rnn_course.__file__).parent
    for init in sorted(root.glob("*/__init__.py")):
        package = importlib.import_module(f"rnn_course.{init.parent.name}")
        assert package.__doc__ and len(package.__doc__) > 40, f"{package.__name__}: no docstring"
        names = getattr(package, "__all__", None)
        assert names, f"{package.__name__}: no __all__"
        missing = [n for n in names if not hasattr(package, n)]
        assert not missing, f"{package.__name__}.__all__ names what it lacks: {missing}"
        assert len(names) == len(set(names)), f"{package.__name__}.__all__ repeats a name"


# Which parts of the package each part may import (CONTRIBUTING.md, "Package code").
_INFRASTRUCTURE = {"device", "validation", "training", "timing", "i18n", "i18n_catalog"}
_MAY_IMPORT = {
    "infrastructure": _INFRASTRUCTURE,
    "data": _INFRASTRUCTURE | {"data"},
    "figures": _INFRASTRUCTURE | {"figures"},
    "recurrent": _INFRASTRUCTURE | {"data", "recurrent"},
    "seq2seq": _INFRASTRUCTURE | {"data", "recurrent", "seq2seq"},
    "clinical": _INFRASTRUCTURE | {"data", "recurrent", "clinical"},
    "beyond": _INFRASTRUCTURE | {"data", "recurrent", "beyond"},
}
_MEASURES = {"beyond/stream_cost.py"}  # profile_streams times a stream: the one part module that may


def _imported_parts(path, root):
    """The first component under rnn_course of every relative import in ``path``."""
    import ast

    package = path.relative_to(root).parent.parts
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(package[: len(package) - node.level + 1])
            target = base + (node.module.split(".") if node.module else [])
            if target:
                yield target[0]
            else:  # from . import a, b at the top of the package
                yield from (alias.name for alias in node.names)


def test_imports_point_one_way_and_models_import_no_clock():
    from pathlib import Path

    import rnn_course

    root = Path(rnn_course.__file__).parent
    wrong = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        part = "infrastructure" if len(parts) == 1 else parts[0]
        if part not in _MAY_IMPORT:
            continue  # checks/ and instructor/ use everything
        for target in _imported_parts(path, root):
            if target not in _MAY_IMPORT[part] and not (len(parts) == 1 and target == parts[0]):
                wrong.append(f"{'/'.join(parts)} imports {target}")
            if target == "timing" and part != "infrastructure" and "/".join(parts) not in _MEASURES:
                wrong.append(f"{'/'.join(parts)} imports the clock")
    assert not wrong, wrong
