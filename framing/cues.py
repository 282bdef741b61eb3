"""Cues: the frame-cue lexicon (``data/cues.csv``) and how its hits are read in a sentence.

Cue mechanics (all cues are case-insensitive regular expressions in the CSV):

* ``frame`` cues carry a polarity toward the target (abandonment, unreliability, hollow
  rhetoric, overstretch, failure: -1; pragmatism, national interest, assets retained,
  continued supply: +1) and a weight;
* ``support`` cues (support, aid, protection, supply, ...) count a little in favour when
  affirmed and strongly against when negated ("no practical support");
* a ``negator`` (not, no, without, failed to, stopped short of, ...) up to four words
  before a cue in the same clause reverses it; a favour cue inside scare quotes
  ("support") is treated as negated;
* a ``rejection`` marker (do not hold water, baseless, misses the point, ...) reverses the
  cues before it in the sentence: the rejected claim ("claims that Russia betrayed Syria
  do not hold water") counts for the opposite side;
* a ``distance`` marker (alleged, so-called) halves the sentence's against cues;
* ``blame`` cues (the ally's own elites, its own failures) count in the target's favour
  and are never reversed by a rejection.

Every hit keeps its offsets, frame, modifier and signed contribution, so a stance can be
traced to the words that produced it.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

CUE_COLUMNS = ["article_id", "sentence_id", "start", "end", "text", "type", "frame", "modifier", "value"]
#: How far (in words) a negator reaches forward to the cue it reverses.
NEGATION_WINDOW = 4
#: The same reach in characters, an upper bound that keeps the search local.
NEGATION_REACH = 160

CUE_TYPES = ("frame", "support", "blame", "rejection", "distance", "negator", "quantity")
# Negation does not reach across punctuation or into a subordinate clause.
_CLAUSE_BREAK = re.compile(
    r"[,;:—–()\[\]]|\s-\s|(?<![\w-])(?:but|yet|while|whereas|because|although|though|why|that|"
    r"which|who|whom|whether|if|when|as)(?![\w-])",
    re.IGNORECASE,
)
_QUOTES_OPEN = "\"'“‘«"
_QUOTES_CLOSE = "\"'”’»"


def load_cues(path=None) -> pd.DataFrame:
    """The cue lexicon (``pattern, type, frame, polarity, weight, note``), validated."""
    if path is None:
        with resources.as_file(resources.files("framing") / "data" / "cues.csv") as file:
            return _validate_cues(_read_cues(file), file)
    return _validate_cues(_read_cues(path), path)


def _read_cues(path) -> pd.DataFrame:
    cues = pd.read_csv(path, dtype=str, keep_default_na=False)
    return cues


def _validate_cues(cues: pd.DataFrame, source) -> pd.DataFrame:
    missing = {"pattern", "type", "frame", "polarity", "weight", "negated", "agentive"} - set(cues.columns)
    if missing:
        raise ValueError(f"{source}: missing columns {sorted(missing)}")
    for row, cue in enumerate(cues.itertuples(index=False), start=2):
        if cue.type not in CUE_TYPES:
            raise ValueError(f"{source}: row {row}: unknown cue type {cue.type!r}")
        try:
            float(cue.polarity), float(cue.weight), float(cue.negated or 0)
        except ValueError:
            raise ValueError(f"{source}: row {row}: polarity, weight and negated must be numbers") from None
        try:
            re.compile(cue.pattern)
        except re.error as exc:
            raise ValueError(f"{source}: row {row}: bad pattern {cue.pattern!r} ({exc})") from None
    return cues


@dataclass
class Hit:
    """One cue found in a sentence and what it contributes."""

    start: int
    end: int
    text: str
    type: str
    frame: str
    value: float
    modifier: str = ""

    def describe(self) -> str:
        mod = f" [{self.modifier}]" if self.modifier else ""
        return f"{self.frame}: “{self.text}”{mod} {self.value:+.2f}"


class CueLexicon:
    """The compiled cue lexicon: one alternation for cues, one for negators.

    ``_cue_re`` is the reference matcher: one alternation of every scored cue, whose
    ``finditer`` defines the hits. Trying 80-odd alternatives at every word start is
    slow, so :meth:`_matches` gives the same matches another way: a prefilter regex
    (:func:`_literal_prefixes` of every pattern, as a case-expanded trie) finds the only
    positions where a cue can start, and there a smaller alternation, holding just the
    cues whose prefixes fit the next few characters (in their original order), is tried.
    Patterns whose prefixes cannot be derived are tried at every position.
    """

    def __init__(self, cues: pd.DataFrame | None = None):
        self.cues = load_cues() if cues is None else cues
        scored = self.cues[~self.cues["type"].isin(["negator", "quantity"])].reset_index(drop=True)
        self._rows = list(scored.itertuples(index=False))
        self._patterns = list(scored["pattern"])
        # One alternation; the left word boundary is tested once per position (most
        # positions fail there), each alternative carries its own right boundary.
        self._cue_re = self._alternation(self._patterns)
        self._negator_re = self._scope_re("negator")
        self._quantity_re = self._scope_re("quantity")
        # Per row, what a hit of it contributes before modifiers (filled on its first hit).
        self._cue_info: list[tuple | None] = [None] * len(self._rows)
        self._prefilter, self._prefixes, self._variants = _prefilter(self._patterns)
        self._dispatch: dict[str, tuple] = {}
        self._compiled: dict[tuple, tuple] = {}

    @staticmethod
    def _alternation(patterns) -> re.Pattern:
        return re.compile(
            r"(?<![\w-])(?:" + "|".join(rf"({p})(?![\w-])" for p in patterns) + ")",
            re.IGNORECASE,
        )

    def _scope_re(self, kind: str) -> re.Pattern:
        """A negator of ``kind`` followed by at most NEGATION_WINDOW words, up to the cue."""
        patterns = self.cues.loc[self.cues["type"] == kind, "pattern"]
        words = r"(?:[\w'’-]+\W+?\s*){0,%d}" % NEGATION_WINDOW
        return re.compile(rf"(?<![\w-])(?:{'|'.join(patterns)})\s+{words}\Z", re.IGNORECASE)

    def _info(self, row: int) -> tuple:
        """``(type, frame, value, steered, reversed value, agentive)`` of a scored cue."""
        cue = self._rows[row]
        value = float(cue.polarity) * float(cue.weight)
        steered = cue.type in ("frame", "support")
        reversed_value = (float(cue.negated) if cue.negated != "" else -value) if steered else None
        info = self._cue_info[row] = (cue.type, cue.frame or cue.type, value, steered, reversed_value,
                                      steered and cue.agentive == "yes")
        return info

    def _candidates(self, key: str) -> tuple:
        """``(regex, rows)``: the alternation of the cues that can start with ``key`` (the
        next _DISPATCH characters of the text), in lexicon order, and the row of each group."""
        rows = tuple(i for i, prefixes in enumerate(self._prefixes)
                     if prefixes is None or any(_fits(key, s, self._variants) for s in prefixes))
        found = self._compiled.get(rows)
        if found is None:
            found = self._compiled[rows] = (self._alternation([self._patterns[i] for i in rows]) if rows
                                            else None, rows)
        self._dispatch[key] = found
        return found

    def _matches(self, text: str):
        """``(match, row)`` for every match of ``_cue_re.finditer(text)``, found faster."""
        if self._prefilter is None:
            for match in self._cue_re.finditer(text):
                yield match, match.lastindex - 1
            return
        search = self._prefilter.search
        dispatch = self._dispatch
        pos = 0
        while True:
            candidate = search(text, pos)
            if candidate is None:
                return
            at = candidate.start()
            key = text[at:at + _DISPATCH]
            regex, rows = dispatch.get(key) or self._candidates(key)
            match = regex.match(text, at) if regex is not None else None
            if match is None:
                pos = at + 1
            else:
                yield match, rows[match.lastindex - 1]
                pos = match.end()

    def hits(self, text: str, spans=(), target: str | None = None) -> list[Hit]:
        """The cues of ``text`` with their final contributions (modifiers applied).

        ``spans`` are the country mentions of the sentence as ``(start, end, iso3)``; with
        ``target`` they let an agentive cue (abandon, betray, fail ...) find its agent.
        """
        hits = []
        breaks = None
        info = self._cue_info
        for match, row in self._matches(text):
            cue_type, frame, value, steered, reversed_value, agentive = info[row] or self._info(row)
            start, end = match.span()
            hit = Hit(start, end, match.group(0), cue_type, frame, value)
            if steered:
                if breaks is None:
                    breaks = _Breaks(text)
                clause_start = breaks.clause_start(start)
                # a negator and four words fit in NEGATION_REACH characters
                window = max(clause_start, start - NEGATION_REACH)
                negation = self._negator_re.search(text, window, start) or (
                    value > 0 and self._quantity_re.search(text, window, start)
                )
                if negation and _MANNER.search(negation.group(0)):
                    # "does not openly betray": the manner is denied, not the act
                    hit.modifier, hit.value = "manner negated", 0.0
                elif negation:
                    hit.modifier, hit.value = "negated", reversed_value
                elif value > 0 and _scare_quoted(text, start, end):
                    hit.modifier, hit.value = "scare quotes", reversed_value
                elif agentive and target is not None:
                    agent = _agent(text, start, spans, breaks)
                    if agent is not None and agent != target:
                        hit.modifier, hit.value = f"done by {agent}", -value
            hits.append(hit)
        return _apply_sentence_markers(hits) if hits else hits


# -- the cue prefilter ------------------------------------------------------------------
# Every match of a cue pattern begins with one of a few literal strings ("abandon",
# "walk awa", "on its o" ...), derived below from the parsed pattern. A match of
# _literal_prefixes(p) is sound, never complete: text matching ``p`` at a position always
# starts there with one of the prefixes (case-insensitively, in the regex engine's own
# sense, see _case_variants); a pattern whose prefixes cannot be derived gets None.

#: Longest prefix derived (characters) and most prefixes kept per pattern.
_PREFIX_LENGTH = 8
_PREFIX_LIMIT = 4096
#: Characters of text that choose the smaller alternation tried at a candidate position.
_DISPATCH = 3

try:  # Python 3.11+
    from re import _constants as _sre_constants, _parser as _sre_parse
except ImportError:  # pragma: no cover
    import sre_constants as _sre_constants
    import sre_parse as _sre_parse

_OPEN = frozenset({("", False)})  # "anything may follow": the prefix ends here


def _sequence_prefixes(items) -> frozenset:
    """``{(prefix, closed)}`` for a parsed sequence: every match of it starts with some
    ``prefix``; ``closed`` when the match is exactly ``prefix`` (more can be appended)."""
    done, going = set(), {""}
    for op, av in items:
        element = _element_prefixes(op, av)
        extended = set()
        for head in going:
            for tail, closed in element:
                text = head + tail
                if len(text) >= _PREFIX_LENGTH:
                    done.add(text[:_PREFIX_LENGTH])
                elif closed:
                    extended.add(text)
                else:
                    done.add(text)
        going = extended
        if len(done) + len(going) > _PREFIX_LIMIT:
            return _OPEN
        if not going:
            break
    return frozenset({(s, False) for s in done} | {(s, True) for s in going})


def _element_prefixes(op, av) -> frozenset:
    c = _sre_constants
    if op is c.LITERAL:
        return frozenset({(chr(av), True)})
    if op is c.IN:
        chars = set()
        for kind, value in av:
            if kind is c.LITERAL:
                chars.add(chr(value))
            elif kind is c.RANGE and value[1] - value[0] < 64:
                chars.update(map(chr, range(value[0], value[1] + 1)))
            else:  # NEGATE, CATEGORY (\w ...), wide ranges
                return _OPEN
        return frozenset((ch, True) for ch in chars)
    if op is c.SUBPATTERN:
        return _sequence_prefixes(av[-1])
    if op is c.BRANCH:
        return frozenset().union(*(_sequence_prefixes(alt) for alt in av[1]))
    if op is c.MAX_REPEAT or op is c.MIN_REPEAT:
        low, high, item = av
        inner = _sequence_prefixes(item)
        if high != 1:  # a repeated item may be followed by more of itself
            inner = frozenset((s, False) for s, _ in inner)
        return inner | {("", True)} if low == 0 else inner
    if op in (c.ASSERT, c.ASSERT_NOT, c.AT):  # zero width: consumes nothing
        return frozenset({("", True)})
    return _OPEN  # ANY, NOT_LITERAL, CATEGORY, GROUPREF, atomic groups ...


def _literal_prefixes(pattern: str) -> frozenset[str] | None:
    """Strings one of which starts every match of ``pattern`` (None if underivable)."""
    try:
        prefixes = _sequence_prefixes(_sre_parse.parse(pattern))
    except Exception:  # pragma: no cover - validated patterns parse
        return None
    if not prefixes or any(s == "" for s, _ in prefixes):
        return None
    return frozenset(s for s, _ in prefixes)


_ALL_CHARACTERS = None


def _case_variants(chars) -> dict[str, frozenset[str]]:
    """For each character, every character that ``re.IGNORECASE`` lets match it, found by
    asking the regex engine about every code point (so Kelvin sign, long s ... included)."""
    global _ALL_CHARACTERS
    if _ALL_CHARACTERS is None:
        _ALL_CHARACTERS = np.arange(0x110000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    chars = sorted(set(chars))
    if not chars:
        return {}
    found = set(re.findall("[" + "".join(map(re.escape, chars)) + "]", _ALL_CHARACTERS, re.IGNORECASE))
    variants = {}
    for char in chars:
        literal = re.compile(re.escape(char), re.IGNORECASE)
        variants[char] = frozenset(t for t in found if literal.fullmatch(t))
    return variants


def _trie_regex(prefixes, variants) -> str:
    """A case-sensitive regex matching where any of ``prefixes`` starts (a trie, each
    character as the class of its case variants, so the engine skips failing branches fast)."""
    trie: dict = {}
    for prefix in sorted(prefixes, key=len):
        node = trie
        for char in prefix:
            if "" in node:
                break
            node = node.setdefault(char, {})
        else:
            node.clear()
            node[""] = True

    def char_class(char):
        chars = sorted(variants[char])
        return re.escape(chars[0]) if len(chars) == 1 else "[" + "".join(map(re.escape, chars)) + "]"

    def emit(node):
        if "" in node:
            return ""
        branches = [char_class(char) + emit(child) for char, child in sorted(node.items())]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return emit(trie)


def _prefilter(patterns) -> tuple[re.Pattern | None, list, dict]:
    """The prefilter of the cue ``patterns``: ``(regex, prefixes per pattern, variants)``.

    ``regex`` matches at every position where a cue match can start: after the left word
    boundary, one of the derived prefixes, or (as a lookahead) a cue without prefixes.
    None (scan with the full alternation) when a pattern has capturing groups or can match
    the empty string, where the faster path could not reproduce ``finditer`` exactly.
    """
    prefixes = []
    for pattern in patterns:
        parsed = _sre_parse.parse(pattern)
        if parsed.state.groups > 1 or parsed.getwidth()[0] == 0:
            return None, [], {}
        prefixes.append(_literal_prefixes(pattern))
    known = frozenset().union(*(p for p in prefixes if p is not None))
    variants = _case_variants({char for prefix in known for char in prefix})
    branches = [_trie_regex(known, variants)] if known else []
    unknown = [p for p, found in zip(patterns, prefixes) if found is None]
    if unknown:
        branches.append("(?i:(?=" + "|".join(rf"(?:{p})(?![\w-])" for p in unknown) + "))")
    if not branches:
        return None, [], {}
    return re.compile(r"(?<![\w-])(?:" + "|".join(branches) + ")"), prefixes, variants


def _fits(key: str, prefix: str, variants) -> bool:
    """Whether text starting with ``key`` can start with ``prefix`` (case-insensitively)."""
    return all(char in variants[p] for char, p in zip(key, prefix))


class _Breaks:
    """Clause and punctuation breaks of a sentence, found once, looked up by bisection."""

    def __init__(self, text: str):
        self.text = text
        self.clause = [m.end() for m in _CLAUSE_BREAK.finditer(text)]
        self._punct = None

    @property
    def punct(self) -> list[int]:
        if self._punct is None:  # only an agentive cue needs it
            self._punct = [m.end() for m in _PUNCT_BREAK.finditer(self.text)]
        return self._punct

    @staticmethod
    def _last_before(ends: list[int], position: int) -> int:
        i = bisect.bisect_right(ends, position) - 1
        return ends[i] if i >= 0 else 0

    def clause_start(self, position: int) -> int:
        """Where the clause holding ``position`` starts (negation does not cross it)."""
        return self._last_before(self.clause, position)

    def punct_start(self, position: int) -> int:
        """Where the stretch of text without punctuation holding ``position`` starts."""
        return self._last_before(self.punct, position)


_MANNER = re.compile(r"\b(?:openly|publicly|formally|officially|explicitly|directly|overtly|loudly|"
                    r"entirely|completely|fully|simply|just|only|merely)\b", re.IGNORECASE)
_PUNCT_BREAK = re.compile(r"[,;:—–()\[\]]|\s-\s")
_PASSIVE = re.compile(r"(?<![\w-])(?:been|being|was|were|is|are|be|feel|feels|felt|feeling|get|gets|got|left)\s+(?:\w+\s+)?\Z",
                      re.IGNORECASE)


def _agent(text: str, cue_start: int, spans, breaks: "_Breaks") -> str | None:
    """The country doing an agentive cue: the last mention before it in its clause.

    None when the cue is passive ("allies feel abandoned") or no country precedes it in
    the clause; the caller then keeps the default reading, the target as the agent.
    """
    if _PASSIVE.search(text, max(0, cue_start - 40), cue_start):
        return None
    clause_start = breaks.punct_start(cue_start)
    before = [(end, country) for start, end, country in spans if clause_start <= start and end <= cue_start]
    return max(before)[1] if before else None


_CIRCUMSTANCE = re.compile(r"(?<![\w-])(?:as|while|when|whereas|amid|amidst|during|after|before|since|until|despite)(?![\w-])",
                          re.IGNORECASE)


def backdrop_countries(text: str, spans, target: str, hits) -> set[str]:
    """Countries of the sentence that appear only inside circumstantial phrases holding
    neither the target nor a cue: the backdrop of the sentence, not its subject."""
    circumstances = list(_CIRCUMSTANCE.finditer(text))
    if not circumstances:
        return set()
    breaks = [m.start() for m in _PUNCT_BREAK.finditer(text)]
    segments = []
    for match in circumstances:
        i = bisect.bisect_left(breaks, match.end())
        segments.append((match.start(), breaks[i] if i < len(breaks) else len(text)))

    lows = [lo for lo, _ in segments]

    def segment_of(start, end):
        i = bisect.bisect_right(lows, start) - 1  # the innermost phrase opened before start
        return i if i >= 0 and end <= segments[i][1] else None

    busy = {segment_of(s, e) for s, e, c in spans if c == target} | {
        segment_of(h.start, h.end) for h in hits if h.value != 0}
    inside: dict[str, bool] = {}
    for start, end, country in spans:
        if country == target:
            continue
        seg = segment_of(start, end)
        inside[country] = inside.get(country, True) and seg is not None and seg not in busy
    return {country for country, only_inside in inside.items() if only_inside}


def _scare_quoted(text: str, start: int, end: int) -> bool:
    return start > 0 and end < len(text) and text[start - 1] in _QUOTES_OPEN and text[end] in _QUOTES_CLOSE


def _apply_sentence_markers(hits: list[Hit]) -> list[Hit]:
    rejections = [h.start for h in hits if h.type == "rejection"]
    distanced = any(h.type == "distance" for h in hits)
    for hit in hits:
        if hit.type in ("frame", "support") and rejections and hit.start < max(rejections):
            hit.value = -hit.value
            hit.modifier = (hit.modifier + ", " if hit.modifier else "") + "rejected claim"
        elif hit.type in ("frame", "support") and distanced and hit.value < 0:
            hit.value *= 0.5
            hit.modifier = (hit.modifier + ", " if hit.modifier else "") + "distanced"
    # Markers only steer other cues; they contribute nothing on their own.
    for hit in hits:
        if hit.type in ("rejection", "distance"):
            hit.value = 0.0
    return hits


@lru_cache(maxsize=1)
def default_lexicon() -> CueLexicon:
    """The package's cue lexicon, compiled once."""
    return CueLexicon()
