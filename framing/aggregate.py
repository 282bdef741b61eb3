"""Aggregate: sentence scores to article x country and to article.

Every aggregate keeps the ids of the sentences it came from, so a number in a chart can
be traced to the sentences that produced it. Intervals are percentile bootstraps over
the evidence sentences with a fixed seed, so they are the same on every run.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from .score import stance_label

SCORE_COLUMNS = ["article_id", "country", "mentions", "target_sentences", "stance", "stance_low",
                 "stance_high", "stance_label", "target_sentiment", "sentiment", "evidence"]
ARTICLE_SCORE_COLUMNS = ["words", "sentences", "target_mentions", "target_sentences", "stance",
                         "stance_low", "stance_high", "stance_label", "sentiment"]

BOOTSTRAP_SAMPLES = 2000
RANDOM_STATE = 20261122
#: How many evidence sentence ids a score row lists, strongest first.
TOP_EVIDENCE = 5


@lru_cache(maxsize=256)
def _resample_index(n: int, samples: int, random_state: int) -> np.ndarray:
    """The bootstrap's resampling indices for a group of ``n`` values (the same for every
    group of that size, since each group's generator starts from the same seed)."""
    rng = np.random.default_rng(random_state)
    return rng.integers(0, n, size=(samples, n))


def bootstrap_interval(values, samples: int = BOOTSTRAP_SAMPLES,
                       random_state: int = RANDOM_STATE) -> tuple[float, float]:
    """95% percentile bootstrap interval of the mean of ``values`` (NaN, NaN if empty).

    The generator is seeded afresh for every call, so a group's interval does not depend
    on which other groups were computed before it.
    """
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return (np.nan, np.nan)
    if values.size == 1 or np.all(values == values[0]):
        return (float(values[0]), float(values[0]))
    means = values[_resample_index(values.size, samples, random_state)].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return (float(low), float(high))


def _strongest(evidence: pd.DataFrame) -> pd.Series:
    """Per (article, country): the ids of its TOP_EVIDENCE strongest sentences, ';'-joined."""
    ranked = evidence.assign(strength=evidence["stance"].abs()).sort_values(
        ["article_id", "country", "strength", "sentence_id"], ascending=[True, True, False, True],
        kind="stable")
    top = ranked.groupby(["article_id", "country"], sort=False).head(TOP_EVIDENCE)
    return top.groupby(["article_id", "country"], sort=False)["sentence_id"].agg(
        lambda ids: ";".join(map(str, ids)))


def article_country(sentences: pd.DataFrame, mentions: pd.DataFrame, evidence: pd.DataFrame,
                    target: str) -> pd.DataFrame:
    """One row per article x country it refers to (the target excluded), see SCORE_COLUMNS."""
    keys = ["article_id", "country"]
    others = mentions[mentions["country"] != target]
    table = others.groupby(keys).size().rename("mentions").to_frame()
    tone = (
        others.drop_duplicates(["article_id", "sentence_id", "country"])
        .merge(sentences[["article_id", "sentence_id", "sentiment"]], on=["article_id", "sentence_id"])
        .groupby(keys)["sentiment"].mean()
    )
    grouped = evidence.groupby(keys)
    table["target_sentences"] = grouped.size().reindex(table.index, fill_value=0)
    table["stance"] = grouped["stance"].mean()
    intervals = {key: bootstrap_interval(values) for key, values in grouped["stance"]}
    table["stance_low"] = [intervals.get(key, (np.nan, np.nan))[0] for key in table.index]
    table["stance_high"] = [intervals.get(key, (np.nan, np.nan))[1] for key in table.index]
    table["stance_label"] = [stance_label(v) if not np.isnan(v) else "" for v in table["stance"]]
    table["target_sentiment"] = grouped["target_sentiment"].mean()
    table["sentiment"] = tone
    table["evidence"] = _strongest(evidence).reindex(table.index).fillna("") if len(evidence) else ""
    scores = table.reset_index()
    scores["target_sentences"] = scores["target_sentences"].astype("int64")
    scores["mentions"] = scores["mentions"].astype("int64")
    return scores[SCORE_COLUMNS].sort_values(keys, kind="stable").reset_index(drop=True)


def articles(articles: pd.DataFrame, sentences: pd.DataFrame, mentions: pd.DataFrame,
             target: str) -> pd.DataFrame:
    """One row per article: metadata, size, and the overall stance toward the target.

    The overall stance is the mean stance of the sentences that refer to the target, with
    its bootstrap interval; ``sentiment`` is the mean VADER tone of all its sentences.
    """
    meta = articles.drop(columns="text")
    target_mentions = mentions[mentions["country"] == target].groupby("article_id").size()
    rows = []
    for article_id, group in sentences.groupby("article_id", sort=True):
        on_target = group.loc[group["target_mentioned"], "stance"]
        stance = float(on_target.mean()) if len(on_target) else np.nan
        low, high = bootstrap_interval(on_target.to_numpy())
        rows.append((article_id, int(group["words"].sum()), len(group),
                     int(target_mentions.get(article_id, 0)), len(on_target), stance, low, high,
                     stance_label(stance) if len(on_target) else "", float(group["sentiment"].mean())))
    table = pd.DataFrame(rows, columns=["article_id"] + ARTICLE_SCORE_COLUMNS)
    return meta.merge(table, on="article_id", how="left").sort_values("article_id").reset_index(drop=True)
