"""The vectorised paths of tokenize / countries / pipeline / aggregate / output / engine give
exactly what the plain computations they replaced gave.

The ``_plain_*`` functions below are the earlier implementations, kept here as references.
"""

from __future__ import annotations

import csv
import io
import sys

import numpy as np
import pandas as pd
import pytest

from framing import aggregate, countries, output, pipeline, tokenize
from framing.aggregate import ARTICLE_SCORE_COLUMNS, SCORE_COLUMNS, bootstrap_interval, bootstrap_intervals
from framing.stance import stance_label

# ---------------------------------------------------------------------------
# references: the plain computations


def _plain_article_country(sentences, mentions, evidence, target):
    keys = ["article_id", "country"]
    others = mentions[mentions["country"] != target]
    table = others.groupby(keys).size().rename("mentions").to_frame()
    tone = (
        others.drop_duplicates(["article_id", "sentence_id", "country"])
        .merge(sentences[["article_id", "sentence_id", "sentiment"]], on=["article_id", "sentence_id"])
        .groupby(keys)["sentiment"].mean()
    )
    grouped = evidence.groupby(keys)
    table["target_sentences"] = grouped.size().reindex(table.index, fill_value=0)
    table["stance"] = grouped["stance"].mean()
    intervals = {key: bootstrap_interval(values) for key, values in grouped["stance"]}
    table["stance_low"] = [intervals.get(key, (np.nan, np.nan))[0] for key in table.index]
    table["stance_high"] = [intervals.get(key, (np.nan, np.nan))[1] for key in table.index]
    table["stance_label"] = [stance_label(v) if not np.isnan(v) else "" for v in table["stance"]]
    table["target_sentiment"] = grouped["target_sentiment"].mean()
    table["sentiment"] = tone

    def strongest(evidence):
        ranked = evidence.assign(strength=evidence["stance"].abs()).sort_values(
            ["article_id", "country", "strength", "sentence_id"], ascending=[True, True, False, True],
            kind="stable")
        top = ranked.groupby(keys, sort=False).head(aggregate.TOP_EVIDENCE)
        return top.groupby(keys, sort=False)["sentence_id"].agg(lambda ids: ";".join(map(str, ids)))

    table["evidence"] = strongest(evidence).reindex(table.index).fillna("") if len(evidence) else ""
    links = {key: set(group["link"]) if "link" in group else {"named"} for key, group in grouped}
    table["link"] = pd.Series(["no shared sentence" if n == 0 else "named" if "named" in links[key] else "anaphora"
                               for key, n in zip(table.index, table["target_sentences"])], index=table.index, dtype=str)
    scores = table.reset_index()
    scores["target_sentences"] = scores["target_sentences"].astype("int64")
    scores["mentions"] = scores["mentions"].astype("int64")
    return scores[SCORE_COLUMNS].sort_values(keys, kind="stable").reset_index(drop=True)


def _plain_articles(articles, sentences, mentions, target):
    meta = articles.drop(columns="text")
    target_mentions = mentions[mentions["country"] == target].groupby("article_id").size()
    rows = []
    for article_id, group in sentences.groupby("article_id", sort=True):
        on_target = group.loc[group["target_mentioned"], "stance"]
        stance = float(on_target.mean()) if len(on_target) else np.nan
        low, high = bootstrap_interval(on_target.to_numpy())
        rows.append((article_id, int(group["words"].sum()), len(group),
                     int(target_mentions.get(article_id, 0)), len(on_target), stance, low, high,
                     stance_label(stance) if len(on_target) else "", float(group["sentiment"].mean())))
    table = pd.DataFrame(rows, columns=["article_id"] + ARTICLE_SCORE_COLUMNS)
    return meta.merge(table, on="article_id", how="left").sort_values("article_id").reset_index(drop=True)


