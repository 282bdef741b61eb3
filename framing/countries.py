"""Find references to countries in text.

Every reference is resolved to an ISO 3166-1 alpha-3 code and tagged with the
kind of reference:

``name``     the country's name or a common short form (Venezuela, the U.S., UAE)
``demonym``  the demonym or adjective (Venezuelan, Soviet, Russian-supplied)
``place``    the capital or another well-known place in the country (Caracas, Sochi)
``metonym``  a state institution standing for the state (the Kremlin, Washington)
``person``   a head of state/government or a minister acting for the state (Putin)
``flag``     a flag emoji (two regional-indicator symbols), derived from ISO alpha-2

The aliases live in package data (``framing/data/countries.csv``, documented in
``docs/aliases.md``) so analysts can extend them without touching code.  Rows of
kind ``block`` have no country: they match outlets, regions, blocs, companies
and organisations ("The Washington Post", "Latin America", "NATO") and, because
matching is leftmost-longest, consume the span so that nothing inside it counts.

All aliases are compiled into ONE regular expression: a character trie turned
into nested alternations (so the cost per text position does not grow with the
number of aliases, and at each position the longest alias wins), wrapped in
``(?<!\\w)`` / ``(?!\\w)`` lookarounds (``\\b`` would fail after "U.S."), plus
one alternative for regional-indicator pairs.  Matching is case-sensitive.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
import io
import operator
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pycountry

__all__ = [
    "KINDS",
    "CountryMatcher",
    "country_name",
    "default_matcher",
    "find_mentions",
    "load_aliases",
    "load_non_references",
    "resolve_code",
]

#: kinds allowed in the alias table (``flag`` is produced by code, not listed)
KINDS = ("name", "demonym", "place", "metonym", "person", "block")
COLUMNS = ("alias", "iso3", "kind", "role", "valid_from", "valid_to", "checked", "note")
REQUIRED_COLUMNS = ("alias", "iso3", "kind")
MENTION_COLUMNS = ["article_id", "sentence_id", "start", "end", "text", "country", "kind"]

_ALPHA3 = {c.alpha_3: c for c in pycountry.countries}
_ALPHA2 = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
_NUMERIC = {c.numeric: c.alpha_3 for c in pycountry.countries}

# Flag emoji: two regional-indicator symbols spelling an alpha-2 code.  Besides
# the ISO codes, Unicode has flags for a few exceptionally reserved codes that
# belong to an ISO country.
_RI_BASE = 0x1F1E6
_FLAG_EXTRA = {"AC": "SHN", "TA": "SHN", "DG": "IOT", "IC": "ESP", "EA": "ESP", "CP": "FRA"}


def _flag(alpha2: str) -> str:
    return "".join(chr(_RI_BASE + ord(ch) - ord("A")) for ch in alpha2)


_FLAGS = {_flag(a2): a3 for a2, a3 in _ALPHA2.items()}
_FLAGS.update({_flag(a2): a3 for a2, a3 in _FLAG_EXTRA.items()})

# Short display names where pycountry's are long or inverted.
_DISPLAY = {
    "BOL": "Bolivia", "BRN": "Brunei", "CIV": "Côte d'Ivoire", "COD": "DR Congo",
    "COG": "Republic of the Congo", "CZE": "Czechia", "FLK": "Falkland Islands",
    "FSM": "Micronesia", "GBR": "United Kingdom", "IRN": "Iran", "KOR": "South Korea",
    "LAO": "Laos", "MAC": "Macao", "MAF": "Saint Martin", "MDA": "Moldova",
    "PRK": "North Korea", "PSE": "Palestine", "RUS": "Russia", "SXM": "Sint Maarten",
    "SYR": "Syria", "TUR": "Turkey", "TWN": "Taiwan", "TZA": "Tanzania",
    "USA": "United States", "VAT": "Vatican City", "VEN": "Venezuela",
    "VGB": "British Virgin Islands", "VIR": "U.S. Virgin Islands", "VNM": "Vietnam",
}

_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _canon(s: str) -> str:
    """Canonical form of a surface string: typographic apostrophe -> ', NBSP -> space."""
    return s.replace("\u2019", "'").replace("\u00a0", " ")


