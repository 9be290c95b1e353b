"""Generated reports' files, on disk under the data directory: ``reports/<report id>/<format>``.

Files are written to a temporary name and renamed, so a reader never sees half a file and a
retried generation replaces the earlier attempt's files whole."""

from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
from collections.abc import Iterable
from pathlib import Path

from reports import config

_SAFE = re.compile(r"^[A-Za-z0-9._-]+$")


def _directory(calico_id: str) -> Path:
    if not _SAFE.match(calico_id):
        raise ValueError(f"not a report id: {calico_id!r}")
    return config.files_root() / calico_id


def _path(calico_id: str, fmt: str) -> Path:
    if not _SAFE.match(fmt) or fmt.startswith("."):
        raise ValueError(f"not a download format: {fmt!r}")
    return _directory(calico_id) / fmt


def store(calico_id: str, contents: dict[str, bytes]) -> list[str]:
    """Write each format's file; the formats written, in the order given."""
    directory = _directory(calico_id)
    directory.mkdir(parents=True, exist_ok=True)
    for fmt, data in contents.items():
        final = _path(calico_id, fmt)
        partial = final.with_name(f".{fmt}.partial")
        partial.write_bytes(data)
        os.replace(partial, final)
    return list(contents)


def read(calico_id: str, fmt: str) -> bytes:
    return _path(calico_id, fmt).read_bytes()


def remove(calico_id: str) -> None:
    shutil.rmtree(_directory(calico_id), ignore_errors=True)


def zipped(entries: Iterable[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()
