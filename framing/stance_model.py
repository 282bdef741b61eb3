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
timestamps so that ``framing train-stance-model data/stance`` gives the same bytes on
every run; the shipped one is ``framing/data/stance_model.npz`` and :mod:`framing.stance`
scores with it. Training, choices and validation: ``docs/stance_model.md``.
"""

from __future__ import annotations

import bisect
import io
import math
import re
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["SENTENCE_FEATURES", "UNIT_FEATURES", "StanceModel", "coded_tables", "cross_validate_codes",
           "default_model", "sentence_features", "train", "unit_details", "unit_features", "unit_table"]

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
    "question": "question",
    "headline": "headline or fragment",
    "scare_quotes": "words in scare quotes",
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
    "countries": "number of countries in the sentence",
    "question": "question",
    "headline": "headline or fragment",
    "scare_quotes": "words in scare quotes",
}
_WORD = re.compile(r"\w+")


def _cue_parts(hits) -> tuple[float, float, float, float]:
    against = favour = reversed_ = other = 0.0
    for h in hits:
        value, modifier = h.value, h.modifier
        if value < 0:
            against += value
        elif value > 0:
            favour += value
        if modifier:
            if "negated" in modifier or "rejected" in modifier or "scare" in modifier:
                reversed_ += 1.0
            if modifier.startswith("done by"):
                other += 1.0
    return against, favour, reversed_, other


def sentence_shared(text: str, spans, target: str, hits) -> tuple:
    """What every unit of a sentence shares, computed once per sentence: the cue parts, the
    target's mentions, log(number of countries), question, headline, scare quotes."""
    question, headline = _shape(text)
    return (_cue_parts(hits), [s for s in spans if s[2] == target], math.log(max(len({s[2] for s in spans}), 1)),
            question, headline, _scare_quotes(text))


_TWO_WORD_CHARS = re.compile(r"\w\w")


def _words_between(text: str, a: int, b: int) -> int:
    """How many words of ``text`` (runs of \\w) start at or after ``a`` and before ``b``
    (negative, the count from ``b`` to ``a``, when the spans overlap and ``b < a``)."""
    if b < a:
        return -_words_between(text, b, a)
    if b == a:
        return 0
    n = len(_WORD.findall(text, a, b))
    if n and a > 0 and _TWO_WORD_CHARS.match(text, a - 1):  # a word that began before a
        n -= 1
    return n


#: one to three words in quotes, inside a sentence ("its 'friendship' loans", the "support"
#: it offered): the writer keeps the quoted word at a distance
#: (the opening quote comes first in the pattern so that the engine can skip to it)
_SCARE = re.compile(r"['‘\"“](?<!\w['‘\"“])(?=\w)([\w’'-]+(?: [\w’'-]+){0,2})(?<=\w)(?:'|’|\"|”)(?![\w])")


@lru_cache(maxsize=4)
def _scare_quotes(text: str) -> float:
    return float(len(_SCARE.findall(text)))


@lru_cache(maxsize=4)
def _shape(text: str) -> tuple[float, float]:
    stripped = text.rstrip("\"'”’» )")
    return float(stripped.endswith("?")), float(not stripped.endswith((".", "!", "?", "…")))


def unit_features(text: str, spans, target: str, country: str, ts: float, tone: float, hits,
                  interactions, backdrop: bool, shared=None) -> list[float]:
    """The unit model's feature values (in :data:`UNIT_FEATURES` order) for one unit.

    ``spans``: the sentence's mentions ``(start, end, iso3)``; ``hits``: its cue hits;
    ``interactions``: its :class:`framing.interactions.Interaction` list; ``shared``:
    :func:`sentence_shared` of the sentence, if already computed.
    """
    if shared is None:
        shared = sentence_shared(text, spans, target, hits)
    (against, favour, reversed_, other_agent), t_spans, log_countries, question, headline, scare = shared
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
    c_spans = sorted(s for s in spans if s[2] == country)
    distance = 0.0
    country_first = 0.0
    if t_spans and c_spans:
        c_starts = [b[0] for b in c_spans]
        gaps = []
        for a in t_spans:
            # only the nearest country mention on each side of this target mention
            k = bisect.bisect_left(c_starts, a[0])
            for b in c_spans[max(k - 1, 0):k + 1]:
                lo, hi = (a, b) if a[0] < b[0] else (b, a)
                gaps.append(_words_between(text, lo[1], hi[0]))
        distance = min(gaps)
        country_first = float(c_spans[0][0] < t_spans[0][0])
    ts = 0.0 if ts != ts else ts
    direct = abs(t_on_c) + abs(c_on_t)
    near = math.exp(-distance / 5.0) if t_spans and c_spans else 0.0
    return [ts, tone, against, favour, reversed_, other_agent, t_on_c, t_else, c_on_t, c_else, third, none,
            negated, float(backdrop), log_countries, min(distance, 30.0) / 10.0, country_first,
            question, headline, scare, direct, ts * (direct > 0), ts * near]


