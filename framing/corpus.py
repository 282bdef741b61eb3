"""Corpus: load articles and their metadata into one DataFrame.

Four inputs are accepted:

* a folder of ``.txt`` files (one article each, the id is the file stem), with an
  optional ``metadata.csv`` holding an ``id`` column and any metadata columns;
* a JSON Lines file (``.jsonl``), one article per line, with ``id`` and ``text``;
* a CSV file (``.csv``) with ``id`` and ``text`` columns;
* a Parquet file (``.parquet``) with ``id`` and ``text`` columns, read in row batches.

Text is decoded as UTF-8 (or the ``encoding`` given), a byte-order mark is dropped and
CRLF / lone CR line endings become ``\\n``. Every offset the package reports indexes the
text in exactly this normalised form. Problems raise :class:`CorpusError` with a
message that names the file and what is wrong with it.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

#: Articles per batch when a corpus is read in batches (see :func:`article_batches`).
BATCH_SIZE = 256
#: Metadata columns of the seeds corpus, in display order. Other corpora may add more.
METADATA_COLUMNS = ("title", "outlet", "author", "date", "genre")


class CorpusError(ValueError):
    """An input problem the user can fix: the message names the file and the problem."""


class EmptyArticleWarning(UserWarning):
    """An article whose text is empty or only whitespace was skipped."""


def normalise_text(text: str, start: bool = True) -> str:
    """Drop a leading BOM (when ``text`` starts the file) and turn CRLF and lone CR line
    endings into LF."""
    if start and text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def decode(data: bytes, source: str | Path, encoding: str = "utf-8", base: int = 0) -> str:
    """Decode bytes, naming the file and the byte offset of the first bad byte.

    ``base`` is the offset of ``data`` in its file, for a file decoded piece by piece.
    """
    nul = data.find(b"\x00")
    if nul >= 0 and encoding.lower().replace("-", "").replace("_", "") in {"utf8", "utf8sig"}:
        raise CorpusError(
            f"{source}: contains a NUL byte at byte offset {base + nul}: "
            "this looks like a binary file, not text"
        )
    try:
        return normalise_text(data.decode(encoding), start=base == 0)
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{source}: not valid {encoding} at byte offset {base + exc.start} "
            f"(byte 0x{data[exc.start]:02x}); pass --encoding if the file uses another encoding"
        ) from None
    except LookupError:
        raise CorpusError(f"unknown encoding {encoding!r}") from None


def _read_text(path: Path, encoding: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read ({exc.strerror})") from None
    return decode(data, path, encoding)


def _iter_folder(folder: Path, encoding: str) -> Iterator[dict]:
    files = sorted(p for p in folder.iterdir() if p.suffix == ".txt" and p.is_file())
    if not files:
        raise CorpusError(f"{folder}: no .txt articles in this folder")
    for path in files:
        yield {"article_id": _article_id(path.stem, path), "text": _read_text(path, encoding),
               "_source": str(path)}


#: What str.splitlines() splits at.
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def _article_id(value, where) -> str:
    """The id as text; a line break in it would split every output row that carries it."""
    article_id = str(value)
    if any(ch in _LINE_BREAKS for ch in article_id):
        raise CorpusError(f"{where}: the article id {article_id!r} contains a line break")
    return article_id


def _text_lines(path: Path, encoding: str) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of a text file (JSON Lines, CSV), read one line at a time.

    Memory stays flat however large the file. Line numbers count CRLF, LF and lone CR
    alike, as the whole-text normalisation does. Encodings that are not ASCII-compatible
    (UTF-16, UTF-32) cannot be split on bytes and are decoded whole.
    """
    try:
        ascii_compatible = "\n".encode(encoding) == b"\n" and not encoding.lower().replace("_", "-").startswith(
            ("utf-16", "utf16", "utf-32", "utf32"))
    except LookupError:
        raise CorpusError(f"unknown encoding {encoding!r}") from None
    if not ascii_compatible:
        yield from enumerate(_read_text(path, encoding).split("\n"), start=1)
        return
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read ({exc.strerror})") from None
    lineno, offset = 0, 0
    with handle:
        for raw in handle:
            text = decode(raw, path, encoding, base=offset)  # also turns CR into LF
            offset += len(raw)
            lines = text.split("\n")
            if text.endswith("\n"):
                lines.pop()  # the line break that ends this line, not an empty line after it
            for line in lines:
                lineno += 1
                yield lineno, line


