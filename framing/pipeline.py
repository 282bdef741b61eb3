"""Pipeline: run the stages in order, corpus -> tokenize -> countries -> tone / target model / cues -> stance -> aggregate.

Each stage is a plain function from DataFrames to DataFrames; this module only wires them
together and fixes the column order of the published tables (the output contract).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import aggregate, countries, stance, tokenize
from .cues import CUE_COLUMNS
from .corpus import load_corpus

SENTENCE_COLUMNS = ["article_id", "sentence_id", "start", "end", "text", "countries"]
MENTION_COLUMNS = ["article_id", "sentence_id", "start", "end", "text", "country", "kind"]


def find_mentions(
    articles: pd.DataFrame, matcher: countries.CountryMatcher | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sentences (with the ``countries`` each refers to) and country mentions of ``articles``."""
    sentences = tokenize.sentences(articles)
    mentions = countries.find_mentions(articles, sentences, matcher)
    sentences["countries"] = _sentence_countries(sentences, mentions)
    return sentences[SENTENCE_COLUMNS + ["words"]], mentions[MENTION_COLUMNS]


def _sentence_countries(sentences: pd.DataFrame, mentions: pd.DataFrame) -> np.ndarray:
    """Per sentence, the sorted distinct codes of the countries it mentions, ';'-joined ('' if none)."""
    try:
        # distinct (article, sentence, country), sorted: each sentence's codes in order
        triples = sorted(set(zip(mentions["article_id"].tolist(), mentions["sentence_id"].tolist(),
                                 mentions["country"].tolist())))
    except TypeError:  # keys that do not compare (e.g. a missing id): the pandas way
        return _sentence_countries_pandas(sentences, mentions)
    joined: dict = {}
    for article_id, sentence_id, code in triples:
        key = (article_id, sentence_id)
        if key in joined:
            joined[key] += ";" + code
        else:
            joined[key] = code
    keys = zip(sentences["article_id"].tolist(), sentences["sentence_id"].tolist())
    out = np.empty(len(sentences), dtype=object)
    out[:] = list(map(joined.get, keys, itertools.repeat("")))
    return out


def _sentence_countries_pandas(sentences: pd.DataFrame, mentions: pd.DataFrame) -> np.ndarray:
    codes = (
        mentions.drop_duplicates(["article_id", "sentence_id", "country"])
        .sort_values(["article_id", "sentence_id", "country"])
        .groupby(["article_id", "sentence_id"], sort=False)["country"]
        .agg(";".join)
    )
    keys = pd.MultiIndex.from_frame(sentences[["article_id", "sentence_id"]])
    return codes.astype(object).reindex(keys, fill_value="").to_numpy()


@dataclass
class Result:
    """Everything :func:`analyze` computes, as DataFrames, plus the target it was run for."""

    target: str
    articles: pd.DataFrame
    sentences: pd.DataFrame
    mentions: pd.DataFrame
    evidence: pd.DataFrame
    scores: pd.DataFrame
    cues: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """The published tables, by file name, in their contract column order."""
        return {
            "sentences": self.sentences[SENTENCE_COLUMNS + ["words"] + stance.SENTENCE_SCORE_COLUMNS],
            "mentions": self.mentions[MENTION_COLUMNS],
            "evidence": self.evidence[stance.EVIDENCE_COLUMNS],
            "scores": self.scores[aggregate.SCORE_COLUMNS],
            "articles": self.articles,
            "cues": self.cues[CUE_COLUMNS],
        }


def analyze(corpus: pd.DataFrame | str | Path, target: str = "RUS", model=None,
            matcher: countries.CountryMatcher | None = None, stance_model=None) -> Result:
    """Score a corpus (a path or a DataFrame from :func:`framing.corpus.load_corpus`).

    ``model`` is the target-sentiment model, ``stance_model`` the stance model (default:
    the shipped ones). Returns a :class:`Result` whose DataFrames are ``sentences``, ``mentions``,
    ``evidence`` (sentence x co-mentioned country, with cues), ``scores`` (article x
    country), ``articles`` (one row per article, metadata included) and ``cues`` (every
    cue found in a target sentence, with its offsets and contribution).
    """
    articles = corpus if isinstance(corpus, pd.DataFrame) else load_corpus(corpus)
    target = countries.resolve_code(target)
    sentences, mentions = find_mentions(articles, matcher)
    if stance_model is None:
        from .stance_model import default_model

        stance_model = default_model()
    sentences, evidence, cue_rows = stance.score(sentences, mentions, target, model=model,
                                                 stance_model=stance_model)
    band = stance_model.article_band
    scores = aggregate.article_country(sentences, mentions, evidence, target, band)
    article_table = aggregate.articles(articles, sentences, mentions, target, band)
    return Result(target, article_table, sentences, mentions, evidence, scores, cue_rows)
