"""Corpora in shapes the seeds never had (issue 13, item 7): articles in subfolders, and
hard-wrapped text whose line breaks are not sentence ends."""

import json
import subprocess
import sys
import warnings

import pandas as pd
import pytest

from framing import tokenize
from framing.cli import main
from framing.corpus import (
    CorpusError,
    SkippedFilesWarning,
    article_batches,
    iter_articles,
    join_wrapped_lines,
    load_corpus,
    looks_wrapped,
    normalise_text,
)

# Wrapped at about 70 characters, as an e-mail or archive export: the sentence "... whether
# Russia helped Syria." runs over a line break.
WRAPPED = (
    "Officials in several capitals spent the week weighing what the talks\n"
    "in Geneva could mean for the region, and whether Russia helped\n"
    "Syria. Diplomats said the discussions went on late into the night and\n"
    "that no agreement was reached on the wording of the final statement\n"
    "about the ceasefire lines.\n"
    "\n"
    "A second paragraph follows here, also wrapped at a fixed width so that\n"
    "its lines run on without any final punctuation at their ends.\n"
)
JOINED = WRAPPED.replace("talks\nin", "talks in").replace("helped\nSyria", "helped Syria").replace(
    "and\nthat", "and that").replace("statement\nabout", "statement about").replace(
    "that\nits", "that its")

# One paragraph per line, as the seeds: every line break ends a sentence and must stay one.
PARAGRAPH_LINES = [
    "Russia and Syria signed a new agreement on energy cooperation on Monday in Damascus.",
    "The deal covers gas fields in the east of the country and a pipeline to the coast.",
    "Iran was not part of the talks, although its officials had been invited to attend.",
    "Analysts said the agreement was more symbolic than practical for both governments.",
    "Moscow has offered similar deals before, most of which were never carried out at all.",
    "Damascus welcomed the signing and promised that work would begin before the summer.",
]
PARAGRAPHS = "".join(line + "\n" for line in PARAGRAPH_LINES)

# Headings directly above their paragraph: the headings are short unpunctuated lines
# followed by a non-blank line, but the paragraphs are long, so this is not wrapped text.
HEADINGS = "\n\n".join(
    f"{heading}\n{'Russia stood by while its partner in the region faced one crisis after another. ' * 2}"
    for heading in ["Venezuela: when strategic ties became symbolic only",
                    "Iran: the alliance tested and not strengthened",
                    "Cuba: a forgotten island in a storm of geopolitics",
                    "Syria and Armenia: allies in name only, say analysts",
                    "What all of this means for Russian influence abroad"]
) + "\n"


def _write(folder, files):
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def _pair_sentences(text):
    """The sentences of ``text`` that mention both Russia and Syria."""
    return [s for s in (text[a:b] for a, b in tokenize.split_sentences(text)) if "Russia" in s and "Syria" in s]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "framing.cli", *map(str, args)],
                          capture_output=True, text=True, check=False)


# ---------------------------------------------------------------------------- subfolders

@pytest.fixture
def nested(tmp_path):
    folder = tmp_path / "corpus"
    _write(folder, {
        "b.txt": "Russia abandoned Syria.\n",
        "sub/a.txt": "Iran watched Russia.\n",
        "Reuters/x.txt": "Moscow praised Cuba.\n",
        "Reuters/2024/y.txt": "Russia helped Venezuela.\n",
        "notes.md": "not an article\n",
        ".DS_Store": "junk",
        ".git/config": "[core]\n",
        "metadata.csv": "id,title,outlet\nsub/a,Nested,Explicit\nReuters/x,Wire,\nb,Top,\n",
    })
    return folder


def test_subfolders_are_read_with_path_ids(nested):
    with pytest.warns(SkippedFilesWarning):
        articles = load_corpus(nested)
    assert list(articles["article_id"]) == ["Reuters/2024/y", "Reuters/x", "b", "sub/a"]
    texts = dict(zip(articles["article_id"], articles["text"]))
    assert texts["Reuters/2024/y"] == "Russia helped Venezuela.\n"
    assert texts["sub/a"] == "Iran watched Russia.\n"
    # metadata.csv matched the nested ids
    titles = dict(zip(articles["article_id"], articles["title"]))
    assert titles == {"Reuters/2024/y": "", "Reuters/x": "Wire", "b": "Top", "sub/a": "Nested"}
    # without --folder-meta, the folder fills nothing
    assert dict(zip(articles["article_id"], articles["outlet"]))["Reuters/x"] == ""


