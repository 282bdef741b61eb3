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

import functools
import json
import math
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

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
    max_iter=2000,
    tol=1e-4,
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


def _as_frame(X) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(X)
    missing = {"text", "start", "end"} - set(X.columns)
    if missing:
        raise ValueError(f"X lacks column(s) {sorted(missing)}")
    return X


def _tokens(s: str):
    return _TOKEN_RE.findall(s.translate(_NORMALISE).lower())


def _prepare(text, start, end, others):
    """Mask the target (and its further mentions) and tokenise.

    Returns (masked_text, tokens, primary_token_index, other_token_indices, mention_tokens).
    Tokens include BOS/EOS markers.
    """
    start, end = int(start), int(end)
    kept, last = [], -1
    for a, b in sorted((int(a), int(b)) for a, b in (others or ())):
        # keep further mentions that overlap neither the primary mention nor each other
        if (b <= start or a >= end) and a >= last:
            kept.append((a, b, False))
            last = b
    kept.append((start, end, True))
    kept.sort()
    pieces, toks, pos = [], [BOS], 0
    ti, oth = 0, []
    for a, b, prim in kept:
        seg = text[pos:a]
        pieces.append(seg)
        toks.extend(_tokens(seg))
        if prim:
            ti = len(toks)
        else:
            oth.append(len(toks))
        toks.append(TGT)
        pieces.append(f" {TGT} ")
        pos = b
    seg = text[pos:]
    pieces.append(seg)
    toks.extend(_tokens(seg))
    toks.append(EOS)
    masked = "".join(pieces).translate(_NORMALISE).lower()
    return masked, toks, ti, oth, _tokens(text[start:end])


def _word_feats(toks, n):
    body = toks[1:-1]
    out = list(body)
    for k in range(2, n + 1):
        out.extend(" ".join(body[i:i + k]) for i in range(len(body) - k + 1))
    return Counter(out)


def _char_feats(masked, lo, hi):
    out = []
    for w in masked.split():
        w = f" {w} "
        L = len(w)
        for k in range(lo, hi + 1):
            if k > L:
                break
            out.extend(w[i:i + k] for i in range(L - k + 1))
    return Counter(out)


def _window_feats(toks, idxs, window, decay, other_weight):
    """Distance-weighted unigrams and bigrams left ('L|') and right ('R|') of each mention."""
    f = {}
    n = len(toks)
    for m, idx in enumerate(idxs):
        base = 1.0 if m == 0 else other_weight
        if base == 0:
            continue
        for d in range(1, window + 1):
            w = base * decay ** (d - 1)
            j = idx - d
            if j >= 0:
                key = "L|" + toks[j]
                f[key] = f.get(key, 0.0) + w
                if j + 1 < idx:
                    key = "L|" + toks[j] + " " + toks[j + 1]
                    f[key] = f.get(key, 0.0) + w
            j = idx + d
            if j < n:
                key = "R|" + toks[j]
                f[key] = f.get(key, 0.0) + w
                if j - 1 > idx:
                    key = "R|" + toks[j - 1] + " " + toks[j]
                    f[key] = f.get(key, 0.0) + w
    return f


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


