"""Issue 6: bad input gives one clean line and an exit code; nothing is ever half-written.

Every bad input must produce exactly one ``framing: error: ...`` line on stderr that names
the input and the problem, exit status 2 (input/usage) or 1 (internal), no traceback unless
``--debug``, and must leave the output folder as it was. Interrupted runs (SIGINT, SIGTERM)
must leave the previous outputs byte-identical and no temporary files behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from framing import engine, output
from framing.cli import main
from framing.corpus import EmptyArticleWarning

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
COMMANDS = ["mentions", "score"]


# ---------------------------------------------------------------------------
# helpers


def seed_lines() -> list[str]:
    lines = []
    for path in sorted(SEEDS.glob("*.txt")):
        lines += [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines


def synthetic_folder(folder: Path, n: int, lines_per_article: int = 6) -> Path:
    """``n`` articles built deterministically from seed lines (no randomness involved)."""
    lines = seed_lines()
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        picked = [lines[(i * 7 + k * 13) % len(lines)] for k in range(lines_per_article)]
        (folder / f"art{i:05d}.txt").write_text("\n".join(picked) + "\n", encoding="utf-8")
    return folder


def run(capsys, *args) -> tuple[int, str]:
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def assert_one_error_line(err: str, *needles: str, prefix: str = "framing: error:") -> str:
    """Exactly one error line (warnings aside), containing every needle; no traceback."""
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if not line.startswith("framing: warning:")]
    assert len(errors) == 1, err
    assert errors[0].startswith(prefix), err
    for needle in needles:
        assert needle in errors[0], (needle, err)
    return errors[0]


def invoke(capsys, command, corpus, out, *extra) -> tuple[int, str]:
    return run(capsys, command, corpus, "--out", out, *extra)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def stray_temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp")) if folder.exists() else []


def previous_outputs(folder: Path) -> dict[str, bytes]:
    """Stand-in outputs of an earlier run, one per table the commands write."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in list(engine.TABLES) + ["corpus_countries"]:
        (folder / f"{name}.csv").write_bytes(f"previous {name}\n".encode())
    return snapshot(folder)


# ---------------------------------------------------------------------------
# 1. bad input: one line naming the input and the problem, exit 2, no output


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_path(tmp_path, capsys, command):
    code, err = invoke(capsys, command, tmp_path / "nope", tmp_path / "out")
    assert code == 2
    assert_one_error_line(err, str(tmp_path / "nope"), "no such file or folder")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_empty_folder(tmp_path, capsys, command):
    (tmp_path / "empty").mkdir()
    code, err = invoke(capsys, command, tmp_path / "empty", tmp_path / "out")
    assert code == 2
    assert_one_error_line(err, "empty", "no .txt articles")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_empty_and_whitespace_articles_are_skipped_and_counted(tmp_path, capsys, command):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Russia abandoned Syria.\n", encoding="utf-8")
    (corpus / "blank.txt").write_text("", encoding="utf-8")
    (corpus / "spaces.txt").write_text(" \n\t\r\n \u00a0\u3000\n", encoding="utf-8")
    with pytest.warns(EmptyArticleWarning) as record:
        code, err = invoke(capsys, command, corpus, tmp_path / "out")
    assert code == 0, err
    messages = " ".join(str(w.message) for w in record)
    assert "blank.txt" in messages and "spaces.txt" in messages
    assert "(2 empty articles skipped)" in err
    sentences = pd.read_csv(tmp_path / "out" / "sentences.csv", keep_default_na=False)
    assert set(sentences["article_id"]) == {"a"}


