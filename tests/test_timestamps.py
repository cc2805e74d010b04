"""The time-stamp generator: every pair round-trips through Python's datetime, eras are right."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

import pytest

from rnn_course.data.splits import assert_disjoint
from rnn_course.data.timestamps import (ERA_CHANGE_DAYS, FIRST_MOMENT, FORMATS, LAST_MOMENT, Example, days_of, era_of,
                                   era_year_to_gregorian, iso_minute, make_examples, sample_moments, to_fullwidth, write)

# An independent reading of every format: regular expressions and time.strptime, with the era
# calendar written out as (first day, last day) ranges. Nothing here imports the generator's tables.
ERA_RANGES = {"昭和": (date(1926, 12, 25), date(1989, 1, 7)), "平成": (date(1989, 1, 8), date(2019, 4, 30)),
              "令和": (date(2019, 5, 1), date(9999, 12, 31))}
LETTERS = {"S": "昭和", "H": "平成", "R": "令和"}


def _era_date(era: str, year: str, month: str, day: str) -> date:
    first, last = ERA_RANGES[era]
    y = 1 if year == "元" else int(year)
    d = date(first.year + y - 1, int(month), int(day))
    assert first <= d <= last, f"{era}{year}年{month}月{day}日 is not a day of {era} ({first} to {last})"
    return d


def parse(source: str, fmt: str) -> datetime:
    s = unicodedata.normalize("NFKC", source)  # full-width digits, colon and space -> ASCII
    if fmt in ("era_kanji", "era_fullwidth"):
        era, y, mo, d, hh, mm = re.fullmatch(r"(昭和|平成|令和)(元|[1-9]\d*)年(\d+)月(\d+)日 (\d+)時(\d+)分", s).groups()
        return datetime.combine(_era_date(era, y, mo, d), datetime.min.time()).replace(hour=int(hh), minute=int(mm))
    if fmt == "era_letter":
        letter, y, mo, d, hh, mm = re.fullmatch(r"([SHR])([1-9]\d*)\.(\d+)\.(\d+) (\d\d):(\d\d)", s).groups()
        return datetime.combine(_era_date(LETTERS[letter], y, mo, d), datetime.min.time()).replace(
            hour=int(hh), minute=int(mm))
    if fmt == "jp_ampm":
        ymd, half, h, mm = re.fullmatch(r"(\d{4}/\d\d/\d\d) (午前|午後)(\d+)時(\d+)分", s).groups()
        assert 0 <= int(h) <= 11
        return datetime.strptime(ymd, "%Y/%m/%d").replace(hour=int(h) + (12 if half == "午後" else 0), minute=int(mm))
    patterns = {"en_ampm": "%d %b %Y %I:%M %p", "us_slash": "%m/%d/%Y %H:%M", "dd_mon_yy": "%d-%b-%y %H%M",
                "compact": "%Y%m%d %H%M", "western_kanji": "%Y年%m月%d日 %H:%M"}
    return datetime.strptime(s, patterns[fmt])


def test_examples_of_the_documented_formats():
    m = datetime(2024, 3, 5, 14, 30)
    assert {f: write(m, f) for f in FORMATS} == {
        "era_kanji": "令和6年3月5日 14時30分", "era_letter": "R6.3.5 14:30",
        "era_fullwidth": "令和６年３月５日\u3000１４時３０分", "jp_ampm": "2024/03/05 午後2時30分",
        "en_ampm": "5 Mar 2024 2:30 pm", "us_slash": "03/05/2024 14:30", "dd_mon_yy": "5-MAR-24 1430",
        "compact": "20240305 1430", "western_kanji": "2024年3月5日 14:30"}


def test_every_pair_round_trips_through_datetime():
    moments = sample_moments(6000, seed=3, near_era_change=0.3)
    for fmt in FORMATS:
        for ex in make_examples(moments, [fmt], seed=0):
            moment = datetime.fromisoformat(ex.target)
            assert ex.target == moment.isoformat(timespec="minutes")
            assert parse(ex.source, fmt) == moment, ex


@pytest.mark.parametrize("day,expected", [
    (date(1926, 12, 25), ("昭和", "S", 1)),
    (date(1989, 1, 7), ("昭和", "S", 64)),    # the last day of Shōwa
    (date(1989, 1, 8), ("平成", "H", 1)),
    (date(2019, 4, 30), ("平成", "H", 31)),   # the last day of Heisei
    (date(2019, 5, 1), ("令和", "R", 1)),
    (date(2024, 3, 5), ("令和", "R", 6)),
    (datetime(2019, 4, 30, 23, 59), ("平成", "H", 31)),
])
def test_era_boundaries(day, expected):
    assert era_of(day) == expected


def test_era_years_are_written_as_records_write_them():
    assert write(datetime(2019, 4, 30, 23, 59), "era_kanji") == "平成31年4月30日 23時59分"
    assert write(datetime(2019, 5, 1, 0, 0), "era_kanji") == "令和元年5月1日 0時0分"       # 元年, not 1年
    assert write(datetime(2019, 5, 1, 0, 0), "era_letter") == "R1.5.1 00:00"
    assert write(datetime(1989, 1, 8, 9, 5), "era_fullwidth").startswith("平成元年１月８日")
    assert write(datetime(1989, 1, 7, 9, 5), "era_letter") == "S64.1.7 09:05"
    assert era_year_to_gregorian("令和", 1) == 2019 and era_year_to_gregorian("H", 31) == 2019
    assert era_year_to_gregorian("S", 45) == 1970 and era_year_to_gregorian("平成", 1) == 1989


def test_twelve_hour_clocks_at_midnight_and_noon():
    midnight, noon = datetime(2001, 2, 3, 0, 7), datetime(2001, 2, 3, 12, 7)
    assert write(midnight, "en_ampm") == "3 Feb 2001 12:07 am" and write(noon, "en_ampm") == "3 Feb 2001 12:07 pm"
    assert write(midnight, "jp_ampm").endswith("午前0時7分") and write(noon, "jp_ampm").endswith("午後0時7分")
    assert write(datetime(2001, 2, 3, 23, 7), "en_ampm").endswith("11:07 pm")


def test_two_digit_years_and_full_width_digits():
    assert write(datetime(1999, 12, 31, 23, 59), "dd_mon_yy") == "31-DEC-99 2359"
    assert write(datetime(2000, 1, 1, 0, 0), "dd_mon_yy") == "1-JAN-00 0000"
    assert to_fullwidth("12:30 5") == "１２：３０\u3000５"
    assert unicodedata.normalize("NFKC", to_fullwidth("0123456789")) == "0123456789"


def test_sample_moments_are_distinct_in_range_and_reach_both_sides_of_each_era_change():
    moments = sample_moments(3000, seed=0, near_era_change=0.5)
    assert len(set(moments)) == 3000
    assert all(FIRST_MOMENT <= m <= LAST_MOMENT and m.second == 0 for m in moments)
    for last_day, first_day in [(date(1989, 1, 7), date(1989, 1, 8)), (date(2019, 4, 30), date(2019, 5, 1))]:
        days = {m.date() for m in moments}
        assert last_day in days and first_day in days
    assert sample_moments(50, seed=1) == sample_moments(50, seed=1) != sample_moments(50, seed=2)


def test_exclude_keeps_splits_disjoint():
    test = sample_moments(2000, seed=1)
    train = sample_moments(20000, seed=2, exclude=test)
    assert_disjoint(train=[iso_minute(m) for m in train], test=[iso_minute(m) for m in test])
    with pytest.raises(ValueError, match="share"):
        assert_disjoint(train=[iso_minute(m) for m in train], test=[iso_minute(train[0])])


def test_exclude_days_splits_by_calendar_day():
    test = sample_moments(1000, seed=1)
    train = sample_moments(5000, seed=2, exclude_days=days_of(test))
    assert_disjoint(train=days_of(train), test=days_of(test))
    assert days_of(test) >= set(ERA_CHANGE_DAYS)  # the near-era-change draws claim all 12 days
    assert len(ERA_CHANGE_DAYS) == 12 and date(1989, 1, 7) in ERA_CHANGE_DAYS
    with pytest.raises(TypeError, match="days_of"):
        sample_moments(5, seed=0, exclude_days=[datetime(2000, 1, 1)])
    with pytest.raises(ValueError, match="every day near an era change"):
        sample_moments(5, seed=0, near_era_change=1.0, exclude_days=ERA_CHANGE_DAYS)


def test_make_examples_draws_formats_and_is_seeded():
    moments = sample_moments(400, seed=0)
    examples = make_examples(moments, ["compact", "en_ampm"], seed=0)
    assert all(isinstance(e, Example) for e in examples)
    assert {e.fmt for e in examples} == {"compact", "en_ampm"}
    assert examples == make_examples(moments, ["compact", "en_ampm"], seed=0)


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="expected one of"):
        write(datetime(2020, 1, 1), "klingon")
    with pytest.raises(ValueError, match="1970-01-01"):
        write(datetime(1960, 1, 1), "compact")
    with pytest.raises(TypeError, match="datetime"):
        write("2020-01-01", "compact")
    with pytest.raises(ValueError, match="start of Shōwa"):
        era_of(date(1900, 1, 1))
    with pytest.raises(ValueError, match="era"):
        era_year_to_gregorian("大正", 3)
    with pytest.raises(ValueError, match="元年"):
        era_year_to_gregorian("令和", 0)
    with pytest.raises(ValueError, match="unknown"):
        make_examples([datetime(2020, 1, 1)], ["compact", "nope"], seed=0)
    with pytest.raises(ValueError, match="non-negative"):
        sample_moments(-1, seed=0)
