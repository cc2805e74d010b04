"""rnn_course.data: the loaders on the real PhysioNet files, and the download cache for real.

The loader tests read the offline mirror ($RNN_COURSE_DATA, see conftest.py). The download
tests run an HTTP server on 127.0.0.1 (a free port, in a thread, shut down after each test)
that serves files copied from the mirror, point $RNN_COURSE_BASE_URL at it and
$RNN_COURSE_DATA at an empty folder, and check what lands in the cache: verified files only,
never a partial or corrupt one.
"""
from __future__ import annotations

import functools
import http.server
import shutil
import socket
import threading
import types
from pathlib import Path

import numpy as np
import pooch
import pytest

from conftest import need_data
from rnn_course.data import (
    DATA_ENV_VAR, DataError, cache_dir, fetch, fetch_many, load_mitbih_record, load_physionet2012, mitbih_records,
    registry,
)
from rnn_course.data.cache import BASE_URL_ENV_VAR, RETRIES

MITDB = Path("physionet/mitdb/1.0.0")
CHALLENGE = Path("physionet/challenge-2012/1.0.0")


# ================================================================== MIT-BIH from the mirror
def sha256_of(path: Path) -> str:
    return pooch.file_hash(str(path))


def need_database_files(database: str, folder: Path, prefix: str = "") -> None:
    """Every registry file under ``prefix`` is in the cache: no test downloads thousands of files."""
    need_data(*(cache_dir() / folder / f for f in registry(database) if f.startswith(prefix)))


@pytest.fixture(scope="module")
def record100():
    need_data(*(cache_dir() / MITDB / f"100.{ext}" for ext in ("hea", "dat", "atr")))
    return load_mitbih_record("100", progress=False)


def test_mitbih_record_100_signals(record100):
    r = record100
    assert r.name == "100"
    assert r.signals.shape == (650000, 2) and r.signals.dtype == np.float32
    assert r.fs == 360.0
    assert r.lead_names == ["MLII", "V5"]
    assert r.n_samples == 650000 and r.duration_s == pytest.approx(650000 / 360)
    # Values in millivolts (not raw ADC units, which are in the hundreds): a plausible ECG.
    assert -5.0 < r.signals.min() < -0.5 and 0.5 < r.signals.max() < 5.0
    assert 0.1 < np.abs(np.diff(r.signals[:, 0])).max() < 5.0
    assert np.isfinite(r.signals).all()
    np.testing.assert_array_equal(r.lead("MLII"), r.signals[:, 0])


def test_mitbih_record_100_annotations(record100):
    r = record100
    # 2274 annotations in 100.atr: 2273 beats (2239 N, 33 A, 1 V) and one rhythm marker '+'.
    assert len(r.annotation_samples) == len(r.annotation_symbols) == 2274
    assert len(r.beat_samples) == len(r.beat_symbols) == 2273
    symbols, counts = np.unique(r.beat_symbols, return_counts=True)
    assert dict(zip(symbols.tolist(), counts.tolist())) == {"A": 33, "N": 2239, "V": 1}
    assert set(r.annotation_symbols[~r.beat_mask]) == {"+"}
    assert np.all(np.diff(r.beat_samples) > 0) and r.beat_samples.max() < r.n_samples
    # ~75 beats per minute over 30 minutes: mean RR interval 0.79 s.
    assert np.diff(r.beat_samples).mean() / r.fs == pytest.approx(0.79, abs=0.02)


def test_mitbih_beat_count_matches_wfdb_directly(mirror):
    import wfdb

    ann = wfdb.rdann(str(mirror / MITDB / "100"), "atr")
    from rnn_course.data.mitbih import BEAT_SYMBOLS

    assert sum(s in BEAT_SYMBOLS for s in ann.symbol) == 2273


def test_mitbih_unknown_lead_and_record(record100):
    with pytest.raises(ValueError, match=r"record 100 has leads \['MLII', 'V5'\], not 'V1'"):
        record100.lead("V1")
    with pytest.raises(ValueError) as info:
        load_mitbih_record("99", progress=False)
    msg = str(info.value)
    assert "'99'" in msg and "100, 101" in msg and "234" in msg


