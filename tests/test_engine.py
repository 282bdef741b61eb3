"""Streaming engine: same bytes whatever the batching, the process count or the engine."""
import filecmp
import json
from pathlib import Path

import pandas as pd
import pytest

from framing.corpus import load_corpus
from framing.engine import TABLES, analyze_dask, score_corpus
from framing.output import write_tables
from framing.pipeline import analyze


def _same_files(a, b, names):
    return [name for name in names if not filecmp.cmp(a / f"{name}.csv", b / f"{name}.csv", shallow=False)]


@pytest.fixture(scope="module")
def reference(seeds_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    write_tables(out, analyze(seeds_dir).tables())
    return out


def test_streaming_equals_in_memory_analysis(seeds_dir, reference, tmp_path):
    summary = score_corpus(seeds_dir, tmp_path / "a", batch_size=2)
    assert summary.articles == 5
    assert _same_files(reference, tmp_path / "a", TABLES) == []
    assert (tmp_path / "a" / "corpus_countries.csv").exists()


def test_process_pool_gives_the_same_bytes(seeds_dir, reference, tmp_path):
    score_corpus(seeds_dir, tmp_path / "b", jobs=2, batch_size=1)
    assert _same_files(reference, tmp_path / "b", TABLES) == []


def test_unsorted_jsonl_is_put_in_article_order(seeds_dir, reference, tmp_path):
    articles = load_corpus(seeds_dir)
    path = tmp_path / "corpus.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for row in articles.iloc[::-1].itertuples(index=False):
            record = row._asdict()
            record["id"] = record.pop("article_id")
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    score_corpus(path, tmp_path / "c", batch_size=2)
    assert _same_files(reference, tmp_path / "c", TABLES) == []


def test_corpus_summary_is_computed_from_the_evidence(seeds_dir, tmp_path):
    score_corpus(seeds_dir, tmp_path / "d")
    evidence = pd.read_csv(tmp_path / "d" / "evidence.csv")
    summary = pd.read_csv(tmp_path / "d" / "corpus_countries.csv").set_index("country")
    ven = evidence[evidence["country"] == "VEN"]
    assert summary.loc["VEN", "target_sentences"] == len(ven)
    assert summary.loc["VEN", "stance"] == pytest.approx(ven["stance"].mean(), abs=1e-4)
    assert summary.loc["VEN", "articles"] == ven["article_id"].nunique()


def test_dask_local_cluster_gives_the_same_results(seeds_dir, reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        score_corpus(seeds_dir, tmp_path / "e", engine="dask", scheduler=cluster.scheduler_address,
                     batch_size=2)
        result = analyze_dask(seeds_dir, scheduler=cluster.scheduler_address, batch_size=2)
    assert _same_files(reference, tmp_path / "e", TABLES) == []
    write_tables(tmp_path / "f", result.tables())
    assert _same_files(reference, tmp_path / "f", TABLES) == []


def test_score_corpus_leaves_the_garbage_collector_as_it_found_it(tmp_path):
    import gc

    from framing.engine import score_corpus

    score_corpus(Path(__file__).resolve().parents[1] / "seeds", tmp_path / "out")
    assert gc.get_freeze_count() == 0