def _quote(texts) -> str:
    if len(texts) == 1:  # the common case
        return f"“{' '.join(texts[0].split())}”"
    seen = list(dict.fromkeys(" ".join(t.split()) for t in texts))
    return ", ".join(f"“{t}”" for t in seen[:3])


#: the features :func:`unit_details` can name words for (cues and interactions)
WORDED_FEATURES = frozenset({"cues_against", "cues_favour", "cue_reversed", "target_acts_on_country",
                             "target_acts_elsewhere", "country_acts_on_target", "country_acts_elsewhere",
                             "third_party_acts", "unattributed_interaction", "negated_interaction",
                             "direct_interaction", "sentiment_if_direct"})


def _role(i, target: str, country: str) -> str:
    """Which interaction feature of a unit an interaction counts in."""
    if i.actor == target:
        return "target_acts_on_country" if i.patient == country else "target_acts_elsewhere"
    if i.actor == country:
        return "country_acts_on_target" if i.patient == target else "country_acts_elsewhere"
    return "unattributed_interaction" if i.actor is None else "third_party_acts"


def unit_details(target: str, country: str, hits, interactions, wanted=None) -> dict:
    """The words behind a unit's cue and interaction features, for :meth:`StanceModel.explain`
    (only those in ``wanted``, if given)."""
    out = {}
    for name in (UNIT_FEATURES if wanted is None else wanted):
        if name not in WORDED_FEATURES:
            continue
        if name == "cues_against":
            texts = [h.text for h in hits if h.value < 0]
        elif name == "cues_favour":
            texts = [h.text for h in hits if h.value > 0]
        elif name == "cue_reversed":
            texts = [f"{h.text} [{h.modifier}]" for h in hits if h.modifier and
                     ("negated" in h.modifier or "rejected" in h.modifier or "scare" in h.modifier)]
        elif not interactions:
            continue
        elif name in ("direct_interaction", "sentiment_if_direct"):
            texts = [i.text for i in interactions if i.actor in (target, country) and i.patient in (target, country)]
        elif name == "negated_interaction":
            texts = [i.text for i in interactions if i.negated and target in (i.actor, i.patient)]
        else:  # one of the six roles
            texts = [("not " if i.negated else "") + i.text for i in interactions if _role(i, target, country) == name]
        if texts:
            out[name] = _quote(texts)
    return out


def sentence_features(text: str, spans, target: str, ts: float, tone: float, hits, shared=None) -> list[float]:
    """The sentence model's feature values (in :data:`SENTENCE_FEATURES` order): the
    signals every sentence naming the target has already (target sentiment, tone, cues)
    and its shape; interactions are read for units only."""
    if shared is None:
        shared = sentence_shared(text, spans, target, hits)
    (against, favour, reversed_, _), _, log_countries, question, headline, scare = shared
    ts = 0.0 if ts != ts else ts
    return [ts, tone, against, favour, reversed_, log_countries, question, headline, scare]


# ---------------------------------------------------------------------------- estimator


class _Linear:
    """A standardised multinomial logistic regression as plain arrays."""

    def __init__(self, names, mean, scale, coef, intercept):
        self.names = list(names)
        self.mean = np.asarray(mean, dtype=float)
        self.scale = np.asarray(scale, dtype=float)
        self.coef = np.asarray(coef, dtype=float)          # (3, n_features): against, neutral, favour
        self.intercept = np.asarray(intercept, dtype=float)

    def _z(self, X):
        return (np.asarray(X, dtype=float).reshape(-1, len(self.names)) - self.mean) / self.scale

    def predict_proba(self, X) -> np.ndarray:
        logits = self._z(X) @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def contributions(self, X) -> np.ndarray:
        """Per feature, its push on favour over against (in logit units), measured from the
        feature's zero (no cue, no interaction, neutral polarity), so that an absent
        feature contributes nothing; the intercepts and the means absorb the rest."""
        return np.asarray(X, dtype=float).reshape(-1, len(self.names)) / self.scale * (self.coef[2] - self.coef[0])


