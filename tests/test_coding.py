"""framing sample and the coding session: blind, weighted, deterministic samples; every
code saved atomically; resuming; interruption."""
import os
import signal
import subprocess
import sys
import time

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from framing import coding
from framing.cli import main

RESULTS = ROOT / "results"


@pytest.fixture(scope="module")
def drawn():
    return coding.draw_sample(RESULTS, n=40, seed=0)


def test_the_sheet_is_blind_and_the_sidecar_holds_the_weights(drawn):
    sheet, side = drawn
    assert list(sheet.columns) == coding.SHEET_COLUMNS
    for hidden in ("stance", "stance_label", "why", "cues", "label", "weight", "stratum", "link"):
        assert hidden not in sheet.columns
    assert set(sheet["unit_id"]) == set(side["unit_id"]) and len(sheet) == 40
    # the sheet's rows are shuffled, not grouped by stratum
    strata = side.set_index("unit_id").loc[sheet["unit_id"], "stratum"].tolist()
    assert strata != sorted(strata)


def test_weights_are_inverse_inclusion_probabilities(drawn):
    _, side = drawn
    evidence = pd.read_csv(RESULTS / "evidence.csv", dtype=str, keep_default_na=False)
    population = evidence.groupby(["stance_label", "country"]).size()
    for stratum, part in side.groupby("stratum"):
        label, country = stratum.split("|")
        assert part["population"].iloc[0] == population[(label, country)]
        assert part["sampled"].iloc[0] == len(part)
        np.testing.assert_allclose(part["weight"], population[(label, country)] / len(part))
    # the weights add up to the corpus: weighted estimates are about all evidence units
    assert side["weight"].sum() == pytest.approx(len(evidence))


def test_rare_strata_are_over_sampled(drawn):
    _, side = drawn
    per = side.groupby("stratum").first()
    small = per[per["population"] <= 1]
    assert len(small) and (small["sampled"] == small["population"]).all()  # taken whole
    big = per[per["population"] >= 10]
    assert (big["sampled"] / big["population"] < 0.5).all()


def test_the_sample_is_deterministic_for_a_seed(drawn):
    again, _ = coding.draw_sample(RESULTS, n=40, seed=0)
    other, _ = coding.draw_sample(RESULTS, n=40, seed=1)
    pd.testing.assert_frame_equal(drawn[0], again)
    assert set(other["unit_id"]) != set(drawn[0]["unit_id"])


def test_each_unit_carries_its_sentence_context_and_words(drawn):
    sheet, _ = drawn
    sentences = pd.read_csv(RESULTS / "sentences.csv", dtype=str, keep_default_na=False)
    text = dict(zip(zip(sentences["article_id"], sentences["sentence_id"].astype(int)), sentences["text"]))
    for row in sheet.itertuples():
        a, s, target, country = coding.parse_unit_id(row.unit_id)
        assert (a, s, target, country) == (row.article_id, row.sentence_id, row.target, row.country)
        assert row.sentence == text[(a, s)]
        assert row.previous == text.get((a, s - 1), "")
        for phrase in filter(None, row.country_text.split(";")):
            assert phrase in row.sentence


def test_sample_command_writes_sheet_and_sidecar(tmp_path, capsys):
    assert main(["sample", str(RESULTS), "--n", "25", "--seed", "3", "--out", str(tmp_path / "c.csv")]) == 0
    sheet = pd.read_csv(tmp_path / "c.csv", dtype=str)
    side = pd.read_csv(tmp_path / "c.sample.csv", dtype=str)
    # the results folder is named relative to the sidecar, so the pair can move with it
    assert len(sheet) == 25 and side["results"].nunique() == 1
    assert not Path(side["results"].iloc[0]).is_absolute()
    assert (tmp_path / side["results"].iloc[0]).resolve() == RESULTS.resolve()
    assert not list(tmp_path.glob(".*.tmp"))
    assert main(["sample", str(RESULTS), "--by", "colour", "--out", str(tmp_path / "d.csv")]) == 2
    assert "colour" in capsys.readouterr().err and not (tmp_path / "d.csv").exists()


def test_highlight_escapes_and_marks():
    html = coding.highlight("Moscow & <b>Caracas</b> met; Moscow said.", {"Moscow": "target", "Caracas": "country"})
    assert html.count('<mark class="target">Moscow</mark>') == 2
    assert '<mark class="country">Caracas</mark>' in html
    assert "&amp;" in html and "<b>" not in html and "&lt;b&gt;" in html


# ------------------------------------------------------------------ saving, resuming


@pytest.fixture()
def sheet(tmp_path):
    sheet, _ = coding.draw_sample(RESULTS, n=6, seed=0)
    path = tmp_path / "coding.csv"
    sheet.to_csv(path, index=False)
    return path


