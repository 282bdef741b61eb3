"""Aggregate: sentence scores to article x country and to article.

Every aggregate keeps the ids of the sentences it came from, so a number in a chart can
be traced to the sentences that produced it. Intervals are percentile bootstraps over
the evidence sentences with a fixed seed, so they are the same on every run.
"""

from __future__ import annotations

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
    rng = np.random.default_rng(random_state)
    means = values[rng.integers(0, values.size, size=(samples, values.size))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return (float(low), float(high))


def _strongest(group: pd.DataFrame) -> str:
    order = group.assign(strength=group["stance"].abs()).sort_values(
        ["strength", "sentence_id"], ascending=[False, True], kind="stable"
    )
    return ";".join(str(i) for i in order["sentence_id"].head(TOP_EVIDENCE))


def article_country(sentences: pd.DataFrame, mentions: pd.DataFrame, evidence: pd.DataFrame,
                    target: str) -> pd.DataFrame:
    """One row per article x country it refers to (the target excluded), see SCORE_COLUMNS."""
    others = mentions[mentions["country"] != target]
    counts = others.groupby(["article_id", "country"]).size().rename("mentions")
    tone = (
        others.drop_duplicates(["article_id", "sentence_id", "country"])
        .merge(sentences[["article_id", "sentence_id", "sentiment"]], on=["article_id", "sentence_id"])
        .groupby(["article_id", "country"])["sentiment"].mean()
    )
    rows = []
    grouped = dict(tuple(evidence.groupby(["article_id", "country"], sort=False)))
    for (article_id, country), n in counts.items():
        group = grouped.get((article_id, country))
        if group is None or group.empty:
            stance = low = high = ts = np.nan
            label, ids, n_target = "", "", 0
        else:
            stance = float(group["stance"].mean())
            low, high = bootstrap_interval(group["stance"].to_numpy())
            ts = float(group["target_sentiment"].mean())
            label, ids, n_target = stance_label(stance), _strongest(group), len(group)
        rows.append((article_id, country, int(n), n_target, stance, low, high, label, ts,
                     float(tone.get((article_id, country), np.nan)), ids))
    scores = pd.DataFrame(rows, columns=SCORE_COLUMNS)
    return scores.sort_values(["article_id", "country"], kind="stable").reset_index(drop=True)


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
