"""Coding: draw a blind sample of evidence units, and hand-code it one unit at a time.

A **unit** is one evidence row of a study (``evidence.csv``): a sentence x another
country, for the study's target. Its ``unit_id`` is ``ARTICLE:SENTENCE:TARGET:COUNTRY``
(e.g. ``000_14d0731b4b4fb936:10:RUS:VEN``), stable across runs on the same corpus.

:func:`draw_sample` takes a stratified random sample (strata: the system's label and the
country by default). Each stratum gets an equal share of the sample, or all its units if
it has fewer, so rare labels and countries are over-sampled; every unit's **weight** is the
inverse of its inclusion probability, ``N_h / n_h`` (units in its stratum / units drawn
from it), so that weighted agreement estimates agreement over the whole corpus. The
sample is written as two files (:func:`write_sample`):

* the **coding sheet** (``coding.csv``), which is all a coder sees: ``unit_id, article_id,
  sentence_id, target, country, target_text, country_text, previous, sentence``
  (``target_text``/``country_text``: the words that refer to them in the sentence; the
  previous sentence of the article for context). It is blind: no system label, stance,
  cue or explanation, and its rows are shuffled so the strata do not show;
* the **sample sidecar** (``coding.sample.csv``, next to the sheet), for the analyst:
  ``unit_id, stratum, population, sampled, weight, seed, target, results`` plus the
  strata columns. ``results`` is the path of the results folder, relative to the
  sidecar's own folder (so that a study folder can move), which ``framing agreement``
  and ``framing train-stance-model --extra`` read (:func:`sample_results`).

A **coded file** has the columns ``unit_id, coder, stance`` and optionally ``note``;
``stance`` is an integer from -2 to 2, or empty for "not a reference" (the sentence does
not refer to the target and the country in the codebook's sense). :func:`save_code`
writes one code at a time atomically (a temporary file, flushed to disk, then
``os.replace``), so an interrupted session leaves the file as it was after the last
completed code. :func:`read_coded` reads and checks a coded file for ``framing agreement``.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["CodingFileError", "CodingSession", "codebook_html", "codebook_sections", "draw_sample", "highlight",
           "load_codes", "load_sheet", "make_unit_id", "next_unit", "parse_unit_id", "read_coded",
           "sample_path", "save_code", "unit_html", "write_sample"]

SHEET_COLUMNS = ["unit_id", "article_id", "sentence_id", "target", "country", "target_text", "country_text",
                 "previous", "sentence"]
CODED_COLUMNS = ["unit_id", "coder", "stance", "note"]
STANCES = (-2, -1, 0, 1, 2)
#: ``--by`` names and the evidence.csv column each stratifies on
STRATA = {"label": "stance_label", "country": "country", "link": "link", "article": "article_id"}


class CodingFileError(ValueError):
    """A coding sheet or coded file that cannot be used; the message names the file and row."""


def make_unit_id(article_id, sentence_id, target: str, country: str) -> str:
    return f"{article_id}:{int(sentence_id)}:{target}:{country}"


def parse_unit_id(unit_id: str) -> tuple[str, int, str, str]:
    """``(article_id, sentence_id, target, country)`` of a unit id (the article id may hold colons)."""
    parts = str(unit_id).rsplit(":", 3)
    if len(parts) != 4 or not parts[1].isdigit():
        raise ValueError(f"{unit_id!r} is not a unit id (ARTICLE:SENTENCE:TARGET:COUNTRY)")
    return parts[0], int(parts[1]), parts[2], parts[3]


def sample_path(sheet) -> Path:
    """The sidecar of a coding sheet: ``coding.csv`` -> ``coding.sample.csv``."""
    sheet = Path(sheet)
    return sheet.with_name(sheet.stem + ".sample.csv")


# ------------------------------------------------------------------------------ sample


def _read(path: Path, columns) -> pd.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; run `framing score CORPUS --out {path.parent}` first")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: no column {missing[0]!r}; is it a `framing score` output?")
    return table


def results_target(results) -> str:
    """The study's target: the one country every target sentence of ``sentences.csv`` names."""
    from .report import target_of

    target = target_of(_read(Path(results) / "sentences.csv", ["countries", "target_mentioned"]))
    if target is None:
        raise ValueError(f"{Path(results) / 'sentences.csv'}: cannot tell the target; pass --target")
    return target