def test_mitbih_records_lists_the_48_records():
    names = mitbih_records()
    assert len(names) == 48 and len(set(names)) == 48
    assert names[0] == "100" and names[-1] == "234" and "102" in names
    assert all(n.isdigit() and len(n) == 3 for n in names)


def test_mitbih_record_name_may_be_an_int(mirror):
    r = load_mitbih_record(100, progress=False)
    assert r.name == "100" and r.signals.shape == (650000, 2)


# ================================================================== PhysioNet 2012 from the mirror
@pytest.fixture(scope="module")
def set_a():
    need_database_files("challenge-2012", CHALLENGE, "set-a/")
    need_data(cache_dir() / CHALLENGE / "Outcomes-a.txt")
    return load_physionet2012("a", progress=False)


def test_physionet2012_set_a_outcomes(set_a):
    out = set_a.outcomes
    assert len(out) == 4000 and out.index.is_unique and out.index.name == "RecordID"
    assert int(out["In-hospital_death"].sum()) == 554
    assert set(out["In-hospital_death"].unique()) == {0, 1}
    assert {"SAPS-I", "SOFA", "Length_of_stay", "Survival", "In-hospital_death"} <= set(out.columns)
    np.testing.assert_array_equal(set_a.record_ids, out.index.to_numpy())


def test_physionet2012_set_a_events(set_a):
    ev = set_a.events
    assert list(ev.columns) == ["RecordID", "minutes", "parameter", "value"]
    params = set(ev["parameter"].unique())
    assert len(params) == 41  # 36 time series + Age, Gender, Height, ICUType, Weight
    assert {"HR", "MAP", "GCS", "Lactate", "Age", "Gender", "Height", "ICUType", "Weight"} <= params
    assert "RecordID" not in params  # the ID is a column, not a measurement
    assert ev["minutes"].min() == 0 and ev["minutes"].max() <= 2880
    assert set(ev["RecordID"].unique()) == set(set_a.outcomes.index)
    # Descriptors are recorded at minute 0.
    ages = ev[ev["parameter"] == "Age"]
    assert (ages["minutes"] == 0).all() and len(ages) == 4000
    assert 15 <= ages["value"].min() and ages["value"].max() <= 90


def test_physionet2012_one_file_is_parsed_row_for_row(set_a, mirror):
    path = mirror / CHALLENGE / "set-a" / "132539.txt"
    lines = path.read_text().splitlines()[1:]  # drop the header
    rows = [ln.split(",") for ln in lines if ln.split(",")[1] != "RecordID"]
    ev = set_a.events[set_a.events["RecordID"] == 132539]
    assert len(ev) == len(rows)
    first = rows[-1]
    hh, mm = first[0].split(":")
    last = ev.iloc[-1]
    assert (last["minutes"], last["parameter"], last["value"]) == (int(hh) * 60 + int(mm), first[1], float(first[2]))


def test_physionet2012_set_b():
    need_database_files("challenge-2012", CHALLENGE, "set-b/")
    need_data(cache_dir() / CHALLENGE / "Outcomes-b.txt")
    data = load_physionet2012("set-b", progress=False)
    assert len(data.outcomes) == 4000
    assert int(data.outcomes["In-hospital_death"].sum()) == 568
    assert set(data.events["RecordID"].unique()) == set(data.outcomes.index)


@pytest.mark.parametrize("bad", ["c", "", "set-c", 1])
def test_physionet2012_unknown_set(bad):
    with pytest.raises(ValueError) as info:
        load_physionet2012(bad, progress=False)
    assert repr(bad) in str(info.value) and "['a', 'b']" in str(info.value)


# ================================================================== the registry
def test_registry_lists_every_file_with_a_sha256():
    mit = registry("mitdb")
    assert {"100.hea", "100.dat", "100.atr"} <= set(mit)
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in mit.values())
    ch = registry("challenge-2012")
    assert sum(f.startswith("set-a/") for f in ch) == 4000
    assert {"Outcomes-a.txt", "Outcomes-b.txt"} <= set(ch)