class StanceModel:
    """The unit and sentence models, with fit / predict_proba / explain / save / load."""

    def __init__(self, C: float = 1.0, random_state: int = 0):
        self.C = C
        self.random_state = random_state
        self.neutral_offset = 0.0
        #: |mean stance| below this labels an article or article x country pair neutral
        self.article_band = 0.2
        self.unit: _Linear | None = None
        self.sentence: _Linear | None = None

    # scikit-learn estimator conventions
    def get_params(self, deep=True):
        return {"C": self.C, "random_state": self.random_state}

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
        return _Linear(names, mean, scale, clf.coef_[order], clf.intercept_[order])

    def fit(self, X_unit, y_unit, X_sentence, y_sentence, w_unit=None, w_sentence=None) -> "StanceModel":
        """Fit both models; ``y`` are class names (against / neutral / favour), ``w`` optional
        sample weights."""
        self.unit = self._fit_one(X_unit, y_unit, UNIT_FEATURES, w_unit)
        self.sentence = self._fit_one(X_sentence, y_sentence, SENTENCE_FEATURES, w_sentence)
        return self

    def stance(self, X, kind: str = "unit") -> np.ndarray:
        P = getattr(self, kind).predict_proba(X)
        return P[:, 2] - P[:, 0]

    def predict_proba(self, X, kind: str = "unit") -> np.ndarray:
        return getattr(self, kind).predict_proba(X)

    def explain(self, X, kind: str = "unit", top: int = 3, details=None) -> list[str]:
        """The ``top`` features that pushed each row's stance most, with signed contributions
        (in logit units of favour over against), e.g. ``frame cues against the target
        (“abandoned”) -1.21; target-sentiment model polarity -0.40``. ``details`` gives the
        words behind a feature, shown in brackets: per row a dict feature name -> words, or
        a function ``(row, names) -> dict`` asked only for the features shown."""
        model = getattr(self, kind)
        C = model.contributions(X)
        if not len(C):
            return []
        labels = UNIT_FEATURES if kind == "unit" else SENTENCE_FEATURES
        names = [labels[n] for n in model.names]
        order = np.argsort(-np.abs(C), axis=1, kind="stable")[:, :top]
        values = np.take_along_axis(C, order, axis=1)
        order[np.abs(values) < 0.05] = -1  # too small to show
        out = []
        asks = callable(details)
        for i, (ks, vs) in enumerate(zip(order.tolist(), values.tolist())):
            if details is None:
                found = None
            elif asks:
                wanted = [model.names[k] for k in ks if k >= 0]
                found = details(i, wanted) if wanted else None
            else:
                found = details[i]
            parts = []
            for k, v in zip(ks, vs):
                if k < 0:
                    continue
                words = found.get(model.names[k]) if found else None
                parts.append(f"{names[k]} ({words}) {v:+.2f}" if words else f"{names[k]} {v:+.2f}")
            out.append("; ".join(parts))
        return out

    # storage: plain arrays in an npz, written deterministically
    def save(self, path) -> None:
        arrays = {}
        for kind in ("unit", "sentence"):
            m = getattr(self, kind)
            arrays.update({f"{kind}_names": np.array(m.names), f"{kind}_mean": m.mean, f"{kind}_scale": m.scale,
                           f"{kind}_coef": m.coef, f"{kind}_intercept": m.intercept})
        arrays["params"] = np.array([self.C, float(self.random_state), self.neutral_offset, self.article_band])
        _save_npz(path, arrays)

    @classmethod
    def load(cls, path) -> "StanceModel":
        with np.load(path, allow_pickle=False) as z:
            model = cls(C=float(z["params"][0]), random_state=int(z["params"][1]))
            for kind in ("unit", "sentence"):
                setattr(model, kind, _Linear([str(n) for n in z[f"{kind}_names"]], z[f"{kind}_mean"],
                                             z[f"{kind}_scale"], z[f"{kind}_coef"], z[f"{kind}_intercept"]))
            model.neutral_offset = float(z["params"][2])
            model.article_band = float(z["params"][3])
        expected = {"unit": list(UNIT_FEATURES), "sentence": list(SENTENCE_FEATURES)}
        for kind, names in expected.items():
            if getattr(model, kind).names != names:
                raise ValueError(f"{path}: a stance model for other features ({kind}); retrain it with "
                                 "`framing train-stance-model`")
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