def test_empty_article_warning_is_one_named_line_on_stderr(tmp_path):
    """Outside pytest's warning capture: the warning reaches stderr as one named line."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Russia abandoned Syria.\n", encoding="utf-8")
    (corpus / "blank.txt").write_text("  \n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "framing.cli", "mentions", str(corpus), "--out",
                             str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert any(line.startswith("framing: warning:") and "blank.txt" in line and "skipped" in line
               for line in lines), result.stderr
    assert "(1 empty articles skipped)" in lines[-1]
    assert "Traceback" not in result.stderr and "warnings.warn" not in result.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_corpus_of_only_empty_articles(tmp_path, capsys, command):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text(" \n", encoding="utf-8")
    with pytest.warns(EmptyArticleWarning):
        code, err = invoke(capsys, command, corpus, tmp_path / "out")
    assert code == 2
    assert_one_error_line(err, str(corpus), "no non-empty articles")


@pytest.mark.parametrize("command", COMMANDS)
def test_not_utf8_names_file_and_offset_and_encoding_option_loads_it(tmp_path, capsys, command):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Russia and Syria.\n", encoding="utf-8")
    (corpus / "latin.txt").write_bytes("Le Café de Moscou: la Russie abandonne la Syrie.\n".encode("latin-1"))
    code, err = invoke(capsys, command, corpus, tmp_path / "out")
    assert code == 2
    assert_one_error_line(err, "latin.txt", "byte offset 6", "0xe9", "--encoding")
    assert not (tmp_path / "out").exists()
    code, err = invoke(capsys, command, corpus, tmp_path / "out", "--encoding", "latin-1")
    assert code == 0, err
    sentences = pd.read_csv(tmp_path / "out" / "sentences.csv", keep_default_na=False)
    assert "Café" in " ".join(sentences["text"])


def test_unknown_encoding_is_an_input_error(tmp_path, capsys):
    synthetic_folder(tmp_path / "c", 2)
    code, err = invoke(capsys, "mentions", tmp_path / "c", tmp_path / "out", "--encoding", "klingon")
    assert code == 2
    assert_one_error_line(err, "klingon", "encoding")


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("payload", [bytes(range(256)) * 4, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)],
                         ids=["all-bytes", "png"])
def test_binary_file(tmp_path, capsys, command, payload):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Russia and Syria.\n", encoding="utf-8")
    (corpus / "image.txt").write_bytes(payload)
    code, err = invoke(capsys, command, corpus, tmp_path / "out")
    assert code == 2
    assert_one_error_line(err, "image.txt", "byte offset", "binary")
    assert not (tmp_path / "out").exists()


def test_binary_corpus_file_of_unknown_kind(tmp_path, capsys):
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)))
    code, err = invoke(capsys, "mentions", tmp_path / "blob.bin", tmp_path / "out")
    assert code == 2
    assert_one_error_line(err, "blob.bin", "unsupported corpus")


def _sentences(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "sentences.csv", keep_default_na=False, dtype={"article_id": str})


def test_bom_is_dropped_everywhere(tmp_path, capsys):
    bom = "\ufeff"
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_text(bom + "Russia abandoned Syria. Moscow said nothing.\n", encoding="utf-8")
    (folder / "metadata.csv").write_text(bom + "id,outlet\na,Daily\n", encoding="utf-8")
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text(bom + json.dumps({"id": "a", "text": "Russia abandoned Syria. Moscow said nothing.\n"})
                     + "\n", encoding="utf-8")
    csv_path = tmp_path / "c.csv"
    csv_path.write_text(bom + 'id,text\na,"Russia abandoned Syria. Moscow said nothing."\n', encoding="utf-8")
    for corpus in (folder, jsonl, csv_path):
        out = tmp_path / f"out-{corpus.name}"
        code, err = invoke(capsys, "mentions", corpus, out)
        assert code == 0, err
        sentences = _sentences(out)
        assert list(sentences["text"]) == ["Russia abandoned Syria.", "Moscow said nothing."]
        assert list(sentences["start"]) == [0, 24]
        for name in ("sentences.csv", "mentions.csv"):
            assert bom.encode() not in (out / name).read_bytes()
    # metadata.csv's id column was recognised despite its BOM
    from framing.corpus import load_corpus

    assert load_corpus(folder).loc[0, "outlet"] == "Daily"


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["CRLF", "CR"])
def test_crlf_and_lone_cr(tmp_path, capsys, newline):
    lines = ["Headline about Russia", "Moscow abandoned Damascus. Syria noticed", "Iran watched"]
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_bytes(newline.join(lines).encode("utf-8") + newline.encode())
    csv_path = tmp_path / "c.csv"
    csv_path.write_bytes(f'id,text{newline}a,"{newline.join(lines)}"{newline}'.encode("utf-8"))
    normalised = "\n".join(lines) + "\n"
    for corpus in (folder, csv_path):
        out = tmp_path / f"out-{corpus.name}"
        code, err = invoke(capsys, "mentions", corpus, out)
        assert code == 0, err
        assert b"\r" not in (out / "sentences.csv").read_bytes()
        sentences = _sentences(out)
        assert list(sentences["text"]) == ["Headline about Russia", "Moscow abandoned Damascus.",
                                           "Syria noticed", "Iran watched"]
        for row in sentences.itertuples():
            assert normalised[row.start:row.end] == row.text


def test_fifty_megabyte_article_completes_for_mentions(tmp_path, capsys):
    text = "\n".join(seed_lines()) + "\n"
    big = (text * (50_000_000 // len(text.encode("utf-8")) + 1)).encode("utf-8")[:50_000_000]
    big = big.decode("utf-8", errors="ignore")  # the cut may split a character
    corpus = tmp_path / "big"
    corpus.mkdir()
    (corpus / "big.txt").write_text(big, encoding="utf-8")
    started = time.perf_counter()
    code, err = invoke(capsys, "mentions", corpus, tmp_path / "out")
    elapsed = time.perf_counter() - started
    assert code == 0, err
    assert elapsed < 60, f"50 MB article took {elapsed:.1f} s"
    assert "1 articles" in err
    last = pd.read_csv(tmp_path / "out" / "sentences.csv", keep_default_na=False).iloc[-1]
    assert big[last["start"]:last["end"]] == last["text"] and last["end"] <= len(big)


UNPUNCTUATED = "Russia abandoned Syria while Moscow talked and Damascus waited and Tehran watched"


@pytest.mark.parametrize("command, repeats", [("mentions", 2000), ("score", 60)])
def test_article_without_sentence_punctuation(tmp_path, capsys, command, repeats):
    text = " ".join([UNPUNCTUATED] * repeats)  # one line, no . ! ? at all (160 kB / 5 kB)
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text(text, encoding="utf-8")
    code, err = invoke(capsys, command, corpus, tmp_path / "out")
    assert code == 0, err
    sentences = _sentences(tmp_path / "out")
    assert len(sentences) == 1
    assert (sentences.loc[0, "start"], sentences.loc[0, "end"]) == (0, len(text))
    if command == "score":
        assert -1 <= float(sentences.loc[0, "stance"]) <= 1


def test_long_unpunctuated_article_scores_in_reasonable_time(tmp_path):
    text = " ".join([UNPUNCTUATED] * 400)  # 32 kB, 800 mentions of the target in one sentence
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text(text, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "framing.cli", "score", str(corpus), "--out",
                             str(tmp_path / "out")], capture_output=True, text=True, timeout=6)
    assert result.returncode == 0, result.stderr


def test_cue_scan_is_linear_in_sentence_length():
    from framing.countries import default_matcher
    from framing.cues import default_lexicon

    text = " ".join([UNPUNCTUATED] * 500)
    spans = [(s, e, c) for s, e, c, _ in default_matcher().find(text)]
    started = time.perf_counter()
    hits = default_lexicon().hits(text, spans, "RUS")
    elapsed = time.perf_counter() - started
    assert len(hits) >= 500
    assert elapsed < 0.5, f"{len(hits)} cues in a {len(text)}-character sentence took {elapsed:.1f} s"


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_duplicate_article_ids(tmp_path, capsys, command, kind):
    if kind == "jsonl":
        corpus = tmp_path / "c.jsonl"
        corpus.write_text('{"id": "a", "text": "Russia."}\n{"id": "b", "text": "Syria."}\n'
                          '{"id": "a", "text": "Iran."}\n', encoding="utf-8")
        where = "line 3"
    else:
        corpus = tmp_path / "c.csv"
        corpus.write_text("id,text\na,Russia.\nb,Syria.\na,Iran.\n", encoding="utf-8")
        where = "row 4"
    code, err = invoke(capsys, command, corpus, tmp_path / "out")
    assert code == 2
    assert_one_error_line(err, corpus.name, where, "duplicate article id 'a'")
    assert not (tmp_path / "out").exists()


def test_duplicate_id_in_a_later_batch_leaves_previous_outputs(tmp_path, capsys):
    corpus = tmp_path / "c.jsonl"
    rows = [{"id": f"a{i}", "text": "Russia abandoned Syria."} for i in range(6)] + [{"id": "a0", "text": "x"}]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    before = previous_outputs(tmp_path / "out")
    code, err = invoke(capsys, "score", corpus, tmp_path / "out", "--batch-size", "2")
    assert code == 2
    assert_one_error_line(err, "c.jsonl", "line 7", "duplicate article id 'a0'")
    assert snapshot(tmp_path / "out") == before
    assert stray_temporaries(tmp_path / "out") == []


@pytest.mark.parametrize("command", COMMANDS)
def test_article_id_with_a_line_break(tmp_path, capsys, command):
    """Every output row carries the id; a line break in it would split rows (and corrupt the
    engine's reordering of unsorted input)."""
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"id": "b", "text": "Russia."}\n{"id": "a\\nz", "text": "Syria."}\n', encoding="utf-8")
    code, err = invoke(capsys, command, corpus, tmp_path / "out")
    assert code == 2
    assert_one_error_line(err, "c.jsonl", "line 2", "line break")
    assert not (tmp_path / "out").exists()


