"""Output: write result tables so that a reader never sees a half-written file.

Each CSV is written to a temporary file in the destination folder and renamed into
place (``os.replace`` is atomic on POSIX), so an interrupted run leaves either the
previous file or the new one, never a mix. CSVs are UTF-8 with ``\\n`` line endings and
a fixed float format, so the same input gives the same bytes.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
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


@contextmanager
def signals_deferred(signums=(signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """Hold SIGINT / SIGTERM while a group of files is renamed into place, deliver them after.

    An interrupt between two renames would otherwise leave a mix of old and new files. Only
    the main thread can install handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[tuple[int, object]] = []
    previous = {}
    for signum in signums:
        previous[signum] = signal.signal(signum, lambda n, frame: pending.append((n, frame)))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        if pending:
            signum, frame = pending[0]
            handler = previous[signum]
            if callable(handler):
                handler(signum, frame)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)


def write_temp(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to a new temporary file next to ``path`` (``.NAME.*.tmp``) and return it.

    The file gets ordinary permissions (0666 less the umask), not mkstemp's private 0600.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder."""
    tmp = write_temp(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
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

    All tables are serialised and written to temporary files before the first one is
    renamed into place, and the renames are not interrupted by SIGINT / SIGTERM, so a
    failure or an interrupt leaves the folder as it was (or fully updated), never a mix.
    """
    folder = prepare_folder(folder)
    payload = {folder / f"{name}.csv": csv_bytes(df) for name, df in tables.items()}
    temps: dict[Path, Path] = {}
    try:
        for path, data in payload.items():
            try:
                temps[path] = write_temp(path, data)
            except OSError as exc:
                raise OutputError(f"{path}: cannot write ({exc.strerror})") from None
        with signals_deferred():
            for path, tmp in temps.items():
                os.replace(tmp, path)
    except BaseException:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
        raise
    return list(payload)
