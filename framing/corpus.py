"""Corpus: load articles and their metadata into one DataFrame.

Four inputs are accepted:

* a folder of ``.txt`` files (one article each), searched recursively: the id is the
  file's path relative to the folder without ``.txt``, with ``/`` between folders
  (``a.txt`` -> ``a``, ``Reuters/b.txt`` -> ``Reuters/b``), with an optional
  ``metadata.csv`` at the root holding an ``id`` column and any metadata columns. Files
  that are not read (other extensions, hidden files and folders) are counted in one
  :class:`SkippedFilesWarning`;
* a JSON Lines file (``.jsonl``), one article per line, with ``id`` and ``text``;
* a CSV file (``.csv``) with ``id`` and ``text`` columns;
* a Parquet file (``.parquet``) with ``id`` and ``text`` columns, read in row batches.

Text is decoded as UTF-8 (or the ``encoding`` given), a byte-order mark is dropped and
CRLF / lone CR line endings become ``\\n``. Every offset the package reports indexes the
text in exactly this normalised form. Problems raise :class:`CorpusError` with a
message that names the file and what is wrong with it.

Hard-wrapped text (lines broken at 70-80 characters, as in e-mail and archive exports)
would be cut into sentences at every line break, since a line break ends a sentence.
``wrapped="yes"`` joins the lines within each paragraph first, ``"no"`` never does, and
``"auto"`` (the default) joins only the articles :func:`looks_wrapped` accepts. Joining
turns a line break into a space, so the text keeps its length and every offset refers to
the joined text, which is the text that is stored and scored.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import warnings
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pandas as pd

#: Articles per batch when a corpus is read in batches (see :func:`article_batches`).
BATCH_SIZE = 256
#: Metadata columns of the seeds corpus, in display order. Other corpora may add more.
METADATA_COLUMNS = ("title", "outlet", "author", "date", "genre")
#: Values of the ``wrapped`` option (``framing score --wrapped``).
WRAPPED_CHOICES = ("auto", "yes", "no")


class CorpusError(ValueError):
    """An input problem the user can fix: the message names the file and the problem."""


class EmptyArticleWarning(UserWarning):
    """An article whose text is empty or only whitespace was skipped."""


class SkippedFilesWarning(UserWarning):
    """Files or folders in a folder corpus were not read: how many, why, and examples."""


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
    """The articles of a folder corpus, sorted by id; warns once about files not read."""
    files, skipped = folder_files(folder)
    if not files:
        raise CorpusError(f"{folder}: no .txt articles in this folder or its subfolders")
    if skipped:
        warnings.warn(_skipped_message(folder, skipped), SkippedFilesWarning, stacklevel=3)
    for article_id, path in files:
        yield {"article_id": _article_id(article_id, path), "text": _read_text(path, encoding),
               "_source": str(path)}


#: Why an entry of a folder corpus is not read: (singular, plural) descriptions and a note.
_SKIP_REASONS = {
    "extension": ("file without the .txt extension", "files without the .txt extension", ""),
    "hidden": ("hidden file", "hidden files", ""),
    "hidden folder": ("hidden folder", "hidden folders", ", not searched"),
    "link": ("link to a folder", "links to folders", ", not followed"),
    "special": ("'.txt' entry that is not a regular file", "'.txt' entries that are not regular files", ""),
}


def folder_files(folder: Path) -> tuple[list[tuple[str, Path]], dict[str, list[str]]]:
    """The articles of a folder corpus as ``(id, path)`` sorted by id, and what is not read.

    Subfolders are searched recursively. The id is the path relative to ``folder`` without
    ``.txt``, with ``/`` between folders (``sub/a.txt`` -> ``sub/a``; a top-level file's id is
    its stem). Not read, listed by reason (a key of ``_SKIP_REASONS``) with the relative
    paths: files with another extension, hidden files and folders (name starting with
    ``.``; a hidden folder is not searched), links to folders (not followed, so that a link
    cannot loop) and ``.txt`` entries that are not regular files. The root's
    ``metadata.csv`` is expected and not listed.
    """
    files: list[tuple[str, Path]] = []
    skipped: dict[str, list[str]] = {}
    pending = [(folder, "")]
    while pending:
        directory, prefix = pending.pop()
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            raise CorpusError(f"{directory}: cannot read ({exc.strerror})") from None
        for entry in entries:
            relative = prefix + entry.name
            reason = _skip_reason(entry, relative)
            if reason:
                skipped.setdefault(reason, []).append(relative)
            elif reason is None and entry.is_dir(follow_symlinks=False):
                pending.append((Path(entry.path), relative + "/"))
            elif reason is None:
                files.append((relative[: -len(".txt")], Path(entry.path)))
    files.sort(key=lambda item: item[0])
    return files, skipped


def _skip_reason(entry: os.DirEntry, relative: str) -> str | None:
    """Why ``entry`` is not read (a key of ``_SKIP_REASONS``), ``""`` for the root's
    ``metadata.csv``, or ``None`` for an article or a folder to search."""
    try:
        if entry.name.startswith("."):
            return "hidden folder" if entry.is_dir() else "hidden"
        if entry.is_dir(follow_symlinks=False):
            return None
        if entry.is_dir():
            return "link"
        if relative == "metadata.csv":
            return ""
        if not entry.name.endswith(".txt"):
            return "extension"
        return None if entry.is_file() else "special"
    except OSError:  # vanished or unreadable while listing
        return "special"


def _skipped_message(folder: Path, skipped: dict[str, list[str]]) -> str:
    """One line: how many entries were not read, and why, with up to two examples each."""
    total = sum(map(len, skipped.values()))
    parts = []
    for reason, (one, many, note) in _SKIP_REASONS.items():
        names = skipped.get(reason, [])
        if names:
            examples = ", ".join(repr(n) for n in names[:2]) + (", ..." if len(names) > 2 else "")
            parts.append(f"{len(names)} {one if len(names) == 1 else many} (e.g. {examples}){note}")
    return f"{folder}: {total} not read as articles (only .txt files are): " + "; ".join(parts)


def folder_of(article_id: str) -> str:
    """The first-level folder of a folder corpus's article (``Reuters/x`` -> ``Reuters``);
    ``""`` for a file at the corpus root."""
    folder, separator, _ = article_id.partition("/")
    return folder if separator else ""


# ---------------------------------------------------------------------------------------
# Hard-wrapped text

#: The end of a line that ends a sentence: . ! ? or … then any closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\Z")
#: At least this many inner lines (see :func:`looks_wrapped`) before text counts as wrapped.
WRAP_MIN_LINES = 4
#: The band of line lengths (characters) hard-wrapped lines fall in.
WRAP_BAND = (40, 100)


def _inner_lines(lines: list[str]) -> list[str]:
    """Non-blank lines followed by another non-blank line (the lines inside a paragraph),
    trailing whitespace removed."""
    return [line.rstrip() for line, after in pairwise(lines) if line.strip() and after.strip()]


def looks_wrapped(text: str) -> bool:
    """True when ``text`` looks hard-wrapped (lines broken at a fixed width).

    The rule looks at the *inner lines*: non-blank lines followed by another non-blank line
    (a line followed by a blank line, or the last line, ends a paragraph whatever the
    layout). Text is hard-wrapped when all of these hold:

    * it has at least ``WRAP_MIN_LINES`` (4) inner lines, i.e. at least 5 lines in
      paragraphs of two lines or more;
    * at most a third of the inner lines end a sentence (``.``, ``!``, ``?`` or ``…``,
      then any closing quotes or brackets): a wrapped line ends where the width ran out,
      a paragraph-per-line text ends nearly every line with a full stop;
    * at least three quarters of the inner lines are 40 to 100 characters long
      (``WRAP_BAND``), and at most one non-blank line in ten is longer than 100: wrapped
      text has no long lines, paragraph-per-line text mostly has.

    Text whose paragraphs are separated by blank lines, one paragraph per line, has no inner
    lines and is never taken for wrapped; nor are headings directly above a paragraph.
    """
    lines = text.split("\n")
    inner = _inner_lines(lines)
    if len(inner) < WRAP_MIN_LINES:
        return False
    low, high = WRAP_BAND
    ended = sum(1 for line in inner if _SENTENCE_END.search(line))
    in_band = sum(1 for line in inner if low <= len(line) <= high)
    non_blank = [line.rstrip() for line in lines if line.strip()]
    long_lines = sum(1 for line in non_blank if len(line) > high)
    return 3 * ended <= len(inner) and 4 * in_band >= 3 * len(inner) and 10 * long_lines <= len(non_blank)


def join_wrapped_lines(text: str) -> str:
    """Join the lines within each paragraph: every line break between two non-blank lines
    becomes a space. Blank lines (empty or only whitespace) separate paragraphs and stay,
    with the line breaks around them. The text keeps its length, so offsets into it match
    offsets into the original; a hyphen at a line end is kept (``Russian-`` + ``backed``
    becomes ``Russian- backed``)."""
    if "\n" not in text:
        return text
    lines = text.split("\n")
    parts = [lines[0]]
    for before, line in pairwise(lines):
        parts.append(" " if before.strip() and line.strip() else "\n")
        parts.append(line)
    return "".join(parts)


def unwrap(text: str, wrapped: str = "auto") -> str:
    """The text to store and score: ``text`` with its wrapped lines joined when ``wrapped``
    is ``"yes"``, or ``"auto"`` and :func:`looks_wrapped`; unchanged for ``"no"``."""
    if wrapped == "yes" or (wrapped == "auto" and looks_wrapped(text)):
        return join_wrapped_lines(text)
    return text


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


def iter_articles(path: str | Path, encoding: str = "utf-8", wrapped: str = "auto",
                  stats: dict | None = None) -> Iterator[dict]:
    """Yield one dict per article (``article_id``, ``text``, metadata) in input order
    (a folder's articles sorted by id).

    ``wrapped`` (``"auto"``, ``"yes"`` or ``"no"``) says whose lines are joined within
    paragraphs before anything else sees the text; see :func:`unwrap`; ``stats['unwrapped']``
    counts the articles whose lines were joined. Metadata from a folder's ``metadata.csv``
    is not merged here; see :func:`load_corpus`.
    """
    if wrapped not in WRAPPED_CHOICES:
        raise ValueError(f"wrapped must be one of {', '.join(WRAPPED_CHOICES)}, not {wrapped!r}")
    stats = stats if stats is not None else {}
    stats.setdefault("unwrapped", 0)
    for record in _iter_records(Path(path), encoding):
        text = record["text"]
        record["text"] = unwrap(text, wrapped)
        if record["text"] is not text and record["text"] != text:
            stats["unwrapped"] += 1
        yield record


def _iter_records(path: Path, encoding: str) -> Iterator[dict]:
    """The articles of ``path`` as read, by input format."""
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
                    stats: dict | None = None, *, wrapped: str = "auto",
                    folder_meta: str | None = None) -> Iterator[pd.DataFrame]:
    """Yield DataFrames of at most ``batch_size`` articles, metadata merged, empties skipped.

    Checks duplicate ids and metadata ids that match no article while holding only one
    batch and the set of ids seen; skipped ids are appended to ``stats['skipped']``, and
    ``stats['unwrapped']`` counts the articles whose hard-wrapped lines were joined.
    ``wrapped`` is passed to :func:`iter_articles`. ``folder_meta`` names a metadata column
    that a folder corpus fills with each article's first-level folder (:func:`folder_of`;
    ``""`` at the root); a non-empty value for it in ``metadata.csv`` wins.
    """
    path = Path(path)
    _check_folder_meta(path, folder_meta)
    meta = None
    if path.is_dir() and (path / "metadata.csv").exists():
        meta = read_metadata(path / "metadata.csv", encoding).set_index("article_id")
        # a folder's ids are its files' relative paths: check them before any scoring is done
        ids = {article_id for article_id, _ in folder_files(path)[0]}
        unknown = sorted(set(meta.index) - ids)
        if ids and unknown:
            raise CorpusError(f"{path / 'metadata.csv'}: id {unknown[0]!r} matches no article in {path}")
    stats = stats if stats is not None else {}
    stats.setdefault("skipped", [])
    seen: dict[str, str] = {}
    batch: list[dict] = []
    for record in iter_articles(path, encoding, wrapped, stats):
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
        if folder_meta is not None and not record.get(folder_meta):
            record[folder_meta] = folder_of(article_id)
        batch.append(record)
        if len(batch) >= batch_size:
            yield _frame(batch, meta, folder_meta)
            batch = []
    if batch:
        yield _frame(batch, meta, folder_meta)
    if meta is not None:
        unknown = sorted(set(meta.index) - set(seen))
        if unknown:
            raise CorpusError(f"{path / 'metadata.csv'}: id {unknown[0]!r} matches no article in {path}")
    if len(seen) == len(stats["skipped"]):
        raise CorpusError(f"{path}: the corpus has no non-empty articles")


def _check_folder_meta(path: Path, folder_meta: str | None) -> None:
    """Reject a folder-metadata column name that cannot work, naming the corpus."""
    if folder_meta is None:
        return
    if not folder_meta.strip() or folder_meta in ("article_id", "id", "text") or any(
            ch in _LINE_BREAKS for ch in folder_meta):
        raise CorpusError(f"{path}: {folder_meta!r} cannot name the folder metadata column")
    if path.exists() and not path.is_dir():
        raise CorpusError(f"{path}: folder metadata ({folder_meta!r}) needs a folder corpus, not a file")


def _frame(batch: list[dict], meta: pd.DataFrame | None, folder_meta: str | None = None) -> pd.DataFrame:
    """A batch as a DataFrame: ``article_id``, ``text``, then the metadata columns; the
    folder-metadata column comes last unless ``metadata.csv`` has it."""
    frame = pd.DataFrame.from_records(batch)
    if meta is not None:
        for column in meta.columns:
            if column not in frame:
                frame[column] = ""
    last = [folder_meta] if folder_meta is not None and (meta is None or folder_meta not in meta.columns) else []
    columns = ["article_id", "text"] + [c for c in frame.columns if c not in ("article_id", "text", *last)]
    return frame[columns + last].fillna("")


def load_corpus(path: str | Path, encoding: str = "utf-8", *, wrapped: str = "auto",
                folder_meta: str | None = None) -> pd.DataFrame:
    """Load a corpus into a DataFrame with ``article_id``, ``text`` and metadata columns.

    Rows are sorted by ``article_id`` so results never depend on the order in which files
    are listed. Empty or whitespace-only articles are skipped with an
    :class:`EmptyArticleWarning` naming them; their ids are kept in ``df.attrs['skipped']``.
    ``wrapped`` and ``folder_meta`` are as in :func:`article_batches`.
    """
    stats: dict = {}
    batches = article_batches(path, encoding, BATCH_SIZE, stats, wrapped=wrapped, folder_meta=folder_meta)
    articles = pd.concat(list(batches), ignore_index=True)
    articles = articles.fillna("").sort_values("article_id", kind="stable").reset_index(drop=True)
    articles.attrs["skipped"] = stats["skipped"]
    articles.attrs["unwrapped"] = stats["unwrapped"]
    articles.attrs["source"] = str(path)
    return articles
