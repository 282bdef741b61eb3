"""Output: write result tables so that a reader never sees a half-written file.

Each CSV is written to a temporary file in the destination folder and renamed into
place (``os.replace`` is atomic on POSIX), so an interrupted run leaves either the
previous file or the new one, never a mix. CSVs are UTF-8 with ``\\n`` line endings and
a fixed float format, so the same input gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

FLOAT_FORMAT = "%.4f"


class OutputError(OSError):
    """The output folder or a file in it cannot be written."""


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The exact bytes :func:`write_csv` writes for ``df``.

    These are the bytes of ``df.to_csv(index=False, lineterminator="\\n",
    float_format=FLOAT_FORMAT)``. Frames of two or more columns that are all float64,
    integer, bool, or text (object columns holding only text and missing values, string
    columns), with text labels, take a faster path: each column is turned into its CSV
    fields as pandas and ``csv.writer`` would (floats with ``FLOAT_FORMAT``, missing values
    as empty fields, booleans as True/False, fields holding a delimiter, quote or line break
    quoted with doubled quotes) and the rows are joined. Anything else goes through pandas.
    """
    fields = _csv_fields(df)
    if fields is None:
        return _pandas_csv_bytes(df)
    header = _quote(list(df.columns))
    lines = [",".join(header)]
    lines.extend(map(",".join, zip(*fields)))
    lines.append("")
    return "\n".join(lines).encode("utf-8")


def _pandas_csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, lineterminator="\n", float_format=FLOAT_FORMAT).encode("utf-8")


_special_chars: str | None = None


def _specials() -> str:
    """The characters that make ``csv.writer`` (QUOTE_MINIMAL, lineterminator ``\\n``) quote a
    field, found by asking it once (``,``, ``"`` and ``\\n`` on Python 3.11; only ASCII
    characters do, see tests/test_rest_speed.py)."""
    global _special_chars
    if _special_chars is None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        found = []
        for code in range(128):
            buffer.seek(0)
            buffer.truncate()
            field = f"a{chr(code)}b"
            writer.writerow([field, "x"])
            if buffer.getvalue() != field + ",x\n":
                found.append(chr(code))
        _special_chars = "".join(found)
    return _special_chars


_special_search = None


def _quote(values: list[str]) -> list[str]:
    """CSV fields for text values: quoted, with doubled quotes, when they hold a special character."""
    global _special_search
    specials = _specials()
    joined = "".join(values)
    if not any(ch in joined for ch in specials):
        return values
    if _special_search is None:
        _special_search = re.compile("[" + re.escape(specials) + "]").search
    search = _special_search
    return [f'"{v.replace(chr(34), chr(34) * 2)}"' if search(v) else v for v in values]


def _csv_fields(df: pd.DataFrame) -> list[list[str]] | None:
    """Per column, its CSV fields as text; None when a column (or the header) is of a kind
    the fast path does not cover."""
    columns = df.columns
    if df.shape[1] < 2 or isinstance(columns, pd.MultiIndex) or not all(
            type(label) is str for label in columns):
        return None
    fields = []
    for _, series in df.items():
        dtype = series.dtype
        if isinstance(dtype, np.dtype):
            values = series.to_numpy()
            if dtype == np.float64:
                fields.append(_float_fields(values))
                continue
            if dtype.kind in "iu":
                fields.append(_int_fields(values))
                continue
            if dtype.kind == "b":
                fields.append(np.where(values, "True", "False").tolist())
                continue
            if dtype != object:
                return None
            values = np.array(values, dtype=object)
            values[pd.isna(values)] = ""
        elif isinstance(dtype, pd.StringDtype):
            array = series.array
            values = np.asarray(array.astype(object))
            missing = np.asarray(array.isna(), dtype=bool)
            if missing.any():
                values = values.copy()
                values[missing] = ""
        else:
            return None
        text = values.tolist()
        if not set(map(type, text)) <= {str}:
            return None  # csv.writer's str()/repr() of other objects: leave it to pandas
        fields.append(_quote(text))
    return fields


def _int_fields(values: np.ndarray) -> list[str]:
    """``str(v)`` for every integer value (numpy writes the same decimal digits)."""
    if not len(values):
        return []
    return values.astype(str).tolist()


def _float_fields(values: np.ndarray) -> list[str]:
    """``FLOAT_FORMAT % v`` for every value, '' for NaN (one ``%`` call for the whole column)."""
    if not len(values):
        return []
    formatted = ("\x00".join([FLOAT_FORMAT] * len(values)) % tuple(values.tolist())).split("\x00")
    for k in np.flatnonzero(np.isnan(values)).tolist():
        formatted[k] = ""
    return formatted


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