# ---------------------------------------------------------------------------
# loading and validation


def _package_csv():
    return resources.files("framing").joinpath("data", "countries.csv")


def _valid_date(s: str) -> bool:
    if not _DATE_RE.match(s):
        return False
    parts = [int(p) for p in s.split("-")] + [1, 1]
    try:
        _dt.date(parts[0], parts[1], parts[2])
    except ValueError:
        return False
    return True


def load_aliases(path=None) -> pd.DataFrame:
    """Read and validate an alias table (default: the package's ``countries.csv``).

    Every column is read as a string (empty cells are ``""``).  Missing optional
    columns (role, dates, note) are added empty.  Raises ``ValueError`` naming
    the file and the line for: missing required columns, empty or padded
    aliases, unknown kinds, unknown ISO3 codes, a code on a ``block`` row or no
    code on another row, person rows without role/valid_from/checked dates,
    malformed dates, role/dates on non-person rows, and an alias mapped to two
    different (iso3, kind) pairs.
    """
    if path is None:
        ref = _package_csv()
        name = "framing/data/countries.csv (package data)"
        source = io.BytesIO(ref.read_bytes())
    else:
        name = str(path)
        source = Path(path)
    try:
        df = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"{name}: cannot be read as a UTF-8 CSV alias table: {exc}") from exc

    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{name}: missing required column(s) {missing}; expected {list(COLUMNS)}")
    for col in COLUMNS:
        if col not in df.columns:
            df[col] = ""

    seen: dict[str, tuple[str, str, int]] = {}
    for i, row in enumerate(df.itertuples(index=False)):
        line = i + 2  # header is line 1

        def bad(msg, line=line, alias=row.alias):
            raise ValueError(f"{name}, line {line} (alias {alias!r}): {msg}")

        alias, iso3, kind = row.alias, row.iso3, row.kind
        if not alias.strip():
            bad("empty alias")
        if alias != alias.strip():
            bad("alias has leading or trailing whitespace")
        if kind not in KINDS:
            bad(f"unknown kind {kind!r}; allowed: {', '.join(KINDS)}")
        if kind == "block":
            if iso3:
                bad("a 'block' row must have an empty iso3")
        elif iso3 not in _ALPHA3:
            bad(f"iso3 {iso3!r} is not an ISO 3166-1 alpha-3 code known to pycountry")
        for col in ("valid_from", "valid_to", "checked"):
            val = getattr(row, col)
            if val and not _valid_date(val):
                bad(f"{col} {val!r} is not a date (YYYY-MM-DD, YYYY-MM or YYYY)")
        if kind == "person":
            if not row.role:
                bad("person row without a role")
            if not row.valid_from:
                bad("person row without valid_from")
            if not row.checked:
                bad("person row without a checked date")
            if row.valid_to:
                n = min(len(row.valid_from), len(row.valid_to))
                if row.valid_to[:n] < row.valid_from[:n]:
                    bad(f"valid_to {row.valid_to} is before valid_from {row.valid_from}")
        elif row.role or row.valid_from or row.valid_to:
            bad("role/valid_from/valid_to are only for person rows")
        key = _canon(alias)
        if key in seen and seen[key][:2] != (iso3, kind):
            o_iso, o_kind, o_line = seen[key]
            bad(f"conflicts with line {o_line}, which maps it to ({o_iso or '-'}, {o_kind}); "
                f"here ({iso3 or '-'}, {kind})")
        seen.setdefault(key, (iso3, kind, line))
    return df


# ---------------------------------------------------------------------------
# the matcher


def _trie(words) -> dict:
    """The character trie of ``words``: nested dicts, ``""`` marking the end of a word."""
    root: dict = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True
    return root


def _tok(ch: str) -> str:
    if ch == "'":
        return "['\u2019]"
    if ch == " ":
        return "[ \u00a0]"
    return re.escape(ch)


