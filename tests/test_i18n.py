"""Feedback in the learner's language: the Japanese catalogue of the checks' and instructor
tools' messages is complete and well-formed, the language is found as rnn_course.i18n says,
the checks answer in Japanese in a Japanese notebook and byte for byte as before in English,
and the grader runs a Japanese notebook's kernel in Japanese and gives it the same scores.
(The one real lab graded end to end in both editions is in test_i18n_lab.py.)"""
from __future__ import annotations

import json
import re
import sys
import types

import nbformat
import pytest
import torch

from rnn_course import i18n
from rnn_course import i18n_catalog as catalog
from rnn_course.checks import ch01, ch02, ch03, ch04, ch06, ch07_ecg, ch08
from rnn_course.instructor import check_lines, grade_submissions, grade_table

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")  # kana and kanji
JAPANESE_PUNCTUATION = re.compile(r"[\u3000-\u303f\uff01-\uff20]")  # 、。「」（）：


@pytest.fixture(autouse=True)
def english_unless_told(monkeypatch):
    """Each test starts from a plain environment: no language chosen, no notebook detected."""
    for name in (i18n.ENV, "JPY_SESSION_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delattr(sys.modules["__main__"], "__vsc_ipynb_file__", raising=False)
    i18n._detected_language.cache_clear()
    yield
    i18n._detected_language.cache_clear()


# ----------------------------------------------------------------------------- the catalogue
@pytest.fixture(scope="module")
def ja():
    return catalog.read("ja")


def test_every_message_in_the_code_has_an_entry_and_no_entry_is_stale(ja):
    wanted = {m.id for m in catalog.extract() if m.id}
    have = {m.id for m in ja if m.id}
    assert len(wanted) > 300  # the checks and the instructor tools, not an empty extraction
    assert not sorted(wanted - have), "run: python -m rnn_course.i18n update"
    assert not sorted(have - wanted), "entries for messages the code no longer has: run the update"
    assert not ja.obsolete


def test_every_entry_is_translated_and_not_fuzzy(ja):
    status = catalog.status(ja)
    assert not status["untranslated"], f"untranslated: {status['untranslated'][:5]}"
    assert not status["fuzzy"], f"fuzzy: {status['fuzzy'][:5]}"
    # every translation is Japanese (a few are only Japanese punctuation or spacing around values)
    assert not [m.id for m in ja if m.id and not (JAPANESE.search(m.string) or JAPANESE_PUNCTUATION.search(m.string))
                and m.string == m.id]


def test_placeholders_are_the_same_in_english_and_japanese(ja):
    differ = [(m.id, m.string) for m in ja if m.id and catalog.fields(m.id) != catalog.fields(m.string)]
    assert not differ
    # and every translation formats with the names the code passes (no stray braces)
    for m in ja:
        if m.id and catalog.fields(m.id):
            names = {f.split("!")[0].split(":")[0] for f in catalog.fields(m.id)}
            values = {n: 1.0 if any(f.startswith(n + ":") for f in catalog.fields(m.id)) else "x" for n in names}
            assert m.id.format(**values) and m.string.format(**values)


def test_placeholder_check_sees_a_dropped_or_changed_field():
    assert catalog.fields("got {got!r}, {error:.1e}") == {"got!r", "error:.1e"}
    assert catalog.fields("得た値{got}、{error:.1e}") != catalog.fields("got {got!r}, {error:.1e}")
    assert catalog.fields("{{group: AUROC}} {type}") == {"type"}


def test_japanese_is_written_in_the_plain_style(ja):
    polite = [m.string for m in ja if m.id and re.search(r"です|ます|ください", m.string)]
    assert not polite  # である調, as the book


def test_the_compiled_mo_is_what_the_po_compiles_to():
    assert catalog.mo_path("ja").read_bytes() == catalog.mo_bytes(catalog.read("ja")), \
        "rnn_course.mo is stale: run python -m rnn_course.i18n update"


def test_update_marks_a_changed_message_fuzzy_adds_a_new_one_and_drops_a_removed_one(tmp_path, monkeypatch, ja):
    from babel.messages.catalog import Catalog

    monkeypatch.setattr(catalog, "LOCALES", tmp_path)
    (tmp_path / "ja" / "LC_MESSAGES").mkdir(parents=True)
    catalog.po_path("ja").write_bytes(catalog.po_bytes(ja))
    ids = [m.id for m in ja if m.id]
    changed, removed = ids[1], ids[2]
    template = Catalog(domain=catalog.DOMAIN)
    for msgid in ids:
        if msgid == changed:
            template.add(msgid.replace("replace", "swap"))
        elif msgid != removed:
            template.add(msgid)
    template.add("a message nobody has translated yet")
    monkeypatch.setattr(catalog, "extract", lambda: template)

    status = catalog.update("ja")

    assert status["fuzzy"] == [changed.replace("replace", "swap")]
    assert status["untranslated"] == ["a message nobody has translated yet"]
    assert status["obsolete"] == [] and removed not in {m.id for m in catalog.read("ja")}
    merged = catalog.read("ja")[changed.replace("replace", "swap")]
    assert merged.string == ja[changed].string  # the old translation, to revise
    previous = " ".join(line[3:] for line in catalog.po_path("ja").read_text(encoding="utf-8").splitlines()
                        if line.startswith("#| "))
    assert previous == f'msgid "{changed}"'  # and the old English to compare with
    assert catalog.mo_path("ja").read_bytes() == catalog.mo_bytes(catalog.read("ja"))
    assert catalog.main(["status"]) == 1  # the command says there is work to do


# ----------------------------------------------------------------------------- the language rule
def _notebook(tmp_path, language: str | None, name: str = "lab.ipynb"):
    nb = nbformat.v4.new_notebook()
    if language:
        nb.metadata["rnn_course"] = {"language": language}
    path = tmp_path / name
    nbformat.write(nb, path)
    return path, nb


def test_english_when_nothing_says_otherwise():
    assert i18n.language() == "en"
    assert i18n.gettext("passed — {message}") == "passed — {message}"


def test_the_environment_variable_chooses(monkeypatch):
    monkeypatch.setenv(i18n.ENV, "ja")
    assert i18n.language() == "ja"
    assert i18n.gettext("passed — {message}") == "合格 — {message}"
    monkeypatch.setenv(i18n.ENV, "fr")
    with pytest.raises(ValueError, match="RNN_COURSE_LANG must be one of en, ja; got 'fr'"):
        i18n.language()


@pytest.mark.parametrize("language, expected", [("ja", "ja"), ("en", "en"), (None, "en"), ("fr", "en")])
def test_the_notebook_named_by_jupyter_decides(tmp_path, monkeypatch, language, expected):
    path, _ = _notebook(tmp_path, language)
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    assert i18n.language() == expected


def test_a_session_path_relative_to_the_server_root_is_found_in_the_kernels_folder(tmp_path, monkeypatch):
    _notebook(tmp_path, "ja")
    monkeypatch.chdir(tmp_path)  # the kernel runs in the notebook's folder
    monkeypatch.setenv("JPY_SESSION_NAME", "ja/chapters/02_bptt/lab.ipynb")
    assert i18n.language() == "ja"


def test_the_environment_variable_wins_over_the_notebook(tmp_path, monkeypatch):
    path, _ = _notebook(tmp_path, "ja")
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    monkeypatch.setenv(i18n.ENV, "en")
    assert i18n.language() == "en"


def test_a_missing_or_broken_notebook_file_means_english(tmp_path, monkeypatch):
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "gone.ipynb"))
    assert i18n.language() == "en"
    i18n._detected_language.cache_clear()
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    monkeypatch.setenv("JPY_SESSION_NAME", str(broken))
    assert i18n.language() == "en"