DEFAULT_PATH = Path(__file__).parent / "data" / "stance_model.npz"
#: the command that rebuilds the shipped model byte for byte
RETRAIN_COMMAND = "framing train-stance-model data/stance"


@lru_cache(maxsize=1)
def default_model() -> StanceModel:
    """The shipped stance model (``framing/data/stance_model.npz``), loaded once."""
    return StanceModel.load(DEFAULT_PATH)


def extra_corpora(corpus_dir) -> list[tuple[Path, float]]:
    """The further labelled folders a stance corpus names in its ``extra_training.txt``, with
    their weights: one ``path [weight=W]`` per line, the path relative to the corpus, ``#``
    starts a comment. Their ``train`` and ``dev`` gold units join the training data, each
    counted W times (default 1); their other splits are never read."""
    listing = Path(corpus_dir) / "extra_training.txt"
    if not listing.is_file():
        return []
    out = []
    for row, line in enumerate(listing.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, weight = line.partition(" weight=")
        path = (listing.parent / name.strip()).resolve()
        if not path.is_dir():
            raise FileNotFoundError(f"{listing}:{row}: {name.strip()!r} is not a folder")
        try:
            weight = float(weight) if weight else 1.0
        except ValueError:
            raise ValueError(f"{listing}:{row}: weight {weight!r} is not a number") from None
        out.append((path, weight))
    return out


def _extra_tables(path):
    from .labels import load_stance_corpus

    more = load_stance_corpus(path)
    splits = tuple(s for s in ("train", "dev") if s in set(more.articles["split"]))
    if not splits:
        return None
    return feature_tables(more, more.gold_units(), splits)


def _macro_f1(truth, stance, band=0.2) -> float:
    """Macro-F1 of the labels ``stance`` gets with the neutral ``band``."""
    return _macro_f1_labels(truth, np.where(stance <= -band, "against", np.where(stance >= band, "favour", "neutral")))


def train(corpus_dir, extra=(), C: float | None = None, random_state: int = 0, coded_weight: float | None = None,
          extra_tables=()) -> tuple[StanceModel, dict]:
    """Fit the stance model on ``corpus_dir``'s train split, plus the train and dev gold
    units of the folders in its ``extra_training.txt`` and of ``extra``; choose C by 5-fold
    article-grouped CV and the neutral class's offset on ``corpus_dir``'s dev split.

    An ``extra`` path that is a file is a coded file of ``framing agreement`` (see
    :func:`coded_tables`): all coded files given are read together, their consensus per
    unit joins the training data, each unit counted ``coded_weight`` times (default
    :data:`CODED_WEIGHT`). ``extra_tables`` adds ready ``(units, sentences, weight, name)``
    feature tables (used by :func:`cross_validate_codes`).

    The label band is fixed (``framing.stance.NEUTRAL_BAND``, 0.2); what is tuned on dev is
    an offset added to the neutral logit of both models, the grid value that gives the best
    dev macro-F1 of the unit model (ties: the smallest offset). The test split is never
    read. Returns the model and a report of the choices."""
    from sklearn.model_selection import GroupKFold

    from .labels import load_stance_corpus

    corpus = load_stance_corpus(corpus_dir)
    gold = corpus.gold_units()
    U, S = feature_tables(corpus, gold, ("train",))
    Ud, _ = feature_tables(corpus, gold, ("dev",))
    sources = {"train": len(U)}
    U, S = U.assign(weight=1.0), S.assign(weight=1.0)
    coded = [Path(p) for p in extra if Path(p).is_file()]
    more = [(mu, ms, w, name) for mu, ms, w, name in extra_tables]
    if coded:
        mu, ms, _ = coded_tables(coded)
        more.append((mu, ms, CODED_WEIGHT if coded_weight is None else coded_weight, "coded"))
    added = []
    for path, weight in [*extra_corpora(corpus_dir), *((Path(p), 1.0) for p in extra if not Path(p).is_file())]:
        tables = _extra_tables(path)
        if tables is not None:
            added.append((*tables, weight, Path(path).name))
    for mu, ms, weight, name in added + more:
        sources[name] = len(mu)
        U = pd.concat([U, mu.assign(article_id="extra:" + mu["article_id"].astype(str), weight=weight)],
                      ignore_index=True)
        S = pd.concat([S, ms.assign(weight=weight)], ignore_index=True)
    xu, yu = U[list(UNIT_FEATURES)].to_numpy(float), U["stance"].map(_class).to_numpy()
    xs, ys = S[list(SENTENCE_FEATURES)].to_numpy(float), S["stance"].map(_class).to_numpy()
    wu, ws = U["weight"].to_numpy(float), S["weight"].to_numpy(float)
    report = {"train_units": len(U), "train_sentences": len(S), "dev_units": len(Ud), "sources": sources}
    if C is None:
        scores = {}
        folds = list(GroupKFold(n_splits=5).split(xu, yu, U["article_id"]))
        for c in (0.01, 0.1, 1.0, 10.0):
            preds = np.empty(len(yu), dtype=object)
            for tr, te in folds:
                m = StanceModel(C=c, random_state=random_state)
                m.unit = m._fit_one(xu[tr], yu[tr], UNIT_FEATURES, wu[tr])
                P = m.unit.predict_proba(xu[te])
                preds[te] = np.array(CLASSES)[P.argmax(axis=1)]
            scores[c] = _macro_f1_labels(yu, preds.astype(str))
        C = max(scores, key=lambda c: (round(scores[c], 4), -c))
        report["cv_macro_f1"] = scores
    model = StanceModel(C=C, random_state=random_state).fit(xu, yu, xs, ys, wu, ws)
    xd = Ud[list(UNIT_FEATURES)].to_numpy(float)
    truth = Ud["stance"].map(_class).to_numpy()
    base = model.unit.intercept.copy()
    offsets = {}
    for offset in np.round(np.arange(-2.0, 2.01, 0.1), 1):
        model.unit.intercept = base + np.array([0.0, offset, 0.0])
        offsets[float(offset)] = _macro_f1(truth, model.stance(xd))
    best = max(offsets, key=lambda o: (round(offsets[o], 4), -abs(o)))
    model.unit.intercept = base + np.array([0.0, best, 0.0])
    model.sentence.intercept = model.sentence.intercept + np.array([0.0, best, 0.0])
    model.neutral_offset = best
    report.update(C=C, neutral_offset=best, dev_macro_f1=offsets[best], dev_macro_f1_by_offset=offsets)
    # the article band: a mean over many sentences is nearer 0 than a sentence's stance;
    # picked on the dev split's article labels (overall and per country), like the offset
    # the dev article labels of the corpus and of its extra folders (the seeds' real news)
    truth, means = _dev_article_means(corpus, model)
    for path, _ in extra_corpora(corpus_dir):
        more = load_stance_corpus(path)
        t, m = _dev_article_means(more, model)
        truth, means = np.concatenate([truth, t]), np.concatenate([means, m])
    grid = np.round(np.arange(0.02, 0.41, 0.02), 2)
    raw = np.array([_macro_f1(truth, means, b) for b in grid])
    # smoothed over neighbouring bands: a few hundred labels make the raw curve jagged
    smooth = np.convolve(np.pad(raw, 1, mode="edge"), np.ones(3) / 3, mode="valid")
    bands = dict(zip(grid.tolist(), smooth.round(4).tolist()))
    model.article_band = max(bands, key=lambda b: (bands[b], -abs(b - 0.2)))
    report.update(article_band=model.article_band, dev_article_macro_f1=bands[model.article_band],
                  dev_article_labels=len(truth))
    return model, report


def _dev_article_means(corpus, model) -> tuple[np.ndarray, np.ndarray]:
    """Gold article labels of the dev split (overall and per country) and the model's mean
    stance for each: mean sentence stance over the target's sentences, mean unit stance
    over the sentences naming target and country."""
    arts = corpus.articles[corpus.articles["split"] == "dev"]
    labels = corpus.article_labels[corpus.article_labels["coder"] == "gold"]
    truth, means = [], []
    for target in sorted(set(";".join(arts["targets"]).split(";"))):
        sub = arts[arts["targets"].str.split(";").map(lambda t: target in t)]
        frame = pd.DataFrame({"article_id": sub["id"].to_numpy(), "text": sub["text"].to_numpy()})
        units, sents = unit_table(frame, target)
        overall = pd.Series(model.stance(sents[list(SENTENCE_FEATURES)].to_numpy(float), "sentence")
                            if len(sents) else [], dtype=float).groupby(sents["article_id"].to_numpy()).mean()
        pair = pd.Series(model.stance(units[list(UNIT_FEATURES)].to_numpy(float)) if len(units) else [],
                         dtype=float).groupby([units["article_id"].to_numpy(), units["country"].to_numpy()]).mean()
        for row in labels[(labels["target"] == target) & labels["article_id"].isin(sub["id"])].itertuples():
            country = row.country if isinstance(row.country, str) and row.country else ""
            value = overall.get(row.article_id) if not country else pair.get((row.article_id, country))
            if value is None or value != value:
                continue
            truth.append(_class(int(row.stance)))
            means.append(float(value))
    return np.array(truth), np.array(means)


def _macro_f1_labels(truth, labels) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(truth, labels, average="macro", labels=list(CLASSES)))


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
    units = pd.DataFrame(f["unit_rows"], columns=list(UNIT_FEATURES))
    units.insert(0, "country", f["unit_country"])
    units.insert(0, "sentence_id", sid[f["unit_pos"]])
    units.insert(0, "article_id", aid[f["unit_pos"]])
    sents = pd.DataFrame(f["sent_rows"], columns=list(SENTENCE_FEATURES))
    sents.insert(0, "sentence_id", sid[f["sent_pos"]])
    sents.insert(0, "article_id", aid[f["sent_pos"]])
    return units, sents


