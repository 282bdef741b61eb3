"""Aggregate: sentence scores to article x country and to article.

Every aggregate keeps the ids of the sentences it came from, so a number in a chart can
be traced to the sentences that produced it. Intervals are percentile bootstraps over
the evidence sentences with a fixed seed, so they are the same on every run.
"""

from __future__ import annotations

import itertools
from collections import Counter
from functools import lru_cache

import numpy as np
import pandas as pd

from .stance import NEUTRAL_BAND, stance_label

SCORE_COLUMNS = ["article_id", "country", "mentions", "target_sentences", "stance", "stance_low",
                 "stance_high", "stance_label", "target_sentiment", "sentiment", "evidence", "link"]
#: ``link`` of a pair with no evidence: no sentence names both, and no pronoun links them
NO_LINK = "no shared sentence"
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


@lru_cache(maxsize=256)
def _resample_columns(n: int, samples: int, random_state: int) -> np.ndarray:
    """:func:`_resample_index` transposed: row j holds the j-th draw of every resample."""
    return np.ascontiguousarray(_resample_index(n, samples, random_state).T)


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


#: Upper bound on the resampled values held at once by :func:`bootstrap_intervals`.
_CHUNK_VALUES = 4_000_000


def bootstrap_intervals(values, groups, ngroups: int, samples: int = BOOTSTRAP_SAMPLES,
                        random_state: int = RANDOM_STATE) -> tuple[np.ndarray, np.ndarray]:
    """:func:`bootstrap_interval` of every group at once: ``(low, high)`` arrays of ``ngroups``.

    ``values[i]`` belongs to group ``groups[i]`` (0 .. ngroups-1; negative: no group), taken in
    row order. Every group of ``n`` values resamples with the same index matrix
    (:func:`_resample_index`), so the groups of one size are stacked and resampled in one
    numpy call; the means are taken row by row over the same (samples, n) layout as
    :func:`bootstrap_interval`, so the bounds are bit for bit the same.
    """
    values = np.asarray(values, dtype=float)
    groups = np.asarray(groups, dtype=np.int64)
    low = np.full(ngroups, np.nan)
    high = np.full(ngroups, np.nan)
    keep = (groups >= 0) & ~np.isnan(values)
    order = np.argsort(groups[keep], kind="stable")
    vals = values[keep][order]
    owner = groups[keep][order]
    counts = np.bincount(owner, minlength=ngroups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    present = counts > 0
    firsts = np.zeros(ngroups)
    firsts[present] = vals[starts[present]]
    differs = np.bincount(owner, weights=(vals != firsts[owner]), minlength=ngroups) > 0
    constant = present & ~differs  # one value, or all values equal
    low[constant] = firsts[constant]
    high[constant] = firsts[constant]
    varied = np.flatnonzero(present & differs)
    for n in np.unique(counts[varied]).tolist():
        columns = _resample_columns(n, samples, random_state)
        members = varied[counts[varied] == n]
        step = max(1, _CHUNK_VALUES // (samples * n))
        for i in range(0, len(members), step):
            chunk = members[i:i + step]
            # (n, groups): the j-th value of every group; row columns[j][s] of it is the
            # j-th draw of resample s, for all groups at once
            stacked = vals[starts[chunk][None, :] + np.arange(n)[:, None]]
            total = _pairwise_sum(lambda j: stacked.take(columns[j], axis=0), 0, n)  # (samples, groups)
            means = (total + 0.0) / n
            bounds = np.percentile(np.ascontiguousarray(means.T), [2.5, 97.5], axis=1)
            low[chunk] = bounds[0]
            high[chunk] = bounds[1]
    return low, high


def _pairwise_sum(column, start: int, n: int) -> np.ndarray:
    """Sum of ``column(start) .. column(start + n - 1)`` (arrays of one shape), added in the
    order numpy's pairwise summation adds the n values of a contiguous row: so that
    ``(_pairwise_sum(...) + 0.0) / n`` is, bit for bit, ``row.mean()`` of every row.

    Below 8 values: one after the other. Up to 128: eight running sums of every eighth
    value, combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)), then the remainder one by one.
    Above: the two halves (the first a multiple of 8 long) summed apart, then added.
    (numpy's reduction starts from the identity 0.0, hence the ``+ 0.0`` in the mean.)
    """
    if n < 8:
        total = column(start).copy()
        for j in range(start + 1, start + n):
            total += column(j)
        return total
    if n <= 128:
        sums = [column(start + j).copy() for j in range(8)]
        i = 8
        while i < n - (n % 8):
            for j in range(8):
                sums[j] += column(start + i + j)
            i += 8
        total = ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]))
        for j in range(i, n):
            total += column(start + j)
        return total
    half = n // 2
    half -= half % 8
    return _pairwise_sum(column, start, half) + _pairwise_sum(column, start + half, n - half)


