"""The composed stance corpus (data/stance/) meets its specification (docs/stance_corpus.md).

Only aggregate properties are checked: no test reads a test-split unit's label.
"""
import re

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from conftest import ROOT
from framing.countries import default_matcher
from framing.labels import CLASSES, GENRES, datasheet_counts, load_stance_corpus
from framing.tokenize import count_words, sentences

DATA = ROOT / "data" / "stance"
TARGETS = {"RUS", "CHN", "USA", "TUR", "IRN", "IND", "FRA", "SAU"}
HELD_OUT_TARGETS = {"IND", "TUR"}
HELD_OUT_TOPICS = {"espionage_interference", "migration_culture"}
PHENOMENA = ["negation", "rejected_claim", "reported_endorsed", "reported_distanced", "passive", "other_agent",
             "bystander", "hedged", "strong", "rhetorical_question", "scare_quotes_irony", "target_alias",
             "two_targets", "long_sentence", "headline_fragment"]
CONTINENTS = {"Africa", "Asia", "Europe", "North America", "South America", "Oceania"}


@pytest.fixture(scope="module")
def corpus():
    return load_stance_corpus(DATA)


@pytest.fixture(scope="module")
def gold(corpus):
    return corpus.gold_units()


@pytest.fixture(scope="module")
def split(corpus):
    return sentences(corpus.articles.rename(columns={"id": "article_id"})[["article_id", "text"]])


def test_articles_are_short_news_items(corpus, split):
    arts = corpus.articles
    assert len(arts) >= 400
    per_article = split.groupby("article_id").size()
    assert per_article.between(3, 10).all(), per_article[~per_article.between(3, 10)]
    words = arts["text"].map(count_words)
    assert words.between(60, 250).all(), arts.loc[~words.between(60, 250), "id"].tolist()
    assert set(arts["genre"]) == set(GENRES)
    assert arts["outlet"].ne("").all() and arts["outlet"].nunique() >= 40
    years = arts["date"].str[:4].astype(int)
    assert years.between(2015, 2026).all() and years.nunique() == 12


def test_targets_and_countries(corpus, gold):
    targets = corpus.articles["targets"].str.split(";").explode()
    assert TARGETS <= set(targets)
    assert (corpus.articles["targets"].str.contains(";")).sum() >= 20  # articles with two targets
    others = set(gold["country"]) - TARGETS
    assert len(others) >= 80
    regions = pd.read_csv(ROOT / "framing" / "data" / "regions.csv", dtype=str, keep_default_na=False)
    continent = dict(zip(regions["iso3"], regions["continent"]))
    assert CONTINENTS <= {continent[c] for c in others}


def test_units_are_exactly_the_package_pairs(corpus, split):
    """Every (sentence, target, other country) the package finds is labelled, and nothing else."""
    matcher = default_matcher()
    targets = dict(zip(corpus.articles["id"], corpus.articles["targets"].str.split(";")))
    expected = set()
    for aid, sid, text in zip(split["article_id"], split["sentence_id"], split["text"]):
        found = {c for _, _, c, _ in matcher.find(text)}
        expected |= {(aid, sid, t, c) for t in targets[aid] if t in found for c in found if c != t}
    labelled = set(corpus.units[["article_id", "sentence_id", "target", "country"]].itertuples(index=False, name=None))
    assert labelled == expected, (sorted(labelled - expected)[:5], sorted(expected - labelled)[:5])


def test_size_and_balance(gold):
    assert len(gold) >= 3000
    shares = gold["label"].value_counts(normalize=True)
    assert set(shares.index) == set(CLASSES)
    assert shares.min() >= 0.20, shares.to_dict()


def test_two_independent_codes_per_unit(corpus):
    coded = corpus.units[corpus.units["coder"] != "gold"]
    per_unit = coded.groupby(["article_id", "sentence_id", "target", "country"])["coder"].nunique()
    assert (per_unit >= 2).all()
    assert per_unit.size == (corpus.units["coder"] == "gold").sum()


def test_phenomena_and_topics_are_covered(gold):
    tags = gold["tags"].str.split(";").explode()
    counts = tags.value_counts()
    short = {p: int(counts.get(p, 0)) for p in PHENOMENA if counts.get(p, 0) < 30}
    assert not short, short
    by_topic = pd.crosstab(gold["topic"], gold["label"])
    assert len(by_topic) == 11
    assert (by_topic[list(CLASSES)] > 0).all().all(), by_topic


def test_held_out_targets_and_topics_are_only_in_test(corpus):
    arts = corpus.articles
    held = arts["targets"].str.split(";").map(lambda t: bool(HELD_OUT_TARGETS & set(t))) | arts["topic"].isin(HELD_OUT_TOPICS)
    assert held.any()
    assert (arts.loc[held, "split"] == "test").all()
    assert set(arts["split"]) == {"train", "dev", "test"}
    # the test split also holds in-distribution articles, so both kinds of transfer are measured
    assert ((arts["split"] == "test") & ~held).sum() >= 30


def test_no_templated_sentences(split):
    """No two sentences share more than 70% of their word types (Jaccard)."""
    words = [frozenset(w.lower() for w in re.findall(r"\w+(?:[-'’.]\w+)*", s)) for s in split["text"]]
    vocab = {w: i for i, w in enumerate(sorted(set().union(*words)))}
    rows = np.repeat(np.arange(len(words)), [len(w) for w in words])
    cols = [vocab[w] for ws in words for w in sorted(ws)]
    m = sparse.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(words), len(vocab)))
    inter = (m @ m.T).tocoo()
    size = np.array([len(w) for w in words])
    keep = inter.row < inter.col
    r, c, i = inter.row[keep], inter.col[keep], inter.data[keep]
    jaccard = i / (size[r] + size[c] - i)
    worst = np.argsort(-jaccard)[:3]
    pairs = [(split["text"].iat[r[k]], split["text"].iat[c[k]], round(float(jaccard[k]), 2)) for k in worst]
    assert jaccard.max() <= 0.70, pairs


def test_datasheet_counts_are_current(corpus):
    text = (ROOT / "docs" / "stance_corpus.md").read_text(encoding="utf-8")
    assert datasheet_counts(corpus) in text, "stale: run python -m framing.labels data/stance --datasheet docs/stance_corpus.md"
