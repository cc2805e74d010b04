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