# ------------------------------------------------------------------ the analyst's codes (adapt)

#: each coded unit of the analyst's own corpus counts this many times in training, as the
#: seeds' real-news units do (``data/stance/extra_training.txt``)
CODED_WEIGHT = 5.0
#: the stance corpus the shipped model is trained on
DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "data" / "stance"


def results_articles(results, article_ids) -> pd.DataFrame:
    """``article_id, text`` of ``article_ids``, rebuilt from a results folder's
    ``sentences.csv``: each sentence at its offsets, the gaps between sentences filled with
    line breaks (a line break always ends a sentence, so the sentence split, the mentions
    and the features come out as in the scored article; tested on the seeds)."""
    results = Path(results)
    path = results / "sentences.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; the coded units' sentences come from the results folder")
    s = pd.read_csv(path, dtype=str, keep_default_na=False)
    s = s[s["article_id"].isin(set(article_ids))]
    rows = []
    for article_id, g in s.groupby("article_id", sort=True):
        text = ""
        for start, t in zip(g["start"].astype(int), g["text"]):
            text += "\n" * max(start - len(text), 0) + t
        rows.append({"article_id": article_id, "text": text})
    return pd.DataFrame(rows, columns=["article_id", "text"])


def coded_units(coded_paths, sample=None) -> tuple[pd.DataFrame, Path, pd.Series]:
    """The coded units of ``coded_paths`` with the coders' consensus
    (:func:`framing.agreement.consensus`; "not a reference" units left out), the results
    folder their sample sidecar names, and each unit's sampling weight.

    The sidecar (``coding.sample.csv``, written by ``framing sample`` beside the sheet) is
    ``sample`` or is found beside the coded files; it records the results folder, whose
    ``sentences.csv`` holds the text of every article."""
    from .agreement import consensus, find_sample, read_codes
    from .coding import parse_unit_id, read_sample, sample_results

    codes = read_codes(coded_paths)
    side = read_sample(sample) if sample else find_sample(coded_paths, codes)
    if sample_results(side) is None:
        raise FileNotFoundError(f"{coded_paths[0]}: no sample sidecar (*.sample.csv, written by `framing sample`) "
                                "beside it lists its units; it names the results folder the sentences come from")
    missing = codes[~codes["unit_id"].isin(side["unit_id"])]
    if len(missing):
        r = missing.iloc[0]
        raise ValueError(f"{r['file']}: row {r['row']}: unit {r['unit_id']} is not in the sample beside it")
    cons = consensus(codes).dropna(subset=["consensus"])
    parts = [parse_unit_id(u) for u in cons["unit_id"]]
    units = pd.DataFrame(parts, columns=["article_id", "sentence_id", "target", "country"])
    units["stance"] = cons["consensus"].astype(int).to_numpy()
    units["unit_id"] = cons["unit_id"].to_numpy()
    weights = side.set_index("unit_id")["weight"].astype(float)
    return units, sample_results(side), weights