def test_the_notebook_vs_code_runs_decides(tmp_path, monkeypatch):
    path, _ = _notebook(tmp_path, "ja")
    monkeypatch.setattr(sys.modules["__main__"], "__vsc_ipynb_file__", str(path), raising=False)
    assert i18n.language() == "ja"


def test_the_notebook_open_in_colab_decides(tmp_path, monkeypatch):
    _, nb = _notebook(tmp_path, "ja")
    message = types.ModuleType("google.colab._message")
    message.blocking_request = lambda request, timeout_sec: {"ipynb": json.loads(nbformat.writes(nb))}
    colab = types.ModuleType("google.colab")
    colab._message = message
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab._message", message)
    assert i18n.language() == "ja"
    i18n._detected_language.cache_clear()
    message.blocking_request = lambda request, timeout_sec: 1 / 0  # Colab's private API changed
    assert i18n.language() == "en"


def test_using_overrides_within_a_block(monkeypatch):
    monkeypatch.setenv(i18n.ENV, "en")
    with i18n.using("ja"):
        assert i18n.gettext("grading") == "採点中"
    assert i18n.gettext("grading") == "grading"
    assert i18n.translate("grading", "ja") == "採点中"
    with pytest.raises(ValueError, match="lang must be one of en, ja"):
        i18n.translate("grading", "de")


# ----------------------------------------------------------------------------- the checks
def _stub(*args, **kwargs):
    raise NotImplementedError