METADATA_CASES = {
    "missing-id-column": ("ident,outlet\na,X\n", ["metadata.csv", "no 'id' column"]),
    "unknown-id": ("id,outlet\na,X\nzzz,Y\n", ["metadata.csv", "'zzz'", "matches no article"]),
    "extra-field": ("id,outlet\na,X,surplus\n", ["metadata.csv", "row 2", "3 fields"]),
    "missing-field": ("id,outlet,date\na,X\n", ["metadata.csv", "row 2", "2 fields"]),
    "unterminated-quote": ('id,outlet\na,"X\nb,Y\n', ["metadata.csv", "malformed"]),
    "stray-quote": ('id,outlet\na,"X"Y\n', ["metadata.csv", "malformed"]),
    "duplicate-id": ("id,outlet\na,X\na,Y\n", ["metadata.csv", "duplicate id 'a'"]),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", list(METADATA_CASES))
def test_bad_metadata(tmp_path, capsys, command, case):
    content, needles = METADATA_CASES[case]
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Russia abandoned Syria.\n", encoding="utf-8")
    (corpus / "b.txt").write_text("Moscow helped Damascus.\n", encoding="utf-8")
    (corpus / "metadata.csv").write_text(content, encoding="utf-8")
    code, err = invoke(capsys, command, corpus, tmp_path / "out")
    assert code == 2
    assert_one_error_line(err, *needles)
    assert not (tmp_path / "out").exists()


def test_unknown_metadata_id_is_caught_before_scoring(tmp_path, capsys, monkeypatch):
    """A metadata id that matches no article must not cost a whole scoring run."""
    corpus = synthetic_folder(tmp_path / "c", 6)
    (corpus / "metadata.csv").write_text("id,outlet\nart00000,X\nghost,Y\n", encoding="utf-8")
    scored = []
    real = engine.score_batch
    monkeypatch.setattr(engine, "score_batch", lambda batch, target, *rest: scored.append(1) or real(batch, target, *rest))
    code, err = invoke(capsys, "score", corpus, tmp_path / "out", "--batch-size", "2")
    assert code == 2
    assert_one_error_line(err, "metadata.csv", "'ghost'", "matches no article")
    assert scored == [] and not (tmp_path / "out").exists()


JSONL_CASES = {
    "not-json": ('{"id": "a", "text": "Russia."}\n{"id": "b", "text": \n', ["c.jsonl", "line 2", "not valid JSON"]),
    "no-text": ('{"id": "a", "text": "Russia."}\n{"id": "b", "body": "x"}\n', ["c.jsonl", "line 2", "'text'"]),
    "no-id": ('{"text": "Russia."}\n', ["c.jsonl", "line 1", "'id'"]),
    "not-object": ('{"id": "a", "text": "Russia."}\n["b", "x"]\n', ["c.jsonl", "line 2", "not a JSON object"]),
    "text-not-string": ('{"id": "a", "text": {"body": "x"}}\n', ["c.jsonl", "line 1", "not a string"]),
    "truncated": ('{"id": "a", "text": "Russia."}\n{"id": "b", "text": "Syr', ["c.jsonl", "line 2", "not valid JSON"]),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", list(JSONL_CASES))
def test_bad_jsonl(tmp_path, capsys, command, case):
    content, needles = JSONL_CASES[case]
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(content, encoding="utf-8")
    code, err = invoke(capsys, command, corpus, tmp_path / "out")
    assert code == 2
    assert_one_error_line(err, *needles)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_jsonl_lone_surrogate_escape_is_a_clean_input_error(tmp_path, capsys, command):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"id": "a", "text": "Russia."}\n{"id": "b", "text": "bad \\udc80 Russia"}\n',
                      encoding="utf-8")
    code, err = invoke(capsys, command, corpus, tmp_path / "out")
    assert code == 2
    assert_one_error_line(err, "c.jsonl", "line 2", "surrogate")
    assert not (tmp_path / "out").exists()