def _build(node: dict) -> str:
    end = "" in node
    alts = [_tok(ch) + _build(child) for ch, child in sorted(node.items()) if ch != ""]
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    if end:
        # greedy optional group: continue when possible, else stop here
        return "(?:" + body + ")?"
    return body


def _trie_regex(words) -> str:
    """One regex alternation for ``words`` as a character trie.

    Siblings start with distinct characters, and at every node the longer
    continuations are tried before stopping, so at any position the longest
    alias that also passes the final ``(?!\\w)`` wins.  An apostrophe matches
    both ' and U+2019, a space both space and NBSP.
    """
    return _build(_trie(words))


_RI = "[\U0001F1E6-\U0001F1FF]"


def _matcher_pattern(words) -> str:
    """The matcher's regex: a flag (two regional indicators) or an alias of ``words``.

    It matches exactly what ``(?P<flag>RI{2})|(?<!\\w)(?P<alias>TRIE)(?!\\w)`` matches, but
    starts with a character class (regional indicators and the first characters of the
    aliases), which lets the regex engine skip every other position without trying a
    match there. The first character is consumed by that class, so the rest checks it
    by lookbehind: ``(?<!\\w.)`` is ``(?<!\\w)`` before it (the class has no line break for
    ``.`` to miss), and ``(?<=X)`` picks the trie branch of first character X. The
    empty groups ``flag`` / ``alias`` at the end tell the two kinds apart (``lastgroup``).
    """
    root = _trie(words)
    if "" in root:  # an empty alias: keep the plain form
        return "(?P<flag>" + _RI + "{2})|(?<!\\w)(?P<alias>" + _build(root) + ")(?!\\w)"
    firsts = set()
    for ch in root:
        firsts.update({"'": "'\u2019", " ": " \u00a0"}.get(ch, ch))
    first_class = "[\U0001F1E6-\U0001F1FF" + "".join(re.escape(c) for c in sorted(firsts)) + "]"
    alts = "|".join("(?<=" + _tok(ch) + ")" + _build(child) for ch, child in sorted(root.items()))
    return (first_class + "(?:(?<=" + _RI + ")" + _RI + "(?P<flag>)"
            "|(?<!\\w.)(?:" + alts + ")(?!\\w)(?P<alias>))")


_GROUP = re.Match.group
_SPAN = re.Match.span
_LASTGROUP = operator.attrgetter("lastgroup")


# ---------------------------------------------------------------------------
# contexts in which a country alias is not a reference to the country


def load_non_references(path=None) -> pd.DataFrame:
    """The context words of ``framing/data/non_references.csv`` (see ``docs/aliases.md``).

    Columns ``word, kind, note``; kind is ``currency`` (a word after a name or demonym
    that makes it an amount: "US$", "77 million U.S. dollars", "Saudi riyals"), ``title``
    (a word before a place or name that makes it a person's surname: "Finance Minister
    Clara Birmingham") or ``given_name`` (a first name before a place or name: "Peter
    Jordan"; a country name that is also a first name, followed by a surname and a
    reporting verb: "Georgia Mensah said").
    """
    source = path if path is not None else resources.files("framing").joinpath("data", "non_references.csv")
    with (open(source, encoding="utf-8") if path is not None else source.open(encoding="utf-8")) as f:
        table = pd.read_csv(f, dtype=str, keep_default_na=False)
    bad = ~table["kind"].isin(["currency", "title", "given_name"])
    if bad.any():
        raise ValueError(f"{source}: line {int(bad.idxmax()) + 2}: unknown kind {table['kind'][bad.idxmax()]!r}")
    return table


_SPACE = "[ \u00a0]+"
_REPORTING = "said|says|told|added|noted|argued|wrote|warned|insisted|explained|who|of"


