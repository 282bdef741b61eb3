"""framing agreement: alpha as the krippendorff package computes it, the system against
coders and their consensus, bad input, and the whole workflow on the seeds and on the
stance corpus's test split (score -> sample -> code -> agreement -> adapt)."""
import hashlib

import krippendorff
import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, SEEDS
from framing import agreement
from framing.cli import main
from framing.coding import make_unit_id
from framing.stance_model import DEFAULT_PATH

RESULTS = ROOT / "results"


def _write(path, rows):
    pd.DataFrame(rows, columns=["unit_id", "coder", "stance"]).to_csv(path, index=False)
    return path


def test_alpha_equals_the_krippendorff_package_on_constructed_data(tmp_path):
    rng = np.random.default_rng(7)
    units = [f"art{k // 3}:{k % 3}:RUS:VEN" for k in range(120)]
    truth = rng.integers(-2, 3, len(units))
    matrix = np.empty((3, len(units)))
    files = []
    for c in range(3):
        codes = np.clip(truth + rng.integers(-1, 2, len(units)) * (rng.random(len(units)) < 0.4), -2, 2).astype(float)
        codes[rng.random(len(units)) < 0.15] = np.nan  # each coder skips some units
        matrix[c] = codes
        keep = ~np.isnan(codes)
        files.append(_write(tmp_path / f"c{c}.csv", [(u, f"coder{c}", int(v)) for u, v, k in
                                                     zip(units, codes, keep) if k]))
    assert main(["agreement", *map(str, files), "--out", str(tmp_path / "out"), "--bootstrap", "200"]) == 0
    table = pd.read_csv(tmp_path / "out" / "coders.csv").set_index("level")
    expected_interval = krippendorff.alpha(reliability_data=matrix, level_of_measurement="interval")
    expected_nominal = krippendorff.alpha(reliability_data=np.sign(matrix), level_of_measurement="nominal")
    assert table.loc["interval", "alpha"] == pytest.approx(expected_interval, abs=5e-5)  # CSV keeps 4 decimals
    assert table.loc["nominal", "alpha"] == pytest.approx(expected_nominal, abs=5e-5)
    assert table.loc["nominal", "low"] < expected_nominal < table.loc["nominal", "high"]
    assert 0.3 < expected_nominal < 0.95  # constructed to be neither perfect nor random


def test_consensus_is_the_median_rounded_toward_zero():
    codes = pd.DataFrame({"unit_id": ["a", "a", "b", "b", "c", "c", "d", "d", "e", "e", "e"],
                          "coder": ["x", "y"] * 4 + ["x", "y", "z"],
                          "stance": [1, 2, -1, 1, -2, -1, np.nan, np.nan, 2, np.nan, 0]})
    cons = agreement.consensus(codes).set_index("unit_id")
    assert cons["consensus"].to_dict() == pytest.approx({"a": 1, "b": 0, "c": -1, "d": np.nan, "e": 1}, nan_ok=True)
    assert cons.loc["e", "not_reference"] == 1 and cons.loc["e", "coders"] == 2


def test_verdict_thresholds():
    assert agreement.verdict(0.800).startswith("reliable")
    assert agreement.verdict(0.7999).startswith("tentative")
    assert agreement.verdict(0.667).startswith("tentative")
    assert agreement.verdict(0.6669).startswith("not reliable")


# ------------------------------------------------------------------ bad input


@pytest.fixture()
def sample(tmp_path):
    assert main(["sample", str(RESULTS), "--n", "30", "--out", str(tmp_path / "coding.csv")]) == 0
    ids = pd.read_csv(tmp_path / "coding.csv", dtype=str)["unit_id"].tolist()
    return tmp_path, ids


def _bad_id(d, ids):
    return [_write(d / "a.csv", [(ids[0], "ann", 1), ("nope:3:RUS:VEN", "ann", 0)])], "a.csv: row 3: unit nope:3:RUS:VEN"


