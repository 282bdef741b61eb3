"""Stance: how each sentence portrays the target, and the evidence rows per other country.

``stance`` is in [-1, 1] (against < 0 < favour): ``P(favour) - P(against)`` of the learned
stance model (:mod:`framing.stance_model`, ``framing/data/stance_model.npz``), whose few,
general features are the target sentiment of :mod:`framing.target_model`, the sentence
tone of :mod:`framing.tone`, the frame cues of :mod:`framing.cues` with their modifiers,
the interactions of :mod:`framing.interactions` by who acts on whom, and the positions of
the two countries. :func:`score` gives every sentence that names the target its stance
(the sentence model) and writes one evidence row per sentence x other country (the unit
model), each with ``why``: the features that pushed it most, with their signed
contributions and the words behind them.

When an article never names a country in the same sentence as the target, a sentence
that names the country and refers to the target only by a pronoun or "the country", right
after a sentence whose subject is the target, is used instead (``link=anaphora``).
"""

from __future__ import annotations

import math
import re
from array import array

import numpy as np
import pandas as pd

from .cues import CUE_COLUMNS, CueLexicon, backdrop_countries, default_lexicon
from .target_model import target_sentiment
from .tone import _vader, sentence_tone

STANCE_LABELS = ("against", "neutral", "favour")
SENTENCE_SCORE_COLUMNS = ["target_mentioned", "sentiment", "target_sentiment", "stance", "cues", "why"]
EVIDENCE_COLUMNS = ["article_id", "sentence_id", "country", "link", "stance", "stance_label", "why", "cues",
                    "target_sentiment", "sentiment"]

#: The cue formula of framing 0.x, kept as a baseline (``docs/stance_model.md``):
#: ``tanh(cue_sum + MODEL_WEIGHT * target_sentiment)``.
MODEL_WEIGHT = 0.25
#: |stance| below this is labelled neutral (the stance model's neutral offset is tuned on
#: the stance corpus's dev split for this band).
NEUTRAL_BAND = 0.2
#: In the cue formula baseline, the share of a sentence's stance given to a country that
#: only appears as backdrop: inside a circumstantial phrase ("as U.S. and Israeli
#: operations escalated", "during the war with Israel") that holds neither the target nor
#: a cue. The stance model has backdrop as a feature instead.
BACKDROP_WEIGHT = 0.1


def stance_label(value: float, band: float = NEUTRAL_BAND) -> str:
    """``against`` / ``neutral`` / ``favour`` for a stance value (neutral when |value| < band)."""
    if value <= -band:
        return "against"
    if value >= band:
        return "favour"
    return "neutral"


def load_resources() -> None:
    """Load the lexicons, VADER, the target model and the stance model now (each is cached
    per process).

    Called before worker processes are forked, so that they share these instead of each
    loading its own copy."""
    from . import stance_model, target_model
    from .interactions import default_interactions

    default_lexicon()
    default_interactions()
    _vader()
    target_model.default_model()
    stance_model.default_model()


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
    """The cue formula baseline: ``tanh(cue_sum + MODEL_WEIGHT * target_sentiment)``."""
    ts = 0.0 if math.isnan(target_sentiment_value) else target_sentiment_value
    return math.tanh(cue_sum + MODEL_WEIGHT * ts)


def features(sentences: pd.DataFrame, mentions: pd.DataFrame, target: str, model=None,
             lexicon: CueLexicon | None = None, interactions=None, model_rows: bool = True) -> dict:
    """Everything the stance of ``target`` is computed from, per sentence and per unit.

    Returns a dict with ``sentences`` (gaining ``target_mentioned, sentiment,
    target_sentiment, cues``), ``cue_rows`` (one per cue hit in a target sentence), and
    the feature rows of the stance model: ``unit_*`` (sentence position, other country,
    :data:`framing.stance_model.UNIT_FEATURES` values, backdrop flag, the words behind
    the features, read only for these units) and ``sent_*`` (target sentence positions and
    their :data:`framing.stance_model.SENTENCE_FEATURES` values), plus ``cue_sum`` per position
    (the hand-weighted cue total, kept for the cue lexicon's own stance). With
    ``model_rows=False`` the interactions and feature rows are skipped (``unit_rows`` and
    ``sent_rows``, 2-D float arrays, have no rows).
    """
    from .interactions import default_interactions
    from .stance_model import (SENTENCE_FEATURES, UNIT_FEATURES, sentence_features, sentence_shared, unit_details,
                               unit_features)

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
    # feature rows as flat float arrays: no per-row list for the garbage collector to track
    unit_pos, unit_country, unit_rows, unit_backdrop, context = [], [], array("d"), [], {}
    sent_pos, sent_rows = [], array("d")
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
        others = [c for c in codes[pos] if c != target]
        if model_rows:
            ts, tone = float(model_values[pos]), float(tones[pos])
            sent_pos.append(pos)
            shared = sentence_shared(text, sentence_spans, target, hits)
            sent_rows.extend(sentence_features(text, sentence_spans, target, ts, tone, hits, shared))
            found = interactions.find(text, sentence_spans) if others else ()
            if others:
                context[pos] = (hits, found)
        backdrop = (backdrop_countries(text, sentence_spans, target, hits)
                    if others and len({c for _, _, c in sentence_spans}) > 1 else set())
        for country in others:
            unit_pos.append(pos)
            unit_country.append(country)
            unit_backdrop.append(country in backdrop)
            if model_rows:
                unit_rows.extend(unit_features(text, sentence_spans, target, country, ts, tone, hits, found,
                                               country in backdrop, shared))
    sentences["cues"] = cue_text
    return {"sentences": sentences, "cue_rows": cue_rows, "cue_sum": cue_sum,
            "unit_pos": unit_pos, "unit_country": unit_country,
            "unit_rows": np.frombuffer(unit_rows, dtype=float).reshape(len(unit_pos) if model_rows else 0,
                                                                        len(UNIT_FEATURES)),
            "unit_backdrop": unit_backdrop, "sent_pos": sent_pos,
            "sent_rows": np.frombuffer(sent_rows, dtype=float).reshape(len(sent_pos), len(SENTENCE_FEATURES)),
            "unit_details": lambda i, names: unit_details(target, unit_country[i], *context[unit_pos[i]], names)}


