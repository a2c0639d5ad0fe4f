"""The kit's files on disk: written atomically, readable by the student, and the per-submission results.

Every module that writes an output imports from here (never from :mod:`autograder.outputs.writers`,
which imports the outputs' modules), so the outputs form no import cycle.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Iterable

from ..results import SubmissionResult

__all__ = ["FILE_MODE", "printable", "atomic_write", "atomic_write_bytes", "write_csv", "result_path", "write_result", "read_result", "read_results"]


FILE_MODE = 0o644
"""Every file the kit writes is readable by the student it is handed to (``mkstemp`` alone gives 0600)."""


def printable(text: str) -> str:
    """``text`` safe to write as UTF-8 and to print: a file name that was not valid UTF-8 (decoded by
    Python with surrogate escapes) shows its undecodable bytes as ``\\xNN`` instead of raising."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never a part
    (any text: undecodable characters of a file name are written as ``\\xNN``)."""
    atomic_write_bytes(path, printable(text).encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """:func:`atomic_write` for bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def result_path(out: Path, student: str, assignment: str) -> Path:
    return out / "results" / student / f"{assignment}.json"


def write_result(out: Path, result: SubmissionResult) -> Path:
    path = result_path(out, result.student, result.assignment)
    atomic_write(path, json.dumps(result.to_dict(), indent=1))
    return path


def read_result(path: Path) -> SubmissionResult:
    return SubmissionResult.from_dict(json.loads(path.read_text(encoding="utf-8")))


def read_results(out: Path) -> list[SubmissionResult]:
    """Every per-submission result under ``out/results``, sorted by student and assignment."""
    return [read_result(p) for p in sorted((Path(out) / "results").glob("*/*.json"))]


def write_csv(path: Path, header: list[str], rows: Iterable[dict[str, str]]) -> None:
    """A CSV file with ``header``'s columns (missing fields empty, extra ones dropped), written atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, restval="", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write(path, buffer.getvalue())
