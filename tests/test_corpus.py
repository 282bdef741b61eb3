import json
import warnings

import pandas as pd
import pytest

from framing.corpus import CorpusError, EmptyArticleWarning, load_corpus, normalise_text


def test_seeds_load_with_metadata(seeds_dir):
    articles = load_corpus(seeds_dir)
    assert list(articles["article_id"]) == sorted(p.stem for p in seeds_dir.glob("*.txt"))
    assert {"title", "outlet", "author", "date", "genre"} <= set(articles.columns)
    row = articles.set_index("article_id").loc["002_445668cc3e28de33"]
    assert row["date"] == "2026-01-15"
    # the text is exactly the file's, decoded
    raw = (seeds_dir / "000_14d0731b4b4fb936.txt").read_text(encoding="utf-8")
    assert articles.loc[0, "text"] == normalise_text(raw)


def test_bom_and_line_endings_are_normalised(tmp_path):
    (tmp_path / "a.txt").write_bytes("\ufeffOne.\r\nTwo.\rThree.\n".encode("utf-8"))
    text = load_corpus(tmp_path).loc[0, "text"]
    assert text == "One.\nTwo.\nThree.\n"


def test_jsonl_and_csv_corpora(tmp_path):
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in [
        {"id": "b", "text": "Iran.", "outlet": "X"}, {"id": "a", "text": "Cuba."}]), encoding="utf-8")
    articles = load_corpus(jsonl)
    assert list(articles["article_id"]) == ["a", "b"]
    assert articles.set_index("article_id").loc["b", "outlet"] == "X"
    csv_path = tmp_path / "c.csv"
    pd.DataFrame({"id": ["x"], "text": ["Line one.\r\nLine two."]}).to_csv(csv_path, index=False)
    assert load_corpus(csv_path).loc[0, "text"] == "Line one.\nLine two."


@pytest.mark.parametrize("content, message", [
    ({"a.txt": b"ok", "b.txt": b"abc\xff\xfe"}, "b.txt: not valid utf-8 at byte offset 3"),
    ({"a.txt": b"\x00\x01binary"}, "NUL byte at byte offset 0"),
])
def test_bad_bytes_name_file_and_offset(tmp_path, content, message):
    for name, data in content.items():
        (tmp_path / name).write_bytes(data)
    with pytest.raises(CorpusError, match=message):
        load_corpus(tmp_path)


def test_other_encoding_can_be_named(tmp_path):
    (tmp_path / "a.txt").write_bytes("Café in Moscow.".encode("latin-1"))
    assert load_corpus(tmp_path, encoding="latin-1").loc[0, "text"] == "Café in Moscow."


def test_missing_path_and_empty_corpus(tmp_path):
    with pytest.raises(CorpusError, match="no such file or folder"):
        load_corpus(tmp_path / "nope")
    with pytest.raises(CorpusError, match="no .txt articles"):
        load_corpus(tmp_path)


def test_duplicate_ids(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="duplicate article id 'a'"):
        load_corpus(path)


def test_empty_article_is_skipped_with_warning(tmp_path):
    (tmp_path / "a.txt").write_text("Russia.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("  \n\t", encoding="utf-8")
    with pytest.warns(EmptyArticleWarning, match="'b' is empty"):
        articles = load_corpus(tmp_path)
    assert list(articles["article_id"]) == ["a"]
    assert articles.attrs["skipped"] == ["b"]


@pytest.mark.parametrize("meta, message", [
    ("name,title\na,T\n", "no 'id' column"),
    ("id,title\nzzz,T\n", "'zzz' matches no article"),
    ("id,title\na,T,extra\n", "row 2 has 3 fields"),
])
def test_bad_metadata(tmp_path, meta, message):
    (tmp_path / "a.txt").write_text("Russia.", encoding="utf-8")
    (tmp_path / "metadata.csv").write_text(meta, encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        load_corpus(tmp_path)


@pytest.mark.parametrize("line, message", [
    ("{not json", "line 1 is not valid JSON"),
    ('{"id": "a"}', "line 1: missing the 'text' field"),
])
def test_bad_jsonl(tmp_path, line, message):
    path = tmp_path / "c.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        load_corpus(path)