def _context_checks(table: pd.DataFrame, lookup: dict):
    """A function (text, mentions) -> mentions without those whose context rules them out.

    Only names, demonyms and places are checked; metonyms, persons and flags always stand.
    """
    words = {k: sorted(table.loc[table["kind"] == k, "word"], key=len, reverse=True)
             for k in ("currency", "title", "given_name")}
    words["title"] = sorted({w[0].upper() + w[1:] for w in words["title"]}
                            | {w[0].lower() + w[1:] for w in words["title"]}, key=len, reverse=True)
    alt = {k: "|".join(map(re.escape, v)) or "(?!)" for k, v in words.items()}
    currency = re.compile("\\$|" + _SPACE + "(?:" + alt["currency"] + ")(?!\\w)")
    before = re.compile("(?:(?<!\\w)(?:" + alt["title"] + ")\\.?|(?<![\\w.])(?:" + alt["given_name"] + "))"
                        + _SPACE + "\\Z")
    surname = re.compile(_SPACE + "([A-Z][\\w'’-]+)(?:,|['’]s\\b|" + _SPACE + "(?:" + _REPORTING + ")\\b)")
    first_names = frozenset(words["given_name"])
    word = re.compile(r"[A-Z][a-zà-ÿ'’-]+")

    def surname_like(text: str, a: int, b: int) -> bool:  # "Birmingham", not "U.S." or "United States"
        return word.fullmatch(text, a, b) is not None
    checked = {"name", "demonym", "place"}

    def keep(text: str, mentions: list) -> list:
        out = []
        for m in mentions:
            a, b, _, kind = m
            if kind in checked:
                if currency.match(text, b):
                    continue
                if kind != "demonym" and surname_like(text, a, b) and before.search(text, max(0, a - 60), a):
                    continue
                if kind != "demonym" and text[a:b] in first_names:
                    follow = surname.match(text, b)
                    if follow and _canon(follow.group(1)) not in lookup:
                        continue
            out.append(m)
        return out

    return keep


class CountryMatcher:
    """Compiled matcher over an alias table (see :func:`load_aliases`)."""

    def __init__(self, aliases: pd.DataFrame | None = None, non_references: pd.DataFrame | None = None):
        if aliases is None:
            aliases = load_aliases()
        else:
            for col in REQUIRED_COLUMNS:
                if col not in aliases.columns:
                    raise ValueError(f"alias table is missing required column {col!r}")
        self.aliases = aliases.reset_index(drop=True)
        lookup: dict[str, tuple[str, str]] = {}
        for alias, iso3, kind in zip(self.aliases["alias"], self.aliases["iso3"], self.aliases["kind"]):
            key = _canon(alias)
            prev = lookup.setdefault(key, (iso3, kind))
            if prev != (iso3, kind):
                raise ValueError(f"alias {alias!r} maps to both {prev} and {(iso3, kind)}")
        # all-caps forms (datelines "NAIROBI, March 3 -", capitalised headlines) of aliases
        # of four or more characters, unless the table says otherwise
        for key, hit in list(lookup.items()):
            if len(key) >= 4 and hit[1] != "person":
                lookup.setdefault(key.upper(), hit)
        #: canonical alias -> (iso3, kind); kind 'block' means "consume, no mention"
        self.lookup = lookup
        self.regex = re.compile(_matcher_pattern(sorted(lookup)))
        if non_references is None:
            non_references = load_non_references()
        self._not_reference = _context_checks(non_references, lookup)

    def find(self, text: str) -> list[tuple[int, int, str, str]]:
        """All country mentions in ``text`` as (start, end, iso3, kind), sorted by start."""
        matches = list(self.regex.finditer(text))
        if not matches:
            return []
        strings = list(map(_GROUP, matches))
        spans = list(map(_SPAN, matches))
        hits = list(map(self.lookup.get, strings))
        groups = list(map(_LASTGROUP, matches))
        if None not in hits and "flag" not in groups:  # the common case: plain aliases
            out = [(a, b, hit[0], hit[1]) for (a, b), hit in zip(spans, hits) if hit[1] != "block"]
            return self._not_reference(text, out)
        out = []
        lookup = self.lookup
        for (a, b), s, hit, group in zip(spans, strings, hits, groups):
            if group == "flag":
                iso3 = _FLAGS.get(s)
                if iso3:
                    out.append((a, b, iso3, "flag"))
                continue
            hit = hit or lookup[_canon(s)]
            if hit[1] != "block":
                out.append((a, b, hit[0], hit[1]))
        return self._not_reference(text, out)

    def aliases_for(self, iso3: str) -> pd.DataFrame:
        """The alias rows of one country (code, alpha-2 or name accepted)."""
        code = resolve_code(iso3)
        return self.aliases[self.aliases["iso3"] == code].reset_index(drop=True)