def _dense_feats(toks, ti, n_mentions, lex, window, decay):
    n_tok = len(toks)
    vals = []
    for j, t in enumerate(toks):
        v = lex.get(t, 0.0)
        if v and any(toks[k] in _NEGATIONS for k in range(max(0, j - 3), j)):
            v *= _NEG_SCALAR
        vals.append(v)
    pos = sum(v for v in vals if v > 0)
    neg = -sum(v for v in vals if v < 0)
    tot = pos - neg
    comp = tot / math.sqrt(tot * tot + 15.0)
    lp = ln = rp = rn = 0.0
    near = near_l = near_r = 0.0
    cnt = 0
    for d in range(1, 2 * window + 1):
        w = decay ** (d - 1)
        for j in (ti - d, ti + d):
            if 0 <= j < n_tok and vals[j]:
                v = vals[j]
                if d <= window:
                    cnt += 1
                    if j < ti:
                        if v > 0:
                            lp += w * v
                        else:
                            ln -= w * v
                    else:
                        if v > 0:
                            rp += w * v
                        else:
                            rn -= w * v
                if near == 0.0:
                    near = v
                if j < ti and near_l == 0.0:
                    near_l = v
                if j > ti and near_r == 0.0:
                    near_r = v
    # the clause around the target: up to the nearest clause-break token on each side
    lo = ti - 1
    while lo > 0 and toks[lo] not in _CLAUSE_BREAKS:
        lo -= 1
    hi = ti + 1
    while hi < n_tok - 1 and toks[hi] not in _CLAUSE_BREAKS:
        hi += 1
    cv = vals[lo + 1:hi]
    cp = sum(v for v in cv if v > 0)
    cn = -sum(v for v in cv if v < 0)
    neg_near = float(any(toks[j] in _NEGATIONS
                         for j in range(max(0, ti - 3), min(n_tok, ti + 4))))
    n = n_tok - 2
    quote_before = toks[:ti].count('"')
    return [
        math.log1p(pos), math.log1p(neg), comp,
        math.log1p(lp), math.log1p(ln), math.log1p(rp), math.log1p(rn),
        near, abs(near), near_l, near_r,
        math.log1p(cp), math.log1p(cn), math.log1p(pos - cp), math.log1p(neg - cn),
        math.log1p(sum(v > 0 for v in vals)), math.log1p(sum(v < 0 for v in vals)),
        max(vals), -min(vals),
        neg_near, float(ti <= 1), (ti - 1) / max(n, 1), math.log1p(n),
        float('"' in toks), float(quote_before % 2 == 1),
        float("?" in toks), float("!" in toks), math.log1p(n_mentions),
        float(ti >= 2 and toks[ti - 1] == "by"), math.log1p(cnt),
        float(any(t in _CONTRAST for t in toks[:ti])),
        float(any(t in _CONTRAST for t in toks[ti + 1:])),
    ]


def _analyse(X: pd.DataFrame, p: dict, lex: dict):
    """Return per-block lists of feature dicts and the dense matrix (unscaled)."""
    texts = X["text"].tolist()
    starts = X["start"].tolist()
    ends = X["end"].tolist()
    others = X["other_spans"].tolist() if "other_spans" in X.columns else [()] * len(X)
    lo, hi = p["char_ngrams"]
    other_w = 0.5 if p["mention_windows"] else 0.0
    blocks = {"sent": [], "char": [], "win": [], "mention": []}
    dense = np.empty((len(X), len(DENSE_NAMES)), dtype=np.float64)
    for r, (t, a, b, o) in enumerate(zip(texts, starts, ends, others)):
        if o is None or (isinstance(o, float) and math.isnan(o)):
            o = ()
        masked, toks, ti, oth, mtoks = _prepare(t, a, b, o)
        if p["w_sent"]:
            blocks["sent"].append(_word_feats(toks, p["word_ngrams"]))
        if p["w_char"]:
            blocks["char"].append(masked)
        if p["w_win"]:
            blocks["win"].append(_window_feats(toks, [ti] + oth, p["window"], p["decay"],
                                               other_w))
        if p["w_mention"]:
            blocks["mention"].append(Counter(mtoks))
        dense[r] = _dense_feats(toks, ti, 1 + len(oth), lex, p["window"], p["decay"])
    return blocks, dense


_BLOCK_CFG = {
    # block: (weight key, min_df key, max_features key, sublinear tf)
    "sent": ("w_sent", "min_df", "max_word_features", True),
    "char": ("w_char", "char_min_df", "max_char_features", True),
    "win": ("w_win", "min_df", "max_window_features", False),
    "mention": ("w_mention", "min_df", None, False),
}


