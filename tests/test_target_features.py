"""The vectorised feature extraction of framing.target_model against a plain reference.

The reference below computes one mention at a time with dictionaries and loops, the way
the features are defined in docs/target_model.md; the package computes a whole batch with
numpy. Both must give the same feature matrix (up to float rounding).
"""

import math
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from framing import target_model as tm

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("FRAMING_NEWSMTSC", REPO.parent / "shared" / "eval" / "newsmtsc"))


# ----------------------------------------------------------------- plain reference


def ref_prepare(text, start, end, others):
    kept, last = [], -1
    for a, b in sorted(others or ()):
        if (b <= start or a >= end) and a >= last:
            kept.append((a, b, False))
            last = b
    kept.append((start, end, True))
    kept.sort()
    pieces, toks, pos, ti, oth = [], [tm.BOS], 0, 0, []
    for a, b, primary in kept:
        seg = text[pos:a]
        pieces.append(seg)
        toks.extend(tm._TOKEN_RE.findall(seg.translate(tm._NORMALISE).lower()))
        if primary:
            ti = len(toks)
        else:
            oth.append(len(toks))
        toks.append(tm.TGT)
        pieces.append(f" {tm.TGT} ")
        pos = b
    seg = text[pos:]
    pieces.append(seg)
    toks.extend(tm._TOKEN_RE.findall(seg.translate(tm._NORMALISE).lower()))
    toks.append(tm.EOS)
    return "".join(pieces).translate(tm._NORMALISE).lower(), toks, ti, oth


def ref_words(toks, n):
    body = toks[1:-1]
    out = list(body)
    for k in range(2, n + 1):
        out.extend(" ".join(body[i:i + k]) for i in range(len(body) - k + 1))
    return Counter(out)


def ref_chars(masked, lo, hi):
    out = []
    for w in masked.split():
        w = f" {w} "
        for k in range(lo, min(hi, len(w)) + 1):
            out.extend(w[i:i + k] for i in range(len(w) - k + 1))
    return Counter(out)


def ref_window(toks, anchors, window, decay):
    f = {}
    for idx, base in anchors:
        for d in range(1, window + 1):
            w = base * decay ** (d - 1)
            j = idx - d
            if j >= 0:
                f["L|" + toks[j]] = f.get("L|" + toks[j], 0.0) + w
                if d > 1:
                    key = "L|" + toks[j] + " " + toks[j + 1]
                    f[key] = f.get(key, 0.0) + w
            j = idx + d
            if j < len(toks):
                f["R|" + toks[j]] = f.get("R|" + toks[j], 0.0) + w
                if d > 1:
                    key = "R|" + toks[j - 1] + " " + toks[j]
                    f[key] = f.get(key, 0.0) + w
    return f


def ref_dense(toks, ti, n_mentions, lex, window, decay):
    neg_words, breaks, contrast = tm._NEGATIONS, tm._CLAUSE_BREAKS, tm._CONTRAST
    n_tok = len(toks)
    vals = []
    for j, t in enumerate(toks):
        v = lex.get(t, 0.0)
        if v and any(toks[k] in neg_words for k in range(max(0, j - 3), j)):
            v *= tm._NEG_SCALAR
        vals.append(v)
    pos = sum(v for v in vals if v > 0)
    neg = -sum(v for v in vals if v < 0)
    comp = (pos - neg) / math.sqrt((pos - neg) ** 2 + 15.0)
    lp = ln = rp = rn = near = near_l = near_r = 0.0
    cnt = 0
    for d in range(1, 2 * window + 1):
        w = decay ** (d - 1)
        for j in (ti - d, ti + d):
            if 0 <= j < n_tok and vals[j]:
                v = vals[j]
                if d <= window:
                    cnt += 1
                    if j < ti:
                        lp, ln = (lp + w * v, ln) if v > 0 else (lp, ln - w * v)
                    else:
                        rp, rn = (rp + w * v, rn) if v > 0 else (rp, rn - w * v)
                near = near or v
                if j < ti:
                    near_l = near_l or v
                if j > ti:
                    near_r = near_r or v
    lo = ti - 1
    while lo > 0 and toks[lo] not in breaks:
        lo -= 1
    hi = ti + 1
    while hi < n_tok - 1 and toks[hi] not in breaks:
        hi += 1
    cv = vals[lo + 1:hi]
    cp, cn = sum(v for v in cv if v > 0), -sum(v for v in cv if v < 0)
    n = n_tok - 2
    return [
        math.log1p(pos), math.log1p(neg), comp,
        math.log1p(lp), math.log1p(ln), math.log1p(rp), math.log1p(rn),
        near, abs(near), near_l, near_r,
        math.log1p(cp), math.log1p(cn), math.log1p(pos - cp), math.log1p(neg - cn),
        math.log1p(sum(v > 0 for v in vals)), math.log1p(sum(v < 0 for v in vals)),
        max(vals), -min(vals),
        float(any(toks[j] in neg_words for j in range(max(0, ti - 3), min(n_tok, ti + 4)))),
        float(ti <= 1), (ti - 1) / max(n, 1), math.log1p(n),
        float('"' in toks), float(toks[:ti].count('"') % 2 == 1),
        float("?" in toks), float("!" in toks), math.log1p(n_mentions),
        float(ti >= 2 and toks[ti - 1] == "by"), math.log1p(cnt),
        float(any(t in contrast for t in toks[:ti])),
        float(any(t in contrast for t in toks[ti + 1:])),
    ]