def _plain_find_mentions(articles, sentences, matcher=None):
    matcher = matcher or countries.default_matcher()
    by_article = {}
    if len(sentences):
        sent = sentences.sort_values(["article_id", "start"], kind="stable")
        for aid, g in sent.groupby("article_id", sort=False):
            by_article[aid] = (g["start"].to_numpy(dtype=np.int64), g["end"].to_numpy(dtype=np.int64),
                               g["sentence_id"].to_numpy())
    cols = {c: [] for c in countries.MENTION_COLUMNS}
    for aid, text in zip(articles["article_id"], articles["text"]):
        if not isinstance(text, str) or not text:
            continue
        found = matcher.find(text)
        if not found:
            continue
        if aid not in by_article:
            raise ValueError(f"article {aid!r} has country mentions but no sentences")
        starts, ends, sids = by_article[aid]
        m_start = np.fromiter((f[0] for f in found), dtype=np.int64, count=len(found))
        idx = np.searchsorted(starts, m_start, side="right") - 1
        bad = (idx < 0) | (m_start >= ends[np.maximum(idx, 0)])
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            s, e = found[k][:2]
            raise ValueError(f"article {aid!r}: mention {text[s:e]!r} at {s} lies in no sentence")
        for (s, e, iso3, kind), sid in zip(found, sids[idx]):
            for c, v in zip(countries.MENTION_COLUMNS, (aid, sid, s, e, text[s:e], iso3, kind)):
                cols[c].append(v)
    out = pd.DataFrame({c: pd.Series(cols[c], dtype=np.int64 if c in ("sentence_id", "start", "end") else object)
                        for c in countries.MENTION_COLUMNS})
    if len(out):
        out = out.sort_values(["article_id", "start"], kind="stable").reset_index(drop=True)
    return out


def _plain_sentence_countries(sentences, mentions):
    # the sort/groupby/reindex computation the fast path replaced, kept in the package as
    # its fallback for ids that do not compare
    return pipeline._sentence_countries_pandas(sentences, mentions)


def _plain_csv(df):
    return df.to_csv(index=False, lineterminator="\n", float_format=output.FLOAT_FORMAT).encode("utf-8")


def _same_frame(a, b):
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert _plain_csv(a) == _plain_csv(b)


# ---------------------------------------------------------------------------
# bootstrap


def _check_groups(values, groups, ngroups):
    low, high = bootstrap_intervals(values, groups, ngroups)
    values, groups = np.asarray(values, dtype=float), np.asarray(groups)
    for g in range(ngroups):
        ref = bootstrap_interval(values[groups == g])
        got = (low[g], high[g])
        assert np.array_equal(np.array(got), np.array(ref), equal_nan=True), (g, got, ref)
        if not np.isnan(ref[0]):
            assert np.signbit(got[0]) == np.signbit(ref[0])


def test_bootstrap_intervals_edge_cases():
    nan = np.nan
    values = [0.5, nan, nan, 0.3, 0.3, -0.0, 0.0, 0.2, nan, 0.7, -0.4, 0.1, 0.9, 0.25, 0.25, 0.25]
    groups = [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 7]
    # 0: one value; 1: only NaN; 2: all equal; 3: -0.0 and 0.0 (equal); 4: one value and NaN;
    # 5 and 6: two different values (same size: resampled together); 7: three equal; 8: empty
    _check_groups(values, groups, 9)
    low, high = bootstrap_intervals([], [], 3)
    assert np.isnan(low).all() and np.isnan(high).all()
    # rows without a group (negative code) are ignored
    low, high = bootstrap_intervals([0.1, 5.0, 0.3], [0, -1, 0], 1)
    assert (low[0], high[0]) == bootstrap_interval([0.1, 0.3])


@pytest.mark.parametrize("sizes", [[2, 3, 2, 5, 2, 3], [9, 9, 17, 130, 1, 64], list(range(1, 40)),
                                   [136, 200, 257, 300]])
def test_bootstrap_intervals_match_one_group_at_a_time(sizes):
    rng = np.random.default_rng(len(sizes))
    groups = np.repeat(np.arange(len(sizes)), sizes)
    rng.shuffle(groups)  # a group's rows need not be adjacent: row order within a group counts
    values = np.round(rng.uniform(-1, 1, len(groups)), rng.integers(1, 6))
    values[rng.random(len(values)) < 0.1] = np.nan
    _check_groups(values, groups, len(sizes) + 1)