def _fit_vocab(docs, min_df, max_features):
    df = Counter()
    for d in docs:
        df.update(d.keys())
    items = [(f, c) for f, c in df.items() if c >= min_df]
    if max_features and len(items) > max_features:
        items.sort(key=lambda fc: (-fc[1], fc[0]))
        items = items[:max_features]
    items.sort()
    n = len(docs)
    vocab = np.array([f for f, _ in items], dtype=str)
    dfs = np.array([c for _, c in items], dtype=np.float64)
    idf = np.log((1.0 + n) / (1.0 + dfs)) + 1.0
    return vocab, idf


def _transform_block(docs, index, idf, sublinear, weight):
    indptr = [0]
    indices, data = [], []
    get = index.get
    for d in docs:
        for f, v in d.items():
            j = get(f)
            if j is not None:
                indices.append(j)
                data.append(v)
        indptr.append(len(indices))
    M = sp.csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64),
                       np.asarray(indptr)), shape=(len(docs), len(idf)))
    return _finish_block(M, idf, sublinear, weight)


def _transform_char(texts, index, idf, weight, cache, lo, hi):
    """Char_wb n-gram counts; n-grams never cross words, so per-word index lists are cached."""
    indptr = [0]
    indices = []
    for s in texts:
        for w in s.split():
            ids = cache.get(w)
            if ids is None:
                ww = f" {w} "
                L = len(ww)
                ids = [index[g] for k in range(lo, min(hi, L) + 1)
                       for g in (ww[i:i + k] for i in range(L - k + 1)) if g in index]
                if len(cache) > 500_000:
                    cache.clear()
                cache[w] = ids
            indices.extend(ids)
        indptr.append(len(indices))
    M = sp.csr_matrix((np.ones(len(indices)), np.asarray(indices, dtype=np.int64),
                       np.asarray(indptr)), shape=(len(texts), len(idf)))
    M.sum_duplicates()
    return _finish_block(M, idf, True, weight)


def _finish_block(M, idf, sublinear, weight):
    """(sublinear) tf * idf, then L2-normalise each row and scale by the block weight."""
    if sublinear:
        M.data = 1.0 + np.log(M.data)
    M = sp.csr_matrix(M @ sp.diags(idf))
    norms = np.sqrt(np.asarray(M.multiply(M).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(weight / norms) @ M)


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

    def _features(self, X):
        p = self.params_
        blocks, dense = _analyse(_as_frame(X), p, self.lexicon_)
        mats = []
        for b in self._active_blocks(p):
            wkey, _, _, sub = _BLOCK_CFG[b]
            if b == "char":
                lo, hi = p["char_ngrams"]
                mats.append(_transform_char(blocks[b], self._index_[b], self.idf_[b],
                                            float(p[wkey]), self._char_cache, lo, hi))
            else:
                mats.append(_transform_block(blocks[b], self._index_[b], self.idf_[b], sub,
                                             float(p[wkey])))
        if p["w_dense"]:
            Z = (dense - self.dense_mean_) / self.dense_scale_ * float(p["w_dense"])
            mats.append(sp.csr_matrix(Z))
        return sp.hstack(mats, format="csr")

    def _build_index(self):
        self._index_ = {b: {f: i for i, f in enumerate(v.tolist())}
                        for b, v in self.vocab_.items()}
        self._char_cache = {}

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
        blocks, dense = _analyse(X, p, self.lexicon_)
        self.vocab_, self.idf_ = {}, {}
        for b in self._active_blocks(p):
            _, dkey, mkey, _ = _BLOCK_CFG[b]
            docs = blocks[b]
            if b == "char":
                lo, hi = p["char_ngrams"]
                docs = [_char_feats(m, lo, hi) for m in docs]
            self.vocab_[b], self.idf_[b] = _fit_vocab(docs, int(p[dkey]),
                                                      int(p[mkey]) if mkey else 0)
        self.dense_mean_ = dense.mean(axis=0)
        scale = dense.std(axis=0)
        scale[scale == 0] = 1.0
        self.dense_scale_ = scale
        self._build_index()
        Xf = self._features(X)
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
        Xf = self._features(X)
        return np.asarray(Xf @ self.coef_.T) + self.intercept_

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
