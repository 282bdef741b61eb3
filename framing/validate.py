"""Validate: agreement between the system's stance and a human reader's hand labels.

The hand labels (``data/stance_seeds`` and ``data/stance_sentences``, stance corpora
read by :mod:`framing.labels`; see ``docs/labels.md``) give a score from -2 to +2 and a label (against / neutral / favour)
per (sentence, country) or (article, country) pair. These functions line the system's
numbers up with them and compute the agreement:

* the system's label of a pair is the stance label of its number (``|stance| < 0.2`` is
  neutral); a pair the system does not score (it does not see the target in the
  sentence) counts as **neutral**, the system's stance as missing (0 in the Spearman);
* macro-F1 is over the classes that occur in the hand labels or the system labels, so a
  split without any favour label is not penalised for a class nobody used;
* Spearman's rho is between the hand score (-2..2) and the system's stance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .stance import STANCE_LABELS, stance_label

PAIR_KEYS = ["article_id", "sentence_id", "country"]


def read_labels(labels, kind: str = "units") -> pd.DataFrame:
    """A labels table from a DataFrame, a CSV path or a stance-corpus folder.

    A folder (``data/stance_seeds``, see :mod:`framing.labels`) gives its gold labels:
    ``kind="units"`` the (sentence, country) rows, ``kind="articles"`` the (article,
    country) rows with ``*`` for the overall label; columns as in the CSV form
    (``article_id, [sentence_id, sentence,] country, score, label, split, note``).
    Ids are strings, scores ints.
    """
    if not isinstance(labels, pd.DataFrame) and Path(labels).is_dir():
        labels = _corpus_labels(Path(labels), kind)
    elif not isinstance(labels, pd.DataFrame):
        labels = pd.read_csv(labels, dtype=str, keep_default_na=False)
    labels = labels.copy()
    labels["score"] = labels["score"].astype(int)
    if "sentence_id" in labels.columns:
        labels["sentence_id"] = labels["sentence_id"].astype(int)
    return labels


def _corpus_labels(path: Path, kind: str) -> pd.DataFrame:
    """Gold labels of a stance-corpus folder in the layout of the original CSV files."""
    from .labels import GOLD, load_stance_corpus, stance_class

    corpus = load_stance_corpus(path)
    per_unit = kind in ("units", "sentences")
    table = corpus.units if per_unit else corpus.article_labels
    keys = ["article_id", "sentence_id", "target", "country"] if per_unit else ["article_id", "target", "country"]
    gold = table[table["coder"] == GOLD].copy()
    if "note" in table.columns:  # the note is the reasoning of the (single) coder
        notes = table[(table["coder"] != GOLD) & (table["note"] != "")].drop_duplicates(keys).set_index(keys)["note"]
        gold["note"] = [notes.get(k, "") for k in gold[keys].itertuples(index=False, name=None)]
    if not per_unit:
        gold["country"] = gold["country"].replace("", "*")
    gold["score"] = gold["stance"].astype(int)
    gold["label"] = gold["score"].map(stance_class)
    split = dict(zip(corpus.articles["id"], corpus.articles["split"]))
    gold["split"] = gold["article_id"].map(split)
    if kind == "sentences":  # one-sentence articles: the layout of heldout_sentences.csv
        meta = corpus.articles.set_index("id")
        gold = gold.rename(columns={"article_id": "id", "sentence": "text"})
        gold["style"] = gold["id"].map(meta["style"]) if "style" in meta.columns else ""
        cols = ["id", "text", "target", "country", "score", "label", "split", "style", "note"]
    elif kind == "units":
        cols = ["article_id", "sentence_id", "sentence", "target", "country", "score", "label", "split", "note"]
    else:
        cols = ["article_id", "target", "country", "score", "label", "split", "note"]
    gold = gold.reindex(columns=cols, fill_value="")
    return gold.astype({"score": str}).reset_index(drop=True)


def _system_label(stance: pd.Series) -> pd.Series:
    return stance.map(lambda v: "neutral" if pd.isna(v) else stance_label(float(v)))


def sentence_agreement(result, labels) -> pd.DataFrame:
    """The hand-labelled (sentence, country) pairs with the system's stance and label.

    Adds ``system_stance`` (the evidence row's stance for that sentence and country; the
    sentence's stance toward the target when the system does not find the country in
    it; NaN when it does not see the target in the sentence), ``system_label``,
    ``country_found`` (the system also finds the country in the sentence) and
    ``text_matches`` (the labelled sentence text is the system's sentence, i.e. the
    sentence split has not changed).
    """
    labels = read_labels(labels)
    sentences = result.sentences.set_index(["article_id", "sentence_id"])
    keys = pd.MultiIndex.from_frame(labels[["article_id", "sentence_id"]])
    found = sentences.reindex(keys)
    cells = result.evidence.set_index(PAIR_KEYS)["stance"]
    per_country = cells.reindex(pd.MultiIndex.from_frame(labels[PAIR_KEYS])).to_numpy(dtype=float)
    out = labels.copy()
    out["system_stance"] = np.where(np.isnan(per_country), found["stance"].to_numpy(dtype=float), per_country)
    out["system_label"] = _system_label(out["system_stance"]).to_numpy()
    countries = found["countries"].fillna("").str.split(";").to_numpy()
    out["country_found"] = [c in codes for c, codes in zip(out["country"], countries)]
    if "sentence" in out.columns:
        out["text_matches"] = (found["text"].fillna("").to_numpy() == out["sentence"].to_numpy())
    return out


def article_agreement(result, labels) -> pd.DataFrame:
    """The hand-labelled (article, country) pairs with the system's stance and label.

    Country ``*`` is the article's overall stance (``result.articles``); any other
    country is the article x country score (``result.scores``), NaN if not scored.
    """
    labels = read_labels(labels, kind="articles")
    overall = result.articles.set_index("article_id")["stance"]
    cells = result.scores.set_index(["article_id", "country"])["stance"]
    values = []
    for article_id, country in zip(labels["article_id"], labels["country"]):
        if country == "*":
            values.append(overall.get(article_id, np.nan))
        else:
            values.append(cells.get((article_id, country), np.nan))
    out = labels.copy()
    out["system_stance"] = np.asarray(values, dtype=float)
    out["system_label"] = _system_label(out["system_stance"]).to_numpy()
    return out


def confusion(df: pd.DataFrame, hand: str = "label", system: str = "system_label") -> pd.DataFrame:
    """Counts of hand label (rows) x system label (columns), all three classes shown."""
    table = pd.crosstab(pd.Categorical(df[hand], categories=STANCE_LABELS),
                        pd.Categorical(df[system], categories=STANCE_LABELS), dropna=False)
    table.index.name, table.columns.name = "hand", "system"
    return table.reindex(index=list(STANCE_LABELS), columns=list(STANCE_LABELS), fill_value=0)


def agreement_metrics(df: pd.DataFrame, hand: str = "label", system: str = "system_label",
                      score: str = "score", stance: str = "system_stance") -> dict:
    """``n``, ``accuracy``, ``macro_f1``, ``f1`` per class, ``spearman`` (rho),
    ``spearman_p``, ``scored`` (share of pairs the system gives a stance) and ``confusion``."""
    from scipy.stats import spearmanr
    from sklearn.metrics import f1_score

    n = len(df)
    if n == 0:
        return {"n": 0, "accuracy": np.nan, "macro_f1": np.nan, "f1": {}, "spearman": np.nan,
                "spearman_p": np.nan, "scored": np.nan, "confusion": confusion(df, hand, system)}
    present = [c for c in STANCE_LABELS if c in set(df[hand]) | set(df[system])]
    per_class = f1_score(df[hand], df[system], labels=present, average=None, zero_division=0)
    values = df[stance].fillna(0.0).to_numpy(dtype=float)
    scores = df[score].to_numpy(dtype=float)
    if np.ptp(values) == 0 or np.ptp(scores) == 0:
        rho, p = np.nan, np.nan
    else:
        rho, p = spearmanr(scores, values)
    return {
        "n": int(n),
        "accuracy": float((df[hand] == df[system]).mean()),
        "macro_f1": float(np.mean(per_class)),
        "f1": {c: float(f) for c, f in zip(present, per_class)},
        "spearman": float(rho),
        "spearman_p": float(p),
        "scored": float(df[stance].notna().mean()),
        "confusion": confusion(df, hand, system),
    }


def metrics_table(groups: dict) -> pd.DataFrame:
    """``{name: DataFrame}`` -> one row of :func:`agreement_metrics` per name."""
    rows = {}
    for name, df in groups.items():
        m = agreement_metrics(df)
        rows[name] = {"pairs": m["n"], "scored by system": m["scored"], "accuracy": m["accuracy"],
                      "macro-F1": m["macro_f1"], **{f"F1 {c}": m["f1"].get(c, np.nan) for c in STANCE_LABELS},
                      "Spearman rho": m["spearman"]}
    return pd.DataFrame.from_dict(rows, orient="index")


def heldout_sentences(path, model=None) -> pd.DataFrame:
    """Score the composed sentences (``data/stance_sentences``, or a CSV in its old layout).

    Each sentence is analysed as a one-sentence article for its own ``target``. Adds
    ``system_stance`` (the stance of the (sentence, country) cell, else the sentence's
    stance toward the target, else NaN), ``system_label``, ``target_found`` and
    ``country_found``.
    """
    from .pipeline import analyze

    table = read_labels(path, kind="sentences")
    stance, target_found, country_found = {}, {}, {}
    for target, group in table.groupby("target", sort=True):
        corpus = pd.DataFrame({"article_id": group["id"].to_numpy(), "text": group["text"].to_numpy()})
        result = analyze(corpus, target=target, model=model)
        cells = result.scores.set_index(["article_id", "country"])["stance"]
        overall = result.articles.set_index("article_id")["stance"]
        found = result.mentions.groupby("article_id")["country"].agg(set)
        for sid, country in zip(group["id"], group["country"]):
            codes = found.get(sid, set())
            target_found[sid] = target in codes
            country_found[sid] = country in codes
            value = cells.get((sid, country), np.nan)
            stance[sid] = value if pd.notna(value) else overall.get(sid, np.nan)
    table["system_stance"] = table["id"].map(stance).astype(float)
    table["system_label"] = _system_label(table["system_stance"])
    table["target_found"] = table["id"].map(target_found)
    table["country_found"] = table["id"].map(country_found)
    return table


def newsmtsc_scores(path, model=None) -> pd.DataFrame | None:
    """The target model's scores on a NewsMTSC file, one row per class plus 'macro';
    None when the file is absent (the data set is not shipped with the project)."""
    from . import target_model

    path = Path(path)
    if not path.is_file():
        return None
    result = target_model.evaluate(model or target_model.default_model(), path)
    rows = {label: result["per_class"][label] for label in target_model.LABELS}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.loc["macro"] = [np.nan, np.nan, result["macro_f1"], result["n"]]
    table.attrs.update(accuracy=result["accuracy"], macro_f1=result["macro_f1"], n=result["n"])
    return table
