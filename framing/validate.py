"""Validate: agreement between the system's stance and a human reader's hand labels.

The hand labels (``data/stance_seeds`` and ``data/stance_sentences``, stance corpora
read by :mod:`framing.labels`; see ``docs/labels.md``) give a score from -2 to +2 and a label (against / neutral / favour)
per (sentence, country) or (article, country) pair. These functions line the system's
numbers up with them and compute the agreement:

* the system's label of a pair is the stance label of its number (``|stance| < 0.2`` is
  neutral for a sentence; an article's band is the stance model's ``article_band``); a pair the system does not score (it does not see the target in the
  sentence) counts as **neutral**, the system's stance as missing (0 in the Spearman);
* macro-F1 is over the classes that occur in the hand labels or the system labels, so a
  split without any favour label is not penalised for a class nobody used;
* Spearman's rho is between the hand score (-2..2) and the system's stance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .stance import NEUTRAL_BAND, STANCE_LABELS, stance_label

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


def _system_label(stance: pd.Series, band: float = NEUTRAL_BAND) -> pd.Series:
    return stance.map(lambda v: "neutral" if pd.isna(v) else stance_label(float(v), band))


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


def article_agreement(result, labels, band: float | None = None) -> pd.DataFrame:
    """The hand-labelled (article, country) pairs with the system's stance and label.

    Country ``*`` is the article's overall stance (``result.articles``); any other
    country is the article x country score (``result.scores``), NaN if not scored. The
    label uses ``band`` (default: the shipped stance model's ``article_band``, as
    ``framing score`` does).
    """
    if band is None:
        from .stance_model import default_model

        band = default_model().article_band
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
    out["system_label"] = _system_label(out["system_stance"], band).to_numpy()
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


# ------------------------------------------------------------------ the stance corpus

#: the targets and topics that only the test split has (``docs/stance_corpus.md``)
HELD_OUT_TARGETS = ("IND", "TUR")
HELD_OUT_TOPICS = ("espionage_interference", "migration_culture")
#: the systems compared on the stance corpus: the stance model and three baselines
SYSTEMS = {
    "stance model": "P(favour) - P(against) of framing/data/stance_model.npz",
    "cue formula": "framing 0.x: tanh(cue_sum + 0.25 x target sentiment), backdrop x 0.1",
    "target sentiment alone": "the NewsMTSC-trained target-sentiment model's polarity",
    "VADER co-occurrence": "the VADER tone of the sentences that name both countries",
}
_SYSTEM_COLUMNS = {"stance model": "model", "cue formula": "cue", "target sentiment alone": "target_sentiment",
                   "VADER co-occurrence": "vader"}


def stance_corpus_units(corpus_dir, splits=("test",), stance_model=None) -> pd.DataFrame:
    """Every unit of a stance corpus's ``splits`` with its gold, writer and reader codes and
    the four systems' values.

    One row per (article, sentence, target, country): ``gold, writer, reader`` (-2..2),
    ``model, cue, target_sentiment, vader`` (the values of :data:`SYSTEMS`), the article's
    ``genre, topic, split`` and the gold row's phenomenon ``tags``."""
    from .labels import load_stance_corpus
    from .pipeline import find_mentions
    from .stance import BACKDROP_WEIGHT, combine, features
    from .stance_model import UNIT_FEATURES, default_model

    stance_model = stance_model or default_model()
    corpus = load_stance_corpus(corpus_dir)
    arts = corpus.articles[corpus.articles["split"].isin(splits)]
    rows = []
    for target in sorted(set(";".join(arts["targets"]).split(";")) - {""}):
        sub = arts[arts["targets"].str.split(";").map(lambda t: target in t)]
        frame = pd.DataFrame({"article_id": sub["id"].to_numpy(), "text": sub["text"].to_numpy()})
        sentences, mentions = find_mentions(frame)
        f = features(sentences, mentions, target)
        s = f["sentences"]
        pos = np.asarray(f["unit_pos"], dtype=int)
        X = np.asarray(f["unit_rows"], dtype=float).reshape(-1, len(UNIT_FEATURES))
        ts = s["target_sentiment"].to_numpy(dtype=float)
        rows.append(pd.DataFrame({
            "article_id": s["article_id"].to_numpy()[pos], "sentence_id": s["sentence_id"].to_numpy()[pos],
            "target": target, "country": f["unit_country"],
            "model": stance_model.stance(X) if len(X) else np.array([]),
            "cue": [combine(f["cue_sum"][p], ts[p]) * (BACKDROP_WEIGHT if b else 1.0)
                    for p, b in zip(pos.tolist(), f["unit_backdrop"])],
            "target_sentiment": np.nan_to_num(ts[pos]),
            "vader": s["sentiment"].to_numpy(dtype=float)[pos]}))
    systems = pd.concat(rows, ignore_index=True)
    keys = ["article_id", "sentence_id", "target", "country"]
    codes = corpus.units.pivot_table(index=keys, columns="coder", values="stance", aggfunc="first")
    codes = codes[["gold", "writer", "reader"]].reset_index()
    gold = corpus.gold_units()[keys + ["genre", "topic", "split", "tags"]]
    return codes.merge(gold, on=keys).merge(systems, on=keys, how="inner")


