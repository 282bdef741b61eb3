"""Labels: load and check a hand-labelled stance corpus (``data/stance/`` and its kin).

A stance corpus is a folder of three files (documented in ``docs/stance_corpus.md``):

``articles.jsonl``
    one article per line: ``id, text, outlet, genre, date, targets, split``
    (``targets``: ISO3 codes joined by ``;``; ``outlet``, ``genre`` and ``date`` may be
    empty when not known), plus optional fields such as ``topic``.
``unit_labels.csv``
    ``article_id, sentence_id, sentence, target, country, coder, stance``: one row per
    coder per unit, a unit being (sentence, target, other country). The adjudicated row
    has ``coder`` = ``gold``. ``sentence_id`` and ``sentence`` are those of
    :func:`framing.tokenize.sentences`.
``article_labels.csv``
    ``article_id, target, country, coder, stance``; ``country`` is empty for the
    article's overall label toward the target.

and optionally ``unit_tags.csv`` (``article_id, sentence_id, target, country, tags``:
the language phenomena of a unit, ``;``-joined).

:func:`load_stance_corpus` reads the folder and rejects anything the rest of the package
would trip over, with one :class:`StanceCorpusError` naming the file and the row (rows
are counted as a spreadsheet shows them: the header is row 1).
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .countries import resolve_code
from .tokenize import sentences as split_sentences

__all__ = [
    "GENRES",
    "SPLITS",
    "STANCES",
    "StanceCorpus",
    "StanceCorpusError",
    "load_stance_corpus",
    "stance_class",
]

GENRES = ("wire", "state", "analysis", "opinion", "regional")
#: train / dev / test for the composed corpus; dev / heldout kept from the v1 labels
SPLITS = ("train", "dev", "test", "heldout")
STANCES = (-2, -1, 0, 1, 2)
GOLD = "gold"

UNIT_COLUMNS = ["article_id", "sentence_id", "sentence", "target", "country", "coder", "stance"]
ARTICLE_COLUMNS = ["article_id", "target", "country", "coder", "stance"]
TAG_COLUMNS = ["article_id", "sentence_id", "target", "country", "tags"]
ARTICLE_FIELDS = ("id", "text", "outlet", "genre", "date", "targets", "split")
UNIT_KEY = ["article_id", "sentence_id", "target", "country"]
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class StanceCorpusError(ValueError):
    """A stance corpus file that cannot be used; the message names the file and row."""


@dataclass
class StanceCorpus:
    """The tables of a stance corpus (see the module docstring)."""

    articles: pd.DataFrame
    units: pd.DataFrame
    article_labels: pd.DataFrame
    tags: pd.DataFrame
    path: Path

    def gold_units(self) -> pd.DataFrame:
        """One row per unit: its gold stance and label, with the article's metadata."""
        gold = self.units[self.units["coder"] == GOLD].drop(columns="coder")
        meta = self.articles.drop(columns=["text", "targets"]).rename(columns={"id": "article_id"})
        out = gold.merge(meta, on="article_id", how="left")
        out["label"] = out["stance"].map(stance_class)
        if len(self.tags):
            out = out.merge(self.tags, on=UNIT_KEY, how="left")
            out["tags"] = out["tags"].fillna("")
        else:
            out["tags"] = ""
        return out.reset_index(drop=True)

    def coders(self) -> list[str]:
        """The coders of the units other than ``gold``, in order of first appearance."""
        return [c for c in pd.unique(self.units["coder"]) if c != GOLD]


def stance_class(score: int) -> str:
    """against (score < 0), neutral (0) or favour (> 0)."""
    return "against" if score < 0 else "favour" if score > 0 else "neutral"


def _code(value: str, where: str, what: str) -> str:
    """An ISO3 code exactly as written, or an error naming where it was found."""
    try:
        code = resolve_code(value)
    except (KeyError, ValueError, LookupError):
        code = None
    if code is None or code != value:
        raise StanceCorpusError(f"{where}: unknown {what} {value!r} (expected an ISO 3166 alpha-3 code)")
    return code


