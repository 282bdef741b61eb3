"""The stance cues: each mechanism on sentences written for the test (not from the seeds)."""
import math

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framing import stance, tone
from framing.cues import CueLexicon, default_lexicon, load_cues
from framing.stance import stance_label

REPO = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def stock_vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def cue_sum(text, spans=(), target=None):
    return sum(h.value for h in default_lexicon().hits(text, spans, target))


def test_plain_accusation_is_against():
    assert cue_sum("Beijing abandoned Pyongyang when the sanctions bit.") < 0


def test_negated_accusation_is_favour():
    assert cue_sum("Ankara did not abandon Baku.") > 0


def test_rejected_claim_flips_the_claim():
    claim = "Claims that Paris betrayed Bamako"
    assert cue_sum(claim + " are everywhere.") < 0
    assert cue_sum(claim + " do not hold water.") > 0
    assert cue_sum("Talk of Beijing's betrayal of Islamabad misses the point.") > 0


def test_withheld_support_is_strongly_against_and_given_support_mildly_favour():
    given = cue_sum("Washington sent support to Taipei.")
    withheld = cue_sum("Washington offered no practical support to Taipei.")
    assert 0 < given < 0.5
    assert withheld <= -0.8
    assert cue_sum("Moscow stopped short of committing troops.") < 0


def test_quantity_words_do_not_reverse_against_cues():
    # "barely ... beyond rhetoric" is still hollow rhetoric, not its opposite
    assert cue_sum("Its response barely went beyond verbal condemnation.") < 0
    assert cue_sum("Little real protection came from Moscow.") < 0


def test_negation_stays_in_its_clause():
    # "no longer" does not reach into the "why" clause
    assert cue_sum("The question is no longer why Tehran failed Damascus.") < 0


def test_scare_quotes_mark_hollow_support():
    assert cue_sum("Beijing reaffirmed its “support” for Minsk.") < 0


def test_blame_on_the_allys_own_elites_is_favour():
    assert cue_sum("The real failure lies with the ruling elites in Caracas.") > 0


def test_agent_of_abandonment_is_found():
    text = "Yerevan turned its back on Moscow."
    spans = [(0, 7, "ARM"), (27, 33, "RUS")]
    assert cue_sum(text, spans, "RUS") > 0   # Armenia did the abandoning
    text = "Moscow turned its back on Yerevan."
    spans = [(0, 6, "RUS"), (26, 33, "ARM")]
    assert cue_sum(text, spans, "RUS") < 0
    # passive: the ally feels abandoned, the target is still the agent
    text = "Yerevan felt abandoned by Moscow."
    assert cue_sum(text, [(0, 7, "ARM"), (26, 32, "RUS")], "RUS") < 0


def test_pragmatism_and_retained_assets_are_favour():
    assert cue_sum("A pragmatic Kremlin kept its naval base in Tartus.") > 1


def test_every_hit_is_explained():
    hits = default_lexicon().hits("Claims that Russia abandoned Syria are baseless.")
    described = " | ".join(h.describe() for h in hits)
    assert "abandonment" in described and "rejected claim" in described


def test_labels_and_combination():
    assert stance_label(-0.5) == "against" and stance_label(0.0) == "neutral" and stance_label(0.5) == "favour"
    assert stance.combine(0.0, float("nan")) == 0.0
    assert -1 < stance.combine(-5, -1) < stance.combine(0, 0) < stance.combine(5, 1) < 1
    assert math.isclose(stance.combine(0.0, 1.0), math.tanh(stance.MODEL_WEIGHT))


def test_bad_lexicon_is_reported(tmp_path):
    path = tmp_path / "cues.csv"
    cues = load_cues()
    cues.loc[3, "pattern"] = "(unclosed"
    cues.to_csv(path, index=False)
    with pytest.raises(ValueError, match="row 5: bad pattern"):
        load_cues(path)
    cues = load_cues()
    cues.loc[0, "type"] = "mystery"
    cues.to_csv(path, index=False)
    with pytest.raises(ValueError, match="unknown cue type 'mystery'"):
        load_cues(path)


def test_custom_lexicon_is_used():
    cues = pd.DataFrame([
        {"pattern": "wonderful", "type": "frame", "frame": "praise", "polarity": "1", "weight": "1",
         "negated": "", "agentive": "", "note": ""},
        {"pattern": "not", "type": "negator", "frame": "", "polarity": "0", "weight": "1",
         "negated": "", "agentive": "", "note": ""},
        {"pattern": "little", "type": "quantity", "frame": "", "polarity": "0", "weight": "1",
         "negated": "", "agentive": "", "note": ""},
    ])
    lexicon = CueLexicon(cues)
    assert [h.value for h in lexicon.hits("A wonderful ally, not wonderful at all.")] == [1.0, -1.0]


