"""The stance-corpus loader accepts a well-formed corpus and names the file and row of each problem."""
import json
import shutil

import pytest

from framing.labels import StanceCorpusError, load_stance_corpus

ARTICLES = [
    {"id": "a1", "text": "Russia sends wheat to Syria\n\nMoscow delivered grain to Damascus on Monday. "
             "Officials in Beirut said nothing.", "outlet": "Test Wire", "genre": "wire",
     "date": "2020-01-02", "targets": "RUS", "split": "train", "topic": "aid"},
    {"id": "a2", "text": "Beijing and Ankara in talks\n\nChina praised Turkey for its mediation.",
     "outlet": "Test Daily", "genre": "analysis", "date": "", "targets": "CHN;TUR", "split": "test"},
]
UNITS = """article_id,sentence_id,sentence,target,country,coder,stance
a1,0,Russia sends wheat to Syria,RUS,SYR,w,1
a1,0,Russia sends wheat to Syria,RUS,SYR,r,1
a1,0,Russia sends wheat to Syria,RUS,SYR,gold,1
a1,1,Moscow delivered grain to Damascus on Monday.,RUS,SYR,w,1
a1,1,Moscow delivered grain to Damascus on Monday.,RUS,SYR,r,0
a1,1,Moscow delivered grain to Damascus on Monday.,RUS,SYR,gold,1
a2,1,China praised Turkey for its mediation.,CHN,TUR,w,0
a2,1,China praised Turkey for its mediation.,CHN,TUR,gold,0
a2,1,China praised Turkey for its mediation.,TUR,CHN,w,2
a2,1,China praised Turkey for its mediation.,TUR,CHN,gold,2
"""
ARTICLE_LABELS = """article_id,target,country,coder,stance
a1,RUS,,w,1
a1,RUS,,gold,1
a1,RUS,SYR,gold,1
a2,CHN,,gold,0
a2,TUR,,gold,1
"""


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "stance"
    root.mkdir()
    (root / "articles.jsonl").write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    (root / "unit_labels.csv").write_text(UNITS, encoding="utf-8")
    (root / "article_labels.csv").write_text(ARTICLE_LABELS, encoding="utf-8")
    (root / "unit_tags.csv").write_text("article_id,sentence_id,target,country,tags\n"
                                        "a1,1,RUS,SYR,target_alias\n", encoding="utf-8")
    return root