def _read_articles(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise StanceCorpusError(f"{path}: missing (a stance corpus needs articles.jsonl)")
    rows, seen = [], set()
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            where = f"{path}:{n}"
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise StanceCorpusError(f"{where}: not valid JSON ({e.msg})") from None
            if not isinstance(rec, dict):
                raise StanceCorpusError(f"{where}: a line must be a JSON object")
            missing = [k for k in ARTICLE_FIELDS if k not in rec]
            if missing:
                raise StanceCorpusError(f"{where}: missing field(s) {', '.join(missing)}")
            for k in ARTICLE_FIELDS:
                if not isinstance(rec[k], str):
                    raise StanceCorpusError(f"{where}: field {k!r} must be a string")
            if not rec["id"] or rec["id"] in seen:
                raise StanceCorpusError(f"{where}: {'empty' if not rec['id'] else 'duplicate'} id {rec['id']!r}")
            seen.add(rec["id"])
            if not rec["text"].strip():
                raise StanceCorpusError(f"{where}: empty text")
            if rec["genre"] and rec["genre"] not in GENRES:  # empty: not known
                raise StanceCorpusError(f"{where}: genre {rec['genre']!r} is not one of {', '.join(GENRES)}")
            if rec["split"] not in SPLITS:
                raise StanceCorpusError(f"{where}: split {rec['split']!r} is not one of {', '.join(SPLITS)}")
            if rec["date"] and not _DATE.fullmatch(rec["date"]):
                raise StanceCorpusError(f"{where}: date {rec['date']!r} is not YYYY-MM-DD")
            targets = rec["targets"].split(";") if rec["targets"] else []
            if not targets:
                raise StanceCorpusError(f"{where}: no targets")
            for t in targets:
                _code(t, where, "target")
            rows.append(rec)
    if not rows:
        raise StanceCorpusError(f"{path}: no articles")
    return pd.DataFrame(rows)


def _read_csv(path: Path, columns: list[str], optional: bool = False) -> pd.DataFrame:
    if not path.is_file():
        if optional:
            return pd.DataFrame(columns=columns)
        raise StanceCorpusError(f"{path}: missing")
    with path.open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f), None)
    if header is None:
        raise StanceCorpusError(f"{path}: empty file (expected the header {','.join(columns)})")
    missing = [c for c in columns if c not in header]
    if missing:
        raise StanceCorpusError(f"{path}: missing column(s) {', '.join(missing)}")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    frame.index = frame.index + 2  # spreadsheet row numbers: the header is row 1
    return frame


def _stance(frame: pd.DataFrame, path: Path) -> pd.Series:
    values = frame["stance"]
    ok = values.isin([str(s) for s in STANCES])
    if not ok.all():
        row = ok.idxmin()
        raise StanceCorpusError(f"{path}:{row}: stance {values[row]!r} is not an integer in -2..2")
    return values.astype(int)


def _check_codes(frame: pd.DataFrame, path: Path, columns, allow_empty=()) -> None:
    for col in columns:
        for row, value in frame[col].items():
            if value == "" and col in allow_empty:
                continue
            _code(value, f"{path}:{row}", col)


def _first_duplicate(frame: pd.DataFrame, key: list[str], path: Path, what: str) -> None:
    dup = frame.duplicated(key, keep="first")
    if dup.any():
        row = dup.idxmax()
        values = ", ".join(f"{k}={frame.at[row, k]}" for k in key)
        raise StanceCorpusError(f"{path}:{row}: duplicate {what} ({values})")


def _check_articles_known(frame: pd.DataFrame, path: Path, targets: dict) -> None:
    for row, (aid, target) in enumerate(zip(frame["article_id"], frame["target"])):
        where = f"{path}:{frame.index[row]}"
        if aid not in targets:
            raise StanceCorpusError(f"{where}: article {aid!r} is not in articles.jsonl")
        if target not in targets[aid]:
            raise StanceCorpusError(f"{where}: {target} is not a target of article {aid!r}")


