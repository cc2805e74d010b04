"""Every lab that scores a held-out test set says, in one box placed before the test set is
first scored, what was fixed before it was scored and what was decided after seeing it."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LABS_WITH_A_TEST_SET = {
    "chapters/06_seq2seq/seq2seq_lab.ipynb": "test",
    "chapters/07_medical_time_series/icu_mortality_lab.ipynb": "set-b",
    "chapters/07_medical_time_series/ecg_beats_lab.ipynb": "DS2",
}
TITLE = "```{admonition} Protocol and its history"
LEAD_INS = ("**Fixed before the test set was scored:**", "**Decided after seeing it:**")
JA_TITLE = "```{admonition} プロトコルとその経緯"
JA_LEAD_INS = ("**テストデータを評価する前に固定したもの：**", "**評価を見た後に決めたこと：**")


def _markdown(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) if c["cell_type"] == "markdown" else "" for c in cells]


def _box_index(cells: list[str], title: str, lead_ins: tuple[str, str]) -> int:
    boxes = [i for i, text in enumerate(cells) if text.lstrip().startswith(title)]
    assert len(boxes) == 1, f"expected one '{title}' box, found {len(boxes)}"
    text = cells[boxes[0]]
    assert ":class: protocol-history" in text
    for lead_in in lead_ins:
        assert lead_in in text, f"the box lacks {lead_in!r}"
        answer = text.split(lead_in, 1)[1].strip()
        assert re.match(r"\w", answer), f"nothing follows {lead_in!r}"
    return boxes[0]


@pytest.mark.parametrize("lab", sorted(LABS_WITH_A_TEST_SET))
def test_each_lab_with_a_test_set_has_one_protocol_box_in_both_editions(lab):
    english = _markdown(ROOT / lab)
    japanese = _markdown(ROOT / "ja" / lab)
    assert _box_index(english, TITLE, LEAD_INS) == _box_index(japanese, JA_TITLE, JA_LEAD_INS)


@pytest.mark.parametrize("lab", sorted(LABS_WITH_A_TEST_SET))
def test_the_box_comes_before_the_test_section(lab):
    cells = _markdown(ROOT / lab)
    box = _box_index(cells, TITLE, LEAD_INS)
    test_heading = next(i for i, text in enumerate(cells)
                        if re.search(r"^## \d+\. The test", text, re.M))
    assert abs(box - test_heading) <= 3, "the box belongs at the start of the test section"
