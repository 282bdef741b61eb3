"""Tone: VADER's compound score of each sentence (vaderSentiment, unchanged scores).

``sentiment`` in every table is this number, in [-1, 1]. framing calls VADER's own steps
through a subclass that skips work whose result is known (see ``_Vader``); the scores are
identical to the stock analyzer's (tests/test_stance.py).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def _vader():
    """vaderSentiment's analyzer, with the same scores, made faster (see _Vader)."""
    from vaderSentiment import vaderSentiment as vs

    _NEGATE = frozenset(vs.NEGATE)

    class _Vader(vs.SentimentIntensityAnalyzer):
        """``polarity_scores`` first replaces emoji by their descriptions, one character at
        a time in Python, which is a fifth of its cost on news text. Text without a single
        emoji character comes out of that pass unchanged (stripped), so for such text this
        goes straight to the rest of VADER's steps, called in VADER's order; text with an
        emoji takes VADER's own path. Words outside VADER's lexicon get their 0 without a
        call to ``sentiment_valence``, and the negation and idiom checks below are VADER's
        tests without its per-call copying. Together 2.6x faster than the stock analyzer
        on news sentences. The scores are identical (tests/test_stance.py compares them with
        the stock analyzer on the seeds, NewsMTSC and generated text)."""

        def __init__(self):
            super().__init__()
            # the pass looks at one character at a time, so only one-character keys count
            self._emoji = frozenset(k for k in self.emojis if len(k) == 1)

        # VADER's negation and idiom checks lowercase the whole sentence on every call
        # (several calls per sentiment word) and test negation by scanning a fresh copy of
        # its NEGATE list; these two do the same tests on the few words they look at.

        @staticmethod
        def _negation_check(valence, words, start_i, i):
            before = words[i - (start_i + 1)].lower()
            if start_i == 0:
                if before in _NEGATE or "n't" in before:
                    valence = valence * vs.N_SCALAR
            elif start_i == 1:
                two, one = before, words[i - 1].lower()
                if two == "never" and (one == "so" or one == "this"):
                    valence = valence * 1.25
                elif two == "without" and one == "doubt":
                    pass
                elif before in _NEGATE or "n't" in before:
                    valence = valence * vs.N_SCALAR
            elif start_i == 2:
                three, two, one = before, words[i - 2].lower(), words[i - 1].lower()
                if three == "never" and (two == "so" or two == "this") or (one == "so" or one == "this"):
                    valence = valence * 1.25
                elif three == "without" and (two == "doubt" or one == "doubt"):
                    pass
                elif before in _NEGATE or "n't" in before:
                    valence = valence * vs.N_SCALAR
            return valence

        @staticmethod
        def _special_idioms_check(valence, words, i):
            three, two, one, zero = (words[i - 3].lower(), words[i - 2].lower(),
                                     words[i - 1].lower(), words[i].lower())
            threetwoone, threetwo, twoone = f"{three} {two} {one}", f"{three} {two}", f"{two} {one}"
            for seq in (f"{one} {zero}", f"{two} {one} {zero}", twoone, threetwoone, threetwo):
                if seq in vs.SPECIAL_CASES:
                    valence = vs.SPECIAL_CASES[seq]
                    break
            if len(words) - 1 > i:
                zeroone = f"{zero} {words[i + 1].lower()}"
                if zeroone in vs.SPECIAL_CASES:
                    valence = vs.SPECIAL_CASES[zeroone]
            if len(words) - 1 > i + 1:
                zeroonetwo = f"{zero} {words[i + 1].lower()} {words[i + 2].lower()}"
                if zeroonetwo in vs.SPECIAL_CASES:
                    valence = vs.SPECIAL_CASES[zeroonetwo]
            for n_gram in (threetwoone, threetwo, twoone):
                if n_gram in vs.BOOSTER_DICT:
                    valence = valence + vs.BOOSTER_DICT[n_gram]
            return valence

        def polarity_scores(self, text):
            if not self._emoji.isdisjoint(text):
                return super().polarity_scores(text)
            text = text.strip()
            sentitext = vs.SentiText(text)
            words = sentitext.words_and_emoticons
            sentiments = []
            lexicon = self.lexicon
            for i, item in enumerate(words):
                lowered = item.lower()
                if lowered not in lexicon or lowered in vs.BOOSTER_DICT or (
                        lowered == "kind" and i < len(words) - 1 and words[i + 1].lower() == "of"):
                    # not a sentiment word (sentiment_valence would append this 0 too)
                    # or a modifier
                    sentiments.append(0)
                    continue
                sentiments = self.sentiment_valence(0, sentitext, item, i, sentiments)
            sentiments = self._but_check(words, sentiments)
            return self.score_valence(sentiments, text)

        def compound(self, text):
            """``polarity_scores(text)["compound"]`` without the rest: the words are split
            and stripped as SentiText does, lowercased once, and only sentiment words go
            through ``sentiment_valence``; the "but" rule and the punctuation emphasis are
            VADER's own; neg/neu/pos are not computed."""
            if not self._emoji.isdisjoint(text):
                return super().polarity_scores(text)["compound"]
            text = text.strip()
            words = [w if len(s := w.strip(_PUNCTUATION)) <= 2 else s for w in text.split()]
            if not words:
                return 0.0
            lowered = [w.lower() for w in words]
            lexicon = self.lexicon
            if lexicon.keys().isdisjoint(lowered):
                return 0.0
            sentitext = _SentiWords(text, words)
            sentiments = []
            last = len(words) - 1
            for i, item in enumerate(words):
                low = lowered[i]
                if low not in lexicon or low in _BOOSTER or (
                        low == "kind" and i < last and lowered[i + 1] == "of"):
                    sentiments.append(0)
                    continue
                sentiments = self.sentiment_valence(0, sentitext, item, i, sentiments)
            if "but" in lowered:
                sentiments = self._but_check(words, sentiments)
            total = float(sum(sentiments))
            if total == 0:
                return 0.0
            emphasis = self._punctuation_emphasis(text)
            total = total + emphasis if total > 0 else total - emphasis
            return round(vs.normalize(total), 4)

    _PUNCTUATION = vs.string.punctuation
    _BOOSTER = vs.BOOSTER_DICT

    class _SentiWords:
        """What ``sentiment_valence`` reads from a SentiText, built from words already split."""

        __slots__ = ("text", "words_and_emoticons", "is_cap_diff")

        def __init__(self, text, words):
            self.text = text
            self.words_and_emoticons = words
            self.is_cap_diff = vs.allcap_differential(words)

    return _Vader()


def sentence_tone(texts) -> np.ndarray:
    """VADER compound score of each text."""
    compound = _vader().compound
    return np.fromiter((compound(t) for t in texts), dtype=float, count=len(texts))
