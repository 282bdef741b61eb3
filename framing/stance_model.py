"""Stance model: a learned, explainable classifier of stance toward a target.

Two multinomial logistic regressions over a few general features, learned from the stance
corpus (``data/stance/``, see ``docs/stance_corpus.md``):

* the **unit** model scores a (sentence, target, other country) unit: how the sentence
  portrays the target in its dealings with that country;
* the **sentence** model scores a sentence that names the target, whatever other country
  it names: how the sentence portrays the target (it feeds the article's overall stance).

Both give P(against), P(neutral), P(favour); ``stance = P(favour) - P(against)``. The
features are deliberately few and general, so that what is learned on composed text
carries over to real news (``docs/stance_model.md``): the target-sentiment model's
polarity (learned from real news), VADER's tone, the frame cues of ``data/cues.csv`` with
their modifiers, the interactions of ``data/interactions.csv`` with who acts on whom, and
the roles and positions of the two countries. Each feature's contribution to a unit's
stance is its standardised value times the difference of the favour and against
coefficients, so :meth:`StanceModel.explain` lists the features that pushed a stance most.

The model is stored as plain arrays in an ``.npz`` (no pickle), written with fixed zip
timestamps so that ``framing train-stance-model data/stance --out FILE`` gives the same
bytes on every run. Status (2026-11-28): trained and evaluated on the corpus's dev split,
not yet used by ``framing score``, whose stance is still the cue formula of
:mod:`framing.stance` (see ``docs/stance_model.md``).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["SENTENCE_FEATURES", "UNIT_FEATURES", "StanceModel", "sentence_features", "train", "unit_features",
           "unit_table"]

CLASSES = ("against", "neutral", "favour")

#: the unit model's features, in column order, with what each means (for the ``why``)
UNIT_FEATURES = {
    "target_sentiment": "target-sentiment model polarity",
    "tone": "sentence tone (VADER)",
    "cues_against": "frame cues against the target",
    "cues_favour": "frame cues in the target's favour",
    "cue_reversed": "cues reversed (negated, rejected, scare quotes)",
    "cue_other_agent": "cue done by the other country",
    "target_acts_on_country": "target acts on the country (interaction)",
    "target_acts_elsewhere": "target acts on another or unnamed party (interaction)",
    "country_acts_on_target": "the country acts on the target (interaction)",
    "country_acts_elsewhere": "the country acts on a third party (interaction)",
    "third_party_acts": "a third country acts (interaction)",
    "unattributed_interaction": "interaction with no named actor",
    "negated_interaction": "negated interaction involving the target",
    "backdrop": "country only in a circumstantial phrase",
    "countries": "number of countries in the sentence",
    "distance": "words between target and country",
    "country_first": "country named before the target",
    "coordinated": "target and country joined by 'and'",
    "question": "question",
    "headline": "headline or fragment",
    "target_sentiment_strength": "strength of the target-sentiment polarity",
    "tone_strength": "strength of the tone",
    "direct_interaction": "an interaction between target and country",
    "sentiment_if_direct": "target-sentiment polarity where target and country interact",
    "sentiment_if_near": "target-sentiment polarity, country named close to the target",
}
SENTENCE_FEATURES = {
    "target_sentiment": "target-sentiment model polarity",
    "tone": "sentence tone (VADER)",
    "cues_against": "frame cues against the target",
    "cues_favour": "frame cues in the target's favour",
    "cue_reversed": "cues reversed (negated, rejected, scare quotes)",
    "target_acts": "target acts (interaction)",
    "target_acted_on": "target acted on (interaction)",
    "others_act": "other interactions",
    "negated_interaction": "negated interaction involving the target",
    "countries": "number of countries in the sentence",
    "question": "question",
    "headline": "headline or fragment",
}
_WORD = re.compile(r"\w+")
_COORD = re.compile(r"^\s*(?:,|and|,\s*and|&)\s*$", re.IGNORECASE)


def _cue_parts(hits) -> tuple[float, float, float, float]:
    against = sum(h.value for h in hits if h.value < 0)
    favour = sum(h.value for h in hits if h.value > 0)
    reversed_ = sum(1 for h in hits if h.modifier and any(k in h.modifier for k in ("negated", "rejected", "scare")))
    other = sum(1 for h in hits if h.modifier.startswith("done by"))
    return against, favour, float(reversed_), float(other)


def _shape(text: str) -> tuple[float, float]:
    stripped = text.rstrip("\"'”’» )")
    return float(stripped.endswith("?")), float(not stripped.endswith((".", "!", "?", "…")))


def unit_features(text: str, spans, target: str, country: str, ts: float, tone: float, hits,
                  interactions, backdrop: bool) -> list[float]:
    """The unit model's feature values (in :data:`UNIT_FEATURES` order) for one unit.

    ``spans``: the sentence's mentions ``(start, end, iso3)``; ``hits``: its cue hits;
    ``interactions``: its :class:`framing.interactions.Interaction` list.
    """
    against, favour, reversed_, other_agent = _cue_parts(hits)
    t_on_c = t_else = c_on_t = c_else = third = none = negated = 0.0
    for i in interactions:
        if i.actor == target:
            if i.patient == country:
                t_on_c += i.weight
            else:
                t_else += i.weight
        elif i.actor == country:
            if i.patient == target:
                c_on_t += i.weight
            else:
                c_else += i.weight
        elif i.actor is None:
            none += i.weight
        else:
            third += i.weight
        if i.negated and target in (i.actor, i.patient):
            negated += 1.0
    t_spans = [s for s in spans if s[2] == target]
    c_spans = [s for s in spans if s[2] == country]
    countries = len({s[2] for s in spans})
    distance = 0.0
    country_first = coordinated = 0.0
    if t_spans and c_spans:
        gaps = []
        for a in t_spans:
            for b in c_spans:
                lo, hi = (a, b) if a[0] < b[0] else (b, a)
                between = text[lo[1]:hi[0]]
                gaps.append(len(_WORD.findall(between)))
                if _COORD.match(between):
                    coordinated = 1.0
        distance = min(gaps)
        country_first = float(c_spans[0][0] < t_spans[0][0])
    question, headline = _shape(text)
    ts = 0.0 if ts != ts else ts
    direct = abs(t_on_c) + abs(c_on_t)
    near = math.exp(-distance / 5.0) if t_spans and c_spans else 0.0
    return [ts, tone, against, favour, reversed_, other_agent, t_on_c, t_else, c_on_t, c_else, third, none,
            negated, float(backdrop), math.log(max(countries, 1)), min(distance, 30.0) / 10.0, country_first,
            coordinated, question, headline, abs(ts), abs(tone), direct, ts * (direct > 0), ts * near]


def sentence_features(text: str, spans, target: str, ts: float, tone: float, hits, interactions) -> list[float]:
    """The sentence model's feature values (in :data:`SENTENCE_FEATURES` order)."""
    against, favour, reversed_, _ = _cue_parts(hits)
    acts = acted_on = others = negated = 0.0
    for i in interactions:
        if i.actor == target:
            acts += i.weight
        elif i.patient == target:
            acted_on += i.weight
        else:
            others += i.weight
        if i.negated and target in (i.actor, i.patient):
            negated += 1.0
    question, headline = _shape(text)
    ts = 0.0 if ts != ts else ts
    return [ts, tone, against, favour, reversed_, acts, acted_on, others, negated,
            math.log(max(len({s[2] for s in spans}), 1)), question, headline]