def _off_scale(d, ids):
    return [_write(d / "a.csv", [(ids[0], "ann", 1), (ids[1], "ann", -3)])], "a.csv: row 3: stance '-3'"


def _no_coder(d, ids):
    pd.DataFrame({"unit_id": ids[:3], "stance": [0, 1, 2]}).to_csv(d / "a.csv", index=False)
    return [d / "a.csv"], "a.csv: row 1: no 'coder' column"


def _empty(d, ids):
    (d / "a.csv").write_text("")
    return [d / "a.csv"], "a.csv: the file is empty"


def _disjoint(d, ids):
    return ([_write(d / "a.csv", [(ids[0], "ann", 1), (ids[1], "ann", 0)]),
             _write(d / "b.csv", [(ids[2], "bob", 1), (ids[3], "bob", 0)])], "no unit in common")


@pytest.mark.parametrize("setup", [_bad_id, _off_scale, _no_coder, _empty, _disjoint])
def test_bad_coded_files_exit_2_with_one_line_and_write_nothing(sample, setup, capsys):
    d, ids = sample
    files, message = setup(d, ids)
    out = d / "report"
    out.mkdir()
    (out / "report.md").write_text("an earlier report")
    assert main(["agreement", *map(str, files), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("framing: error: ") and message in err
    assert sorted(p.name for p in out.iterdir()) == ["report.md"]
    assert (out / "report.md").read_text() == "an earlier report"


# ------------------------------------------------------------------ end to end: the seeds


@pytest.fixture(scope="module")
def seeds_workflow(tmp_path_factory):
    """framing score seeds -> framing sample -> two coders' files from data/stance_seeds.

    The seed labels have one reader (``v1``) and the adjudicated ``gold``, which equals it
    on every unit (docs/labels.md): so the two coders agree perfectly here, and the test is
    of the plumbing and of the system's numbers, not of coder reliability."""
    d = tmp_path_factory.mktemp("seeds")
    assert main(["score", str(SEEDS), "--out", str(d / "results")]) == 0
    assert main(["sample", str(d / "results"), "--n", "60", "--seed", "0", "--out", str(d / "coding.csv")]) == 0
    side = pd.read_csv(d / "coding.sample.csv", dtype=str)
    labels = pd.read_csv(ROOT / "data" / "stance_seeds" / "unit_labels.csv", dtype=str, keep_default_na=False)
    labels["unit_id"] = [make_unit_id(*k) for k in zip(labels["article_id"], labels["sentence_id"],
                                                       labels["target"], labels["country"])]
    labels = labels[labels["unit_id"].isin(side["unit_id"])]
    files = []
    for coder in ("v1", "gold"):
        part = labels[labels["coder"] == coder]
        files.append(_write(d / f"{coder}.csv", part[["unit_id", "coder", "stance"]].to_numpy().tolist()))
    return d, files, labels[labels["coder"] == "gold"], side


def test_seeds_end_to_end(seeds_workflow):
    d, files, gold, side = seeds_workflow
    assert len(gold) >= 40  # most sampled seed units are labelled
    assert main(["agreement", *map(str, files), "--out", str(d / "report")]) == 0
    out = d / "report"
    for name in ("coders.csv", "system.csv", "confusion.csv", "consensus.csv", "report.md",
                 "agreement.svg", "agreement.png", "index.csv"):
        assert (out / name).is_file(), name
    coders = pd.read_csv(out / "coders.csv").set_index("level")
    assert coders.loc["nominal", "alpha"] == 1.0 and coders.loc["nominal", "units"] == len(gold)
    # the system's weighted accuracy against the consensus, recomputed by hand from the files
    system = pd.read_csv(out / "system.csv")
    row = system[(system["reference"] == "consensus") & (system["group"] == "all")].iloc[0]
    evidence = pd.read_csv(d / "results" / "evidence.csv", dtype=str, keep_default_na=False)
    evidence["unit_id"] = [make_unit_id(a, s, "RUS", c) for a, s, c in
                           zip(evidence["article_id"], evidence["sentence_id"], evidence["country"])]
    merged = gold.merge(evidence, on="unit_id").merge(side[["unit_id", "weight"]], on="unit_id")
    hand = np.sign(merged["stance_x"].astype(int)).map({-1: "against", 0: "neutral", 1: "favour"})
    w = merged["weight"].astype(float)
    assert row["accuracy"] == pytest.approx(float(((hand == merged["stance_label"]) * w).sum() / w.sum()), abs=1e-4)
    assert row["units"] == len(merged)
    index = pd.read_csv(out / "index.csv")
    assert index["name"].tolist() == ["agreement"]
    report = (out / "report.md").read_text()
    assert "reliable (alpha >= 0.800)" in report and "not reliable" in report


def test_cross_validated_gain_is_reported(seeds_workflow, capsys):
    d, files, _, _ = seeds_workflow
    assert main(["agreement", *map(str, files), "--cross-validate", "--folds", "2", "--bootstrap", "50",
                 "--out", str(d / "cv")]) == 0
    cv = pd.read_csv(d / "cv" / "cross_validation.csv").set_index("model")
    assert list(cv.index) == ["shipped model", "adapted (2-fold)", "gain"]
    assert cv.loc["gain", "macro_f1"] == pytest.approx(cv.iloc[1]["macro_f1"] - cv.iloc[0]["macro_f1"], abs=2e-4)
    # the shipped model's row is the system as scored: the units' features were rebuilt exactly
    system = pd.read_csv(d / "cv" / "system.csv")
    row = system[(system["reference"] == "consensus") & (system["group"] == "all")].iloc[0]
    assert cv.loc["shipped model", "alpha"] == pytest.approx(row["alpha"], abs=1e-4)
    assert cv.loc["shipped model", "weighted_accuracy"] == pytest.approx(row["accuracy"], abs=1e-4)
    assert "Adapted to these codes" in capsys.readouterr().out


def test_adapting_writes_a_new_model_and_score_uses_it(seeds_workflow, tmp_path):
    d, files, _, _ = seeds_workflow
    shipped = hashlib.sha256(DEFAULT_PATH.read_bytes()).hexdigest()
    model = tmp_path / "my_model.npz"
    assert main(["train-stance-model", str(ROOT / "data" / "stance"), "--extra", str(files[0]),
                 "--extra-weight", "50", "--out", str(model)]) == 0
    assert main(["train-stance-model", str(ROOT / "data" / "stance"), "--extra", str(files[0])]) == 2  # no --out
    assert hashlib.sha256(DEFAULT_PATH.read_bytes()).hexdigest() == shipped  # never changed silently
    assert main(["score", str(SEEDS), "--stance-model", str(model), "--out", str(tmp_path / "adapted")]) == 0
    before = pd.read_csv(d / "results" / "evidence.csv")
    after = pd.read_csv(tmp_path / "adapted" / "evidence.csv")
    assert before[["article_id", "sentence_id", "country"]].equals(after[["article_id", "sentence_id", "country"]])
    assert (before["stance"] - after["stance"]).abs().max() > 0.01
    bad = tmp_path / "bad.npz"
    bad.write_text("not a model")
    assert main(["score", str(SEEDS), "--stance-model", str(bad), "--out", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()


# ------------------------------------------------------------------ the stance corpus's test split


@pytest.fixture(scope="module")
def test_split_coders(tmp_path_factory):
    """The writer's and the reader's codes of every test-split unit as two coded files (all
    targets; ids ARTICLE:SENTENCE:TARGET:COUNTRY). Only aggregates are looked at."""
    d = tmp_path_factory.mktemp("test_split")
    arts = pd.read_json(ROOT / "data" / "stance" / "articles.jsonl", lines=True, dtype=False)
    units = pd.read_csv(ROOT / "data" / "stance" / "unit_labels.csv", dtype=str, keep_default_na=False)
    units = units[units["article_id"].isin(set(arts.loc[arts["split"] == "test", "id"]))]
    units["unit_id"] = [make_unit_id(*k) for k in zip(units["article_id"], units["sentence_id"],
                                                      units["target"], units["country"])]
    files = {c: _write(d / f"{c}.csv", units.loc[units["coder"] == c, ["unit_id", "coder", "stance"]]
                       .to_numpy().tolist()) for c in ("writer", "reader")}
    return d, files, arts


def test_test_split_alpha_matches_the_datasheet(test_split_coders):
    """docs/stance_corpus.md, per split: test, alpha interval 0.914, nominal 0.843 (0.819-0.865)."""
    d, files, _ = test_split_coders
    assert main(["agreement", str(files["writer"]), str(files["reader"]), "--out", str(d / "report")]) == 0
    table = pd.read_csv(d / "report" / "coders.csv").set_index("level")
    assert round(table.loc["interval", "alpha"], 3) == 0.914
    assert round(table.loc["nominal", "alpha"], 3) == 0.843
    assert (round(table.loc["nominal", "low"], 3), round(table.loc["nominal", "high"], 3)) == (0.819, 0.865)
    assert not (d / "report" / "system.csv").exists()  # no results given: coders only


def test_test_split_workflow_with_the_system(test_split_coders, tmp_path):
    """Score the test split's Russia articles, sample every unit, code it with the writer's
    and reader's labels, and compare the system."""
    d, files, arts = test_split_coders
    rus = arts[(arts["split"] == "test") & arts["targets"].str.split(";").map(lambda t: "RUS" in t)]
    rus[["id", "text"]].to_json(tmp_path / "rus.jsonl", orient="records", lines=True, force_ascii=False)
    assert main(["score", str(tmp_path / "rus.jsonl"), "--target", "RUS", "--out", str(tmp_path / "res")]) == 0
    assert main(["sample", str(tmp_path / "res"), "--n", "100000", "--out", str(tmp_path / "sheet.csv")]) == 0
    side = pd.read_csv(tmp_path / "sheet.sample.csv", dtype=str)
    assert (side["weight"].astype(float) == 1).all()  # everything drawn
    coded = []
    for name, path in files.items():
        codes = pd.read_csv(path, dtype=str)
        codes = codes[codes["unit_id"].isin(side["unit_id"])]
        codes.to_csv(tmp_path / f"{name}.csv", index=False)
        coded.append(str(tmp_path / f"{name}.csv"))
    assert len(codes) >= 150
    assert main(["agreement", *coded, "--out", str(tmp_path / "report"), "--bootstrap", "200"]) == 0
    system = pd.read_csv(tmp_path / "report" / "system.csv").set_index(["reference", "group"])
    coders = pd.read_csv(tmp_path / "report" / "coders.csv").set_index("level")
    # measured 2026-11-29: coders alpha 0.808, the system against their consensus 0.221
    assert coders.loc["nominal", "alpha"] > 0.75
    assert 0.1 < system.loc[("consensus", "all"), "alpha"] < coders.loc["nominal", "alpha"]


def test_the_seeds_coding_sample_two_independent_coders(tmp_path, capsys):
    """data/seeds_coding: two coders who worked apart; their alpha and the system's
    agreement are the numbers data/seeds_coding/README.md reports (measured, not bounds)."""
    folder = ROOT / "data" / "seeds_coding"
    coded = [str(folder / "coder_a.csv"), str(folder / "coder_b.csv")]
    assert main(["agreement", *coded, "--out", str(tmp_path / "report")]) == 0
    coders = pd.read_csv(tmp_path / "report" / "coders.csv").set_index("level")
    assert round(coders.loc["nominal", "alpha"], 3) == 0.944 and round(coders.loc["interval", "alpha"], 3) == 0.962
    system = pd.read_csv(tmp_path / "report" / "system.csv")
    row = system[(system["reference"] == "consensus") & (system["group"] == "all")].iloc[0]
    assert row["units"] == 60 and round(row["alpha"], 3) == 0.391 and round(row["macro_f1"], 2) == 0.61