@functools.lru_cache(maxsize=None)
def default_matcher() -> CountryMatcher:
    """The matcher for the package alias table, compiled once."""
    return CountryMatcher()


# ---------------------------------------------------------------------------
# codes and names


@functools.lru_cache(maxsize=None)
def _name_index() -> dict[str, str]:
    """casefolded country name -> iso3, from the package table and pycountry."""
    idx: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            v = getattr(c, attr, None)
            if v:
                idx.setdefault(v.casefold(), c.alpha_3)
    table = default_matcher().aliases
    names = table[table["kind"] == "name"]
    for alias, iso3 in zip(names["alias"], names["iso3"]):
        idx[_canon(alias).casefold()] = iso3
    return idx


def resolve_code(code: str) -> str:
    """Normalise a country code or name to ISO alpha-3.

    Accepts alpha-3 or alpha-2 in any case, numeric codes, and country names
    from the alias table or pycountry ('Russia', 'UK').  Unknown input raises
    ``ValueError`` with the closest codes/names as suggestions.
    """
    if not isinstance(code, str) or not code.strip():
        raise ValueError(f"unknown country code {code!r}; expected an ISO 3166-1 code or country name")
    s = code.strip()
    up = s.upper()
    if up in _ALPHA3:
        return up
    if len(up) == 2 and up in _ALPHA2:
        return _ALPHA2[up]
    if s.isdigit() and s.zfill(3) in _NUMERIC:
        return _NUMERIC[s.zfill(3)]
    names = _name_index()
    key = _canon(s).casefold()
    if key in names:
        return names[key]
    codes = sorted(_ALPHA3)
    sugg = difflib.get_close_matches(up, codes, n=3, cutoff=0.6)
    for n in difflib.get_close_matches(key, list(names), n=3, cutoff=0.75):
        if names[n] not in sugg:
            sugg.append(names[n])
    if not sugg:
        sugg = difflib.get_close_matches(up, codes, n=3, cutoff=0.0)
    shown = ", ".join(f"{c} ({country_name(c)})" for c in sugg)
    raise ValueError(f"unknown country code {code!r}; did you mean: {shown}?")


def country_name(iso3: str) -> str:
    """Short common English name for display ('Russia', 'United States', 'Iran')."""
    code = iso3.upper() if isinstance(iso3, str) else iso3
    if code not in _ALPHA3:
        code = resolve_code(iso3)
    if code in _DISPLAY:
        return _DISPLAY[code]
    c = _ALPHA3[code]
    name = getattr(c, "common_name", None) or c.name
    return re.sub(r"\s*\(.*\)$", "", name)


# ---------------------------------------------------------------------------
# articles