# ---------------------------------------------------------------------------- estimator


class _Linear:
    """A standardised multinomial logistic regression as plain arrays."""

    def __init__(self, names, mean, scale, coef, intercept, band):
        self.names = list(names)
        self.mean = np.asarray(mean, dtype=float)
        self.scale = np.asarray(scale, dtype=float)
        self.coef = np.asarray(coef, dtype=float)          # (3, n_features): against, neutral, favour
        self.intercept = np.asarray(intercept, dtype=float)
        self.band = float(band)

    def _z(self, X):
        return (np.asarray(X, dtype=float).reshape(-1, len(self.names)) - self.mean) / self.scale

    def predict_proba(self, X) -> np.ndarray:
        logits = self._z(X) @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def contributions(self, X) -> np.ndarray:
        """Per feature, its push on favour over against (in logit units)."""
        return self._z(X) * (self.coef[2] - self.coef[0])


class StanceModel:
    """The unit and sentence models, with fit / predict_proba / explain / save / load."""

    def __init__(self, C: float = 1.0, random_state: int = 0, band: float | None = None):
        self.C = C
        self.random_state = random_state
        self.band = band
        self.unit: _Linear | None = None
        self.sentence: _Linear | None = None

    # scikit-learn estimator conventions
    def get_params(self, deep=True):
        return {"C": self.C, "random_state": self.random_state, "band": self.band}

    def _fit_one(self, X, y, names, sample_weight=None) -> _Linear:
        from sklearn.linear_model import LogisticRegression

        X = np.asarray(X, dtype=float)
        mean = X.mean(axis=0)
        scale = X.std(axis=0)
        scale[scale == 0] = 1.0
        clf = LogisticRegression(C=self.C, class_weight="balanced", max_iter=20000, tol=1e-10,
                                 random_state=self.random_state)
        clf.fit((X - mean) / scale, np.asarray(y), sample_weight=sample_weight)
        order = [list(clf.classes_).index(c) for c in CLASSES]
        return _Linear(names, mean, scale, clf.coef_[order], clf.intercept_[order], self.band or 0.2)

    def fit(self, X_unit, y_unit, X_sentence, y_sentence) -> "StanceModel":
        """Fit both models; ``y`` are class names (against / neutral / favour)."""
        self.unit = self._fit_one(X_unit, y_unit, UNIT_FEATURES)
        self.sentence = self._fit_one(X_sentence, y_sentence, SENTENCE_FEATURES)
        return self

    def stance(self, X, kind: str = "unit") -> np.ndarray:
        P = getattr(self, kind).predict_proba(X)
        return P[:, 2] - P[:, 0]

    def predict_proba(self, X, kind: str = "unit") -> np.ndarray:
        return getattr(self, kind).predict_proba(X)

    def explain(self, X, kind: str = "unit", top: int = 3) -> list[str]:
        """The ``top`` features that pushed each row's stance most, with signed contributions."""
        model = getattr(self, kind)
        C = model.contributions(X)
        labels = UNIT_FEATURES if kind == "unit" else SENTENCE_FEATURES
        out = []
        for row in C:
            order = np.argsort(-np.abs(row), kind="stable")[:top]
            out.append("; ".join(f"{labels[model.names[k]]} {row[k]:+.2f}" for k in order if abs(row[k]) >= 0.05))
        return out

    # storage: plain arrays in an npz, written deterministically
    def save(self, path) -> None:
        arrays = {}
        for kind in ("unit", "sentence"):
            m = getattr(self, kind)
            arrays.update({f"{kind}_names": np.array(m.names), f"{kind}_mean": m.mean, f"{kind}_scale": m.scale,
                           f"{kind}_coef": m.coef, f"{kind}_intercept": m.intercept,
                           f"{kind}_band": np.array([m.band])})
        arrays["params"] = np.array([self.C, float(self.random_state)])
        _save_npz(path, arrays)

    @classmethod
    def load(cls, path) -> "StanceModel":
        with np.load(path, allow_pickle=False) as z:
            model = cls(C=float(z["params"][0]), random_state=int(z["params"][1]))
            for kind in ("unit", "sentence"):
                setattr(model, kind, _Linear([str(n) for n in z[f"{kind}_names"]], z[f"{kind}_mean"],
                                             z[f"{kind}_scale"], z[f"{kind}_coef"], z[f"{kind}_intercept"],
                                             float(z[f"{kind}_band"][0])))
        expected = {"unit": list(UNIT_FEATURES), "sentence": list(SENTENCE_FEATURES)}
        for kind, names in expected.items():
            if getattr(model, kind).names != names:
                raise ValueError(f"{path}: a stance model for other features ({kind}); retrain it with "
                                 "`framing train-stance-model`")
        model.band = model.unit.band
        return model


