"""CSV and JSON Lines corpora are read one line at a time, with the same result as reading
the whole file."""

from pathlib import Path

import pytest

from framing import corpus
from framing.corpus import CorpusError, iter_articles


def _no_whole_file_reads(monkeypatch):
    def refuse(self):
        raise AssertionError(f"{self} was read whole")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    monkeypatch.setattr(Path, "read_text", refuse)


def test_csv_is_read_line_by_line(tmp_path, monkeypatch):
    path = tmp_path / "c.csv"
    path.write_bytes(b'\xef\xbb\xbfid,text,source\r\n'
                     b'a1,"Russia left Syria.\r\nA second line, quoted",wire\r\n'
                     b'a2,Iran waits.,"x ""y"""\n'
                     b'a3,"first line\n\xef\xbb\xbfsecond line",z\r')
    _no_whole_file_reads(monkeypatch)
    articles = list(iter_articles(path))
    assert [a["article_id"] for a in articles] == ["a1", "a2", "a3"]
    assert articles[0]["text"] == "Russia left Syria.\nA second line, quoted"
    assert articles[1]["source"] == 'x "y"'
    # only the file's first character is a byte order mark; at the start of a later line
    # U+FEFF is text and stays
    assert articles[2]["text"] == "first line\n\ufeffsecond line"


def test_csv_line_reading_matches_whole_file_reading(tmp_path):
    import csv
    import io

    rows = [("id", "text", "note")] + [(f"n{i}", f"Line {i}\r\nwith, comma and \"quote\"", "ok")
                                      for i in range(50)]
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    path = tmp_path / "c.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    whole = list(csv.DictReader(io.StringIO(corpus.normalise_text(path.read_text("utf-8")),
                                            newline="")))
    streamed = list(iter_articles(path))
    assert [a["text"] for a in streamed] == [r["text"] for r in whole]
    assert [a["note"] for a in streamed] == [r["note"] for r in whole]


def test_csv_errors_still_name_the_file_and_place(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"id,text\na1,fine\na2,caf\xe9\n")
    with pytest.raises(CorpusError, match=r"bad\.csv: not valid utf-8 at byte offset 22"):
        list(iter_articles(path))
    path.write_bytes(b"id,text\na1,fine\na2,x\x00y\n")
    with pytest.raises(CorpusError, match=r"bad\.csv: contains a NUL byte at byte offset 20"):
        list(iter_articles(path))
    path.write_bytes(b'id,text\na1,"never closed\n')
    with pytest.raises(CorpusError, match=r"bad\.csv"):
        list(iter_articles(path))


def test_jsonl_is_read_line_by_line(tmp_path, monkeypatch):
    path = tmp_path / "c.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": "a", "text": "Russia."}\r\n{"id": "b", "text": "Iran."}\r\n')
    _no_whole_file_reads(monkeypatch)
    assert [a["article_id"] for a in iter_articles(path)] == ["a", "b"]