def test_bootstrap_intervals_in_small_chunks(monkeypatch):
    monkeypatch.setattr(aggregate, "_CHUNK_VALUES", 1)  # one group per numpy call
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(12), 4)
    _check_groups(rng.normal(size=48), groups, 12)


def test_pairwise_sum_is_numpys_row_mean():
    """(_pairwise_sum + 0.0) / n is bit for bit numpy's mean of each row, signed zeros included."""
    rng = np.random.default_rng(9)
    for n in list(range(1, 140)) + [255, 256, 257, 1000, 1031]:
        for values in (rng.normal(size=(60, n)) * 10.0 ** rng.integers(-8, 8, size=(60, n)),
                       rng.choice([-0.0, 0.0, 1e-300, -1e-300, 1.0, 1e16, -1e16, 0.1], size=(60, n))):
            columns = np.ascontiguousarray(values.T)
            got = (aggregate._pairwise_sum(lambda j: columns[j], 0, n) + 0.0) / n
            assert np.array_equal(got.view(np.int64), values.mean(axis=1).view(np.int64)), n


def test_bootstrap_intervals_with_zeros_of_both_signs():
    values = [-0.0, 0.5, -0.0, -0.0, 0.0, 0.25, -0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    _check_groups(values, [0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], 3)


def test_nanmean_is_pandas_mean():
    rng = np.random.default_rng(5)
    cases = [np.array([]), np.array([np.nan]), np.array([np.nan, np.nan]), np.array([0.1, np.nan, 0.2]),
             rng.normal(size=7), rng.normal(size=300), np.where(rng.random(1000) < 0.3, np.nan, rng.normal(size=1000))]
    for values in cases:
        expected = float(pd.Series(values, dtype=float).mean())
        got = aggregate._nanmean(values)
        assert (np.isnan(got) and np.isnan(expected)) or got == expected


# ---------------------------------------------------------------------------
# article_country and articles


def _scored_tables(seed, n_articles=12, target="RUS"):
    """Random sentences / mentions / evidence shaped like score.score's output."""
    rng = np.random.default_rng(seed)
    codes = ["RUS", "USA", "CHN", "IRN", "UKR"]
    srows, mrows, erows = [], [], []
    for a in range(n_articles):
        aid = f"a{a:03d}"
        n_sent = int(rng.integers(1, 12))
        for sid in range(n_sent):
            present = sorted(set(rng.choice(codes, size=int(rng.integers(0, 4))).tolist()))
            on_target = target in present
            stance = np.nan if not on_target or rng.random() < 0.15 else float(rng.choice([-0.5, 0.0, 0.25, rng.uniform(-1, 1)]))
            sentiment = float(rng.uniform(-1, 1)) if rng.random() > 0.05 else np.nan
            srows.append((aid, sid, int(rng.integers(1, 30)), on_target, sentiment,
                          float(rng.uniform(-1, 1)) if on_target else np.nan, stance))
            for code in present:
                for _ in range(int(rng.integers(1, 3))):
                    mrows.append((aid, sid, code))
                if on_target and code != target:
                    erows.append((aid, sid, code, stance, float(rng.uniform(-1, 1)), sentiment))
    sentences = pd.DataFrame(srows, columns=["article_id", "sentence_id", "words", "target_mentioned",
                                             "sentiment", "target_sentiment", "stance"])
    sentences["article_id"] = sentences["article_id"].astype(object)
    mentions = pd.DataFrame(mrows, columns=["article_id", "sentence_id", "country"]).astype(
        {"article_id": object, "country": object})
    evidence = pd.DataFrame(erows, columns=["article_id", "sentence_id", "country", "stance",
                                            "target_sentiment", "sentiment"])
    evidence["article_id"] = evidence["article_id"].astype(object)
    articles = pd.DataFrame({"article_id": [f"a{a:03d}" for a in range(n_articles + 2)],  # two without sentences
                             "text": "x", "outlet": "o"})
    return articles, sentences, mentions, evidence


@pytest.mark.parametrize("seed", range(6))
def test_article_country_matches_plain(seed):
    articles, sentences, mentions, evidence = _scored_tables(seed)
    _same_frame(aggregate.article_country(sentences, mentions, evidence, "RUS"),
                _plain_article_country(sentences, mentions, evidence, "RUS"))


def test_article_country_without_evidence():
    articles, sentences, mentions, evidence = _scored_tables(1)
    empty = evidence.iloc[:0]
    _same_frame(aggregate.article_country(sentences, mentions, empty, "RUS"),
                _plain_article_country(sentences, mentions, empty, "RUS"))
    nan_stance = evidence.assign(stance=np.nan)
    _same_frame(aggregate.article_country(sentences, mentions, nan_stance, "RUS"),
                _plain_article_country(sentences, mentions, nan_stance, "RUS"))


def test_article_country_edge_cases():
    articles, sentences, mentions, evidence = _scored_tables(4)
    only_target = mentions[mentions["country"] == "RUS"]
    _same_frame(aggregate.article_country(sentences, only_target, evidence.iloc[:0], "RUS"),
                _plain_article_country(sentences, only_target, evidence.iloc[:0], "RUS"))
    # mentions of sentences that are not in the sentence table (the inner merge drops them)
    fewer = sentences[sentences["sentence_id"] != 0]
    _same_frame(aggregate.article_country(fewer, mentions, evidence, "RUS"),
                _plain_article_country(fewer, mentions, evidence, "RUS"))
    # duplicate sentence keys: the merge repeats rows
    doubled = pd.concat([sentences, sentences.iloc[:5]], ignore_index=True)
    _same_frame(aggregate.article_country(doubled, mentions, evidence, "RUS"),
                _plain_article_country(doubled, mentions, evidence, "RUS"))


def test_article_country_with_missing_keys_uses_the_pandas_ranking():
    articles, sentences, mentions, evidence = _scored_tables(2)
    evidence = evidence.astype({"country": object})
    evidence.loc[evidence.index[:3], "country"] = np.nan
    assert aggregate._strongest_ids(evidence) is None
    _same_frame(aggregate.article_country(sentences, mentions, evidence, "RUS"),
                _plain_article_country(sentences, mentions, evidence, "RUS"))


@pytest.mark.parametrize("seed", range(6))
def test_articles_match_plain(seed):
    articles, sentences, mentions, _ = _scored_tables(seed)
    _same_frame(aggregate.articles(articles, sentences, mentions, "RUS"),
                _plain_articles(articles, sentences, mentions, "RUS"))
    # no sentence on the target at all, and shuffled rows
    off = sentences.assign(target_mentioned=False).sample(frac=1, random_state=seed)
    _same_frame(aggregate.articles(articles, off, mentions, "RUS"),
                _plain_articles(articles, off, mentions, "RUS"))
    nan_stance = sentences.assign(stance=np.nan, sentiment=np.nan)
    _same_frame(aggregate.articles(articles, nan_stance, mentions, "RUS"),
                _plain_articles(articles, nan_stance, mentions, "RUS"))


# ---------------------------------------------------------------------------
# find_mentions and the countries column

TEXTS = [
    "Russia and the U.S. met in Geneva. Putin spoke.\nThe Kremlin said nothing. 🇺🇦 flags flew.",
    "No country here at all.",
    "Mr. Biden visited Kyiv, Ukraine. Then China replied; Beijing and Moscow agreed. Russia, Russia.",
    "Iranian drones hit Ukrainian towns.\n\nThe United States and Russia talked.",
]


def _articles(ids, texts):
    return pd.DataFrame({"article_id": ids, "text": texts})


@pytest.mark.parametrize("ids", [["a1", "a2", "a3", "a4"], ["z", "b", "m", "a"], ["a", "a", "b", "c"]])
def test_find_mentions_matches_plain(ids):
    articles = _articles(ids, TEXTS)
    sentences = tokenize.sentences(articles)
    for sent in (sentences, sentences.sample(frac=1, random_state=0)):
        try:
            expected = _plain_find_mentions(articles, sent)
        except ValueError as exc:  # duplicate ids mix two articles' sentences: the same error
            assert _error(countries.find_mentions, articles, sent) == str(exc)
            continue
        _same_frame(countries.find_mentions(articles, sent), expected)
    # duplicate ids whose texts do not clash
    twice = _articles(["b", "a", "b"], [TEXTS[2], TEXTS[0], TEXTS[2]])
    sent = tokenize.sentences(twice)
    _same_frame(countries.find_mentions(twice, sent), _plain_find_mentions(twice, sent))


def test_find_mentions_empty_and_missing_text():
    articles = _articles(["a", "b", "c"], ["", None, "Nothing."])
    sentences = tokenize.sentences(articles.iloc[2:])
    _same_frame(countries.find_mentions(articles, sentences), _plain_find_mentions(articles, sentences))
    none = sentences.iloc[:0]
    _same_frame(countries.find_mentions(articles.iloc[2:], none), _plain_find_mentions(articles.iloc[2:], none))


def _error(fn, *args):
    with pytest.raises(ValueError) as info:
        fn(*args)
    return str(info.value)


def test_find_mentions_errors_match_plain():
    articles = _articles(["a", "b", "c"], ["Nothing here.", "Russia is big. China too.", "Iran and Iraq."])
    sentences = tokenize.sentences(articles)
    # article c has mentions but no sentences; b's second sentence is missing
    cases = [sentences[sentences["article_id"] != "c"],
             sentences[~((sentences["article_id"] == "b") & (sentences["sentence_id"] == 1))],
             sentences.assign(start=sentences["start"] + 1),
             sentences.iloc[:0]]
    for sent in cases:
        assert _error(countries.find_mentions, articles, sent) == _error(_plain_find_mentions, articles, sent)


def test_sentence_countries_matches_plain():
    articles = _articles(["a2", "a1", "a3", "a4"], TEXTS)
    sentences = tokenize.sentences(articles)
    mentions = countries.find_mentions(articles, sentences)
    got = pipeline._sentence_countries(sentences, mentions)
    assert got.dtype == object and got.tolist() == _plain_sentence_countries(sentences, mentions).tolist()
    sentences["countries"] = got
    ref = sentences.copy()
    ref["countries"] = _plain_sentence_countries(sentences, mentions)
    _same_frame(sentences, ref)
    assert pipeline._sentence_countries(sentences, mentions.iloc[:0]).tolist() == [""] * len(sentences)


def test_matcher_regex_matches_the_plain_pattern():
    """The first-character-class regex finds the same spans and kinds as the plain one."""
    import re

    m = countries.default_matcher()
    plain = re.compile("(?P<flag>[\U0001F1E6-\U0001F1FF]{2})|(?<!\\w)(?P<alias>"
                       + countries._trie_regex(sorted(m.lookup)) + ")(?!\\w)")
    rng = np.random.default_rng(2)
    aliases = sorted(m.lookup)
    pieces = aliases + [" ", "  ", "x", "'s", "-", ".", "\n", "é", "1", "_", "\u00a0", "’",
                        "\U0001F1F7", "\U0001F1FA", "\U0001F1FA\U0001F1F8", "(", "Ab", "a"]
    texts = TEXTS + ["".join(rng.choice(pieces, size=int(rng.integers(1, 30)))) for _ in range(3000)]
    for text in texts:
        assert ([(x.span(), x.lastgroup) for x in m.regex.finditer(text)]
                == [(x.span(), x.lastgroup) for x in plain.finditer(text)]), text
    small = countries.CountryMatcher(pd.DataFrame({"alias": ["'Bama", "A", "Ab C", "US"],
                                                   "iso3": ["USA", "AUT", "BEL", "USA"],
                                                   "kind": ["name"] * 4}))
    plain = re.compile("(?P<flag>[\U0001F1E6-\U0001F1FF]{2})|(?<!\\w)(?P<alias>"
                       + countries._trie_regex(sorted(small.lookup)) + ")(?!\\w)")
    for text in ["’Bama and 'Bama, A Ab C Ab\u00a0C AbC xA A_ US", "\U0001F1FA\U0001F1F8 A"]:
        assert ([(x.span(), x.lastgroup) for x in small.regex.finditer(text)]
                == [(x.span(), x.lastgroup) for x in plain.finditer(text)]), text


def test_count_words_matches_a_count_of_matches():
    for text in TEXTS + ["", "U.S.-backed S-300 don't 3.5 -- a-b-c", "’’ x'y"]:
        assert tokenize.count_words(text) == sum(1 for _ in tokenize._WORD.finditer(text))


# ---------------------------------------------------------------------------
# CSV bytes


def test_csv_special_characters_are_ascii():
    """csv.writer quotes a field only for ASCII characters, which output._specials probes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    found = []
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code < 0xE000:
            continue
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([f"a{chr(code)}b", "x"])
        if buffer.getvalue() != f"a{chr(code)}b,x\n":
            found.append(chr(code))
    assert "".join(found) == output._specials()


def _frames():
    nan = np.nan
    floats = [0.0, -0.0, 1e-5, -1e-5, 0.00005, -0.00005, 0.12345, 2.5e10, nan, np.inf, -np.inf, 1 / 3]
    n = len(floats)
    texts = ["plain", 'say "hi"', "a,b", "line\nbreak", "cr\rhere", "", " lead", "trail ", "ünï ☃ 🇷🇺",
             '"', ",", "\n"]
    yield pd.DataFrame({
        "f": floats,
        "i": np.arange(n, dtype=np.int64) - 5,
        "u": np.arange(n, dtype=np.uint8),
        "b": [True, False] * (n // 2),
        "o": pd.Series(texts, dtype=object),
        "s": pd.Series(texts, dtype="str"),
        "on": pd.Series(["x", None, nan, "y"] * (n // 4), dtype=object),
        "sn": pd.Series(["x", None, "z", "y"] * (n // 4), dtype="str"),
    })
    yield pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=object)})
    yield pd.DataFrame({"only": ["", "x", None]})  # one column: csv writes "" for an empty field
    yield pd.DataFrame({"a": [1, 2], "b": pd.Series([1.5, "x"], dtype=object)})  # non-text object
    yield pd.DataFrame({"a": [1, 2], "b": pd.Categorical(["x", "y"])})
    yield pd.DataFrame({"a": [1.0, 2.0], "b": np.array([1.5, 2.25], dtype=np.float32)})
    yield pd.DataFrame({1: [1, 2], "b,c": ["x", "y"]})
    yield pd.DataFrame({'q"': [1, 2], "b,c": ["x", "y"]})
    yield pd.DataFrame({"a": pd.array([1, None], dtype="Int64"), "b": ["x", "y"]})
    yield pd.DataFrame({"d": pd.to_datetime(["2024-01-01", None]), "b": ["x", "y"]})


@pytest.mark.parametrize("frame", list(_frames()), ids=lambda f: ",".join(map(str, f.columns)))
def test_csv_bytes_match_to_csv(frame):
    assert output.csv_bytes(frame) == _plain_csv(frame)


def test_csv_bytes_match_to_csv_on_random_text():
    rng = np.random.default_rng(11)
    alphabet = list('ab ,"\n\r\t;\'xé€🇺') + ["\u2028", "\x00"]
    texts = ["".join(rng.choice(alphabet, size=int(rng.integers(0, 8)))) for _ in range(2000)]
    floats = rng.normal(scale=10.0 ** rng.integers(-6, 6, 2000))
    floats[rng.random(2000) < 0.1] = np.nan
    frame = pd.DataFrame({"t": texts, "f": floats, "o": pd.Series(texts, dtype=object)})
    assert output.csv_bytes(frame) == _plain_csv(frame)


def test_score_batch_row_counts(seeds_dir):
    from framing.corpus import load_corpus
    from framing.engine import score_batch

    articles = load_corpus(seeds_dir).iloc[:3]
    batch = score_batch(articles, "RUS")
    result = pipeline.analyze(articles.sort_values("article_id", kind="stable").reset_index(drop=True), "RUS")
    for name, table in result.tables().items():
        sizes = table.groupby("article_id", sort=False).size()
        assert batch.rows_per_article[name] == [int(sizes.get(a, 0)) for a in batch.article_ids]
        assert batch.headers[name] + batch.bodies[name] == _plain_csv(table)