def _allocate(sizes: list[int], n: int) -> list[int]:
    """Equal allocation capped by stratum size: each stratum gets ``min(N_h, c)``; what a
    small stratum cannot take is shared among the others; a remainder of one unit each
    goes to the largest strata that still have units (ties: in stratum order)."""
    sizes = np.asarray(sizes, dtype=int)
    if n >= sizes.sum():
        return sizes.tolist()
    take = np.zeros(len(sizes), dtype=int)
    left = n
    while left > 0:
        open_ = np.flatnonzero(take < sizes)
        share = left // len(open_)
        if share == 0:
            order = sorted(open_, key=lambda i: (-(sizes[i] - take[i]), i))
            for i in order[:left]:
                take[i] += 1
            break
        add = np.minimum(sizes[open_] - take[open_], share)
        take[open_] += add
        left -= int(add.sum())
    return take.tolist()


def draw_sample(results, n: int = 200, seed: int = 0, by=("label", "country"),
                target: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A stratified random sample of ``n`` evidence units of ``results``: the coding sheet and
    its sidecar (see the module docstring). The same results, ``n``, ``seed`` and ``by``
    give the same sample."""
    results = Path(results)
    by = [b.strip() for b in (by.split(",") if isinstance(by, str) else by) if b.strip()]
    unknown = [b for b in by if b not in STRATA]
    if unknown:
        raise ValueError(f"--by {unknown[0]!r}: choose from {', '.join(STRATA)}")
    if n < 1:
        raise ValueError(f"--n must be at least 1, not {n}")
    evidence = _read(results / "evidence.csv", ["article_id", "sentence_id", "country", "stance_label", "link"])
    sentences = _read(results / "sentences.csv", ["article_id", "sentence_id", "text"])
    mentions = _read(results / "mentions.csv", ["article_id", "sentence_id", "text", "country"])
    target = target or results_target(results)
    if evidence.empty:
        raise ValueError(f"{results / 'evidence.csv'}: no evidence units to sample")
    evidence = evidence.assign(unit_id=[make_unit_id(a, s, target, c) for a, s, c in
                                        zip(evidence["article_id"], evidence["sentence_id"], evidence["country"])])
    evidence = evidence.drop_duplicates("unit_id").sort_values("unit_id", kind="stable").reset_index(drop=True)
    columns = [STRATA[b] for b in by]
    evidence["stratum"] = evidence[columns].agg("|".join, axis=1) if columns else "all"
    groups = sorted(evidence.groupby("stratum").groups.items())
    take = _allocate([len(ix) for _, ix in groups], n)
    rng = np.random.default_rng(seed)
    rows = []
    for (stratum, index), k in zip(groups, take):
        index = np.sort(np.asarray(index))
        chosen = rng.choice(index, size=k, replace=False) if k < len(index) else index
        part = evidence.loc[np.sort(chosen)].assign(population=len(index), sampled=k)
        rows.append(part)
    drawn = pd.concat(rows, ignore_index=True)
    drawn["weight"] = drawn["population"] / drawn["sampled"]
    drawn = drawn.iloc[rng.permutation(len(drawn))].reset_index(drop=True)  # the sheet's order: random

    # the sheet: sentence, previous sentence, and the words for target and country
    sentences = sentences.assign(sentence_id=sentences["sentence_id"].astype(int))
    text = sentences.set_index(["article_id", "sentence_id"])["text"]
    words = (mentions.assign(sentence_id=mentions["sentence_id"].astype(int))
             .groupby(["article_id", "sentence_id", "country"])["text"]
             .agg(lambda t: ";".join(dict.fromkeys(t))))
    sids = drawn["sentence_id"].astype(int)
    sheet = pd.DataFrame({
        "unit_id": drawn["unit_id"], "article_id": drawn["article_id"], "sentence_id": sids,
        "target": target, "country": drawn["country"],
        "target_text": [words.get((a, s, target), "") for a, s in zip(drawn["article_id"], sids)],
        "country_text": [words.get((a, s, c), "") for a, s, c in zip(drawn["article_id"], sids, drawn["country"])],
        "previous": [text.get((a, s - 1), "") for a, s in zip(drawn["article_id"], sids)],
        "sentence": [text.get((a, s), "") for a, s in zip(drawn["article_id"], sids)],
    })
    sidecar = drawn[["unit_id", "stratum", *columns, "population", "sampled", "weight"]].assign(
        seed=seed, target=target, results=str(results.resolve()))
    return sheet, sidecar


def write_sample(results, out, n: int = 200, seed: int = 0, by=("label", "country"),
                 target: str | None = None) -> tuple[Path, Path, pd.DataFrame]:
    """Draw the sample and write the sheet to ``out`` and the sidecar next to it (both
    atomically). Returns the two paths and the sidecar."""
    from .output import write_csv

    sheet, sidecar = draw_sample(results, n, seed, by, target)
    out = Path(out)
    if out.suffix.lower() != ".csv":
        raise ValueError(f"{out}: the coding sheet must be a .csv file")
    if not out.parent.is_dir():
        raise FileNotFoundError(f"{out.parent}: no such folder")
    side = sample_path(out)
    try:
        sidecar["results"] = os.path.relpath(Path(sidecar["results"].iloc[0]), out.parent.resolve())
    except ValueError:  # another drive (Windows): keep the absolute path
        pass
    write_csv(sheet, out)
    write_csv(sidecar, side)
    return out, side, sidecar


def read_sample(path) -> pd.DataFrame:
    """A sample sidecar, with the column ``sample_file`` (its own path) added."""
    return pd.read_csv(path, dtype=str, keep_default_na=False).assign(sample_file=str(path))


def sample_results(side: pd.DataFrame | None) -> Path | None:
    """The results folder a sample sidecar names (a relative path is taken from the
    sidecar's folder), or None."""
    if side is None or "results" not in side.columns or not len(side):
        return None
    folder = Path(side["results"].iloc[0])
    if not folder.is_absolute() and "sample_file" in side.columns:
        folder = Path(side["sample_file"].iloc[0]).resolve().parent / folder
    return folder


# ------------------------------------------------------------------------------ coding


def load_sheet(path) -> pd.DataFrame:
    """A coding sheet (:data:`SHEET_COLUMNS`), as text."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such coding sheet; make one with `framing sample RESULTS --out {path}`")
    sheet = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in SHEET_COLUMNS if c not in sheet.columns]
    if missing:
        raise CodingFileError(f"{path}: not a coding sheet (no column {missing[0]!r})")
    return sheet


def load_codes(path) -> pd.DataFrame:
    """The codes saved so far in a coder's file (:data:`CODED_COLUMNS`), empty if there is none."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        return pd.DataFrame(columns=CODED_COLUMNS)
    codes = pd.read_csv(path, dtype=str, keep_default_na=False)
    return codes.reindex(columns=CODED_COLUMNS, fill_value="")


def _check_stance(stance) -> str:
    if stance is None or (isinstance(stance, float) and np.isnan(stance)) or stance == "":
        return ""
    value = int(stance)
    if value not in STANCES or value != float(stance):
        raise ValueError(f"stance must be an integer from -2 to 2 or empty (not a reference), not {stance!r}")
    return str(value)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder, flushed to disk, then os.replace."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_code(path, unit_id: str, coder: str, stance, note: str = "") -> pd.DataFrame:
    """Record ``coder``'s code of ``unit_id`` in the coded file ``path`` (replacing an earlier
    code of the same unit by the same coder) and return the file's codes.

    ``stance``: -2..2, or None / "" for "not a reference". The whole file is rewritten
    atomically, so it always holds every code saved before, and this one or not."""
    from .output import csv_bytes

    path = Path(path)
    coder = str(coder).strip()
    if not coder:
        raise ValueError("a coder name is needed")
    stance = _check_stance(stance)
    codes = load_codes(path)
    codes = codes[~((codes["unit_id"] == unit_id) & (codes["coder"] == coder))]
    row = pd.DataFrame([{"unit_id": str(unit_id), "coder": coder, "stance": stance, "note": str(note or "")}])
    codes = pd.concat([codes, row], ignore_index=True)[CODED_COLUMNS]
    _write_atomic(path, csv_bytes(codes.astype(str)))
    return codes


def next_unit(sheet: pd.DataFrame, codes: pd.DataFrame, coder: str) -> int | None:
    """Position in ``sheet`` of the first unit ``coder`` has not coded yet; None when done."""
    done = set(codes.loc[codes["coder"] == coder, "unit_id"])
    for position, unit_id in enumerate(sheet["unit_id"]):
        if unit_id not in done:
            return position
    return None


def highlight(sentence: str, marks: dict[str, str]) -> str:
    """``sentence`` as HTML (escaped) with each ``;``-separated phrase in ``marks`` (phrase
    list -> CSS class) wrapped in ``<mark class=...>``; longer phrases win overlaps."""
    spans = []
    for phrases, css in marks.items():
        for phrase in sorted({p for p in str(phrases).split(";") if p}, key=len, reverse=True):
            for m in re.finditer(re.escape(phrase), sentence):
                spans.append((m.start(), m.end(), css))
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out, at = [], 0
    for start, end, css in spans:
        if start < at:
            continue
        out.append(html.escape(sentence[at:start]))
        out.append(f'<mark class="{css}">{html.escape(sentence[start:end])}</mark>')
        at = end
    out.append(html.escape(sentence[at:]))
    return "".join(out)


def _country_name(code: str) -> str:
    from .countries import country_name

    try:
        return country_name(code)
    except (KeyError, LookupError, ValueError):
        return code


_STYLE = ("<style>.framing-unit mark.target{background:#F4CDA5}.framing-unit mark.country{background:#BFD9EE}"
          ".framing-unit .previous{color:#666}</style>")


def unit_html(row, position: int | None = None, total: int | None = None) -> str:
    """One unit as an HTML card: the question, the previous sentence in grey, and the sentence
    with the target (orange) and the country (blue) highlighted. All text is escaped."""
    target, country = _country_name(row["target"]), _country_name(row["country"])
    head = f"Unit {position + 1} of {total}: " if position is not None and total else ""
    previous = html.escape(row["previous"]) if row["previous"] else "<i>(first sentence of the article)</i>"
    sentence = highlight(row["sentence"], {row["target_text"]: "target", row["country_text"]: "country"})
    return (f'{_STYLE}<div class="framing-unit"><p><b>{html.escape(head)}How does the text portray '
            f'<mark class="target">{html.escape(target)}</mark> in its dealings with '
            f'<mark class="country">{html.escape(country)}</mark>?</b> '
            f'<small>({html.escape(row["unit_id"])})</small></p>'
            f'<p class="previous">{previous}</p><p>{sentence}</p></div>')


def codebook_sections(path, numbers=("0", "1", "2", "3")) -> dict[str, str]:
    """The codebook's ``##`` sections whose titles start with ``numbers`` (with their
    ``###`` subsections), title -> markdown text."""
    text = Path(path).read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.M)[1:]
    out = {}
    for part in parts:
        title, _, body = part.partition("\n")
        if title.split(".")[0].strip() in numbers:
            out[title.strip()] = body.strip()
    return out


def codebook_html(codebook: dict[str, str]) -> str:
    """The codebook sections as collapsed HTML ``<details>`` blocks (text escaped)."""
    return "".join(f"<details><summary>Codebook {html.escape(title)}</summary>"
                   f"<pre style='white-space:pre-wrap'>{html.escape(text)}</pre></details>"
                   for title, text in codebook.items())


class CodingSession:
    """One coder working through a sheet: the current unit, and a code that is saved, then
    moves on. Re-created on the same files, it resumes at the first uncoded unit."""

    def __init__(self, sheet, out, coder: str):
        self.sheet_path, self.out = Path(sheet), Path(out)
        self.sheet = load_sheet(sheet)
        self.coder = str(coder).strip()
        if not self.coder:
            raise ValueError("a coder name is needed")
        self.codes = load_codes(out)
        self.position = next_unit(self.sheet, self.codes, self.coder)

    @property
    def done(self) -> int:
        ids = set(self.sheet["unit_id"])
        return int(self.codes.loc[self.codes["coder"] == self.coder, "unit_id"].isin(ids).sum())

    @property
    def total(self) -> int:
        return len(self.sheet)

    def current(self):
        return None if self.position is None else self.sheet.iloc[self.position]

    def html(self) -> str:
        row = self.current()
        if row is None:
            return f"<p><b>All {self.total} units are coded by {html.escape(self.coder)}.</b></p>"
        return unit_html(row, self.position, self.total)

    def code(self, stance, note: str = "") -> None:
        """Save the code of the current unit, then go to the next uncoded one."""
        row = self.current()
        if row is None:
            return
        self.codes = save_code(self.out, row["unit_id"], self.coder, stance, note)
        self.position = next_unit(self.sheet, self.codes, self.coder)

    def widget(self, codebook: dict[str, str] | None = None):
        """The ipywidgets interface: the unit, the codebook in an accordion, buttons -2..+2 and
        "not a reference", a note field, and the progress."""
        import ipywidgets as w

        card = w.HTML(self.html())
        note = w.Text(placeholder="note (optional)", layout=w.Layout(width="60%"))
        status = w.HTML()

        def refresh():
            card.value = self.html()
            status.value = f"{self.done} of {self.total} coded by {html.escape(self.coder)}; saved to {html.escape(self.out.name)}"

        def press(value):
            def handler(_):
                self.code(value, note.value)
                note.value = ""
                refresh()
            return handler

        labels = {-2: "−2 strongly against", -1: "−1 against", 0: "0 neutral", 1: "+1 favour",
                  2: "+2 strongly favour", None: "not a reference"}
        buttons = []
        for value, text in labels.items():
            b = w.Button(description=text, layout=w.Layout(width="auto"))
            b.on_click(press(value))
            buttons.append(b)
        parts = [card, w.HBox(buttons), note, status]
        if codebook:
            acc = w.Accordion(children=[w.HTML(f"<pre style='white-space:pre-wrap'>{html.escape(t)}</pre>")
                                        for t in codebook.values()])
            for i, title in enumerate(codebook):
                acc.set_title(i, title)
            acc.selected_index = None
            parts.insert(1, acc)
        refresh()
        return w.VBox(parts)


# --------------------------------------------------------------------------- coded files


def read_coded(path) -> pd.DataFrame:
    """A coded file, checked: ``unit_id, coder, stance`` (float, NaN for not a reference),
    ``note``, ``file`` and ``row`` (as a spreadsheet numbers it, the header being row 1).

    Raises :class:`CodingFileError` naming the file and row of an empty file, a missing
    column, an empty coder or unit id, a code outside -2..2, or a unit coded twice by the
    same coder."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise CodingFileError(f"{path}: the file is empty (expected the columns unit_id, coder, stance)")
    try:
        codes = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CodingFileError(f"{path}: not a readable CSV file ({exc})".splitlines()[0]) from None
    for column in ("unit_id", "coder", "stance"):
        if column not in codes.columns:
            raise CodingFileError(f"{path}: row 1: no {column!r} column (a coded file has unit_id, coder, stance[, note])")
    if codes.empty:
        raise CodingFileError(f"{path}: the file has a header but no codes")
    codes = codes.assign(file=str(path), row=np.arange(len(codes)) + 2)
    values = []
    for value, row in zip(codes["stance"].str.strip(), codes["row"]):
        try:
            values.append(float(_check_stance(value)) if value else np.nan)
        except ValueError:
            raise CodingFileError(f"{path}: row {row}: stance {value!r} is not on the scale "
                                  "(-2, -1, 0, 1, 2, or empty for not a reference)") from None
    codes["stance"] = values
    for column in ("unit_id", "coder"):
        codes[column] = codes[column].str.strip()
        empty = codes[codes[column] == ""]
        if len(empty):
            raise CodingFileError(f"{path}: row {empty['row'].iloc[0]}: empty {column}")
    dup = codes[codes.duplicated(["unit_id", "coder"])]
    if len(dup):
        r = dup.iloc[0]
        raise CodingFileError(f"{path}: row {r['row']}: {r['coder']} coded {r['unit_id']} twice")
    if "note" not in codes.columns:
        codes["note"] = ""
    return codes[["unit_id", "coder", "stance", "note", "file", "row"]]