def coded_tables(coded_paths, sample=None):
    """Unit and sentence feature tables of the coded units (as :func:`feature_tables`), with
    the consensus as the label, rebuilt from the results folder the sample sidecar names.
    Returns ``(units, sentences, coded)``, ``coded`` being :func:`coded_units`' table."""
    from types import SimpleNamespace

    units, results, _ = coded_units(coded_paths, sample)
    arts = results_articles(results, units["article_id"].unique())
    targets = units.groupby("article_id")["target"].agg(lambda t: ";".join(sorted(set(t))))
    corpus = SimpleNamespace(articles=pd.DataFrame({
        "id": arts["article_id"], "text": arts["text"], "targets": arts["article_id"].map(targets),
        "split": "train"}))
    U, S = feature_tables(corpus, units, ("train",))
    return U, S, units


def cross_validate_codes(coded_paths, corpus_dir=DEFAULT_CORPUS, k: int = 5, sample=None,
                         coded_weight: float = CODED_WEIGHT) -> pd.DataFrame:
    """How much adding the analyst's codes improves agreement with them, measured honestly:
    k-fold over the coded units grouped by article, each fold scored by a model trained on
    ``corpus_dir`` plus the other folds' codes (C fixed at the shipped model's, the neutral
    offset and article band re-tuned on ``corpus_dir``'s dev split as in :func:`train`),
    beside the shipped model on the same units. Agreement is with the coders' consensus:
    accuracy, macro-F1 and nominal alpha, unweighted and (accuracy, macro-F1) weighted by
    the sampling weights. Returns one row per model and a ``gain`` row."""
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import GroupKFold

    from .agreement import alpha

    U, S, units = coded_tables(coded_paths, sample)
    _, _, weights = coded_units(coded_paths, sample)
    groups = U["article_id"].to_numpy()
    k = min(k, len(set(groups)))
    if k < 2:
        raise ValueError(f"{coded_paths[0]}: cross-validation needs coded units from at least two articles")
    shipped = default_model()
    X = U[list(UNIT_FEATURES)].to_numpy(float)
    adapted = np.full(len(U), np.nan)
    fold_of = np.zeros(len(U), dtype=int)
    for fold, (tr, te) in enumerate(GroupKFold(n_splits=k).split(X, groups=groups)):
        held = set(groups[te])
        model, _ = train(corpus_dir, C=shipped.C, extra_tables=[
            (U.iloc[tr], S[~S["article_id"].isin(held)], coded_weight, "coded")])
        adapted[te] = model.stance(X[te])
        fold_of[te] = fold
    truth = U["stance"].map(_class).to_numpy()
    w = U.assign(unit_id=[f"{a}:{s}:{t}:{c}" for a, s, t, c in
                          zip(U["article_id"], U["sentence_id"], U["target"], U["country"])])["unit_id"].map(weights)
    w = w.fillna(1.0).to_numpy(float)
    rows = []
    for name, values in (("shipped model", shipped.stance(X)), (f"adapted ({k}-fold)", adapted)):
        labels = np.where(values <= -0.2, "against", np.where(values >= 0.2, "favour", "neutral"))
        present = [c for c in CLASSES if c in set(truth) | set(labels)]
        to_num = {"against": -1.0, "neutral": 0.0, "favour": 1.0}
        matrix = np.array([[to_num[c] for c in truth], [to_num[c] for c in labels]])
        rows.append({"model": name, "units": len(U), "articles": len(set(groups)), "folds": k,
                     "accuracy": float(accuracy_score(truth, labels)),
                     "macro_f1": float(f1_score(truth, labels, labels=present, average="macro", zero_division=0)),
                     "alpha": alpha(matrix, "nominal"),
                     "weighted_accuracy": float(accuracy_score(truth, labels, sample_weight=w)),
                     "weighted_macro_f1": float(f1_score(truth, labels, labels=present, average="macro",
                                                         sample_weight=w, zero_division=0))})
    table = pd.DataFrame(rows)
    gain = table.iloc[1, 4:] - table.iloc[0, 4:]
    table.loc[len(table)] = {"model": "gain", "units": len(U), "articles": len(set(groups)), "folds": k, **gain.to_dict()}
    return table