def score(sentences: pd.DataFrame, mentions: pd.DataFrame, target: str, model=None,
          lexicon: CueLexicon | None = None, stance_model=None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Score sentences toward ``target``; return ``(sentences, evidence, cues)``.

    ``sentences`` gains ``target_mentioned, sentiment, target_sentiment, stance, cues,
    why`` (stance and why for the sentences that name the target); ``evidence`` has one
    row per sentence x other country where the sentence also refers to the target
    (``link=named``) or, for a country the article never names beside the target, refers
    to it by a pronoun (``link=anaphora``, see :func:`anaphora_links`); ``cues`` has one
    row per cue found in a target sentence, with its offsets in the article, its frame,
    modifier and signed contribution. ``model`` is the target-sentiment model and
    ``stance_model`` the :class:`framing.stance_model.StanceModel` (default: the shipped ones).
    """
    from .stance_model import default_model

    stance_model = stance_model or default_model()
    f = features(sentences, mentions, target, model, lexicon)
    sentences = f["sentences"]
    stance = np.full(len(sentences), np.nan)
    why = np.full(len(sentences), "", dtype=object)
    if f["sent_pos"]:
        X = f["sent_rows"]
        stance[f["sent_pos"]] = stance_model.stance(X, "sentence")
        why[f["sent_pos"]] = stance_model.explain(X, "sentence")  # the words are in ``cues``
    sentences.insert(sentences.columns.get_loc("cues"), "stance", stance)
    sentences["why"] = why
    evidence = _evidence(sentences, f, stance_model, "named")
    linked = anaphora_links(sentences, mentions, target, evidence)
    if len(linked[0]):
        g = features(*linked, target, model, lexicon)
        more = _evidence(g["sentences"], g, stance_model, "anaphora")
        evidence = pd.concat([evidence, more], ignore_index=True)
        order = pd.Index(sentences["article_id"].drop_duplicates())
        evidence = evidence.iloc[np.lexsort((evidence["sentence_id"].to_numpy(),
                                             order.get_indexer(evidence["article_id"])))]
    evidence = evidence[EVIDENCE_COLUMNS].reset_index(drop=True)
    cues = pd.DataFrame(f["cue_rows"], columns=CUE_COLUMNS)
    return sentences, evidence, cues


def _evidence(sentences: pd.DataFrame, f: dict, stance_model, link: str) -> pd.DataFrame:
    """One evidence row per unit of ``f`` (from :func:`features`), scored by the unit model."""
    evidence = sentences.iloc[f["unit_pos"]][["article_id", "sentence_id", "cues", "target_sentiment",
                                               "sentiment"]].copy()
    evidence.insert(2, "country", f["unit_country"])
    evidence.insert(3, "link", link)
    if len(f["unit_rows"]):
        X = f["unit_rows"]
        evidence["stance"] = stance_model.stance(X)
        evidence["why"] = stance_model.explain(X, details=f["unit_details"])
    else:
        evidence["stance"] = np.array([], dtype=float)
        evidence["why"] = np.array([], dtype=object)
    is_backdrop = np.array(f["unit_backdrop"], dtype=bool)
    if is_backdrop.any():
        evidence.loc[is_backdrop, "cues"] = (evidence.loc[is_backdrop, "cues"] + " | backdrop").str.lstrip(" |")
    evidence["stance_label"] = [stance_label(v) for v in evidence["stance"].tolist()]
    return evidence[EVIDENCE_COLUMNS]


#: A sentence that opens by referring back to a state: "It", "Its", "The country" (after an
#: optional connective such as "But" or "Instead,").
_ANAPHOR = re.compile(
    r"^\W*(?:(?:but|and|yet|still|now|instead|meanwhile|however|so|then|there),?\s+)?"
    r"(its|it|the country(?:['’]s)?|the government(?:['’]s)?)(?![\w-])", re.IGNORECASE)
#: the words that make a mention the object of a preposition rather than a subject
_PREPOSITION = re.compile(
    r"(?:\b(?:to|with|from|against|by|of|for|on|at|in|into|toward|towards|about|than|over|"
    r"between|among|and|or|like|as|under|behind|beside)|['’]s)\s*\W*$", re.IGNORECASE)
#: at most this many words may come before a subject mention ("On Tuesday, Russia ...")
SUBJECT_WINDOW = 8


def anaphora_links(sentences: pd.DataFrame, mentions: pd.DataFrame, target: str,
                   evidence: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sentences where only a pronoun links a country to the target, ready for :func:`features`.

    A sentence qualifies when it does not name the target, opens with "it", "its", "the
    country" or "the government", follows a sentence of the same article whose subject is
    the target (named within its first SUBJECT_WINDOW words, not as the object of a
    preposition), and names a country that the article never names in the same sentence
    as the target (no row in ``evidence``). Returns ``(sentences, mentions)`` for those
    sentences, with the pronoun as a mention of the target (``kind=anaphora``) and only
    the qualifying countries besides it.
    """
    named = sentences["target_mentioned"].to_numpy(dtype=bool)
    has_other = (sentences["countries"].to_numpy() != "") & ~named
    empty = (sentences.iloc[:0], mentions.iloc[:0])
    if not has_other.any() or not named.any():
        return empty
    article = sentences["article_id"].to_numpy()
    previous = np.concatenate(([False], (article[1:] == article[:-1]) & named[:-1]))
    candidates = np.flatnonzero(has_other & previous)
    if not len(candidates):
        return empty
    texts = sentences["text"].tolist()
    starts = sentences["start"].to_numpy()
    covered = set(zip(evidence["article_id"].tolist(), evidence["country"].tolist()))
    target_mentions = mentions[mentions["country"] == target]
    first_target = target_mentions.groupby(["article_id", "sentence_id"])["start"].min()
    keep, pseudo = [], []
    sentence_ids = sentences["sentence_id"].to_numpy()
    for pos in candidates.tolist():
        m = _ANAPHOR.match(texts[pos])
        if m is None:
            continue
        prev_start = first_target.get((article[pos - 1], sentence_ids[pos - 1]))
        if prev_start is None:
            continue
        head = texts[pos - 1][:int(prev_start - starts[pos - 1])]
        if len(head.split()) > SUBJECT_WINDOW or _PREPOSITION.search(head):
            continue
        others = [c for c in sentences["countries"].iat[pos].split(";")
                  if c != target and (article[pos], c) not in covered]
        if not others:
            continue
        keep.append((pos, others))
        pseudo.append((article[pos], sentence_ids[pos], int(starts[pos]) + m.start(1),
                       int(starts[pos]) + m.end(1), m.group(1), target, "anaphora"))
    if not keep:
        return empty
    rows = sentences.iloc[[p for p, _ in keep]][["article_id", "sentence_id", "start", "end", "text", "words"]].copy()
    rows["countries"] = [";".join(sorted([target, *others])) for _, others in keep]
    wanted = {(article[p], sentence_ids[p], c) for p, others in keep for c in others}
    sub = mentions[[k in wanted for k in zip(mentions["article_id"], mentions["sentence_id"], mentions["country"])]]
    extra = pd.DataFrame(pseudo, columns=["article_id", "sentence_id", "start", "end", "text", "country", "kind"])
    linked = pd.concat([sub, extra], ignore_index=True).sort_values(["article_id", "sentence_id", "start"],
                                                                   kind="stable")
    return rows.reset_index(drop=True), linked.reset_index(drop=True)


def cue_formula(sentences: pd.DataFrame, mentions: pd.DataFrame, target: str, model=None,
                lexicon: CueLexicon | None = None) -> pd.DataFrame:
    """The evidence rows as framing 0.x scored them, for comparison (``docs/stance_model.md``):
    ``stance = tanh(cue_sum + MODEL_WEIGHT * target_sentiment)``, times BACKDROP_WEIGHT
    for a backdrop country. Columns ``article_id, sentence_id, country, stance``."""
    f = features(sentences, mentions, target, model, lexicon, model_rows=False)
    ts = f["sentences"]["target_sentiment"].to_numpy()
    values = [combine(f["cue_sum"][p], ts[p]) * (BACKDROP_WEIGHT if b else 1.0)
              for p, b in zip(f["unit_pos"], f["unit_backdrop"])]
    rows = f["sentences"].iloc[f["unit_pos"]][["article_id", "sentence_id"]].copy()
    rows["country"] = f["unit_country"]
    rows["stance"] = values
    return rows.reset_index(drop=True)