def _nanmean(values: np.ndarray) -> float:
    """``float(pd.Series(values).mean())`` for float64 values, computed as pandas does (NaN
    skipped: sum with NaN as 0, divided by the count of the others)."""
    mask = np.isnan(values)
    if mask.any():
        values = np.where(mask, 0.0, values)
    count = np.float64(values.size - int(mask.sum()))
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(values.sum() / count)


def _strongest(evidence: pd.DataFrame) -> pd.Series:
    """Per (article, country): the ids of its TOP_EVIDENCE strongest sentences, ';'-joined."""
    ranked = evidence.assign(strength=evidence["stance"].abs()).sort_values(
        ["article_id", "country", "strength", "sentence_id"], ascending=[True, True, False, True],
        kind="stable")
    top = ranked.groupby(["article_id", "country"], sort=False).head(TOP_EVIDENCE)
    return top.groupby(["article_id", "country"], sort=False)["sentence_id"].agg(
        lambda ids: ";".join(map(str, ids)))


def _strongest_ids(evidence: pd.DataFrame) -> dict | None:
    """:func:`_strongest` as a dict ``(article_id, country) -> ids``, by one numpy lexsort.

    None when a key is missing (NaN) or the sentence ids are not integers; then use
    :func:`_strongest`. The order is the same: article and country ascending (codes of
    the sorted distinct values), strength descending with NaN last, sentence id ascending,
    ties in row order.
    """
    articles_ = evidence["article_id"]
    countries_ = evidence["country"]
    sids = evidence["sentence_id"]
    if articles_.isna().any() or countries_.isna().any() or sids.dtype.kind not in "iu":
        return None
    article_codes, article_values = pd.factorize(articles_, sort=True)
    country_codes, country_values = pd.factorize(countries_, sort=True)
    strength = np.abs(evidence["stance"].to_numpy(dtype=float))
    sid = sids.to_numpy()
    order = np.lexsort((sid, -strength, country_codes, article_codes))
    pair = article_codes[order].astype(np.int64) * (len(country_values) + 1) + country_codes[order]
    new_group = np.concatenate(([True], pair[1:] != pair[:-1]))
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(len(pair)), 0))
    keep = (np.arange(len(pair)) - group_start) < TOP_EVIDENCE
    article_list = np.asarray(article_values, dtype=object)[article_codes[order][keep]].tolist()
    country_list = np.asarray(country_values, dtype=object)[country_codes[order][keep]].tolist()
    joined: dict = {}
    for key, value in zip(zip(article_list, country_list), sid[order][keep].tolist()):
        if key in joined:
            joined[key] += ";" + str(value)
        else:
            joined[key] = str(value)
    return joined


