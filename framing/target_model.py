"""Target-dependent sentiment classifier (negative / neutral / positive toward a target span).

A linear model (multinomial logistic regression) over several TF-IDF feature blocks built
around the target mention, plus a small block of dense lexicon/position features.  It is
trained on NewsMTSC (Hamborg & Donnay, EACL 2021) and shipped as package data in a
pickle-free ``.npz`` file: vocabularies (numpy unicode arrays), idf vectors, the
coefficient matrix, intercepts, standardisation statistics, the sentiment lexicon subset
and the hyperparameters (a JSON string).  Inference rebuilds the transform from those
arrays only; nothing is refitted and nothing is unpickled.

See docs/target_model.md for the features, the hyperparameter selection and the scores.
"""

from __future__ import annotations

import collections
import functools
import itertools
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin

__all__ = [
    "LABELS",
    "DEFAULT_PATH",
    "read_newsmtsc",
    "TargetSentimentModel",
    "default_model",
    "train",
    "evaluate",
]

LABELS = ("negative", "neutral", "positive")
_POLARITY_TO_LABEL = {2.0: "negative", 4.0: "neutral", 6.0: "positive"}
FORMAT_VERSION = 1
#: where the packaged model lives (and where ``framing train-target-model`` writes by default)
DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "target_model.npz"

# Placeholder tokens.  Target mentions are replaced by TGT so that the model learns how
# the sentence talks *about the target*, not who the target is.
TGT = "xtgtx"
BOS = "xbosx"
EOS = "xeosx"

_TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\w\s]")
_NORMALISE = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                            "\u2014": " - ", "\u2013": " - "})
_NEGATIONS = frozenset(
    """not no never nor none nobody nothing neither without n't cannot cant dont doesnt
    didnt isnt wasnt arent werent wont wouldnt shouldnt couldnt hasnt havent hadnt aint
    don't doesn't didn't isn't wasn't aren't weren't won't wouldn't shouldn't couldn't
    hasn't haven't hadn't ain't can't""".split())
_NEG_SCALAR = -0.74  # VADER's negation scalar

DEFAULT_PARAMS = dict(
    C=1.0,
    random_state=0,
    window=10,
    decay=0.8,
    word_ngrams=2,
    char_ngrams=(2, 5),
    min_df=2,
    char_min_df=3,
    max_word_features=60000,
    max_char_features=60000,
    max_window_features=40000,
    w_sent=1.0,
    w_char=1.0,
    w_win=1.0,
    w_mention=0.0,
    w_dense=1.0,
    mention_windows=True,
    class_weight="balanced",
    max_iter=20000,
    tol=1e-8,
)


# ----------------------------------------------------------------------------- data


def read_newsmtsc(path) -> pd.DataFrame:
    """Read a NewsMTSC JSON-lines file into one row per target.

    Columns: ``text`` (sentence), ``start``, ``end`` (0-based char span of the target,
    ``end`` exclusive), ``label`` (one of LABELS), ``other_spans`` (list of ``(from, to)``
    further mentions of the same target), ``mention``, ``sentence_id`` (0-based line
    index) and ``gid``.  Raises ``ValueError`` naming the file and line on bad input.
    """
    path = Path(path)
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue

            def bad(msg, _lineno=lineno):
                return ValueError(f"{path}: line {_lineno}: {msg}")

            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise bad(f"invalid JSON ({exc.msg})") from None
            if not isinstance(rec, dict):
                raise bad("expected a JSON object")
            text = rec.get("sentence_normalized")
            if not isinstance(text, str):
                raise bad("missing or non-string 'sentence_normalized'")
            targets = rec.get("targets")
            if not isinstance(targets, list) or not targets:
                raise bad("missing or empty 'targets' list")
            for k, t in enumerate(targets):
                if not isinstance(t, dict):
                    raise bad(f"target {k} is not an object")
                start, end = _check_span(t, len(text), bad, f"target {k}")
                pol = t.get("polarity")
                if isinstance(pol, bool) or not isinstance(pol, (int, float)) \
                        or float(pol) not in _POLARITY_TO_LABEL:
                    raise bad(f"target {k}: polarity must be 2.0, 4.0 or 6.0, got {pol!r}")
                others = []
                fm = t.get("further_mentions") or []
                if not isinstance(fm, list):
                    raise bad(f"target {k}: 'further_mentions' must be a list")
                for j, m in enumerate(fm):
                    if not isinstance(m, dict):
                        raise bad(f"target {k}: further mention {j} is not an object")
                    others.append(_check_span(m, len(text), bad,
                                              f"target {k} further mention {j}"))
                rows.append({
                    "text": text,
                    "start": start,
                    "end": end,
                    "label": _POLARITY_TO_LABEL[float(pol)],
                    "other_spans": others,
                    "mention": text[start:end],
                    "sentence_id": lineno - 1,
                    "gid": t.get("Input.gid", rec.get("primary_gid")),
                })
    if not rows:
        raise ValueError(f"{path}: no targets found")
    return pd.DataFrame(rows)


def _check_span(obj, n, bad, what):
    a, b = obj.get("from"), obj.get("to")
    for v, name in ((a, "from"), (b, "to")):
        if isinstance(v, bool) or not isinstance(v, int):
            raise bad(f"{what}: '{name}' must be an integer, got {v!r}")
    if not 0 <= a < b <= n:
        raise bad(f"{what}: span [{a}, {b}) outside sentence of length {n}")
    return a, b


# ----------------------------------------------------------------------- featurising
#
# Features are computed for a whole batch at once.  The Python work is one tokenisation
# per distinct masked sentence and a handful of C-level ``map`` lookups over the batch's
# tokens; everything per mention (windows, dense features) is numpy over index arrays.
# Mentions of the target in the same sentence share one masked sentence (a "unit"):
# consecutive rows with the same text and the same masked spans are one unit.


