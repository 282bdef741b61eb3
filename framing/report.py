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
    word = _NUMBERS[n] if 0 <= n < len(_NUMBERS) else f"{n:,}"
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
    fields = [f for f in ("title", "outlet", "author", "date", "genre") if f in result.articles.columns]
    table = result.articles[["article_id", *fields, "words", "sentences"]].copy()
    table.insert(0, "article", table["article_id"].str.split("_").str[0])
    table["words per sentence"] = (table["words"] / table["sentences"]).round(1)
    return table.drop(columns="article_id").set_index("article")


def metadata_coverage(articles: pd.DataFrame,
                      fields=("title", "outlet", "author", "date", "genre")) -> pd.Series:
    """How many articles state each metadata field."""
    return pd.Series({f: int((_stated(articles, f) != "").sum()) for f in fields}, name="articles stating it")


# ----------------------------------------------------------------------------- mentions


def as_study(result) -> "Study":
    """``result`` itself if it is a :class:`Study`, else a Study over the in-memory Result."""
    if isinstance(result, Study):
        return result
    cached = getattr(result, "_framing_study", None)
    if cached is None:
        cached = Study.from_result(result)
        try:
            object.__setattr__(result, "_framing_study", cached)
        except (AttributeError, TypeError):
            pass
    return cached


def salience(result, per_words: int = 1000, include_target: bool = False, width: int | None = None,
             by: str | None = None, top: int | None = None):
    """Mentions of each country per article (or group): ``(rate, counts)``, countries x columns.

    ``rate`` is mentions per ``per_words`` words of the article (group). Countries are rows
    (by display name, most mentioned first), articles are columns (by article label); with
    ``by`` (a metadata field, or "period") the columns are its values (see
    :func:`article_groups`), and with ``top`` only the ``top`` most mentioned countries keep
    their name, the rest are summed as "other".
    """
    study = as_study(result)
    mentions = study.mention_counts
    if not include_target:
        mentions = mentions[mentions["country"] != study.target]
    groups = article_groups(study.articles, by, width)
    counts = mentions.assign(column=mentions["article_id"].map(groups)).groupby(
        ["country", "column"])["n"].sum().unstack(fill_value=0)
    counts = counts.reindex(columns=column_order(groups, study.articles), fill_value=0)
    order = counts.sum(axis=1).sort_values(ascending=False, kind="stable")
    counts = counts.loc[sorted(order.index, key=lambda c: (-order[c], country_name(c)))]
    names = country_labels(counts.index)
    if top is not None and len(counts) > top:
        rest = counts.iloc[top:].sum()
        counts = pd.concat([counts.iloc[:top], rest.to_frame(OTHER).T])
        names[OTHER] = f"{len(order) - top} other countries"
    words = study.articles.assign(column=study.articles["article_id"].map(groups)).groupby("column")["words"].sum()
    rate = counts / words.reindex(counts.columns).to_numpy() * per_words
    counts = counts.rename(index=names)
    rate = rate.rename(index=names)
    counts.index.name = rate.index.name = "country"
    counts.columns.name = rate.columns.name = by or "article"
    return rate, counts


KIND_ORDER = ["name", "demonym", "place", "metonym", "person", "flag"]


def mention_kinds(result, by: str | None = None) -> dict:
    """Counts of each mention kind per article (or per group, see :func:`article_groups`):
    ``{'target': df, 'others': df}``."""
    study = as_study(result)
    out = {}
    mentions = study.mention_counts
    groups = article_groups(study.articles, by)
    rows_order = column_order(groups, study.articles)
    for key, rows in (("target", mentions["country"] == study.target),
                      ("others", mentions["country"] != study.target)):
        part = mentions[rows].assign(row=mentions.loc[rows, "article_id"].map(groups))
        counts = part.groupby(["row", "kind"])["n"].sum().unstack(fill_value=0)
        counts = counts.reindex(index=rows_order, fill_value=0)
        kinds = [k for k in KIND_ORDER if k in counts.columns] + sorted(set(counts.columns) - set(KIND_ORDER))
        counts = counts.reindex(columns=kinds, fill_value=0)
        counts.index.name, counts.columns.name = by or "article", "kind"
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


def strongest_cells(result, per_article: int = 1, min_sentences: int = 2, limit: int | None = None) -> pd.DataFrame:
    """The ``per_article`` article x country cells of largest |stance| in each article,
    among cells with at least ``min_sentences`` evidence sentences; with ``limit``, only
    the ``limit`` strongest of those over the corpus (in article order)."""
    rows = result.scores[result.scores["target_sentences"] >= min_sentences].copy()
    rows["strength"] = rows["stance"].abs()
    rows = rows.sort_values(["article_id", "strength", "country"], ascending=[True, False, True], kind="stable")
    rows = rows.groupby("article_id", sort=True).head(per_article)
    if limit is not None:
        rows = rows.sort_values(["strength", "article_id"], ascending=[False, True], kind="stable").head(limit)
        rows = rows.sort_values(["article_id", "strength"], ascending=[True, False], kind="stable")
    return rows.drop(columns="strength").reset_index(drop=True)


def evidence_table(result, cells: pd.DataFrame, max_sentences: int = 3) -> pd.DataFrame:
    """The strongest evidence sentences behind each cell: text, the unit's stance toward the
    target in its dealings with the cell's country, why (the features that pushed it most)
    and the cues found."""
    study = as_study(result)
    wanted = pd.DataFrame([(cell["article_id"], int(i), cell["country"]) for _, cell in cells.iterrows()
                           for i in str(cell["evidence"]).split(";")[:max_sentences] if i],
                          columns=["article_id", "sentence_id", "country"])
    sentences = study.rows("sentences", wanted[["article_id", "sentence_id"]],
                           ["article_id", "sentence_id", "text", "cues"]).set_index(["article_id", "sentence_id"])
    units = study.rows("evidence", wanted, ["article_id", "sentence_id", "country", "stance", "why"]
                       ).set_index(["article_id", "sentence_id", "country"])
    labels = article_labels(study.articles)
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