def _iter_jsonl(path: Path, encoding: str) -> Iterator[dict]:
    for lineno, line in _text_lines(path, encoding):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{path}: line {lineno} is not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise CorpusError(f"{path}: line {lineno} is not a JSON object")
        if "\\u" in line:  # only a \u escape can smuggle in a lone surrogate
            _check_surrogates(record, f"{path}: line {lineno}")
        yield _record(record, f"{path}: line {lineno}")


def _check_surrogates(record: dict, where: str) -> None:
    """Reject strings holding a lone surrogate (``"\\udc80"``): they cannot be written as UTF-8."""
    for key, value in record.items():
        for name, item in ((f"the key {key!r}", key), (f"{key!r}", value)):
            if isinstance(item, str):
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError as exc:
                    raise CorpusError(
                        f"{where}: {name} holds a lone surrogate \\u{ord(item[exc.start]):04x} at "
                        f"character {exc.start}; not valid Unicode text"
                    ) from None


def _iter_csv(path: Path, encoding: str) -> Iterator[dict]:
    # read one line at a time (a quoted field may span lines; the reader joins them)
    lines = (line + "\n" for _, line in _text_lines(path, encoding))
    reader = csv.DictReader(lines, strict=True)
    try:
        for record in reader:
            if None in record:
                raise CorpusError(f"{path}: row {reader.line_num} has more fields than the header")
            yield _record(record, f"{path}: row {reader.line_num}")
    except csv.Error as exc:
        raise CorpusError(f"{path}: malformed CSV near line {reader.line_num} ({exc})") from None


def _iter_parquet(path: Path, batch_rows: int = 1024) -> Iterator[dict]:
    """Articles from a Parquet file, read in row batches (needs pyarrow)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a declared dependency
        raise CorpusError(f"{path}: reading Parquet needs pyarrow (pip install pyarrow)") from None
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise CorpusError(f"{path}: not a readable Parquet file ({exc})") from None
    row = 0
    for batch in parquet.iter_batches(batch_size=batch_rows):
        for record in batch.to_pylist():
            row += 1
            yield _record(record, f"{path}: row {row}")


def _record(record: dict, where: str) -> dict:
    for key in ("id", "text"):
        if key not in record or record[key] is None:
            raise CorpusError(f"{where}: missing the {key!r} field")
    if not isinstance(record["text"], str):
        raise CorpusError(f"{where}: 'text' is not a string")
    out = {k: _one_line(v) for k, v in record.items() if k not in ("id", "text")}
    out["article_id"] = _article_id(record["id"], where)
    out["text"] = normalise_text(record["text"])
    out["_source"] = where
    return out


def _one_line(value) -> str:
    """A metadata value as text on one line (line breaks become spaces)."""
    return "" if value is None else " ".join(str(value).splitlines())


def iter_articles(path: str | Path, encoding: str = "utf-8") -> Iterator[dict]:
    """Yield one dict per article (``article_id``, ``text``, metadata) in input order.

    Metadata from a folder's ``metadata.csv`` is not merged here; see :func:`load_corpus`.
    """
    path = Path(path)
    if not path.exists():
        raise CorpusError(f"{path}: no such file or folder")
    if path.is_dir():
        yield from _iter_folder(path, encoding)
    elif path.suffix == ".jsonl":
        yield from _iter_jsonl(path, encoding)
    elif path.suffix == ".csv":
        yield from _iter_csv(path, encoding)
    elif path.suffix == ".parquet":
        yield from _iter_parquet(path)
    else:
        raise CorpusError(
            f"{path}: unsupported corpus; give a folder of .txt files, a .jsonl, .csv or .parquet file"
        )


def read_metadata(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    """Read a folder's ``metadata.csv``: an ``id`` column plus metadata columns, all strings."""
    text = _read_text(path, encoding)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise CorpusError(f"{path}: malformed CSV near line {reader.line_num} ({exc})") from None
    if not rows:
        raise CorpusError(f"{path}: empty metadata file")
    header = [h.strip() for h in rows[0]]
    if "id" not in header:
        raise CorpusError(f"{path}: no 'id' column in the header")
    for lineno, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise CorpusError(
                f"{path}: row {lineno} has {len(row)} fields, the header has {len(header)}"
            )
    meta = pd.DataFrame([[_one_line(v) for v in row] for row in rows[1:]], columns=header, dtype=str)
    duplicated = meta["id"][meta["id"].duplicated()]
    if len(duplicated):
        raise CorpusError(f"{path}: duplicate id {duplicated.iloc[0]!r}")
    return meta.rename(columns={"id": "article_id"})