def _as_frame(X) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(X)
    missing = {"text", "start", "end"} - set(X.columns)
    if missing:
        raise ValueError(f"X lacks column(s) {sorted(missing)}")
    return X


_NORMALISE_PAIRS = tuple((chr(k), v) for k, v in _NORMALISE.items())


def _normalise(s: str) -> str:
    """``s.translate(_NORMALISE).lower()``; str.replace per character is ~20x faster than
    translate with a dict table on non-ASCII text."""
    if not s.isascii():  # every character _NORMALISE maps is outside ASCII
        for a, b in _NORMALISE_PAIRS:
            if a in s:
                s = s.replace(a, b)
    return s.lower()


def _tokens(s: str):
    return _TOKEN_RE.findall(_normalise(s))


def _kept_spans(start, end, others):
    """The primary span plus the further mentions that overlap neither it nor each other."""
    start, end = int(start), int(end)
    if not others:
        return ((start, end),)
    kept, last = [], -1
    for a, b in sorted((int(a), int(b)) for a, b in (others or ())):
        if (b <= start or a >= end) and a >= last:
            kept.append((a, b))
            last = b
    kept.append((start, end))
    kept.sort()
    return tuple(kept)


def _mask(text, spans):
    """Replace each span by TGT; return (masked_text, tokens with BOS/EOS, TGT token indices)."""
    pieces, pos = [], 0
    for a, b in spans:
        pieces.append(text[pos:a])
        pieces.append(f" {TGT} ")
        pos = b
    pieces.append(text[pos:])
    masked = _normalise("".join(pieces))
    toks = _TOKEN_RE.findall(masked)
    if toks.count(TGT) == len(spans):
        toks.insert(0, BOS)
        toks.append(EOS)
        idx, i = [], 0
        for _ in spans:
            i = toks.index(TGT, i + 1)
            idx.append(i)
        return masked, toks, idx
    # the text itself holds the placeholder word: tokenise piece by piece
    toks, idx = [BOS], []
    for k in range(0, len(pieces) - 1, 2):
        toks.extend(_tokens(pieces[k]))
        idx.append(len(toks))
        toks.append(TGT)
    toks.extend(_tokens(pieces[-1]))
    toks.append(EOS)
    return masked, toks, idx


class _Batch:
    """Token arrays of a batch of model inputs.

    ``toks`` holds the tokens of every unit back to back; unit ``u`` spans
    ``off[u]:off[u] + size[u]``.  Row ``r`` (a mention) belongs to unit ``unit[r]``; its
    target token is at global position ``pos[r]``; ``anchors`` lists (row, global position,
    weight) of the row's own mention (weight 1) and its further mentions.
    """

    def __init__(self, X: pd.DataFrame, other_weight: float, mention_tokens: bool = False):
        texts = X["text"].tolist()
        starts = X["start"].tolist()
        ends = X["end"].tolist()
        others = X["other_spans"].tolist() if "other_spans" in X.columns else [()] * len(X)
        self.masked, toks, offs, sizes = [], [], [], []
        unit, pos, n_mentions = [], [], []
        a_row, a_pos, a_base = [], [], []  # further mentions' window anchors
        self.mention_tokens = [] if mention_tokens else None
        idx = ()
        last_key, off, u = None, 0, -1
        for r, (text, a, b, other) in enumerate(zip(texts, starts, ends, others)):
            if isinstance(other, float) and math.isnan(other):
                other = ()  # a frame with missing other_spans
            spans = _kept_spans(a, b, other)
            key = (text, spans)
            if key != last_key:
                masked, unit_toks, idx = _mask(text, spans)
                off = len(toks)
                offs.append(off)
                sizes.append(len(unit_toks))
                toks.extend(unit_toks)
                self.masked.append(masked)
                last_key = key
                u += 1
            unit.append(u)
            if len(spans) == 1:
                primary = off + idx[0]
            else:
                primary = off + idx[spans.index((int(a), int(b)))]
                if other_weight:
                    for i in idx:
                        if off + i != primary:
                            a_row.append(r)
                            a_pos.append(off + i)
                            a_base.append(other_weight)
            pos.append(primary)
            n_mentions.append(len(spans))
            if mention_tokens:
                self.mention_tokens.append(_tokens(text[int(a):int(b)]))
        self.toks = toks
        self.off = np.asarray(offs, dtype=np.int64)
        self.size = np.asarray(sizes, dtype=np.int64)
        self.unit = np.asarray(unit, dtype=np.int64)
        self.pos = np.asarray(pos, dtype=np.int64)
        self.n_mentions = np.asarray(n_mentions, dtype=np.float64)
        # window anchors: every row's own mention (weight 1), then further mentions
        self.n_rows = len(unit)
        self.anchor_row = np.concatenate([np.arange(self.n_rows), np.asarray(a_row, np.int64)])
        self.anchor_pos = np.concatenate([self.pos, np.asarray(a_pos, np.int64)])
        self.anchor_base = np.concatenate([np.ones(self.n_rows), np.asarray(a_base, np.float64)])
        self.n_units = len(offs)
        self.unit_of_tok = np.repeat(np.arange(self.n_units), self.size)
        # BOS and EOS are not part of the sentence's own n-grams
        body = np.ones(len(toks), dtype=bool)
        body[self.off] = False
        body[self.off + self.size - 1] = False
        self.body = body


