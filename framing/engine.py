"""Engine: score a corpus of any size in batches, on one machine or on a Dask cluster.

Articles are read one at a time (:func:`framing.corpus.iter_articles`), grouped into
batches, and each batch goes through :func:`framing.pipeline.analyze`, which needs
nothing beyond the batch: every aggregate is per article (the bootstrap is seeded per
group), so a batch's rows do not depend on which other articles share its batch. Each
batch comes back as CSV bytes and is appended to temporary files in the output folder;
memory therefore stays flat as the corpus grows. At the end the files are put in article
order (input that arrives sorted, such as a folder, needs no reordering) and renamed into
place, so an interrupted run leaves the previous outputs untouched.

Engines: ``local`` with ``jobs=1`` (in process) or ``jobs=N`` (a process pool), and
``dask`` (``dask.bag`` over the batches on a ``distributed`` cluster). All give the same
bytes, because batches are formed the same way and results are written in batch order.

Corpus-wide summaries (``corpus_countries.csv``) are computed afterwards by reading the written
``evidence.csv`` in chunks, not from anything held in memory.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import tempfile
import threading
from array import array
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import countries
from .corpus import BATCH_SIZE, CorpusError, article_batches
from .output import csv_bytes, prepare_folder, signals_deferred, write_temp

TABLES = ("sentences", "mentions", "evidence", "scores", "articles", "cues")
SUMMARY_COLUMNS = ["country", "articles", "target_sentences", "stance", "stance_label",
                   "against", "neutral", "favour"]


@dataclass
class BatchResult:
    """CSV bytes of one batch: per table, the header and the body, plus row counts per article."""

    article_ids: list[str]
    headers: dict[str, bytes]
    bodies: dict[str, bytes]
    rows_per_article: dict[str, list[int]]
    counts: dict[str, int] = field(default_factory=dict)


def score_batch(articles: pd.DataFrame, target: str, stance_model: str | None = None) -> BatchResult:
    """Score one batch and serialise its tables (runs in worker processes too).

    ``stance_model``: the path of a stance model .npz (default: the shipped one)."""
    from .pipeline import analyze

    # A batch makes hundreds of thousands of short-lived container objects (cue hits,
    # interactions, feature rows), which reference counting frees; the cycle collector's
    # passes over them found nothing and cost 5-10% of the batch. It is paused for the
    # batch (whose memory is bounded by the batch size) and resumes after it.
    paused = gc.isenabled()
    gc.disable()
    try:
        articles = articles.sort_values("article_id", kind="stable").reset_index(drop=True)
        result = analyze(articles, target=target, stance_model=_load_stance_model(stance_model))
        ids = list(articles["article_id"])
        headers, bodies, rows = {}, {}, {}
        tables = result.tables()
        for name, table in tables.items():
            data = csv_bytes(table)
            header, _, body = data.partition(b"\n")
            headers[name], bodies[name] = header + b"\n", body
            per_article = Counter(table["article_id"].tolist())
            rows[name] = [per_article.get(a, 0) for a in ids]
        counts = {name: len(table) for name, table in tables.items()}
    finally:
        if paused:
            gc.enable()
    return BatchResult(ids, headers, bodies, rows, counts)


class TableWriter:
    """Appends batches to temporary CSVs in the output folder; ``finish`` puts them in place."""

    def __init__(self, folder: Path):
        self.folder = prepare_folder(folder)
        self.files, self.handles = {}, {}
        for name in TABLES:
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.csv.", suffix=".tmp", dir=self.folder)
            self.files[name] = Path(tmp)
            self.handles[name] = os.fdopen(fd, "wb")
        self.ids: list[str] = []
        self.offsets = {name: array("q") for name in TABLES}  # byte offset of each article's rows
        self.header_written = False
        self.sorted = True
        self.closed = False
        self.counts = {name: 0 for name in TABLES}

    def write(self, batch: BatchResult) -> None:
        if self.ids and batch.article_ids and batch.article_ids[0] < self.ids[-1]:
            self.sorted = False
        for name in TABLES:
            handle = self.handles[name]
            if not self.header_written:
                handle.write(batch.headers[name])
            start = handle.tell()
            body = batch.bodies[name]
            # byte offset of each article's first row: rows are single lines (no field holds
            # a line break: sentences are split at line breaks, metadata is normalised)
            line_ends = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == 10) + 1
            first_rows = np.concatenate([[0], np.cumsum(batch.rows_per_article[name])[:-1]])
            starts = np.concatenate([[0], line_ends])[first_rows] + start
            self.offsets[name].extend(int(s) for s in starts)
            handle.write(body)
            self.counts[name] += batch.counts.get(name, 0)
        self.header_written = True
        self.ids.extend(batch.article_ids)

    def abort(self) -> None:
        for handle in self.handles.values():
            handle.close()
        for tmp in self.files.values():
            tmp.unlink(missing_ok=True)

    def close(self) -> None:
        """Stop appending and put the rows in article order; the files stay temporary."""
        if self.closed:
            return
        if len(set(self.ids)) != len(self.ids):  # pragma: no cover - guarded by article_batches
            raise CorpusError("duplicate article ids across batches")
        for name in TABLES:
            self.handles[name].close()
        if not self.sorted:
            self._reorder()
        self.closed = True

    def finish(self, extra: Mapping[str, bytes] | None = None) -> list[Path]:
        """Close, write ``extra`` (name -> CSV bytes) too, then rename every file into place.

        The renames run with SIGINT / SIGTERM held back, so the folder never holds a mix of
        this run's files and an earlier run's.
        """
        self.close()
        for name, data in (extra or {}).items():
            self.files[name] = write_temp(self.folder / f"{name}.csv", data)
        paths = []
        with signals_deferred():
            for name, tmp in self.files.items():
                final = self.folder / f"{name}.csv"
                os.chmod(tmp, 0o644)
                os.replace(tmp, final)
                paths.append(final)
        return paths

    def _reorder(self) -> None:
        order = sorted(range(len(self.ids)), key=self.ids.__getitem__)
        for name in TABLES:
            source = self.files[name]
            size = source.stat().st_size
            starts = list(self.offsets[name]) + [size]
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.csv.", suffix=".tmp", dir=self.folder)
            with open(source, "rb") as src, os.fdopen(fd, "wb") as dst:
                dst.write(src.readline())
                for i in order:
                    src.seek(starts[i])
                    dst.write(src.read(starts[i + 1] - starts[i]))
            source.unlink()
            self.files[name] = Path(tmp)


def _init_worker() -> None:  # pragma: no cover - runs in child processes
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # a forked worker inherits the parent's SIGTERM handler; Pool.terminate() needs the default
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived during :func:`score_corpus`; the run cleans up as on Ctrl-C."""

    signum = signal.SIGTERM


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """For the duration of a run, turn SIGTERM into :class:`Terminated` (a KeyboardInterrupt).

    Python's default for SIGTERM ends the process without unwinding, which would leave the
    temporary files behind. The previous handler is restored afterwards.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Terminated(f"terminated by signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


@lru_cache(maxsize=2)
def _load_stance_model(path: str | None):
    """The stance model at ``path`` (loaded once per process), or None for the shipped one."""
    if path is None:
        return None
    from .stance_model import StanceModel

    return StanceModel.load(path)


def _score_batches(batches, target: str, jobs: int, engine: str, scheduler: str | None,
                   stance_model: str | None = None):
    if engine == "dask":
        yield from _dask_batches(batches, target, scheduler, stance_model=stance_model)
        return
    if jobs <= 1:
        for batch in batches:
            yield score_batch(batch, target, stance_model)
        return
    import multiprocessing
    from functools import partial

    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    with context.Pool(jobs, initializer=_init_worker) as pool:
        yield from pool.imap(partial(score_batch, target=target, stance_model=stance_model), batches, chunksize=1)


def _dask_batches(batches, target: str, scheduler: str | None, window: int = 64, stance_model: str | None = None):
    """Score batches on a Dask cluster, ``window`` batches in flight at a time, in order."""
    from dask.distributed import Client

    client = Client(scheduler) if scheduler else Client(processes=True, n_workers=2, threads_per_worker=1)
    try:
        pending = []
        for batch in batches:
            pending.append(client.submit(score_batch, batch, target, stance_model, pure=False))
            if len(pending) >= window:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()
    finally:
        client.close()


@dataclass
class RunSummary:
    out: Path
    target: str
    articles: int
    skipped: list[str]
    rows: dict[str, int]
    unwrapped: int = 0  # articles whose hard-wrapped lines were joined


def score_corpus(corpus, out, target: str = "RUS", *, jobs: int = 1, engine: str = "local",
                 scheduler: str | None = None, encoding: str = "utf-8",
                 batch_size: int = BATCH_SIZE, progress: bool | None = None,
                 wrapped: str = "auto", folder_meta: str | None = None,
                 stance_model: str | Path | None = None) -> RunSummary:
    """Score ``corpus`` into ``out`` (the five tables plus ``corpus_countries.csv``), streaming.

    ``wrapped`` and ``folder_meta`` are as in :func:`framing.corpus.article_batches`;
    ``stance_model`` is the path of a stance model .npz (default: the shipped one).
    """
    target = countries.resolve_code(target)
    if stance_model is not None:
        stance_model = str(Path(stance_model).resolve())
        if not Path(stance_model).is_file():
            raise FileNotFoundError(f"{stance_model}: no such stance model")
        try:  # a bad file fails before any output is made
            _load_stance_model(stance_model)
        except ValueError:
            raise
        except Exception as exc:  # noqa: BLE001 - not an npz, or arrays missing
            raise ValueError(f"{stance_model}: not a stance model .npz ({type(exc).__name__}: {exc})") from None
    if engine not in ("local", "dask"):
        raise ValueError(f"unknown engine {engine!r}; use 'local' or 'dask'")
    with _sigterm_raises():
        stats: dict = {}
        batches = article_batches(corpus, encoding, batch_size, stats, wrapped=wrapped,
                                  folder_meta=folder_meta)
        first = next(batches)  # input errors in the first batch surface before any file is made
        if engine == "local":
            # Import and load the model, lexicon and VADER before any file is made: forked
            # --jobs workers then share them, and an interrupt during the heavy imports
            # (where Python can turn it into an ImportError) comes before there is anything
            # to clean up.
            from .stance import load_resources

            load_resources()
        writer = TableWriter(Path(out))
        bar = _progress(progress)
        # Everything alive now (the model's vocabularies, the lexicons) lives as long as
        # the run: frozen, it is skipped by the collector's full passes (4% of run time
        # otherwise) and forked workers do not touch its pages. Unfrozen at the end.
        gc.freeze()
        try:
            for batch in _score_batches(_chain(first, batches), target, jobs, engine, scheduler, stance_model):
                writer.write(batch)
                bar.update(len(batch.article_ids))
            writer.close()
            # the summary comes from the temporary evidence file, so that all six files
            # are renamed into place together
            summary = corpus_summary(writer.files["evidence"], target)
            writer.finish({"corpus_countries": csv_bytes(summary)})
        except BaseException:
            with signals_deferred():  # a second Ctrl-C must not leave temporary files
                writer.abort()
            raise
        finally:
            bar.close()
            gc.unfreeze()
    return RunSummary(Path(out), target, len(writer.ids), stats.get("skipped", []), writer.counts,
                      stats.get("unwrapped", 0))


def _chain(first, rest):
    yield first
    yield from rest


def _progress(progress: bool | None):
    if progress is None:
        progress = sys.stderr.isatty()
    if progress:
        from tqdm import tqdm

        return tqdm(unit="article", file=sys.stderr)

    class _Silent:
        def update(self, n):
            pass

        def close(self):
            pass

    return _Silent()


def corpus_summary(evidence_csv: Path, target: str, chunksize: int = 200_000) -> pd.DataFrame:
    """Per country over the whole corpus, from the written evidence: articles, evidence
    sentences, mean stance and label counts. Reads the file in chunks."""
    from .stance import stance_label

    # [evidence rows, stance sum, against, neutral, favour, articles]; an article's rows
    # are contiguous in the file (each article is written by one batch), so counting the
    # changes of article id per country counts its articles without holding their ids.
    sums: dict[str, list] = {}
    last_article: dict[str, str] = {}
    for chunk in pd.read_csv(evidence_csv, chunksize=chunksize, keep_default_na=False,
                             usecols=["article_id", "country", "stance", "stance_label"],
                             dtype={"article_id": str, "country": str}):
        chunk["stance"] = pd.to_numeric(chunk["stance"])
        for country, group in chunk.groupby("country", sort=False):
            entry = sums.setdefault(country, [0, 0.0, 0, 0, 0, 0])
            entry[0] += len(group)
            entry[1] += float(group["stance"].sum())
            labels = group["stance_label"].value_counts()
            entry[2] += int(labels.get("against", 0))
            entry[3] += int(labels.get("neutral", 0))
            entry[4] += int(labels.get("favour", 0))
            ids = group["article_id"].to_numpy()
            changes = int((ids[1:] != ids[:-1]).sum()) + 1
            if last_article.get(country) == ids[0]:
                changes -= 1
            entry[5] += changes
            last_article[country] = ids[-1]
    rows = []
    for country in sorted(sums):
        n, total, against, neutral, favour, n_articles = sums[country]
        mean = total / n
        rows.append((country, n_articles, n, mean, stance_label(mean), against, neutral, favour))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def analyze_dask(corpus, target: str = "RUS", scheduler: str | None = None, *,
                 encoding: str = "utf-8", batch_size: int = BATCH_SIZE, wrapped: str = "auto",
                 folder_meta: str | None = None):
    """:func:`framing.analyze` on a Dask cluster: the same Result, computed batch by batch.

    ``scheduler`` is the address of a running ``distributed`` scheduler; ``None`` starts a
    local cluster for the call. The batches' DataFrames are gathered and concatenated in
    article order, so the result equals ``framing.analyze(corpus, target)``.
    """
    from dask.distributed import Client

    from .pipeline import Result, analyze

    target = countries.resolve_code(target)
    client = Client(scheduler) if scheduler else Client(processes=True, n_workers=2, threads_per_worker=1)
    try:
        if isinstance(corpus, pd.DataFrame):
            batches = [corpus.iloc[i:i + batch_size] for i in range(0, len(corpus), batch_size)]
        else:
            batches = article_batches(corpus, encoding, batch_size, wrapped=wrapped,
                                      folder_meta=folder_meta)
        futures = [client.submit(analyze, batch, target, pure=False) for batch in batches]
        parts = client.gather(futures)
    finally:
        client.close()
    tables = {}
    for name in ("articles", "sentences", "mentions", "evidence", "scores", "cues"):
        frame = pd.concat([getattr(part, name) for part in parts], ignore_index=True)
        tables[name] = frame.sort_values("article_id", kind="stable").reset_index(drop=True)
    return Result(target=target, **tables)