def _save_npz(path, arrays: dict) -> None:
    """np.savez with fixed zip timestamps, so the same arrays give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            data = io.BytesIO()
            np.lib.format.write_array(data, np.asarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data.getvalue())
    Path(path).write_bytes(buffer.getvalue())


# ---------------------------------------------------------------------------- training


def _class(score: int) -> str:
    return "against" if score < 0 else "favour" if score > 0 else "neutral"


def feature_tables(corpus, gold: pd.DataFrame, splits=("train",)):
    """Unit and sentence feature tables (with gold classes) for the articles of ``splits``."""
    arts = corpus.articles[corpus.articles["split"].isin(splits)]
    units, sentences = [], []
    for target in sorted(set(";".join(arts["targets"]).split(";"))):
        sub = arts[arts["targets"].str.split(";").map(lambda t: target in t)]
        frame = pd.DataFrame({"article_id": sub["id"].to_numpy(), "text": sub["text"].to_numpy()})
        u, s = unit_table(frame, target)
        units.append(u.assign(target=target))
        sentences.append(s.assign(target=target))
    U = pd.concat(units, ignore_index=True)
    S = pd.concat(sentences, ignore_index=True)
    g = gold[["article_id", "sentence_id", "target", "country", "stance"]]
    U = U.merge(g, on=["article_id", "sentence_id", "target", "country"], how="inner")
    # a sentence's own label: its strongest unit label (opposite signs of equal strength: 0)
    def strongest(values):
        values = list(values)
        top = max(abs(v) for v in values)
        signs = {np.sign(v) for v in values if abs(v) == top}
        return int(top * signs.pop()) if len(signs) == 1 else 0
    sl = g.groupby(["article_id", "sentence_id", "target"])["stance"].agg(strongest).rename("stance").reset_index()
    S = S.merge(sl, on=["article_id", "sentence_id", "target"], how="inner")
    return U, S


def train(corpus_dir, extra=(), C: float | None = None, random_state: int = 0) -> tuple[StanceModel, dict]:
    """Fit the stance model on ``corpus_dir``'s train split (plus ``extra`` stance corpora's
    gold units, all splits); choose C by 5-fold article-grouped CV on train and the neutral
    band on dev. Returns the model and a report of the choices."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GroupKFold

    from .labels import load_stance_corpus

    corpus = load_stance_corpus(corpus_dir)
    gold = corpus.gold_units()
    U, S = feature_tables(corpus, gold, ("train",))
    Ud, Sd = feature_tables(corpus, gold, ("dev",))
    for path in extra:
        more = load_stance_corpus(path)
        mu, ms = feature_tables(more, more.gold_units(), tuple(sorted(set(more.articles["split"]))))
        U = pd.concat([U, mu], ignore_index=True)
        S = pd.concat([S, ms], ignore_index=True)
    xu, yu = U[list(UNIT_FEATURES)].to_numpy(float), U["stance"].map(_class).to_numpy()
    xs, ys = S[list(SENTENCE_FEATURES)].to_numpy(float), S["stance"].map(_class).to_numpy()
    report = {"train_units": len(U), "train_sentences": len(S), "dev_units": len(Ud)}
    if C is None:
        scores = {}
        folds = list(GroupKFold(n_splits=5).split(xu, yu, U["article_id"]))
        for c in (0.01, 0.1, 1.0, 10.0):
            preds = np.empty(len(yu), dtype=object)
            for tr, te in folds:
                m = StanceModel(C=c, random_state=random_state)
                m.unit = m._fit_one(xu[tr], yu[tr], UNIT_FEATURES)
                P = m.unit.predict_proba(xu[te])
                preds[te] = np.array(CLASSES)[P.argmax(axis=1)]
            scores[c] = f1_score(yu, preds.astype(str), average="macro")
        C = max(scores, key=lambda c: (round(scores[c], 4), -c))
        report["cv_macro_f1"] = scores
    model = StanceModel(C=C, random_state=random_state).fit(xu, yu, xs, ys)
    # the neutral band: |stance| below it is neutral; picked on dev for macro-F1
    stance = model.stance(Ud[list(UNIT_FEATURES)].to_numpy(float))
    truth = Ud["stance"].map(_class).to_numpy()
    bands = {}
    for band in np.round(np.arange(0.05, 0.55, 0.05), 2):
        label = np.where(stance <= -band, "against", np.where(stance >= band, "favour", "neutral"))
        bands[float(band)] = f1_score(truth, label, average="macro")
    best = max(bands, key=lambda b: (round(bands[b], 4), -b))
    model.band = best
    model.unit.band = model.sentence.band = best
    report.update(C=C, band=best, dev_macro_f1_by_band=bands)
    return model, report


def unit_table(articles: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Feature tables of ``articles`` (``article_id, text``) for ``target``: one row per
    unit (``article_id, sentence_id, country`` + :data:`UNIT_FEATURES`) and one per target
    sentence (``article_id, sentence_id`` + :data:`SENTENCE_FEATURES`)."""
    from .pipeline import find_mentions
    from .stance import features

    sentences, mentions = find_mentions(articles)
    f = features(sentences, mentions, target)
    s = f["sentences"]
    aid, sid = s["article_id"].to_numpy(), s["sentence_id"].to_numpy()
    units = pd.DataFrame(f["unit_rows"], columns=list(UNIT_FEATURES)) if f["unit_rows"] else \
        pd.DataFrame(columns=list(UNIT_FEATURES))
    units.insert(0, "country", f["unit_country"])
    units.insert(0, "sentence_id", sid[f["unit_pos"]])
    units.insert(0, "article_id", aid[f["unit_pos"]])
    sents = pd.DataFrame(f["sent_rows"], columns=list(SENTENCE_FEATURES))
    sents.insert(0, "sentence_id", sid[f["sent_pos"]])
    sents.insert(0, "article_id", aid[f["sent_pos"]])
    return units, sents