CSV_CASES = {
    "nul": (b'id,text\na,"Russia\x00 abandoned Syria."\n', ["c.csv", "NUL", "byte offset 17"]),
    "unterminated-quote": (b'id,text\na,"Russia\nb,Syria\n', ["c.csv", "malformed"]),
    "no-text-column": (b"id,body\na,Russia\n", ["c.csv", "row 2", "'text'"]),
    "extra-field": (b"id,text\na,Russia,surplus\n", ["c.csv", "row 2", "more fields"]),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", list(CSV_CASES))
def test_bad_csv(tmp_path, capsys, command, case):
    content, needles = CSV_CASES[case]
    corpus = tmp_path / "c.csv"
    corpus.write_bytes(content)
    code, err = invoke(capsys, command, corpus, tmp_path / "out")
    assert code == 2
    assert_one_error_line(err, *needles)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("target, suggestion", [("RUX", "RUS"), ("Rusia", "RUS"), ("SYY", "SYR"), ("", None)])
def test_unknown_target_suggests_closest_codes(tmp_path, capsys, target, suggestion):
    synthetic_folder(tmp_path / "c", 2)
    code, err = invoke(capsys, "score", tmp_path / "c", tmp_path / "out", "--target", target)
    assert code == 2
    line = assert_one_error_line(err, "unknown country code", repr(target))
    if suggestion:
        assert "did you mean" in line and suggestion in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("where", ["under-a-file", "is-a-file"])
def test_output_folder_cannot_be_written(tmp_path, capsys, command, where):
    corpus = synthetic_folder(tmp_path / "c", 2)
    blocker = tmp_path / "blocker"
    blocker.write_text("I am a file\n")
    out = blocker / "out" if where == "under-a-file" else blocker
    code, err = invoke(capsys, command, corpus, out)
    assert code == 2
    assert_one_error_line(err, str(out), "output folder")
    assert blocker.read_text() == "I am a file\n"


def test_bad_numeric_option_is_an_input_error(tmp_path, capsys):
    synthetic_folder(tmp_path / "c", 2)
    code, err = invoke(capsys, "score", tmp_path / "c", tmp_path / "out", "--jobs", "0")
    assert code == 2
    assert_one_error_line(err, "--jobs")


def test_debug_shows_the_traceback(tmp_path):
    from framing.corpus import CorpusError

    with pytest.raises(CorpusError, match="no such file or folder"):
        main(["--debug", "mentions", str(tmp_path / "nope"), "--out", str(tmp_path / "out")])


def test_internal_error_exits_1_with_one_line(tmp_path, capsys, monkeypatch):
    import framing.pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(framing.pipeline, "find_mentions", broken)
    corpus = synthetic_folder(tmp_path / "c", 2)
    code, err = invoke(capsys, "mentions", corpus, tmp_path / "out")
    assert code == 1
    assert_one_error_line(err, "RuntimeError", "simulated bug", "--debug", prefix="framing: internal error:")
    with pytest.raises(RuntimeError):
        main(["--debug", "mentions", str(corpus), "--out", str(tmp_path / "out")])


@pytest.mark.parametrize("command, make, needles", [
    ("score", lambda d: (d / "c.csv").write_bytes(b'id,text\na,"x\x00y"\n') and d / "c.csv",
     ["c.csv", "NUL", "byte offset"]),
    ("mentions", lambda d: (d / "c.jsonl").write_text('{"id": 1}\n') and d / "c.jsonl",
     ["c.jsonl", "line 1", "'text'"]),
], ids=["score-nul-csv", "mentions-jsonl-no-text"])
def test_errors_through_the_real_entry_point(tmp_path, command, make, needles):
    corpus = make(tmp_path)
    result = subprocess.run([sys.executable, "-m", "framing.cli", command, str(corpus), "--out",
                             str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stdout == ""
    assert_one_error_line(result.stderr, *needles)
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------
# 2. nothing half-written


def test_interrupted_mentions_write_leaves_previous_outputs(tmp_path, capsys, monkeypatch):
    """An interrupt while the second table is being written must not leave the first one new."""
    corpus = synthetic_folder(tmp_path / "c", 3)
    before = previous_outputs(tmp_path / "out")
    real_mkstemp, calls = output.tempfile.mkstemp, []

    def interrupting_mkstemp(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(output.tempfile, "mkstemp", interrupting_mkstemp)
    code, err = invoke(capsys, "mentions", corpus, tmp_path / "out")
    assert code == 130
    assert snapshot(tmp_path / "out") == before
    assert stray_temporaries(tmp_path / "out") == []


def test_interrupt_during_corpus_summary_leaves_previous_outputs(tmp_path, capsys, monkeypatch):
    """The five tables and corpus_countries.csv are replaced together or not at all."""
    corpus = synthetic_folder(tmp_path / "c", 3)
    before = previous_outputs(tmp_path / "out")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "corpus_summary", interrupted)
    code, err = invoke(capsys, "score", corpus, tmp_path / "out")
    assert code == 130
    assert snapshot(tmp_path / "out") == before
    assert stray_temporaries(tmp_path / "out") == []


def test_input_error_in_a_later_batch_leaves_previous_outputs(tmp_path, capsys):
    corpus = synthetic_folder(tmp_path / "c", 5)
    (corpus / "art00003.txt").write_bytes(b"Russia \xff\xfe abandoned Syria.\n")
    before = previous_outputs(tmp_path / "out")
    code, err = invoke(capsys, "score", corpus, tmp_path / "out", "--batch-size", "1")
    assert code == 2
    assert_one_error_line(err, "art00003.txt", "byte offset 7")
    assert snapshot(tmp_path / "out") == before
    assert stray_temporaries(tmp_path / "out") == []


def test_sigterm_handler_is_only_installed_during_the_run(tmp_path, monkeypatch):
    sentinel = signal.getsignal(signal.SIGTERM)
    seen = []
    real = engine.score_batch

    def spy(batch, target, *rest):
        seen.append(signal.getsignal(signal.SIGTERM))
        return real(batch, target, *rest)

    monkeypatch.setattr(engine, "score_batch", spy)
    engine.score_corpus(synthetic_folder(tmp_path / "c", 2), tmp_path / "out")
    assert seen and seen[0] not in (signal.SIG_DFL, signal.SIG_IGN, None, sentinel)
    assert signal.getsignal(signal.SIGTERM) == sentinel


@pytest.fixture(scope="module")
def interrupted_run(tmp_path_factory):
    """``interrupted_run(signum, jobs)``: interrupt ``framing score`` on 3,000 articles (cached).

    Returns ``(exit code, stderr, outputs before, outputs after, stray temporaries)``.
    """
    corpus = synthetic_folder(tmp_path_factory.mktemp("big") / "corpus", 3000)
    cache = {}

    def get(signum: int, jobs: int = 1):
        if (signum, jobs) not in cache:
            out = tmp_path_factory.mktemp("interrupted") / "out"
            before = previous_outputs(out)
            code, err = _interrupt_score(corpus, out, signum, jobs)
            cache[signum, jobs] = (code, err, before, snapshot(out), stray_temporaries(out))
        return cache[signum, jobs]

    return get


def _interrupt_score(corpus: Path, out: Path, signum: int, jobs: int = 1) -> tuple[int, str]:
    """Start ``framing score`` and send ``signum`` once it is writing its temporary files."""
    proc = subprocess.Popen([sys.executable, "-m", "framing.cli", "score", str(corpus), "--out", str(out),
                             "--jobs", str(jobs), "--batch-size", "16"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".tmp") for p in out.iterdir()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never started writing"
        time.sleep(0.05)
    time.sleep(0.5)  # mid-way through the batches
    assert proc.poll() is None, "the run finished before it could be interrupted; enlarge the corpus"
    proc.send_signal(signum)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # pragma: no cover - a hang is a failure too
        proc.kill()
        raise
    return proc.returncode, err


@pytest.mark.parametrize("signum, jobs", [(signal.SIGINT, 1), (signal.SIGTERM, 1), (signal.SIGTERM, 2)],
                         ids=["SIGINT", "SIGTERM", "SIGTERM-jobs2"])
def test_interrupted_score_leaves_previous_outputs_and_no_temporaries(interrupted_run, signum, jobs):
    code, err, before, after, stray = interrupted_run(signum, jobs)
    # exited by itself (a process killed by the signal has a negative returncode), non-zero
    assert code > 0, (code, err)
    if signum == signal.SIGINT:
        assert code == 130, (code, err)
    assert "Traceback" not in err and "interrupted" in err, err
    assert after == before
    assert stray == []


def test_sigterm_exit_status_is_143(interrupted_run):
    code, err, *_ = interrupted_run(signal.SIGTERM, 1)
    assert code == 143, (code, err)