def _classes(values, band: float) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return np.where(values <= -band, "against", np.where(values >= band, "favour", "neutral"))


def _code_class(codes) -> np.ndarray:
    codes = np.asarray(codes, dtype=float)
    return np.where(codes < 0, "against", np.where(codes > 0, "favour", "neutral"))


def best_band(truth_codes, values, grid=np.round(np.arange(0.05, 0.55, 0.05), 2)) -> float:
    """The neutral band that gives ``values`` their best macro-F1 against ``truth_codes``
    (used for the baselines, on dev only)."""
    from sklearn.metrics import f1_score

    truth = _code_class(truth_codes)
    scores = {float(b): f1_score(truth, _classes(values, b), average="macro", labels=list(STANCE_LABELS))
              for b in grid}
    return max(scores, key=lambda b: (round(scores[b], 4), -b))


def _agreement(truth_codes, classes, values=None) -> dict:
    """macro-F1, nominal alpha and (with ``values``) Spearman of classes against codes."""
    from scipy.stats import spearmanr
    from sklearn.metrics import f1_score

    from .agreement import alpha

    truth = _code_class(truth_codes)
    to_num = {"against": -1.0, "neutral": 0.0, "favour": 1.0}
    matrix = np.vstack([np.sign(np.asarray(truth_codes, dtype=float)), [to_num[c] for c in classes]])
    present = [c for c in STANCE_LABELS if c in set(truth) | set(classes)]  # as agreement_metrics
    out = {"n": len(truth), "macro_f1": float(f1_score(truth, classes, average="macro", labels=present)),
           "alpha": alpha(matrix, "nominal")}
    if values is not None:
        out["spearman"] = float(spearmanr(truth_codes, values)[0]) if np.ptp(values) > 0 else np.nan
    return out


def stance_corpus_report(test: pd.DataFrame, bands: dict, min_units: int = 30) -> pd.DataFrame:
    """Agreement with the gold of each system and of the coders, overall and per group.

    ``test``: :func:`stance_corpus_units`; ``bands``: the neutral band of each system
    column (chosen on dev). One row per (group, value): ``units``, then per system
    ``<system> F1`` / ``alpha`` / ``rho``, and the coders' ceiling (``coders F1`` and
    ``coders alpha``: the reader's codes against the writer's, both before adjudication).
    Groups with fewer than ``min_units`` units are left out."""
    test = test.assign(held_out_target=np.where(test["target"].isin(HELD_OUT_TARGETS), "held-out target",
                                                 "seen target"),
                       held_out_topic=np.where(test["topic"].isin(HELD_OUT_TOPICS), test["topic"], ""))
    groups = [("all", "", test)]
    for column, name in (("held_out_target", "targets"), ("target", "target"),
                         ("held_out_topic", "held-out topic"), ("genre", "genre")):
        for value, sub in test.groupby(column, sort=True):
            if value != "":
                groups.append((name, value, sub))
    tags = test.assign(tag=test["tags"].fillna("").str.split(";")).explode("tag")
    for value, sub in tags.groupby("tag", sort=True):
        if value:
            groups.append(("phenomenon", value, sub))
    rows = []
    for group, value, sub in groups:
        if len(sub) < min_units:
            continue
        row = {"group": group, "value": value, "units": len(sub)}
        for name, column in _SYSTEM_COLUMNS.items():
            m = _agreement(sub["gold"], _classes(sub[column], bands[column]), sub[column])
            row.update({f"{name} F1": m["macro_f1"], f"{name} alpha": m["alpha"], f"{name} rho": m["spearman"]})
        both = sub.dropna(subset=["writer", "reader"])
        m = _agreement(both["writer"], _code_class(both["reader"]))
        row.update({"coders F1": m["macro_f1"], "coders alpha": m["alpha"]})
        rows.append(row)
    return pd.DataFrame(rows)