class _Words:
    """The token table of a model: token -> id, and per-id lexicon value and token class.

    Unknown tokens get the last id, ``len(table)``; word n-gram features are coded as
    integers over ids in base ``base = len(table) + 1`` (a bigram is ``id1 * base + id2``).
    """

    def __init__(self, tokens, lexicon: dict):
        table = dict.fromkeys(tokens)
        table.update(dict.fromkeys(lexicon))
        table.update(dict.fromkeys(_KINDS))
        self.table = {t: i for i, t in enumerate(table)}
        self.tokens = list(self.table)
        self.unknown = len(self.table)
        self.base = self.unknown + 1
        self.lex = np.zeros(self.base)
        self.kinds = np.zeros(self.base, dtype=np.int64)
        for t, v in lexicon.items():
            self.lex[self.table[t]] = v
        for t, k in _KINDS.items():
            self.kinds[self.table[t]] = k
        if self.base ** 3 >= 2 ** 63:
            raise ValueError("token table too large for n-gram codes")

    def ids(self, toks) -> np.ndarray:
        return np.fromiter(map(self.table.get, toks, itertools.repeat(self.unknown)),
                           dtype=np.int64, count=len(toks))

    def code(self, parts) -> int:
        c = 0
        for t in parts:
            c = c * self.base + self.table[t]
        return c

    def decode(self, code: int, k: int) -> list[str]:
        out = []
        for _ in range(k):
            code, t = divmod(code, self.base)
            out.append(self.tokens[t])
        return out[::-1]


class _Index:
    """Column ids of one block's features, by kind: word n-grams '1', '2', ...; window
    features 'L1', 'L2', 'R1', 'R2' (integer codes, see :class:`_Words`); character n-grams
    'c' (strings).  Fixed (built from a fitted vocabulary; unknown features give -1) or
    growing (while fitting: every new feature gets the next column, and ``names`` spells
    each column out)."""

    def __init__(self, block: str, words: _Words, vocab=None):
        self.block, self.words = block, words
        self.growing = vocab is None
        self.names: list[str] = []
        self.n_features = 0
        self.dense: dict[str, np.ndarray] = {}     # unigram kinds: column by token id
        self.sorted: dict[str, tuple] = {}         # longer n-grams: sorted codes, columns
        self.char: dict[str, int] = {}
        if self.growing:
            self._seen: set = set()
            return
        grams: dict[str, list] = collections.defaultdict(list)
        for col, feature in enumerate(vocab.tolist()):
            if block == "char":
                self.char[feature] = col
                continue
            kind, parts = _parse_feature(block, feature)
            grams[kind].append((words.code(parts), col))
        for kind, pairs in grams.items():
            codes, cols = (np.array(x, dtype=np.int64) for x in zip(*pairs))
            if kind[-1] == "1":
                table = np.full(words.base, -1, dtype=np.int64)
                table[codes] = cols
                self.dense[kind] = table
            else:
                order = np.argsort(codes)
                self.sorted[kind] = (codes[order], cols[order])
        self.n_features = len(vocab)

    def lookup(self, kind: str, codes: np.ndarray) -> np.ndarray:
        """Columns of word-feature ``codes`` of ``kind`` (-1 where unknown)."""
        if self.growing:
            if kind in self._seen:
                raise RuntimeError(f"kind {kind!r} looked up twice while fitting")
            self._seen.add(kind)
            uniq, inverse = np.unique(codes, return_inverse=True)
            cols = self.n_features + inverse.reshape(-1)
            k = int(kind[-1])
            prefix = f"{kind[0]}|" if self.block == "win" else ""
            self.names.extend(prefix + " ".join(self.words.decode(int(c), k)) for c in uniq)
            self.n_features += len(uniq)
            return cols
        if kind in self.dense:
            return self.dense[kind][codes]
        if kind not in self.sorted:
            return np.full(len(codes), -1, dtype=np.int64)
        keys, cols = self.sorted[kind]
        at = np.minimum(np.searchsorted(keys, codes), len(keys) - 1)
        return np.where(keys[at] == codes, cols[at], -1)

    def char_ids(self, grams) -> np.ndarray:
        """Columns of character n-grams (strings); unknown ones are dropped."""
        if self.growing:
            ids = []
            for g in grams:
                col = self.char.get(g)
                if col is None:
                    col = self.char[g] = self.n_features
                    self.names.append(g)
                    self.n_features += 1
                ids.append(col)
            return np.array(ids, dtype=np.int64)
        ids = np.fromiter(map(self.char.get, grams, itertools.repeat(-1)), dtype=np.int64)
        return ids[ids >= 0]


def _parse_feature(block, feature):
    """(kind, tokens) of a word feature string: 'a b' -> ('2', [a, b]); 'L|a' -> ('L1', [a])."""
    if block == "win":
        parts = feature[2:].split(" ")
        return feature[0] + str(len(parts)), parts
    parts = feature.split(" ")
    return str(len(parts)), parts


def _feature_tokens(vocab: dict) -> list[str]:
    """Every token that occurs in a word feature of the fitted vocabularies."""
    out = []
    for block, features in vocab.items():
        if block != "char":
            for feature in features.tolist():
                out.extend(_parse_feature(block, feature)[1])
    return out


def _counts(rows, cols, data, n_rows, n_cols):
    """Sparse (rows x cols) matrix summing ``data`` over repeated (row, col) pairs."""
    keep = cols >= 0
    return sp.csr_matrix((data[keep], (rows[keep], cols[keep])), shape=(n_rows, n_cols))


def _sent_counts(batch: _Batch, tids: np.ndarray, index: _Index, n: int):
    """Word 1..n-gram counts of each unit's masked sentence (BOS/EOS excluded)."""
    rows, cols = [], []
    valid, codes = batch.body, tids
    base = index.words.base
    for k in range(1, n + 1):
        if k > 1:
            valid = valid[:-1] & batch.body[k - 1:]
            codes = codes[:-1] * base + tids[k - 1:]
        where = np.flatnonzero(valid)
        cols.append(index.lookup(str(k), codes[where]))
        rows.append(batch.unit_of_tok[where])
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    return _counts(rows, cols, np.ones(len(cols)), batch.n_units, index.n_features)