def _stock_vader_texts():
    texts = [line for path in sorted((REPO / "seeds").glob("*.txt"))
             for line in path.read_text(encoding="utf-8").splitlines()]
    texts += ["", "   ", "Great 😀 news", "😡", "so 👍👍 and kind of sad ☹", "not bad at all",
              "The plan is kind of good, but the result was HORRIBLE!!!", "\u2764 love",
              "Kind of", "kind", "no 😀", "  padded text  ", ":) :( <3"]
    newsmtsc = REPO.parent / "shared" / "eval" / "newsmtsc" / "train.jsonl"
    if newsmtsc.is_file():
        import json

        with open(newsmtsc, encoding="utf-8") as handle:
            texts += [json.loads(line)["sentence_normalized"] for line in handle]
    return texts


def test_sentence_tone_equals_stock_vader():
    stock = stock_vader()
    ours = tone._vader()
    texts = _stock_vader_texts()
    assert len(texts) > 100
    for text in texts:
        expected = stock.polarity_scores(text)
        assert ours.polarity_scores(text) == expected, text
        assert ours.compound(text) == expected["compound"], text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["kind", "of", "not", "very", "good", "bad", "BUT", "but", "!",
                                  "?", ".", ",", "'", " ", "😀", "☹", "👍", "\u200d", "\ufe0f",
                                  "great", "never", "x", ":)", "\n"]), max_size=30).map("".join)
       | st.text())
def test_sentence_tone_equals_stock_vader_on_generated_text(text):
    expected = stock_vader().polarity_scores(text)
    assert tone._vader().polarity_scores(text) == expected
    assert tone._vader().compound(text) == expected["compound"]


# words that reach each branch of VADER's negation, idiom, booster and "least" checks
_VADER_WORDS = ["not", "Not", "NOT", "isn't", "wasnt", "without", "doubt", "never", "so", "this",
                "no", "No", "or", "nor", "least", "at", "very", "the", "bomb", "shit", "bad", "ass",
                "kiss", "of", "death", "to", "die", "for", "yeah", "right", "sort", "kind", "just",
                "enough", "extremely", "barely", "good", "GOOD", "love", "hate", "terrible", "nice",
                "but", "despite", "seldom", "uh-uh", "cannot", "n't", "x", "!", "?", "HORRIBLE",
                "friend", "war", "abandon", "support", "bus", "stop", "beating", "heart"]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(_VADER_WORDS), max_size=12).map(" ".join))
def test_sentence_tone_equals_stock_vader_on_word_sequences(text):
    expected = stock_vader().polarity_scores(text)
    assert tone._vader().polarity_scores(text) == expected
    assert tone._vader().compound(text) == expected["compound"]


def test_sentence_tone_is_vader():
    values = tone.sentence_tone(["This is wonderful and great.", "This is horrible.", "A table."])
    assert values[0] > 0.5 and values[1] < -0.5 and values[2] == 0
    assert np.all(np.abs(values) <= 1)


# ------------------------------------------------------------------ the stance model in score


def _analyze(texts, target="RUS"):
    from framing.pipeline import analyze

    return analyze(pd.DataFrame({"article_id": [f"a{i}" for i in range(len(texts))], "text": texts}), target)


def test_every_evidence_row_says_why():
    result = _analyze(["Russia abandoned Syria when the rebels advanced. Moscow delivered wheat to Cuba."])
    ev = result.evidence.set_index("country")
    assert ev.loc["SYR", "stance_label"] == "against"
    assert "“abandoned”" in ev.loc["SYR", "why"]
    assert ev.loc["CUB", "stance"] > 0
    assert "“delivered”" in ev.loc["CUB", "why"] or "“delivered wheat to”" in ev.loc["CUB", "why"]
    assert (result.evidence["why"] != "").all()
    assert (result.evidence["link"] == "named").all()


def test_a_pronoun_after_a_target_subject_links_a_country():
    result = _analyze(["Russia has kept its bases on the coast. It abandoned Armenia when Azerbaijan attacked."])
    ev = result.evidence
    linked = ev[ev["link"] == "anaphora"].set_index("country")
    assert set(linked.index) == {"ARM", "AZE"}
    assert linked.loc["ARM", "stance"] < 0
    scores = result.scores.set_index("country")
    assert scores.loc["ARM", "link"] == "anaphora"
    assert scores.loc["ARM", "target_sentences"] == 1


def test_no_anaphora_when_the_target_was_not_the_subject():
    result = _analyze(["Sanctions on Russia have widened. It abandoned Armenia when Azerbaijan attacked."])
    assert result.evidence.empty
    assert (result.scores["link"] == "no shared sentence").all()
    assert result.scores["stance"].isna().all()


def test_no_anaphora_for_a_country_already_named_beside_the_target():
    result = _analyze(["Russia armed Armenia for decades. It abandoned Armenia when Azerbaijan attacked."])
    ev = result.evidence
    assert set(ev.loc[ev["link"] == "anaphora", "country"]) == {"AZE"}
    assert set(ev.loc[ev["link"] == "named", "country"]) == {"ARM"}