def _tone(mentioned: pd.DataFrame, sentences: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Mean sentiment of the sentences in ``mentioned`` per ``keys`` group: the inner merge
    with ``sentences`` on (article_id, sentence_id), done with a dict when those keys are
    unique and present (the merge's rows, in its order: the left rows that match)."""
    on = ["article_id", "sentence_id"]
    sent_keys = list(zip(sentences["article_id"].tolist(), sentences["sentence_id"].tolist()))
    left = mentioned[on].isna().any(axis=None) or sentences[on].isna().any(axis=None)
    if left or len(set(sent_keys)) != len(sent_keys) or "sentiment" in mentioned.columns:
        return (mentioned.merge(sentences[on + ["sentiment"]], on=on)
                .groupby(keys)["sentiment"].mean())
    lookup = dict(zip(sent_keys, sentences["sentiment"].tolist()))
    missing = object()
    values = list(map(lookup.get, zip(mentioned["article_id"].tolist(), mentioned["sentence_id"].tolist()),
                      itertools.repeat(missing)))
    found = np.array([v is not missing for v in values], dtype=bool)
    if not found.all():
        values = [v for v in values if v is not missing]
    rows = mentioned[found].assign(sentiment=np.array(values, dtype=sentences["sentiment"].dtype))
    return rows.groupby(keys)["sentiment"].mean()


def article_country(sentences: pd.DataFrame, mentions: pd.DataFrame, evidence: pd.DataFrame,
                    target: str, band: float = NEUTRAL_BAND) -> pd.DataFrame:
    """One row per article x country it refers to (the target excluded), see SCORE_COLUMNS.

    ``stance_label`` labels the mean stance with ``band`` (the stance model's
    ``article_band``, picked on the stance corpus's dev article labels)."""
    keys = ["article_id", "country"]
    others = mentions[mentions["country"] != target]
    table = others.groupby(keys).size().rename("mentions").to_frame()
    tone = _tone(others.drop_duplicates(["article_id", "sentence_id", "country"]), sentences, keys)
    grouped = evidence.groupby(keys)
    table["target_sentences"] = grouped.size().reindex(table.index, fill_value=0)
    table["stance"] = grouped["stance"].mean()
    # bootstrap_interval of each group, all groups at once; groups without a row in
    # ``table`` are dropped, rows of ``table`` without evidence get NaN
    group_keys = grouped.size().index
    codes = grouped.ngroup().to_numpy(dtype=float, na_value=-1).astype(np.int64)
    low, high = bootstrap_intervals(evidence["stance"].to_numpy(dtype=float), codes, len(group_keys))
    where = group_keys.get_indexer(table.index) if len(group_keys) else np.full(len(table), -1)
    found = where >= 0
    table["stance_low"] = np.where(found, low[np.maximum(where, 0)] if len(low) else np.nan, np.nan)
    table["stance_high"] = np.where(found, high[np.maximum(where, 0)] if len(high) else np.nan, np.nan)
    table["stance_label"] = [stance_label(v, band) if not np.isnan(v) else "" for v in table["stance"]]
    table["target_sentiment"] = grouped["target_sentiment"].mean()
    table["sentiment"] = tone
    strongest = _strongest_ids(evidence) if len(evidence) else {}
    if strongest is None:
        table["evidence"] = _strongest(evidence).reindex(table.index).fillna("")
    elif len(evidence):
        table["evidence"] = [strongest.get(key, "") for key in table.index]
    else:
        table["evidence"] = ""
    if "link" in evidence.columns and len(evidence):
        named = evidence["link"].to_numpy() == "named"
        any_named = pd.Series(named, index=pd.MultiIndex.from_frame(evidence[keys])).groupby(level=[0, 1]).any()
        table["link"] = np.where(table["target_sentences"].to_numpy() == 0, NO_LINK,
                                 np.where(any_named.reindex(table.index, fill_value=False).to_numpy(),
                                          "named", "anaphora"))
    else:
        table["link"] = np.where(table["target_sentences"].to_numpy() == 0, NO_LINK, "named")
    scores = table.reset_index()
    scores["target_sentences"] = scores["target_sentences"].astype("int64")
    scores["mentions"] = scores["mentions"].astype("int64")
    return scores[SCORE_COLUMNS].sort_values(keys, kind="stable").reset_index(drop=True)


def articles(articles: pd.DataFrame, sentences: pd.DataFrame, mentions: pd.DataFrame,
             target: str, band: float = NEUTRAL_BAND) -> pd.DataFrame:
    """One row per article: metadata, size, and the overall stance toward the target.

    The overall stance is the mean stance of the sentences that refer to the target, with
    its bootstrap interval; ``sentiment`` is the mean VADER tone of all its sentences.
    """
    meta = articles.drop(columns="text")
    target_mentions = Counter(mentions.loc[mentions["country"] == target, "article_id"].tolist())
    # rows of each article together, in article order (groupby sorts keys, keeps row order)
    grouped = sentences.groupby("article_id", sort=True)
    keys = grouped.size()
    codes = grouped.ngroup().to_numpy(dtype=float, na_value=-1).astype(np.int64)
    order = np.argsort(codes, kind="stable")
    order = order[codes[order] >= 0]
    bounds = np.concatenate(([0], np.cumsum(keys.to_numpy())))
    words = sentences["words"].to_numpy()[order]
    on = sentences["target_mentioned"].to_numpy(dtype=bool)[order]
    stance = sentences["stance"].to_numpy(dtype=float)[order]
    sentiment = sentences["sentiment"].to_numpy(dtype=float)[order]
    group = codes[order]
    low, high = bootstrap_intervals(stance[on], group[on], len(keys))
    rows = []
    for g, article_id in enumerate(keys.index):
        a, b = int(bounds[g]), int(bounds[g + 1])
        on_target = stance[a:b][on[a:b]]
        mean = _nanmean(on_target) if len(on_target) else np.nan
        rows.append((article_id, int(words[a:b].sum()), b - a,
                     target_mentions.get(article_id, 0), len(on_target), mean, float(low[g]),
                     float(high[g]), stance_label(mean, band) if len(on_target) else "",
                     _nanmean(sentiment[a:b])))
    table = pd.DataFrame(rows, columns=["article_id"] + ARTICLE_SCORE_COLUMNS)
    return meta.merge(table, on="article_id", how="left").sort_values("article_id").reset_index(drop=True)
