"""Interactions: what one state does to another, from the lexicon ``data/interactions.csv``.

Each row of the lexicon is a surface phrase ("delivered aid to", "annexed", "was invaded
by"), its category, a cooperation-conflict weight from -10 to +10 and the side of the
phrase on which the acting country is named (``before``, ``after`` or ``none``); see
``docs/interactions.md``. :class:`InteractionLexicon` compiles every phrase into one
case-insensitive, whole-word alternation (longest phrase first) and reports, for a
sentence and its country mentions, who acts on whom:

* the **actor** is the nearest country mention on the phrase's actor side, the
  **patient** the nearest mention on the other side (either may be missing);
* a negator shortly before the phrase in the same clause ("did not deliver", "never
  abandoned", "refused to lift sanctions") reverses the weight.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple
from importlib import resources

import pandas as pd

__all__ = ["Interaction", "InteractionLexicon", "default_interactions", "load_interactions"]

COLUMNS = ("phrase", "lemma", "category", "goldstein", "actor")
ACTORS = ("before", "after", "none")
# a negator up to three words before the phrase, with no clause break in between
_NEGATED = re.compile(
    r"(?:\bnot|\bno|\bnever|n['’]t|\bwithout|\bfailed to|\brefused to|\bdeclined to|\bstopped short of|"
    r"\bnor|\bhas yet to|\bhave yet to|\bunwilling to|\bunable to)(?:\s+[\w'’-]+){0,3}\s+\Z",
    re.IGNORECASE)
#: a part of every negator of _NEGATED ("no" at a word start covers not, no and nor): where
#: this finds nothing, _NEGATED cannot match, and the cheap test saves the costly one
#: (searched in case-folded text: a case-sensitive search is several times faster)
_HINT = re.compile(r"\bno|never|n['’]t|without|failed to|refused to|declined to|stopped short of|yet to|"
                   r"unwilling to|unable to")
_BREAK = re.compile(r"[,;:()]|\bbut\b|\byet\b|\bwhile\b|\bwhich\b|\bthat\b", re.IGNORECASE)


class Interaction(NamedTuple):
    """One interaction phrase found in a sentence, with the countries on each side."""

    start: int
    end: int
    text: str
    category: str
    weight: float          # goldstein / 10, reversed when negated
    actor: str | None      # ISO3 of the acting country, if named
    patient: str | None    # ISO3 of the country acted on, if named
    negated: bool


def load_interactions(path=None) -> pd.DataFrame:
    """The interaction lexicon, checked: one clear ValueError naming the file and row."""
    source = path if path is not None else resources.files("framing").joinpath("data", "interactions.csv")
    with (open(source, encoding="utf-8") if path is not None else source.open(encoding="utf-8")) as f:
        table = pd.read_csv(f, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {', '.join(missing)}")
    for row, (phrase, weight, actor) in enumerate(zip(table["phrase"], table["goldstein"], table["actor"]), 2):
        try:
            value = float(weight)
        except ValueError:
            raise ValueError(f"{source}: row {row}: goldstein {weight!r} is not a number") from None
        if not -10 <= value <= 10:
            raise ValueError(f"{source}: row {row}: goldstein {value} outside -10..10")
        if actor not in ACTORS:
            raise ValueError(f"{source}: row {row}: actor {actor!r} is not one of {', '.join(ACTORS)}")
        if not phrase or phrase != phrase.strip().lower():
            raise ValueError(f"{source}: row {row}: phrase {phrase!r} must be lowercase without outer spaces")
    dup = table["phrase"].duplicated()
    if dup.any():
        raise ValueError(f"{source}: row {int(dup.idxmax()) + 2}: duplicate phrase {table['phrase'][dup.idxmax()]!r}")
    return table


class InteractionLexicon:
    """The compiled lexicon: :meth:`find` lists the interactions of one sentence."""

    def __init__(self, table: pd.DataFrame | None = None):
        table = load_interactions() if table is None else table
        self.info = {p: (c, float(g) / 10.0, a) for p, c, g, a in
                     zip(table["phrase"], table["category"], table["goldstein"], table["actor"])}
        # the lookahead on the phrases' first letters lets the engine skip most positions
        # before it tests the word boundary
        first = "".join(sorted({re.escape(p[0]) for p in self.info}))
        pattern = rf"(?=[{first}])(?<![\w-])" + _trie(sorted(self.info))
        self.regex = re.compile(pattern, re.IGNORECASE)
        # the phrases are lowercase: on lowercased text a case-sensitive search finds the
        # same matches, faster (used when lowercasing keeps every character's offset)
        self._lower_regex = re.compile(pattern)

    def find(self, text: str, spans=()) -> list[Interaction]:
        """Interactions in ``text``; ``spans`` are the sentence's mentions ``(start, end, iso3)``."""
        out = []
        lowered = text.lower()
        if len(lowered) == len(text):
            matches = self._lower_regex.finditer(lowered)
        else:  # a character whose lowercase is longer ("İ"): search the text itself
            matches = self.regex.finditer(text)
            lowered = None
        info = self.info
        for m in matches:
            key = m.group() if lowered is not None else m.group().lower()
            found = info.get(key)
            if found is None:  # a run of spaces or a line break inside the phrase
                found = info.get(" ".join(key.split()))
                if found is None:
                    continue
            category, weight, side = found
            start, end = m.span()
            actor = patient = None
            if side != "none":
                left = right = None
                left_end, right_start = -1, len(text) + 1
                for s_start, s_end, code in spans:
                    if s_end <= start and s_end > left_end:
                        left, left_end = code, s_end
                    elif s_start >= end and s_start < right_start:
                        right, right_start = code, s_start
                actor, patient = (left, right) if side == "before" else (right, left)
            negated = False
            head = text[max(0, start - 60):start]
            if _HINT.search(head.casefold()) is not None:  # else _NEGATED cannot match
                cut = None
                for cut in _BREAK.finditer(head):
                    pass
                if cut is not None:
                    head = head[cut.end():]
                negated = bool(head) and _NEGATED.search(head) is not None
            out.append(Interaction(start, end, text[start:end], category, -weight if negated else weight,
                                   actor, patient, negated))
        return out


def _trie(phrases) -> str:
    """One regex for ``phrases`` (lowercase, single spaces), shaped as their character
    trie: at each position the engine follows one branch instead of trying every phrase.

    Each phrase ends in a right word boundary, and at every node the longer phrases are
    tried before the one ending there, so a match is the longest phrase that fits, as
    with an alternation sorted longest first. A space matches any run of whitespace."""
    root: dict = {}
    for phrase in phrases:
        node = root
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node) -> str:
        branches = [(r"\s+" if ch == " " else re.escape(ch)) + build(node[ch]) for ch in sorted(node) if ch]
        if "" in node:
            branches.append(r"(?![\w-])")
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return build(root)


@lru_cache(maxsize=1)
def default_interactions() -> InteractionLexicon:
    """The package's interaction lexicon, compiled once."""
    return InteractionLexicon()
