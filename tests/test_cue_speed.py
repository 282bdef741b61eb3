"""The fast cue matcher finds exactly what the plain alternation of all cues finds.

:meth:`CueLexicon._matches` skips most of the text with a prefilter derived from the
patterns; here it is compared, match for match and hit for hit, with the straightforward
reference: one ``finditer`` of the single alternation over every scored cue pattern.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from framing import cues as score
from framing.cues import CueLexicon, _Breaks, default_lexicon, load_cues
from framing.tokenize import split_sentences

ROOT = Path(__file__).resolve().parents[1]
NEWSMTSC = ROOT.parent / "shared" / "eval" / "newsmtsc" / "train.jsonl"


def _reference_re(lexicon: CueLexicon) -> re.Pattern:
    """The plain single alternation: every scored cue, in lexicon order."""
    patterns = lexicon.cues.loc[~lexicon.cues["type"].isin(["negator", "quantity"]), "pattern"]
    return re.compile(r"(?<![\w-])(?:" + "|".join(rf"({p})(?![\w-])" for p in patterns) + ")",
                      re.IGNORECASE)


class _ReferenceLexicon(CueLexicon):
    """The same lexicon, matching with the plain alternation only."""

    def __init__(self, cues=None):
        super().__init__(cues)
        self._plain = _reference_re(self)

    def _matches(self, text):
        for match in self._plain.finditer(text):
            yield match, match.lastindex - 1


def _raw(lexicon, text):
    return [(m.start(), m.end(), m.group(0), row) for m, row in lexicon._matches(text)]


def _hit_tuples(hits):
    return [(h.start, h.end, h.text, h.type, h.frame, h.value, h.modifier) for h in hits]


def _assert_same(lexicon, reference, texts, spans=((0, 6, "RUS"), (10, 13, "USA"))):
    plain = _reference_re(lexicon)
    for text in texts:
        expected = [(m.start(), m.end(), m.group(0), m.lastindex - 1) for m in plain.finditer(text)]
        assert _raw(lexicon, text) == expected, text
        for target in (None, "RUS"):
            assert _hit_tuples(lexicon.hits(text, spans, target)) == \
                _hit_tuples(reference.hits(text, spans, target)), text


@pytest.fixture(scope="module")
def lexicons():
    return default_lexicon(), _ReferenceLexicon()


def _seed_texts():
    texts = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        raw = path.read_text(encoding="utf-8")
        texts.extend(line for line in raw.splitlines() if line.strip())
        texts.extend(raw[s:e] for s, e in split_sentences(raw))
    return texts


def test_prefilter_is_used_for_the_packaged_lexicon(lexicons):
    lexicon, _ = lexicons
    assert lexicon._prefilter is not None
    assert all(p is not None for p in lexicon._prefixes)


def test_same_hits_on_seed_articles(lexicons):
    texts = _seed_texts()
    assert texts
    _assert_same(*lexicons, texts)
    _assert_same(*lexicons, [text.translate(ODD_CASES) for text in texts])


@pytest.mark.skipif(not NEWSMTSC.exists(), reason="NewsMTSC not available")
def test_same_hits_on_newsmtsc(lexicons):
    with open(NEWSMTSC, encoding="utf-8") as handle:
        texts = [json.loads(line)["sentence_normalized"] for line in handle if line.strip()]
    assert len(texts) > 1000
    _assert_same(*lexicons, texts)


def _words_of_patterns():
    """Literal words of the cue patterns, so generated text is full of near misses."""
    words = set()
    for pattern in load_cues()["pattern"]:
        words.update(re.findall(r"[A-Za-z’'-]{2,}", pattern))
    return sorted(words)


CUE_WORDS = _words_of_patterns()
#: Characters that re.IGNORECASE matches with an ASCII letter: long s, Kelvin sign, dotted
#: and dotless i.
ODD_CASES = str.maketrans({"s": "ſ", "k": "K", "i": "İ", "I": "ı"})
TRICKY = ["ſ", "K", "İ", "ı", "ß", "Σ", "ς", "’", "'", "-", "—", "\"", "“", "”", "«", "»", ",", ";",
          " - ", "\n", "\u00a0", "\u200b", "é", "Ё", "ﬁ"]
_token = st.one_of(
    st.sampled_from(CUE_WORDS),
    st.sampled_from(CUE_WORDS).map(str.upper),
    st.sampled_from(CUE_WORDS).map(str.title),
    st.sampled_from(CUE_WORDS).map(lambda w: w[:max(1, len(w) // 2)]),
    st.sampled_from(CUE_WORDS).map(lambda w: w.translate(ODD_CASES)),
    st.sampled_from(TRICKY),
    st.text(max_size=4),
)
_text = st.lists(st.tuples(_token, st.sampled_from([" ", "", " ", "-", ", ", "\t"])), max_size=30).map(
    lambda parts: "".join(a + b for a, b in parts))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_text)
def test_same_hits_on_generated_text(text):
    _assert_same(default_lexicon(), _REFERENCE, [text])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_same_hits_on_arbitrary_text(text):
    _assert_same(default_lexicon(), _REFERENCE, [text, text.replace("s", "ſ").replace("k", "K")])


_REFERENCE = _ReferenceLexicon()


def _custom(patterns):
    rows = [{"pattern": p, "type": "frame", "frame": "f", "polarity": "-1", "weight": "1", "negated": "",
             "agentive": ""} for p in patterns]
    rows.append({"pattern": "not", "type": "negator", "frame": "", "polarity": "0", "weight": "1",
                 "negated": "", "agentive": ""})
    rows.append({"pattern": "few", "type": "quantity", "frame": "", "polarity": "0", "weight": "1",
                 "negated": "", "agentive": ""})
    return pd.DataFrame(rows)


CUSTOM_TEXTS = ["He quietly betrayed them, not loudly; xx-betray Betrayal.", "2024 was 99 x y",
                "sold out SOLD OUT ſold out", "the ally, a friend; friendly allies", "", "a",
                "Kelvin KELVIN kelvin ſtop stop STOP", "-- - x - y -"]


@pytest.mark.parametrize("patterns", [
    [r"\w+ly betray\w*", "betray", r"(?:sold|sells?) out"],           # no prefix for the first
    [r".{2}\d", "stop", r"[^a]lly", r"[a-z]+ friend\w*"],              # any character, negated class
    [r"(?:x|)y", "kelvin", r"s\w*"],                                   # an optional first part
    ["friend", "friendly", "fri", r"all(?:y|ies)"],                     # prefixes of each other
])
def test_underivable_prefixes_fall_back_to_scanning(patterns):
    lexicon, reference = CueLexicon(_custom(patterns)), _ReferenceLexicon(_custom(patterns))
    _assert_same(lexicon, reference, CUSTOM_TEXTS + _seed_texts()[:50])


def test_empty_or_grouped_patterns_use_the_plain_alternation():
    lexicon = CueLexicon(_custom([r"x?", "stop"]))
    assert lexicon._prefilter is None
    _assert_same(lexicon, _ReferenceLexicon(_custom([r"x?", "stop"])), CUSTOM_TEXTS)
    # capturing groups: same raw matches (the rows they map to are the old code's)
    lexicon = CueLexicon(_custom([r"(betray)\w*", "stop"]))
    assert lexicon._prefilter is None
    plain = _reference_re(lexicon)
    for text in CUSTOM_TEXTS:
        assert _raw(lexicon, text) == [(m.start(), m.end(), m.group(0), m.lastindex - 1)
                                       for m in plain.finditer(text)]


def test_literal_prefixes():
    assert score._literal_prefixes(r"abandon\w*") == {"abandon"}
    assert score._literal_prefixes(r"over-?stretch\w*") == {"over-str", "overstre"}
    assert score._literal_prefixes(r"\w+ly") is None
    assert score._literal_prefixes(r"(?:x|)y") == {"xy", "y"}
