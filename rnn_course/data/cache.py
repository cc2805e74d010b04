"""Download-and-cache access to the open PhysioNet files the course uses, built on pooch.

The cache mirrors PhysioNet's URLs: ``<cache>/physionet/<database>/<version>/<file>`` is
``<base>/<database>/<version>/<file>`` with ``<base>`` = ``https://physionet.org/files/`` or
``$RNN_COURSE_BASE_URL``. The cache folder is ``$RNN_COURSE_DATA`` when set, else a
per-user cache folder.

Every file is checked against a SHA-256 registry shipped with the package (PhysioNet's own
``SHA256SUMS.txt``). `pooch <https://www.fatiando.org/pooch>`_ does the rest, as for SciPy,
scikit-image and MNE: a missing file is downloaded to a temporary file next to its place,
verified and only then moved into place; a failed download is tried again (a flaky
connection); a cached file that no longer matches its hash is downloaded again. Whatever
fails ends in a :class:`DataError` that names the file, the URL and ``$RNN_COURSE_DATA``.

Loaders for the two databases live in :mod:`rnn_course.data.mitbih` and
:mod:`rnn_course.data.physionet2012`.
"""
from __future__ import annotations

import gzip
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from urllib.parse import urlparse

import pooch
import requests
from tqdm import tqdm

DATA_ENV_VAR = "RNN_COURSE_DATA"
BASE_URL_ENV_VAR = "RNN_COURSE_BASE_URL"
PHYSIONET_URL = "https://physionet.org/files/"
RETRIES = 2  # a failed download is tried twice more (pooch waits 1 s, then 2 s)

pooch.get_logger().setLevel("WARNING")  # pooch logs every download; the progress bar says enough


@dataclass(frozen=True)
class Database:
    """A PhysioNet database at one version, with the registry file that lists its checksums."""

    name: str
    version: str
    registry: str  # file name inside rnn_course/data/registry/

    @property
    def folder(self) -> str:
        return f"physionet/{self.name}/{self.version}"


DATABASES = {
    "mitdb": Database("mitdb", "1.0.0", "mitdb-1.0.0.sha256"),
    "challenge-2012": Database("challenge-2012", "1.0.0", "challenge-2012-1.0.0.sha256.gz"),
}


class _Bar(tqdm):
    """A plain tqdm download bar for pooch, which tests ``if progressbar:`` before its size is known."""

    def __bool__(self) -> bool:
        return True


class DataError(RuntimeError):
    """A data file could not be found, downloaded or verified."""


def cache_dir() -> Path:
    """The data cache folder: ``$RNN_COURSE_DATA`` if set, else the per-user cache."""
    env = os.environ.get(DATA_ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return Path(pooch.os_cache("rnn_course")).expanduser() / "data"


def base_url() -> str:
    """Where missing files are downloaded from: ``$RNN_COURSE_BASE_URL`` or PhysioNet."""
    url = os.environ.get(BASE_URL_ENV_VAR, "").strip() or PHYSIONET_URL
    return url if url.endswith("/") else url + "/"


def _database(name: str) -> Database:
    if name not in DATABASES:
        raise ValueError(f"unknown database {name!r}; expected one of {sorted(DATABASES)}")
    return DATABASES[name]


@lru_cache(maxsize=None)
def registry(database: str) -> dict[str, str]:
    """Map each file of ``database`` (path relative to its version folder) to its SHA-256."""
    db = _database(database)
    raw = resources.files("rnn_course.data").joinpath("registry", db.registry).read_bytes()
    if db.registry.endswith(".gz"):
        raw = gzip.decompress(raw)
    table = {}
    for line in raw.decode().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            table[name.strip().lstrip("*")] = digest
    return table


def _expected_hash(database: str, file: str) -> str:
    table = registry(database)
    if file not in table:
        near = sorted(k for k in table if k.split("/")[-1].split(".")[0] == file.split("/")[-1].split(".")[0])
        hint = f"; files with that stem: {near[:5]}" if near else ""
        raise ValueError(f"{file!r} is not a file of PhysioNet database {database!r}{hint}")
    return table[file]


@lru_cache(maxsize=8)
def _pooch(database: str, folder: Path, url: str) -> pooch.Pooch:
    """The pooch of one database at one cache folder and base URL (the variables may change)."""
    db = _database(database)
    return pooch.create(path=folder / db.folder, base_url=f"{url}{db.name}/{db.version}/",
                        registry=registry(database), retry_if_failed=RETRIES)


def _reason(error: requests.RequestException, url: str) -> str:
    if isinstance(error, requests.HTTPError) and error.response is not None:
        return f"HTTP {error.response.status_code}"
    if isinstance(error, requests.ConnectionError):
        return f"no connection to {urlparse(url).netloc}"
    if isinstance(error, requests.Timeout):
        return "the server did not answer in time"
    return type(error).__name__


def fetch(database: str, file: str, *, progress: bool = True) -> Path:
    """Return the local path of ``file`` from ``database``, downloading it if needed.

    ``file`` is relative to the database's version folder, e.g. ``"100.dat"`` or
    ``"set-a/132539.txt"``. A cached copy whose SHA-256 no longer matches is downloaded
    again. Raises :class:`DataError` if the file cannot be downloaded and verified.
    """
    expected = _expected_hash(database, file)
    path = cache_dir() / _database(database).folder / file
    if path.is_file() and pooch.file_hash(str(path)) == expected:
        return path
    stale = path.exists()
    fetcher = _pooch(database, cache_dir(), base_url())
    url = fetcher.get_url(file)
    where = (f"the cached copy {path} does not match its SHA-256 and downloading a fresh one" if stale
             else f"{Path(file).name} is not in the data cache ({path}) and downloading it")
    bar = _Bar(unit="B", unit_scale=True, desc=Path(file).name) if progress else False
    try:
        # pooch creates the folder with a check-then-mkdir that races between fetch_many's threads
        path.parent.mkdir(parents=True, exist_ok=True)
        fetcher.fetch(file, downloader=pooch.HTTPDownloader(progressbar=bar, timeout=60))
    except requests.RequestException as e:  # (an OSError too: caught first)
        raise DataError(
            f"{where} from {url} failed: {_reason(e, url)}. Without internet, set {DATA_ENV_VAR} to a "
            f"folder laid out as physionet/<database>/<version>/<file> that holds it."
        ) from e
    except ValueError as e:  # the bytes never matched the registry
        raise DataError(
            f"downloaded {url} {1 + RETRIES} times but its SHA-256 never matched {expected}; the bytes were "
            "deleted, not used (a proxy or a truncated transfer can cause this; retry later)"
        ) from e
    except OSError as e:
        what = "write into" if path.parent.is_dir() else "create"
        raise DataError(f"cannot {what} the cache folder {path.parent} ({e}); set {DATA_ENV_VAR} to a "
                        "writable folder") from e
    finally:
        if bar:
            bar.close()
    return path


def fetch_many(database: str, files: list[str], *, progress: bool = True, workers: int = 8) -> list[Path]:
    """:func:`fetch` several files (downloads run in parallel threads); paths in input order.

    The first failure stops the downloads that have not started and is raised.
    """
    folder = cache_dir() / _database(database).folder
    missing = sum(not (folder / f).exists() for f in files)
    bar = tqdm(total=len(files), desc=f"{database} files", unit="file", disable=not progress or missing == 0)

    def one(f: str) -> Path:
        p = fetch(database, f, progress=False)
        bar.update()
        return p

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(one, f) for f in files]
            try:
                return [future.result() for future in futures]
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    finally:
        bar.close()
