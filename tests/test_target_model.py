"""Tests for framing.target_model (the packaged target-dependent sentiment classifier).

Only the tests marked ``needs_data`` read NewsMTSC; they look for it in $FRAMING_NEWSMTSC
or ../shared/eval/newsmtsc relative to the repository root and are skipped otherwise.
"""

import json
import math
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from framing import target_model as tm
from framing.target_model import (
    LABELS,
    TargetSentimentModel,
    default_model,
    evaluate,
    read_newsmtsc,
    train,
)

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("FRAMING_NEWSMTSC", REPO.parent / "shared" / "eval" / "newsmtsc"))
needs_data = pytest.mark.skipif(not (DATA / "train.jsonl").is_file(),
                                reason=f"NewsMTSC not found at {DATA}")
PACKAGED = REPO / "framing" / "data" / "target_model.npz"

# dev_rw macro-F1 of the packaged model as measured when it was built (docs/target_model.md)
MEASURED_DEV_RW_F1_FLOOR = 0.66


def frame(rows):
    """rows: (sentence, target substring) -> DataFrame with text/start/end."""
    out = []
    for text, target in rows:
        start = text.index(target)
        out.append({"text": text, "start": start, "end": start + len(target)})
    return pd.DataFrame(out)


def tiny_training_set():
    neg = ["{} brutally abandoned its allies.", "Critics condemned {} for the massacre.",
           "{} was accused of lying and corruption.", "{} failed miserably again.",
           "Voters blasted {} over the scandal.", "{} attacked peaceful protesters."]
    pos = ["{} was praised for its generous help.", "{} won a great victory.",
           "Experts hailed {} as a wonderful success.", "{} helped the victims kindly.",
           "{} earned admiration and respect.", "Fans celebrated {} with joy."]
    neu = ["{} will meet officials on Tuesday.", "{} said the report is due next week.",
           "The meeting with {} took place in Paris.", "{} has a population of millions.",
           "{} is located in Europe.", "Officials from {} arrived on Monday."]
    names = ["Russia", "France", "the senator", "Moscow"]
    rows, labels = [], []
    for name in names:
        for lab, templates in zip(LABELS, (neg, neu, pos)):
            for t in templates:
                text = t.format(name)
                rows.append((text, name))
                labels.append(lab)
    df = frame(rows)
    df["other_spans"] = [[] for _ in range(len(df))]
    return df, np.array(labels, dtype=object)


SMALL = dict(max_word_features=500, max_char_features=500, max_window_features=500,
             char_min_df=2, min_df=1, C=1.0)


@pytest.fixture(scope="module")
def tiny_model():
    X, y = tiny_training_set()
    return TargetSentimentModel(**SMALL).fit(X, y)


# ------------------------------------------------------------------ packaged model


def test_packaged_file_is_pickle_free_and_small():
    assert PACKAGED.is_file()
    assert PACKAGED.stat().st_size < 5 * 1024 * 1024
    with np.load(PACKAGED, allow_pickle=False) as z:
        for name in z.files:
            arr = z[name]  # raises if any member needed pickle
            assert arr.dtype != object, name
    with zipfile.ZipFile(PACKAGED) as zf:
        assert all(n.endswith(".npy") for n in zf.namelist())


def test_default_model_probabilities():
    model = default_model()
    assert default_model() is model  # cached
    X = frame([("Russia brutally abandoned its ally.", "Russia"),
               ("The talks with Moscow ended on Friday.", "Moscow"),
               ("Critics say Putin lied about the war.", "Putin")])
    P = model.predict_proba(X)
    assert P.shape == (3, 3)
    assert np.all(P >= 0)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)
    assert set(model.predict(X)) <= set(LABELS)
    assert list(model.classes_) == list(LABELS)


def test_obvious_sentences():
    model = default_model()
    cases = [
        ("Russia brutally abandoned its ally.", "Russia", "negative"),
        ("Critics accused Russia of war crimes and brutal repression.", "Russia", "negative"),
        ("The senator praised Russia for its generous and courageous help to the victims.",
         "Russia", "positive"),
        ("Russia will hold talks in Geneva on Tuesday.", "Russia", "neutral"),
    ]
    X = frame([(t, m) for t, m, _ in cases])
    assert list(model.predict(X)) == [lab for _, _, lab in cases]


def test_batch_equals_rowwise_and_empty():
    model = default_model()
    X = frame([("Russia brutally abandoned its ally.", "Russia"),
               ("He met Russia and France on Monday, and Russia agreed.", "France"),
               ("Putin's government praised Putin.", "Putin")])
    X["other_spans"] = [[], [], [(26, 31)]]
    P = model.predict_proba(X)
    for i in range(len(X)):
        np.testing.assert_allclose(model.predict_proba(X.iloc[[i]]), P[[i]], atol=1e-12)
    assert model.predict_proba(X.iloc[:0]).shape == (0, 3)
    assert model.predict(X.iloc[:0]).shape == (0,)


def test_other_spans_optional_and_nan_tolerant():
    model = default_model()
    X = frame([("Russia brutally abandoned its ally.", "Russia")])
    a = model.predict_proba(X)
    X["other_spans"] = [None]
    np.testing.assert_array_equal(model.predict_proba(X), a)