def frame_matrix(result, by: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Frames x articles (or groups, see :func:`article_groups`): ``(net, labels)``;
    ``labels`` reads '−4' (four cues against), '+2' (two in favour) or '−2 +1'. Frames most
    used overall come first. Per group, ``net`` is per 100 articles of the group."""
    study = as_study(result)
    if by is not None:
        groups = article_groups(study.articles, by, width=12)
        counts = study.frames.assign(article_id=study.frames["article_id"].map(groups)).groupby(
            ["article_id", "frame"], sort=True)[["against", "favour", "net"]].sum().reset_index()
        sizes = groups.value_counts()
        counts["net"] = counts["net"] / counts["article_id"].map(sizes) * 100
        columns = column_order(groups, study.articles)
        net = counts.pivot(index="frame", columns="article_id", values="net").reindex(columns=columns)
        total = counts.assign(n=counts["against"] + counts["favour"]).groupby("frame")["n"].sum()
        net = net.loc[sorted(net.index, key=lambda f: (-total[f], f))]
        labels = pd.DataFrame("", index=net.index, columns=net.columns)
        for _, row in counts.iterrows():
            labels.at[row["frame"], row["article_id"]] = f"{signed(row['net'], 0)}"
        net.columns.name = labels.columns.name = by
        return net, labels
    counts = study.frames
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

    ``result`` is a Result or a sentences table. ``quadrant`` is empty when tone or stance
    lies in its neutral band; ``disagree`` is True when tone and stance point in opposite
    directions. (For a corpus of any size: :meth:`Study.tone_points`.)
    """
    sentences = result if isinstance(result, pd.DataFrame) else result.sentences
    rows = sentences[sentences["target_mentioned"]].copy()
    tone_sign = np.where(rows["sentiment"] >= tone_band, 1, np.where(rows["sentiment"] <= -tone_band, -1, 0))
    stance_sign = np.where(rows["stance"] >= stance_band, 1, np.where(rows["stance"] <= -stance_band, -1, 0))
    rows["quadrant"] = [QUADRANTS.get((t, s), "") for t, s in zip(tone_sign, stance_sign)]
    rows["disagree"] = (tone_sign * stance_sign) < 0
    return rows[["article_id", "sentence_id", "text", "sentiment", "stance", "cues", "quadrant", "disagree"]]


def group_overview(result, by: str | None, samples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """:func:`article_overview` per group of articles (``by``, see :func:`article_groups`):
    overall stance (each article weighted by its target sentences; 95% bootstrap interval
    over articles), mean tone and size per group, in the same columns."""
    study = as_study(result)
    band = article_band()
    articles = study.articles.assign(group=study.articles["article_id"].map(article_groups(study.articles, by or "all")))
    rows = []
    order = column_order(articles.set_index("article_id")["group"], study.articles)
    for group in order:
        part = articles[(articles["group"] == group) & (articles["target_sentences"] > 0)]
        w = part["target_sentences"].to_numpy(dtype=float)
        sw = part["stance"].to_numpy(dtype=float) * w
        stance = float(sw.sum() / w.sum()) if w.sum() else np.nan
        low, high = _bootstrap_mean(sw, w, samples, seed)
        words = part["sentences"].to_numpy(dtype=float)
        short = group if len(group) <= 26 else group[:25].rstrip() + "…"
        rows.append({"article": f"{short} ({len(part):,})", "words": int(part["words"].sum()),
                     "target_sentences": int(w.sum()), "stance": stance, "stance_low": low, "stance_high": high,
                     "stance_label": "against" if stance < -band else "favour" if stance > band else "neutral",
                     "tone (VADER)": float((part["sentiment"] * words).sum() / words.sum()) if words.sum() else np.nan})
    return pd.DataFrame(rows)


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
    some = [f for f in verbs if 0 < stated[f] < n]
    if some:
        parts = [f"{number_word(int(stated[f]))} {verbs[f] if i == 0 else verbs[f].replace('names ', '')}"
                 for i, f in enumerate(some)]
        text += "; only " + _join(parts)
    none = [f"its {f}" for f in verbs if stated[f] == 0 and n]
    if none:
        text += f"; {'none' if n > 2 else 'neither'} states {_join(none).replace(' and ', ' or ')}"
    return text


def salience_finding(result) -> str:
    """Which country is mentioned most beside the target, and in how many articles."""
    study = as_study(result)
    others = study.mention_counts[study.mention_counts["country"] != study.target]
    counts = others.groupby(["article_id", "country"])["n"].sum().reset_index()
    top = counts.sort_values(["article_id", "n", "country"], ascending=[True, False, True]).groupby("article_id").head(1)
    leader = top["country"].value_counts().sort_index().sort_values(ascending=False, kind="stable")
    country, k = leader.index[0], int(leader.iloc[0])
    n = result.articles.shape[0]
    total = counts.groupby("country")["n"].sum()
    return (f"{country_name(country)} is the country named most often beside {country_name(result.target)} "
            f"in {number_word(k)} of {number_word(n)} articles ({int(total[country]):,} mentions)")


def kind_examples(result, per_kind: int = 4) -> pd.DataFrame:
    """The most frequent wordings of each mention kind, with the countries they stand for."""
    mentions = as_study(result).wordings
    rows = []
    for kind in [k for k in KIND_ORDER if k in set(mentions["kind"])]:
        group = mentions[mentions["kind"] == kind]
        forms = group.groupby(["wording", "country"])["n"].sum().reset_index()
        forms = forms.sort_values(["n", "wording"], ascending=[False, True]).head(per_kind)
        rows.append({"kind": kind, "mentions": int(group["n"].sum()),
                     "most frequent wordings": "; ".join(f"{w} ({country_name(c)}, {n})"
                                                         for w, c, n in forms.itertuples(index=False))})
    return pd.DataFrame(rows).set_index("kind")


def kind_finding(result) -> str:
    """'Russia is called Moscow, the Kremlin or Putin in 46% of its mentions'."""
    study = as_study(result)
    own = study.wordings[study.wordings["country"] == study.target]
    indirect = own["kind"].isin(["place", "metonym", "person"])
    forms = own[indirect].groupby("wording")["n"].sum()
    forms = forms.sort_index().sort_values(ascending=False, kind="stable").index[:3]
    forms = [f"“{f}”" for f in forms]
    total = int(own["n"].sum())
    share = own.loc[indirect, "n"].sum() / total if total else 0.0
    return (f"{country_name(study.target)} is called {_join(forms).replace(' and ', ' or ')} "
            f"rather than by name in {share:.0%} of its {total:,} mentions")


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


def overview_finding(result, table: pd.DataFrame | None = None, by: str | None = None) -> str:
    """Contrast the spread of stance with the spread of tone across articles, or across the
    groups of :func:`group_overview` (``table``, grouped ``by``)."""
    if table is None:
        stance, tone, what = result.articles["stance"], result.articles["sentiment"], "the articles"
    else:
        stance, tone, what = table["stance"], table["tone (VADER)"], f"{by or 'group'}s"
        if signed(stance.min()) == signed(stance.max()):
            return (f"Stance toward {country_name(result.target)} is {signed(stance.min())} in every "
                    f"{by or 'group'}, and mean tone lies between {signed(tone.min())} and {signed(tone.max())}")
    return (f"Stance toward {country_name(result.target)} ranges from {signed(stance.min())} to "
            f"{signed(stance.max())} across {what}, but their mean tone stays between "
            f"{signed(tone.min())} and {signed(tone.max())}")


def frames_finding(result) -> str:
    """The frames the against-articles lean on, against those of the favour-articles.

    An accusation frame (abandonment, failure ...) that counts in the target's favour is
    a negated or rejected accusation, and is named so.
    """
    from .cues import load_cues

    cues = load_cues()
    polarity = cues[cues["frame"] != ""].groupby("frame")["polarity"].first().astype(float)
    counts = as_study(result).frames
    labels = result.articles.set_index("article_id")["stance_label"]
    parts = []
    for side in ("against", "favour"):
        ids = labels[labels == side].index
        if not len(ids):
            continue
        used = counts[counts["article_id"].isin(ids)].groupby("frame")[side].sum()
        used = used[used > 0].sort_index().sort_values(ascending=False, kind="stable")
        top = [f for f in used.index if f != "support"][:2]
        if not top:
            continue
        top = [f"rejected {f} claims" if side == "favour" and polarity.get(f, 0) < 0 else f for f in top]
        kind = "critical" if side == "against" else "favourable"
        who = (f"the {number_word(len(ids))} {kind} articles" if len(ids) > 1 else f"article {ids[0].split('_')[0]}")
        verb = ("lean on" if len(ids) > 1 else "leans on") if not parts else "on"
        parts.append(f"{who} {verb} {_join(top)}")
    if not parts:
        return f"No article labelled for or against {country_name(result.target)} uses a frame cue"
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def disagreement_finding(table, target: str = "RUS") -> str:
    """'In 17 of 127 sentences about Russia (13%) the tone points the other way ...'.

    ``table`` is :func:`tone_vs_stance`'s table or :meth:`Study.tone_points`' quadrant counts.
    """
    if isinstance(table, pd.Series):
        k, n = int(table.get("disagree", 0)), int(table.drop("disagree", errors="ignore").sum())
    else:
        k, n = int(table["disagree"].sum()), len(table)
    return (f"In {k:,} of {n:,} sentences about {country_name(target)} ({k / max(n, 1):.0%}) the tone points "
            f"the other way from the stance: tone is not stance")


# ---------------------------------------------------------------------------- results

#: columns of the result tables that hold text (read as strings, empty when missing)
_TEXT_COLUMNS = {"article_id", "text", "countries", "cues", "why", "country", "kind", "link", "stance_label",
                 "evidence", "type", "frame", "modifier"}
_INT_COLUMNS = {"sentence_id", "start", "end", "mentions", "target_sentences", "words", "sentences",
                "target_mentions"}


def target_of(sentences: pd.DataFrame) -> str | None:
    """The study's target, read from ``sentences.csv``: the one country that every sentence
    naming the target names (``target_mentioned`` as bool or as the text "True"); None when
    that is not one country."""
    mentioned = sentences["target_mentioned"]
    on = sentences.loc[mentioned if mentioned.dtype == bool else mentioned == "True", "countries"]
    common = set.intersection(*(set(c.split(";")) for c in on)) if len(on) else set()
    return common.pop() if len(common) == 1 else None


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
        tables[name] = _convert(name, pd.read_csv(path, dtype=str, keep_default_na=False))
    if target is None:
        target = target_of(tables["sentences"])
        if target is None:
            raise ValueError(f"{folder}: cannot tell the target from sentences.csv; pass target=ISO3")
    return Result(target, tables["articles"], tables["sentences"], tables["mentions"], tables["evidence"],
                  tables["scores"], tables["cues"])


# ---------------------------------------------------------------------------- a study, read to scale
#
# A notebook is a view of scored results and must not grow with the corpus beyond what its
# charts need. :class:`Study` reads the two aggregate tables (``articles.csv``,
# ``scores.csv``: one row per article, per article x country) in full, and everything else
# (sentences, mentions, evidence, cues: one row per sentence or mention) in chunks of
# ``CHUNK`` rows with only the columns it needs, keeping aggregates or a bounded sample.

#: At most this many articles is "a handful": the article x country views are drawn. Twelve
#: columns of article labels still fit the 16 cm print width; above that a chart by
#: article says nothing and the charts group articles by outlet, genre or period instead.
HANDFUL = 12
#: Countries drawn by name in the charts for many articles (by salience); the rest are "other".
TOP_COUNTRIES = 8
#: Rows per chunk when reading the per-sentence tables.
CHUNK = 20_000
#: Most sentences a notebook shows or plots one by one.
SAMPLE = 2_000
OTHER = "other"


def _convert(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """Types of the columns ``framing score`` wrote (read as text, empty = missing)."""
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
    return table


def _table_path(folder, name: str):
    from pathlib import Path

    path = Path(folder) / f"{name}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; run `framing score CORPUS --out {folder}` first")
    return path


def _read_typed(folder, name: str) -> pd.DataFrame:
    """A whole table with the types of :func:`_convert`, parsed directly (no text copy of
    the numbers first, so reading costs little more than the table itself)."""
    path = _table_path(folder, name)
    header = pd.read_csv(path, nrows=0).columns
    kinds = _convert(name, pd.DataFrame({c: pd.Series(["0"], dtype=object) for c in header})).dtypes
    dtype, na = {}, {}
    for column, kind in kinds.items():
        if kind == object:
            dtype[column] = str
        elif kind == bool:
            dtype[column] = str
        else:
            dtype[column] = "int64" if column in _INT_COLUMNS else "float64"
            na[column] = [""]
    # in chunks: the parser's buffers stay small, and the peak is about the table itself
    chunks = list(pd.read_csv(path, dtype=dtype, keep_default_na=False, na_values=na, chunksize=CHUNK))
    table = pd.concat(chunks, ignore_index=True) if chunks else pd.read_csv(path, dtype=dtype, nrows=0)
    for column, kind in kinds.items():
        if kind == bool:
            table[column] = table[column] == "True"
    return table


def read_chunks(folder, name: str, columns=None, chunksize: int | None = None):
    """The table ``NAME.csv`` of ``folder`` in chunks of ``chunksize`` rows, only ``columns``."""
    path = _table_path(folder, name)
    reader = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=columns, chunksize=chunksize or CHUNK)
    for chunk in reader:
        yield _convert(name, chunk)


def read_rows(folder, name: str, keys: pd.DataFrame, columns=None) -> pd.DataFrame:
    """The rows of ``NAME.csv`` whose values in ``keys``' columns match a row of ``keys``,
    read chunk by chunk (memory bounded by the matches)."""
    keys = keys.drop_duplicates()
    on = list(keys.columns)
    parts = [chunk.merge(keys, on=on, how="inner") for chunk in read_chunks(folder, name, columns)]
    parts = [p for p in parts if len(p)]
    if not parts:
        return next(read_chunks(folder, name, columns, chunksize=1)).iloc[:0]
    return pd.concat(parts, ignore_index=True)


def _sum_chunks(parts, keys: list[str]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=keys + ["n"])
    return pd.concat(parts).groupby(keys, sort=True).sum().reset_index()


def mention_counts(mentions: pd.DataFrame) -> pd.DataFrame:
    """Mentions per article, country and kind: ``article_id, country, kind, n``."""
    return mentions.groupby(["article_id", "country", "kind"], sort=True).size().rename("n").reset_index()


def wording_counts(mentions: pd.DataFrame) -> pd.DataFrame:
    """Mentions per wording, over the corpus: ``country, kind, wording, n``."""
    return (mentions.assign(wording=mentions["text"].str.strip())
            .groupby(["country", "kind", "wording"], sort=True).size().rename("n").reset_index())


class Study:
    """The scored results of one study, read to scale (see :data:`HANDFUL`, :data:`CHUNK`).

    ``articles`` and ``scores`` are read in full; the per-sentence tables are read in chunks
    into aggregates (``mention_counts``, ``wordings``, ``frames``, ``sentence_lengths``,
    ``tone_points``) and looked up by key (``rows``). :meth:`from_result` builds the
    same aggregates from an in-memory :class:`~framing.pipeline.Result`; the report
    functions accept either.
    """

    def __init__(self, folder, target: str | None = None, *, result=None):
        self.folder = folder
        self._result = result
        self._cache: dict = {}
        if result is not None:
            self.articles, self.scores, self.target = result.articles, result.scores, result.target
            return
        self.articles = _read_typed(folder, "articles")
        self.scores = _read_typed(folder, "scores")
        self.target = target or self._guess_target()

    @classmethod
    def from_result(cls, result) -> "Study":
        return cls(None, result=result)

    def _guess_target(self) -> str:
        common = None
        for chunk in read_chunks(self.folder, "sentences", ["countries", "target_mentioned"]):
            for codes in chunk.loc[chunk["target_mentioned"], "countries"].drop_duplicates():
                found = set(codes.split(";"))
                common = found if common is None else common & found
        if not common or len(common) != 1:
            raise ValueError(f"{self.folder}: cannot tell the target from sentences.csv; pass target=ISO3")
        return common.pop()

    def __len__(self) -> int:
        return len(self.articles)

    @property
    def handful(self) -> bool:
        """At most :data:`HANDFUL` articles: charts by article."""
        return len(self.articles) <= HANDFUL

    def _cached(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def _aggregate(self, name, columns, per_chunk, keys):
        if self._result is not None:
            return per_chunk(getattr(self._result, name))
        return _sum_chunks((per_chunk(c) for c in read_chunks(self.folder, name, columns)), keys)

    @property
    def mention_counts(self) -> pd.DataFrame:
        """``article_id, country, kind, n`` (see :func:`mention_counts`)."""
        return self._cached("mentions", lambda: self._aggregate(
            "mentions", ["article_id", "country", "kind"], mention_counts, ["article_id", "country", "kind"]))

    @property
    def wordings(self) -> pd.DataFrame:
        """``country, kind, wording, n`` over the corpus (see :func:`wording_counts`)."""
        return self._cached("wordings", lambda: self._aggregate(
            "mentions", ["country", "kind", "text"], wording_counts, ["country", "kind", "wording"]))

    @property
    def frames(self) -> pd.DataFrame:
        """``article_id, frame, against, favour, net`` (see :func:`frame_counts`)."""
        return self._cached("frames", lambda: self._aggregate(
            "cues", ["article_id", "frame", "value"], frame_counts, ["article_id", "frame"]))

    @property
    def sentence_lengths(self) -> pd.DataFrame:
        """``article_id, words, n``: how many sentences of each length each article has
        (for many articles, ``article_id`` is empty: one distribution for the corpus)."""
        def count(chunk):
            if not self.handful:
                chunk = chunk.assign(article_id="")
            return chunk.groupby(["article_id", "words"], sort=True).size().rename("n").reset_index()

        return self._cached("lengths", lambda: self._aggregate(
            "sentences", ["article_id", "words"], count, ["article_id", "words"]))

    def tone_points(self, limit: int = SAMPLE, tone_band: float = TONE_BAND,
                    stance_band: float = STANCE_BAND) -> tuple[pd.DataFrame, pd.Series]:
        """``(points, quadrants)``: the sentences that refer to the target with tone, stance
        and quadrant (:func:`tone_vs_stance`), at most ``limit`` of them (every k-th, in
        file order), and the count of every quadrant ('' = neutral band) and of
        disagreements over all of them."""
        def make():
            columns = ["article_id", "sentence_id", "text", "sentiment", "stance", "cues", "target_mentioned"]
            total = int(self.articles["target_sentences"].sum())
            step = max(1, -(-total // limit))
            kept, counts, seen = [], [], 0
            chunks = [self._result.sentences] if self._result is not None else \
                read_chunks(self.folder, "sentences", columns)
            for chunk in chunks:
                points = tone_vs_stance(chunk[columns], tone_band, stance_band)
                counts.append(points["quadrant"].value_counts())
                counts.append(pd.Series({"disagree": int(points["disagree"].sum())}))
                position = np.arange(seen, seen + len(points))
                kept.append(points[position % step == 0])
                seen += len(points)
            quadrants = pd.concat(counts).groupby(level=0).sum() if counts else pd.Series(dtype=int)
            quadrants = quadrants.sort_index().sort_values(ascending=False, kind="stable")
            return pd.concat(kept, ignore_index=True).head(limit), quadrants

        return self._cached(("tone", limit, tone_band, stance_band), make)

    def rows(self, name: str, keys: pd.DataFrame, columns=None) -> pd.DataFrame:
        """The rows of table ``name`` matching ``keys`` (e.g. ``article_id, sentence_id``)."""
        if self._result is not None:
            table = getattr(self._result, name)
            table = table if columns is None else table[columns]
            return table.merge(keys.drop_duplicates(), on=list(keys.columns), how="inner")
        return read_rows(self.folder, name, keys, columns)

    def result(self):
        """The whole :class:`~framing.pipeline.Result` (only for a handful of articles)."""
        if self._result is None:
            if not self.handful:
                raise ValueError(f"{len(self)} articles: read aggregates, not the whole result")
            self._result = load_results(self.folder, self.target)
        return self._result


def open_study(folder, target: str | None = None) -> Study:
    """The study scored into ``folder`` (see :class:`Study`)."""
    return Study(folder, target)


# ---------------------------------------------------------------------------- charts that fit the corpus

#: Most columns (outlets, genres) drawn by name; the rest are summed as "other".
TOP_GROUPS = 8
NOT_STATED = "not stated"


def parse_dates(dates: pd.Series) -> pd.Series:
    """ISO dates (``2024-03-05``, ``2024-03``, with or without a time); anything else is NaT."""
    text = dates.fillna("").astype(str).str.strip().str[:10]
    return pd.to_datetime(text.where(text.str.match(r"^\d{4}-\d{2}(-\d{2})?$"), None), errors="coerce",
                          format="ISO8601")


def period_unit(dates: pd.Series) -> str | None:
    """'month' when the dated articles span at most 24 months, else 'quarter'; None when
    fewer than two distinct months are dated."""
    parsed = parse_dates(dates).dropna()
    if parsed.empty:
        return None
    months = parsed.dt.year * 12 + parsed.dt.month
    if months.nunique() < 2:
        return None
    return "month" if months.max() - months.min() + 1 <= 24 else "quarter"


def period_labels(dates: pd.Series, unit: str) -> pd.Series:
    """'2024-03' (month) or '2024 Q1' (quarter) per date; 'undated' where there is none."""
    parsed = parse_dates(dates)
    if unit == "month":
        labels = parsed.dt.strftime("%Y-%m")
    else:
        labels = parsed.dt.year.astype("Int64").astype(str) + " Q" + parsed.dt.quarter.astype("Int64").astype(str)
    return labels.where(parsed.notna(), "undated")


def _stated(articles: pd.DataFrame, field: str) -> pd.Series:
    if field not in articles.columns:
        return pd.Series("", index=articles.index)
    return articles[field].fillna("").astype(str).str.strip()


def chart_plan(articles: pd.DataFrame) -> dict:
    """Which charts answer the notebooks' questions for this corpus.

    * ``handful``: at most :data:`HANDFUL` articles: the article x country views;
    * ``by``: otherwise the column the articles are grouped by: ``outlet`` when at least two
      outlets are stated, else ``genre`` (two or more stated), else ``period`` when
      dates exist, else None (the corpus as one column);
    * ``outlets``: many articles and two or more outlets: the per-outlet comparison;
    * ``period``: many articles with dates over two or more months: stance over time by
      ``month`` (span up to 24 months) or ``quarter``; else None.
    """
    handful = len(articles) <= HANDFUL
    outlets = not handful and _stated(articles, "outlet").replace("", np.nan).nunique() >= 2
    genres = not handful and _stated(articles, "genre").replace("", np.nan).nunique() >= 2
    period = None if handful or "date" not in articles.columns else period_unit(articles["date"])
    by = None if handful else "outlet" if outlets else "genre" if genres else "period" if period else None
    return {"handful": handful, "by": by, "outlets": bool(outlets), "period": period}


def article_groups(articles: pd.DataFrame, by: str | None = None, width: int | None = None,
                   top: int = TOP_GROUPS) -> pd.Series:
    """``article_id -> column label``: the article's label (``by=None``), its period
    (``by='period'``) or its value of the metadata field ``by`` ('not stated' when blank;
    beyond the ``top`` most frequent values, 'other')."""
    ids = articles["article_id"].to_numpy()
    if by is None:
        labels = pd.Series([article_label(row, width) for _, row in articles.iterrows()], index=ids)
        if labels.duplicated().any():  # two articles must never share a column
            labels = pd.Series([f"{label} ({i})" for label, i in zip(labels, ids)], index=ids)
        return labels
    if by == "all":
        return pd.Series("all articles", index=ids)
    if by == "period":
        unit = period_unit(articles["date"]) or "month"
        return pd.Series(period_labels(articles["date"], unit).to_numpy(), index=ids)
    values = _stated(articles, by).replace("", NOT_STATED)
    frequent = values[values != NOT_STATED].value_counts()
    frequent = frequent.sort_index().sort_values(ascending=False, kind="stable")
    keep = set(frequent.index[:top])
    values = values.where(values.isin(keep) | (values == NOT_STATED), OTHER)
    labels = values.to_numpy()
    if width:
        labels = np.array([textwrap.fill(v, width) for v in labels], dtype=object)
    return pd.Series(labels, index=ids)


def column_order(groups: pd.Series, articles: pd.DataFrame) -> list:
    """The columns of a chart by article (article order) or by group (sorted; 'other',
    'not stated' and 'undated' last)."""
    values = list(dict.fromkeys(groups[articles["article_id"]]))
    if len(values) == len(articles):
        return values
    last = {OTHER: 1, NOT_STATED: 2, "undated": 3}
    return sorted(values, key=lambda v: (last.get(v.replace("\n", " "), 0), v))


def top_countries(scores: pd.DataFrame, top: int = TOP_COUNTRIES) -> list[str]:
    """The ``top`` countries mentioned most often over the corpus (ties by name)."""
    totals = scores.groupby("country")["mentions"].sum()
    return sorted(totals.index, key=lambda c: (-totals[c], country_name(c)))[:top]


def _bootstrap_mean(weighted: np.ndarray, weights: np.ndarray, samples: int, seed: int):
    k = len(weights)
    if k < 2:
        return np.nan, np.nan
    rng = np.random.default_rng(seed)
    batch = max(1, min(samples, 1_000_000 // k))  # at most a million draws at once: memory stays flat
    means = []
    for start in range(0, samples, batch):
        index = rng.integers(0, k, size=(min(batch, samples - start), k))
        means.append(weighted[index].sum(axis=1) / weights[index].sum(axis=1))
    low, high = np.percentile(np.concatenate(means), [2.5, 97.5])
    return float(low), float(high)


def group_stance(result, by: str | None = "outlet", top: int = TOP_COUNTRIES, samples: int = 1000,
                 seed: int = 0, band: float | None = None) -> pd.DataFrame:
    """Stance toward the target per column (``by``, see :func:`article_groups`) and country.

    The ``top`` most mentioned countries keep their name, the rest are pooled as 'other'.
    A cell's stance is the mean over all its sentences (each article x country stance
    weighted by its number of sentences); its 95% interval is a percentile bootstrap over
    articles (``samples`` resamples, fixed ``seed``), since sentences of one article are not
    independent. Columns ``group, country, country_name, stance, stance_low, stance_high,
    stance_label, articles, sentences, rank`` (``rank``: the country's place by salience,
    'other' last); no interval for a one-article cell.
    """
    study = as_study(result)
    band = article_band() if band is None else band
    scores = study.scores[study.scores["target_sentences"] > 0]
    named = top_countries(study.scores, top)
    groups = article_groups(study.articles, by or "all")
    frame = pd.DataFrame({"article_id": scores["article_id"].to_numpy(),
                          "group": scores["article_id"].map(groups).to_numpy(),
                          "country": np.where(scores["country"].isin(named), scores["country"], OTHER),
                          "w": scores["target_sentences"].to_numpy(dtype=float)})
    frame["sw"] = scores["stance"].to_numpy(dtype=float) * frame["w"]
    per_article = frame.groupby(["group", "country", "article_id"], sort=True)[["sw", "w"]].sum()
    order = {c: i for i, c in enumerate(named + [OTHER])}
    group_order = {g: i for i, g in enumerate(column_order(groups, study.articles))}
    rows = []
    for (group, country), part in per_article.groupby(level=[0, 1], sort=False):
        sw, w = part["sw"].to_numpy(), part["w"].to_numpy()
        stance = float(sw.sum() / w.sum())
        low, high = _bootstrap_mean(sw, w, samples, seed)
        rows.append({"group": group, "country": country,
                     "country_name": country_name(country) if country != OTHER else "other countries",
                     "stance": stance, "stance_low": low, "stance_high": high,
                     "stance_label": "against" if stance < -band else "favour" if stance > band else "neutral",
                     "articles": len(part), "sentences": int(w.sum())})
    table = pd.DataFrame(rows, columns=["group", "country", "country_name", "stance", "stance_low", "stance_high",
                                        "stance_label", "articles", "sentences"])
    table["_g"], table["rank"] = table["group"].map(group_order), table["country"].map(order)
    return table.sort_values(["_g", "rank"], kind="stable").drop(columns="_g").reset_index(drop=True)


def group_matrix(table: pd.DataFrame):
    """Countries x columns from :func:`group_stance`: ``(values, labels)``, labels reading
    the stance and its number of sentences ('−0.32\\nn=1,204')."""
    columns = list(dict.fromkeys(table["group"]))
    ranked = table.sort_values("rank", kind="stable") if "rank" in table else table
    rows = list(dict.fromkeys(ranked["country_name"]))  # by salience, "other countries" last
    values = table.pivot(index="country_name", columns="group", values="stance").reindex(index=rows, columns=columns)
    labels = pd.DataFrame("", index=values.index, columns=values.columns)
    for _, r in table.iterrows():
        labels.at[r["country_name"], r["group"]] = f"{signed(r['stance'])}\nn={r['sentences']:,}"
    values.index.name = labels.index.name = "country"
    return values, labels


def _clear(table: pd.DataFrame):
    against = table[(table["stance_high"] < 0) & (table["stance_label"] == "against")]
    favour = table[(table["stance_low"] > 0) & (table["stance_label"] == "favour")]
    return against, favour


def group_finding(table: pd.DataFrame, target: str, by: str = "outlet") -> str:
    """'In 40 of 54 outlet–country cells the stance lies clearly against Russia; the most
    critical: Harbour Gazette on Venezuela (−0.45)'. Clearly = labelled so and the whole
    95% interval on that side of 0."""
    name = country_name(target)
    cells = table[table["stance_low"].notna()]
    against, favour = _clear(cells)
    if by in ("corpus", "all"):
        named = cells[cells["country"] != OTHER]
        against, favour = _clear(named)
        text = f"Over the corpus, stance lies clearly against {name} for {len(against):,} of {len(named):,} countries"
        if len(favour):
            text += f" and clearly in its favour for {len(favour):,}"
        if len(named):
            worst = named.sort_values(["stance", "country"], kind="stable").iloc[0]
            text += f"; most critical: {worst['country_name']} ({signed(worst['stance'])})"
        return text
    noun = {"outlet": "outlet", "genre": "genre", "period": "period"}.get(by, "group")
    text = (f"In {len(against):,} of {len(cells):,} {noun}–country cells the stance lies clearly "
            f"against {name}")
    if len(favour):
        text += f", in {len(favour):,} clearly in its favour"
    named = cells[cells["country"] != OTHER]
    if len(named):
        worst = named.sort_values(["stance", "group", "country"], kind="stable").iloc[0]
        best = named.sort_values(["stance", "group", "country"], ascending=[False, True, True], kind="stable").iloc[0]
        if worst["stance"] < 0:
            text += f"; most critical: {worst['group']} on {worst['country_name']} ({signed(worst['stance'])})"
        if best["stance"] > 0:
            text += f"; most favourable: {best['group']} on {best['country_name']} ({signed(best['stance'])})"
    return text


def time_finding(table: pd.DataFrame, target: str, unit: str = "month", band: float = 0.08) -> str:
    """The largest shift in stance between the first and the last period of a named
    country, from :func:`group_stance` with ``by='period'``; below ``band``, steady."""
    name = country_name(target)
    dated = table[(table["group"] != "undated") & (table["country"] != OTHER)]
    if "stance_low" in dated and dated["stance_low"].notna().any():
        dated = dated[dated["stance_low"].notna()]  # periods of two or more articles, when there are such
    shifts = []
    for country, part in dated.groupby("country", sort=True):
        part = part.sort_values("group")
        if len(part) >= 2:
            first, last = part.iloc[0], part.iloc[-1]
            shifts.append((abs(last["stance"] - first["stance"]), country, first, last))
    if not shifts:
        return f"Stance toward {name} by {unit}: too few dated articles to compare periods"
    size, country, first, last = max(shifts, key=lambda s: (s[0], s[1] == "", s[1]))
    if size < band:
        return (f"Stance toward {name} by {unit} holds steady: no leading country moves by {band:.2f} or more "
                f"between {first['group']} and {last['group']}")
    return (f"Stance toward {name} by {unit}: the largest shift is over {first['country_name']}, from "
            f"{signed(first['stance'])} in {first['group']} to {signed(last['stance'])} in {last['group']}")


# ---------------------------------------------------------------------------- exploring the evidence

#: Highlight colours (background) of the evidence viewer: target, other country, cue.
MARKS = {"target": "#F4A582", "country": "#92C5DE", "cue": "#FFE08A"}


def highlight(text: str, spans) -> str:
    """``text`` as HTML, with each span ``(start, end, kind)`` (offsets into ``text``) in a
    ``<mark>`` coloured by kind (:data:`MARKS`). Text is HTML-escaped; spans are drawn in
    order of start and a span overlapping an earlier one is dropped."""
    import html

    out, position = [], 0
    for start, end, kind in sorted((int(s), int(e), k) for s, e, k in spans):
        start, end = max(start, 0), min(end, len(text))
        if start < position or end <= start:
            continue
        out.append(html.escape(text[position:start]))
        colour = MARKS.get(kind, "#DDDDDD")
        out.append(f'<mark class="{html.escape(kind)}" style="background:{colour}">'
                   f"{html.escape(text[start:end])}</mark>")
        position = end
    out.append(html.escape(text[position:]))
    return "".join(out)


def evidence_sentences(result, article_id: str, country: str, limit: int = 50) -> pd.DataFrame:
    """The evidence sentences of one article and country, strongest first, with the HTML of
    each sentence (target, country and cues highlighted) and the ``why`` of its stance."""
    study = as_study(result)
    key = pd.DataFrame({"article_id": [article_id]})
    evidence = study.rows("evidence", key.assign(country=country),
                          ["article_id", "sentence_id", "country", "link", "stance", "stance_label", "why"])
    evidence = evidence.assign(strength=evidence["stance"].abs()).sort_values(
        ["strength", "sentence_id"], ascending=[False, True], kind="stable").head(limit)
    ids = evidence[["article_id", "sentence_id"]]
    sentences = study.rows("sentences", ids, ["article_id", "sentence_id", "start", "text"])
    mentions = study.rows("mentions", ids, ["article_id", "sentence_id", "start", "end", "country"])
    cues = study.rows("cues", ids, ["article_id", "sentence_id", "start", "end"])
    rows = []
    for _, unit in evidence.iterrows():
        sentence = sentences[sentences["sentence_id"] == unit["sentence_id"]].iloc[0]
        offset = int(sentence["start"])
        spans = [(m.start - offset, m.end - offset, "target" if m.country == study.target else "country")
                 for m in mentions[mentions["sentence_id"] == unit["sentence_id"]].itertuples()
                 if m.country in (study.target, country)]
        spans += [(c.start - offset, c.end - offset, "cue")
                  for c in cues[cues["sentence_id"] == unit["sentence_id"]].itertuples()]
        rows.append({"sentence": int(unit["sentence_id"]), "stance": float(unit["stance"]),
                     "label": unit["stance_label"], "link": unit["link"],
                     "html": highlight(sentence["text"], spans), "why": unit["why"]})
    return pd.DataFrame(rows, columns=["sentence", "stance", "label", "link", "html", "why"])


def evidence_html(result, article_id: str, country: str, limit: int = 50) -> str:
    """An HTML table of :func:`evidence_sentences` with a colour key, for the viewer."""
    import html

    study = as_study(result)
    table = evidence_sentences(study, article_id, country, limit)
    label = article_labels(study.articles[study.articles["article_id"] == article_id]).get(article_id, article_id)
    key = " ".join(f'<mark style="background:{MARKS[k]}">{html.escape(t)}</mark>' for k, t in
                   (("target", country_name(study.target)), ("country", country_name(country)), ("cue", "cue")))
    head = (f"<p><b>{html.escape(str(label))} · {html.escape(country_name(country))}</b>: "
            f"{len(table)} evidence sentence{'s' if len(table) != 1 else ''}, strongest first. Key: {key}</p>")
    rows = "".join(
        f'<tr><td style="text-align:right">{r.sentence}</td><td style="text-align:right">{signed(r.stance)}</td>'
        f'<td style="text-align:left">{r.html}</td><td style="text-align:left">{html.escape(r.why)}</td></tr>'
        for r in table.itertuples())
    return (head + '<table><thead><tr><th>sentence</th><th>stance</th><th style="text-align:left">text</th>'
            f'<th style="text-align:left">why</th></tr></thead><tbody>{rows}</tbody></table>')


def interactive() -> bool:
    """True in a live JupyterLab kernel: ``$FRAMING_INTERACTIVE`` = 1 (``make lab`` sets it)
    or, unless it is 0, a kernel started by a Jupyter server session (``$JPY_SESSION_NAME``).
    Headless runs (nbval, nbclient, papermill) get static output, stable for nbval."""
    import os

    setting = os.environ.get("FRAMING_INTERACTIVE", "")
    if setting in ("0", "1"):
        return setting == "1"
    return "JPY_SESSION_NAME" in os.environ


def show_table(table: pd.DataFrame, max_rows: int = SAMPLE):
    """Show ``table`` (at most ``max_rows`` rows): sortable and searchable with itables
    (offline, no CDN) in a live kernel, as the plain pandas table otherwise."""
    table = table.head(max_rows)
    if not interactive():
        return table
    import itables

    global _ITABLES_READY
    if not _ITABLES_READY:  # the offline DataTables bundle, once per kernel
        itables.init_notebook_mode(connected=False)
        _ITABLES_READY = True
    itables.show(table, connected=False, classes="display compact", maxBytes=0)
    return None


_ITABLES_READY = False


def evidence_viewer(result, article_id: str | None = None, country: str | None = None, max_articles: int = 500):
    """Pick an article and a country (ipywidgets dropdowns, in a live kernel) and see its
    evidence sentences highlighted with the ``why`` of each stance. Headless, shows the
    chosen (default: the strongest well-evidenced) cell as static HTML."""
    from IPython.display import HTML, display

    study = as_study(result)
    scores = study.scores[study.scores["target_sentences"] > 0]
    if scores.empty:
        display(HTML("<p>No article sets the target beside another country.</p>"))
        return
    if article_id is None or country is None:
        strongest = scores.assign(strength=scores["stance"].abs() * (scores["target_sentences"] >= 2))
        best = strongest.sort_values(["strength", "article_id", "country"], ascending=[False, True, True]).iloc[0]
        article_id, country = best["article_id"], best["country"]
    if not interactive():
        display(HTML(evidence_html(study, article_id, country)))
        return
    import ipywidgets as widgets

    counts = scores.groupby("article_id")["target_sentences"].sum()
    ids = sorted(counts.sort_values(ascending=False, kind="stable").index[:max_articles])
    labels = article_labels(study.articles[study.articles["article_id"].isin(ids)])
    article = widgets.Dropdown(options=[(labels[a], a) for a in ids], value=article_id, description="article")
    partner = widgets.Dropdown(description="country")
    out = widgets.Output()

    def countries_of(a):
        rows = scores[scores["article_id"] == a].sort_values("target_sentences", ascending=False, kind="stable")
        return [(f"{country_name(c)} (n={n})", c) for c, n in zip(rows["country"], rows["target_sentences"])]

    def render(*_):
        out.clear_output()
        with out:
            if partner.value:
                display(HTML(evidence_html(study, article.value, partner.value)))

    def on_article(*_):
        partner.options = countries_of(article.value)
        partner.value = partner.options[0][1] if partner.options else None

    partner.options = countries_of(article_id)
    partner.value = country
    article.observe(on_article, names="value")
    partner.observe(render, names="value")
    render()
    display(widgets.VBox([widgets.HBox([article, partner]), out]))


def openings(result, limit: int = HANDFUL) -> pd.DataFrame:
    """The first sentence of the first ``limit`` articles: ``article, text``."""
    study = as_study(result)
    ids = study.articles["article_id"].head(limit)
    first = study.rows("sentences", pd.DataFrame({"article_id": ids}), ["article_id", "sentence_id", "text"])
    first = first.sort_values(["article_id", "sentence_id"]).groupby("article_id").head(1)
    return first.assign(article=first["article_id"].map(article_labels(study.articles)))[["article", "text"]] \
        .set_index("article")
