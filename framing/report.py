"""Report: the tables the notebooks show and chart, shaped from a :class:`~framing.pipeline.Result`.

Plain functions from the pipeline's DataFrames to display-ready DataFrames (countries by
display name, articles by a short label), plus the sentences that state each chart's
finding. Nothing here scores anything: every number comes from the pipeline.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from .countries import country_name

#: The neutral band of VADER's compound score (Hutto & Gilbert 2014) and of the stance.
TONE_BAND = 0.05
STANCE_BAND = 0.2

_NUMBERS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve"]


def signed(value: float, digits: int = 2) -> str:
    """'+0.50', '−0.60' (a true minus sign), '0.00' for a value that rounds to zero."""
    text = f"{value:+.{digits}f}"
    if float(text) == 0:
        return f"{0:.{digits}f}"
    return text.replace("-", "−")


def number_word(n: int, capital: bool = False) -> str:
    """'four' for 4 (words up to twelve, digits above)."""
    word = _NUMBERS[n] if 0 <= n < len(_NUMBERS) else str(n)
    return word[:1].upper() + word[1:] if capital else word


def article_label(row, width: int | None = None, length: int = 30) -> str:
    """A short name for an article: its number and its outlet, else author, else title.

    With ``width`` the number goes on a line of its own and the name is wrapped, for the
    column headers of a chart.
    """
    number = str(row["article_id"]).split("_")[0]
    for field in ("outlet", "author", "title"):
        value = str(row.get(field, "") or "").strip()
        if value:
            value = value.split(":")[0].strip()
            if len(value) > length:
                value = value[: length - 1].rstrip() + "…"
            break
    else:
        value = "unattributed"
    if width:
        return f"{number}\n{textwrap.fill(value, width)}"
    return f"{number} {value}"


def article_labels(articles: pd.DataFrame, width: int | None = None) -> dict:
    """``article_id -> short label`` for every article (see :func:`article_label`)."""
    return {row["article_id"]: article_label(row, width) for _, row in articles.iterrows()}


def country_labels(codes) -> dict:
    """``ISO3 -> display name``."""
    return {code: country_name(code) for code in codes}


# ----------------------------------------------------------------------------- corpus


def corpus_table(result) -> pd.DataFrame:
    """One row per article: metadata as stated (blank = not stated), words and sentences."""
    table = result.articles[["article_id", "title", "outlet", "author", "date", "genre",
                             "words", "sentences"]].copy()
    table.insert(0, "article", table["article_id"].str.split("_").str[0])
    table["words per sentence"] = (table["words"] / table["sentences"]).round(1)
    return table.drop(columns="article_id").set_index("article")


def metadata_coverage(articles: pd.DataFrame,
                      fields=("title", "outlet", "author", "date", "genre")) -> pd.Series:
    """How many articles state each metadata field."""
    return pd.Series({f: int((articles[f].fillna("").str.strip() != "").sum()) for f in fields},
                     name="articles stating it")


# ----------------------------------------------------------------------------- mentions


def salience(result, per_words: int = 1000, include_target: bool = False, width: int | None = None):
    """Mentions of each country per article: ``(rate, counts)``, countries x articles.

    ``rate`` is mentions per ``per_words`` words of the article. Countries are rows (by
    display name, most mentioned first), articles are columns (by article label).
    """
    mentions = result.mentions
    if not include_target:
        mentions = mentions[mentions["country"] != result.target]
    counts = mentions.groupby(["country", "article_id"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=result.articles["article_id"], fill_value=0)
    order = counts.sum(axis=1).sort_values(ascending=False, kind="stable")
    counts = counts.loc[sorted(order.index, key=lambda c: (-order[c], country_name(c)))]
    words = result.articles.set_index("article_id")["words"]
    rate = counts / words.reindex(counts.columns).to_numpy() * per_words
    names = country_labels(counts.index)
    labels = article_labels(result.articles, width)
    counts = counts.rename(index=names, columns=labels)
    rate = rate.rename(index=names, columns=labels)
    counts.index.name = rate.index.name = "country"
    counts.columns.name = rate.columns.name = "article"
    return rate, counts


KIND_ORDER = ["name", "demonym", "place", "metonym", "person", "flag"]


def mention_kinds(result) -> dict:
    """Counts of each mention kind per article: ``{'target': df, 'others': df}``."""
    out = {}
    labels = article_labels(result.articles)
    for key, rows in (("target", result.mentions["country"] == result.target),
                      ("others", result.mentions["country"] != result.target)):
        counts = result.mentions[rows].groupby(["article_id", "kind"]).size().unstack(fill_value=0)
        counts = counts.reindex(index=result.articles["article_id"], fill_value=0)
        kinds = [k for k in KIND_ORDER if k in counts.columns] + sorted(set(counts.columns) - set(KIND_ORDER))
        counts = counts.reindex(columns=kinds, fill_value=0).rename(index=labels)
        counts.index.name, counts.columns.name = "article", "kind"
        out[key] = counts
    return out


# ----------------------------------------------------------------------------- stance


def stance_matrix(result, min_sentences: int = 1):
    """Stance toward the target per country x article: ``(values, labels)``.

    ``labels`` holds the text of each cell, the stance and its number of sentences
    ("−0.58\\nn=3"). Countries with no evidence sentence anywhere are left out; rows are
    ordered by the number of articles that score them, then by mean stance.
    """
    scores = result.scores[result.scores["target_sentences"] >= min_sentences]
    values = scores.pivot(index="country", columns="article_id", values="stance")
    counts = scores.pivot(index="country", columns="article_id", values="target_sentences")
    values = values.reindex(columns=result.articles["article_id"])
    counts = counts.reindex(columns=result.articles["article_id"])
    order = sorted(values.index, key=lambda c: (-values.loc[c].notna().sum(), country_name(c)))
    values, counts = values.loc[order], counts.loc[order]
    labels = pd.DataFrame("", index=values.index, columns=values.columns)
    for c in values.index:
        for a in values.columns:
            if np.isfinite(values.at[c, a]):
                labels.at[c, a] = f"{signed(values.at[c, a])}\nn={int(counts.at[c, a])}"
    names, articles = country_labels(values.index), article_labels(result.articles, width=12)
    values = values.rename(index=names, columns=articles)
    labels = labels.rename(index=names, columns=articles)
    values.index.name = labels.index.name = "country"
    values.columns.name = labels.columns.name = "article"
    return values, labels


def interval_rows(result, min_sentences: int = 2) -> pd.DataFrame:
    """Article x country scores with at least ``min_sentences`` evidence sentences, display
    names added, ordered by article and then by stance."""
    rows = result.scores[result.scores["target_sentences"] >= min_sentences].copy()
    rows["article"] = rows["article_id"].map(article_labels(result.articles))
    rows["country_name"] = rows["country"].map(country_name)
    return rows.sort_values(["article_id", "stance"], kind="stable").reset_index(drop=True)


def strongest_cells(result, per_article: int = 1, min_sentences: int = 2) -> pd.DataFrame:
    """The ``per_article`` article x country cells of largest |stance| in each article,
    among cells with at least ``min_sentences`` evidence sentences."""
    rows = result.scores[result.scores["target_sentences"] >= min_sentences].copy()
    rows["strength"] = rows["stance"].abs()
    rows = rows.sort_values(["article_id", "strength", "country"], ascending=[True, False, True], kind="stable")
    return rows.groupby("article_id", sort=True).head(per_article).drop(columns="strength").reset_index(drop=True)


def evidence_table(result, cells: pd.DataFrame, max_sentences: int = 3) -> pd.DataFrame:
    """The strongest evidence sentences behind each cell: text, the unit's stance toward the
    target in its dealings with the cell's country, why (the features that pushed it most)
    and the cues found."""
    sentences = result.sentences.set_index(["article_id", "sentence_id"])
    units = result.evidence.set_index(["article_id", "sentence_id", "country"])
    labels = article_labels(result.articles)
    rows = []
    for _, cell in cells.iterrows():
        ids = [int(i) for i in str(cell["evidence"]).split(";") if i][:max_sentences]
        for sid in ids:
            sentence = sentences.loc[(cell["article_id"], sid)]
            unit = units.loc[(cell["article_id"], sid, cell["country"])]
            rows.append({"article": labels[cell["article_id"]], "country": country_name(cell["country"]),
                         "cell stance": round(float(cell["stance"]), 2), "sentence": sid,
                         "stance": round(float(unit["stance"]), 2), "text": sentence["text"],
                         "why": unit["why"], "cues": sentence["cues"] or "(none)"})
    return pd.DataFrame(rows)


def article_band() -> float:
    """The neutral band of article and article x country stances: |stance| below it is
    neutral (the shipped stance model's ``article_band``, picked on the stance corpus's dev
    article labels)."""
    from .stance_model import default_model

    return default_model().article_band


def stance_finding(result) -> str:
    """'Four of five articles portray Russia as failing its allies; one defends it'."""
    labels = result.articles["stance_label"]
    n = len(labels)
    against, favour = int((labels == "against").sum()), int((labels == "favour").sum())
    name = country_name(result.target)
    parts = [f"{number_word(against, True)} of {number_word(n)} articles portray {name} as failing its partners"]
    if favour:
        parts.append(f"{number_word(favour)} defend{'s' if favour == 1 else ''} it")
    neutral = n - against - favour
    if neutral:
        parts.append(f"{number_word(neutral)} {'is' if neutral == 1 else 'are'} neutral")
    return "; ".join(parts)


# ----------------------------------------------------------------------------- cues and tone


def frame_counts(cues: pd.DataFrame) -> pd.DataFrame:
    """Per article and frame: how many cues counted against the target, how many in its
    favour (a negated or rejected accusation counts in favour), and their net sum.

    ``cues`` is ``result.cues``. Columns ``article_id, frame, against, favour, net``;
    markers that contribute nothing (rejection, distance) are left out.
    """
    cues = cues[cues["value"] != 0]
    table = cues.assign(against=cues["value"] < 0, favour=cues["value"] > 0).groupby(
        ["article_id", "frame"], sort=True).agg(against=("against", "sum"), favour=("favour", "sum"),
                                                net=("value", "sum"))
    return table.astype({"against": int, "favour": int}).reset_index()


def frame_matrix(result) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Frames x articles: ``(net, labels)``; ``labels`` reads '−4' (four cues against),
    '+2' (two in favour) or '−2 +1'. Frames most used overall come first."""
    counts = frame_counts(result.cues)
    net = counts.pivot(index="frame", columns="article_id", values="net").reindex(
        columns=result.articles["article_id"])
    total = counts.assign(n=counts["against"] + counts["favour"]).groupby("frame")["n"].sum()
    net = net.loc[sorted(net.index, key=lambda f: (-total[f], f))]
    labels = pd.DataFrame("", index=net.index, columns=net.columns)
    for _, row in counts.iterrows():
        parts = []
        if row["against"]:
            parts.append(f"−{row['against']}")
        if row["favour"]:
            parts.append(f"+{row['favour']}")
        labels.at[row["frame"], row["article_id"]] = " ".join(parts)
    names = article_labels(result.articles, width=12)
    return net.rename(columns=names), labels.rename(columns=names)


