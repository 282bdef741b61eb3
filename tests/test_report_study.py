"""Notebooks read scored results to scale (framing.report.Study) and pick charts that fit."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from framing import report

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"


@pytest.fixture(scope="module")
def full():
    return report.load_results(RESULTS, target="RUS")


def test_chunked_aggregates_equal_the_in_memory_ones(full, monkeypatch):
    monkeypatch.setattr(report, "CHUNK", 7)  # many small chunks: the sums across chunks must add up
    chunked = report.Study(RESULTS, "RUS")
    memory = report.Study.from_result(full)
    for name in ("mention_counts", "wordings", "frames", "sentence_lengths"):
        a = getattr(chunked, name).reset_index(drop=True)
        b = getattr(memory, name).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=name)
    assert report.salience(chunked)[1].equals(report.salience(full)[1])
    assert report.kind_finding(chunked) == report.kind_finding(full)
    points, quadrants = chunked.tone_points()
    assert len(points) == int(full.sentences["target_mentioned"].sum())
    assert quadrants["disagree"] == int(report.tone_vs_stance(full)["disagree"].sum())


def test_study_guesses_the_target_and_keeps_a_handful_only(full):
    study = report.open_study(RESULTS)
    assert study.target == "RUS" and study.handful and len(study) == 5
    assert study.result().sentences.shape == full.sentences.shape


def test_tone_points_are_a_bounded_sample_but_counts_cover_all(monkeypatch):
    monkeypatch.setattr(report, "CHUNK", 10)
    study = report.Study(RESULTS, "RUS")
    points, quadrants = study.tone_points(limit=20)
    total = int(study.articles["target_sentences"].sum())
    assert len(points) <= 20
    assert int(quadrants.drop("disagree").sum()) == total


def test_rows_reads_only_the_keys(full):
    study = report.Study(RESULTS, "RUS")
    first = full.articles["article_id"].iloc[1]
    keys = pd.DataFrame({"article_id": [first, first], "sentence_id": [3, 5]})
    rows = study.rows("sentences", keys, ["article_id", "sentence_id", "text"])
    assert list(rows["sentence_id"]) == [3, 5]
    expected = full.sentences.set_index(["article_id", "sentence_id"]).loc[(first, 5), "text"]
    assert rows["text"].iloc[1] == expected


def test_highlight_escapes_html_and_marks_spans():
    text = 'He said <b>"Russia" & Iran</b>'
    html = report.highlight(text, [(12, 18, "target"), (22, 26, "country")])
    assert "<b>" not in html and "&lt;b&gt;" in html and "&amp;" in html
    assert '<mark class="target" style="background:#F4A582">Russia</mark>' in html
    assert '<mark class="country" style="background:#92C5DE">Iran</mark>' in html
    assert html.endswith("&lt;/b&gt;")


def test_highlight_drops_overlapping_and_empty_spans():
    html = report.highlight("Moscow and Kremlin", [(0, 6, "target"), (3, 10, "cue"), (11, 11, "cue")])
    assert html.count("<mark") == 1 and html.startswith('<mark class="target"')


def test_evidence_html_marks_target_country_and_cues(full):
    study = report.Study(RESULTS, "RUS")
    cell = full.scores.sort_values("target_sentences", ascending=False).iloc[0]
    html = report.evidence_html(study, cell["article_id"], cell["country"])
    assert 'class="target"' in html and 'class="country"' in html
    assert f"{int(cell['target_sentences'])} evidence sentences" in html


def _articles(n, outlets=(), dates=(), genres=()):
    table = pd.DataFrame({"article_id": [f"a{i:03d}" for i in range(n)], "words": 100})
    if outlets:
        table["outlet"] = [outlets[i % len(outlets)] for i in range(n)]
    if dates:
        table["date"] = [dates[i % len(dates)] for i in range(n)]
    if genres:
        table["genre"] = [genres[i % len(genres)] for i in range(n)]
    return table


def test_chart_plan_thresholds():
    assert report.chart_plan(_articles(report.HANDFUL, outlets=("A", "B")))["handful"]
    plan = report.chart_plan(_articles(report.HANDFUL + 1, outlets=("A", "B"), dates=("2024-01-05", "2024-03-01")))
    assert plan == {"handful": False, "by": "outlet", "outlets": True, "period": "month"}
    plan = report.chart_plan(_articles(40, genres=("news", "opinion"), dates=("2019-01-05", "2024-03-01")))
    assert plan == {"handful": False, "by": "genre", "outlets": False, "period": "quarter"}
    plan = report.chart_plan(_articles(40, outlets=("A",), dates=("2024-01-05", "not a date")))
    assert plan == {"handful": False, "by": None, "outlets": False, "period": None}


def test_period_labels_and_other_groups():
    dates = pd.Series(["2024-02-29", "2024-11", "", "2025-01-01T10:00"])
    assert list(report.period_labels(dates, "quarter")) == ["2024 Q1", "2024 Q4", "undated", "2025 Q1"]
    articles = _articles(6, outlets=("A", "A", "B", "B", "C", ""))
    groups = report.article_groups(articles, "outlet", top=2)
    assert list(groups) == ["A", "A", "B", "B", "other", "not stated"]
    assert report.column_order(groups, articles) == ["A", "B", "other", "not stated"]


class _Fake:
    def __init__(self, articles, scores, target="CHN"):
        self.articles, self.scores, self.target = articles, scores, target


def test_group_stance_weights_sentences_pools_other_and_resamples_articles():
    articles = _articles(4, outlets=("A", "A", "B", "B"))
    scores = pd.DataFrame({
        "article_id": ["a000", "a001", "a002", "a000", "a003"],
        "country": ["USA", "USA", "USA", "FRA", "DEU"],
        "mentions": [5, 5, 5, 1, 1], "target_sentences": [3, 1, 2, 1, 1],
        "stance": [-0.6, 0.2, 0.5, 0.1, -0.3]})
    study = report.Study(None, result=_Fake(articles, scores))
    table = report.group_stance(study, by="outlet", top=1, band=0.08).set_index(["group", "country"])
    a = table.loc[("A", "USA")]
    assert a["stance"] == pytest.approx((-0.6 * 3 + 0.2) / 4) and a["sentences"] == 4 and a["articles"] == 2
    assert -0.6 <= a["stance_low"] < a["stance_high"] <= 0.2
    assert np.isnan(table.loc[("B", "USA"), "stance_low"])  # one article: no interval
    assert table.loc[("A", "other"), "country_name"] == "other countries"
    assert list(table.index.get_level_values(0)) == ["A", "A", "B", "B"]
    again = report.group_stance(study, by="outlet", top=1, band=0.08).set_index(["group", "country"])
    pd.testing.assert_frame_equal(table, again)  # fixed seed: deterministic


def test_group_and_time_findings_name_the_target():
    table = pd.DataFrame({"group": ["A", "A", "B"], "country": ["USA", "FRA", "USA"],
                          "country_name": ["United States", "France", "United States"],
                          "stance": [-0.5, 0.4, -0.1], "stance_low": [-0.7, 0.2, -0.3],
                          "stance_high": [-0.3, 0.6, 0.1], "stance_label": ["against", "favour", "against"]})
    text = report.group_finding(table, "CHN", "outlet")
    assert text == ("In 1 of 3 outlet–country cells the stance lies clearly against China, in 1 clearly in its "
                    "favour; most critical: A on United States (−0.50); most favourable: A on France (+0.40)")
    periods = table.assign(group=["2024-01", "2024-01", "2024-03"], country=["USA", "FRA", "USA"])
    assert report.time_finding(periods, "CHN") == (
        "Stance toward China by month: the largest shift is over United States, from −0.50 in 2024-01 to "
        "−0.10 in 2024-03")
    assert "Russia" not in report.disagreement_finding(pd.Series({"": 3, "disagree": 1}), "CHN")


def test_static_tables_headless(monkeypatch):
    monkeypatch.setenv("FRAMING_INTERACTIVE", "0")
    monkeypatch.setenv("JPY_SESSION_NAME", "x.ipynb")
    assert not report.interactive()
    table = pd.DataFrame({"a": range(10)})
    assert report.show_table(table, max_rows=3).equals(table.head(3))
    monkeypatch.delenv("FRAMING_INTERACTIVE")
    assert report.interactive()


def test_time_finding_says_steady_when_nothing_moves():
    table = pd.DataFrame({"group": ["2024-01", "2024-02"], "country": ["USA", "USA"],
                          "country_name": ["United States"] * 2, "stance": [-0.30, -0.27]})
    assert report.time_finding(table, "IND", band=0.08) == (
        "Stance toward India by month holds steady: no leading country moves by 0.08 or more between "
        "2024-01 and 2024-02")


def test_length_finding_for_many_articles_and_missing_fields():
    articles = _articles(30, outlets=("A", "B"), dates=("2024-01-01",)).assign(words=[100 + i for i in range(30)])
    study = report.Study(None, result=_Fake(articles, pd.DataFrame(), "CHN"))
    assert report.length_finding(study) == "The articles run from 100 to 129 words; none states its author"


def test_overview_finding_for_groups_names_the_target():
    table = pd.DataFrame({"stance": [-0.2, 0.1], "tone (VADER)": [-0.05, 0.02]})
    text = report.overview_finding(_Fake(None, None, "TUR"), table, "outlet")
    assert text == ("Stance toward Turkey ranges from −0.20 to +0.10 across outlets, but their mean tone stays "
                    "between −0.05 and +0.02")


def test_corpus_finding_counts_named_countries_only():
    table = pd.DataFrame({"group": ["all articles"] * 3, "country": ["USA", "FRA", report.OTHER],
                          "country_name": ["United States", "France", "other countries"],
                          "stance": [-0.5, 0.4, -0.3], "stance_low": [-0.7, 0.2, -0.4],
                          "stance_high": [-0.3, 0.6, -0.2], "stance_label": ["against", "favour", "against"]})
    assert report.group_finding(table, "CHN", "corpus") == (
        "Over the corpus, stance lies clearly against China for 1 of 2 countries and clearly in its favour "
        "for 1; most critical: United States (−0.50)")


def test_frames_finding_without_frames_says_so():
    articles = pd.DataFrame({"article_id": ["a", "b"], "stance_label": ["against", "neutral"]})
    study = report.Study(None, result=_Fake(articles, pd.DataFrame(), "CHN"))
    study._cache["frames"] = pd.DataFrame(columns=["article_id", "frame", "against", "favour", "net"])
    assert report.frames_finding(study) == "No article labelled for or against China uses a frame cue"


def test_group_matrix_rows_by_salience_other_last():
    table = pd.DataFrame({"group": ["A", "A", "B"], "country": ["other", "USA", "FRA"],
                          "country_name": ["other countries", "United States", "France"],
                          "stance": [0.1, -0.2, 0.3], "sentences": [5, 1200, 2], "rank": [2, 0, 1]})
    values, labels = report.group_matrix(table)
    assert list(values.index) == ["United States", "France", "other countries"]
    assert list(values.columns) == ["A", "B"]
    assert labels.at["United States", "A"] == "−0.20\nn=1,200" and labels.at["France", "A"] == ""


def test_evidence_viewer_headless_shows_the_strongest_cell_as_html(full, monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    monkeypatch.setenv("FRAMING_INTERACTIVE", "0")
    study = report.Study(RESULTS, "RUS")
    report.evidence_viewer(study)
    assert len(shown) == 1
    html = shown[0].data
    scores = full.scores[full.scores["target_sentences"] >= 2]
    best = scores.loc[scores["stance"].abs().idxmax()]
    assert html == report.evidence_html(study, best["article_id"], best["country"])
    assert "<mark" in html and "ipywidgets" not in html


def test_overview_finding_when_groups_agree():
    table = pd.DataFrame({"stance": [-0.131, -0.129], "tone (VADER)": [-0.05, -0.04]})
    assert report.overview_finding(_Fake(None, None, "RUS"), table, "outlet") == (
        "Stance toward Russia is −0.13 in every outlet, and mean tone lies between −0.05 and −0.04")


def test_articles_never_share_a_column():
    articles = pd.DataFrame({"article_id": ["a_1", "a_2"], "outlet": ["Wire", "Wire"], "words": [10, 10]})
    groups = report.article_groups(articles)
    assert groups.nunique() == 2 and list(groups) == ["a Wire (a_1)", "a Wire (a_2)"]