# ------------------------------------------------------------- save / load / determinism


def test_save_load_round_trip_in_memory_model(tiny_model, tmp_path):
    path = tmp_path / "m.npz"
    tiny_model.save(path)
    assert path.is_file()
    loaded = TargetSentimentModel.load(path)
    X, _ = tiny_training_set()
    X2 = frame([("Nobody praised Russia.", "Russia"), ("Moscow failed again.", "Moscow")])
    for data in (X, X2):
        np.testing.assert_allclose(loaded.predict_proba(data), tiny_model.predict_proba(data),
                                   rtol=0, atol=1e-9)
    assert loaded.get_params() == tiny_model.get_params()


def test_save_load_round_trip_packaged(tmp_path):
    model = default_model()
    path = tmp_path / "again.npz"
    model.save(path)
    again = TargetSentimentModel.load(path)
    X = frame([("Russia brutally abandoned its ally.", "Russia"),
               ("Experts hailed France as a success.", "France")])
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))


def test_tiny_model_learns(tiny_model):
    X, y = tiny_training_set()
    assert (tiny_model.predict(X) == y).mean() > 0.9


def test_determinism():
    X, y = tiny_training_set()
    a = TargetSentimentModel(**SMALL).fit(X, y)
    b = TargetSentimentModel(**SMALL).fit(X.copy(), y.copy())
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.intercept_, b.intercept_)
    for blk in a.vocab_:
        np.testing.assert_array_equal(a.vocab_[blk], b.vocab_[blk])


def test_fit_rejects_unknown_labels():
    X, y = tiny_training_set()
    y = y.copy()
    y[0] = "angry"
    with pytest.raises(ValueError, match="unknown label"):
        TargetSentimentModel(**SMALL).fit(X, y)


# ------------------------------------------------------------------- read_newsmtsc


def _write(tmp_path, lines):
    p = tmp_path / "x.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


GOOD = json.dumps({"primary_gid": "g", "sentence_normalized": "Russia praised her and her aide.",
                   "targets": [{"Input.gid": "g1", "from": 0, "to": 6, "mention": "Russia",
                                "polarity": 6.0},
                               {"Input.gid": "g2", "from": 14, "to": 17, "mention": "her",
                                "polarity": 4.0,
                                "further_mentions": [{"from": 22, "to": 25, "mention": "her"}]}]})


def test_read_newsmtsc_ok(tmp_path):
    df = read_newsmtsc(_write(tmp_path, [GOOD]))
    assert list(df["label"]) == ["positive", "neutral"]
    assert list(df["start"]) == [0, 14] and list(df["end"]) == [6, 17]
    assert df["other_spans"].tolist() == [[], [(22, 25)]]
    assert {"text", "start", "end", "label", "other_spans"} <= set(df.columns)


@pytest.mark.parametrize("bad,msg", [
    ("{not json", "invalid JSON"),
    (json.dumps({"targets": []}), "sentence_normalized"),
    (json.dumps({"sentence_normalized": "abc", "targets": []}), "targets"),
    (json.dumps({"sentence_normalized": "abc",
                 "targets": [{"from": 0, "to": 9, "polarity": 2.0}]}), "outside"),
    (json.dumps({"sentence_normalized": "abc",
                 "targets": [{"from": 0, "to": 2, "polarity": 3.0}]}), "polarity"),
    (json.dumps({"sentence_normalized": "abc",
                 "targets": [{"from": "0", "to": 2, "polarity": 2.0}]}), "integer"),
])
def test_read_newsmtsc_errors_name_file_and_line(tmp_path, bad, msg):
    p = _write(tmp_path, [GOOD, bad])
    with pytest.raises(ValueError, match=msg) as exc:
        read_newsmtsc(p)
    assert str(p) in str(exc.value)
    assert "line 2" in str(exc.value)


# ------------------------------------------------------------------ data-gated


@needs_data
def test_retraining_reproduces_packaged_model(tmp_path):
    packaged = evaluate(default_model(), DATA / "dev_rw.jsonl")
    model = train(DATA / "train.jsonl")
    fresh = evaluate(model, DATA / "dev_rw.jsonl")
    assert round(fresh["macro_f1"], 3) == round(packaged["macro_f1"], 3)
    assert packaged["macro_f1"] >= MEASURED_DEV_RW_F1_FLOOR
    assert fresh["n"] == 343
    assert set(fresh["per_class"]) == set(LABELS)
    # the retrained model round-trips through the npz format exactly
    path = tmp_path / "retrained.npz"
    model.save(path)
    dev = read_newsmtsc(DATA / "dev_rw.jsonl")
    np.testing.assert_allclose(TargetSentimentModel.load(path).predict_proba(dev),
                               model.predict_proba(dev), rtol=0, atol=1e-9)
    # lbfgs runs to tol=1e-8, so the fit is the unique optimum up to the BLAS kernel's
    # rounding: refits with OpenBLAS's Haswell and SkylakeX kernels differ by 1.6e-6
    np.testing.assert_allclose(default_model().predict_proba(dev), model.predict_proba(dev),
                               rtol=0, atol=1e-5)
    assert math.isclose(fresh["accuracy"], packaged["accuracy"], abs_tol=1e-3)