QUADRANTS = {(1, 1): "positive tone, favourable stance", (-1, 1): "negative tone, favourable stance",
             (1, -1): "positive tone, stance against", (-1, -1): "negative tone, stance against"}


def tone_vs_stance(result, tone_band: float = TONE_BAND, stance_band: float = STANCE_BAND) -> pd.DataFrame:
    """Sentences that refer to the target, with VADER tone, stance and their quadrant.

    ``quadrant`` is empty when tone or stance lies in its neutral band; ``disagree`` is
    True when tone and stance point in opposite directions.
    """
    rows = result.sentences[result.sentences["target_mentioned"]].copy()
    tone_sign = np.where(rows["sentiment"] >= tone_band, 1, np.where(rows["sentiment"] <= -tone_band, -1, 0))
    stance_sign = np.where(rows["stance"] >= stance_band, 1, np.where(rows["stance"] <= -stance_band, -1, 0))
    rows["quadrant"] = [QUADRANTS.get((t, s), "") for t, s in zip(tone_sign, stance_sign)]
    rows["disagree"] = (tone_sign * stance_sign) < 0
    return rows[["article_id", "sentence_id", "text", "sentiment", "stance", "cues", "quadrant", "disagree"]]


def article_overview(result) -> pd.DataFrame:
    """Overall stance (with interval), tone and size per article, by article label."""
    table = result.articles[["article_id", "words", "target_sentences", "stance", "stance_low",
                             "stance_high", "stance_label", "sentiment"]].copy()
    table.insert(0, "article", table["article_id"].map(article_labels(result.articles)))
    return table.drop(columns="article_id").rename(columns={"sentiment": "tone (VADER)"})