def test_mirror_files_match_the_registry(mirror):
    for f in ("100.hea", "100.dat", "100.atr"):
        assert sha256_of(mirror / MITDB / f) == registry("mitdb")[f]


def test_fetch_rejects_unknown_files_and_databases():
    with pytest.raises(ValueError, match=r"'999.dat' is not a file of PhysioNet database 'mitdb'"):
        fetch("mitdb", "999.dat")
    with pytest.raises(ValueError, match=r"files with that stem: \['100.atr', '100.dat', '100.hea'\]"):
        fetch("mitdb", "100.txt")
    with pytest.raises(ValueError, match=r"unknown database 'mimic'"):
        fetch("mimic", "100.dat")


# ================================================================== downloads, for real, on loopback
class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the folder; logs every request; answers 503 to a path while it is in ``flaky``."""

    def do_GET(self):
        self.server.requests.append(self.path)
        if self.server.flaky.get(self.path, 0) > 0:
            self.server.flaky[self.path] -= 1
            self.send_error(503, "busy, try again")
            return
        super().do_GET()

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(autouse=True)
def retry_waits(monkeypatch) -> list[float]:
    """pooch waits 1 s, 2 s ... between tries: record the waits instead of sleeping."""
    waits: list[float] = []
    monkeypatch.setattr(pooch.core, "time", types.SimpleNamespace(sleep=waits.append))
    return waits


@pytest.fixture
def server(tmp_path, monkeypatch, mirror):
    """Serve <tmp>/srv (laid out as physionet.org/files/) on 127.0.0.1; empty cache in <tmp>/cache."""
    root = tmp_path / "srv"
    for f in ("100.hea", "100.dat", "100.atr"):
        (root / "mitdb/1.0.0").mkdir(parents=True, exist_ok=True)
        shutil.copy(mirror / MITDB / f, root / "mitdb/1.0.0" / f)
    for f in ("Outcomes-a.txt", "set-a/132539.txt", "set-a/132540.txt", "set-a/132541.txt"):
        (root / "challenge-2012/1.0.0" / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(mirror / CHALLENGE / f, root / "challenge-2012/1.0.0" / f)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    httpd.timeout, httpd.requests, httpd.flaky = 5, [], {}
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    cache = tmp_path / "cache"
    cache.mkdir()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    monkeypatch.setenv(BASE_URL_ENV_VAR, url)
    monkeypatch.setenv(DATA_ENV_VAR, str(cache))
    try:
        yield {"root": root, "cache": cache, "url": url, "requests": httpd.requests, "flaky": httpd.flaky}
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def cached_files(cache: Path) -> list[str]:
    return sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file())


def test_download_lands_verified_in_the_cache(server):
    path = fetch("mitdb", "100.hea", progress=False)
    assert path == server["cache"] / MITDB / "100.hea"
    assert path.read_bytes() == (server["root"] / "mitdb/1.0.0/100.hea").read_bytes()
    assert sha256_of(path) == registry("mitdb")["100.hea"]
    assert cached_files(server["cache"]) == [str(MITDB / "100.hea")]  # no temporary file left over
    # A second fetch uses the cache: it works with the server gone.
    (server["root"] / "mitdb/1.0.0/100.hea").unlink()
    assert fetch("mitdb", "100.hea", progress=False) == path
    assert server["requests"] == ["/mitdb/1.0.0/100.hea"]


def test_load_mitbih_record_downloads_what_it_needs(server, capsys):
    r = load_mitbih_record("100", progress=True)
    assert r.signals.shape == (650000, 2) and len(r.beat_samples) == 2273
    assert cached_files(server["cache"]) == [str(MITDB / f"100.{e}") for e in ("atr", "dat", "hea")]
    err = capsys.readouterr().err
    assert "100.dat" in err and "Downloading" not in err  # a tqdm bar per file, not pooch's log lines


def test_fetch_many_downloads_in_parallel(server):
    files = ["set-a/132539.txt", "set-a/132540.txt", "set-a/132541.txt"]
    paths = fetch_many("challenge-2012", files, progress=False, workers=3)
    assert paths == [server["cache"] / CHALLENGE / f for f in files]
    assert all(sha256_of(p) == registry("challenge-2012")[f] for p, f in zip(paths, files))
    assert cached_files(server["cache"]) == sorted(str(CHALLENGE / f) for f in files)


def test_fetch_many_stops_at_the_first_failure(server):
    files = ["set-a/132539.txt"] + [f for f in registry("challenge-2012") if f.startswith("set-a/")][:200]
    with pytest.raises(DataError, match="HTTP 404"):
        fetch_many("challenge-2012", files, progress=False, workers=2)
    assert len(server["requests"]) < 50  # the downloads not yet started were cancelled


def test_a_flaky_server_is_tried_again(server, retry_waits):
    server["flaky"]["/mitdb/1.0.0/100.hea"] = RETRIES  # busy for all but the last try
    path = fetch("mitdb", "100.hea", progress=False)
    assert sha256_of(path) == registry("mitdb")["100.hea"]
    assert server["requests"] == ["/mitdb/1.0.0/100.hea"] * (RETRIES + 1)
    assert retry_waits == [1, 2][:RETRIES]
    assert cached_files(server["cache"]) == [str(MITDB / "100.hea")]


def test_a_server_busy_beyond_the_retries_gives_data_error(server):
    server["flaky"]["/mitdb/1.0.0/100.hea"] = RETRIES + 1
    with pytest.raises(DataError, match="HTTP 503"):
        fetch("mitdb", "100.hea", progress=False)
    assert cached_files(server["cache"]) == []


def test_missing_file_on_server_gives_data_error_and_no_partial_file(server):
    with pytest.raises(DataError) as info:
        fetch("mitdb", "101.hea", progress=False)  # in the registry, not on the server: 404
    msg = str(info.value)
    assert "101.hea" in msg and "HTTP 404" in msg
    assert f"{server['url']}mitdb/1.0.0/101.hea" in msg
    assert DATA_ENV_VAR in msg
    assert cached_files(server["cache"]) == []


def test_corrupted_download_is_deleted_not_used(server):
    served = server["root"] / "mitdb/1.0.0/100.atr"
    data = bytearray(served.read_bytes())
    data[100] ^= 0xFF  # one flipped byte
    served.write_bytes(bytes(data))
    with pytest.raises(DataError) as info:
        fetch("mitdb", "100.atr", progress=False)
    msg = str(info.value)
    assert "SHA-256" in msg and registry("mitdb")["100.atr"] in msg and "100.atr" in msg
    assert server["requests"] == ["/mitdb/1.0.0/100.atr"] * (RETRIES + 1)
    assert cached_files(server["cache"]) == []


def test_truncated_download_is_deleted_not_used(server):
    served = server["root"] / "mitdb/1.0.0/100.dat"
    served.write_bytes(served.read_bytes()[:1000])
    with pytest.raises(DataError, match="SHA-256"):
        load_mitbih_record("100", progress=False)
    assert str(MITDB / "100.dat") not in cached_files(server["cache"])
    assert not [f for f in cached_files(server["cache"]) if "100.dat" in f]  # no temporary file either


def test_cached_file_that_no_longer_matches_is_fetched_again(server):
    bad = server["cache"] / MITDB / "100.hea"  # a copy under tmp_path, never the mirror itself
    bad.parent.mkdir(parents=True)
    bad.write_text("100 2 360 650000\n")  # plausible but wrong bytes (an edit, a disk error)
    record = load_mitbih_record("100", progress=False)
    assert record.signals.shape == (650000, 2)
    assert sha256_of(bad) == registry("mitdb")["100.hea"]  # replaced by the verified download
    assert "/mitdb/1.0.0/100.hea" in server["requests"]


def test_cached_file_that_no_longer_matches_and_no_network(server, monkeypatch):
    bad = server["cache"] / MITDB / "100.hea"
    bad.parent.mkdir(parents=True)
    bad.write_text("100 2 360 650000\n")
    url = f"http://127.0.0.1:{_closed_port()}/"
    monkeypatch.setenv(BASE_URL_ENV_VAR, url)
    with pytest.raises(DataError) as info:
        fetch("mitdb", "100.hea", progress=False)
    msg = str(info.value)
    assert f"the cached copy {bad} does not match its SHA-256" in msg and f"{url}mitdb/1.0.0/100.hea" in msg
    assert DATA_ENV_VAR in msg


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed when the socket is: nothing listens there


def test_no_network_gives_data_error_naming_file_url_and_env_var(tmp_path, monkeypatch):
    url = f"http://127.0.0.1:{_closed_port()}/"
    monkeypatch.setenv(BASE_URL_ENV_VAR, url)
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path))
    with pytest.raises(DataError) as info:
        load_mitbih_record("100", progress=False)
    msg = str(info.value)
    assert "100.hea" in msg and f"{url}mitdb/1.0.0/100.hea" in msg and DATA_ENV_VAR in msg
    assert "no connection to 127.0.0.1" in msg
    assert str(tmp_path / MITDB / "100.hea") in msg  # where the file was looked for
    assert cached_files(tmp_path) == []


def test_cache_folder_that_cannot_be_created(server, monkeypatch):
    blocker = server["cache"] / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv(DATA_ENV_VAR, str(blocker / "cache"))
    with pytest.raises(DataError) as info:
        fetch("mitdb", "100.hea", progress=False)
    msg = str(info.value)
    assert "cannot create the cache folder" in msg and DATA_ENV_VAR in msg and "writable" in msg


def test_cache_folder_that_cannot_be_written(server, monkeypatch):
    # Root ignores file permissions, so refuse the temporary download file the way a
    # read-only folder would.
    def refuse(path=None):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(pooch.core, "temporary_file", refuse)
    folder = server["cache"] / MITDB
    folder.mkdir(parents=True)
    with pytest.raises(DataError) as info:
        fetch("mitdb", "100.hea", progress=False)
    msg = str(info.value)
    assert "cannot write into the cache folder" in msg and str(folder) in msg and DATA_ENV_VAR in msg
    assert not (folder / "100.hea").exists()


def test_cache_dir_defaults_to_a_per_user_folder(monkeypatch):
    monkeypatch.delenv(DATA_ENV_VAR, raising=False)
    assert cache_dir().name == "data" and "rnn_course" in str(cache_dir())
    monkeypatch.setenv(DATA_ENV_VAR, "~/somewhere")
    assert cache_dir() == Path.home() / "somewhere"


# ================================================================== the 2012 file parser
def test_physionet2012_parser_on_small_files(tmp_path):
    from rnn_course.data.physionet2012 import _read_events

    a = tmp_path / "1.txt"
    a.write_text("Time,Parameter,Value\n00:00,RecordID,1\n00:00,Age,54\n00:07,HR,73\n47:59,AST,1.422e+04\n")
    b = tmp_path / "2.txt"
    b.write_text("Time,Parameter,Value\n00:00,RecordID,2\n01:30,HR,-1")  # no final newline
    ev = _read_events([a, b])
    assert ev["RecordID"].tolist() == [1, 1, 1, 2]
    assert ev["minutes"].tolist() == [0, 7, 47 * 60 + 59, 90]
    assert ev["parameter"].tolist() == ["Age", "HR", "AST", "HR"]
    assert ev["value"].tolist() == [54.0, 73.0, 14220.0, -1.0]


def test_physionet2012_parser_names_the_bad_file(tmp_path):
    from rnn_course.data.physionet2012 import _read_events

    bad = tmp_path / "bad.txt"
    bad.write_text("time;parameter;value\n")
    with pytest.raises(ValueError, match=r"bad.txt: expected header 'Time,Parameter,Value', got 'time;parameter;value'"):
        _read_events([bad])
    bad.write_text("Time,Parameter,Value\n00:00,Age,54\n")
    with pytest.raises(ValueError, match=r"bad.txt: expected the first row to be '00:00,RecordID,<id>'"):
        _read_events([bad])
