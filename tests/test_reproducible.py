"""Issue 6: the same input gives byte-identical CSVs.

Independent of PYTHONHASHSEED, of the order in which articles are listed (a folder vs the
same articles as JSONL / CSV in shuffled order), of ``--jobs`` and of ``--batch-size``.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from framing import engine
from framing.cli import main
from framing.corpus import METADATA_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"

# ids chosen to make sorting matter: case, digits, non-ASCII, CSV-special characters
SYNTHETIC_IDS = ["Zeta", "alpha", "10", "9", "ß-straße", "Ωmega", "id,with,comma", 'quote"d', "é-accent",
                 "e-plain", "_under", "space id", "ключ", "东京", "z9", "A1", "a1", "b-2", "B-2", "~tilde"]


def _seed_lines() -> list[str]:
    lines = []
    for path in sorted(SEEDS.glob("*.txt")):
        lines += [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines


def _records() -> list[dict]:
    """The seeds (with their metadata) plus synthetic articles built from seed lines."""
    meta = {row["id"]: row for row in csv.DictReader((SEEDS / "metadata.csv").open(encoding="utf-8"))}
    records = []
    for path in sorted(SEEDS.glob("*.txt")):
        row = meta.get(path.stem, {})
        records.append({"id": path.stem, "text": path.read_text(encoding="utf-8"),
                        **{c: row.get(c, "") for c in METADATA_COLUMNS}})
    lines = _seed_lines()
    for i, article_id in enumerate(SYNTHETIC_IDS):
        picked = [lines[(i * 11 + k * 17) % len(lines)] for k in range(3 + i % 5)]
        records.append({"id": article_id, "text": "\n".join(picked) + "\n",
                        **{c: "" for c in METADATA_COLUMNS}})
    return records


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> dict[str, Path]:
    """The same articles as a folder (+ metadata.csv), a shuffled JSONL and a shuffled CSV."""
    base = tmp_path_factory.mktemp("corpora")
    records = _records()
    folder = base / "folder"
    folder.mkdir()
    for record in records:
        (folder / f"{record['id']}.txt").write_text(record["text"], encoding="utf-8")
    with (folder / "metadata.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", *METADATA_COLUMNS])
        for record in records:
            writer.writerow([record["id"], *(record[c] for c in METADATA_COLUMNS)])
    shuffled = records[:]
    random.Random(7).shuffle(shuffled)
    assert [r["id"] for r in shuffled] != sorted(r["id"] for r in shuffled)
    jsonl = base / "shuffled.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in shuffled), encoding="utf-8")
    random.Random(8).shuffle(shuffled)
    csv_path = base / "shuffled.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", *METADATA_COLUMNS])
        writer.writeheader()
        writer.writerows(shuffled)
    return {"folder": folder, "jsonl": jsonl, "csv": csv_path}


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}


def _score(corpus: Path, out: Path, *options) -> dict[str, bytes]:
    assert main(["score", str(corpus), "--out", str(out), *map(str, options)]) == 0
    return _outputs(out)


@pytest.fixture(scope="module")
def reference(corpora, tmp_path_factory) -> dict[str, bytes]:
    outputs = _score(corpora["folder"], tmp_path_factory.mktemp("reference") / "out")
    expected = {f"{name}.csv" for name in engine.TABLES} | {"corpus_countries.csv"}
    assert set(outputs) == expected
    assert all(len(data.splitlines()) > 1 for name, data in outputs.items() if name != "cues.csv")
    return outputs


def _assert_same(outputs: dict[str, bytes], reference: dict[str, bytes]) -> None:
    assert set(outputs) == set(reference)
    for name in reference:
        assert outputs[name] == reference[name], f"{name} differs"


@pytest.mark.parametrize("source, options", [
    ("jsonl", ["--jobs", 1, "--batch-size", 7]),
    ("csv", ["--jobs", 2, "--batch-size", 3]),
    ("folder", ["--jobs", 2, "--batch-size", 1]),
    ("folder", ["--jobs", 1, "--batch-size", 4]),
], ids=["jsonl-shuffled-b7", "csv-shuffled-jobs2-b3", "folder-jobs2-b1", "folder-b4"])
def test_score_is_independent_of_order_jobs_and_batch_size(corpora, reference, tmp_path, source, options):
    _assert_same(_score(corpora[source], tmp_path / "out", *options), reference)


def test_rerun_into_the_same_folder_is_identical(corpora, reference, tmp_path):
    out = tmp_path / "out"
    _score(corpora["jsonl"], out, "--batch-size", 5)
    _assert_same(_score(corpora["jsonl"], out, "--batch-size", 5), reference)


def test_mentions_is_independent_of_order(corpora, tmp_path):
    outputs = []
    for source in ("folder", "jsonl", "csv"):
        assert main(["mentions", str(corpora[source]), "--out", str(tmp_path / source)]) == 0
        outputs.append(_outputs(tmp_path / source))
    assert set(outputs[0]) == {"sentences.csv", "mentions.csv"}
    _assert_same(outputs[1], outputs[0])
    _assert_same(outputs[2], outputs[0])


def test_score_is_independent_of_the_hash_seed(corpora, reference, tmp_path):
    results = []
    for seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = tmp_path / f"out-{seed}"
        # the shuffled JSONL takes the reordering path, where set/dict order could leak in
        result = subprocess.run([sys.executable, "-m", "framing.cli", "score", str(corpora["jsonl"]),
                                 "--out", str(out), "--batch-size", "6"],
                                env=env, capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr
        results.append(_outputs(out))
    _assert_same(results[0], reference)
    _assert_same(results[1], reference)