def stance_corpus_pairs(units: pd.DataFrame, corpus_dir) -> pd.DataFrame:
    """Article x country level: the gold article label of each (article, target, country)
    beside each system's mean over the pair's units, and the two coders' article codes."""
    from .labels import load_stance_corpus

    corpus = load_stance_corpus(corpus_dir)
    keys = ["article_id", "target", "country"]
    means = units.groupby(keys)[list(_SYSTEM_COLUMNS.values())].mean().reset_index()
    labels = corpus.article_labels[corpus.article_labels["country"].fillna("") != ""]
    codes = labels.pivot_table(index=keys, columns="coder", values="stance", aggfunc="first")
    codes = codes[["gold", "writer", "reader"]].reset_index()
    return codes.merge(means, on=keys, how="inner")


def stance_pairs_report(pairs: pd.DataFrame, bands: dict) -> pd.DataFrame:
    """Article x country agreement of each system and of the coders with the gold (the
    measure real news is judged by): ``direction`` is the share of pairs whose gold has a
    direction (against or favour) that the system labels the same way; ``rho`` the
    Spearman between gold code and value; macro-F1 and nominal alpha over all pairs."""
    rows = []
    directional = pairs["gold"] != 0
    for name, column in [*_SYSTEM_COLUMNS.items(), ("coders", "reader")]:
        if column == "reader":
            sub = pairs.dropna(subset=["writer", "reader"])
            classes, values, truth = _code_class(sub["reader"]), sub["reader"], sub["writer"]
            direction = float((classes[(sub["writer"] != 0).to_numpy()] ==
                               _code_class(sub["writer"][sub["writer"] != 0])).mean())
        else:
            classes, values, truth = _classes(pairs[column], bands[column]), pairs[column], pairs["gold"]
            direction = float((classes[directional.to_numpy()] == _code_class(pairs["gold"][directional])).mean())
        m = _agreement(truth, classes, values)
        rows.append({"system": name, "pairs": m["n"], "direction": direction, "rho": m["spearman"],
                     "macro_f1": m["macro_f1"], "alpha": m["alpha"]})
    return pd.DataFrame(rows).set_index("system")


def stance_corpus_validation(corpus_dir, split: str = "test", stance_model=None) -> dict:
    """Everything the validation of the stance model reports, on ``split`` (``docs/stance_model.md``).

    The baselines' neutral bands (target sentiment alone, VADER) are the best on the dev
    split, for units and for article x country pairs; the stance model uses its own
    (:data:`framing.stance.NEUTRAL_BAND` for units, its ``article_band`` for pairs) and the
    cue formula its 0.2. Returns ``units`` and ``pairs`` (the rows), ``report`` (units, per
    group), ``pairs_report`` and ``bands``."""
    from .stance import NEUTRAL_BAND
    from .stance_model import default_model

    stance_model = stance_model or default_model()
    dev = stance_corpus_units(corpus_dir, ("dev",), stance_model)
    dev_pairs = stance_corpus_pairs(dev, corpus_dir)
    bands = {"model": NEUTRAL_BAND, "cue": NEUTRAL_BAND}
    pair_bands = {"model": stance_model.article_band, "cue": NEUTRAL_BAND}
    for column in ("target_sentiment", "vader"):
        bands[column] = best_band(dev["gold"], dev[column])
        pair_bands[column] = best_band(dev_pairs["gold"], dev_pairs[column])
    units = dev if split == "dev" else stance_corpus_units(corpus_dir, (split,), stance_model)
    pairs = dev_pairs if split == "dev" else stance_corpus_pairs(units, corpus_dir)
    return {"units": units, "pairs": pairs, "report": stance_corpus_report(units, bands),
            "pairs_report": stance_pairs_report(pairs, pair_bands), "bands": bands, "pair_bands": pair_bands}


# ------------------------------------------------------------------ coded samples (framing agreement)