def _missing_gold(frame: pd.DataFrame, key: list[str], path: Path) -> None:
    has_gold = frame.assign(g=frame["coder"] == GOLD).groupby(key, sort=False)["g"].transform("any")
    if not has_gold.all():
        row = (~has_gold).idxmax()
        values = ", ".join(f"{k}={frame.at[row, k]}" for k in key)
        raise StanceCorpusError(f"{path}:{row}: no gold row for ({values})")


def load_stance_corpus(path: str | Path) -> StanceCorpus:
    """Read and check a stance corpus folder; see the module docstring for the format.

    Raises :class:`StanceCorpusError` (naming the file and row) on: a missing file or
    column, malformed JSON, unknown ISO3 codes, unknown genres or splits, a sentence id or
    sentence text that no longer matches ``framing``'s sentence split, a stance outside
    -2..2, duplicate rows, a unit or article label without a gold row, or a label whose
    target is not one of its article's targets.
    """
    root = Path(path)
    if not root.is_dir():
        raise StanceCorpusError(f"{root}: not a folder (a stance corpus is a folder with articles.jsonl)")
    articles = _read_articles(root / "articles.jsonl")
    targets = {aid: set(t.split(";")) for aid, t in zip(articles["id"], articles["targets"])}

    upath = root / "unit_labels.csv"
    units = _read_csv(upath, UNIT_COLUMNS)
    units["stance"] = _stance(units, upath)
    _check_codes(units, upath, ["target", "country"])
    same = units["target"] == units["country"]
    if same.any():
        row = same.idxmax()
        raise StanceCorpusError(f"{upath}:{row}: country equals target ({units.at[row, 'target']})")
    _check_articles_known(units, upath, targets)
    bad_id = ~units["sentence_id"].str.fullmatch(r"\d+")
    if bad_id.any():
        row = bad_id.idxmax()
        raise StanceCorpusError(f"{upath}:{row}: sentence_id {units.at[row, 'sentence_id']!r} is not a number")
    units["sentence_id"] = units["sentence_id"].astype("int64")
    split = split_sentences(articles.rename(columns={"id": "article_id"})[["article_id", "text"]])
    text_of = dict(zip(zip(split["article_id"], split["sentence_id"]), split["text"]))
    for row, aid, sid, sentence in zip(units.index, units["article_id"], units["sentence_id"], units["sentence"]):
        actual = text_of.get((aid, sid))
        if actual is None:
            raise StanceCorpusError(f"{upath}:{row}: article {aid!r} has no sentence {sid} in framing's sentence split")
        if actual != sentence:
            raise StanceCorpusError(f"{upath}:{row}: sentence {aid}:{sid} no longer matches framing's sentence split "
                                    f"(labelled {sentence[:60]!r}, split gives {actual[:60]!r})")
    _first_duplicate(units, UNIT_KEY + ["coder"], upath, "unit label")
    empty_coder = units["coder"] == ""
    if empty_coder.any():
        raise StanceCorpusError(f"{upath}:{empty_coder.idxmax()}: empty coder")
    _missing_gold(units, UNIT_KEY, upath)

    apath = root / "article_labels.csv"
    alabels = _read_csv(apath, ARTICLE_COLUMNS)
    alabels["stance"] = _stance(alabels, apath)
    _check_codes(alabels, apath, ["target", "country"], allow_empty=("country",))
    _check_articles_known(alabels, apath, targets)
    _first_duplicate(alabels, ["article_id", "target", "country", "coder"], apath, "article label")
    _missing_gold(alabels, ["article_id", "target", "country"], apath)

    tpath = root / "unit_tags.csv"
    tags = _read_csv(tpath, TAG_COLUMNS, optional=True)
    if len(tags):
        tags["sentence_id"] = tags["sentence_id"].astype("int64")
        known = set(map(tuple, units[UNIT_KEY].drop_duplicates().to_numpy().tolist()))
        for row, key in zip(tags.index, map(tuple, tags[UNIT_KEY].to_numpy().tolist())):
            if key not in known:
                raise StanceCorpusError(f"{tpath}:{row}: tags for a unit that has no label {key}")
        _first_duplicate(tags, UNIT_KEY, tpath, "unit tags")
        tags = tags[TAG_COLUMNS]

    return StanceCorpus(
        articles=articles.reset_index(drop=True),
        units=units.reset_index(drop=True),
        article_labels=alabels.reset_index(drop=True),
        tags=tags.reset_index(drop=True),
        path=root,
    )