def test_save_code_writes_replaces_and_keeps_other_coders(sheet, tmp_path):
    out = tmp_path / "codes.csv"
    ids = pd.read_csv(sheet, dtype=str)["unit_id"].tolist()
    coding.save_code(out, ids[0], "ann", 1, "a note, with a comma")
    coding.save_code(out, ids[1], "ann", None)  # not a reference
    coding.save_code(out, ids[0], "bob", -2)
    coding.save_code(out, ids[0], "ann", 2)  # a correction replaces the earlier code
    codes = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(codes.columns) == ["unit_id", "coder", "stance", "note"]
    got = {(u, c): s for u, c, s in zip(codes["unit_id"], codes["coder"], codes["stance"])}
    assert got == {(ids[1], "ann"): "", (ids[0], "bob"): "-2", (ids[0], "ann"): "2"}
    with pytest.raises(ValueError):
        coding.save_code(out, ids[2], "ann", 3)
    with pytest.raises(ValueError):
        coding.save_code(out, ids[2], "", 1)
    assert len(pd.read_csv(out)) == 3
    # the saved file is what framing agreement reads
    read = coding.read_coded(out)
    assert read["stance"].isna().sum() == 1


def test_a_session_resumes_where_the_coder_stopped(sheet, tmp_path):
    out = tmp_path / "codes.csv"
    ids = pd.read_csv(sheet, dtype=str)["unit_id"].tolist()
    session = coding.CodingSession(sheet, out, "ann")
    assert session.current()["unit_id"] == ids[0]
    session.code(1)
    session.code(None, "only the region")
    assert "Unit 3 of 6" in session.html()
    other = coding.CodingSession(sheet, out, "bob")  # another coder starts at the beginning
    assert other.position == 0
    again = coding.CodingSession(sheet, out, "ann")  # a new kernel, the same files
    assert again.position == 2 and again.done == 2
    for value in (0, -1, 2, -2):
        again.code(value)
    assert again.current() is None and "All 6 units are coded" in again.html()


def test_a_crash_during_a_save_leaves_the_previous_file_intact(sheet, tmp_path, monkeypatch):
    out = tmp_path / "codes.csv"
    ids = pd.read_csv(sheet, dtype=str)["unit_id"].tolist()
    coding.save_code(out, ids[0], "ann", 1)
    coding.save_code(out, ids[1], "ann", -1)
    before = out.read_bytes()

    def crash(src, dst):
        raise KeyboardInterrupt("the kernel died mid-save")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        coding.save_code(out, ids[2], "ann", 2)
    monkeypatch.undo()
    assert out.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))  # no stray temporary file
    assert coding.CodingSession(sheet, out, "ann").position == 2  # resumes at the unit that was not saved


_SAVER = """
import sys
from framing.coding import save_code
out = sys.argv[1]
for k in range(100000):
    save_code(out, f"a:{k}:RUS:VEN", "ann", (k % 5) - 2, "x" * 200)
    print(k, flush=True)
"""


def test_killing_the_coder_mid_save_loses_nothing_saved(tmp_path):
    """A process saving codes as fast as it can is killed (SIGKILL: no clean-up at all);
    the file then holds exactly the codes whose saves completed, in order, and parses."""
    out = tmp_path / "codes.csv"
    proc = subprocess.Popen([sys.executable, "-c", _SAVER, str(out)], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT)
    done = -1
    deadline = time.time() + 60
    while done < 40 and time.time() < deadline:
        done = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    codes = pd.read_csv(out, dtype=str, keep_default_na=False)
    n = len(codes)
    assert n >= done + 1  # every save reported complete is there (at most one more finished unreported)
    assert codes["unit_id"].tolist() == [f"a:{k}:RUS:VEN" for k in range(n)]
    assert codes["stance"].tolist() == [str((k % 5) - 2) for k in range(n)]
    assert (codes["note"] == "x" * 200).all()


# ------------------------------------------------------------------ coded files


@pytest.mark.parametrize("content, message", [
    ("", "empty"),
    ("unit_id,coder,stance\n", "no codes"),
    ("unit_id,stance\na:1:RUS:VEN,1\n", "row 1: no 'coder' column"),
    ("unit_id,coder,stance\na:1:RUS:VEN,ann,1\na:2:RUS:VEN,ann,3\n", "row 3: stance '3' is not on the scale"),
    ("unit_id,coder,stance\na:1:RUS:VEN,ann,1.5\n", "row 2: stance '1.5'"),
    ("unit_id,coder,stance\na:1:RUS:VEN,,1\n", "row 2: empty coder"),
    ("unit_id,coder,stance\na:1:RUS:VEN,ann,1\na:1:RUS:VEN,ann,0\n", "row 3: ann coded a:1:RUS:VEN twice"),
])
def test_read_coded_names_file_and_row(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(coding.CodingFileError) as err:
        coding.read_coded(path)
    assert str(path) in str(err.value) and message in str(err.value)


from hypothesis import given, strategies as st  # noqa: E402


@given(st.lists(st.integers(1, 50), min_size=1, max_size=12), st.integers(1, 300))
def test_allocation_is_equal_capped_and_adds_up(sizes, n):
    take = coding._allocate(sizes, n)
    assert sum(take) == min(n, sum(sizes))
    assert all(0 <= t <= s for t, s in zip(take, sizes))
    # equal allocation: a stratum left short of another is one that was taken whole
    for t, s in zip(take, sizes):
        if t < s:
            assert all(t >= u - 1 for u in take)