def ref_matrix(model, X):
    """The model's feature matrix, one mention at a time."""
    p = model.params_
    lo, hi = p["char_ngrams"]
    vocabs = {block: {f: i for i, f in enumerate(model.vocab_[block].tolist())}
              for block in model._active_blocks(p)}
    rows = []
    for text, a, b, others in zip(X["text"], X["start"], X["end"], X["other_spans"]):
        masked, toks, ti, oth = ref_prepare(text, a, b, others)
        docs = {"sent": (ref_words(toks, p["word_ngrams"]), True),
                "char": (ref_chars(masked, lo, hi), True),
                "win": (ref_window(toks, [(ti, 1.0)] + [(o, 0.5) for o in oth], p["window"],
                                   p["decay"]), False)}
        parts = []
        for block in model._active_blocks(p):
            vocab = vocabs[block]
            vec = np.zeros(len(vocab))
            counts, sublinear = docs[block]
            for f, c in counts.items():
                if f in vocab:
                    vec[vocab[f]] = (1 + math.log(c) if sublinear else c) * model.idf_[block][vocab[f]]
            norm = np.linalg.norm(vec)
            parts.append(vec / (norm if norm else 1.0) * p[tm._BLOCK_CFG[block][0]])
        dense = np.array(ref_dense(toks, ti, 1 + len(oth), model.lexicon_, p["window"], p["decay"]))
        parts.append((dense - model.dense_mean_) / model.dense_scale_ * p["w_dense"])
        rows.append(sp.csr_matrix(np.concatenate(parts)))
    return sp.vstack(rows, format="csr")


def assert_same_features(model, X):
    fast, ref = model._features(X), ref_matrix(model, X)
    assert fast.shape == ref.shape
    assert abs(fast - ref).max() < 1e-9


# ------------------------------------------------------------------------ cases


def edge_cases() -> pd.DataFrame:
    rows = []

    def add(text, target, others=()):
        start = text.index(target)
        spans = []
        for other in others:
            s = text.index(other, start + len(target) if other == target else 0)
            spans.append((s, s + len(other)))
        rows.append((text, start, start + len(target), spans))

    add("Russia did not abandon its allies, but critics say otherwise!", "Russia")
    add("Who would still trust Moscow? Not Damascus, and not Tehran.", "Moscow")
    add("They were betrayed by Russia", "Russia")
    add('Russia’s "support" — as officials call it — never arrived; Russia failed.', "Russia",
        ["Russia"])
    text = "Russia helped, Russia hesitated, and Russia left."
    for k in range(3):
        starts = [i for i in range(len(text)) if text.startswith("Russia", i)]
        rows.append((text, starts[k], starts[k] + 6,
                     [(s, s + 6) for j, s in enumerate(starts) if j != k]))
    add("the xtgtx word appears in this text about Iran", "Iran")   # placeholder in the text
    add("Iran", "Iran")                                              # the mention alone
    add("Great, wonderful, terrible and awful: Iran, however, is fine.", "Iran")
    # overlapping further mentions are dropped, as in the reference
    rows.append(("Russian Federation officials", 0, 7, [(0, 18), (8, 18)]))
    return pd.DataFrame(rows, columns=["text", "start", "end", "other_spans"])


def test_vectorised_features_equal_the_reference_on_edge_cases():
    model = tm.default_model()
    X = edge_cases()
    assert_same_features(model, X)


def test_mentions_share_a_sentence_only_when_consecutive_and_identical():
    model = tm.default_model()
    X = edge_cases()
    batch = model._batch(X)
    assert batch.n_rows == len(X)
    # the three mentions of "Russia helped, Russia hesitated..." share one unit
    assert len(set(batch.unit[4:7].tolist())) == 1
    assert batch.n_units == len(X) - 2
    # batching does not change a row's probabilities, not even in the last bit (ties in
    # the evidence ranking are broken by value, so outputs must not depend on the batch)
    whole = model.predict_proba(X)
    one_by_one = np.vstack([model.predict_proba(X.iloc[[i]]) for i in range(len(X))])
    np.testing.assert_array_equal(whole, one_by_one)
    shuffled = X.iloc[::-1].reset_index(drop=True)
    np.testing.assert_array_equal(model.predict_proba(shuffled)[::-1], whole)


@pytest.mark.skipif(not (DATA / "dev_rw.jsonl").is_file(), reason=f"NewsMTSC not found at {DATA}")
def test_probabilities_do_not_depend_on_the_batch_bit_for_bit():
    model = tm.default_model()
    X = tm.read_newsmtsc(DATA / "dev_rw.jsonl")
    whole = model.predict_proba(X)
    parts = np.vstack([model.predict_proba(X.iloc[i:i + 7]) for i in range(0, len(X), 7)])
    np.testing.assert_array_equal(whole, parts)
    np.testing.assert_array_equal(model.predict_proba(X.iloc[::-1])[::-1], whole)


@pytest.mark.skipif(not (DATA / "dev_rw.jsonl").is_file(), reason=f"NewsMTSC not found at {DATA}")
def test_vectorised_features_equal_the_reference_on_newsmtsc_dev():
    model = tm.default_model()
    X = tm.read_newsmtsc(DATA / "dev_rw.jsonl")
    assert_same_features(model, X)