# Wrong (and one right) answers with the lines the checks printed before they were translatable
# (recorded from the code before this change): English must stay byte for byte the same.
CASES = {
    "forgot_biases": (lambda: ch01.check_rnn_step(lambda x, h, W_ih, W_hh, b_ih, b_hh: torch.tanh(x @ W_ih.T + h @ W_hh.T)),
                      "❌ check_rnn_step: you forgot the biases: add b_ih + b_hh inside the tanh. (case 1: batch=3, "
                      "input=4, hidden=5)"),
    "wrong_values": (lambda: ch01.check_rnn_step(lambda x, h, W_ih, W_hh, b_ih, b_hh:
                                                 2 * torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)),
                     "❌ check_rnn_step: h has the right shape but wrong values: largest difference 1 at index (1, 1) "
                     "(got 2, expected 0.9999). (case 1: batch=3, input=4, hidden=5)"),
    "wrong_shape": (lambda: ch01.check_rnn_step(lambda x, h, W_ih, W_hh, b_ih, b_hh:
                                                torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).T[:, :2]),
                    "❌ check_rnn_step: h has the wrong shape: expected (3, 5) = (batch, hidden), got (5, 2). "
                    "(case 1: batch=3, input=4, hidden=5)"),
    "stub": (lambda: ch02.check_rnn_backward(_stub),
             "❌ check_rnn_backward: not implemented yet: replace the `raise NotImplementedError` with your code."),
    "count": (lambda: ch01.check_count_rnn_params(lambda D, H, num_layers=1, bidirectional=False: H * (D + H) + H),
              "❌ check_count_rnn_params: count_rnn_params(1, 16, num_layers=1, bidirectional=False) returned 288, "
              "expected 304 (5 of 5 configurations wrong). Per layer and direction: H·(D_k + H) weights plus 2·H "
              "biases, with D_k the input size of layer k."),
    "streams": (lambda: ch03.check_make_streams(lambda s, n: s[: (len(s) // n) * n].reshape(-1, n).T),
                "❌ check_make_streams: the features axis is missing (series of shape (23,), n_streams=4): expected "
                "(n_streams, length, features) = (4, 5, 1), got (4, 5). Treat a (T,) series as (T, 1)."),
    "clip": (lambda: ch04.check_clip_grad_norm(lambda g, m: [t.clamp(-m, m) for t in g]),
             "❌ check_clip_grad_norm: case 'large gradients (global norm > max_norm)': you clamped each element to "
             "[-max_norm, max_norm]: that is value clipping (torch.nn.utils.clip_grad_value_), which changes the "
             "gradient's direction. Rescale all tensors by max_norm / global_norm instead."),
    "wareki": (lambda: ch06.check_to_wareki(lambda d: "令和1年5月1日"),
               "❌ check_to_wareki: for 1926-12-25: expected 昭和元年12月25日, got '令和1年5月1日'."),
    "ppv": (lambda: ch07_ecg.check_ppv_from_rates(lambda se, sp, prev: se),
            "❌ check_ppv_from_rates: that is the sensitivity: the question is how many of the alarms are true, which "
            "depends on how rare the class is. (sensitivity=0.8, specificity=0.95, prevalence=0.037)"),
    "kv_pass": (lambda: ch08.check_kv_cache_bytes(lambda n, L, d, bytes_per_value=4: 2 * n * L * d * bytes_per_value),
                "✅ check_kv_cache_bytes: passed — your formula matches on 6 configurations, 24 hours at 360 Hz "
                "included."),
}


@pytest.mark.parametrize("case", CASES)
def test_english_feedback_is_byte_for_byte_what_it_was(case, capsys):
    run, before = CASES[case]
    result = run()
    assert str(result) == before
    assert capsys.readouterr().out == before + "\n"


@pytest.mark.parametrize("case", CASES)
def test_japanese_feedback_in_a_japanese_notebook(case, tmp_path, monkeypatch, capsys):
    path, _ = _notebook(tmp_path, "ja")
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))  # as Jupyter says which notebook runs
    run, english = CASES[case]
    result = run()
    line = capsys.readouterr().out.rstrip("\n")
    assert line == str(result)
    mark, name = english.split(" ")[0], english.split(" ")[1]
    assert line.startswith(f"{mark} {name} ")  # the grader's part of the line stays as it is
    assert line != english and JAPANESE.search(line.split(": ", 1)[1])
    assert bool(result) == (mark == "✅")


def test_japanese_hints_are_the_catalogues_words(monkeypatch, capsys):
    monkeypatch.setenv(i18n.ENV, "ja")
    result = ch01.check_rnn_step(lambda x, h, W_ih, W_hh, b_ih, b_hh: torch.tanh(x @ W_ih.T + h @ W_hh.T))
    assert result.message == "バイアスを忘れている：tanhの中でb_ih + b_hhを足せ。（ケース1：batch=3、input=4、hidden=5）"
    result = ch02.check_rnn_backward(_stub)
    assert result.message == "まだ実装されていない：`raise NotImplementedError`の行を自分のコードに置き換えよ。"
    result = ch08.check_kv_cache_bytes(lambda n, L, d, bytes_per_value=4: 2 * n * L * d * bytes_per_value)
    assert str(result) == "✅ check_kv_cache_bytes: 合格 — 24時間分の360 Hzの信号を含む6通りの設定で、あなたの式は一致した。"