def article_batches(path, encoding: str = "utf-8", batch_size: int = BATCH_SIZE,
                    stats: dict | None = None) -> Iterator[pd.DataFrame]:
    """Yield DataFrames of at most ``batch_size`` articles, metadata merged, empties skipped.

    Checks duplicate ids and metadata ids that match no article while holding only one
    batch and the set of ids seen; skipped ids are appended to ``stats['skipped']``.
    """
    path = Path(path)
    meta = None
    if path.is_dir() and (path / "metadata.csv").exists():
        meta = read_metadata(path / "metadata.csv", encoding).set_index("article_id")
        # a folder's ids are its file names: check them before any scoring is done
        stems = {p.stem for p in path.iterdir() if p.suffix == ".txt" and p.is_file()}
        unknown = sorted(set(meta.index) - stems)
        if stems and unknown:
            raise CorpusError(f"{path / 'metadata.csv'}: id {unknown[0]!r} matches no article in {path}")
    stats = stats if stats is not None else {}
    stats.setdefault("skipped", [])
    seen: dict[str, str] = {}
    batch: list[dict] = []
    for record in iter_articles(path, encoding):
        article_id = record.pop("article_id")
        source = record.pop("_source")
        if article_id in seen:
            raise CorpusError(f"{source}: duplicate article id {article_id!r} (also in {seen[article_id]})")
        seen[article_id] = source
        if not record["text"].strip():
            warnings.warn(f"{source}: article {article_id!r} is empty; skipped", EmptyArticleWarning,
                          stacklevel=2)
            stats["skipped"].append(article_id)
            continue
        record = {"article_id": article_id, **record}
        if meta is not None and article_id in meta.index:
            record.update(meta.loc[article_id].to_dict())
        batch.append(record)
        if len(batch) >= batch_size:
            yield _frame(batch, meta)
            batch = []
    if batch:
        yield _frame(batch, meta)
    if meta is not None:
        unknown = sorted(set(meta.index) - set(seen))
        if unknown:
            raise CorpusError(f"{path / 'metadata.csv'}: id {unknown[0]!r} matches no article in {path}")
    if len(seen) == len(stats["skipped"]):
        raise CorpusError(f"{path}: the corpus has no non-empty articles")


def _frame(batch: list[dict], meta: pd.DataFrame | None) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(batch)
    if meta is not None:
        for column in meta.columns:
            if column not in frame:
                frame[column] = ""
    columns = ["article_id", "text"] + [c for c in frame.columns if c not in ("article_id", "text")]
    return frame[columns].fillna("")


def load_corpus(path: str | Path, encoding: str = "utf-8") -> pd.DataFrame:
    """Load a corpus into a DataFrame with ``article_id``, ``text`` and metadata columns.

    Rows are sorted by ``article_id`` so results never depend on the order in which files
    are listed. Empty or whitespace-only articles are skipped with an
    :class:`EmptyArticleWarning` naming them; their ids are kept in ``df.attrs['skipped']``.
    """
    stats: dict = {}
    articles = pd.concat(list(article_batches(path, encoding, BATCH_SIZE, stats)), ignore_index=True)
    articles = articles.fillna("").sort_values("article_id", kind="stable").reset_index(drop=True)
    articles.attrs["skipped"] = stats["skipped"]
    articles.attrs["source"] = str(path)
    return articles
