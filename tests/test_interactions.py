"""The interaction lexicon: who acts on whom, negation, and a checked data file."""
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framing.countries import default_matcher
from framing.interactions import default_interactions, load_interactions


def _find(text):
    spans = [(a, b, c) for a, b, c, _ in default_matcher().find(text)]
    return [(i.category, i.actor, i.patient, i.negated, i.weight) for i in default_interactions().find(text, spans)]


def test_actor_and_patient_follow_word_order_and_voice():
    (category, actor, patient, negated, weight), = _find("China imposed sanctions on Lithuania.")
    assert (category, actor, patient, negated) == ("sanction_restrict", "CHN", "LTU", False) and weight < 0
    found = _find("Syria received wheat from Russia.")
    assert found[0][1:3] == ("RUS", "SYR") and found[0][4] > 0   # 'received': the giver is named after


def test_negation_reverses_the_weight():
    plain, = [f for f in _find("Moscow delivered the jets to Yerevan.") if f[0] == "trade_supply"]
    negated, = [f for f in _find("Moscow did not deliver the jets to Yerevan.") if f[0] == "trade_supply"]
    assert plain[4] > 0 and negated[3] and negated[4] < 0


def test_lexicon_file_is_valid_and_balanced():
    table = load_interactions()
    assert len(table) >= 400 and table["lemma"].nunique() >= 300
    weights = table["goldstein"].astype(float)
    assert 0.35 < (weights > 0).mean() < 0.65


@pytest.mark.parametrize("row, message", [
    ({"phrase": "aided", "lemma": "aid", "category": "aid", "goldstein": "12", "actor": "before"}, "outside -10..10"),
    ({"phrase": "aided", "lemma": "aid", "category": "aid", "goldstein": "5", "actor": "left"}, "actor 'left'"),
    ({"phrase": "Aided", "lemma": "aid", "category": "aid", "goldstein": "5", "actor": "before"}, "lowercase"),
])
def test_bad_rows_are_named(tmp_path, row, message):
    path = tmp_path / "interactions.csv"
    pd.DataFrame([row]).to_csv(path, index=False)
    with pytest.raises(ValueError, match=f"{path}: row 2: .*{message}"):
        load_interactions(path)


def test_case_spacing_and_unicode_do_not_change_what_is_found():
    lower = _find("Moscow did not deliver the jets to Yerevan.")
    assert lower and _find("Moscow DID NOT Deliver  the\njets to Yerevan.") == lower
    # 'İ' lowercases to two characters: the search falls back to the text itself
    assert _find("İzmir: Moscow did not deliver the jets to Yerevan.") == lower


_WORDS = sorted({w for p in load_interactions()["phrase"] for w in p.split()})[:200] + [
    "not", "never", "Russia", "Syria", "—", "-", ",", "İ", "\n", "DELIVERED", "Aid"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=25), st.lists(st.sampled_from([" ", "  ", "\n", "-"]), max_size=25))
def test_find_matches_the_case_insensitive_lexicon_regex(words, gaps):
    text = "".join(w + (gaps[i] if i < len(gaps) else " ") for i, w in enumerate(words))
    lexicon = default_interactions()
    expected = [m.span() for m in lexicon.regex.finditer(text)
                if " ".join(m.group().lower().split()) in lexicon.info]
    assert [(i.start, i.end) for i in lexicon.find(text)] == expected
