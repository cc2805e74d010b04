"""A check cell whose answer is missing says so, instead of a ``NameError`` traceback.

``check_masked_attention(masked_attention)`` fails before the check runs when the learner
deleted or renamed ``masked_attention``, or never ran its cell: Python raises ``NameError`` in
the check cell itself. Importing :mod:`rnn_course.checks` in IPython or Jupyter installs a
handler (IPython's ``set_custom_exc``) for that case only: when the name that is missing is
read on a line that calls an exercise check, the cell prints the check's failure line,

    ❌ check_masked_attention: `masked_attention` is not defined: run the cell that defines it, or restore it ...

(which the grader reads like any other check line) and a one-line error instead of the
traceback. Every other ``NameError`` gets IPython's usual traceback.
"""
from __future__ import annotations

import ast
import linecache
from typing import Any

from ..i18n import _

FAIL_MARK = "❌"


def _is_check(obj: Any) -> bool:
    return callable(obj) and getattr(obj, "is_exercise_check", False) is True


def _cell_frame(tb):
    """The innermost frame of the traceback, if it is the cell's own code (module level)."""
    while tb.tb_next is not None:
        tb = tb.tb_next
    frame = tb.tb_frame
    return (frame, tb.tb_lineno) if frame.f_code.co_name == "<module>" else (None, None)


def missing_answer_message(source: str, lineno: int, missing: str, namespace: dict) -> str | None:
    """The check line to print when ``missing`` is not defined on line ``lineno`` of a cell.

    None unless that line calls an exercise check (a function of ``namespace`` made with
    ``@exercise_check``, or a name ``check_...`` that is itself the missing one).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.lineno <= lineno <= (node.end_lineno or node.lineno)):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        check = namespace.get(name) if isinstance(func, ast.Name) else None
        if _is_check(check):
            return f"{FAIL_MARK} {check.__name__}: " + _(
                "`{name}` is not defined: run the cell that defines it, or restore it (was it deleted or "
                "renamed?).").format(name=missing)
        if name == missing and name.startswith("check_"):
            return f"{FAIL_MARK} {name}: " + _(
                "`{name}` is not defined: run the cell near the top of the notebook that imports it from "
                "rnn_course.checks.").format(name=name)
    return None


def _handler(shell, etype, value, tb, tb_offset=None):
    """IPython's custom exception handler for ``NameError`` (see the module doc)."""
    frame, lineno = _cell_frame(tb)
    message = None
    if frame is not None and frame.f_globals is shell.user_ns and getattr(value, "name", None):
        source = "".join(linecache.getlines(frame.f_code.co_filename))
        message = missing_answer_message(source, lineno, value.name, shell.user_ns)
    if message is None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset, running_compiled_code=True)
    else:
        print(message)
        shell.showtraceback((etype, value, tb), exception_only=True)
    return []


def install(shell=None) -> bool:
    """Install the handler in the running IPython shell (once); False outside IPython, or when
    another custom handler is already installed there."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    if getattr(shell, "_rnn_course_missing_answer", False):
        return True
    if shell.custom_exceptions:  # someone else's handler: leave it alone
        return False
    shell.set_custom_exc((NameError,), _handler)
    shell._rnn_course_missing_answer = True
    return True