def test_folder_meta_fills_a_column_and_metadata_wins(nested):
    with pytest.warns(SkippedFilesWarning):
        articles = load_corpus(nested, folder_meta="outlet")
    outlets = dict(zip(articles["article_id"], articles["outlet"]))
    # first-level folder; empty at the top level; a non-empty metadata.csv value wins
    assert outlets == {"Reuters/2024/y": "Reuters", "Reuters/x": "Reuters", "b": "", "sub/a": "Explicit"}
    with pytest.warns(SkippedFilesWarning):
        articles = load_corpus(nested, folder_meta="desk")
    assert dict(zip(articles["article_id"], articles["desk"])) == {
        "Reuters/2024/y": "Reuters", "Reuters/x": "Reuters", "b": "", "sub/a": "sub"}
    assert list(articles.columns)[-1] == "desk"


def test_top_level_ids_are_file_stems_in_sorted_order(tmp_path):
    _write(tmp_path, {"b.txt": "Iran.\n", "a.b.txt": "Cuba.\n", "000_x.txt": "Syria.\n"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing skipped, nothing to warn about
        articles = list(iter_articles(tmp_path))
    assert [a["article_id"] for a in articles] == ["000_x", "a.b", "b"]


def test_files_not_read_are_counted_in_one_warning(nested):
    with pytest.warns(SkippedFilesWarning) as record:
        list(iter_articles(nested))
    assert len(record) == 1
    message = str(record[0].message)
    assert "3 not read" in message
    assert "1 file without the .txt extension (e.g. 'notes.md')" in message
    assert "1 hidden file (e.g. '.DS_Store')" in message
    assert "1 hidden folder (e.g. '.git'), not searched" in message
    assert "metadata.csv" not in message


def test_metadata_id_matching_no_nested_article(nested):
    (nested / "metadata.csv").write_text("id,outlet\nsub/zzz,X\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="'sub/zzz' matches no article"):
        load_corpus(nested)


def test_folder_meta_needs_a_folder_corpus(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "Russia."}) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="needs a folder corpus"):
        load_corpus(path, folder_meta="outlet")
    with pytest.raises(CorpusError, match="cannot name the folder metadata column"):
        load_corpus(tmp_path, folder_meta="text")


def test_cli_score_reads_subfolders_and_warns_once(nested, tmp_path):
    out = tmp_path / "out"
    result = _cli("score", nested, "--out", out, "--folder-meta", "outlet")
    assert result.returncode == 0, result.stderr
    warning_lines = [line for line in result.stderr.splitlines() if line.startswith("framing: warning:")]
    assert len(warning_lines) == 1
    assert "3 not read" in warning_lines[0] and "notes.md" in warning_lines[0]
    assert "4 articles" in result.stderr
    articles = pd.read_csv(out / "articles.csv", keep_default_na=False, dtype=str)
    assert list(articles["article_id"]) == ["Reuters/2024/y", "Reuters/x", "b", "sub/a"]
    assert list(articles["outlet"]) == ["Reuters", "Reuters", "", "Explicit"]
    sentences = pd.read_csv(out / "sentences.csv", keep_default_na=False, dtype={"article_id": str})
    assert set(sentences["article_id"]) == set(articles["article_id"])


def test_cli_folder_meta_on_a_file_corpus_is_an_input_error(tmp_path, capsys):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "Russia."}) + "\n", encoding="utf-8")
    assert main(["mentions", str(path), "--out", str(tmp_path / "out"), "--folder-meta", "outlet"]) == 2
    assert "needs a folder corpus" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------- wrapped text

def test_join_keeps_length_and_paragraphs():
    joined = join_wrapped_lines(WRAPPED)
    assert joined == JOINED
    assert len(joined) == len(WRAPPED)
    assert "lines.\n\nA second" in joined
    # whitespace-only lines separate paragraphs too
    assert join_wrapped_lines("one\n  \ntwo\nthree") == "one\n  \ntwo three"


def test_detection_rule():
    assert looks_wrapped(WRAPPED)
    assert not looks_wrapped(PARAGRAPHS)
    assert not looks_wrapped(HEADINGS)
    # too few lines to tell
    assert not looks_wrapped("whether Russia helped\nSyria. It did so quietly and at some cost\n")


def test_seeds_are_not_taken_for_wrapped(seeds_dir):
    files = sorted(seeds_dir.glob("*.txt"))
    assert len(files) == 5
    for path in files:
        text = normalise_text(path.read_text(encoding="utf-8"))
        assert not looks_wrapped(text), path.name
    articles = load_corpus(seeds_dir)  # wrapped="auto", the default
    for path in files:
        raw = normalise_text(path.read_text(encoding="utf-8"))
        assert articles.set_index("article_id").loc[path.stem, "text"] == raw


