"""Stance: how each sentence portrays the target, and the evidence rows per other country.

``stance`` is in [-1, 1] (against < 0 < favour): the frame cues of :mod:`framing.cues`
found in the sentence, adjusted for negation, rejected claims and distancing, plus a
smaller share of the target sentiment of :mod:`framing.target_model`:
``stance = tanh(cue_sum + MODEL_WEIGHT * target_sentiment)``. :func:`score` gives every
sentence its tone (:mod:`framing.tone`), target sentiment and stance, and writes one
evidence row per sentence x other country with the cues behind it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .cues import CUE_COLUMNS, CueLexicon, backdrop_countries, default_lexicon
from .target_model import target_sentiment
from .tone import _vader, sentence_tone

STANCE_LABELS = ("against", "neutral", "favour")
SENTENCE_SCORE_COLUMNS = ["target_mentioned", "sentiment", "target_sentiment", "stance", "cues"]
EVIDENCE_COLUMNS = ["article_id", "sentence_id", "country", "stance", "stance_label", "cues",
                    "target_sentiment", "sentiment"]

#: Share of the model's target sentiment in the stance (the cues' share is 1).
MODEL_WEIGHT = 0.25
#: |stance| below this is labelled neutral.
NEUTRAL_BAND = 0.2
#: Share of a sentence's stance given to a country that only appears as backdrop: inside a
#: circumstantial phrase ("as U.S. and Israeli operations escalated", "during the war with
#: Israel") that holds neither the target nor a cue.
BACKDROP_WEIGHT = 0.1


def stance_label(value: float) -> str:
    """``against`` / ``neutral`` / ``favour`` for a stance value."""
    if value <= -NEUTRAL_BAND:
        return "against"
    if value >= NEUTRAL_BAND:
        return "favour"
    return "neutral"


def load_resources() -> None:
    """Load the cue lexicon, VADER and the target model now (each is cached per process).

    Called before worker processes are forked, so that they share these instead of each
    loading its own copy."""
    from . import target_model

    default_lexicon()
    _vader()
    target_model.default_model()


def _sentence_spans(sentences: pd.DataFrame, mentions: pd.DataFrame, wanted: np.ndarray) -> dict:
    """Sentence position -> [(start, end, iso3)] (offsets relative to the sentence), for the
    sentence positions flagged in ``wanted``."""
    keys = pd.MultiIndex.from_arrays([sentences["article_id"], sentences["sentence_id"]])
    where = keys.get_indexer(pd.MultiIndex.from_arrays([mentions["article_id"], mentions["sentence_id"]]))
    keep = np.flatnonzero(wanted[where])
    where = where[keep]
    base = sentences["start"].to_numpy()[where]
    starts = (mentions["start"].to_numpy()[keep] - base).tolist()
    ends = (mentions["end"].to_numpy()[keep] - base).tolist()
    spans: dict = {}
    for pos, start, end, country in zip(where.tolist(), starts, ends,
                                        mentions["country"].to_numpy()[keep].tolist()):
        spans.setdefault(pos, []).append((start, end, country))
    return spans


def combine(cue_sum: float, target_sentiment_value: float) -> float:
    """The stance formula: ``tanh(cue_sum + MODEL_WEIGHT * target_sentiment)``."""
    ts = 0.0 if math.isnan(target_sentiment_value) else target_sentiment_value
    return math.tanh(cue_sum + MODEL_WEIGHT * ts)


def features(sentences: pd.DataFrame, mentions: pd.DataFrame, target: str, model=None,
             lexicon: CueLexicon | None = None, interactions=None, model_rows: bool = True) -> dict:
    """Everything the stance of ``target`` is computed from, per sentence and per unit.

    Returns a dict with ``sentences`` (gaining ``target_mentioned, sentiment,
    target_sentiment, cues``), ``cue_rows`` (one per cue hit in a target sentence), and
    the feature rows of the stance model: ``units`` (sentence position, other country,
    :data:`framing.stance_model.UNIT_FEATURES` values, backdrop flag) and
    ``sentence_rows`` (target sentence positions and their
    :data:`framing.stance_model.SENTENCE_FEATURES` values), plus ``cue_sum`` per position
    (the hand-weighted cue total, kept for the cue lexicon's own stance). With
    ``model_rows=False`` the interactions and feature rows are skipped (``unit_rows`` and
    ``sent_rows`` stay empty).
    """
    from .interactions import default_interactions
    from .stance_model import sentence_features, unit_features

    lexicon = lexicon or default_lexicon()
    interactions = (interactions or default_interactions()) if model_rows else None
    sentences = sentences.copy()
    codes = [c.split(";") for c in sentences["countries"].tolist()]
    mentioned = pd.Series([target in c for c in codes], index=sentences.index, dtype=bool)
    sentences["target_mentioned"] = mentioned
    sentences["sentiment"] = sentence_tone(sentences["text"].tolist())
    sentences["target_sentiment"] = target_sentiment(sentences, mentions, target, model)

    cue_text = [""] * len(sentences)
    cue_rows, cue_sum = [], {}
    on_target = mentioned.to_numpy()
    spans = _sentence_spans(sentences, mentions, on_target)
    texts = sentences["text"].tolist()
    article_ids = sentences["article_id"].tolist()
    sentence_ids = sentences["sentence_id"].tolist()
    starts = sentences["start"].tolist()
    tones = sentences["sentiment"].to_numpy()
    model_values = sentences["target_sentiment"].to_numpy()
    unit_pos, unit_country, unit_rows, unit_backdrop = [], [], [], []
    sent_pos, sent_rows = [], []
    for pos in np.flatnonzero(on_target).tolist():
        key = (article_ids[pos], sentence_ids[pos])
        sentence_spans = spans.get(pos, ())
        text = texts[pos]
        hits = lexicon.hits(text, sentence_spans, target)
        cue_sum[pos] = sum(h.value for h in hits)
        if hits:
            cue_text[pos] = " | ".join(h.describe() for h in hits if h.value != 0 or h.modifier)
            offset = starts[pos]
            cue_rows.extend((*key, offset + h.start, offset + h.end, h.text, h.type, h.frame,
                             h.modifier, h.value) for h in hits)
        if model_rows:
            found = interactions.find(text, sentence_spans)
            ts, tone = float(model_values[pos]), float(tones[pos])
            sent_pos.append(pos)
            sent_rows.append(sentence_features(text, sentence_spans, target, ts, tone, hits, found))
        others = [c for c in codes[pos] if c != target]
        backdrop = (backdrop_countries(text, sentence_spans, target, hits)
                    if others and len({c for _, _, c in sentence_spans}) > 1 else set())
        for country in others:
            unit_pos.append(pos)
            unit_country.append(country)
            unit_backdrop.append(country in backdrop)
            if model_rows:
                unit_rows.append(unit_features(text, sentence_spans, target, country, ts, tone, hits, found,
                                               country in backdrop))
    sentences["cues"] = cue_text
    return {"sentences": sentences, "cue_rows": cue_rows, "cue_sum": cue_sum,
            "unit_pos": unit_pos, "unit_country": unit_country, "unit_rows": unit_rows,
            "unit_backdrop": unit_backdrop, "sent_pos": sent_pos, "sent_rows": sent_rows}


def score(sentences: pd.DataFrame, mentions: pd.DataFrame, target: str, model=None,
          lexicon: CueLexicon | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Score sentences toward ``target``; return ``(sentences, evidence, cues)``.

    ``sentences`` gains ``target_mentioned, sentiment, target_sentiment, stance, cues``;
    ``evidence`` has one row per sentence x other country where the sentence also refers
    to the target; ``cues`` has one row per cue found in a target sentence, with its
    offsets in the article, its frame, modifier and signed contribution.
    """
    f = features(sentences, mentions, target, model, lexicon, model_rows=False)
    sentences = f["sentences"]
    model_values = sentences["target_sentiment"].to_numpy()
    stance = np.full(len(sentences), np.nan)
    for pos, cue_sum in f["cue_sum"].items():
        stance[pos] = combine(cue_sum, model_values[pos])
    sentences.insert(sentences.columns.get_loc("cues"), "stance", stance)

    evidence = sentences.iloc[f["unit_pos"]][["article_id", "sentence_id", "stance", "cues",
                                               "target_sentiment", "sentiment"]].copy()
    evidence.insert(2, "country", f["unit_country"])
    is_backdrop = np.array(f["unit_backdrop"], dtype=bool)
    if is_backdrop.any():
        evidence.loc[is_backdrop, "stance"] *= BACKDROP_WEIGHT
        evidence.loc[is_backdrop, "cues"] = (evidence.loc[is_backdrop, "cues"] + " | backdrop").str.lstrip(" |")
    evidence["stance_label"] = evidence["stance"].map(stance_label)
    evidence = evidence[EVIDENCE_COLUMNS].reset_index(drop=True)
    cues = pd.DataFrame(f["cue_rows"], columns=CUE_COLUMNS)
    return sentences, evidence, cues