def find_mentions(articles: pd.DataFrame, sentences: pd.DataFrame,
                  matcher: CountryMatcher | None = None) -> pd.DataFrame:
    """Country mentions of many articles, each assigned to its sentence.

    ``articles``: columns article_id, text.  ``sentences``: columns
    article_id, sentence_id, start, end (character offsets into the article
    text, end exclusive).  Returns one row per mention with columns
    article_id, sentence_id, start, end, text, country, kind, sorted by
    article_id then start.  A mention whose start lies in no sentence raises
    ``ValueError`` (sentences are expected to cover all non-space text).
    """
    for frame, cols, label in ((articles, ("article_id", "text"), "articles"),
                               (sentences, ("article_id", "sentence_id", "start", "end"), "sentences")):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ValueError(f"{label} is missing column(s) {missing}")
    matcher = matcher or default_matcher()

    # The sentences sorted by (article_id, start); article number g owns the rows
    # first[g]:last[g], and key = g * span + start increases along the rows.
    groups: dict = {}
    if len(sentences):
        sent = sentences[["article_id", "sentence_id", "start", "end"]].sort_values(
            ["article_id", "start"], kind="stable")
        sent_ids = sent["article_id"].to_numpy(dtype=object)
        starts = sent["start"].to_numpy(dtype=np.int64)
        ends = sent["end"].to_numpy(dtype=np.int64)
        sids = sent["sentence_id"].to_numpy()
        first = np.flatnonzero(np.concatenate(([True], sent_ids[1:] != sent_ids[:-1])))
        last = np.append(first[1:], len(sent_ids))
        for g, aid in enumerate(sent_ids[first].tolist()):
            if aid == aid:  # like groupby, ignore a missing (NaN) id
                groups[aid] = g
        row_group = np.repeat(np.arange(len(first), dtype=np.int64), last - first)
    else:
        starts = ends = row_group = np.zeros(0, dtype=np.int64)
        sids = np.zeros(0, dtype=np.int64)

    m_aid, m_group, m_start, m_end, m_text, m_code, m_kind = [], [], [], [], [], [], []
    find = matcher.find
    for aid, text in zip(articles["article_id"], articles["text"]):
        if not isinstance(text, str) or not text:
            continue
        found = find(text)
        if not found:
            continue
        n = len(found)
        m_aid.extend([aid] * n)
        m_group.extend([groups.get(aid, -1)] * n)
        found_start, found_end, found_code, found_kind = zip(*found)
        m_start.extend(found_start)
        m_end.extend(found_end)
        m_code.extend(found_code)
        m_kind.extend(found_kind)
        m_text.extend([text[s:e] for s, e, _, _ in found])

    mention_start = np.array(m_start, dtype=np.int64)
    sentence_ids = np.zeros(0, dtype=np.int64)
    if len(m_start):
        group = np.array(m_group, dtype=np.int64)
        idx = np.full(len(m_start), -1, dtype=np.int64)
        if len(starts):
            base = int(min(starts.min(), mention_start.min()))
            span = int(max(starts.max(), mention_start.max())) - base + 1
            idx = np.searchsorted(row_group * span + (starts - base),
                                  group * span + (mention_start - base), side="right") - 1
        safe = np.maximum(idx, 0)
        bad = (group < 0) | (idx < 0)
        if len(starts):
            bad |= (row_group[safe] != group) | (mention_start >= ends[safe])
        if bad.any():
            # the first problem in article order, as a per-article scan would find it
            k = int(np.flatnonzero(bad)[0])
            if group[k] < 0:
                raise ValueError(f"article {m_aid[k]!r} has country mentions but no sentences")
            raise ValueError(f"article {m_aid[k]!r}: mention {m_text[k]!r} at {m_start[k]} lies in no sentence")
        sentence_ids = sids[idx]
    out = pd.DataFrame({
        "article_id": pd.Series(m_aid, dtype=object),
        "sentence_id": pd.Series(sentence_ids, dtype=np.int64),
        "start": pd.Series(mention_start, dtype=np.int64),
        "end": pd.Series(m_end, dtype=np.int64),
        "text": pd.Series(m_text, dtype=object),
        "country": pd.Series(m_code, dtype=object),
        "kind": pd.Series(m_kind, dtype=object),
    })
    if len(out) and not _sorted_by_article(out["article_id"].to_numpy(), mention_start):
        out = out.sort_values(["article_id", "start"], kind="stable").reset_index(drop=True)
    return out


def _sorted_by_article(ids: np.ndarray, starts: np.ndarray) -> bool:
    """True when rows are already in (article_id, start) order, so a stable sort keeps them."""
    if len(ids) < 2:
        return True
    try:
        same = ids[1:] == ids[:-1]
        ascending = ids[1:] > ids[:-1]
    except TypeError:  # ids that do not compare (mixed types): let pandas sort
        return False
    return bool(np.all(ascending | (same & (starts[1:] >= starts[:-1]))))
