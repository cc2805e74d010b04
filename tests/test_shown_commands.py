"""Every command that README.md, the how-to-run page and the instructor guide show exists here.

A learner types what the pages show. Each shown command is read from the Markdown (``bash``
code blocks and inline code that starts with a known program), and its program is asked for
``--help`` (or ``--version``): a program the environment does not install fails here before a
learner finds out. ``make`` targets are checked with ``make -n`` (nothing is built).
"""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["README.md", "chapters/how_to_run.md", "chapters/instructor_guide.md"]
BIN = Path(sys.executable).parent  # the environment running the tests (.venv under `make test`)
PROGRAMS = (".venv/bin/", "make ", "python ", "python3 ", "rnn-course ", "jupyter ", "pip ", "git ", "sudo ")
SHELL_BUILTINS = {"cd", "export", "source", "."}
NOT_OURS = {"sudo", "apt-get"}  # the system's package manager: installed by the OS, not by the course


def _fenced_commands(text: str) -> list[str]:
    commands = []
    for block in re.findall(r"^```(?:bash|sh|shell|console)[ \t]*\n(.*?)^```", text, re.S | re.M):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"(^|\s)#.*$", "", line).strip()
            if line:
                commands.append(line)
    return commands


def _inline_commands(text: str) -> list[str]:
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)  # code blocks are read above
    spans = re.findall(r"(?<!`)`([^`]+)`(?!`)", text.replace("\n", " "))
    return [" ".join(s.split()) for s in spans if s.strip().startswith(PROGRAMS)]


def shown_commands() -> list[tuple[str, str]]:
    """(page, command) for every command the pages show, in page order, without repeats."""
    found: list[tuple[str, str]] = []
    for page in PAGES:
        text = (ROOT / page).read_text(encoding="utf-8")
        for command in _fenced_commands(text) + _inline_commands(text):
            if command not in [c for _, c in found]:
                found.append((page, command))
    return found


def probe(command: str) -> list[str] | None:
    """The command line that asks the shown command's program for help, or None to skip it."""
    words = shlex.split(command)
    if words[0] in SHELL_BUILTINS:
        return None
    if words[0] == "make":
        return ["make", "-n", *[w for w in words[1:] if not w.startswith("-")]]
    if words[0] == "sudo":  # never run sudo from a test: ask the program itself for its version
        return [words[1], "--version"]
    if words[0] == "git":
        return ["git", "--version"]
    if words[0].startswith(".venv/bin/"):
        words[0] = str(BIN / words[0].removeprefix(".venv/bin/"))
    elif words[0] in ("python", "python3"):
        words[0] = sys.executable
    elif words[0] == "pip":
        words[:1] = [sys.executable, "-m", "pip"]
    elif words[0] in ("rnn-course", "jupyter"):
        words[0] = str(BIN / words[0])
    head, rest = words[:1], words[1:]
    if rest[:1] == ["-m"]:
        head, rest = head + rest[:2], rest[2:]
    # then its subcommand, unless the first argument is a path, a pattern, an option or a URL
    for word in rest[:1]:
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", word):
            break
        head.append(word)
    return [*head, "--help"]


COMMANDS = shown_commands()


def test_the_pages_show_the_commands_a_learner_needs():
    commands = [c for _, c in COMMANDS]
    for expected in (".venv/bin/jupyter lab chapters/", "make book", "make test"):
        assert expected in commands, f"{expected!r} is no longer read from the pages; found {commands}"


@pytest.mark.parametrize("page, command", COMMANDS, ids=[c for _, c in COMMANDS])
def test_shown_command_exists_and_answers(page, command):
    line = probe(command)
    if line is None:
        pytest.skip(f"{command!r} is a shell builtin")
    program = line[0]
    if program in NOT_OURS and shutil.which(program) is None:
        pytest.skip(f"{program} (the operating system's) is not on this machine")
    if shutil.which(line[0]) is None and not Path(line[0]).exists():
        pytest.fail(f"{page} shows `{command}`, but {line[0]} is not installed: add it to requirements.txt")
    done = subprocess.run(line, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (f"{page} shows `{command}`; `{' '.join(line)}` exited {done.returncode}:\n"
                                  f"{done.stdout[-1500:]}{done.stderr[-1500:]}")
    assert (done.stdout + done.stderr).strip(), f"`{' '.join(line)}` printed nothing"