def system_units(results, target: str | None = None) -> pd.DataFrame:
    """The system's value of every evidence unit of a results folder: ``unit_id, article_id,
    country, system_stance, system_label`` (the unit id as :func:`framing.coding.make_unit_id`)."""
    from .coding import _read, make_unit_id, results_target

    results = Path(results)
    target = target or results_target(results)
    ev = _read(results / "evidence.csv", ["article_id", "sentence_id", "country", "stance", "stance_label"])
    return pd.DataFrame({
        "unit_id": [make_unit_id(a, s, target, c) for a, s, c in zip(ev["article_id"], ev["sentence_id"], ev["country"])],
        "article_id": ev["article_id"], "country": ev["country"],
        "system_stance": pd.to_numeric(ev["stance"].replace("", np.nan)),
        "system_label": ev["stance_label"]}).drop_duplicates("unit_id")


def _weighted_metrics(ref_codes, system_labels, system_values, weights) -> dict:
    """Accuracy, macro-F1 and the confusion matrix weighted by the sampling weights
    (scikit-learn's ``sample_weight``); nominal alpha and Spearman unweighted (neither the
    ``krippendorff`` package nor scipy takes weights)."""
    from scipy.stats import spearmanr
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    from .agreement import alpha

    truth = _code_class(ref_codes)
    labels = np.asarray(system_labels, dtype=str)
    w = np.asarray(weights, dtype=float)
    present = [c for c in STANCE_LABELS if c in set(truth) | set(labels)]
    to_num = {"against": -1.0, "neutral": 0.0, "favour": 1.0}
    matrix = np.vstack([np.sign(np.asarray(ref_codes, dtype=float)), [to_num[c] for c in labels]])
    values = np.nan_to_num(np.asarray(system_values, dtype=float))
    codes = np.asarray(ref_codes, dtype=float)
    rho = float(spearmanr(codes, values)[0]) if np.ptp(values) > 0 and np.ptp(codes) > 0 else np.nan
    cm = confusion_matrix(truth, labels, labels=list(STANCE_LABELS), sample_weight=w)
    return {"accuracy": float(accuracy_score(truth, labels, sample_weight=w)),
            "macro_f1": float(f1_score(truth, labels, labels=present, average="macro", sample_weight=w,
                                       zero_division=0)),
            "alpha": alpha(matrix, "nominal"), "spearman": rho,
            "confusion": pd.DataFrame(cm, index=pd.Index(STANCE_LABELS, name="coder"),
                                      columns=pd.Index(STANCE_LABELS, name="system"))}


def system_vs_codes(codes: pd.DataFrame, system: pd.DataFrame, weights: pd.Series | None = None,
                    min_units: int = 20) -> tuple[pd.DataFrame, dict]:
    """Agreement of the system with each coder and with the coders' consensus
    (:func:`framing.agreement.consensus`), overall and per country with at least
    ``min_units`` coded units.

    ``codes``: ``unit_id, coder, stance`` (NaN: not a reference); ``system``:
    :func:`system_units`; ``weights``: sampling weight per unit id (default 1). Units a
    reference calls "not a reference" are left out of its metrics and counted in
    ``not_reference``. Returns the table (one row per reference x group: ``reference, group,
    units, not_reference, weight, accuracy, macro_f1, alpha, spearman``; accuracy and
    macro-F1 weighted, alpha and Spearman not) and the weighted confusion matrices by
    (reference, group)."""
    from .agreement import consensus

    sys_ = system.set_index("unit_id")
    refs = {coder: part.set_index("unit_id")["stance"] for coder, part in codes.groupby("coder", sort=True)}
    if codes["coder"].nunique() >= 2:
        refs["consensus"] = consensus(codes).set_index("unit_id")["consensus"]
    rows, confusions = [], {}
    for name, ref in refs.items():
        ref = ref[ref.index.isin(sys_.index)]
        frame = sys_.loc[ref.index].assign(ref=ref.to_numpy())
        frame["weight"] = 1.0 if weights is None else weights.reindex(frame.index).fillna(1.0).to_numpy()
        groups = [("all", frame)] + [(f"country {c}", g) for c, g in frame.groupby("country", sort=True)
                                     if g["ref"].notna().sum() >= min_units]
        for group, g in groups:
            coded = g[g["ref"].notna()]
            row = {"reference": name, "group": group, "units": len(coded),
                   "not_reference": int(g["ref"].isna().sum()), "weight": float(coded["weight"].sum())}
            if len(coded):
                m = _weighted_metrics(coded["ref"], coded["system_label"], coded["system_stance"], coded["weight"])
                confusions[(name, group)] = m.pop("confusion")
                row.update(m)
            rows.append(row)
    columns = ["reference", "group", "units", "not_reference", "weight", "accuracy", "macro_f1", "alpha", "spearman"]
    return pd.DataFrame(rows).reindex(columns=columns), confusions