def _char_counts(batch: _Batch, index: _Index, cache: dict, lo: int, hi: int):
    """Character n-gram counts (within words, padded by a space) of each unit."""
    words, per_unit = [], []
    for masked in batch.masked:
        split = masked.split()
        words.extend(split)
        per_unit.append(len(split))
    # Local word ids in string order: a unit's words then come in an order that depends on
    # the unit alone, and so does the column order of its row in the product below, which
    # keeps a row's float sums (norm, dot product) independent of the rest of the batch.
    local = {w: i for i, w in enumerate(sorted(set(words)))}
    word_ids = np.fromiter(map(local.__getitem__, words), dtype=np.int64, count=len(words))
    grams = []
    for w in local:  # by local id
        ids = cache.get(w)
        if ids is None:
            ww = f" {w} "
            L = len(ww)
            ids = index.char_ids([ww[i:i + k] for k in range(lo, min(hi, L) + 1)
                                  for i in range(L - k + 1)])
            if len(cache) > 500_000:
                cache.clear()
            cache[w] = ids
        grams.append(ids)
    lengths = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
    word_grams = sp.csr_matrix(
        (np.ones(int(lengths.sum())), np.concatenate(grams) if grams else np.zeros(0, np.int64),
         np.concatenate([[0], np.cumsum(lengths)])), shape=(len(grams), index.n_features))
    unit_words = sp.csr_matrix(
        (np.ones(len(word_ids)), (np.repeat(np.arange(batch.n_units), per_unit), word_ids)),
        shape=(batch.n_units, len(grams)))
    return unit_words @ word_grams


def _window_counts(batch: _Batch, tids: np.ndarray, index: _Index, window: int, decay: float):
    """Distance-weighted unigrams and bigrams left ('L|') and right ('R|') of each anchor."""
    pairs = tids[:-1] * index.words.base + tids[1:]
    lu, ru = index.lookup("L1", tids), index.lookup("R1", tids)
    lb = np.append(index.lookup("L2", pairs), -1)  # lb[q]: the bigram at q, q + 1
    rb = np.append(index.lookup("R2", pairs), -1)
    d = np.arange(1, window + 1)
    weight = batch.anchor_base[:, None] * decay ** (d - 1)[None, :]
    unit = batch.unit[batch.anchor_row]
    start = batch.off[unit][:, None]
    stop = (batch.off + batch.size)[unit][:, None]
    row = np.broadcast_to(batch.anchor_row[:, None], weight.shape)
    left = batch.anchor_pos[:, None] - d[None, :]
    right = batch.anchor_pos[:, None] + d[None, :]
    lok = left >= start
    rok = right < stop
    far = np.broadcast_to(d[None, :] > 1, weight.shape)
    lidx, ridx = np.where(lok, left, 0), np.where(rok, right, 0)
    parts = [
        (lok, lu[lidx]), (lok & far, lb[lidx]),
        (rok, ru[ridx]), (rok & far, rb[np.maximum(ridx - 1, 0)]),
    ]
    rows = np.concatenate([row[m] for m, _ in parts])
    cols = np.concatenate([c[m] for m, c in parts])
    data = np.concatenate([weight[m] for m, _ in parts])
    return _counts(rows, cols, data, batch.n_rows, index.n_features)


DENSE_NAMES = (
    "sent_pos", "sent_neg", "sent_compound",
    "left_pos", "left_neg", "right_pos", "right_neg",
    "near_val", "near_absval", "near_left_val", "near_right_val",
    "clause_pos", "clause_neg", "far_pos", "far_neg",
    "n_pos_words", "n_neg_words", "max_pos", "max_neg",
    "neg_near_target", "target_first", "target_rel_pos", "log_len",
    "has_quote", "target_in_quote", "question", "exclaim", "n_mentions",
    "by_before", "lex_count_win", "but_before", "but_after",
)

_CLAUSE_BREAKS = frozenset(
    ', ; : ( ) " - . but while although though whereas however because'.split())
_CONTRAST = frozenset("but however although though whereas yet".split())
# token -> bit set of the token classes the dense features look for
_NEG, _BREAK, _CONTRAST_BIT, _QUOTE, _QUESTION, _EXCLAIM, _BY = (1 << i for i in range(7))
_KINDS: dict[str, int] = collections.defaultdict(int)
for _set, _bit in ((_NEGATIONS, _NEG), (_CLAUSE_BREAKS, _BREAK), (_CONTRAST, _CONTRAST_BIT),
                   (('"',), _QUOTE), (("?",), _QUESTION), (("!",), _EXCLAIM), (("by",), _BY)):
    for _t in _set:
        _KINDS[_t] |= _bit
_KINDS = dict(_KINDS)


