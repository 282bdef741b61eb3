"""The committed results/ are the current output of `framing score seeds --out results`."""
import filecmp

from conftest import ROOT
from framing.engine import score_corpus


def test_committed_results_are_current(seeds_dir, tmp_path):
    score_corpus(seeds_dir, tmp_path, target="RUS")
    committed = ROOT / "results"
    names = sorted(p.name for p in tmp_path.glob("*.csv"))
    assert names == sorted(p.name for p in committed.glob("*.csv"))
    changed = [n for n in names if not filecmp.cmp(tmp_path / n, committed / n, shallow=False)]
    assert changed == [], f"results/ is stale, rerun `make results`: {changed}"