# ----------------------------------------------------------------------------- findings


def _join(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def length_finding(result) -> str:
    """'The articles run from 432 to 988 words; only one names its outlet, one its author ...'."""
    words = result.articles["words"]
    stated = metadata_coverage(result.articles)
    n = len(result.articles)
    text = f"The articles run from {words.min():,} to {words.max():,} words"
    verbs = {"outlet": "names its outlet", "author": "its author", "date": "its date"}
    missing = [f for f in verbs if stated[f] < n]
    if missing:
        parts = [f"{number_word(int(stated[f]))} {verbs[f] if i == 0 else verbs[f].replace('names ', '')}"
                 for i, f in enumerate(missing)]
        text += "; only " + _join(parts)
    return text


def salience_finding(result) -> str:
    """Which country is mentioned most beside the target, and in how many articles."""
    others = result.mentions[result.mentions["country"] != result.target]
    counts = others.groupby(["article_id", "country"]).size().rename("n").reset_index()
    top = counts.sort_values(["article_id", "n", "country"], ascending=[True, False, True]).groupby("article_id").head(1)
    leader = top["country"].value_counts().sort_index().sort_values(ascending=False, kind="stable")
    country, k = leader.index[0], int(leader.iloc[0])
    n = result.articles.shape[0]
    total = counts.groupby("country")["n"].sum()
    return (f"{country_name(country)} is the country named most often beside {country_name(result.target)} "
            f"in {number_word(k)} of {number_word(n)} articles ({int(total[country])} mentions)")


def kind_examples(result, per_kind: int = 4) -> pd.DataFrame:
    """The most frequent wordings of each mention kind, with the countries they stand for."""
    mentions = result.mentions.assign(wording=result.mentions["text"].str.strip())
    rows = []
    for kind in [k for k in KIND_ORDER if k in set(mentions["kind"])]:
        group = mentions[mentions["kind"] == kind]
        forms = group.groupby(["wording", "country"]).size().rename("n").reset_index()
        forms = forms.sort_values(["n", "wording"], ascending=[False, True]).head(per_kind)
        rows.append({"kind": kind, "mentions": len(group),
                     "most frequent wordings": "; ".join(f"{w} ({country_name(c)}, {n})"
                                                         for w, c, n in forms.itertuples(index=False))})
    return pd.DataFrame(rows).set_index("kind")


def kind_finding(result) -> str:
    """'Russia is called Moscow, the Kremlin or Putin in 46% of its mentions'."""
    own = result.mentions[result.mentions["country"] == result.target]
    indirect = own["kind"].isin(["place", "metonym", "person"])
    forms = own.loc[indirect, "text"].str.strip().value_counts()
    forms = forms.sort_index().sort_values(ascending=False, kind="stable").index[:3]
    forms = [f"“{f}”" for f in forms]
    return (f"{country_name(result.target)} is called {_join(forms).replace(' and ', ' or ')} "
            f"rather than by name in {indirect.mean():.0%} of its {len(own)} mentions")


def interval_finding(rows: pd.DataFrame, target: str = "RUS") -> str:
    """How many well-evidenced cells lie clearly on each side: labelled against (favour)
    and with the whole 95% interval below (above) 0."""
    against = rows[(rows["stance_high"] < 0) & (rows["stance_label"] == "against")]
    favour = rows[(rows["stance_low"] > 0) & (rows["stance_label"] == "favour")]

    def lie(n: int) -> str:
        return "lies" if n == 1 else "lie"

    stances = "stance" if len(rows) == 1 else "stances"
    text = (f"{number_word(len(against), True)} of {len(rows)} article–country {stances} {lie(len(against))} "
            f"clearly against {country_name(target)}")
    if len(favour):
        where = sorted(set(favour["article"].str.split(" ").str[0]))
        side = f"; {number_word(len(favour))} {lie(len(favour))} in its favour"
        text += f"{side}, {'all ' if len(favour) > 1 else ''}in article {_join(where)}" if len(where) == 1 \
            else f"{side} (articles {_join(where)})"
    return text


def overview_finding(result) -> str:
    """Contrast the spread of stance with the spread of tone across articles."""
    stance, tone = result.articles["stance"], result.articles["sentiment"]
    return (f"Stance toward {country_name(result.target)} ranges from {signed(stance.min())} to "
            f"{signed(stance.max())} across the articles, but their mean tone stays between "
            f"{signed(tone.min())} and {signed(tone.max())}")


def frames_finding(result) -> str:
    """The frames the against-articles lean on, against those of the favour-articles.

    An accusation frame (abandonment, failure ...) that counts in the target's favour is
    a negated or rejected accusation, and is named so.
    """
    from .cues import load_cues

    cues = load_cues()
    polarity = cues[cues["frame"] != ""].groupby("frame")["polarity"].first().astype(float)
    counts = frame_counts(result.cues)
    labels = result.articles.set_index("article_id")["stance_label"]
    parts = []
    for side in ("against", "favour"):
        ids = labels[labels == side].index
        if not len(ids):
            continue
        used = counts[counts["article_id"].isin(ids)].groupby("frame")[side].sum()
        used = used[used > 0].sort_index().sort_values(ascending=False, kind="stable")
        top = [f for f in used.index if f != "support"][:2]
        top = [f"rejected {f} claims" if side == "favour" and polarity.get(f, 0) < 0 else f for f in top]
        kind = "critical" if side == "against" else "favourable"
        who = (f"the {number_word(len(ids))} {kind} articles" if len(ids) > 1 else f"article {ids[0].split('_')[0]}")
        verb = ("lean on" if len(ids) > 1 else "leans on") if not parts else "on"
        parts.append(f"{who} {verb} {_join(top)}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def disagreement_finding(table: pd.DataFrame) -> str:
    """'17 of 127 sentences about Russia have a tone opposite to their stance'."""
    k, n = int(table["disagree"].sum()), len(table)
    return (f"In {k} of {n} sentences about Russia ({k / n:.0%}) the tone points the other way "
            f"from the stance: tone is not stance")


# ---------------------------------------------------------------------------- results

#: columns of the result tables that hold text (read as strings, empty when missing)
_TEXT_COLUMNS = {"article_id", "text", "countries", "cues", "why", "country", "kind", "link", "stance_label",
                 "evidence", "type", "frame", "modifier"}
_INT_COLUMNS = {"sentence_id", "start", "end", "mentions", "target_sentences", "words", "sentences",
                "target_mentions"}


def load_results(folder, target: str | None = None):
    """The scored tables ``framing score`` wrote into ``folder``, as the :class:`framing.pipeline.Result`
    that :func:`framing.pipeline.analyze` returns, so that notebooks are views of results
    and never re-run the pipeline.

    ``target`` (ISO3) defaults to the one code every target sentence names. A missing
    table gets one clear error naming the file."""
    from pathlib import Path

    from .pipeline import Result

    folder = Path(folder)
    tables = {}
    for name in ("articles", "sentences", "mentions", "evidence", "scores", "cues"):
        path = folder / f"{name}.csv"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file; run `framing score CORPUS --out {folder}` first")
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in table.columns:
            if column in _TEXT_COLUMNS or (name == "articles" and column not in _INT_COLUMNS
                                           and column not in ("stance", "stance_low", "stance_high", "sentiment")):
                continue
            if column == "target_mentioned":
                table[column] = table[column] == "True"
            elif column in _INT_COLUMNS:
                table[column] = table[column].astype("int64")
            else:
                table[column] = pd.to_numeric(table[column].replace("", np.nan))
        tables[name] = table
    if target is None:
        on = tables["sentences"].loc[tables["sentences"]["target_mentioned"], "countries"]
        common = set.intersection(*(set(c.split(";")) for c in on)) if len(on) else set()
        if len(common) != 1:
            raise ValueError(f"{folder}: cannot tell the target from sentences.csv; pass target=ISO3")
        target = common.pop()
    return Result(target, tables["articles"], tables["sentences"], tables["mentions"], tables["evidence"],
                  tables["scores"], tables["cues"])