def _segment_sums(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``values[lo[i]:hi[i]].sum()`` for every i (0 for an empty range).

    Each sum is computed from its own range only, never as a difference of running totals,
    so a mention's features are bit-for-bit the same whatever else is in the batch."""
    if len(lo) == 0:
        return np.zeros(0)
    bounds = np.empty(2 * len(lo), dtype=np.int64)
    bounds[0::2], bounds[1::2] = lo, hi
    sums = np.add.reduceat(np.append(values, 0.0), bounds)[0::2]
    sums[hi <= lo] = 0.0
    return sums


def _dense(batch: _Batch, tids: np.ndarray, words: _Words, window: int, decay: float):
    """The lexicon and position features (DENSE_NAMES) of every row."""
    n_all = len(tids)
    kinds = words.kinds[tids]
    vals = words.lex[tids]

    def cum(mask):
        return np.concatenate([[0], np.cumsum(mask)])

    def count(c, lo, hi):  # number of flagged tokens in global positions [lo, hi)
        return c[hi] - c[lo]

    off_tok = batch.off[batch.unit_of_tok]
    g = np.arange(n_all)
    c_neg = cum((kinds & _NEG) > 0)
    # a lexicon word with a negation among the three tokens before it is reversed (VADER)
    negated = (vals != 0) & (count(c_neg, np.maximum(off_tok, g - 3), g) > 0)
    vals = np.where(negated, vals * _NEG_SCALAR, vals)
    positive, negative = np.maximum(vals, 0.0), np.maximum(-vals, 0.0)
    c_npos, c_nneg = cum(vals > 0), cum(vals < 0)
    c_break, c_contrast = cum((kinds & _BREAK) > 0), cum((kinds & _CONTRAST_BIT) > 0)
    c_quote = cum((kinds & _QUOTE) > 0)
    c_q, c_x = cum((kinds & _QUESTION) > 0), cum((kinds & _EXCLAIM) > 0)
    # per unit
    u_start, u_stop = batch.off, batch.off + batch.size
    pos_u = _segment_sums(positive, u_start, u_stop)
    neg_u = _segment_sums(negative, u_start, u_stop)
    tot = pos_u - neg_u
    comp = tot / np.sqrt(tot * tot + 15.0)
    max_u = np.maximum.reduceat(vals, u_start) if n_all else np.zeros(0)
    min_u = np.minimum.reduceat(vals, u_start) if n_all else np.zeros(0)
    # per row
    u = batch.unit
    start, stop = u_start[u], u_stop[u]
    p = batch.pos
    ti = p - start
    n_tok = batch.size[u]
    # values at distance 1..2*window left and right of the target (0 outside the unit)
    d = np.arange(1, 2 * window + 1)
    left = p[:, None] - d
    right = p[:, None] + d
    lv = np.where(left >= start[:, None], vals[np.maximum(left, 0)], 0.0)
    rv = np.where(right < stop[:, None], vals[np.minimum(right, n_all - 1)], 0.0)
    w = decay ** (d[:window] - 1)
    lw, rw = lv[:, :window], rv[:, :window]
    lp = (np.maximum(lw, 0) * w).sum(axis=1)
    ln = (np.maximum(-lw, 0) * w).sum(axis=1)
    rp = (np.maximum(rw, 0) * w).sum(axis=1)
    rn = (np.maximum(-rw, 0) * w).sum(axis=1)
    cnt = (lw != 0).sum(axis=1) + (rw != 0).sum(axis=1)

    def first_nonzero(m):
        return m[np.arange(len(m)), np.argmax(m != 0, axis=1)] if m.shape[1] else np.zeros(len(m))

    inter = np.empty((len(p), 4 * window))
    inter[:, 0::2], inter[:, 1::2] = lv, rv  # nearest first, the left one first on a tie
    near, near_l, near_r = first_nonzero(inter), first_nonzero(lv), first_nonzero(rv)
    # the clause around the target: up to the nearest clause-break token on each side
    brk = (kinds & _BREAK) > 0
    last_break = np.maximum.accumulate(np.where(brk, g, -1)) if n_all else g
    next_break = np.minimum.accumulate(np.where(brk, g, n_all)[::-1])[::-1] if n_all else g
    lb = last_break[p - 1]
    lo = np.where(lb >= start + 1, lb, start)
    nb = next_break[np.minimum(p + 1, n_all - 1)]
    hi = np.where(nb <= stop - 2, nb, stop - 1)
    cp = _segment_sums(positive, lo + 1, hi)
    cn = _segment_sums(negative, lo + 1, hi)
    neg_near = count(c_neg, np.maximum(start, p - 3), np.minimum(stop, p + 4)) > 0
    n = n_tok - 2
    by_before = (ti >= 2) & ((kinds[p - 1] & _BY) > 0)
    return np.column_stack([
        np.log1p(pos_u[u]), np.log1p(neg_u[u]), comp[u],
        np.log1p(lp), np.log1p(ln), np.log1p(rp), np.log1p(rn),
        near, np.abs(near), near_l, near_r,
        np.log1p(cp), np.log1p(cn), np.log1p(pos_u[u] - cp), np.log1p(neg_u[u] - cn),
        np.log1p((c_npos[u_stop] - c_npos[u_start])[u]),
        np.log1p((c_nneg[u_stop] - c_nneg[u_start])[u]),
        max_u[u], -min_u[u],
        neg_near, ti <= 1, (ti - 1) / np.maximum(n, 1), np.log1p(n),
        count(c_quote, start, stop) > 0, count(c_quote, start, p) % 2 == 1,
        count(c_q, start, stop) > 0, count(c_x, start, stop) > 0, np.log1p(batch.n_mentions),
        by_before, np.log1p(cnt),
        count(c_contrast, start, p) > 0, count(c_contrast, p + 1, stop) > 0,
    ]).astype(np.float64)


_BLOCK_CFG = {
    # block: (weight key, min_df key, max_features key, sublinear tf)
    "sent": ("w_sent", "min_df", "max_word_features", True),
    "char": ("w_char", "char_min_df", "max_char_features", True),
    "win": ("w_win", "min_df", "max_window_features", False),
    "mention": ("w_mention", "min_df", None, False),
}


#: blocks whose rows are whole masked sentences (shared by a sentence's mentions)
_UNIT_BLOCKS = frozenset({"sent", "char"})


def _block_counts(block: str, batch: _Batch, tids, index: _Index, p: dict, cache: dict):
    """Raw (tf) counts of a block: one row per unit for _UNIT_BLOCKS, per row otherwise."""
    if block == "sent":
        return _sent_counts(batch, tids, index, int(p["word_ngrams"]))
    if block == "char":
        lo, hi = p["char_ngrams"]
        return _char_counts(batch, index, cache, lo, hi)
    if block == "win":
        return _window_counts(batch, tids, index, int(p["window"]), float(p["decay"]))
    lengths = [len(t) for t in batch.mention_tokens]  # the mention's own words
    cols = index.lookup("1", index.words.ids(list(itertools.chain.from_iterable(
        batch.mention_tokens))))
    rows = np.repeat(np.arange(batch.n_rows), lengths)
    return _counts(rows, cols, np.ones(len(cols)), batch.n_rows, index.n_features)


def _weigh(M, idf, sublinear, weight):
    """(sublinear) tf * idf, then L2-normalise each row and scale by the block weight."""
    M = sp.csr_matrix(M, dtype=np.float64)  # fresh counts, duplicates summed: no copy
    if sublinear:
        M.data = 1.0 + np.log(M.data)
    M.data *= idf[M.indices]
    rows = np.repeat(np.arange(M.shape[0]), np.diff(M.indptr))
    norms = np.sqrt(np.bincount(rows, M.data * M.data, minlength=M.shape[0]))
    norms[norms == 0] = 1.0
    M.data *= (weight / norms)[rows]
    return M


def _select_vocab(M, names, min_df, max_features, multiplicity=None):
    """Columns of M kept as vocabulary (document frequency >= min_df, the max_features most
    frequent, ties by name) in name order, and their idf.  Row i of M stands for
    ``multiplicity[i]`` documents."""
    M = sp.csr_matrix(M)
    M.sum_duplicates()
    rows = np.repeat(np.arange(M.shape[0]), np.diff(M.indptr))
    mult = np.ones(M.shape[0]) if multiplicity is None else np.asarray(multiplicity, float)
    df = np.rint(np.bincount(M.indices, weights=mult[rows], minlength=M.shape[1])).astype(int)
    items = [(names[j], int(df[j])) for j in np.flatnonzero(df >= max(min_df, 1))]
    if max_features and len(items) > max_features:
        items.sort(key=lambda it: (-it[1], it[0]))
        items = items[:max_features]
    items.sort()
    n = int(mult.sum())
    vocab = np.array([f for f, _ in items], dtype=str)
    dfs = np.array([c for _, c in items], dtype=np.float64)
    idf = np.log((1.0 + n) / (1.0 + dfs)) + 1.0
    return vocab, idf


# ----------------------------------------------------------------------------- model


class TargetSentimentModel(BaseEstimator, ClassifierMixin):
    """Linear target-dependent sentiment classifier; see module docstring.

    ``X`` is a DataFrame with columns ``text``, ``start``, ``end`` (character span of the
    target in ``text``) and optionally ``other_spans`` (list of ``(start, end)`` further
    mentions of the same target).  Probabilities are in LABELS order.
    """

    def __init__(self, C=DEFAULT_PARAMS["C"], random_state=0,
                 window=DEFAULT_PARAMS["window"], decay=DEFAULT_PARAMS["decay"],
                 word_ngrams=DEFAULT_PARAMS["word_ngrams"],
                 char_ngrams=DEFAULT_PARAMS["char_ngrams"],
                 min_df=DEFAULT_PARAMS["min_df"], char_min_df=DEFAULT_PARAMS["char_min_df"],
                 max_word_features=DEFAULT_PARAMS["max_word_features"],
                 max_char_features=DEFAULT_PARAMS["max_char_features"],
                 max_window_features=DEFAULT_PARAMS["max_window_features"],
                 w_sent=DEFAULT_PARAMS["w_sent"], w_char=DEFAULT_PARAMS["w_char"],
                 w_win=DEFAULT_PARAMS["w_win"], w_mention=DEFAULT_PARAMS["w_mention"],
                 w_dense=DEFAULT_PARAMS["w_dense"],
                 mention_windows=DEFAULT_PARAMS["mention_windows"],
                 class_weight=DEFAULT_PARAMS["class_weight"],
                 max_iter=DEFAULT_PARAMS["max_iter"], tol=DEFAULT_PARAMS["tol"]):
        self.C = C
        self.random_state = random_state
        self.window = window
        self.decay = decay
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.char_min_df = char_min_df
        self.max_word_features = max_word_features
        self.max_char_features = max_char_features
        self.max_window_features = max_window_features
        self.w_sent = w_sent
        self.w_char = w_char
        self.w_win = w_win
        self.w_mention = w_mention
        self.w_dense = w_dense
        self.mention_windows = mention_windows
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.tol = tol

    # -- helpers
    def _params(self):
        p = self.get_params()
        p["char_ngrams"] = tuple(int(x) for x in p["char_ngrams"])
        return p

    def _active_blocks(self, p):
        return [b for b, cfg in _BLOCK_CFG.items() if p[cfg[0]]]

    def _batch(self, X) -> _Batch:
        p = self.params_
        return _Batch(_as_frame(X), 0.5 if p["mention_windows"] else 0.0,
                      mention_tokens=bool(p["w_mention"]))

    def _blocks(self, batch: _Batch):
        """(block, weighted tf-idf matrix, is per unit) for each active block, then dense."""
        p = self.params_
        tids = self._words.ids(batch.toks)
        for b in self._active_blocks(p):
            wkey, _, _, sub = _BLOCK_CFG[b]
            counts = _block_counts(b, batch, tids, self._index[b], p, self._char_cache)
            yield b, _weigh(counts, self.idf_[b], sub, float(p[wkey])), b in _UNIT_BLOCKS
        if p["w_dense"]:
            dense = _dense(batch, tids, self._words, int(p["window"]), float(p["decay"]))
            Z = (dense - self.dense_mean_) / self.dense_scale_ * float(p["w_dense"])
            yield "dense", Z, False

    def _features(self, X, batch: _Batch | None = None):
        batch = batch or self._batch(X)
        mats = [sp.csr_matrix(M[batch.unit] if per_unit else M)
                for _, M, per_unit in self._blocks(batch)]
        return sp.hstack(mats, format="csr")

    def _build_index(self):
        self._words = _Words(_feature_tokens(self.vocab_), self.lexicon_)
        self._index = {b: _Index(b, self._words, v) for b, v in self.vocab_.items()}
        self._char_cache = {}
        sizes = [len(self.vocab_[b]) for b in self._active_blocks(self.params_)]
        if self.params_["w_dense"]:
            sizes.append(len(DENSE_NAMES))
        self._columns = np.concatenate([[0], np.cumsum(sizes)])

    # -- sklearn API
    def fit(self, X, y):
        X = _as_frame(X)
        y = np.asarray(y, dtype=object)
        if len(y) != len(X):
            raise ValueError("X and y have different lengths")
        bad = set(y.tolist()) - set(LABELS)
        if bad:
            raise ValueError(f"unknown label(s) {sorted(map(str, bad))}; expected {LABELS}")
        p = self._params()
        self.params_ = p
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
        self.lexicon_ = {w: float(v) for w, v in SentimentIntensityAnalyzer().lexicon.items()
                         if _TOKEN_RE.fullmatch(w)}
        batch = self._batch(X)
        words = _Words(batch.toks, self.lexicon_)
        tids = words.ids(batch.toks)
        self.vocab_, self.idf_ = {}, {}
        for b in self._active_blocks(p):
            _, dkey, mkey, _ = _BLOCK_CFG[b]
            index = _Index(b, words)
            counts = _block_counts(b, batch, tids, index, p, {})
            mult = np.bincount(batch.unit, minlength=batch.n_units) if b in _UNIT_BLOCKS else None
            self.vocab_[b], self.idf_[b] = _select_vocab(
                counts, index.names, int(p[dkey]), int(p[mkey]) if mkey else 0, mult)
        dense = _dense(batch, tids, words, int(p["window"]), float(p["decay"]))
        self.dense_mean_ = dense.mean(axis=0)
        scale = dense.std(axis=0)
        scale[scale == 0] = 1.0
        self.dense_scale_ = scale
        self._build_index()
        Xf = self._features(X, batch)
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(C=float(p["C"]), class_weight=p["class_weight"],
                                 max_iter=int(p["max_iter"]), solver="lbfgs",
                                 random_state=p["random_state"], tol=float(p["tol"]))
        clf.fit(Xf, y)
        order = [list(clf.classes_).index(c) for c in LABELS if c in clf.classes_]
        if len(order) != len(LABELS):
            raise ValueError("training data must contain all three labels")
        self.coef_ = np.ascontiguousarray(clf.coef_[order], dtype=np.float64)
        self.intercept_ = np.ascontiguousarray(clf.intercept_[order], dtype=np.float64)
        self.classes_ = np.array(LABELS)
        self.n_features_ = Xf.shape[1]
        return self

    def decision_function(self, X):
        batch = self._batch(X)
        scores = np.tile(self.intercept_, (batch.n_rows, 1))
        for k, (_, M, per_unit) in enumerate(self._blocks(batch)):
            coef = self.coef_[:, self._columns[k]:self._columns[k + 1]]
            if sp.issparse(M):
                part = np.asarray(M @ coef.T)  # row by row, in (sorted) column order
            else:  # not BLAS: its summation order can depend on the number of rows
                part = (M[:, :, None] * coef.T[None, :, :]).sum(axis=1)
            scores += part[batch.unit] if per_unit else part
        return scores

    def predict_proba(self, X):
        if len(X) == 0:
            return np.zeros((0, len(LABELS)))
        s = self.decision_function(X)
        s = s - s.max(axis=1, keepdims=True)
        e = np.exp(s)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X):
        if len(X) == 0:
            return np.array([], dtype=object)
        return np.array(LABELS, dtype=object)[self.predict_proba(X).argmax(axis=1)]

    # -- persistence (no pickle)
    def save(self, path) -> None:
        arrays = {
            "format_version": np.array(FORMAT_VERSION),
            "labels": np.array(LABELS, dtype=str),
            "params_json": np.array(json.dumps(self.params_, sort_keys=True)),
            "coef": self.coef_,
            "intercept": self.intercept_,
            "dense_mean": self.dense_mean_,
            "dense_scale": self.dense_scale_,
            "dense_names": np.array(DENSE_NAMES, dtype=str),
            "lexicon_words": np.array(sorted(self.lexicon_), dtype=str),
            "lexicon_values": np.array([self.lexicon_[w] for w in sorted(self.lexicon_)],
                                       dtype=np.float64),
        }
        for b, v in self.vocab_.items():
            arrays[f"vocab__{b}"] = v
            arrays[f"idf__{b}"] = self.idf_[b]
        with open(path, "wb") as fh:  # file handle: numpy would otherwise append '.npz'
            np.savez_compressed(fh, **arrays)

    @classmethod
    def load(cls, path) -> "TargetSentimentModel":
        with np.load(path, allow_pickle=False) as z:
            version = int(z["format_version"])
            if version != FORMAT_VERSION:
                raise ValueError(f"{path}: unsupported model format version {version}")
            if tuple(z["labels"].tolist()) != LABELS:
                raise ValueError(f"{path}: unexpected labels {z['labels'].tolist()}")
            if tuple(z["dense_names"].tolist()) != DENSE_NAMES:
                raise ValueError(f"{path}: dense feature layout differs from this code")
            params = json.loads(str(z["params_json"]))
            params["char_ngrams"] = tuple(params["char_ngrams"])
            model = cls(**params)
            model.params_ = model._params()
            model.coef_ = np.array(z["coef"], dtype=np.float64)
            model.intercept_ = np.array(z["intercept"], dtype=np.float64)
            model.dense_mean_ = np.array(z["dense_mean"])
            model.dense_scale_ = np.array(z["dense_scale"])
            model.lexicon_ = dict(zip(z["lexicon_words"].tolist(),
                                      z["lexicon_values"].tolist()))
            model.vocab_, model.idf_ = {}, {}
            for b in model._active_blocks(model.params_):
                model.vocab_[b] = np.array(z[f"vocab__{b}"])
                model.idf_[b] = np.array(z[f"idf__{b}"], dtype=np.float64)
        model.classes_ = np.array(LABELS)
        model._build_index()
        model.n_features_ = model.coef_.shape[1]
        return model