@pytest.mark.parametrize("wrapped", ["yes", "auto"])
def test_wrapped_article_keeps_pairs_in_one_sentence(tmp_path, wrapped):
    _write(tmp_path, {"w.txt": WRAPPED, "p.txt": PARAGRAPHS})
    articles = load_corpus(tmp_path, wrapped=wrapped).set_index("article_id")
    text = articles.loc["w", "text"]
    assert text == JOINED
    assert _pair_sentences(text) == [
        ("Officials in several capitals spent the week weighing what the talks in Geneva could "
         "mean for the region, and whether Russia helped Syria.")]
    # the paragraph-per-line article is joined only when asked for every article
    assert (articles.loc["p", "text"] == PARAGRAPHS) == (wrapped == "auto")


def test_wrapped_no_keeps_line_breaks_as_sentence_ends(tmp_path):
    _write(tmp_path, {"w.txt": WRAPPED})
    text = load_corpus(tmp_path, wrapped="no").loc[0, "text"]
    assert text == WRAPPED
    assert _pair_sentences(text) == []
    assert "and whether Russia helped" in [text[a:b][-25:] for a, b in tokenize.split_sentences(text)]


def test_paragraph_per_line_untouched_by_auto(tmp_path):
    _write(tmp_path, {"p.txt": PARAGRAPHS, "h.txt": HEADINGS})
    articles = load_corpus(tmp_path).set_index("article_id")
    assert articles.loc["p", "text"] == PARAGRAPHS
    assert articles.loc["h", "text"] == HEADINGS
    spans = tokenize.split_sentences(PARAGRAPHS)
    assert len(spans) == 6


def _corpus_files(tmp_path):
    records = [{"id": "w", "text": WRAPPED}, {"id": "p", "text": PARAGRAPHS}]
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    csv_path = tmp_path / "c.csv"
    pd.DataFrame(records).to_csv(csv_path, index=False)
    parquet = tmp_path / "c.parquet"
    pd.DataFrame(records).to_parquet(parquet, index=False)
    folder = _write(tmp_path / "folder", {"w.txt": WRAPPED, "p.txt": PARAGRAPHS})
    return [jsonl, csv_path, parquet, folder]


def test_every_format_and_the_streaming_reader_join(tmp_path):
    for corpus in _corpus_files(tmp_path):
        texts = dict(zip(*zip(*((a["article_id"], a["text"]) for a in iter_articles(corpus)))))
        assert texts == {"w": JOINED, "p": PARAGRAPHS}, corpus.name
        streamed = pd.concat(list(article_batches(corpus, batch_size=1))).set_index("article_id")
        assert streamed.loc["w", "text"] == JOINED, corpus.name
        assert load_corpus(corpus, wrapped="no").set_index("article_id").loc["w", "text"] == WRAPPED
        assert load_corpus(corpus, wrapped="yes").set_index("article_id").loc["p", "text"] == \
            PARAGRAPHS.replace("\n", " ")[:-1] + "\n"


def test_bad_wrapped_value():
    with pytest.raises(ValueError, match="wrapped must be one of auto, yes, no"):
        list(iter_articles("seeds", wrapped="maybe"))


@pytest.mark.parametrize("wrapped, pairs", [("yes", 1), ("auto", 1), ("no", 0)])
def test_cli_score_wrapped_option(tmp_path, capsys, wrapped, pairs):
    corpus = _write(tmp_path / "corpus", {"w.txt": WRAPPED})
    out = tmp_path / "out"
    assert main(["score", str(corpus), "--out", str(out), "--wrapped", wrapped]) == 0
    # the summary line says how many articles had their lines joined
    err = capsys.readouterr().err
    assert ("1 hard-wrapped article had their lines joined" in err) == (wrapped != "no"), err
    sentences = pd.read_csv(out / "sentences.csv", keep_default_na=False)
    both = sentences[sentences["countries"].str.contains("RUS") & sentences["countries"].str.contains("SYR")]
    assert len(both) == pairs
    # offsets index the text that was scored: the joined one unless --wrapped no
    scored = WRAPPED if wrapped == "no" else JOINED
    for row in sentences.itertuples():
        assert scored[row.start:row.end] == row.text
    assert "\n" not in "".join(sentences["text"])


def test_cli_mentions_accepts_the_options(tmp_path, capsys):
    corpus = _write(tmp_path / "corpus", {"Wire/w.txt": WRAPPED})
    out = tmp_path / "out"
    assert main(["mentions", str(corpus), "--out", str(out), "--wrapped", "auto",
                 "--folder-meta", "outlet"]) == 0
    sentences = pd.read_csv(out / "sentences.csv", keep_default_na=False)
    assert set(sentences["article_id"]) == {"Wire/w"}
    assert sentences["text"].str.contains("Russia helped Syria.").any()
    with pytest.raises(SystemExit):
        main(["mentions", str(corpus), "--out", str(out), "--wrapped", "maybe"])
    capsys.readouterr()