# ---------------------------------------------------------------------------
# the datasheet's tables, computed from the data

DATASHEET_START = "<!-- counts: generated by `python -m framing.labels data/stance --datasheet docs/stance_corpus.md` -->"
DATASHEET_END = "<!-- end of generated counts -->"
CLASSES = ("against", "neutral", "favour")


def _regions() -> dict[str, str]:
    from importlib import resources

    with resources.files("framing").joinpath("data", "regions.csv").open(encoding="utf-8") as f:
        table = pd.read_csv(f, dtype=str, keep_default_na=False)
    return dict(zip(table["iso3"], table["continent"]))


def _class_counts(frame: pd.DataFrame, by: str, order=None) -> pd.DataFrame:
    table = pd.crosstab(frame[by], frame["label"]).reindex(columns=list(CLASSES), fill_value=0)
    table["units"] = table.sum(axis=1)
    if "article_id" in frame.columns:
        table.insert(0, "articles", frame.groupby(by)["article_id"].nunique())
    for c in CLASSES:
        table[f"% {c}"] = (100 * table[c] / table["units"]).round(0).astype(int)
    if order is not None:
        table = table.reindex([o for o in order if o in table.index])
    else:
        table = table.sort_values("units", ascending=False)
    return table


def counts(corpus: StanceCorpus) -> dict[str, pd.DataFrame]:
    """The datasheet's count tables (units are gold-labelled (sentence, target, country) triples)."""
    gold = corpus.gold_units()
    regions = _regions()
    gold["region"] = gold["country"].map(regions).fillna("unknown")
    arts = corpus.articles
    out = {}
    overview = []
    for split in [s for s in SPLITS if s in set(arts["split"])] + ["all"]:
        a = arts if split == "all" else arts[arts["split"] == split]
        g = gold if split == "all" else gold[gold["split"] == split]
        row = {"split": split, "articles": len(a), "sentences with units": g[["article_id", "sentence_id"]].drop_duplicates().shape[0],
               "units": len(g)}
        for c in CLASSES:
            row[c] = int((g["label"] == c).sum())
            row[f"% {c}"] = round(100 * row[c] / max(1, len(g)))
        for s in STANCES:
            row[f"{s:+d}" if s else "0"] = int((g["stance"] == s).sum())
        overview.append(row)
    out["split"] = pd.DataFrame(overview).set_index("split")
    out["target"] = _class_counts(gold, "target")
    out["region"] = _class_counts(gold, "region")
    if "topic" in gold.columns:
        out["topic"] = _class_counts(gold, "topic")
    out["genre"] = _class_counts(gold, "genre")
    tags = gold.assign(phenomenon=gold["tags"].str.split(";")).explode("phenomenon")
    tags = tags[tags["phenomenon"].fillna("") != ""]
    if len(tags):
        out["phenomenon"] = _class_counts(tags, "phenomenon")
    countries = gold.groupby("region")["country"].nunique()
    out["countries"] = pd.DataFrame({"other countries": countries,
                                     "examples": gold.groupby("region")["country"].agg(
                                         lambda s: ", ".join(s.value_counts().index[:8]))})
    al = corpus.article_labels[corpus.article_labels["coder"] == GOLD].copy()
    al["label"] = al["stance"].map(stance_class)
    al["level"] = al["country"].map(lambda c: "overall (per target)" if c == "" else "article x country")
    al["split"] = al["article_id"].map(dict(zip(arts["id"], arts["split"])))
    out["article_labels"] = pd.crosstab([al["level"], al["split"]], al["label"]).reindex(columns=list(CLASSES), fill_value=0)
    return out