# ------------------------------------------------------------------------ functions


def _packaged_path():
    try:
        from importlib.resources import files
        res = files(__package__ or "framing").joinpath("data").joinpath("target_model.npz")
        if res.is_file():
            return res
    except (ImportError, TypeError, ModuleNotFoundError, AttributeError):
        pass
    return DEFAULT_PATH


@functools.lru_cache(maxsize=1)
def default_model() -> TargetSentimentModel:
    """The packaged model (framing/data/target_model.npz), loaded once and cached."""
    res = _packaged_path()
    with res.open("rb") as fh:
        return TargetSentimentModel.load(fh)


def train(train_path, random_state=0, **params) -> TargetSentimentModel:
    """Fit the model with the chosen hyperparameters on a NewsMTSC train.jsonl."""
    df = read_newsmtsc(train_path)
    model = TargetSentimentModel(random_state=random_state, **params)
    return model.fit(df, df["label"].to_numpy())


def evaluate(model, path) -> dict:
    """Accuracy, macro-F1 (the NewsMTSC convention) and per-class scores on a file."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    df = read_newsmtsc(path)
    y = df["label"].to_numpy()
    pred = model.predict(df)
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=list(LABELS),
                                                 zero_division=0)
    return {
        "n": int(len(df)),
        "accuracy": float(accuracy_score(y, pred)),
        "macro_f1": float(f1_score(y, pred, labels=list(LABELS), average="macro",
                                   zero_division=0)),
        "per_class": {lab: {"precision": float(p[i]), "recall": float(r[i]),
                            "f1": float(f[i]), "support": int(s[i])}
                      for i, lab in enumerate(LABELS)},
    }


# ----------------------------------------------------------------------------- sentences


def target_sentiment(sentences: pd.DataFrame, mentions: pd.DataFrame, target: str,
                     model=None) -> pd.Series:
    """Mean P(positive) - P(negative) over the target's mentions, per sentence (NaN if none)."""
    model = model or default_model()
    own = mentions[mentions["country"] == target]
    result = np.full(len(sentences), np.nan)
    if not own.empty:
        keys = pd.MultiIndex.from_arrays([sentences["article_id"], sentences["sentence_id"]])
        row = keys.get_indexer(pd.MultiIndex.from_arrays([own["article_id"], own["sentence_id"]]))
        order = np.argsort(row, kind="stable")  # a sentence's mentions next to each other
        row = row[order]
        offsets = sentences["start"].to_numpy()[row]
        proba = model.predict_proba(_model_windows(
            sentences["text"].to_numpy()[row], row, own["start"].to_numpy()[order] - offsets,
            own["end"].to_numpy()[order] - offsets))
        labels = list(LABELS)
        polarity = proba[:, labels.index("positive")] - proba[:, labels.index("negative")]
        counts = np.bincount(row, minlength=len(sentences))
        sums = np.bincount(row, weights=polarity, minlength=len(sentences))
        has = counts > 0
        result[has] = sums[has] / counts[has]
    return pd.Series(result, index=sentences.index, dtype=float)


