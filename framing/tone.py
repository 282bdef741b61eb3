"""Tone: VADER's compound score of each sentence (vaderSentiment, unchanged scores).

``sentiment`` in every table is this number, in [-1, 1]. framing computes it with VADER's
rules on words lowercased once, skipping work whose result is known (see ``_Vader``); the
scores are identical to the stock analyzer's (tests/test_stance.py).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def _vader():
    """vaderSentiment's analyzer, with the same scores, made faster (see _Vader)."""
    from vaderSentiment import vaderSentiment as vs

    NEGATE = frozenset(vs.NEGATE)
    BOOSTER, SPECIAL, N_SCALAR, C_INCR = vs.BOOSTER_DICT, vs.SPECIAL_CASES, vs.N_SCALAR, vs.C_INCR
    PUNCTUATION = vs.string.punctuation

    def negation(valence, lowered, start_i, i):
        """VADER's ``_negation_check`` on the lowercased words, looking only at the words
        it tests (VADER lowercases the whole sentence and copies its NEGATE list per call)."""
        before = lowered[i - (start_i + 1)]
        if start_i == 0:
            if before in NEGATE or "n't" in before:
                valence = valence * N_SCALAR
        elif start_i == 1:
            two, one = before, lowered[i - 1]
            if two == "never" and (one == "so" or one == "this"):
                valence = valence * 1.25
            elif two == "without" and one == "doubt":
                pass
            elif before in NEGATE or "n't" in before:
                valence = valence * N_SCALAR
        elif start_i == 2:
            three, two, one = before, lowered[i - 2], lowered[i - 1]
            if three == "never" and (two == "so" or two == "this") or (one == "so" or one == "this"):
                valence = valence * 1.25
            elif three == "without" and (two == "doubt" or one == "doubt"):
                pass
            elif before in NEGATE or "n't" in before:
                valence = valence * N_SCALAR
        return valence

    def idioms(valence, lowered, i):
        """VADER's ``_special_idioms_check`` on the lowercased words."""
        three, two, one, zero = lowered[i - 3], lowered[i - 2], lowered[i - 1], lowered[i]
        threetwoone, threetwo, twoone = f"{three} {two} {one}", f"{three} {two}", f"{two} {one}"
        for seq in (f"{one} {zero}", f"{two} {one} {zero}", twoone, threetwoone, threetwo):
            if seq in SPECIAL:
                valence = SPECIAL[seq]
                break
        if len(lowered) - 1 > i:
            zeroone = f"{zero} {lowered[i + 1]}"
            if zeroone in SPECIAL:
                valence = SPECIAL[zeroone]
        if len(lowered) - 1 > i + 1:
            zeroonetwo = f"{zero} {lowered[i + 1]} {lowered[i + 2]}"
            if zeroonetwo in SPECIAL:
                valence = SPECIAL[zeroonetwo]
        for n_gram in (threetwoone, threetwo, twoone):
            if n_gram in BOOSTER:
                valence = valence + BOOSTER[n_gram]
        return valence

    class _Vader(vs.SentimentIntensityAnalyzer):
        """The stock analyzer with a fast path to the compound score (:meth:`compound`).

        Stock ``polarity_scores`` first replaces emoji by their descriptions one character
        at a time, then splits the text, and for every word calls ``sentiment_valence``,
        whose checks lowercase the whole sentence again several times per sentiment word.
        :meth:`compound` skips the emoji pass for text without an emoji character (which
        it leaves unchanged), lowercases the words once, gives words outside the lexicon
        their 0 directly and runs VADER's valence rules (:meth:`valence`) on the lowercased
        words; it computes only the compound score. The scores are identical to the stock
        analyzer's (tests/test_stance.py compares them on the seeds, NewsMTSC and generated
        text); ``polarity_scores`` is VADER's own, with the same two checks."""

        def __init__(self):
            super().__init__()
            # the pass looks at one character at a time, so only one-character keys count
            self._emoji = frozenset(k for k in self.emojis if len(k) == 1)

        @staticmethod
        def _negation_check(valence, words, start_i, i):
            return negation(valence, [w.lower() for w in words], start_i, i)

        @staticmethod
        def _special_idioms_check(valence, words, i):
            return idioms(valence, [w.lower() for w in words], i)

        def valence(self, words, lowered, i, cap_diff):
            """VADER's ``sentiment_valence`` of the lexicon word ``i`` (as in vaderSentiment
            3.3.2, step for step), on the words and their lowercase forms."""
            lexicon = self.lexicon
            low = lowered[i]
            valence = lexicon[low]
            if low == "no" and i != len(words) - 1 and lowered[i + 1] in lexicon:
                valence = 0.0
            if (i > 0 and lowered[i - 1] == "no") or (i > 1 and lowered[i - 2] == "no") or (
                    i > 2 and lowered[i - 3] == "no" and lowered[i - 1] in ("or", "nor")):
                valence = lexicon[low] * N_SCALAR
            if cap_diff and words[i].isupper():
                if valence > 0:
                    valence += C_INCR
                else:
                    valence -= C_INCR
            for start_i in range(0, 3):
                if i > start_i and lowered[i - (start_i + 1)] not in lexicon:
                    scalar = BOOSTER.get(lowered[i - (start_i + 1)])  # scalar_inc_dec
                    if scalar is None:
                        s = 0.0
                    else:
                        s = scalar
                        if valence < 0:
                            s *= -1
                        if cap_diff and words[i - (start_i + 1)].isupper():
                            if valence > 0:
                                s += C_INCR
                            else:
                                s -= C_INCR
                    if start_i == 1 and s != 0:
                        s = s * 0.95
                    if start_i == 2 and s != 0:
                        s = s * 0.9
                    valence = valence + s
                    valence = negation(valence, lowered, start_i, i)
                    if start_i == 2:
                        valence = idioms(valence, lowered, i)
            # _least_check
            if i > 1 and lowered[i - 1] not in lexicon and lowered[i - 1] == "least":
                if lowered[i - 2] != "at" and lowered[i - 2] != "very":
                    valence = valence * N_SCALAR
            elif i > 0 and lowered[i - 1] not in lexicon and lowered[i - 1] == "least":
                valence = valence * N_SCALAR
            return valence

        def compound(self, text):
            """``polarity_scores(text)["compound"]``, faster (see the class)."""
            if not self._emoji.isdisjoint(text):
                return super().polarity_scores(text)["compound"]
            text = text.strip()
            words = [w if len(s := w.strip(PUNCTUATION)) <= 2 else s for w in text.split()]
            lowered = [w.lower() for w in words]
            lexicon = self.lexicon
            if lexicon.keys().isdisjoint(lowered):
                return 0.0
            cap_diff = vs.allcap_differential(words)
            sentiments = []
            last = len(words) - 1
            for i, low in enumerate(lowered):
                if low not in lexicon or low in BOOSTER or (low == "kind" and i < last and lowered[i + 1] == "of"):
                    sentiments.append(0)  # not a sentiment word, or a modifier
                else:
                    sentiments.append(self.valence(words, lowered, i, cap_diff))
            if "but" in lowered:
                sentiments = self._but_check(words, sentiments)
            total = float(sum(sentiments))
            if total == 0:
                return 0.0
            emphasis = self._punctuation_emphasis(text)
            total = total + emphasis if total > 0 else total - emphasis
            return round(vs.normalize(total), 4)

    return _Vader()


def sentence_tone(texts) -> np.ndarray:
    """VADER compound score of each text."""
    compound = _vader().compound
    return np.fromiter((compound(t) for t in texts), dtype=float, count=len(texts))