def test_well_formed_corpus_loads(corpus):
    c = load_stance_corpus(corpus)
    assert len(c.articles) == 2 and len(c.units) == 10 and len(c.article_labels) == 5
    gold = c.gold_units()
    assert len(gold) == 4
    assert gold.set_index(["article_id", "sentence_id", "target"]).loc[("a2", 1, "TUR"), "label"] == "favour"
    assert gold.loc[(gold.article_id == "a1") & (gold.sentence_id == 1), "tags"].item() == "target_alias"
    assert c.coders() == ["w", "r"]
    assert set(gold["split"]) == {"train", "test"}


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("file, old, new, message", [
    ("unit_labels.csv", "a1,1,Moscow delivered grain to Damascus on Monday.,RUS,SYR,r,0",
     "a1,1,Moscow delivered grain to Damascus on Monday.,RUS,SYQ,r,0", r"unit_labels.csv:6: unknown country 'SYQ'"),
    ("unit_labels.csv", "a2,1,China praised Turkey for its mediation.,CHN,TUR,w,0",
     "a2,1,China praised Turkey for its mediation.,CHN,TUR,w,3", r"unit_labels.csv:8: stance '3' is not an integer in -2..2"),
    ("unit_labels.csv", "a2,1,China praised Turkey for its mediation.,CHN,TUR,w,0",
     "a2,1,China praised Turkey for its mediation.,CHN,TUR,w,-1.5", r"unit_labels.csv:8: stance '-1.5'"),
    ("unit_labels.csv", "a1,0,Russia sends wheat to Syria,RUS,SYR,r,1",
     "a1,0,Russia sends wheat to Syria,RUS,SYR,w,1", r"unit_labels.csv:3: duplicate unit label"),
    ("unit_labels.csv", "a2,1,China praised Turkey for its mediation.,TUR,CHN,gold,2\n", "",
     r"unit_labels.csv:10: no gold row for \(article_id=a2, sentence_id=1, target=TUR, country=CHN\)"),
    ("unit_labels.csv", "a1,1,Moscow delivered grain to Damascus on Monday.,RUS,SYR,w,1",
     "a1,2,Moscow delivered grain to Damascus on Monday.,RUS,SYR,w,1",
     r"unit_labels.csv:5: sentence a1:2 no longer matches framing's sentence split"),
    ("unit_labels.csv", "a1,1,Moscow delivered grain to Damascus on Monday.,RUS,SYR,w,1",
     "a1,9,Moscow delivered grain to Damascus on Monday.,RUS,SYR,w,1",
     r"unit_labels.csv:5: article 'a1' has no sentence 9"),
    ("unit_labels.csv", "a1,0,Russia sends wheat to Syria,RUS,SYR,w,1",
     "a1,0,Russia sends wheat to Syria,SYR,RUS,w,1", r"unit_labels.csv:2: SYR is not a target of article 'a1'"),
    ("unit_labels.csv", "a1,0,Russia sends wheat to Syria,RUS,SYR,w,1",
     "a9,0,Russia sends wheat to Syria,RUS,SYR,w,1", r"unit_labels.csv:2: article 'a9' is not in articles.jsonl"),
    ("unit_labels.csv", "coder,stance", "who,stance", r"unit_labels.csv: missing column\(s\) coder"),
    ("article_labels.csv", "a1,RUS,SYR,gold,1", "a1,RUS,SYR,gold,7", r"article_labels.csv:4: stance '7'"),
    ("article_labels.csv", "a1,RUS,SYR,gold,1", "a1,RUS,XXX,gold,1", r"article_labels.csv:4: unknown country 'XXX'"),
    ("article_labels.csv", "a1,RUS,SYR,gold,1", "a1,RUS,SYR,w,1",
     r"article_labels.csv:4: no gold row for \(article_id=a1, target=RUS, country=SYR\)"),
    ("article_labels.csv", "a2,TUR,,gold,1", "a2,CHN,,gold,1", r"article_labels.csv:6: duplicate article label"),
    ("articles.jsonl", '"targets": "RUS"', '"targets": "RUX"', r"articles.jsonl:1: unknown target 'RUX'"),
    ("articles.jsonl", '"genre": "analysis"', '"genre": "blog"', r"articles.jsonl:2: genre 'blog'"),
    ("articles.jsonl", '"split": "test"', '"split": "final"', r"articles.jsonl:2: split 'final'"),
    ("articles.jsonl", '"id": "a2"', '"id": "a1"', r"articles.jsonl:2: duplicate id 'a1'"),
    ("articles.jsonl", '"date": "2020-01-02"', '"date": "2 Jan 2020"', r"articles.jsonl:1: date '2 Jan 2020'"),
    ("articles.jsonl", '"outlet": "Test Daily", ', '', r"articles.jsonl:2: missing field\(s\) outlet"),
    ("unit_tags.csv", "a1,1,RUS,SYR", "a1,0,RUS,IRN", r"unit_tags.csv:2: tags for a unit that has no label"),
])
def test_bad_corpus_is_rejected_naming_file_and_row(corpus, file, old, new, message):
    _edit(corpus / file, old, new)
    with pytest.raises(StanceCorpusError, match=message):
        load_stance_corpus(corpus)


def test_changed_sentence_text_is_rejected(corpus):
    _edit(corpus / "articles.jsonl", "Moscow delivered grain", "Moscow shipped grain")
    with pytest.raises(StanceCorpusError, match=r"unit_labels.csv:5: sentence a1:1 no longer matches"):
        load_stance_corpus(corpus)


def test_missing_files_and_folders(tmp_path, corpus):
    with pytest.raises(StanceCorpusError, match="not a folder"):
        load_stance_corpus(tmp_path / "nowhere")
    (corpus / "article_labels.csv").unlink()
    with pytest.raises(StanceCorpusError, match="article_labels.csv: missing"):
        load_stance_corpus(corpus)
    empty = tmp_path / "empty"
    shutil.copytree(corpus, empty)
    (empty / "articles.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(StanceCorpusError, match="articles.jsonl: no articles"):
        load_stance_corpus(empty)
    (empty / "articles.jsonl").write_text("{not json\n", encoding="utf-8")
    with pytest.raises(StanceCorpusError, match="articles.jsonl:1: not valid JSON"):
        load_stance_corpus(empty)


def test_empty_unit_file_is_rejected(corpus):
    (corpus / "unit_labels.csv").write_text("", encoding="utf-8")
    with pytest.raises(StanceCorpusError, match="unit_labels.csv: empty file"):
        load_stance_corpus(corpus)