#: Characters of context on each side of a target mention that the model sees; longer
#: sentences (an unpunctuated page) are cut to this window, so the cost stays linear.
MODEL_CONTEXT = 400


def _model_windows(texts, sentence, starts, ends) -> pd.DataFrame:
    """Model inputs, one row per target mention: its sentence (cut to MODEL_CONTEXT
    characters around it when longer), its span and the other target mentions of the
    sentence (``other_spans``). ``sentence`` numbers the mention's sentence; mentions of
    one sentence are consecutive."""
    starts, ends = starts.astype(np.int64), ends.astype(np.int64)
    texts = list(texts)
    bounds = np.flatnonzero(np.diff(sentence)) + 1
    spans = list(zip(starts.tolist(), ends.tolist()))
    others = []
    for lo, hi in zip(np.concatenate([[0], bounds]).tolist(), np.concatenate([bounds, [len(spans)]]).tolist()):
        group = spans[lo:hi]
        others.extend(group[:k] + group[k + 1:] for k in range(len(group)))
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    for i in np.flatnonzero((starts > MODEL_CONTEXT) | (ends + MODEL_CONTEXT < lengths)):
        lo = max(0, int(starts[i]) - MODEL_CONTEXT)
        hi = min(int(lengths[i]), int(ends[i]) + MODEL_CONTEXT)
        others[i] = [(a - lo, b - lo) for a, b in others[i] if a >= lo and b <= hi]
        texts[i] = texts[i][lo:hi]
        starts[i] -= lo
        ends[i] -= lo
    return pd.DataFrame({"text": texts, "start": starts, "end": ends, "other_spans": others})
