"""Download-and-cache access to the open PhysioNet files the course uses.

The cache mirrors PhysioNet's URLs: ``<cache>/physionet/<database>/<version>/<file>`` is
``https://physionet.org/files/<database>/<version>/<file>``. The cache folder is
``$RNN_COURSE_DATA`` when set, else a per-user cache folder (``platformdirs``).

Every file is checked against a SHA-256 registry shipped with the package (PhysioNet's own
``SHA256SUMS.txt``). A file that is missing is downloaded to a temporary file next to its
final place, verified, and only then moved into place; a mismatch is an error and the bad
bytes are deleted, never used.

Loaders for the two databases live in :mod:`rnn_course.data.mitbih` and
:mod:`rnn_course.data.physionet2012`.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import platformdirs
from tqdm import tqdm

DATA_ENV_VAR = "RNN_COURSE_DATA"
BASE_URL_ENV_VAR = "RNN_COURSE_BASE_URL"
PHYSIONET_URL = "https://physionet.org/files/"


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


class DataError(RuntimeError):
    """A data file could not be found, downloaded or verified."""


def cache_dir() -> Path:
    """The data cache folder: ``$RNN_COURSE_DATA`` if set, else the per-user cache."""
    env = os.environ.get(DATA_ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir("rnn_course")) / "data"


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


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _expected_hash(database: str, file: str) -> str:
    table = registry(database)
    if file not in table:
        near = sorted(k for k in table if k.split("/")[-1].split(".")[0] == file.split("/")[-1].split(".")[0])
        hint = f"; files with that stem: {near[:5]}" if near else ""
        raise ValueError(f"{file!r} is not a file of PhysioNet database {database!r}{hint}")
    return table[file]


def fetch(database: str, file: str, *, progress: bool = True) -> Path:
    """Return the local path of ``file`` from ``database``, downloading it if needed.

    ``file`` is relative to the database's version folder, e.g. ``"100.dat"`` or
    ``"set-a/132539.txt"``. Raises :class:`DataError` if the file is missing and cannot be
    downloaded, or if its bytes do not match the registry.
    """
    db = _database(database)
    expected = _expected_hash(database, file)
    path = cache_dir() / db.folder / file
    url = f"{base_url()}{db.name}/{db.version}/{file}"
    if path.exists():
        actual = sha256_of(path)
        if actual != expected:
            raise DataError(
                f"cached file {path} is corrupt: SHA-256 {actual}, expected {expected}. "
                f"Delete it and run again to download a fresh copy from {url}"
            )
        return path
    _download(url, path, expected, progress=progress)
    return path


def fetch_many(database: str, files: list[str], *, progress: bool = True, workers: int = 8) -> list[Path]:
    """:func:`fetch` several files (downloads run in parallel threads); paths in input order."""
    folder = cache_dir() / _database(database).folder
    missing = sum(not (folder / f).exists() for f in files)
    bar = tqdm(total=len(files), desc=f"{database} files", unit="file", disable=not progress or missing == 0)
    def one(f: str) -> Path:
        p = fetch(database, f, progress=False)
        bar.update()
        return p
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(one, files))
    finally:
        bar.close()


def _download(url: str, path: Path, expected: str, *, progress: bool) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(
            f"cannot create the cache folder {path.parent} ({e}); set {DATA_ENV_VAR} to a writable folder"
        ) from e
    # A temporary name unique to this process and thread, so that parallel downloads of the
    # same file (e.g. notebooks run by pytest-xdist) never write into one another's bytes.
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.part")
    try:
        out = open(tmp, "wb")
    except OSError as e:
        raise DataError(
            f"cannot write {tmp.name} into the cache folder {path.parent} ({e}); "
            f"set {DATA_ENV_VAR} to a writable folder"
        ) from e
    h = hashlib.sha256()
    try:
        with out, urllib.request.urlopen(url, timeout=60) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=path.name, disable=not progress) as bar:
                while block := response.read(1 << 16):
                    out.write(block)
                    h.update(block)
                    bar.update(len(block))
    except (urllib.error.URLError, OSError) as e:
        tmp.unlink(missing_ok=True)
        reason = f"HTTP {e.code}" if isinstance(e, urllib.error.HTTPError) else str(getattr(e, "reason", e))
        raise DataError(
            f"{path.name} is not in the data cache ({path}) and downloading it from {url} failed: "
            f"{reason}. Without internet, set {DATA_ENV_VAR} to a folder laid out as "
            f"physionet/<database>/<version>/<file> that holds it."
        ) from e
    except BaseException:  # e.g. KeyboardInterrupt: leave no partial file behind
        tmp.unlink(missing_ok=True)
        raise
    if h.hexdigest() != expected:
        tmp.unlink(missing_ok=True)
        raise DataError(
            f"downloaded {url} but its SHA-256 is {h.hexdigest()}, expected {expected}; "
            "the file was deleted, not used (a proxy or a truncated transfer can cause this — retry)"
        )
    os.replace(tmp, path)
