"""Agreement of the system with a human reader's hand labels (docs/labels.md, docs/codebook.md).

The thresholds are the values measured on 2026-11-29 with the packaged target-sentiment
and stance models (`python -m pytest tests/test_validation.py -s` prints them), rounded
down to two decimals. The seeds' dev articles (000-002) are part of the stance model's
training data; the held-out ones (003, 004) and the composed sentences are not. They are regression guards, not goals: a change to the method that lowers
agreement fails here, and the README and notebook 05 must then be updated with the new
numbers. "dev" labels were looked at while building the cues; "heldout" ones were not.
"""
import pytest

from conftest import ROOT
from framing import validate
from framing.pipeline import analyze

DATA = ROOT / "data"


@pytest.fixture(scope="module")
def result(seeds_dir):
    return analyze(seeds_dir)


@pytest.fixture(scope="module")
def sentences(result):
    return validate.sentence_agreement(result, DATA / "stance_seeds")


@pytest.fixture(scope="module")
def articles(result):
    return validate.article_agreement(result, DATA / "stance_seeds")


@pytest.fixture(scope="module")
def composed():
    return validate.heldout_sentences(DATA / "stance_sentences")


def _metrics(df, name):
    m = validate.agreement_metrics(df)
    print(f"\n{name}: n={m['n']} accuracy={m['accuracy']:.3f} macro_f1={m['macro_f1']:.3f} "
          f"spearman={m['spearman']:.3f}")
    return m


def test_labels_still_match_the_sentence_split(sentences):
    assert sentences["text_matches"].all(), sentences.loc[~sentences["text_matches"], "sentence"].tolist()
    assert sentences["country_found"].all()


@pytest.mark.parametrize("split, macro_f1, spearman", [("dev", 0.73, 0.71), ("heldout", None, 0.20)])
def test_sentence_agreement(sentences, split, macro_f1, spearman):
    m = _metrics(sentences[sentences["split"] == split], f"sentences {split}")
    if macro_f1 is not None:
        assert m["macro_f1"] >= macro_f1
    else:  # the held-out seed articles have no favour label: accuracy is the fair summary
        assert m["accuracy"] >= 0.54
    assert m["spearman"] >= spearman


@pytest.mark.parametrize("split, accuracy, spearman", [("dev", 0.81, 0.70), ("heldout", 0.92, None)])
def test_article_agreement(articles, split, accuracy, spearman):
    m = _metrics(articles[articles["split"] == split], f"articles {split}")
    assert m["accuracy"] >= accuracy
    if spearman is not None:
        assert m["spearman"] >= spearman


@pytest.mark.parametrize("split, macro_f1, spearman", [("dev", 0.54, 0.71), ("heldout", 0.66, 0.45)])
def test_composed_sentences_about_other_countries(composed, split, macro_f1, spearman):
    assert composed["target_found"].all() and composed["country_found"].all()
    m = _metrics(composed[composed["split"] == split], f"composed {split}")
    assert m["macro_f1"] >= macro_f1
    assert m["spearman"] >= spearman


def test_the_studys_headline_reading(result):
    """000, 001 and 003 portray Russia as against, 002 in its favour, overall and for
    Venezuela, Iran and Syria wherever the article sets them beside Russia."""
    expected = {"000_14d0731b4b4fb936": "against", "001_64f9c248618ff4e7": "against",
                "002_445668cc3e28de33": "favour", "003_f850e9f01a9950c6": "against"}
    overall = result.articles.set_index("article_id")["stance_label"]
    scores = result.scores.set_index(["article_id", "country"])
    for article_id, label in expected.items():
        assert overall[article_id] == label
        for country in ("VEN", "IRN", "SYR"):
            if (article_id, country) in scores.index and scores.loc[(article_id, country), "target_sentences"]:
                assert scores.loc[(article_id, country), "stance_label"] == label, (article_id, country)
