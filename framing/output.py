"""Output: write result tables so that a reader never sees a half-written file.

Each CSV is written to a temporary file in the destination folder and renamed into
place (``os.replace`` is atomic on POSIX), so an interrupted run leaves either the
previous file or the new one, never a mix. CSVs are UTF-8 with ``\\n`` line endings and
a fixed float format, so the same input gives the same bytes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

FLOAT_FORMAT = "%.4f"


class OutputError(OSError):
    """The output folder or a file in it cannot be written."""


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The exact bytes :func:`write_csv` writes for ``df``."""
    return df.to_csv(index=False, lineterminator="\n", float_format=FLOAT_FORMAT).encode("utf-8")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    The file gets ordinary permissions (0666 less the umask), not mkstemp's private 0600.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write ``df`` as CSV to ``path`` atomically."""
    write_bytes_atomic(path, csv_bytes(df))


def prepare_folder(folder: str | Path) -> Path:
    """Create ``folder`` if needed and check that it can be written; raise OutputError if not."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the output folder ({exc.strerror})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{folder}: the output folder is not writable")
    return folder


def write_tables(folder: str | Path, tables: Mapping[str, pd.DataFrame]) -> list[Path]:
    """Write each ``name -> DataFrame`` as ``folder/name.csv``; return the paths written.

    All tables are serialised before the first file is touched, so a failure while
    formatting leaves the folder as it was.
    """
    folder = prepare_folder(folder)
    payload = {folder / f"{name}.csv": csv_bytes(df) for name, df in tables.items()}
    for path, data in payload.items():
        try:
            write_bytes_atomic(path, data)
        except OSError as exc:
            raise OutputError(f"{path}: cannot write ({exc.strerror})") from None
    return list(payload)
