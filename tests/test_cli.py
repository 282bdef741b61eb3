import argparse
import subprocess
import sys

import pandas as pd
import pytest

from framing.cli import main
from framing.pipeline import MENTION_COLUMNS, SENTENCE_COLUMNS


def run(*args):
    return main([str(a) for a in args])


def test_help_explains_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run("--help")
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("mentions", "score", "train-target-model", "evaluate-target"):
        assert command in out
        with pytest.raises(SystemExit):
            run(command, "--help")
        assert "usage: framing " + command in capsys.readouterr().out


def test_mentions_writes_the_contract(seeds_dir, tmp_path):
    assert run("mentions", seeds_dir, "--out", tmp_path / "out") == 0
    sentences = pd.read_csv(tmp_path / "out" / "sentences.csv", keep_default_na=False)
    mentions = pd.read_csv(tmp_path / "out" / "mentions.csv", keep_default_na=False)
    assert list(sentences.columns[:6]) == SENTENCE_COLUMNS
    assert list(mentions.columns) == MENTION_COLUMNS
    assert sentences.groupby("article_id")["sentence_id"].apply(lambda s: list(s) == list(range(len(s)))).all()
    texts = {p.stem: p.read_text(encoding="utf-8") for p in seeds_dir.glob("*.txt")}
    for row in sentences.itertuples():
        assert texts[row.article_id][row.start:row.end] == row.text
    for row in mentions.itertuples():
        assert texts[row.article_id][row.start:row.end] == row.text
    assert mentions.equals(mentions.sort_values(["article_id", "start"]).reset_index(drop=True))
    # the countries column agrees with the mentions
    codes = mentions.groupby(["article_id", "sentence_id"])["country"].agg(lambda c: ";".join(sorted(set(c))))
    joined = sentences.set_index(["article_id", "sentence_id"])["countries"]
    assert (joined[joined != ""] == codes.reindex(joined[joined != ""].index)).all()
    assert set(joined[joined == ""].index).isdisjoint(codes.index)


def _missing(d):
    return d / "missing"


def _empty(d):
    (d / "empty").mkdir()
    return d / "empty"


def _not_utf8(d):
    (d / "bad").mkdir()
    (d / "bad" / "x.txt").write_bytes(b"ok \xe9t\xe9")
    return d / "bad"


def _duplicates(d):
    (d / "dup.jsonl").write_text('{"id":"a","text":"x"}\n{"id":"a","text":"y"}\n')
    return d / "dup.jsonl"


@pytest.mark.parametrize("setup, message", [
    (_missing, "no such file or folder"),
    (_empty, "no .txt articles"),
    (_not_utf8, "x.txt: not valid utf-8 at byte offset 3"),
    (_duplicates, "duplicate article id 'a'"),
])
def test_input_errors_exit_2_with_one_line_and_no_output(tmp_path, capsys, setup, message):
    corpus = setup(tmp_path)
    out = tmp_path / "out"
    assert run("mentions", corpus, "--out", out) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_unknown_target_suggests_codes(seeds_dir, tmp_path, capsys):
    assert run("score", seeds_dir, "--target", "RUX", "--out", tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "unknown country code 'RUX'" in err and "RUS" in err
    assert not (tmp_path / "out").exists()


def test_console_script_entry_point(tmp_path):
    result = subprocess.run([sys.executable, "-m", "framing.cli", "mentions", str(tmp_path / "nope"),
                             "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.startswith("framing: error:") and "Traceback" not in result.stderr


def test_an_interrupt_inside_an_import_still_exits_as_interrupted(monkeypatch, capsys):
    # Ctrl-C during an extension module's initialisation surfaces as an ImportError raised
    # while handling the KeyboardInterrupt; it is still an interrupt, not an internal error
    from framing import cli

    def command(args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ImportError("initialization failed")

    parser = cli.build_parser()
    monkeypatch.setattr(parser, "parse_args", lambda argv: argparse.Namespace(func=command, debug=False))
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    assert cli.main([]) == 130
    assert "interrupted" in capsys.readouterr().err
