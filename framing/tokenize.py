"""Tokenize: split articles into sentences and word tokens with exact character offsets.

Both splitters are compiled regular expressions; the only per-sentence Python work is a
short check of the word before a full stop. For every span, ``text[start:end]`` is the
sentence or token itself.

Sentence rules, tuned to news and opinion text:

* a line break always ends a sentence (headings, list items and captions often have no
  final punctuation);
* ``.``, ``!``, ``?`` and ``…`` end a sentence when followed by space and then something
  that is not a lower-case letter; closing quotes and brackets stay with the sentence;
* a full stop after an abbreviation (Mr., Dr., Dec., Gen., ...), an initial (J.), a
  dotted acronym (U.S., U.K.) or a list number at the start of a line (``1.``) does not.
"""

from __future__ import annotations

import re

import pandas as pd

#: Abbreviations whose full stop does not end a sentence (compared case-insensitively).
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st sr jr gen col lt maj capt cmdr adm sgt sen rep gov pres
    amb rev hon fr mt ft no nos vol vs approx est dept univ inc corp co ltd jan feb mar
    apr jun jul aug sep sept oct nov dec e.g i.e cf al""".split()
)

# A candidate sentence end: terminators plus closing quotes and brackets, followed by
# horizontal space and a character that is not a lower-case letter.
_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=[ \t\u00a0\u2009\u202f]+(?![a-z])\S)")
# The word (with inner dots, as in U.S) just before a full stop.
_PREV_WORD = re.compile(r"(?<![\w.])((?:\w\.)*\w+)\Z")
_LINE = re.compile(r"[^\n]+")

TOKEN = re.compile(
    r"(?:[^\W\d_]\.){2,}"            # dotted acronyms: U.S., e.g.
    r"|\w+(?:[-'’.]\w+)*"            # words, numbers, S-300, Buk-M2, don't, 3.5
    r"|[\U0001F1E6-\U0001F1FF]{2}"   # a flag emoji: two regional-indicator symbols
    r"|\S"                           # any other visible character on its own
)
_WORD = re.compile(r"\w+(?:[-'’.]\w+)*")


def _is_abbreviation(line: str, stop: int, line_start: int) -> bool:
    """True when the full stop at ``line[stop]`` closes an abbreviation, not a sentence."""
    match = _PREV_WORD.search(line, max(0, stop - 24), stop)
    if match is None:
        return False
    word = match.group(1)
    if "." in word or word.lower() in ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isalpha():  # an initial: Donald J. Trump
        return True
    # a list number at the start of a line: "1. Resource Constraints"
    return word.isdigit() and not line[line_start:match.start()].strip()


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` offsets of the sentences of ``text``, whitespace trimmed."""
    return _split(text)[0]


def _split(text: str) -> tuple[list[tuple[int, int]], list[str]]:
    """The sentence spans of ``text`` and the sentences themselves (``text[start:end]``)."""
    spans = []
    append = spans.append
    for line_match in _LINE.finditer(text):
        line_start, line_end = line_match.span()
        start = line_start
        for end_match in _END.finditer(text, line_start, line_end):
            stop = end_match.group()
            if stop[0] == "." and stop[:2] != ".." and _is_abbreviation(
                text, end_match.start(), line_start
            ):
                continue
            end = end_match.end()
            append((start, end))
            start = end
        append((start, line_end))
    # trim whitespace: a segment's sentence is segment.strip(), found at its first
    # non-space character; blank segments are dropped
    segments = [text[a:b] for a, b in spans]
    stripped = list(map(str.strip, segments))
    leads = [n - m for n, m in zip(map(len, segments), map(len, map(str.lstrip, segments)))]
    out, sentences = [], []
    for (a, _), lead, sentence in zip(spans, leads, stripped):
        if sentence:
            out.append((a + lead, a + lead + len(sentence)))
            sentences.append(sentence)
    return out, sentences


def split_tokens(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Return ``(start, end)`` offsets of the tokens of ``text[start:end]`` (offsets into ``text``)."""
    end = len(text) if end is None else end
    return [m.span() for m in TOKEN.finditer(text, start, end)]


def count_words(text: str) -> int:
    """Number of word tokens (tokens with a letter or digit) in ``text``."""
    return len(_WORD.findall(text))


def sentences(articles: pd.DataFrame) -> pd.DataFrame:
    """One row per sentence: ``article_id, sentence_id, start, end, text, words``.

    ``articles`` needs ``article_id`` and ``text`` columns. ``sentence_id`` counts from 0
    within each article; ``words`` is the number of word tokens in the sentence.
    """
    ids, sids, starts, ends, texts = [], [], [], [], []
    for article_id, text in zip(articles["article_id"], articles["text"]):
        spans, sentences_ = _split(text)
        ids.extend([article_id] * len(spans))
        sids.extend(range(len(spans)))
        starts.extend([a for a, _ in spans])
        ends.extend([b for _, b in spans])
        texts.extend(sentences_)
    # len(findall(s)) == count_words(s); map keeps the per-sentence work in C
    words = list(map(len, map(_WORD.findall, texts)))
    return pd.DataFrame(
        {
            "article_id": pd.Series(ids, dtype=object),
            "sentence_id": pd.Series(sids, dtype="int64"),
            "start": pd.Series(starts, dtype="int64"),
            "end": pd.Series(ends, dtype="int64"),
            "text": pd.Series(texts, dtype=object),
            "words": pd.Series(words, dtype="int64"),
        }
    )


def tokens(articles: pd.DataFrame) -> pd.DataFrame:
    """One row per token: ``article_id, start, end, text`` (offsets into the article)."""
    rows = [
        (article_id, m.start(), m.end(), m.group(0))
        for article_id, text in zip(articles["article_id"], articles["text"])
        for m in TOKEN.finditer(text)
    ]
    return pd.DataFrame(rows, columns=["article_id", "start", "end", "text"])