def agreement_table(corpus: StanceCorpus, table: str = "units", n: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Krippendorff's alpha between the corpus's coders (gold excluded), interval and nominal."""
    from .agreement import coder_agreement

    frame = corpus.units if table == "units" else corpus.article_labels
    key = UNIT_KEY if table == "units" else ["article_id", "target", "country"]
    coded = frame[frame["coder"] != GOLD]
    return coder_agreement(coded, key, n=n, seed=seed)


def _markdown(frame: pd.DataFrame) -> str:
    frame = frame.reset_index()
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def datasheet_counts(corpus: StanceCorpus) -> str:
    """The generated section of the datasheet: every count table and the coders' alpha."""
    parts = [DATASHEET_START, ""]
    titles = {"split": "Units and labels per split", "target": "Per target (the portrayed country)",
              "region": "Per region of the other country", "countries": "Other countries per region",
              "topic": "Per topic", "genre": "Per genre", "phenomenon": "Per phenomenon (a unit may have several)",
              "article_labels": "Article labels"}
    tables = counts(corpus)
    for name, title in titles.items():
        if name in tables:
            parts += [f"**{title}**", "", _markdown(tables[name]), ""]
    if len(corpus.coders()) >= 2:
        for table, title in (("units", "unit labels"), ("articles", "article labels")):
            alpha = agreement_table(corpus, table)
            parts += [f"**Agreement between the coders, {title}** (Krippendorff's alpha, 95% bootstrap "
                      "interval over 1,000 resamples of units, seed 0)", "", _markdown(alpha.set_index("level")), ""]
        split = dict(zip(corpus.articles["id"], corpus.articles["split"]))
        rows = []
        for name in [s for s in SPLITS if s in set(split.values())]:
            part = StanceCorpus(corpus.articles, corpus.units[corpus.units["article_id"].map(split) == name],
                                corpus.article_labels, corpus.tags, corpus.path)
            alpha = agreement_table(part, "units").set_index("level")
            rows.append({"split": name, "units": int(alpha.at["nominal", "units"]),
                         "alpha interval": alpha.at["interval", "alpha"], "alpha nominal": alpha.at["nominal", "alpha"],
                         "nominal 95% interval": f"{alpha.at['nominal', 'low']:.3f}-{alpha.at['nominal', 'high']:.3f}"})
        parts += ["**Agreement between the coders per split, unit labels**", "",
                  _markdown(pd.DataFrame(rows).set_index("split")), ""]
    parts.append(DATASHEET_END)
    return "\n".join(parts)


def write_datasheet(corpus_dir, datasheet) -> bool:
    """Replace the generated section of ``datasheet``; True if the file changed."""
    path = Path(datasheet)
    text = path.read_text(encoding="utf-8")
    if DATASHEET_START not in text or DATASHEET_END not in text:
        raise StanceCorpusError(f"{path}: no generated section (the two marker comments) to replace")
    head, rest = text.split(DATASHEET_START, 1)
    _, tail = rest.split(DATASHEET_END, 1)
    new = head + datasheet_counts(load_stance_corpus(corpus_dir)) + tail
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m framing.labels",
                                     description="Check a stance corpus and (optionally) rewrite its datasheet's counts.")
    parser.add_argument("corpus")
    parser.add_argument("--datasheet", help="markdown file whose generated section is rewritten")
    args = parser.parse_args(argv)
    try:
        corpus = load_stance_corpus(args.corpus)
        if args.datasheet:
            changed = write_datasheet(args.corpus, args.datasheet)
            print(f"{args.datasheet}: {'rewritten' if changed else 'already current'}")
        else:
            print(counts(corpus)["split"].to_string())
    except StanceCorpusError as e:
        import sys

        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