# ----------------------------------------------------------------------------- the grader
def test_check_lines_reads_passing_lines_in_every_language():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output(
        "stream", name="stdout", text="✅ check_a: passed — fine\n✅ check_b: 合格 — 良い\n❌ check_c: 形が違う\n")])]
    lines = check_lines(nb)
    assert [(n, c.passed, c.message) for n, c in lines.items()] == [
        ("check_a", True, "fine"), ("check_b", True, "良い"), ("check_c", False, "形が違う")]


CODE = [
    "import torch\nfrom rnn_course.checks.ch01 import check_rnn_step\nfrom rnn_course.checks.ch08 import "
    "check_kv_cache_bytes, check_min_gru_step",
    "check_kv_cache_bytes(lambda n, L, d, bytes_per_value=4: 2 * n * L * d * bytes_per_value)",
    "check_rnn_step(lambda x, h, W_ih, W_hh, b_ih, b_hh: torch.tanh(x @ W_ih.T + h @ W_hh.T))",
    "def min_gru_step(x, h, weight, bias):\n    raise NotImplementedError\ncheck_min_gru_step(min_gru_step)",
]


def _fixture_notebook(path, language: str | None):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 実習" if language == "ja" else "# Lab")]
    nb.cells += [nbformat.v4.new_code_cell(code) for code in CODE]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if language:
        nb.metadata["rnn_course"] = {"language": language}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_the_grader_runs_a_japanese_notebook_in_japanese_with_the_same_scores(tmp_path, monkeypatch):
    # The instructor's own shell says Japanese: the English notebook must still be graded in English.
    monkeypatch.setenv(i18n.ENV, "ja")
    en = _fixture_notebook(tmp_path / "en" / "lab.ipynb", None)
    ja = _fixture_notebook(tmp_path / "ja" / "lab.ipynb", "ja")
    results = grade_submissions([en, ja], timeout=120, jobs=2)
    table = grade_table(results)
    checks = ["check_kv_cache_bytes", "check_rnn_step", "check_min_gru_step"]
    assert list(table.columns[:3]) == checks
    assert table.loc["en/lab.ipynb", checks].tolist() == [1, 0, 0]
    same = ["error", "why"]  # the reasons quote the checks' messages, each in its notebook's language
    assert table.loc["ja/lab.ipynb"].drop(same).tolist() == table.loc["en/lab.ipynb"].drop(same).tolist()
    assert table["error"].tolist() == ["", ""]

    english, japanese = results[0].checks, results[1].checks
    for name in checks:
        assert english[name].passed == japanese[name].passed
        assert not JAPANESE.search(english[name].message)
        assert JAPANESE.search(japanese[name].message)
    assert japanese["check_rnn_step"].message == (
        "バイアスを忘れている：tanhの中でb_ih + b_hhを足せ。（ケース1：batch=3、input=4、hidden=5）")
    assert japanese["check_min_gru_step"].message == i18n.translate(english["check_min_gru_step"].message, "ja")
    # the passing line's message, read without its "合格 — " just as English drops "passed — "
    assert japanese["check_kv_cache_bytes"].message == i18n.translate(
        "your formula matches on {n} configurations, 24 hours at 360 Hz included.", "ja").format(n=6)


def test_no_function_of_the_checks_or_instructor_tools_rebinds_the_translation_function():
    """``h, _ = ...`` in a function that calls ``_()`` would call the tensor: keep ``_`` free."""
    import ast

    scopes = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Lambda)
    found = []
    for folder in catalog.SOURCES:
        for path in sorted((catalog.PACKAGE / folder).glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for fn in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
                todo = list(ast.iter_child_nodes(fn))
                while todo:
                    node = todo.pop()
                    if isinstance(node, scopes):
                        continue
                    if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store):
                        found.append(f"{path.name}:{node.lineno}")
                    todo.extend(ast.iter_child_nodes(node))
    assert not found


def test_the_instructor_command_speaks_the_instructors_language(tmp_path, monkeypatch, capsys):
    from rnn_course.instructor import main

    path, _ = _notebook(tmp_path, None)
    monkeypatch.setenv(i18n.ENV, "ja")
    assert main(["clean", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}を整理した\n"
    assert main(["student", str(path), "--out", str(tmp_path)]) == 2  # would overwrite the notebook
    assert capsys.readouterr().err == f"エラー：{path}は教員用のノートブックを上書きしてしまう。別の--outを選べ\n"
    monkeypatch.setenv(i18n.ENV, "en")
    assert main(["clean", str(path)]) == 0
    assert capsys.readouterr().out == f"cleaned {path}\n"
